package gssapi_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// httpTimeout bounds each request of the fault tests; httpSlack is what
// a loaded two-core machine may add to it. The bound is the point: no
// server behaviour may make a request outlive its timeout by much.
const (
	httpTimeout = 2 * time.Second
	httpSlack   = 10 * time.Second
)

// noLeaks checks, after every other cleanup of t has run, that t left no
// goroutine behind.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// faultHTTPClient returns a Negotiate client for c whose connections are
// its own, closed when the test ends, so that goleak sees none of them.
func faultHTTPClient(t *testing.T, c *krb5.Client, timeout time.Duration) *http.Client {
	t.Helper()
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	return gssapi.NewClient(c, &http.Client{Transport: base, Timeout: timeout})
}

// readyClient logs in and fetches the ticket for HTTP/localhost, so that
// the requests of a fault test spend their time on the server alone.
func readyClient(t *testing.T) *krb5.Client {
	t.Helper()
	c := client(t, testRealm(t))
	_, err := c.ServiceTicket(ctxT(t), "HTTP/localhost")
	require.NoError(t, err)
	return c
}

// rawServer listens on 127.0.0.1 and runs serve on each connection until
// the test ends; serve must return when stop is closed or its connection
// is closed. It returns the URL under the name localhost.
func rawServer(t *testing.T, serve func(c net.Conn, stop <-chan struct{})) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, stop)
			}()
		}
	}()
	t.Cleanup(func() {
		close(stop)
		l.Close()
		wg.Wait()
	})
	_, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	return "http://localhost:" + port + "/"
}

// stallAfter reads the request's head, writes answer (possibly nothing)
// and then holds the connection until the client closes it or the test
// ends.
func stallAfter(answer string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, stop <-chan struct{}) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if answer != "" {
			if _, err := io.WriteString(c, answer); err != nil {
				return
			}
		}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			io.Copy(io.Discard, br)
		}()
		select {
		case <-closed:
		case <-stop:
			c.Close()
			<-closed
		}
	}
}

// TestNegotiateClientStalls: a server that accepts and never answers, or
// sends its headers and then nothing, costs a request its timeout (the
// http.Client's or the request context's), no more, and the error says
// the deadline passed.
func TestNegotiateClientStalls(t *testing.T) {
	testRealm(t) // shared by the package's tests: started before the leak check
	noLeaks(t)
	c := readyClient(t)
	silent := rawServer(t, stallAfter(""))
	// Headers that promise a body that never comes, with no Negotiate
	// answer: our client needs none when the server does not ask for
	// mutual authentication, so it must wait for the body and time out.
	headers := rawServer(t, stallAfter("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"))

	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	// The real middleware authenticates (mutual token included) and the
	// handler stalls after flushing its headers.
	mw := httptest.NewServer(gssapi.Middleware(acceptor(t, testRealm(t)))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		})))
	t.Cleanup(mw.Close)
	mwURL := strings.Replace(mw.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name string
		url  string
		opts []gssapi.TransportOption
	}{
		{"accept-and-stall", silent, nil},
		{"headers-then-stall", headers, []gssapi.TransportOption{gssapi.WithoutMutual()}},
		{"authenticated-then-stall", mwURL, nil},
	}
	// The cases wait out their timeouts side by side.
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tt := range tests {
		for _, byContext := range []bool{false, true} {
			name := tt.name + "/client-timeout"
			if byContext {
				name = tt.name + "/context"
			}
			wg.Add(1)
			go t.Run(name, func(t *testing.T) {
				defer wg.Done()
				base := &http.Transport{}
				defer base.CloseIdleConnections()
				hc := &http.Client{Transport: gssapi.NewTransport(c, base, tt.opts...)}
				ctx := context.Background()
				if byContext {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, httpTimeout)
					defer cancel()
				} else {
					hc.Timeout = httpTimeout
				}
				req, err := http.NewRequestWithContext(ctx, "GET", tt.url, nil)
				require.NoError(t, err)

				begin := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				cost := time.Since(begin)
				t.Logf("%s: %v: %v", name, cost.Round(time.Millisecond), err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.GreaterOrEqual(t, cost, httpTimeout/2)
				assert.Less(t, cost, httpTimeout+httpSlack)
			})
		}
	}
}

// fixedServer answers every request with status, the WWW-Authenticate
// values given and a short body, counting the requests.
func fixedServer(t *testing.T, status int, auth ...string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		n.Add(1)
		for _, a := range auth {
			w.Header().Add("WWW-Authenticate", a)
		}
		w.WriteHeader(status)
		io.WriteString(w, "body")
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), &n
}

