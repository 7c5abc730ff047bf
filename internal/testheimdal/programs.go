package testheimdal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// PrefixEnv names the environment variable that overrides where the
// unpacked Heimdal packages are looked for.
const PrefixEnv = "SAFEKRB5_HEIMDAL_PREFIX"

// ErrMissingPrograms is matched by errors.Is against a
// *MissingProgramsError.
var ErrMissingPrograms = errors.New("testheimdal: Heimdal programs missing")

// MissingProgramsError lists the Heimdal programs that are not in the
// private prefix and the Debian packages that ship them.
type MissingProgramsError struct {
	// Prefixes are the directories that were searched.
	Prefixes []string
	// Programs are the missing programs, relative to the prefix, sorted.
	Programs []string
	// Packages are the Debian packages that ship them, sorted and unique.
	Packages []string
}

// Error names the missing programs, their packages and the script that
// unpacks them.
func (e *MissingProgramsError) Error() string {
	return fmt.Sprintf("testheimdal: Heimdal programs missing from %s: %s "+
		"(packages %s; unpack them with scripts/heimdal.sh)",
		strings.Join(e.Prefixes, " or "), strings.Join(e.Programs, ", "),
		strings.Join(e.Packages, " "))
}

// Unwrap returns ErrMissingPrograms and testrealm.ErrMissingPrograms, so
// that testrealm.RequireChecked treats it as every harness's.
func (e *MissingProgramsError) Unwrap() []error {
	return []error{ErrMissingPrograms, testrealm.ErrMissingPrograms}
}

// Paths of the programs the harness runs, inside the prefix, and the
// packages that ship them.
const (
	kdcPath      = "usr/lib/heimdal-servers/kdc"
	kpasswddPath = "usr/lib/heimdal-servers/kpasswdd"
	kadminPath   = "usr/bin/kadmin.heimdal"
	kstashPath   = "usr/sbin/kstash"
	kinitPath    = "usr/bin/kinit.heimdal"
	kgetcredPath = "usr/bin/kgetcred"
	libDir       = "usr/lib/x86_64-linux-gnu"
)

var programPackages = map[string]string{
	kdcPath:                 "heimdal-kdc",
	kpasswddPath:            "heimdal-kdc",
	kstashPath:              "heimdal-kdc",
	kadminPath:              "heimdal-clients",
	kinitPath:               "heimdal-clients",
	kgetcredPath:            "heimdal-clients",
	libDir + "/libkdc.so.2": "libkdc2-heimdal",
	libDir + "/libhdb.so.9": "libhdb9-heimdal",
}

// prefixes returns the directories searched for the unpacked packages, in
// the order scripts/heimdal.sh chooses them.
func prefixes() []string {
	if p := os.Getenv(PrefixEnv); p != "" {
		return []string{p}
	}
	ps := []string{"/var/cache/safekrb5-heimdal"}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache")
		}
	}
	if cache != "" {
		ps = append(ps, filepath.Join(cache, "safekrb5-heimdal"))
	}
	return ps
}

// FindPrefix returns the prefix that holds every program the harness
// runs, or a *MissingProgramsError.
func FindPrefix() (string, error) {
	ps := prefixes()
	var best []string
	for i, p := range ps {
		var missing []string
		for prog := range programPackages {
			st, err := os.Stat(filepath.Join(p, prog))
			if err != nil || st.IsDir() {
				missing = append(missing, prog)
			}
		}
		if len(missing) == 0 {
			return p, nil
		}
		if i == 0 || len(missing) < len(best) {
			best = missing
		}
	}
	sort.Strings(best)
	e := &MissingProgramsError{Prefixes: ps, Programs: best}
	seen := map[string]bool{}
	for _, prog := range best {
		if pkg := programPackages[prog]; !seen[pkg] {
			seen[pkg] = true
			e.Packages = append(e.Packages, pkg)
		}
	}
	sort.Strings(e.Packages)
	return "", e
}
