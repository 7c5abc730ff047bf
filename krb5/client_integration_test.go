package krb5_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// realm starts one MIT realm per test binary run; the tests in this file
// share it, as they only read from it.
var (
	realmOnce sync.Once
	shared    *testrealm.Realm
	realmErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			println("stopping the test realm:", err.Error())
			code = 1
		}
	}
	if err := testsamba.RemoveTemplate(); err != nil {
		println("removing the Samba template:", err.Error())
		code = 1
	}
	os.Exit(code)
}

func testRealm(t *testing.T) *testrealm.Realm {
	t.Helper()
	if !testrealm.RequirePrograms(t) {
		return nil
	}
	realmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared, realmErr = testrealm.Start(ctx, testrealm.Options{})
	})
	require.NoError(t, realmErr, "starting the MIT realm")
	return shared
}

func realmConfig(t *testing.T, r *testrealm.Realm) *config.Config {
	t.Helper()
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	return cfg
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func passwordClient(t *testing.T, r *testrealm.Realm, opts ...krb5.Option) *krb5.Client {
	t.Helper()
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, realmConfig(t, r), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPasswordLoginAndServiceTicket(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c := passwordClient(t, r)
	require.NoError(t, c.Login(ctx))

	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, "krbtgt/"+r.Name+"@"+r.Name, tgt.ServerName())
	assert.Equal(t, r.UserPrincipal, tgt.ClientName())
	assert.True(t, tgt.EndTime.After(time.Now()))
	assert.True(t, tgt.Renewable(), "renew_lifetime is set in the realm's krb5.conf")
	assert.True(t, tgt.Forwardable())

	st, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.ServicePrincipal, st.ServerName())
	assert.NotZero(t, st.Ticket.EncPart.KVNO)

	again, err := c.ServiceTicket(ctx, r.Service+"@"+r.Name)
	require.NoError(t, err)
	assert.Same(t, st, again, "the second request is served from the cache")
}

func TestWrongPasswordIsPreauthFailed(t *testing.T) {
	r := testRealm(t)
	c, err := krb5.NewWithPassword(r.User, r.Name, "not the password", realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctxT(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, krb5.ErrPreauthFailed)
	var kerr *krb5.KDCError
	require.ErrorAs(t, err, &kerr)
	assert.EqualValues(t, 24, kerr.Code, "KDC_ERR_PREAUTH_FAILED")
	assert.NotContains(t, err.Error(), "not the password")
}

func TestUnknownClient(t *testing.T) {
	r := testRealm(t)
	c, err := krb5.NewWithPassword("nobody", r.Name, "x", realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctxT(t))
	assert.ErrorIs(t, err, krb5.ErrClientNotFound)
}

func TestUnknownService(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c := passwordClient(t, r)
	require.NoError(t, c.Login(ctx))
	_, err := c.ServiceTicket(ctx, "HTTP/no-such-host")
	assert.ErrorIs(t, err, krb5.ErrServerNotFound)
}

func TestKeytabLogin(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	kt, err := krb5.LoadKeytab(r.UserKeytab)
	require.NoError(t, err)
	defer kt.Close()
	c, err := krb5.NewWithKeytab(r.User, r.Name, kt, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
}

func TestLoginOptions(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c := passwordClient(t, r, krb5.WithLifetime(time.Hour),
		krb5.WithRenewableLifetime(2*time.Hour), krb5.Forwardable(false))
	require.NoError(t, c.Login(ctx))
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(time.Hour), tgt.EndTime, time.Minute)
	assert.WithinDuration(t, time.Now().Add(2*time.Hour), tgt.RenewTill, time.Minute)
	assert.False(t, tgt.Forwardable())
}

// TestCCacheFromMIT logs in with MIT's kinit and uses its cache.
func TestCCacheFromMIT(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	c, err := krb5.NewFromCCache("FILE:"+cc, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, r.UserPrincipal, c.PrincipalString())
	require.NoError(t, c.Login(ctx), "a valid TGT counts as logged in")
	st, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.ServicePrincipal, st.ServerName())
}

