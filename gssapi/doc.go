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
// An established SecurityContext protects messages with per-message
// tokens: Wrap and Unwrap, with or without confidentiality, and MIC and
// VerifyMIC, with replay and sequence detection. Contexts whose key is
// of an AES enctype use the tokens of RFC 4121 section 4.2, rotated
// ones included; contexts whose key is rc4-hmac or des3-cbc-sha1-kd use
// the older tokens of RFC 1964 section 1.2, with the algorithms of RFC
// 4757 section 7 for rc4-hmac and MIT's for des3.
//
// BUG(safekrb5): contexts whose key is single DES or rc4-hmac-exp, which
// MIT and Windows no longer issue, have no per-message tokens: Wrap,
// Unwrap, MIC and VerifyMIC fail with GSS_S_UNAVAILABLE naming the
// enctype.
//
// Contexts can be bound to their channel (RFC 4121 section 4.1.1.2):
// WithBindings on the initiator, AcceptBindings on the acceptor, and
// TLSServerEndPoint for the tls-server-end-point bindings of RFC 5929.
// Over HTTPS the Transport binds its tokens to the server's certificate,
// and the Middleware checks them when WithServerCertificates names the
// server's certificates. An initiator asked for FlagDeleg forwards its
// TGT (RFC 4121 section 4.1.1.1), and the acceptor hands it out as a
// krb5 client with SecurityContext.DelegatedClient. SPNEGO (RFC 4178)
// is accepted as Windows, Firefox, curl and MIT send it: Kerberos under
// either OID and in any place of the mechanism list, with or without the
// optimistic token, with the mechListMIC checked and answered (section
// 5); a negotiation of several legs is carried by a Negotiation.
//
// BUG(safekrb5): channel bindings are those of RFC 2744's structure
// only: the Windows form that marks a bound authenticator in its
// authorization data (KERB_AP_OPTIONS_CBT) is neither sent nor required,
// and only the tls-server-end-point TLS binding is built; tls-unique and
// tls-exporter are not. Our client's bindings were tested against our
// middleware only, not against Apache mod_auth_gssapi or IIS.
//
// BUG(safekrb5): the Middleware cannot learn the certificate a TLS
// connection used from the request, so it checks channel bindings only
// when WithServerCertificates names the server's certificates; without
// it, bindings a client sends over TLS are ignored.
//
// The initiator's side of SPNEGO lists Kerberos alone by default, as
// MIT does; WithSPNEGOMechs lists more, and Initiator.Step carries a
// negotiation of several legs, exchanging and checking the mechListMICs
// of RFC 4178 section 5 whenever the acceptor sends one, asks for one,
// or chose another mechanism than the first.
//
// BUG(safekrb5): NTLM and NegoEx are not implemented: a negotiation
// always ends in Kerberos or in a rejection, on either side.
//
// BUG(safekrb5): the Transport answers one Negotiate challenge per
// request, with Finish: a server that asks for a further SPNEGO leg (a
// mechListMIC exchange it requests) fails the request with an error.
//
// BUG(safekrb5): delegation ignores the OK-AS-DELEGATE ticket flag
// (there is no GSS_C_DELEG_POLICY_FLAG): FlagDeleg forwards the TGT to
// any service the caller names. The client DelegatedClient returns does
// not renew the delegated TGT; it works until that TGT expires.
//
// BUG(safekrb5): the PAC is not decoded or verified; callers that need
// Windows group membership must decode the authorization data
// themselves.
package gssapi