// b64 is standard base64.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestNegotiateClientBadAnswers: servers that refuse forever or answer
// with a Negotiate header that is not a valid token. Our client sends
// each request once (no loop), returns a 401 to the caller as it is, and
// refuses a 200 whose mutual-authentication token is missing, undecodable
// or garbage, with an error naming the failure.
func TestNegotiateClientBadAnswers(t *testing.T) {
	testRealm(t)
	noLeaks(t)
	c := readyClient(t)
	huge := strings.Repeat("QUFB", 40000) // 160 kB of valid base64
	tests := []struct {
		name   string
		status int
		auth   []string
		// wantStatus is the status the caller sees, or 0 when the
		// request must fail with an error matching wantErr.
		wantStatus int
		wantErr    error
	}{
		{"401-forever", 401, []string{"Negotiate"}, 401, nil},
		{"401-forever-with-token", 401, []string{"Negotiate " + b64([]byte{0xa1, 0x03, 1, 2, 3})},
			401, nil},
		{"401-garbage-header", 401, []string{"Negotiate !!!%%%"}, 401, nil},
		{"no-token", 200, nil, 0, gssapi.ErrMutualFailed},
		{"bad-base64", 200, []string{"Negotiate !!!not base64!!!"}, 0, gssapi.ErrMutualFailed},
		{"empty-token", 200, []string{"Negotiate "}, 0, gssapi.ErrMutualFailed},
		{"other-scheme", 200, []string{"Basic realm=x"}, 0, gssapi.ErrMutualFailed},
		{"huge-header", 200, []string{"Negotiate " + huge}, 0, gssapi.ErrMutualFailed},
		{"2MB-header", 200, []string{"Negotiate " + strings.Repeat("A", 2<<20)}, 0,
			gssapi.ErrMutualFailed},
		{"garbage-der", 200, []string{"Negotiate " + b64([]byte("garbage token bytes"))}, 0,
			gssapi.ErrDefectiveToken},
		{"spnego-tag-garbage", 200, []string{"Negotiate " + b64([]byte{0xa1, 0x84, 0xff, 0xff,
			0xff, 0xff, 0x30})}, 0, gssapi.ErrDefectiveToken},
		{"krb5-tag-garbage", 200, []string{"Negotiate " + b64([]byte{0x60, 0x82, 0xff, 0xff,
			0x06, 0x09})}, 0, gssapi.ErrDefectiveToken},
		{"500-no-token", 500, nil, 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, hits := fixedServer(t, tt.status, tt.auth...)
			hc := faultHTTPClient(t, c, httpTimeout)
			begin := time.Now()
			resp, err := hc.Get(url)
			cost := time.Since(begin)
			assert.Less(t, cost, httpTimeout+httpSlack)
			if tt.wantStatus != 0 {
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, tt.wantStatus, resp.StatusCode)
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "HTTP/localhost")
				t.Logf("%v", err)
			}
			assert.EqualValues(t, 1, hits.Load(), "one request, no retry loop")
		})
	}
}

// recordingTransport remembers the WWW-Authenticate header of the last
// successful answer it carried.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	last string
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusOK {
		rt.mu.Lock()
		rt.last = resp.Header.Get("WWW-Authenticate")
		rt.mu.Unlock()
	}
	return resp, err
}

// TestNegotiateClientReplayedMutualToken: a server that answers with a
// genuine mutual-authentication token, recorded from an earlier exchange
// with the real middleware, does not prove it holds the service key for
// this request: the token answers another authenticator. Our client
// refuses it.
func TestNegotiateClientReplayedMutualToken(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	c := readyClient(t)
	real := server(t, acceptor(t, r))
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	rec := &recordingTransport{base: base}
	hc := gssapi.NewClient(c, &http.Client{Transport: rec, Timeout: httpTimeout})
	code, _ := get(t, hc, real)
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(rec.last, "Negotiate "), "a mutual token was sent")

	url, hits := fixedServer(t, http.StatusOK, rec.last)
	begin := time.Now()
	_, err := faultHTTPClient(t, c, httpTimeout).Get(url)
	assert.Less(t, time.Since(begin), httpTimeout+httpSlack)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mutual authentication")
	assert.EqualValues(t, 1, hits.Load())
}