// TestCCacheToMIT writes our cache and has MIT's klist and kvno use it.
func TestCCacheToMIT(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c := passwordClient(t, r)
	require.NoError(t, c.Login(ctx))
	_, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, c.WriteCCache(cc))
	fi, err := os.Stat(cc)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	out, err := r.Command(ctx, "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Default principal: "+r.UserPrincipal)
	assert.Contains(t, string(out), "krbtgt/"+r.Name+"@"+r.Name)
	assert.Contains(t, string(out), r.ServicePrincipal)

	out, err = r.Command(ctx, "kvno", "-c", cc, r.Service).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "kvno = ")

	// And back: MIT's kvno added nothing we cannot read.
	c2, err := krb5.NewFromCCache(cc, realmConfig(t, r))
	require.NoError(t, err)
	defer c2.Close()
	tickets, err := c2.Tickets()
	require.NoError(t, err)
	require.Len(t, tickets, 1)
	assert.Equal(t, r.ServicePrincipal, tickets[0].ServerName())
}

func TestCCacheErrors(t *testing.T) {
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\ndefault_realm = X\n"))
	require.NoError(t, err)
	dir := t.TempDir()
	_, err = krb5.NewFromCCache(filepath.Join(dir, "missing"), cfg)
	assert.ErrorIs(t, err, krb5.ErrCCNotFound)

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte{5, 4, 0, 12, 0}, 0o600))
	_, err = krb5.NewFromCCache(bad, cfg)
	assert.ErrorIs(t, err, krb5.ErrCCFormat)

	_, err = krb5.NewFromCCache("KEYRING:persistent:0", cfg)
	assert.ErrorIs(t, err, krb5.ErrNotSupported)
}

// TestKDCUnreachable: a realm whose KDC does not answer fails within the
// configured timeout with a typed error.
func TestKDCUnreachable(t *testing.T) {
	port, err := testrealm.FreePort()
	require.NoError(t, err)
	cfg, err := krb5.ParseConfig("test", []byte(
		"[libdefaults]\ndefault_realm = DEAD.TEST\ndns_lookup_kdc = false\n"+
			"[realms]\nDEAD.TEST = {\n kdc = 127.0.0.1:"+strconv.Itoa(port)+"\n}\n"))
	require.NoError(t, err)
	c, err := krb5.NewWithPassword("u", "DEAD.TEST", "p", cfg,
		krb5.WithKDCTimeout(300*time.Millisecond))
	require.NoError(t, err)
	defer c.Close()
	begin := time.Now()
	err = c.Login(context.Background())
	assert.ErrorIs(t, err, krb5.ErrKDCUnreachable)
	assert.Less(t, time.Since(begin), 5*time.Second)
}

// TestCloseRacesCalls closes a client while 32 goroutines use it: every
// call either succeeds or fails with the closed error, and nothing
// panics or races.
func TestCloseRacesCalls(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, realmConfig(t, r))
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))

	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	var ok, closed int
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			for j := 0; j < 20; j++ {
				var err error
				switch (i + j) % 3 {
				case 0:
					_, err = c.ServiceTicket(ctx, r.Service)
				case 1:
					var tgt *krb5.ServiceTicket
					if tgt, err = c.TGT(); err == nil {
						_ = tgt.ServerName()
					}
				default:
					_, err = c.Tickets()
				}
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, krb5.ErrClosed):
					closed++
				default:
					t.Errorf("call %d/%d: unexpected error: %v", i, j, err)
				}
				mu.Unlock()
			}
		}(i)
	}
	close(start)
	time.Sleep(2 * time.Millisecond)
	require.NoError(t, c.Close())
	wg.Wait()
	t.Logf("%d calls succeeded, %d saw the closed error", ok, closed)
	assert.ErrorIs(t, c.Close(), krb5.ErrClosed)
	assert.ErrorIs(t, c.Login(ctx), krb5.ErrClosed)
}

// TestGokrb5Shapes: a cache loaded by gokrb5 and gokrb5's ticket call.
func TestGokrb5Shapes(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	gcc, err := credentials.LoadCCache(cc)
	require.NoError(t, err)
	c, err := krb5.NewFromGokrb5CCache(gcc, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	tkt, key, err := c.GetServiceTicket(r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.Service, strings.Join(tkt.SName.NameString, "/"))
	assert.NotEmpty(t, key.KeyValue)
}
