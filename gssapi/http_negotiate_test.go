package gssapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

// negotiateReq sends "Authorization: Negotiate <tok>" (or the raw
// header value h when tok is nil) with hc and returns the status and
// the decoded token of the answer's WWW-Authenticate, if any.
func negotiateReq(t *testing.T, hc *http.Client, url string, tok []byte,
	h string) (int, []byte, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if tok != nil {
		h = "Negotiate " + base64.StdEncoding.EncodeToString(tok)
	}
	req.Header.Set("Authorization", h)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	www := resp.Header.Get("WWW-Authenticate")
	require.True(t, strings.HasPrefix(www, "Negotiate"), "WWW-Authenticate %q", www)
	var out []byte
	if b64, ok := strings.CutPrefix(www, "Negotiate "); ok {
		out, err = base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err)
	}
	return resp.StatusCode, out, string(body)
}

func TestMiddlewareRefusesMalformedHeaders(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	cases := []struct{ name, header string }{
		{"huge", "Negotiate " + strings.Repeat("A", 200<<10)},
		{"bad base64", "Negotiate !!!not-base64!!!"},
		{"empty token", "Negotiate "},
		{"other scheme", "Basic YWxpY2U6cGFzc3dvcmQ="},
		{"garbage DER", "Negotiate " + base64.StdEncoding.EncodeToString(
			[]byte{0x60, 0x83, 0xff, 0xff, 0xff, 0x06, 0x01})},
		{"length past the end", "Negotiate " + base64.StdEncoding.EncodeToString(
			[]byte{0x60, 0x82, 0x10, 0x00, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02})},
		{"NegTokenResp of nothing", "Negotiate oQMwAQA="},
		{"truncated SPNEGO", "Negotiate " + base64.StdEncoding.EncodeToString(
			negInit(t, []asn1.ObjectIdentifier{gssapi.OIDKRB5}, rawKRB5(t))[:100])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, tok, _ := negotiateReq(t, http.DefaultClient, url, nil, c.header)
			assert.Equal(t, http.StatusUnauthorized, code)
			assert.Empty(t, tok)
		})
	}
}

// TestMiddlewareMultiLeg: a client that lists NTLM first needs three
// legs on one connection: the middleware answers 401 with each
// continuation token and 200 with the last one.
func TestMiddlewareMultiLeg(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	conn := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer conn.CloseIdleConnections()
	ntlm := []byte("NTLMSSP\x00\x01\x00\x00\x00")

	code, out, _ := negotiateReq(t, conn, url, negInit(t, windowsMechs, ntlm), "")
	require.Equal(t, http.StatusUnauthorized, code)
	resp := decodeResp(t, out)
	require.EqualValues(t, 1, resp.NegState)
	require.True(t, resp.SupportedMech.Equal(gssapi.OIDMSKRB5))

	in, apReq := krbInitiator(t, gssapi.DefaultInitFlags)
	code, out, _ = negotiateReq(t, conn, url, negRespTok(t, 1, apReq, nil), "")
	require.Equal(t, http.StatusUnauthorized, code)
	resp = decodeResp(t, out)
	require.EqualValues(t, 1, resp.NegState)
	isc, err := in.Finish(resp.ResponseToken)
	require.NoError(t, err)
	defer isc.Close()
	der := mechTypesDER(t, windowsMechs)
	require.NoError(t, isc.VerifyMIC(der, resp.MechListMIC))
	mic, err := isc.MIC(der)
	require.NoError(t, err)

	// The last leg from another connection finds no negotiation.
	other := &http.Client{Transport: &http.Transport{}}
	defer other.CloseIdleConnections()
	code, _, _ = negotiateReq(t, other, url, negRespTok(t, 1, nil, mic), "")
	require.Equal(t, http.StatusUnauthorized, code)

	code, out, body := negotiateReq(t, conn, url, negRespTok(t, 1, nil, mic), "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, r.UserPrincipal, body)
	assert.EqualValues(t, 0, decodeResp(t, out).NegState)
}

func TestTransportNeverLoopsOn401(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	var hits atomic.Int32
	refuse := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("WWW-Authenticate", "Negotiate")
		http.Error(w, "no", http.StatusUnauthorized)
	})
	t.Run("HTTP", func(t *testing.T) {
		hits.Store(0)
		srv := httptest.NewServer(refuse)
		t.Cleanup(srv.Close)
		hc := gssapi.NewClient(c, nil, gssapi.WithSPN("HTTP/localhost"))
		code, _ := get(t, hc, srv.URL)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.EqualValues(t, 1, hits.Load())
	})
	t.Run("HTTPS", func(t *testing.T) {
		hits.Store(0)
		srv := httptest.NewTLSServer(refuse)
		t.Cleanup(srv.Close)
		hc := gssapi.NewClient(c, srv.Client(), gssapi.WithSPN("HTTP/localhost"))
		code, _ := get(t, hc, srv.URL)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.EqualValues(t, 2, hits.Load(), "an unauthenticated try and one token")
		code, _ = get(t, hc, srv.URL)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.EqualValues(t, 3, hits.Load(), "bound at once the second time")
	})
}

