package testrealm

import (
	"context"
	"errors"
	"os"
	"time"
)

// SkipEnv is the environment variable that, set to "1", turns a missing
// MIT installation into a skipped test instead of a failure.
const SkipEnv = "SAFEKRB5_SKIP_INTEGRATION"

// forTestTimeout bounds realm setup in ForTest.
const forTestTimeout = time.Minute

// TB is the part of testing.TB the harness uses; *testing.T and
// *testing.B satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	Logf(format string, args ...any)
}

// ForTest starts a realm for one test and registers its Stop with
// t.Cleanup, so the daemons stop even when the test fails part-way. If
// programs are missing (those of CheckLDAPPrograms too with Options.LDAP)
// it fails the test naming the Debian packages to install, or skips it
// when SAFEKRB5_SKIP_INTEGRATION=1.
func ForTest(t TB, opts Options) *Realm {
	t.Helper()
	check := CheckPrograms
	if opts.LDAP {
		check = CheckLDAPPrograms
	}
	if !RequireChecked(t, check()) {
		return nil // only reached with a TB whose Fatalf returns
	}

	ctx, cancel := context.WithTimeout(context.Background(), forTestTimeout)
	defer cancel()
	r, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("testrealm: start realm: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("testrealm: stop realm: %v", err)
		}
	})
	return r
}

// RequirePrograms fails t (or skips it under SAFEKRB5_SKIP_INTEGRATION=1)
// when MIT programs are missing, and reports whether they are all there.
func RequirePrograms(t TB) bool {
	t.Helper()
	return RequireChecked(t, CheckPrograms())
}

// RequireChecked fails t for the error of a program check, or skips it
// when the error matches ErrMissingPrograms (as the Heimdal and Samba
// harnesses' errors do too) and SAFEKRB5_SKIP_INTEGRATION=1, and reports
// whether the check passed.
func RequireChecked(t TB, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	if errors.Is(err, ErrMissingPrograms) && os.Getenv(SkipEnv) == "1" {
		t.Skipf("%v; skipping because %s=1", err, SkipEnv)
		return false
	}
	t.Fatalf("%v (set %s=1 to skip integration tests)", err, SkipEnv)
	return false
}
