package gssapi

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/krb5"
)

// Transport is an http.RoundTripper that authenticates requests with
// Negotiate (RFC 4559): it sends a SPNEGO token with every request and
// checks the server's mutual-authentication token, failing the request
// when the server's answer does not prove it holds the service key.
type Transport struct {
	// Base carries the requests; http.DefaultTransport when nil.
	Base http.RoundTripper

	client *krb5.Client
	spn    string
	flags  uint32
	lax    bool
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
// port, the service principal a Negotiate client asks a ticket for.
func SPNForRequest(r *http.Request) string {
	host := r.URL.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return "HTTP/" + strings.TrimSuffix(strings.Trim(host, "[]"), ".")
}

// RoundTrip sends r with an Authorization: Negotiate header.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	spn := t.spn
	if spn == "" {
		spn = SPNForRequest(r)
	}
	in, tok, err := Initiate(r.Context(), t.client, spn, WithFlags(t.flags))
	if err != nil {
		return nil, fmt.Errorf("gssapi: negotiate with %s: %w", spn, err)
	}
	defer in.Close()
	req := r.Clone(r.Context())
	req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return resp, nil // the caller sees the refusal as it is
	}
	answer, ok := serverToken(resp)
	if !ok && (t.lax || resp.StatusCode >= 400) {
		// No authentication took place (or none was asked to be
		// proven); the caller sees the server's answer as it is.
		return resp, nil
	}
	if !ok {
		resp.Body.Close()
		return nil, fmt.Errorf("gssapi: %s: %w", spn, gssErr(errortables.GSSFailure, ErrMutualFailed,
			"the server's answer carries no Negotiate token", errNoNegotiate))
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
// header.
func serverToken(resp *http.Response) ([]byte, bool) {
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		scheme, b64, ok := strings.Cut(strings.TrimSpace(h), " ")
		if !ok || !strings.EqualFold(scheme, "Negotiate") || len(b64) > maxHeader {
			continue
		}
		tok, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err == nil && len(tok) > 0 {
			return tok, true
		}
	}
	return nil, false
}
