// Package gssapi is the GSS-API layer of safekrb5: Kerberos security
// contexts (RFC 4121) with SPNEGO (RFC 4178), and HTTP Negotiate (RFC
// 4559) for servers and clients.
//
// The package is the gssapi module of safekrb5's lifecycle engine and
// depends on krb5. An AcceptorCredential, an Initiator and a
// SecurityContext are live objects of the module: when the last one is
// closed (an Initiator by Close or by the Step or Finish that ends it)
// the module tears down (krb5 stays loaded), and the next one loads it
// again as a new generation. After Shutdown or Close, calls fail with
// ErrFinalized and the middleware answers 503.
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
// 3.2.3 asks and keeps its own replay cache. The PAC that Active
// Directory puts in tickets is decoded and verified when it is first
// asked for (SecurityContext.PAC, package pac): its server signature
// with the service key, its client information against the ticket, and
// its KDC signature when WithKrbtgtKeytab gives the krbtgt keys. The
// Middleware does so for every request and fills the identity's AD
// attributes (groups, SIDs, names) as gokrb5's SPNEGO handler does.
// Tickets without a PAC (Heimdal) and tickets with MIT 1.20's PAC, which
// has no logon information, are accepted alike; VerifyPAC and
// RequirePAC make Accept itself check, or demand, the PAC.
//
// The addresses a ticket may carry are checked against the initiator's
// when asked (RFC 4120 section 3.2.3 makes the check optional, and MIT
// makes it only when channel bindings name an IPv4 initiator): a
// credential made WithAddressCheck, whose Middleware passes each
// request's peer address, or an Accept given AcceptFrom refuses a
// ticket bound to other addresses with an error matching ErrBadAddress.
// Addressless tickets, the default of MIT's and Heimdal's clients, pass.
//
// BUG(safekrb5): the AES key schedules and HMAC states that Go's
// crypto/aes and crypto/hmac make from a context key while a token is
// protected cannot be wiped; they stay in memory until the garbage
// collector reuses it. The context's own copies of its key, of the keys
// derived from it and of its AES round keys are wiped on Close.
//
// An established SecurityContext protects messages with per-message
// tokens: Wrap and Unwrap, with or without confidentiality, and MIC and
// VerifyMIC, with replay and sequence detection. Contexts whose key is
// of an AES enctype use the tokens of RFC 4121 section 4.2, rotated
// ones included; contexts whose key is rc4-hmac or des3-cbc-sha1-kd use
// the older tokens of RFC 1964 section 1.2, with the algorithms of RFC
// 4757 section 7 for rc4-hmac and MIT's for des3.
//
// BUG(safekrb5): a context whose key would be single DES or
// rc4-hmac-exp, which MIT and Windows no longer issue, is not
// established: Accept and Finish fail.
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
// FlagDelegPolicy forwards the TGT only to services whose tickets the
// KDC marks OK-AS-DELEGATE; FlagDeleg forwards it to any.
//
// BUG(safekrb5): krb5.conf's enforce_ok_as_delegate is not read: FlagDeleg
// delegates to any service even when that setting asks to treat it as
// FlagDelegPolicy; callers that want the policy must ask for it.
//
// BUG(safekrb5): the client DelegatedClient returns does not renew the
// delegated TGT; it works until that TGT expires.
//
// BUG(safekrb5): a service that does not hold the krbtgt keys verifies
// only the PAC's server signature: it cannot tell a PAC made by the KDC
// from one made by someone holding the service key, and there is no
// KERB_VERIFY_PAC exchange with a domain controller (MS-APDS section
// 3.2.5.2) to ask the KDC.
package gssapi
