package testrealm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testContext returns a context that ends with the test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// run runs an MIT program in the realm and returns its combined output.
func run(t *testing.T, r *Realm, stdin string, name string,
	args ...string) string {
	t.Helper()
	cmd := r.Command(testContext(t), name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
	return string(out)
}

func TestStartWritesRealm(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	begin := time.Now()
	r := ForTest(t, Options{Log: &log})
	t.Logf("realm started in %v", time.Since(begin))
	t.Logf("%s", log.String())

	assert.Equal(t, DefaultRealm, r.Name)
	assert.Equal(t, "127.0.0.1", r.Host)
	assert.Equal(t, "alice@"+DefaultRealm, r.UserPrincipal)
	assert.Equal(t, "HTTP/localhost@"+DefaultRealm, r.ServicePrincipal)
	assert.NotEmpty(t, r.Password)
	assert.NotZero(t, r.KDCPort)
	assert.Zero(t, r.KadminPort)
	assert.Zero(t, r.KpasswdPort)
	for _, p := range []string{r.ConfPath, r.KDCConfPath, r.UserKeytab,
		r.Keytab} {
		assert.FileExists(t, p)
	}
	assert.NotContains(t, log.String(), r.Password)

	conf, err := os.ReadFile(r.ConfPath)
	require.NoError(t, err)
	assert.Contains(t, string(conf),
		fmt.Sprintf("kdc = 127.0.0.1:%d\n", r.KDCPort))

	// The KDC answers on both transports.
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.KDCPort))
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestMITClients(t *testing.T) {
	t.Parallel()
	r := ForTest(t, Options{Realm: "CLIENTS.SAFEKRB5.TEST"})
	ctx := testContext(t)

	require.NoError(t, r.Kinit(ctx, "", r.UserPrincipal, r.Password))

	t.Run("klist shows a renewable forwardable TGT", func(t *testing.T) {
		out := run(t, r, "", "klist", "-f")
		assert.Contains(t, out, "Default principal: "+r.UserPrincipal)
		assert.Contains(t, out, "krbtgt/"+r.Name+"@"+r.Name)
		assert.Contains(t, out, "renew until")
		assert.Regexp(t, `Flags: [A-Za-z]*F[A-Za-z]*R`, out)
	})
	t.Run("kinit -R renews", func(t *testing.T) {
		run(t, r, "", "kinit", "-R")
	})
	t.Run("kvno gets a service ticket", func(t *testing.T) {
		out := run(t, r, "", "kvno", r.Service)
		assert.Contains(t, out, r.ServicePrincipal+": kvno = 1")
	})
	t.Run("service keytab matches the KDC", func(t *testing.T) {
		out := run(t, r, "", "kvno", "-k", r.Keytab, r.Service)
		assert.Contains(t, out, "keytab entry valid")
	})
	t.Run("user keytab works with kinit -k -t", func(t *testing.T) {
		cc := "FILE:" + filepath.Join(r.Dir, "keytab.ccache")
		run(t, r, "", "kinit", "-c", cc, "-k", "-t", r.UserKeytab,
			r.UserPrincipal)
		out := run(t, r, "", "klist", "-c", cc)
		assert.Contains(t, out, "Default principal: "+r.UserPrincipal)
	})
	t.Run("wrong password fails", func(t *testing.T) {
		cc := "FILE:" + filepath.Join(r.Dir, "wrong.ccache")
		err := r.Kinit(ctx, cc, r.UserPrincipal, "not-"+r.Password)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), r.Password)
	})
}

func TestAddPrincipalAndExportKeytab(t *testing.T) {
	t.Parallel()
	r := ForTest(t, Options{})
	ctx := testContext(t)

	tests := []struct {
		name, principal, password string
	}{
		{"with password", "bob", "correct horse battery"},
		{"random key", "host/localhost", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, r.AddPrincipal(ctx, tc.principal,
				tc.password))
			kt := filepath.Join(r.Dir, strings.ReplaceAll(tc.principal,
				"/", "_")+".keytab")
			require.NoError(t, r.ExportKeytab(ctx, tc.principal, kt))

			cc := "FILE:" + kt + ".ccache"
			run(t, r, "", "kinit", "-c", cc, "-k", "-t", kt, tc.principal)
			if tc.password != "" {
				require.NoError(t, r.Kinit(ctx, cc, tc.principal,
					tc.password))
			}
		})
	}

	t.Run("duplicate principal is an error", func(t *testing.T) {
		err := r.AddPrincipal(ctx, "bob", "another password")
		require.ErrorIs(t, err, ErrKadmin)
		assert.NotContains(t, err.Error(), "another password")
	})
	t.Run("query on a missing principal is an error", func(t *testing.T) {
		_, err := r.KadminLocal(ctx, "getprinc nobody")
		require.ErrorIs(t, err, ErrKadmin)
		var ke *KadminError
		require.ErrorAs(t, err, &ke)
		assert.Equal(t, "getprinc", ke.Query)
	})
	t.Run("query output is returned", func(t *testing.T) {
		out, err := r.KadminLocal(ctx, "getprinc krbtgt/"+r.Name)
		require.NoError(t, err)
		assert.Contains(t, out, "Maximum renewable life: 7 days")
	})
}

