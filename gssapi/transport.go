package gssapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/krb5"
)

// Transport is an http.RoundTripper that authenticates requests with
// Negotiate (RFC 4559): it sends a fresh SPNEGO token with every request
// (and so with every redirect the http.Client follows) and checks the
// server's mutual-authentication token, failing the request when the
// server's answer does not prove it holds the service key.
//
// Over HTTPS the tokens carry tls-server-end-point channel bindings (RFC
// 5929 section 4) of the server's certificate, so that a server checking
// them refuses a token relayed through another TLS connection. The
// certificate is learnt from the server's first answer: the first
// request to a host goes out without a token, and a 401 asking for
// Negotiate is answered once with a bound token; later requests to the
// host carry bound tokens at once. A request whose body cannot be sent
// twice (no GetBody) that meets an unknown host is sent with an unbound
// token instead. WithoutChannelBindings turns this off.
//
// A 401 is never answered more than once: a server that keeps refusing
// gets its 401 back to the caller. A Transport is safe for concurrent
// use; its settings are fixed at NewTransport.
type Transport struct {
	// Base carries the requests; http.DefaultTransport when nil.
	Base http.RoundTripper

	client   *krb5.Client
	spn      string
	flags    uint32
	lax      bool
	unbound  bool
	bindings bindingCache
}

// maxBindingHosts bounds the hosts whose channel bindings a Transport
// remembers.
const maxBindingHosts = 256

// bindingCache remembers the channel bindings of the hosts a Transport
// talked to over TLS.
type bindingCache struct {
	// mu guards m.
	mu sync.Mutex
	m  map[string]*ChannelBindings
}

func (c *bindingCache) get(host string) *ChannelBindings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[host]
}

func (c *bindingCache) set(host string, cb *ChannelBindings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*ChannelBindings)
	}
	if _, ok := c.m[host]; !ok && len(c.m) >= maxBindingHosts {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[host] = cb
}

// WithoutChannelBindings sends tokens without channel bindings over
// HTTPS too, with every request from the first.
func WithoutChannelBindings() TransportOption {
	return func(t *Transport) { t.unbound = true }
}

// TransportOption changes a Transport.
type TransportOption func(*Transport)

// WithSPN sets the service principal for every request instead of
// "HTTP/" followed by the request's host name.
func WithSPN(spn string) TransportOption { return func(t *Transport) { t.spn = spn } }

// WithoutMutual asks for no mutual authentication and accepts answers
// that do not carry the server's token.
func WithoutMutual() TransportOption {
	return func(t *Transport) { t.flags &^= FlagMutual; t.lax = true }
}

// NewTransport returns a Transport that gets tickets from c. The caller
// keeps c and closes it after the transport's last use.
func NewTransport(c *krb5.Client, base http.RoundTripper, opts ...TransportOption) *Transport {
	t := &Transport{Base: base, client: c, flags: DefaultInitFlags}
	for _, o := range opts {
		o(t)
	}
	return t
}

// NewClient returns a copy of hc (http.DefaultClient's settings when nil)
// whose requests authenticate with Negotiate using tickets from c; the
// drop-in for gokrb5's spnego.NewClient.
func NewClient(c *krb5.Client, hc *http.Client, opts ...TransportOption) *http.Client {
	var out http.Client
	if hc != nil {
		out = *hc
	}
	out.Transport = NewTransport(c, out.Transport, opts...)
	return &out
}

// SPNForRequest returns "HTTP/" and the request's host name, without the
// port or a final dot and in lower case, as MIT's GSS-API (and so curl)
// turns a host-based service into a principal: the service principal a
// Negotiate client asks a ticket for.
func SPNForRequest(r *http.Request) string {
	host := r.URL.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return "HTTP/" + strings.ToLower(host)
}

