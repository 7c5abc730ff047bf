package testsamba

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// ErrMissingPrograms is matched by errors.Is against a
// *MissingProgramsError.
var ErrMissingPrograms = errors.New("testsamba: Samba programs missing")

// MissingProgramsError lists the Samba programs that could not be found
// and the Debian packages that provide them.
type MissingProgramsError struct {
	// Programs are the missing programs, sorted.
	Programs []string
	// Packages are the Debian packages to install, sorted and unique.
	Packages []string
}

// Error names the missing programs and the packages to install.
func (e *MissingProgramsError) Error() string {
	return fmt.Sprintf("testsamba: Samba programs missing: %s "+
		"(install with: apt-get install --no-install-recommends %s)",
		strings.Join(e.Programs, ", "), strings.Join(e.Packages, " "))
}

// Unwrap returns ErrMissingPrograms and testrealm.ErrMissingPrograms, so
// that testrealm.RequireChecked treats it as every harness's.
func (e *MissingProgramsError) Unwrap() []error {
	return []error{ErrMissingPrograms, testrealm.ErrMissingPrograms}
}

// programPackages maps what the harness runs or loads to the Debian
// package that ships it.
var programPackages = map[string]string{
	"/usr/sbin/samba":                                   "samba-ad-dc",
	"/usr/bin/samba-tool":                               "samba",
	"/usr/bin/python3":                                  "python3",
	"/usr/share/samba/setup/provision.ldif":             "samba-ad-provision",
	"/usr/lib/x86_64-linux-gnu/samba/ldb/samba_dsdb.so": "samba-dsdb-modules",
}

// CheckPrograms reports whether Samba's programs and data are installed.
// It returns nil or a *MissingProgramsError.
func CheckPrograms() error {
	var progs []string
	pkgs := map[string]bool{}
	for prog, pkg := range programPackages {
		if st, err := os.Stat(prog); err != nil || !st.Mode().IsRegular() {
			progs = append(progs, filepath.Base(prog))
			pkgs[pkg] = true
		}
	}
	if len(progs) == 0 {
		return nil
	}
	sort.Strings(progs)
	e := &MissingProgramsError{Programs: progs}
	for pkg := range pkgs {
		e.Packages = append(e.Packages, pkg)
	}
	sort.Strings(e.Packages)
	return e
}