func TestKadmindChangesPassword(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	r := ForTest(t, Options{Kadmind: true, Log: &log})
	t.Logf("%s", log.String())
	ctx := testContext(t)
	require.NotZero(t, r.KadminPort)
	require.NotZero(t, r.KpasswdPort)

	const newPassword = "a new password for alice"
	run(t, r, r.Password+"\n"+newPassword+"\n"+newPassword+"\n",
		"kpasswd", r.UserPrincipal)
	require.NoError(t, r.Kinit(ctx, "", r.UserPrincipal, newPassword))
	require.Error(t, r.Kinit(ctx, "", r.UserPrincipal, r.Password))
}

func TestStopLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, kadmind := range []bool{false, true} {
		t.Run(fmt.Sprintf("kadmind=%v", kadmind), func(t *testing.T) {
			r := ForTest(t, Options{Kadmind: kadmind})
			pids := r.PIDs()
			if kadmind {
				require.Len(t, pids, 2)
			} else {
				require.Len(t, pids, 1)
			}

			begin := time.Now()
			require.NoError(t, r.Stop())
			t.Logf("stopped in %v", time.Since(begin))
			for _, pid := range pids {
				err := syscall.Kill(pid, 0)
				assert.ErrorIs(t, err, syscall.ESRCH, "pid %d", pid)
			}
			assert.NoDirExists(t, r.Dir)
			assert.Empty(t, r.PIDs())

			c, err := net.Dial("tcp",
				net.JoinHostPort(r.Host, strconv.Itoa(r.KDCPort)))
			if err == nil {
				c.Close()
			}
			assert.Error(t, err, "KDC port still accepts connections")
			assert.NoError(t, r.Stop(), "second Stop")
		})
	}
}

// fakeTB records what ForTest asks of a test.
type fakeTB struct {
	fatal, skip, errs []string
	cleanups          []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = append(f.fatal, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip = append(f.skip, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Cleanup(fn func())               { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Logf(format string, args ...any) {}

// TestMissingPrograms hides every program and checks the failure and skip
// paths. It changes PATH and a package variable, so it is not parallel.
func TestMissingPrograms(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := extraDirs
	extraDirs = nil
	t.Cleanup(func() { extraDirs = saved })

	err := CheckPrograms()
	require.ErrorIs(t, err, ErrMissingPrograms)
	var missing *MissingProgramsError
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, []string{"krb5-admin-server", "krb5-kdc", "krb5-user"},
		missing.Packages)
	assert.Contains(t, missing.Programs, "krb5kdc")
	assert.Contains(t, err.Error(),
		"apt-get install krb5-admin-server krb5-kdc krb5-user")

	_, err = Start(context.Background(), Options{})
	require.ErrorIs(t, err, ErrMissingPrograms)

	tests := []struct {
		name      string
		skipEnv   string
		wantFatal bool
	}{
		{"fails by default", "", true},
		{"fails when skip is not 1", "true", true},
		{"skips with SAFEKRB5_SKIP_INTEGRATION=1", "1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SkipEnv, tc.skipEnv)
			f := &fakeTB{}
			assert.Nil(t, ForTest(f, Options{}))
			if tc.wantFatal {
				require.Len(t, f.fatal, 1)
				assert.Contains(t, f.fatal[0], "krb5-kdc")
				assert.Empty(t, f.skip)
			} else {
				require.Len(t, f.skip, 1)
				assert.Contains(t, f.skip[0], "krb5-kdc")
				assert.Empty(t, f.fatal)
			}
			assert.Empty(t, f.cleanups)
		})
	}
}

// TestMissingLDAPPrograms hides the LDAP realm's programs and schema: the
// error names their packages beside MIT's. It changes PATH and package
// variables, so it is not parallel.
func TestMissingLDAPPrograms(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	savedDirs, savedSchemas := extraDirs, kerberosSchemaPaths
	extraDirs = nil
	kerberosSchemaPaths = []string{filepath.Join(t.TempDir(), "none")}
	t.Cleanup(func() {
		extraDirs, kerberosSchemaPaths = savedDirs, savedSchemas
	})

	err := CheckLDAPPrograms()
	var missing *MissingProgramsError
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, []string{"krb5-admin-server", "krb5-kdc", "krb5-kdc-ldap",
		"krb5-user", "ldap-utils", "slapd"}, missing.Packages)
	for _, p := range []string{"slapd", "ldapmodify", "kdb5_ldap_util",
		"kerberos.schema"} {
		assert.Contains(t, missing.Programs, p)
	}
	_, err = Start(context.Background(), Options{LDAP: true})
	require.ErrorIs(t, err, ErrMissingPrograms)

	t.Setenv(SkipEnv, "")
	f := &fakeTB{}
	assert.Nil(t, ForTest(f, Options{LDAP: true}))
	require.Len(t, f.fatal, 1)
	assert.Contains(t, f.fatal[0], "krb5-kdc-ldap krb5-user ldap-utils slapd")
}

func TestMissingProgramsErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &MissingProgramsError{
		Programs: []string{"kinit"}, Packages: []string{"krb5-user"}})
	assert.True(t, errors.Is(err, ErrMissingPrograms))
}
