package gssapi

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jcmturner/goidentity/v6"
	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/safekrb5/safekrb5/support"
)

// maxHeader bounds the Authorization header the middleware decodes: the
// base64 form of MaxTokenSize plus the scheme.
const maxHeader = MaxTokenSize/3*4 + 64

// MiddlewareOption changes the middleware's behaviour.
type MiddlewareOption func(*middlewareSettings)

type middlewareSettings struct {
	log *slog.Logger
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
// response carries the mutual-authentication token. After the credential
// is closed or gssapi is shut down, requests get 503.
func Middleware(cred *AcceptorCredential, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	var s middlewareSettings
	for _, o := range opts {
		o(&s)
	}
	log := support.Tracer(s.log)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, ok := negotiateToken(r)
			if !ok {
				challenge(w, nil)
				return
			}
			sc, out, err := cred.Accept(tok)
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
			if out != nil {
				w.Header().Set("WWW-Authenticate",
					"Negotiate "+base64.StdEncoding.EncodeToString(out))
			}
			id := sc.Credentials()
			support.Trace(r.Context(), log, "negotiate: accepted",
				slog.String("client", sc.ClientName()), slog.String("remote", r.RemoteAddr))
			ctx := context.WithValue(r.Context(), identityKey{}, id)
			ctx = context.WithValue(ctx, contextKey{}, sc)
			r = goidentity.AddToHTTPRequestContext(id, r.WithContext(ctx))
			next.ServeHTTP(w, r)
		})
	}
}

// negotiateToken extracts and decodes the token of an
// "Authorization: Negotiate <base64>" header.
func negotiateToken(r *http.Request) ([]byte, bool) {
	h := r.Header.Get("Authorization")
	if h == "" || len(h) > maxHeader {
		return nil, false
	}
	scheme, b64, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Negotiate") {
		return nil, false
	}
	tok, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(tok) == 0 {
		return nil, false
	}
	return tok, true
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