// TestTransportFreshTokenPerRequest: every request and every redirect
// carries a token of its own; the acceptor's replay cache would refuse
// one sent twice.
func TestTransportFreshTokenPerRequest(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)
	var mu sync.Mutex
	var seen []string
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/end", http.StatusFound)
	})
	mux.Handle("/end", whoami)
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			seen = append(seen, req.Header.Get("Authorization"))
			mu.Unlock()
			next.ServeHTTP(w, req)
		})
	}
	srv := httptest.NewServer(record(gssapi.Middleware(cred)(mux)))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	hc := gssapi.NewClient(client(t, r), nil)
	for i := 0; i < 2; i++ {
		code, body := get(t, hc, url+"/start")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, r.UserPrincipal, body)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 4)
	distinct := map[string]bool{}
	for _, h := range seen {
		require.True(t, strings.HasPrefix(h, "Negotiate "))
		distinct[h] = true
	}
	assert.Len(t, distinct, 4)
}

func TestTransportConcurrent(t *testing.T) {
	r := testRealm(t)
	url := server(t, acceptor(t, r))
	hc := gssapi.NewClient(client(t, r), nil)
	const workers, each = 8, 4
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				resp, err := hc.Get(url)
				if err != nil {
					errs <- err
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && (resp.StatusCode != http.StatusOK || string(b) != r.UserPrincipal) {
					err = fmt.Errorf("status %d, body %q", resp.StatusCode, b)
				}
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// syncBuffer is a bytes.Buffer for a logger that handlers write from
// several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// TestMiddlewareTracesRefusedHeaders checks that the middleware's
// logger says why a Negotiate header was refused, even one that never
// reached the acceptor, and stays silent about other schemes.
func TestMiddlewareTracesRefusedHeaders(t *testing.T) {
	r := testRealm(t)
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(gssapi.Middleware(acceptor(t, r),
		gssapi.WithMiddlewareLogger(log))(whoami))
	t.Cleanup(srv.Close)
	cases := []struct{ name, header, logged string }{
		{"huge", "Negotiate " + strings.Repeat("A", 200<<10), "over the limit"},
		{"bad base64", "Negotiate !!!not-base64!!!", "not valid base64"},
		{"garbage token", "Negotiate " + base64.StdEncoding.EncodeToString(
			[]byte("garbage token")), "malformed token"},
		{"bare scheme", "Negotiate", ""},
		{"other scheme", "Basic YWxpY2U6cGFzc3dvcmQ=", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, _ := negotiateReq(t, http.DefaultClient, srv.URL, nil, c.header)
			assert.Equal(t, http.StatusUnauthorized, code)
			out := buf.take()
			if c.logged == "" {
				assert.Empty(t, out)
				return
			}
			assert.Contains(t, out, "negotiate: rejected")
			assert.Contains(t, out, c.logged)
			assert.Less(t, len(out), 1000, "the header is not copied into the log")
		})
	}
}
