// Package testrealm runs a throwaway MIT Kerberos 1.20 realm on the
// loopback interface for integration tests and demonstrations.
//
// Start creates a temporary directory, writes a kdc.conf and a client
// krb5.conf into it, creates the database with kdb5_util, adds a user
// (alice, with a random password) and a service (HTTP/localhost) through
// kadmin.local, exports a keytab for each, and runs krb5kdc -n (and, on
// request, kadmind) in the background on random free ports bound to
// 127.0.0.1. Stop ends every process it started by PID and removes the
// directory.
//
// With Options.LDAP the database lives in a private OpenLDAP slapd
// instead, through MIT's LDAP database module: Start runs slapd on a Unix
// socket in the directory with a configuration of its own (slapd -f),
// loads the Kerberos schema from krb5-kdc-ldap, stashes the directory
// administrator's password with kdb5_ldap_util stashsrvpw and creates the
// realm with kdb5_ldap_util create. Only that module keeps
// constrained-delegation rules (AllowDelegation) and aliases (AddAlias).
//
// The package does not import "testing", so the safekrb5 demo command can
// use it too; ForTest adapts it to anything that looks like a testing.TB.
//
// Programs come from the Debian packages krb5-kdc, krb5-admin-server and
// krb5-user, and for an LDAP realm slapd, ldap-utils and krb5-kdc-ldap.
// CheckPrograms and CheckLDAPPrograms report which are missing.
//
// Daemons are started with a parent-death signal (SIGKILL on Linux), so a
// test binary that crashes or is killed by a timeout also takes its KDC
// down. The temporary directory, however, is left behind in that case.
//
// BUG(safekrb5): if the test binary dies on a platform without a
// parent-death signal, or if the goroutine that called Start had locked its
// OS thread and that thread exits first, a krb5kdc or kadmind process can
// outlive it (or die early, respectively). Leftovers are named
// safekrb5-realm-* under the temporary directory; their daemons run with
// -n, -nofork or -d none and can be found with pgrep -a krb5kdc (or
// kadmind, slapd).
package testrealm
