package gssapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/goidentity/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testapache"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

var (
	realmOnce sync.Once
	shared    *testrealm.Realm
	realmErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test realm:", err)
			code = 1
		}
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
		shared, realmErr = testrealm.Start(ctx, testrealm.Options{LegacySessionKeys: true})
	})
	require.NoError(t, realmErr)
	return shared
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// client logs in as the realm's user.
func client(t *testing.T, r *testrealm.Realm) *krb5.Client {
	t.Helper()
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctxT(t)))
	return c
}

// acceptor loads the service keytab into a credential.
func acceptor(t *testing.T, r *testrealm.Realm, opts ...gssapi.AcceptorOption) *gssapi.AcceptorCredential {
	t.Helper()
	kt, err := krb5.LoadKeytab(r.Keytab)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	cred, err := gssapi.NewAcceptorCredential(kt, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { cred.Close() })
	return cred
}

// whoami answers with the identity the middleware put in the context,
// read both ways.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := gssapi.IdentityFromContext(r.Context())
	gid := goidentity.FromHTTPRequestContext(r)
	if !ok || gid == nil || gid.UserName() != id.UserName() {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "%s@%s", id.UserName(), id.Domain())
})

// server runs the middleware on 127.0.0.1, under the name localhost so
// that clients ask for HTTP/localhost.
func server(t *testing.T, cred *gssapi.AcceptorCredential) string {
	t.Helper()
	return serverWith(t, cred)
}

// serverWith is server with middleware options.
func serverWith(t *testing.T, cred *gssapi.AcceptorCredential,
	opts ...gssapi.MiddlewareOption) string {
	t.Helper()
	srv := httptest.NewServer(gssapi.Middleware(cred, opts...)(whoami))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

func get(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestOurClientAgainstMiddleware(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	hc := gssapi.NewClient(client(t, r), nil)
	for i := 0; i < 3; i++ {
		code, body := get(t, hc, url)
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, r.UserPrincipal, body)
	}
}

func TestNoOrBadHeader(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	for _, h := range []string{"", "Basic Zm9vOmJhcg==", "Negotiate", "Negotiate !!!",
		"Negotiate " + base64.StdEncoding.EncodeToString([]byte{0x60, 0x82, 0xff, 0xff}),
		"Negotiate " + base64.StdEncoding.EncodeToString([]byte("garbage token")),
		"Negotiate " + strings.Repeat("A", 200000)} {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "header %.40q", h)
		assert.True(t, strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate"))
	}
}

func TestReplayRefused(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	url := server(t, cred)
	c := client(t, r)
	in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost")
	require.NoError(t, err)
	defer in.Close()
	send := func() int {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send())
	assert.Equal(t, http.StatusUnauthorized, send(), "the same token again is a replay")

	// The same through the API: a typed error.
	_, _, err = cred.Accept(tok)
	assert.ErrorIs(t, err, gssapi.ErrReplay)
	assert.Equal(t, 1, cred.ReplayEntries())
}

func TestWrongKeytabRefused(t *testing.T) {
	r := testRealm(t)
	kt, err := krb5.LoadKeytab(r.UserKeytab) // no key for HTTP/localhost
	require.NoError(t, err)
	defer kt.Close()
	cred, err := gssapi.NewAcceptorCredential(kt)
	require.NoError(t, err)
	defer cred.Close()
	in, tok, err := gssapi.Initiate(ctxT(t), client(t, r), "HTTP/localhost")
	require.NoError(t, err)
	defer in.Close()
	_, _, err = cred.Accept(tok)
	assert.ErrorIs(t, err, gssapi.ErrNoCred)
	assert.ErrorIs(t, err, gssapi.ErrNoKey)
}

// TestCurlAgainstMiddleware: MIT's GSS-API, through curl, as the client.
func TestCurlAgainstMiddleware(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctxT(t), cc, r.User, r.Password))
	out := curl(t, r, cc, url)
	assert.Contains(t, out, "200")
	assert.Contains(t, out, r.UserPrincipal)
}

// curl runs curl --negotiate with the realm's configuration and cache cc,
// returning the status code and the body.
func curl(t *testing.T, r *testrealm.Realm, cc, url string) string {
	t.Helper()
	return curlWith(t, r.ConfPath, cc, url)
}

// curlWith is curl with the MIT configuration conf and more arguments.
func curlWith(t *testing.T, conf, cc, url string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is needed (Debian package curl)")
	cmd := exec.CommandContext(ctxT(t), path, append([]string{"-sS",
		"--negotiate", "-u", ":", "-w", "\n%{http_code}", url}, args...)...)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5CCNAME="+cc)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// TestOurClientAgainstApache: MIT's acceptor, inside mod_auth_gssapi,
// checks our tokens, and we check its mutual-authentication answer.
func TestOurClientAgainstApache(t *testing.T) {
	r := testRealm(t)
	if err := testapache.CheckPrograms(); err != nil && os.Getenv(testrealm.SkipEnv) == "1" {
		t.Skip(err)
	}
	srv := testapache.ForTest(t, r)
	hc := gssapi.NewClient(client(t, r), nil)
	for i := 0; i < 3; i++ {
		code, body := get(t, hc, srv.URL)
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, body, r.UserPrincipal)
	}
	// Raw Kerberos, without SPNEGO, is accepted by mod_auth_gssapi too.
	in, tok, err := gssapi.Initiate(ctxT(t), client(t, r), "HTTP/localhost", gssapi.RawKerberos())
	require.NoError(t, err)
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := resp.Header.Get("WWW-Authenticate")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Negotiate "))
	require.NoError(t, err)
	sc, err := in.Finish(raw)
	require.NoError(t, err)
	assert.Equal(t, r.UserPrincipal, sc.ClientName())
	require.NoError(t, sc.Close())
}

func TestClosedCredentialAnswers503(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	url := server(t, cred)
	hc := gssapi.NewClient(client(t, r), nil)
	code, _ := get(t, hc, url)
	require.Equal(t, http.StatusOK, code)
	require.NoError(t, cred.Close())
	resp, err := hc.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}