// TestMiddlewareMalformedAuthorization feeds the middleware Authorization
// headers that are not valid Negotiate tokens, real tokens cut or altered
// among them: each is answered 401 with a Negotiate challenge at once, and
// the handler never runs.
func TestMiddlewareMalformedAuthorization(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	c := readyClient(t)
	cred := acceptor(t, r)
	in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost")
	require.NoError(t, err)
	in.Close()
	flipped := append([]byte(nil), tok...)
	flipped[len(flipped)-5] ^= 0xff
	rawIn, raw, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost", gssapi.RawKerberos())
	require.NoError(t, err)
	rawIn.Close()

	headers := map[string]string{
		"empty-negotiate":   "Negotiate",
		"space-only":        "Negotiate ",
		"tabs":              "Negotiate \t\t",
		"bad-base64":        "Negotiate !!!",
		"space-inside":      "Negotiate " + b64(tok)[:20] + " " + b64(tok)[20:],
		"other-scheme":      "Basic Zm9vOmJhcg==",
		"no-space":          "Negotiate" + b64(tok),
		"too-long":          "Negotiate " + strings.Repeat("A", 1<<20),
		"nul-bytes":         "Negotiate " + b64(make([]byte, 64)),
		"one-byte":          "Negotiate " + b64([]byte{0x60}),
		"gss-huge-length":   "Negotiate " + b64([]byte{0x60, 0x84, 0x7f, 0xff, 0xff, 0xff}),
		"spnego-garbage":    "Negotiate " + b64([]byte{0xa0, 0x03, 0x30, 0x01, 0xff}),
		"spnego-truncated":  "Negotiate " + b64(tok[:len(tok)/2]),
		"spnego-flipped":    "Negotiate " + b64(flipped),
		"spnego-trailing":   "Negotiate " + b64(append(append([]byte(nil), tok...), 0, 0)),
		"raw-truncated":     "Negotiate " + b64(raw[:len(raw)-10]),
		"raw-wrong-oid":     "Negotiate " + b64(wrongOID(raw)),
		"ntlm":              "Negotiate " + b64([]byte("NTLMSSP\x00\x01\x00\x00\x00")),
		"garbage-text":      "Negotiate " + b64([]byte("hello, world")),
		"two-tokens":        "Negotiate " + b64(tok) + " " + b64(tok),
		"many-negotiates":   strings.Repeat("Negotiate ", 1000),
		"negotiate-comma":   "Negotiate " + b64(tok) + ", Basic x",
		"lowercase-garbage": "negotiate AAAA",
	}
	var ran atomic.Int64
	h := gssapi.Middleware(cred)(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		ran.Add(1)
	}))
	for name, v := range headers {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://localhost/", nil)
			req.Header.Set("Authorization", v)
			w := httptest.NewRecorder()
			begin := time.Now()
			h.ServeHTTP(w, req)
			assert.Less(t, time.Since(begin), httpSlack)
			assert.Contains(t, []int{http.StatusUnauthorized, http.StatusBadRequest},
				w.Code)
			assert.True(t, strings.HasPrefix(w.Header().Get("WWW-Authenticate"),
				"Negotiate"))
		})
	}
	assert.Zero(t, ran.Load(), "no malformed header reached the handler")
}

// wrongOID returns a copy of a raw Kerberos GSS token whose mechanism OID
// has its last byte changed (RFC 2743 section 3.1: 0x60, length, 0x06,
// OID length, OID).
func wrongOID(raw []byte) []byte {
	out := append([]byte(nil), raw...)
	i := 2
	if out[1]&0x80 != 0 {
		i += int(out[1] & 0x7f)
	}
	if i+1 < len(out) && out[i] == 0x06 {
		end := i + 2 + int(out[i+1])
		if end <= len(out) {
			out[end-1] ^= 0x01
		}
	}
	return out
}

// TestNegotiateClientBrokenConnections: servers that break the
// connection instead of answering, as the KDC fault proxy does for the
// KDC: bytes that are no HTTP at all, a reset, a close before any
// answer, and a close in the middle of the body. Each request fails with
// an error within its timeout, and nothing is left running.
func TestNegotiateClientBrokenConnections(t *testing.T) {
	testRealm(t)
	noLeaks(t)
	c := readyClient(t)
	readRequest := func(conn net.Conn) bool {
		_, err := http.ReadRequest(bufio.NewReader(conn))
		return err == nil
	}
	tests := []struct {
		name  string
		serve func(net.Conn, <-chan struct{})
		opts  []gssapi.TransportOption
		want  error // matched by errors.Is when set
	}{
		{"garbage", func(conn net.Conn, _ <-chan struct{}) {
			if readRequest(conn) {
				io.WriteString(conn, "\x16\x03\x01 this is no HTTP answer\r\n\r\n")
			}
		}, nil, nil},
		{"reset", func(conn net.Conn, _ <-chan struct{}) {
			if readRequest(conn) {
				conn.(*net.TCPConn).SetLinger(0)
			}
		}, nil, nil},
		{"close-before-answer", func(conn net.Conn, _ <-chan struct{}) {
			readRequest(conn)
		}, nil, nil},
		{"close-mid-body", func(conn net.Conn, _ <-chan struct{}) {
			if readRequest(conn) {
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
			}
		}, []gssapi.TransportOption{gssapi.WithoutMutual()}, io.ErrUnexpectedEOF},
		{"close-mid-headers", func(conn net.Conn, _ <-chan struct{}) {
			if readRequest(conn) {
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nWWW-Authenticate: Nego")
			}
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := rawServer(t, tt.serve)
			base := &http.Transport{}
			defer base.CloseIdleConnections()
			hc := &http.Client{Transport: gssapi.NewTransport(c, base, tt.opts...),
				Timeout: httpTimeout}
			begin := time.Now()
			resp, err := hc.Get(url)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			cost := time.Since(begin)
			t.Logf("%s: %v: %v", tt.name, cost.Round(time.Millisecond), err)
			require.Error(t, err)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			}
			assert.NotErrorIs(t, err, context.DeadlineExceeded,
				"a broken connection fails at once, not at the timeout")
			assert.Less(t, cost, httpTimeout)
		})
	}
}
