package gssapi_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

// selfSigned makes a throwaway certificate for 127.0.0.1 with key.
func selfSigned(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert
}

func TestChannelBindingsHash(t *testing.T) {
	// RFC 4121 section 4.1.1.2: little-endian integers, lengths before
	// each address and the application data.
	cb := &gssapi.ChannelBindings{
		InitiatorAddrType: 2, InitiatorAddress: []byte{127, 0, 0, 1},
		AcceptorAddrType: 2, AcceptorAddress: []byte{127, 0, 0, 2},
		ApplicationData: []byte("app"),
	}
	layout := []byte{
		2, 0, 0, 0, 4, 0, 0, 0, 127, 0, 0, 1,
		2, 0, 0, 0, 4, 0, 0, 0, 127, 0, 0, 2,
		3, 0, 0, 0, 'a', 'p', 'p',
	}
	assert.Equal(t, md5.Sum(layout), cb.Hash())
	var none *gssapi.ChannelBindings
	assert.Equal(t, [16]byte{}, none.Hash(), "no bindings hash to zeros")
}

func TestTLSServerEndPoint(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cert := selfSigned(t, ec)
	cb, err := gssapi.TLSServerEndPointOf(cert)
	require.NoError(t, err)
	sum := sha256.Sum256(cert.Raw)
	assert.Equal(t, append([]byte("tls-server-end-point:"), sum[:]...), cb.ApplicationData)
	assert.Empty(t, cb.InitiatorAddress)

	cs := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	fromConn, err := gssapi.TLSServerEndPoint(cs)
	require.NoError(t, err)
	assert.Equal(t, cb.Hash(), fromConn.Hash())

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	_, err = gssapi.TLSServerEndPointOf(selfSigned(t, edKey))
	assert.ErrorIs(t, err, gssapi.ErrNoChannelBindings, "Ed25519 names no hash")
	_, err = gssapi.TLSServerEndPoint(nil)
	assert.ErrorIs(t, err, gssapi.ErrNoChannelBindings)
	_, err = gssapi.TLSServerEndPoint(&tls.ConnectionState{})
	assert.ErrorIs(t, err, gssapi.ErrNoChannelBindings)
}

func TestAcceptChannelBindings(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	c := client(t, r)
	ours := &gssapi.ChannelBindings{ApplicationData: []byte("tls-server-end-point:ours")}
	other := &gssapi.ChannelBindings{ApplicationData: []byte("tls-server-end-point:other")}
	cases := []struct {
		name     string
		initiate *gssapi.ChannelBindings
		accept   []gssapi.AcceptOption
		bound    bool
		err      error
	}{
		{"matching", ours, []gssapi.AcceptOption{gssapi.AcceptBindings(ours)}, true, nil},
		{"one of several", ours,
			[]gssapi.AcceptOption{gssapi.AcceptBindings(other, ours)}, true, nil},
		{"acceptor has none", ours, nil, false, nil},
		{"initiator has none", nil, []gssapi.AcceptOption{gssapi.AcceptBindings(ours)},
			false, nil},
		{"initiator has none, required", nil, []gssapi.AcceptOption{
			gssapi.AcceptBindings(ours), gssapi.RequireBindings()}, false,
			gssapi.ErrBadBindings},
		{"mismatch", other, []gssapi.AcceptOption{gssapi.AcceptBindings(ours)}, false,
			gssapi.ErrBadBindings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost",
				gssapi.WithBindings(tc.initiate))
			require.NoError(t, err)
			defer in.Close()
			sc, _, err := cred.Accept(tok, tc.accept...)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			defer sc.Close()
			assert.Equal(t, tc.bound, sc.ChannelBound)
		})
	}
}

// boundHandler answers "bound" or "unbound" after the middleware, and
// counts the requests that reached the server.
type boundHandler struct{ hits atomic.Int32 }

func (h *boundHandler) counting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hits.Add(1)
		next.ServeHTTP(w, r)
	})
}

var reportBound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	sc, ok := gssapi.SecurityContextFromContext(r.Context())
	if !ok {
		http.Error(w, "no context", http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, map[bool]string{true: "bound", false: "unbound"}[sc.ChannelBound])
})

