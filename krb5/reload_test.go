package krb5_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// writeConf writes a krb5.conf for the test realm whose KDC list is kdcs.
func writeConf(t *testing.T, r *testrealm.Realm, name string, kdcs ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n", r.Name)
	fmt.Fprintf(&b, "[realms]\n %s = {\n", r.Name)
	for _, k := range kdcs {
		fmt.Fprintf(&b, "  kdc = %s\n", k)
	}
	b.WriteString(" }\n")
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

func deadKDC(t *testing.T) string {
	port, err := testrealm.FreePort()
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// TestReloadConfig: a client starts with a configuration naming only a
// dead KDC, is given the right one, and keeps it when a broken file is
// offered next.
func TestReloadConfig(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	live := fmt.Sprintf("127.0.0.1:%d", r.KDCPort)
	deadPath := writeConf(t, r, "dead.conf", deadKDC(t))
	cfg, err := krb5.LoadConfigFile(deadPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithKDCTimeout(200*time.Millisecond), krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.ErrorIs(t, c.Login(ctx), krb5.ErrKDCUnreachable)

	require.NoError(t, c.ReloadConfig(writeConf(t, r, "live.conf", live)))
	require.NoError(t, c.Login(ctx))

	broken := filepath.Join(t.TempDir(), "broken.conf")
	require.NoError(t, os.WriteFile(broken, []byte("[libdefaults\n"), 0o644))
	err = c.ReloadConfig(broken)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken.conf:")
	require.NoError(t, c.Login(ctx), "the old configuration is still in force")
}

// TestConfigSwapsUnderLoad swaps between a configuration with a dead KDC
// first and one without it while logins run: every login succeeds.
func TestConfigSwapsUnderLoad(t *testing.T) {
	r := testRealm(t)
	live := fmt.Sprintf("127.0.0.1:%d", r.KDCPort)
	withDead, err := krb5.LoadConfigFile(writeConf(t, r, "a.conf", deadKDC(t), live))
	require.NoError(t, err)
	onlyLive, err := krb5.LoadConfigFile(writeConf(t, r, "b.conf", live))
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, onlyLive,
		krb5.WithKDCTimeout(100*time.Millisecond), krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var logins, swaps atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := c.Login(context.Background())
				if !assert.NoError(t, err) {
					return
				}
				logins.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			cfg := onlyLive
			if i%2 == 0 {
				cfg = withDead
			}
			assert.NoError(t, c.SetConfig(cfg))
			swaps.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	t.Logf("%d logins across %d configuration swaps", logins.Load(), swaps.Load())
	assert.Positive(t, logins.Load())
}

// TestCCacheRewrittenByKinit: a client made from a cache picks up the TGT
// that MIT's kinit writes into the same file later.
func TestCCacheRewrittenByKinit(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	c, err := krb5.NewFromCCache(cc, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	first, err := c.TGT()
	require.NoError(t, err)

	time.Sleep(1100 * time.Millisecond) // a later authtime, to the second
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	require.NoError(t, c.Login(ctx))
	second, err := c.TGT()
	require.NoError(t, err)
	assert.NotSame(t, first, second)
	assert.True(t, second.AuthTime.After(first.AuthTime))
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
}
