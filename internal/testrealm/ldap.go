package testrealm

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A realm started with Options.LDAP keeps its principals in a private
// OpenLDAP slapd, through MIT's LDAP database module (kldap), instead of
// a DB2 file. Of the database modules MIT ships, only that one holds
// constrained-delegation rules: the krbAllowedToDelegateTo attribute of
// the delegating service, which AllowDelegation sets. (MIT 1.20's LDAP
// module has no rules for resource-based constrained delegation; only a
// test module in MIT's source tree, which Debian does not ship, has.)
//
// slapd listens on a Unix socket in the realm's directory and nowhere
// else; its configuration, database and the password of its
// administrator are there too. The KDC, kadmin.local and ldapmodify bind
// as that administrator; the KDC and kadmin.local read its password from
// a stash file made by kdb5_ldap_util stashsrvpw.

const (
	// ldapSuffix is the directory's naming context. It is the Kerberos
	// container too, which kdb5_ldap_util create makes.
	ldapSuffix = "cn=krb5"
	// ldapAdminDN is the directory's administrator.
	ldapAdminDN = "cn=admin," + ldapSuffix
	// maxSocketPath is the longest Unix socket path Linux takes (its
	// sun_path holds 108 bytes with the terminating NUL).
	maxSocketPath = 107
	// slapdModuleDir holds the database backends, which Debian builds
	// as modules.
	slapdModuleDir = "/usr/lib/ldap"
	// coreSchemaPath is OpenLDAP's core schema (package slapd), on which
	// the Kerberos schema builds.
	coreSchemaPath = "/etc/ldap/schema/core.schema"
)

// ErrNotLDAP is returned by the methods that change LDAP attributes when
// the realm was started without Options.LDAP.
var ErrNotLDAP = errors.New("testrealm: the realm's database is not in LDAP")

// kerberosSchemaPaths are where the Kerberos schema for slapd may be, in
// order: package krb5-kdc-ldap ships it compressed with its
// documentation; an administrator may have put a copy beside the others.
var kerberosSchemaPaths = []string{
	"/usr/share/doc/krb5-kdc-ldap/kerberos.schema.gz",
	"/usr/share/doc/krb5-kdc-ldap/kerberos.schema",
	"/etc/ldap/schema/kerberos.schema",
}

// kerberosSchemaPath returns the first of kerberosSchemaPaths that exists.
func kerberosSchemaPath() (string, error) {
	for _, p := range kerberosSchemaPaths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("testrealm: no Kerberos schema for slapd in %s",
		strings.Join(kerberosSchemaPaths, ", "))
}

// ldapPaths are the files of a realm's slapd, all under Dir/ldap.
type ldapPaths struct {
	dir, db, conf, schema, socket, adminPassword, serviceStash string
}

// ldapFiles returns the paths of the realm's slapd files.
func (r *Realm) ldapFiles() ldapPaths {
	dir := filepath.Join(r.Dir, "ldap")
	return ldapPaths{
		dir:           dir,
		db:            filepath.Join(dir, "db"),
		conf:          filepath.Join(dir, "slapd.conf"),
		schema:        filepath.Join(dir, "kerberos.schema"),
		socket:        filepath.Join(dir, "ldapi"),
		adminPassword: filepath.Join(dir, "admin.pw"),
		serviceStash:  filepath.Join(dir, "service.stash"),
	}
}

// ldapiURI returns the ldapi URL of a socket path: the path is the host
// part, with its slashes escaped.
func ldapiURI(socket string) string {
	return "ldapi://" + strings.ReplaceAll(url.PathEscape(socket), "/", "%2F")
}

// createLDAPDatabase starts the realm's slapd and creates the realm in it
// with kdb5_ldap_util, master being the master key's password.
func (r *Realm) createLDAPDatabase(ctx context.Context, master string) error {
	p := r.ldapFiles()
	if err := os.MkdirAll(p.db, 0o700); err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	admin, err := randomSecret()
	if err != nil {
		return err
	}
	if err := copySchema(p.schema); err != nil {
		return err
	}
	files := []struct{ path, text string }{
		{p.conf, slapdConf(p, admin)},
		// ldapmodify -y reads the whole file: no newline.
		{p.adminPassword, admin},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.text), 0o600); err != nil {
			return fmt.Errorf("testrealm: %w", err)
		}
	}
	if err := r.startSlapd(ctx, p); err != nil {
		return err
	}

	// stashsrvpw prompts twice; the password goes through stdin.
	cmd := r.Command(ctx, "kdb5_ldap_util", "stashsrvpw", "-f",
		p.serviceStash, ldapAdminDN)
	cmd.Stdin = strings.NewReader(admin + "\n" + admin + "\n")
	if err := runTool(cmd, "kdb5_ldap_util stashsrvpw"); err != nil {
		return err
	}
	cmd = r.Command(ctx, "kdb5_ldap_util", "-r", r.Name, "create", "-s",
		"-P", master)
	if err := runTool(cmd, "kdb5_ldap_util create"); err != nil {
		return err
	}
	r.logf("realm created in slapd at %s", r.LDAPURI)
	return nil
}

// copySchema writes the Kerberos schema, uncompressed, to path.
func copySchema(path string) error {
	src, err := kerberosSchemaPath()
	if err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	defer f.Close()
	var in io.Reader = f
	if strings.HasSuffix(src, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("testrealm: %s: %w", src, err)
		}
		defer z.Close()
		in = z
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("testrealm: %w", err)
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("testrealm: schema from %s: %w", src, err)
	}
	return nil
}

