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
// Errors from the KDC are *KDCError values that keep the protocol code,
// e-text and e-data, and match the package's sentinels with errors.Is.
// Configuration comes from our own krb5.conf parser (includes, final
// markers, MIT's enctype names) and is handed to the library as a gokrb5
// *config.Config, which the library never modifies.
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
// BUG(safekrb5): the KDCs of a realm are tried one after another, each
// for up to the KDC timeout, and a KDC that failed is not remembered: while
// the first KDC listed accepts requests but never answers, every exchange
// waits out the whole timeout before trying the next, and a login, which
// takes two AS exchanges with pre-authentication, waits twice. Lower
// WithKDCTimeout or list a healthy KDC first.
//
// BUG(safekrb5): FAST armoring (RFC 6113), PKINIT, S4U and user-to-user
// exchanges are not implemented.
package krb5
