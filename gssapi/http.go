package gssapi

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/goidentity/v6"
	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/safekrb5/safekrb5/pac"
	"github.com/safekrb5/safekrb5/support"
)

// maxHeader bounds the Authorization header the middleware decodes: the
// base64 form of MaxTokenSize plus the scheme. A longer header is
// refused before it is decoded.
const maxHeader = MaxTokenSize/3*4 + 64

// MiddlewareOption changes the middleware's behaviour.
type MiddlewareOption func(*middlewareSettings)

type middlewareSettings struct {
	log             *slog.Logger
	certs           []*x509.Certificate
	requireBindings bool
	noPAC           bool
}

// WithoutPAC stops the middleware from decoding and verifying PACs, as
// gokrb5's DecodePAC(false) does: identities then carry no AD
// attributes, and a ticket whose PAC would not verify is accepted.
func WithoutPAC() MiddlewareOption {
	return func(s *middlewareSettings) { s.noPAC = true }
}

// WithServerCertificates makes the middleware check the channel
// bindings of requests that come over TLS: the client's tls-server-end-
// point bindings (RFC 5929 section 4) must be those of one of certs, the
// certificates the server presents (the leaves of its tls.Config's
// Certificates). A client bound to another certificate, as a token
// relayed by a man in the middle is, gets 401. A client that sends no
// bindings, as curl and most browsers do, is accepted unless
// RequireChannelBindings is given. Certificates whose signature names no
// single hash (Ed25519) have no such bindings and are skipped.
func WithServerCertificates(certs ...*x509.Certificate) MiddlewareOption {
	return func(s *middlewareSettings) { s.certs = append(s.certs, certs...) }
}

// RequireChannelBindings makes the middleware refuse, over TLS, clients
// that send no channel bindings. It needs WithServerCertificates; the
// middleware panics without them. Requests over plain HTTP are not
// affected.
func RequireChannelBindings() MiddlewareOption {
	return func(s *middlewareSettings) { s.requireBindings = true }
}

// WithMiddlewareLogger traces authentication outcomes on l.
func WithMiddlewareLogger(l *slog.Logger) MiddlewareOption {
	return func(s *middlewareSettings) { s.log = l }
}

type identityKey struct{}

// IdentityFromContext returns the authenticated initiator that Middleware
// put into a request's context.
func IdentityFromContext(ctx context.Context) (*credentials.Credentials, bool) {
	id, ok := ctx.Value(identityKey{}).(*credentials.Credentials)
	return id, ok
}

// SecurityContextFromContext returns the established security context of
// the request, valid only while the handler runs.
func SecurityContextFromContext(ctx context.Context) (*SecurityContext, bool) {
	sc, ok := ctx.Value(contextKey{}).(*SecurityContext)
	return sc, ok
}

type contextKey struct{}

// Middleware protects an HTTP handler with Negotiate (RFC 4559), as a
// drop-in for gokrb5's spnego.SPNEGOKRB5Authenticate: a request without a
// valid token gets 401 with "WWW-Authenticate: Negotiate"; an
// authenticated one reaches the handler with the initiator's identity in
// its context, both under gokrb5's goidentity key (as a
// *credentials.Credentials) and through IdentityFromContext, and its
// response carries the mutual-authentication token. The ticket's PAC,
// when it has one, is verified (see SecurityContext.PAC) and its logon
// information fills the identity's AD attributes; a request whose PAC
// does not verify gets 401, unless WithoutPAC is given. A client that needs
// more than one leg (SPNEGO with Kerberos not first, RFC 4178) gets 401
// with the continuation token, and the negotiation is remembered for
// its connection for a short while. A credential made WithAddressCheck
// checks the ticket's addresses against the request's RemoteAddr. After
// the credential is closed or gssapi is shut down, requests get 503.
func Middleware(cred *AcceptorCredential, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	var s middlewareSettings
	for _, o := range opts {
		o(&s)
	}
	log := support.Tracer(s.log)
	var bindings []*ChannelBindings
	for _, c := range s.certs {
		if cb, err := TLSServerEndPointOf(c); err == nil {
			bindings = append(bindings, cb)
		}
	}
	if s.requireBindings && len(bindings) == 0 {
		panic("gssapi: RequireChannelBindings without a server certificate " +
			"that has tls-server-end-point bindings")
	}
	negs := newNegotiations(maxPendingNegotiations, negotiationTTL)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, why := negotiateToken(r)
			if tok == nil {
				if why != "" {
					support.Trace(r.Context(), log, "negotiate: rejected",
						slog.String("remote", r.RemoteAddr), slog.String("err", why))
				}
				challenge(w, nil)
				return
			}
			var aopts []AcceptOption
			if r.TLS != nil && len(bindings) > 0 {
				aopts = append(aopts, AcceptBindings(bindings...))
				if s.requireBindings {
					aopts = append(aopts, RequireBindings())
				}
			}
			if cred.addrs {
				aopts = append(aopts, AcceptFrom(remoteAddr(r)))
			}
			conn := connKey(r)
			neg := negs.take(conn)
			aopts = append(aopts, WithNegotiation(neg))
			sc, out, err := cred.Accept(tok, aopts...)
			if errors.Is(err, ErrContinueNeeded) && neg.started() {
				negs.put(conn, neg)
			} else {
				neg.Close()
			}
			switch {
			case errors.Is(err, ErrContinueNeeded):
				challenge(w, out)
				return
			case err != nil && isLifecycle(err):
				support.Trace(r.Context(), log, "negotiate: acceptor unavailable",
					slog.String("err", err.Error()))
				http.Error(w, "authentication unavailable", http.StatusServiceUnavailable)
				return
			case err != nil:
				support.Trace(r.Context(), log, "negotiate: rejected",
					slog.String("remote", r.RemoteAddr), slog.String("err", err.Error()))
				challenge(w, out)
				return
			}
			defer sc.Close()
			if !s.noPAC {
				if _, err := sc.PAC(); err != nil && !errors.Is(err, pac.ErrNoPAC) {
					support.Trace(r.Context(), log, "negotiate: PAC rejected",
						slog.String("client", sc.ClientName()),
						slog.String("remote", r.RemoteAddr),
						slog.String("err", err.Error()))
					challenge(w, nil)
					return
				}
			}
			if out != nil {
				w.Header().Set("WWW-Authenticate",
					"Negotiate "+base64.StdEncoding.EncodeToString(out))
			}
			id := sc.credentials(!s.noPAC)
			support.Trace(r.Context(), log, "negotiate: accepted",
				slog.String("client", sc.ClientName()), slog.String("remote", r.RemoteAddr))
			ctx := context.WithValue(r.Context(), identityKey{}, id)
			ctx = context.WithValue(ctx, contextKey{}, sc)
			r = goidentity.AddToHTTPRequestContext(id, r.WithContext(ctx))
			next.ServeHTTP(w, r)
		})
	}
}

