// Package krb5 is the Kerberos 5 client of safekrb5: it logs in to a KDC
// with a password, a keytab or an MIT credential cache, obtains service
// tickets, keeps its TGT fresh, and reads and writes MIT's ccache and
// keytab files.
//
// The package is the krb5 module of safekrb5's lifecycle engine. It
// depends on support and is depended on by gssapi. Every Client and
// Keytab is a live object of the module: while one is open the module
// stays loaded; Close waits for the object's calls in flight, stops its
// goroutines and wipes its keys; a call after Close fails with ErrClosed,
// and a call after the module's final Shutdown or Close fails with
// ErrFinalized, never with a crash.
//
// A typical service logs in once and asks for tickets as it needs them:
//
//	cfg, err := krb5.LoadConfig() // KRB5_CONFIG or /etc/krb5.conf
//	...
//	c, err := krb5.NewWithPassword("alice", "EXAMPLE.COM", password, cfg)
//	...
//	defer c.Close()
//	if err := c.Login(ctx); err != nil {
//		if errors.Is(err, krb5.ErrPreauthFailed) { ... wrong password ... }
//	}
//	tkt, err := c.ServiceTicket(ctx, "HTTP/www.example.com")
//
// Active Directory users often log in with their user principal name:
// the Enterprise option sends it as an enterprise name (RFC 6806), and
// Canonicalize asks the KDC for the account's canonical name, as kinit
// -E and -C do.
//
// Referrals are followed across realms, for at most five hops: a KDC that
// holds no such client answers a login with KDC_ERR_WRONG_REALM naming
// the client's realm (RFC 6806 section 7), as Active Directory does for
// the user principal name of a trusted domain, and the client logs in
// there; a KDC that holds no such service answers with a TGT for the
// realm that does (RFC 6806 section 8). After a client referral the TGT
// names the client as its own realm knows it: services named without a
// realm, the credential cache written and password changes all go to
// that realm.
//
// Errors from the KDC are *KDCError values that keep the protocol code,
// e-text and e-data, and match the package's sentinels with errors.Is.
// Configuration comes from our own krb5.conf parser (includes, final
// markers, MIT's enctype names) and is handed to the library as a gokrb5
// *config.Config, which the library never modifies.
//
// A service acts on behalf of users with Client.ImpersonateUser
// (S4U2Self) and Impersonation.ServiceTicket (S4U2Proxy, constrained and
// resource-based delegation, MS-SFU). WithArmorCCache and WithArmor armor
// logins with FAST (RFC 6113), as kinit -T does, which realms that
// require FAST need; WithFAST armors TGS exchanges.
//
// The KDCs of a realm come from its kdc relations or, when there are
// none and dns_lookup_kdc is on (MIT's default), from DNS SRV records,
// looked up with WithResolver's resolver. Each is tried in turn, over UDP
// for a request no larger than udp_preference_limit and over TCP
// otherwise, then over the other transport, as MIT does; each attempt
// is bounded by WithKDCTimeout, else by kdc_timeout in the configuration,
// else by DefaultKDCTimeout, and by the caller's context. A KDC that
// failed is tried after the others for a minute, by every client of the
// process, so that a silent KDC costs its timeout once.
//
// Configuration reloads live: SetConfig, ReloadConfig, or
// WithConfigReload to reread krb5.conf and the files it includes on a
// watch or a signal. Each call keeps the configuration it started with
// to its end; a configuration that does not parse leaves the one in
// force, with an error naming file and line. A client made from a file
// credential cache reads it again when another process (kinit, a
// renewal daemon) rewrote or replaced it, before it next needs its TGT.
//
// Setting KRB5_TRACE to a file name, or passing WithLogger, traces KDC
// exchanges and ticket cache hits; traces never carry keys, passwords or
// tickets.
//
// BUG(safekrb5): string-to-key for a password goes through gokrb5, which
// takes the password as a Go string; that copy cannot be wiped and stays
// in memory until the garbage collector reuses it. The client's own copy
// lives in a support.Secret and is wiped on Close.
//
// BUG(safekrb5): the AES key schedules and HMAC states that Go's
// crypto/aes and crypto/hmac make from a session or long-term key while
// encrypting cannot be wiped; they stay in memory until the garbage
// collector reuses it. The keys the library holds (keys derived for each
// usage and its own AES round keys included) are wiped with their
// ticket, keytab or client.
//
// BUG(safekrb5): KDC proxies (MS-KKDCP, "kdc = https://...") are not
// supported: a realm whose KDCs are all proxies fails with an error
// matching ErrNotSupported, and proxies listed beside ordinary KDCs are
// skipped.
//
// BUG(safekrb5): KDCs are looked up in DNS SRV records only; the URI
// records (_kerberos.REALM) that MIT consults first are not, so a realm
// published with URI records alone is not found.
//
// BUG(safekrb5): PKINIT and user-to-user exchanges are not implemented.
// Without anonymous PKINIT a FAST login needs an armor TGT from elsewhere:
// a keytab login (WithArmor) or a credential cache (WithArmorCCache).
//
// BUG(safekrb5): FAST pre-authentication is the encrypted challenge, or
// the encrypted timestamp inside the tunnel where the KDC offers only
// that; mechanisms of several rounds (OTP, SPAKE) are not implemented, so
// a KDC that requires them refuses the login. A TGS exchange armored
// with WithFAST accepts a reply in the clear from a KDC that ignores FAST
// (Heimdal 7 does), as MIT's library does; an armored AS exchange never
// does.
//
// BUG(safekrb5): NewWithPassword and NewWithKeytab take the user name
// as gokrb5 does, its components joined by "/", so a client principal
// with a "/" inside one component cannot be named; the command-line
// tools refuse such a name.
//
// BUG(safekrb5): S4U works within the service's realm: a user of another
// realm can be impersonated only by an enterprise name the service's KDC
// resolves, and S4U2Proxy to a service of another realm (through
// referrals) fails with ErrNotSupported. S4U2Self by certificate is not
// implemented, and an Impersonation starts from S4U2Self only: a ticket
// that a user sent to the service cannot yet serve as evidence for
// S4U2Proxy. S4U tickets stay in the Impersonation; WriteCCache does not
// write them.
//
// BUG(safekrb5): resource-based constrained delegation is asked for
// (PA-PAC-OPTIONS) but has not been seen granted by a real KDC: none that
// the tests run has the rules for it (MIT 1.20's LDAP database module
// keeps constrained-delegation rules only, Heimdal 7 has none, Samba
// 4.17's KDC ignores msDS-AllowedToActOnBehalfOfOtherIdentity). Constrained
// delegation works against MIT on its LDAP database (on the default DB2
// database MIT's KDC refuses S4U2Proxy, having no rules to consult),
// Heimdal and Samba.
package krb5
