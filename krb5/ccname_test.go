package krb5_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/testapache"
	"github.com/safekrb5/safekrb5/krb5"
)

func TestCCachePathNames(t *testing.T) {
	dir := t.TempDir()
	coll := filepath.Join(dir, "coll")
	require.NoError(t, os.MkdirAll(coll, 0o700))
	named := filepath.Join(dir, "named")
	require.NoError(t, os.MkdirAll(named, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(named, "primary"),
		[]byte("tktAbC\n"), 0o600))
	evil := filepath.Join(dir, "evil")
	require.NoError(t, os.MkdirAll(evil, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(evil, "primary"),
		[]byte("../../etc/passwd\n"), 0o600))

	tests := []struct {
		name, in, want string
		err            error
	}{
		{"bare path", "/tmp/x", "/tmp/x", nil},
		{"FILE", "FILE:/tmp/y", "/tmp/y", nil},
		{"relative with colon in dir", "./a:b/c", "./a:b/c", nil},
		{"DIR without primary", "DIR:" + coll, coll + "/tkt", nil},
		{"DIR with primary", "DIR:" + named, named + "/tktAbC", nil},
		{"DIR member", "DIR::" + coll + "/tktX", coll + "/tktX", nil},
		{"DIR member not tkt", "DIR::" + coll + "/x", "", krb5.ErrCCNotFound},
		{"DIR primary escaping", "DIR:" + evil, "", krb5.ErrCCFormat},
		{"empty FILE", "FILE:", "", krb5.ErrCCNotFound},
		{"MEMORY has no file", "MEMORY:x", "", krb5.ErrNotSupported},
		{"KEYRING", "KEYRING:persistent:0", "", krb5.ErrNotSupported},
		{"KCM", "KCM:", "", krb5.ErrNotSupported},
		{"API", "API:foo", "", krb5.ErrNotSupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := krb5.CCachePath(tc.in)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestUnsupportedCCacheType(t *testing.T) {
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\ndefault_realm = X\n"))
	require.NoError(t, err)
	for _, name := range []string{"KEYRING:persistent:0", "KCM:1000", "API:x"} {
		t.Run(name, func(t *testing.T) {
			_, err := krb5.NewFromCCache(name, cfg)
			require.ErrorIs(t, err, krb5.ErrNotSupported)
			var ute *krb5.UnsupportedTypeError
			require.ErrorAs(t, err, &ute)
			assert.Equal(t, strings.Split(name, ":")[0], ute.Type)
			assert.Contains(t, err.Error(), "not supported")
		})
	}
}

// TestMemoryCCache: a MEMORY cache is shared by clients of the process,
// safe for concurrent use, and gone when the module is torn down.
func TestMemoryCCache(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	lib, err := krb5.Open()
	require.NoError(t, err)

	c := passwordClient(t, r)
	require.NoError(t, c.Login(ctx))
	require.NoError(t, c.WriteCCache("MEMORY:shared"))

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- c.WriteCCache("MEMORY:shared")
		}()
		go func() {
			defer wg.Done()
			c2, err := krb5.NewFromCCache("MEMORY:shared", cfg)
			if err == nil {
				if c2.PrincipalString() != r.UserPrincipal {
					err = fmt.Errorf("principal %s", c2.PrincipalString())
				}
				c2.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	c2, err := krb5.NewFromCCache("MEMORY:shared", cfg)
	require.NoError(t, err)
	st, err := c2.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.ServicePrincipal, st.ServerName())
	require.NoError(t, c2.Close())

	require.NoError(t, krb5.DestroyCCache("MEMORY:shared"))
	_, err = krb5.NewFromCCache("MEMORY:shared", cfg)
	require.ErrorIs(t, err, krb5.ErrCCNotFound)
	require.ErrorIs(t, krb5.DestroyCCache("MEMORY:shared"), krb5.ErrCCNotFound)

	// Teardown releases MEMORY caches: once nothing holds the module,
	// the next generation starts empty.
	require.NoError(t, c.WriteCCache("MEMORY:gone"))
	require.NoError(t, c.Close())
	require.NoError(t, lib.Close())
	if krb5.ModuleStats().State != "not loaded" {
		t.Skip("another reference keeps the krb5 module loaded")
	}
	_, err = krb5.NewFromCCache("MEMORY:gone", cfg)
	require.ErrorIs(t, err, krb5.ErrCCNotFound)
}

// TestDirCCacheMIT: a DIR collection MIT's kinit made is read through its
// primary file, and one we write is listed by MIT's klist.
func TestDirCCacheMIT(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)

	mitDir := filepath.Join(t.TempDir(), "mit")
	require.NoError(t, r.Kinit(ctx, "DIR:"+mitDir, r.User, r.Password))
	c, err := krb5.NewFromCCache("DIR:"+mitDir, cfg)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, r.UserPrincipal, c.PrincipalString())
	primary, err := os.ReadFile(filepath.Join(mitDir, "primary"))
	require.NoError(t, err)
	member := filepath.Join(mitDir, strings.TrimSpace(string(primary)))
	c3, err := krb5.NewFromCCache("DIR::"+member, cfg)
	require.NoError(t, err)
	require.NoError(t, c3.Close())

	ourDir := filepath.Join(t.TempDir(), "ours")
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	require.NoError(t, c.WriteCCache("DIR:"+ourDir))
	fi, err := os.Stat(ourDir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	b, err := os.ReadFile(filepath.Join(ourDir, "primary"))
	require.NoError(t, err)
	assert.Equal(t, "tkt\n", string(b))
	fi, err = os.Stat(filepath.Join(ourDir, "tkt"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	out, err := r.Command(ctx, "klist", "-c", "DIR:"+ourDir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Default principal: "+r.UserPrincipal)
	assert.Contains(t, string(out), r.ServicePrincipal)

	// A second member beside the primary one.
	require.NoError(t, c.WriteCCache("DIR::"+filepath.Join(ourDir, "tktSecond")))
	out, err = r.Command(ctx, "klist", "-c",
		"DIR::"+filepath.Join(ourDir, "tktSecond")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), r.UserPrincipal)

	require.NoError(t, krb5.DestroyCCache("DIR:"+ourDir))
	_, err = os.Stat(filepath.Join(ourDir, "tkt"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

// TestMITConfigEntriesRead: MIT's kinit writes configuration entries
// (X-CACHECONF: fast_avail, pa_type, ...) beside the TGT; we read past
// them, keep the TGT, and MIT's klist still reads the cache we write.
func TestMITConfigEntriesRead(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	raw, err := ccachefile.ReadFile(cc)
	require.NoError(t, err)
	defer raw.Wipe()
	var keys []string
	for _, cred := range raw.Credentials {
		if cred.IsConfig() {
			keys = append(keys, cred.Server.Components[1])
		}
	}
	require.Contains(t, keys, "pa_type", "MIT's kinit records the preauth type")

	c, err := krb5.NewFromCCache(cc, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, "krbtgt/"+r.Name+"@"+r.Name, tgt.ServerName())
}

// TestCurlUsesOurCCache: curl --negotiate, through MIT's GSS-API, logs in
// to Apache with a ticket cache we wrote.
func TestCurlUsesOurCCache(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	s := testapache.ForTest(t, r)
	c := passwordClient(t, r)
	require.NoError(t, c.Login(ctx))
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, c.WriteCCache("FILE:"+cc))

	cmd := r.Command(ctx, "curl", "--silent", "--show-error", "--negotiate",
		"-u", ":", "--write-out", "\n%{http_code}", s.URL)
	cmd.Env = append(cmd.Env, "KRB5CCNAME=FILE:"+cc)
	out, err := cmd.Output()
	require.NoError(t, err, "curl: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.NotEmpty(t, lines)
	assert.Equal(t, fmt.Sprint(http.StatusOK), lines[len(lines)-1], "%s", out)
	assert.Contains(t, string(out), r.UserPrincipal)
}