// RoundTrip sends r with an Authorization: Negotiate header, as the
// Transport's documentation describes.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	spn := t.spn
	if spn == "" {
		spn = SPNForRequest(r)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	bind := !t.unbound && r.URL.Scheme == "https"
	var cb *ChannelBindings
	if bind {
		cb = t.bindings.get(r.URL.Host)
	}
	rewind, err := rewinder(r)
	if err != nil {
		return nil, err
	}
	if bind && cb == nil && rewind != nil {
		// Learn the server's certificate from an unauthenticated try.
		resp, err := base.RoundTrip(rewind())
		if err != nil {
			return nil, err
		}
		if !wantsNegotiate(resp) {
			return resp, nil
		}
		drain(resp)
		// A base transport that reports no TLS state, or a certificate
		// without tls-server-end-point bindings: authenticate unbound.
		if cb, err = TLSServerEndPoint(resp.TLS); err != nil {
			return t.authenticated(base, rewind(), spn, nil)
		}
		t.bindings.set(r.URL.Host, cb)
		return t.authenticated(base, rewind(), spn, cb)
	}
	req := r
	if rewind != nil {
		req = rewind()
	}
	resp, err := t.authenticated(base, req, spn, cb)
	if err != nil || !bind || rewind == nil || resp.StatusCode != http.StatusUnauthorized ||
		resp.TLS == nil || !wantsNegotiate(resp) {
		return resp, err
	}
	// The server refused the token bound to the certificate we knew; if
	// it now presents another one, try once more bound to that.
	fresh, err := TLSServerEndPoint(resp.TLS)
	if err != nil || cb != nil && fresh.Hash() == cb.Hash() {
		return resp, nil
	}
	t.bindings.set(r.URL.Host, fresh)
	drain(resp)
	return t.authenticated(base, rewind(), spn, fresh)
}

// rewinder returns a function that makes a fresh copy of r, body
// included, for each try, or nil when r's body cannot be read twice.
func rewinder(r *http.Request) (func() *http.Request, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return func() *http.Request { return r.Clone(r.Context()) }, nil
	}
	if r.GetBody == nil {
		return nil, nil
	}
	first := true
	return func() *http.Request {
		req := r.Clone(r.Context())
		if first {
			first = false
			return req
		}
		if b, err := r.GetBody(); err == nil {
			req.Body = b
		} else {
			req.Body = io.NopCloser(bytes.NewReader(nil))
			req.ContentLength = 0
		}
		return req
	}, nil
}

// wantsNegotiate reports whether resp is a 401 that asks for Negotiate.
func wantsNegotiate(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		scheme, _, _ := strings.Cut(strings.TrimSpace(h), " ")
		if strings.EqualFold(scheme, "Negotiate") {
			return true
		}
	}
	return false
}

// drain discards a response the caller will not see, so that its
// connection can be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// authenticated sends req with a fresh token, bound to cb when it is
// set, and checks the server's answer.
func (t *Transport) authenticated(base http.RoundTripper, r *http.Request, spn string,
	cb *ChannelBindings) (*http.Response, error) {
	opts := []InitOption{WithFlags(t.flags)}
	if cb != nil {
		opts = append(opts, WithBindings(cb))
	}
	in, tok, err := Initiate(r.Context(), t.client, spn, opts...)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("gssapi: negotiate with %s: %w", spn, err)
	}
	defer in.Close()
	req := r.Clone(r.Context())
	req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return resp, nil // the caller sees the refusal as it is
	}
	answer, why := serverToken(resp)
	if answer == nil && (t.lax || resp.StatusCode >= 400) {
		// No authentication took place (or none was asked to be
		// proven); the caller sees the server's answer as it is.
		return resp, nil
	}
	if answer == nil {
		resp.Body.Close()
		return nil, fmt.Errorf("gssapi: %s: %w", spn, gssErr(errortables.GSSFailure,
			ErrMutualFailed, why, errNoNegotiate))
	}
	sc, err := in.Finish(answer)
	if err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("gssapi: %s: mutual authentication: %w", spn, err)
	}
	sc.Close()
	return resp, nil
}

// serverToken extracts the token of a "WWW-Authenticate: Negotiate x"
// header. Without one it returns nil and says what the answer carried
// instead, so that an error can name it.
func serverToken(resp *http.Response) ([]byte, string) {
	why := "the server's answer carries no Negotiate token"
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		scheme, b64, _ := strings.Cut(strings.TrimSpace(h), " ")
		b64 = strings.TrimSpace(b64)
		if !strings.EqualFold(scheme, "Negotiate") || b64 == "" {
			continue
		}
		if len(b64) > maxHeader {
			why = fmt.Sprintf("the server's Negotiate token of %d bytes is over "+
				"the limit of %d", len(b64), maxHeader)
			continue
		}
		tok, err := base64.StdEncoding.DecodeString(b64)
		switch {
		case err != nil:
			why = "the server's Negotiate token is not valid base64"
		case len(tok) == 0:
			why = "the server's Negotiate token is empty"
		default:
			return tok, ""
		}
	}
	return nil, why
}
