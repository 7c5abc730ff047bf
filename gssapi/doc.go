// Package gssapi is the GSS-API layer of safekrb5: Kerberos security
// contexts (RFC 4121) with SPNEGO (RFC 4178), and HTTP Negotiate (RFC
// 4559) for servers and clients.
//
// The package is the gssapi module of safekrb5's lifecycle engine and
// depends on krb5. An AcceptorCredential and a SecurityContext are live
// objects of the module: when the last one is closed the module tears
// down (krb5 stays loaded), and the next one loads it again as a new
// generation. After Shutdown or Close, calls fail with ErrFinalized and
// the middleware answers 503.
//
// A server protects a handler with its keytab:
//
//	kt, err := krb5.LoadKeytab("/etc/http.keytab")
//	cred, err := gssapi.NewAcceptorCredential(kt)
//	http.Handle("/", gssapi.Middleware(cred)(handler))
//
// and finds the client in the request's context, through
// IdentityFromContext or gokrb5's goidentity key, so handlers written for
// gokrb5's SPNEGO handler keep working. A client authenticates with
// tickets from a krb5.Client:
//
//	hc := gssapi.NewClient(krbClient, nil)
//	resp, err := hc.Get("https://www.example.com/")
//
// The acceptor checks tickets and authenticators as RFC 4120 section
// 3.2.3 asks, keeps its own replay cache, and does not interpret the
// PAC, so tickets from MIT 1.20, whose PAC has no Windows logon
// information, and tickets without a PAC are accepted alike; the
// authorization data stays available on the SecurityContext.
//
// BUG(safekrb5): per-message tokens (GetMIC, VerifyMIC, Wrap, Unwrap)
// are not implemented yet; a SecurityContext holds its key and sequence
// numbers but offers no calls that use them.
//
// BUG(safekrb5): channel bindings are neither sent nor checked: the
// binding hash in the authenticator checksum is ignored.
//
// BUG(safekrb5): the acceptor does not verify SPNEGO's mechListMIC. A
// client that lists Kerberos after another mechanism gets the second
// leg it needs, but a downgrade of the mechanism list is not detected.
//
// BUG(safekrb5): the initiator does not delegate credentials, and the
// acceptor keeps a delegated KRB-CRED without decoding it.
//
// BUG(safekrb5): the PAC is not decoded or verified; callers that need
// Windows group membership must decode the authorization data
// themselves.
package gssapi
