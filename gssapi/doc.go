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
// A credential made from a keytab file rotates keys without a restart:
//
//	cred, err := gssapi.NewAcceptorCredentialFromFile("/etc/http.keytab",
//		gssapi.WithKeytabWatch(time.Second), gssapi.WithKeyGrace(time.Hour))
//
// reads the file again when it is replaced or rewritten (or on Reload, or
// on a signal with WithReloadSignal) as a new generation of its key set.
// Accepts in flight and open contexts keep the generation they started
// with; tickets under a kvno the new file still holds, or any kvno for
// the grace period, are accepted; a file that does not parse leaves the
// keys in force; a generation's keys are wiped once it is neither
// searched nor used. Stats, and the module's statistics, list the
// generations alive and how many contexts pin each.
//
// The acceptor checks tickets and authenticators as RFC 4120 section
// 3.2.3 asks, keeps its own replay cache, and does not interpret the
// PAC, so tickets from MIT 1.20, whose PAC has no Windows logon
// information, and tickets without a PAC are accepted alike; the
// authorization data stays available on the SecurityContext.
//
// An established SecurityContext protects messages with the tokens of
// RFC 4121 section 4.2: Wrap and Unwrap, with or without confidentiality,
// and MIC and VerifyMIC, with replay and sequence detection.
//
// BUG(safekrb5): per-message tokens exist only in RFC 4121's format, for
// the AES enctypes; a context whose session key is rc4-hmac or des3 (RFC
// 1964's token format) fails Wrap, Unwrap, MIC and VerifyMIC with an
// error naming the enctype.
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
// BUG(safekrb5): SPNEGO's initiator side lists Kerberos alone and does
// not check a mechListMIC the acceptor sends; NTLM and NegoEx are not
// implemented, so an acceptor-side negotiation always ends in Kerberos
// or in a rejection.
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