// tlsServer runs the middleware over TLS; certs returns the certificates
// the middleware is told about, given the server's own.
func tlsServer(t *testing.T, cred *gssapi.AcceptorCredential,
	certs func(own *x509.Certificate) []*x509.Certificate,
	opts ...gssapi.MiddlewareOption) (*httptest.Server, *boundHandler) {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		(*h.Load()).ServeHTTP(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	opts = append(opts, gssapi.WithServerCertificates(certs(srv.Certificate())...))
	bh := &boundHandler{}
	handler := bh.counting(gssapi.Middleware(cred, opts...)(reportBound))
	h.Store(&handler)
	return srv, bh
}

func TestTLSChannelBindingsOverHTTP(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	c := client(t, r)
	own := func(cert *x509.Certificate) []*x509.Certificate { return []*x509.Certificate{cert} }
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	stranger := selfSigned(t, ec)
	foreign := func(*x509.Certificate) []*x509.Certificate {
		return []*x509.Certificate{stranger}
	}

	t.Run("bound client", func(t *testing.T) {
		srv, bh := tlsServer(t, cred, own)
		hc := gssapi.NewClient(c, srv.Client(), gssapi.WithSPN("HTTP/localhost"))
		code, body := get(t, hc, srv.URL)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "bound", body)
		assert.EqualValues(t, 2, bh.hits.Load(), "one unauthenticated try, one bound")
		code, body = get(t, hc, srv.URL)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "bound", body)
		assert.EqualValues(t, 3, bh.hits.Load(), "bound at once once the host is known")
	})

	t.Run("unbound client accepted by default", func(t *testing.T) {
		srv, _ := tlsServer(t, cred, own)
		hc := gssapi.NewClient(c, srv.Client(), gssapi.WithSPN("HTTP/localhost"),
			gssapi.WithoutChannelBindings())
		code, body := get(t, hc, srv.URL)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "unbound", body)
	})

	t.Run("unbound client refused when required", func(t *testing.T) {
		srv, _ := tlsServer(t, cred, own, gssapi.RequireChannelBindings())
		hc := gssapi.NewClient(c, srv.Client(), gssapi.WithSPN("HTTP/localhost"),
			gssapi.WithoutChannelBindings())
		code, _ := get(t, hc, srv.URL)
		assert.Equal(t, http.StatusUnauthorized, code)
	})

	t.Run("bound to another certificate", func(t *testing.T) {
		// What a relayed token looks like: bound to the TLS connection
		// the client saw, not to this server's certificate.
		srv, bh := tlsServer(t, cred, foreign)
		hc := gssapi.NewClient(c, srv.Client(), gssapi.WithSPN("HTTP/localhost"))
		code, _ := get(t, hc, srv.URL)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.EqualValues(t, 2, bh.hits.Load(), "no retry beyond the bound token")
	})

	t.Run("plain HTTP is not bound", func(t *testing.T) {
		srv := httptest.NewServer(gssapi.Middleware(cred,
			gssapi.WithServerCertificates(stranger), gssapi.RequireChannelBindings())(reportBound))
		t.Cleanup(srv.Close)
		hc := gssapi.NewClient(c, nil, gssapi.WithSPN("HTTP/localhost"))
		code, body := get(t, hc, srv.URL)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "unbound", body)
	})
}

// TestCurlOverTLS: curl --negotiate sends no channel bindings; the
// middleware, told its certificate, accepts it by default.
func TestCurlOverTLS(t *testing.T) {
	r := testRealm(t)
	srv, _ := tlsServer(t, acceptor(t, r),
		func(c *x509.Certificate) []*x509.Certificate { return []*x509.Certificate{c} })
	cc := "FILE:" + t.TempDir() + "/cc"
	require.NoError(t, r.Kinit(ctxT(t), cc, r.User, r.Password))
	// curl names the service after the URL's host: localhost.
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	cmd := r.Command(ctxT(t), "curl", "-sS", "-k", "--negotiate", "-u", ":",
		"--resolve", "localhost:"+port+":127.0.0.1", "-w", "\n%{http_code}",
		"https://localhost:"+port+"/")
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cc)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "unbound\n200", string(out))
}
