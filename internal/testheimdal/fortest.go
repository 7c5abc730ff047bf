package testheimdal

import (
	"context"
	"time"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// forTestTimeout bounds realm setup in ForTest.
const forTestTimeout = time.Minute

// ForTest starts a Heimdal realm for one test and registers its Stop with
// t.Cleanup. If the unpacked Heimdal programs are missing it fails the
// test naming the packages and scripts/heimdal.sh, or skips it when
// SAFEKRB5_SKIP_INTEGRATION=1.
func ForTest(t testrealm.TB, opts Options) *Realm {
	t.Helper()
	if !RequirePrograms(t) {
		return nil // only reached with a TB whose Fatalf returns
	}
	ctx, cancel := context.WithTimeout(context.Background(), forTestTimeout)
	defer cancel()
	r, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("testheimdal: start realm: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("testheimdal: stop realm: %v", err)
		}
	})
	return r
}

// RequirePrograms fails t (or skips it under SAFEKRB5_SKIP_INTEGRATION=1)
// when the Heimdal programs are missing, and reports whether they are
// there.
func RequirePrograms(t testrealm.TB) bool {
	t.Helper()
	_, err := FindPrefix()
	return testrealm.RequireChecked(t, err)
}
