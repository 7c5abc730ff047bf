package testrealm

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ErrMissingPrograms is matched by errors.Is against a
// *MissingProgramsError.
var ErrMissingPrograms = errors.New("testrealm: programs missing")

// MissingProgramsError lists the programs (and data files) of an MIT
// realm that could not be found and the Debian packages that provide
// them.
type MissingProgramsError struct {
	// Programs are the missing program or file names, sorted.
	Programs []string
	// Packages are the Debian packages to install, sorted and unique.
	Packages []string
}

// Error names the missing programs and the apt-get command that installs
// them.
func (e *MissingProgramsError) Error() string {
	return fmt.Sprintf("testrealm: programs missing: %s "+
		"(install with: apt-get install %s)",
		strings.Join(e.Programs, ", "), strings.Join(e.Packages, " "))
}

// Unwrap returns ErrMissingPrograms.
func (e *MissingProgramsError) Unwrap() error { return ErrMissingPrograms }

// programPackages maps each program the harness runs to the Debian package
// that ships it.
var programPackages = map[string]string{
	"krb5kdc":      "krb5-kdc",
	"kdb5_util":    "krb5-kdc",
	"kadmin.local": "krb5-admin-server",
	"kadmind":      "krb5-admin-server",
	"kinit":        "krb5-user",
	"klist":        "krb5-user",
	"kvno":         "krb5-user",
	"kdestroy":     "krb5-user",
}

// extraDirs are searched after PATH: the MIT daemons live in /usr/sbin,
// which is not on every user's PATH.
var extraDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// lookProgram resolves name through PATH and then the system directories.
func lookProgram(name string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) {
		return name, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range extraDirs {
		p, err := exec.LookPath(filepath.Join(dir, name))
		if err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("testrealm: program %q not found", name)
}

// ldapPackages maps what a realm on MIT's LDAP database module runs,
// besides the programs of every realm, to the Debian package that ships
// it. The package krb5-kdc-ldap also ships the module itself and the
// Kerberos schema for slapd (see kerberosSchemaPaths).
var ldapPackages = map[string]string{
	"slapd":          "slapd",
	"ldapmodify":     "ldap-utils",
	"kdb5_ldap_util": "krb5-kdc-ldap",
}

// CheckPrograms reports whether every MIT Kerberos program the harness
// uses is installed. It returns nil or a *MissingProgramsError naming the
// Debian packages (krb5-kdc, krb5-admin-server, krb5-user) to install.
func CheckPrograms() error {
	return checkPrograms(false)
}

// CheckLDAPPrograms is CheckPrograms for a realm started with
// Options.LDAP: it also wants OpenLDAP's slapd and ldapmodify, MIT's
// kdb5_ldap_util and the Kerberos schema (packages slapd, ldap-utils and
// krb5-kdc-ldap).
func CheckLDAPPrograms() error {
	return checkPrograms(true)
}

// checkPrograms looks for the programs of every realm and, with ldap,
// for those of an LDAP realm.
func checkPrograms(ldap bool) error {
	var progs []string
	pkgs := map[string]bool{}
	look := func(table map[string]string) {
		for prog, pkg := range table {
			if _, err := lookProgram(prog); err != nil {
				progs = append(progs, prog)
				pkgs[pkg] = true
			}
		}
	}
	look(programPackages)
	if ldap {
		look(ldapPackages)
		if _, err := kerberosSchemaPath(); err != nil {
			progs = append(progs, "kerberos.schema")
			pkgs["krb5-kdc-ldap"] = true
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
