package testrealm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLDAPRealm starts a realm on MIT's LDAP database module and checks
// with MIT's tools what only that module offers here: constrained
// delegation (kvno -U -P) and enterprise aliases (kinit -E). Stop then
// leaves no process, socket or file behind.
func TestLDAPRealm(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	begin := time.Now()
	r := ForTest(t, Options{LDAP: true, Log: &log})
	t.Logf("LDAP realm started in %v\n%s", time.Since(begin), log.String())
	ctx := testContext(t)

	require.True(t, strings.HasPrefix(r.LDAPURI, "ldapi://%2F"), r.LDAPURI)
	conf, err := os.ReadFile(r.KDCConfPath)
	require.NoError(t, err)
	assert.Contains(t, string(conf), "database_module = ldap\n")
	assert.NotContains(t, log.String(), r.Password)
	pids := r.PIDs()
	require.Len(t, pids, 2, "krb5kdc and slapd")

	require.NoError(t, r.Kinit(ctx, "", r.UserPrincipal, r.Password))
	_, err = r.KadminLocal(ctx, "modprinc +ok_to_auth_as_delegate "+r.Service)
	require.NoError(t, err)
	for _, p := range []string{"HTTP/target.localhost", "HTTP/other.localhost"} {
		require.NoError(t, r.AddPrincipal(ctx, p, ""))
	}
	require.NoError(t, r.AllowDelegation(ctx, r.Service, "HTTP/target.localhost"))

	// kvno -U -P: S4U2Self, then S4U2Proxy, each in a fresh cache of
	// the service's TGT, as kvno reuses a ticket it has.
	kvno := func(t *testing.T, target string) (string, error) {
		cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
		run(t, r, "", "kinit", "-c", cc, "-k", "-t", r.Keytab, r.Service)
		cmd := r.Command(ctx, "kvno", "-c", cc, "-U", r.User, "-P", target)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	t.Run("kvno -U -P to an allowed target", func(t *testing.T) {
		out, err := kvno(t, "HTTP/target.localhost")
		require.NoError(t, err, out)
		assert.Equal(t, "HTTP/target.localhost@"+r.Name+": kvno = 1\n", out)
	})
	t.Run("kvno -U -P to another target is refused", func(t *testing.T) {
		out, err := kvno(t, "HTTP/other.localhost")
		require.Error(t, err)
		assert.Contains(t, out, "constrained delegation failed")
	})
	t.Run("no targets refuses all", func(t *testing.T) {
		require.NoError(t, r.AllowDelegation(ctx, r.Service))
		out, err := kvno(t, "HTTP/target.localhost")
		require.Error(t, err)
		assert.Contains(t, out, "constrained delegation failed")
	})
	t.Run("enterprise alias", func(t *testing.T) {
		require.NoError(t, r.AddAlias(ctx, r.User, "alice@mail.test"))
		cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
		cmd := r.Command(ctx, "kinit", "-c", cc, "-E", "-C", "alice@mail.test")
		cmd.Stdin = strings.NewReader(r.Password + "\n")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, run(t, r, "", "klist", "-c", cc),
			"Default principal: "+r.UserPrincipal)
	})

	require.NoError(t, r.Stop())
	for _, pid := range pids {
		assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "pid %d", pid)
	}
	assert.NoDirExists(t, r.Dir)
	assert.Empty(t, r.PIDs())
}

// TestLDAPMethodsWithoutLDAP: the LDAP methods refuse a DB2 realm without
// running anything.
func TestLDAPMethodsWithoutLDAP(t *testing.T) {
	r := &Realm{Name: DefaultRealm}
	ctx := context.Background()
	assert.ErrorIs(t, r.AllowDelegation(ctx, "svc", "target"), ErrNotLDAP)
	assert.ErrorIs(t, r.AddAlias(ctx, "alice", "alice@mail.test"), ErrNotLDAP)
}

func TestPrincipalDN(t *testing.T) {
	r := &Realm{Name: "EXAMPLE.TEST"}
	tests := []struct{ name, want string }{
		{"alice", "krbPrincipalName=alice@EXAMPLE.TEST,cn=EXAMPLE.TEST,cn=krb5"},
		{"HTTP/localhost@OTHER.TEST",
			"krbPrincipalName=HTTP/localhost@OTHER.TEST,cn=EXAMPLE.TEST,cn=krb5"},
		{`a,b+c"d\e;f<g>h=i`,
			`krbPrincipalName=a\,b\+c\"d\\e\;f\<g\>h\=i@EXAMPLE.TEST,` +
				"cn=EXAMPLE.TEST,cn=krb5"},
		{"#lead", `krbPrincipalName=\#lead@EXAMPLE.TEST,cn=EXAMPLE.TEST,cn=krb5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, r.principalDN(tc.name))
		})
	}
	assert.Equal(t, `\ a\ `, escapeDNValue(" a "))
	assert.Equal(t, "ldapi://%2Ftmp%2Fx%20y%2Fldapi", ldapiURI("/tmp/x y/ldapi"))
}

// TestLDAPSlapdFails gives slapd a schema it cannot read: Start fails
// with slapd's own complaint, after stopping slapd and removing the
// directory with its log. It changes a package variable, so it is not
// parallel.
func TestLDAPSlapdFails(t *testing.T) {
	if !RequireChecked(t, CheckLDAPPrograms()) {
		return
	}
	bad := filepath.Join(t.TempDir(), "kerberos.schema")
	require.NoError(t, os.WriteFile(bad, []byte("attributetype ( nonsense\n"), 0o644))
	saved := kerberosSchemaPaths
	kerberosSchemaPaths = []string{bad}
	t.Cleanup(func() { kerberosSchemaPaths = saved })

	_, err := Start(testContext(t), Options{LDAP: true})
	require.ErrorIs(t, err, errExited)
	assert.Contains(t, err.Error(), "slapd")
	assert.Contains(t, err.Error(), "kerberos.schema")
	t.Logf("%v", err)
}