// slapdConf renders slapd's configuration: the core and Kerberos
// schemas, one MDB database whose administrator has password admin, and
// an index on principal names, which every KDC lookup searches.
func slapdConf(p ldapPaths, admin string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "include %s\n", coreSchemaPath)
	fmt.Fprintf(&b, "include %s\n", p.schema)
	fmt.Fprintf(&b, "pidfile %s\n", filepath.Join(p.dir, "slapd.pid"))
	fmt.Fprintf(&b, "argsfile %s\n", filepath.Join(p.dir, "slapd.args"))
	if _, err := os.Stat(filepath.Join(slapdModuleDir, "back_mdb.la")); err == nil {
		fmt.Fprintf(&b, "modulepath %s\nmoduleload back_mdb\n", slapdModuleDir)
	}
	fmt.Fprintf(&b, "\ndatabase mdb\n")
	fmt.Fprintf(&b, "suffix %q\n", ldapSuffix)
	fmt.Fprintf(&b, "rootdn %q\n", ldapAdminDN)
	fmt.Fprintf(&b, "rootpw %s\n", admin)
	fmt.Fprintf(&b, "directory %s\n", p.db)
	fmt.Fprintf(&b, "index krbPrincipalName eq,sub\n")
	return b.String()
}

// startSlapd runs slapd in the foreground on the realm's socket, logging
// errors only (-d none), and waits until it accepts connections.
func (r *Realm) startSlapd(ctx context.Context, p ldapPaths) error {
	path, err := lookProgram("slapd")
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "-d", "none", "-f", p.conf, "-h", r.LDAPURI)
	cmd.Env = r.Env()
	cmd.Dir = r.Dir
	outPath := filepath.Join(p.dir, "slapd.out")
	d, err := StartDaemon("slapd", cmd, outPath)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.slapd = d
	r.mu.Unlock()
	if err := d.WaitUnix(ctx, p.socket); err != nil {
		// The directory goes with the failed realm: keep what slapd said.
		out, _ := os.ReadFile(outPath)
		return fmt.Errorf("%w: %s", err, firstLines(out))
	}
	r.logf("slapd pid %d listening on %s", d.PID(), p.socket)
	return nil
}

// AllowDelegation sets the services to which service may delegate by
// constrained delegation (S4U2Proxy): its krbAllowedToDelegateTo values,
// replacing any it had; no targets removes them all. Names without a
// realm are in the realm. For protocol transition (S4U2Self tickets
// that S4U2Proxy accepts) the service also needs the
// ok_to_auth_as_delegate flag (kadmin.local modprinc
// +ok_to_auth_as_delegate). It returns ErrNotLDAP for a realm started
// without Options.LDAP.
func (r *Realm) AllowDelegation(ctx context.Context, service string,
	targets ...string) error {
	if r.LDAPURI == "" {
		return ErrNotLDAP
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nchangetype: modify\n", r.principalDN(service))
	fmt.Fprintf(&b, "replace: krbAllowedToDelegateTo\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "krbAllowedToDelegateTo: %s\n", r.qualify(t))
	}
	return r.ldapModify(ctx, "krbAllowedToDelegateTo", b.String())
}

// AddAlias gives principal another name, alias, as MIT's LDAP module
// reads them: one more krbPrincipalName value, with krbCanonicalName
// naming the principal. An alias "user@domain" without a realm of its
// own is an enterprise name (RFC 6806 section 5), found by a request for
// the enterprise principal user@domain in this realm. It returns
// ErrNotLDAP for a realm started without Options.LDAP.
func (r *Realm) AddAlias(ctx context.Context, principal,
	alias string) error {
	if r.LDAPURI == "" {
		return ErrNotLDAP
	}
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nchangetype: modify\n", r.principalDN(principal))
	fmt.Fprintf(&b, "add: krbPrincipalName\n")
	fmt.Fprintf(&b, "krbPrincipalName: %s@%s\n-\n", alias, r.Name)
	fmt.Fprintf(&b, "replace: krbCanonicalName\n")
	fmt.Fprintf(&b, "krbCanonicalName: %s\n", r.qualify(principal))
	return r.ldapModify(ctx, "alias", b.String())
}

// qualify appends the realm to a principal name that has none.
func (r *Realm) qualify(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return name + "@" + r.Name
}

// principalDN returns the DN under which MIT's LDAP module keeps a
// principal it created: in the realm's container, named by the
// principal.
func (r *Realm) principalDN(name string) string {
	return "krbPrincipalName=" + escapeDNValue(r.qualify(name)) +
		",cn=" + escapeDNValue(r.Name) + "," + ldapSuffix
}

// escapeDNValue escapes an attribute value for a DN (RFC 4514 section
// 2.4).
func escapeDNValue(v string) string {
	var b strings.Builder
	for i, c := range v {
		special := strings.ContainsRune(`"+,;<>\=`, c) ||
			(i == 0 && (c == ' ' || c == '#')) ||
			(i == len(v)-1 && c == ' ')
		if special {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ldapModify applies an LDIF change to the realm's directory with
// ldapmodify, bound as the administrator. label names the change in
// errors.
func (r *Realm) ldapModify(ctx context.Context, label, ldif string) error {
	p := r.ldapFiles()
	cmd := r.Command(ctx, "ldapmodify", "-x", "-H", r.LDAPURI,
		"-D", ldapAdminDN, "-y", p.adminPassword)
	cmd.Stdin = strings.NewReader(ldif)
	return runTool(cmd, "ldapmodify "+label)
}