// remoteAddr is the IP address of the request's peer, or the zero Addr
// when RemoteAddr names none.
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}

// negotiateToken extracts and decodes the token of an
// "Authorization: Negotiate <base64>" header. Without a token it returns
// nil and, when the request carried a Negotiate header it cannot use, why.
func negotiateToken(r *http.Request) ([]byte, string) {
	h := r.Header.Get("Authorization")
	scheme, b64, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Negotiate") {
		return nil, ""
	}
	if len(h) > maxHeader {
		return nil, fmt.Sprintf("Negotiate header of %d bytes over the limit of %d",
			len(h), maxHeader)
	}
	b64 = strings.TrimSpace(b64)
	if b64 == "" {
		return nil, ""
	}
	tok, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, "Negotiate token is not valid base64"
	}
	if len(tok) == 0 {
		return nil, ""
	}
	return tok, ""
}

// Bounds of the negotiations the middleware remembers between legs.
const (
	maxPendingNegotiations = 1024
	negotiationTTL         = 30 * time.Second
)

// connKey names the connection a request came over. HTTP Negotiate
// binds a multi-leg negotiation to its connection (RFC 4559 section 6).
func connKey(r *http.Request) string {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string })
	if local == nil {
		return r.RemoteAddr
	}
	return r.RemoteAddr + "|" + local.String()
}

// negotiations remembers SPNEGO negotiations between legs, per
// connection, a bounded number for a bounded time. A negotiation is
// taken out while a request uses it, so two requests never share one.
type negotiations struct {
	max int
	ttl time.Duration

	// mu guards m and lastPurge.
	mu        sync.Mutex
	m         map[string]negEntry
	lastPurge time.Time
}

type negEntry struct {
	neg     *Negotiation
	expires time.Time
}

func newNegotiations(max int, ttl time.Duration) *negotiations {
	return &negotiations{max: max, ttl: ttl, m: make(map[string]negEntry)}
}

// take removes and returns the negotiation of conn, or a new one.
func (ns *negotiations) take(conn string) *Negotiation {
	now := time.Now()
	ns.mu.Lock()
	e, ok := ns.m[conn]
	delete(ns.m, conn)
	stale := ns.purgeLocked(now)
	ns.mu.Unlock()
	closeAll(stale)
	if !ok || now.After(e.expires) {
		if ok {
			e.neg.Close()
		}
		return &Negotiation{}
	}
	return e.neg
}

// put remembers neg for conn. When the table is full after dropping
// expired entries, the oldest negotiation is dropped.
func (ns *negotiations) put(conn string, neg *Negotiation) {
	now := time.Now()
	ns.mu.Lock()
	ns.lastPurge = time.Time{}
	stale := ns.purgeLocked(now)
	if len(ns.m) >= ns.max {
		oldest := ""
		for k, e := range ns.m {
			if oldest == "" || e.expires.Before(ns.m[oldest].expires) {
				oldest = k
			}
		}
		stale = append(stale, ns.m[oldest].neg)
		delete(ns.m, oldest)
	}
	ns.m[conn] = negEntry{neg: neg, expires: now.Add(ns.ttl)}
	ns.mu.Unlock()
	closeAll(stale)
}

// purgeLocked drops expired entries, at most once a second, and returns
// them for closing outside the lock.
func (ns *negotiations) purgeLocked(now time.Time) []*Negotiation {
	if now.Sub(ns.lastPurge) < time.Second {
		return nil
	}
	ns.lastPurge = now
	var out []*Negotiation
	for k, e := range ns.m {
		if now.After(e.expires) {
			out = append(out, e.neg)
			delete(ns.m, k)
		}
	}
	return out
}

func closeAll(negs []*Negotiation) {
	for _, n := range negs {
		n.Close()
	}
}

// challenge answers 401 with a Negotiate challenge, carrying tok if set.
func challenge(w http.ResponseWriter, tok []byte) {
	v := "Negotiate"
	if len(tok) > 0 {
		v += " " + base64.StdEncoding.EncodeToString(tok)
	}
	w.Header().Set("WWW-Authenticate", v)
	http.Error(w, "Unauthorized", http.StatusUnauthorized)
}
