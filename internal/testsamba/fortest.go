package testsamba

import (
	"context"
	"time"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// forTestTimeout bounds a DC's start in ForTest, provisioning included:
// about 12 seconds on an idle machine, several times that on a busy one.
const forTestTimeout = 3 * time.Minute

// ForTest starts a DC for one test and registers its Stop with
// t.Cleanup. If Samba is missing it fails the test naming the Debian
// packages, or skips it when SAFEKRB5_SKIP_INTEGRATION=1.
func ForTest(t testrealm.TB, opts Options) *DC {
	t.Helper()
	if !RequirePrograms(t) {
		return nil // only reached with a TB whose Fatalf returns
	}
	ctx, cancel := context.WithTimeout(context.Background(), forTestTimeout)
	defer cancel()
	d, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("testsamba: start DC: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Errorf("testsamba: stop DC: %v", err)
		}
	})
	return d
}

// RequirePrograms fails t (or skips it under SAFEKRB5_SKIP_INTEGRATION=1)
// when Samba is missing, and reports whether it is there.
func RequirePrograms(t testrealm.TB) bool {
	t.Helper()
	return testrealm.RequireChecked(t, CheckPrograms())
}
