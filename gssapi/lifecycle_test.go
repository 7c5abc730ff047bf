package gssapi_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestGSSAPITeardownLeavesKRB5 releases every gssapi object, which tears
// the gssapi module down, while a krb5 client stays in use; gssapi then
// loads again, many times over, each time as a new generation.
func TestGSSAPITeardownLeavesKRB5(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c := client(t, r)
	kt, err := krb5.LoadKeytab(r.Keytab)
	require.NoError(t, err)
	defer kt.Close()

	accept := func() uint64 {
		cred, err := gssapi.NewAcceptorCredential(kt)
		require.NoError(t, err)
		gen := gssapi.ModuleStats().Generation
		in, tok, err := gssapi.Initiate(ctx, c, "HTTP/localhost")
		require.NoError(t, err)
		sc, _, err := cred.Accept(tok)
		require.NoError(t, err)
		assert.Equal(t, r.UserPrincipal, sc.ClientName())
		require.NoError(t, in.Close(), "an initiator is a gssapi object too")
		require.NoError(t, sc.Close())
		require.NoError(t, cred.Close())
		return gen
	}
	before := gssapi.ModuleStats()
	g1 := accept()
	after := gssapi.ModuleStats()
	assert.Equal(t, "not loaded", after.State, "the last gssapi object took the module with it")
	assert.Equal(t, before.Teardowns+1, after.Teardowns)

	k := krb5.ModuleStats()
	assert.Equal(t, "loaded", k.State)
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err, "krb5 is intact after gssapi's teardown")

	g2 := accept()
	assert.Greater(t, g2, g1, "a reload is a new generation")

	// Load and tear down gssapi many times; each cycle is complete.
	const cycles = 1000
	for i := 0; i < cycles; i++ {
		cred, err := gssapi.NewAcceptorCredential(kt)
		require.NoError(t, err)
		require.NoError(t, cred.Close())
	}
	assert.Equal(t, after.Teardowns+1+cycles, gssapi.ModuleStats().Teardowns)
	assert.Equal(t, "loaded", krb5.ModuleStats().State)
}

// TestCloseRacesAccepts closes the credential while requests are being
// authenticated on 16 goroutines: each request gets 200 or 503, never a
// panic, a race or a hang.
func TestCloseRacesAccepts(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	url := server(t, cred)
	hc := gssapi.NewClient(client(t, r), nil)
	var ok, unavailable atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				resp, err := hc.Get(url)
				if !assert.NoError(t, err) {
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusServiceUnavailable:
					unavailable.Add(1)
					return
				default:
					t.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	for ok.Load() < 64 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cred.Close())
	wg.Wait()
	t.Logf("%d requests authenticated, %d refused after Close", ok.Load(), unavailable.Load())
	assert.Equal(t, int64(16), unavailable.Load())
}

// entryPointsChild names the environment variable that makes
// TestEntryPointsRefuseAfterTeardown run its body, which tears gssapi
// down for good, in a child process of its own.
const entryPointsChild = "SAFEKRB5_GSSAPI_ENTRY_POINTS_CHILD"

// TestEntryPointsRefuseAfterTeardown checks that the entry points that
// make state fail with the module's error while gssapi is shutting down
// and after it was closed, before they read a keytab or ask a KDC: the
// client's KDC is a closed port, so a call that got that far would fail
// with a network error instead.
func TestEntryPointsRefuseAfterTeardown(t *testing.T) {
	if os.Getenv(entryPointsChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEntryPointsRefuseAfterTeardown$",
			"-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), entryPointsChild+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "refused as expected")
		return
	}
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = X.TEST\n"+
		"[realms]\n X.TEST = {\n  kdc = 127.0.0.1:1\n }\n"))
	require.NoError(t, err)
	c, err := krb5.NewWithPassword("alice", "X.TEST", "pw", cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	kt := emptyKeytab(t)
	file := filepath.Join(t.TempDir(), "keytab")
	require.NoError(t, kt.Save(file))

	calls := []struct {
		name string
		call func() error
	}{
		{"Initiate", func() error {
			_, _, err := gssapi.Initiate(context.Background(), c, "HTTP/x.test")
			return err
		}},
		{"InitiateWithTicket", func() error {
			_, _, err := gssapi.InitiateWithTicket(&krb5.ServiceTicket{})
			return err
		}},
		{"NewAcceptorCredential", func() error {
			_, err := gssapi.NewAcceptorCredential(kt)
			return err
		}},
		{"NewAcceptorCredentialFromFile", func() error {
			_, err := gssapi.NewAcceptorCredentialFromFile(file)
			return err
		}},
	}
	check := func(want error) {
		for _, tc := range calls {
			t.Run(tc.name, func(t *testing.T) {
				require.ErrorIs(t, tc.call(), want)
			})
		}
	}

	cred, err := gssapi.NewAcceptorCredential(kt)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, gssapi.Shutdown(ctx), gssapi.ErrBusy, "the credential is alive")
	check(gssapi.ErrShuttingDown)

	require.NoError(t, gssapi.Close())
	check(gssapi.ErrFinalized)
	require.NoError(t, cred.Close())
	t.Log("refused as expected")
}
