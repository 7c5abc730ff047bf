package gssapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// backendSPN is a second service of the test realm, which the acceptor
// reaches in the initiator's name with the delegated TGT.
const backendSPN = "host/backend.localhost"

var backendOnce sync.Once

func addBackend(t *testing.T, r *testrealm.Realm) {
	t.Helper()
	var err error
	backendOnce.Do(func() { err = r.AddPrincipal(ctxT(t), backendSPN, "") })
	require.NoError(t, err)
}

// useDelegated turns the context's delegated TGT into a client, gets a
// ticket for the backend with it and returns "client -> server" of the
// ticket. It runs in handlers too, so it returns its errors.
func useDelegated(ctx context.Context, r *testrealm.Realm,
	sc *gssapi.SecurityContext) (string, error) {
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	if err != nil {
		return "", err
	}
	dc, err := sc.DelegatedClient(cfg)
	if err != nil {
		return "", err
	}
	defer dc.Close()
	tkt, err := dc.ServiceTicket(ctx, backendSPN)
	if err != nil {
		return "", err
	}
	return tkt.ClientName() + " -> " + tkt.ServerName(), nil
}

func TestDelegationToOurAcceptor(t *testing.T) {
	r := testRealm(t)
	addBackend(t, r)
	cred := acceptor(t, r)
	c := client(t, r)

	t.Run("delegated", func(t *testing.T) {
		in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost",
			gssapi.WithFlags(gssapi.DefaultInitFlags|gssapi.FlagDeleg))
		require.NoError(t, err)
		defer in.Close()
		sc, out, err := cred.Accept(tok)
		require.NoError(t, err)
		defer sc.Close()
		assert.True(t, sc.Delegated())
		assert.NotZero(t, sc.Flags&gssapi.FlagDeleg)
		isc, err := in.Finish(out)
		require.NoError(t, err)
		defer isc.Close()
		assert.NotZero(t, isc.Flags&gssapi.FlagDeleg)
		got, err := useDelegated(ctxT(t), r, sc)
		require.NoError(t, err)
		assert.Equal(t, r.UserPrincipal+" -> "+backendSPN+"@"+r.Name, got)

		// The delegated client writes a cache MIT's klist reads.
		cfg, err := krb5.LoadConfigFile(r.ConfPath)
		require.NoError(t, err)
		dc, err := sc.DelegatedClient(cfg)
		require.NoError(t, err)
		defer dc.Close()
		cc := filepath.Join(t.TempDir(), "delegated")
		require.NoError(t, dc.WriteCCache(cc))
		out2, err := r.Command(ctxT(t), "klist", "-f", "-c", cc).CombinedOutput()
		require.NoError(t, err, "%s", out2)
		assert.Contains(t, string(out2), "krbtgt/"+r.Name+"@"+r.Name)
		assert.Contains(t, string(out2), "Flags: Ff", "forwardable and forwarded")
	})

	t.Run("not asked", func(t *testing.T) {
		in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost")
		require.NoError(t, err)
		defer in.Close()
		sc, _, err := cred.Accept(tok)
		require.NoError(t, err)
		defer sc.Close()
		assert.False(t, sc.Delegated())
		_, err = sc.DelegatedClient(c.Config())
		assert.ErrorIs(t, err, gssapi.ErrNotDelegated)
	})
}

// TestCurlDelegatesToMiddleware: MIT's initiator, through curl
// --delegation always, forwards its TGT, and the handler uses it.
func TestCurlDelegatesToMiddleware(t *testing.T) {
	r := testRealm(t)
	addBackend(t, r)
	cred := acceptor(t, r)
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sc, ok := gssapi.SecurityContextFromContext(req.Context())
		if !ok || !sc.Delegated() {
			http.Error(w, "no delegation", http.StatusForbidden)
			return
		}
		got, err := useDelegated(req.Context(), r, sc)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, got)
	})
	srv := httptest.NewServer(gssapi.Middleware(cred)(h))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctxT(t), cc, r.User, r.Password))
	path, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is needed (Debian package curl)")
	cmd := r.Command(ctxT(t), path, "-sS", "--negotiate", "-u", ":",
		"--delegation", "always", "-w", "\n%{http_code}", url)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cc)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "200")
	assert.Contains(t, string(out), r.UserPrincipal+" -> "+backendSPN+"@"+r.Name)
}

// TestDelegationPolicy: FlagDelegPolicy delegates only to services whose
// tickets the KDC marks OK-AS-DELEGATE (kadmin's +ok_as_delegate);
// FlagDeleg delegates to any. One credential accepts both services,
// whose keys share a keytab.
func TestDelegationPolicy(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	ctx := ctxT(t)
	suffix := fmt.Sprint(time.Now().UnixNano())
	trusted := "HTTP/trusted-" + suffix + ".localhost"
	untrusted := "HTTP/untrusted-" + suffix + ".localhost"
	kt := filepath.Join(t.TempDir(), "kt")
	for _, spn := range []string{trusted, untrusted} {
		require.NoError(t, r.AddPrincipal(ctx, spn, ""))
		require.NoError(t, r.ExportKeytab(ctx, spn, kt))
	}
	_, err := r.KadminLocal(ctx, "modprinc +ok_as_delegate "+trusted)
	require.NoError(t, err)
	keytab, err := krb5.LoadKeytab(kt)
	require.NoError(t, err)
	defer keytab.Close()
	cred, err := gssapi.NewAcceptorCredential(keytab)
	require.NoError(t, err)
	defer cred.Close()

	const both = gssapi.FlagDeleg | gssapi.FlagDelegPolicy
	cases := []struct {
		name      string
		spn       string
		flags     uint32
		delegated bool
		want      uint32 // the delegation flags both ends report
	}{
		{"policy, OK-AS-DELEGATE", trusted, gssapi.FlagDelegPolicy, true, both},
		{"policy, not OK-AS-DELEGATE", untrusted, gssapi.FlagDelegPolicy, false, 0},
		{"deleg, not OK-AS-DELEGATE", untrusted, gssapi.FlagDeleg, true, gssapi.FlagDeleg},
		{"both, not OK-AS-DELEGATE", untrusted, both, true, gssapi.FlagDeleg},
		{"none, OK-AS-DELEGATE", trusted, 0, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, tok, err := gssapi.Initiate(ctx, c, tc.spn,
				gssapi.WithFlags(gssapi.DefaultInitFlags|tc.flags))
			require.NoError(t, err)
			defer in.Close()
			sc, out, err := cred.Accept(tok)
			require.NoError(t, err)
			defer sc.Close()
			assert.Equal(t, tc.spn+"@"+r.Name, sc.ServerName())
			assert.Equal(t, tc.delegated, sc.Delegated())
			assert.Equal(t, tc.want, sc.Flags&both, "the acceptor's flags %#x", sc.Flags)
			isc, err := in.Finish(out)
			require.NoError(t, err)
			defer isc.Close()
			assert.Equal(t, tc.want, isc.Flags&both, "the initiator's flags %#x", isc.Flags)
		})
	}
}
