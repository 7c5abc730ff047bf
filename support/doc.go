// Package support is the bottom module of safekrb5: secrets that can be
// wiped, tracing, and the clock that the krb5 and gssapi modules share.
//
// Like every safekrb5 module, support has reference-counted state. It loads
// when the first [Secret] is made or the first module above it loads, and
// tears down when the last reference goes: at teardown it closes the trace
// file named by KRB5_TRACE and wipes any secret still alive.
//
// Secrets hold passwords and keys. Their bytes are reached only inside
// [Secret.Use], which guards against a concurrent [Secret.Destroy]: Destroy
// waits for uses in flight and then overwrites the buffer with zeros.
//
// Tracing is off unless KRB5_TRACE names a file, as in MIT krb5, or a
// caller passes a *slog.Logger to the krb5 or gssapi layer. As in MIT, a
// KRB5_TRACE file that cannot be opened for appending (a missing
// directory, a FIFO nobody reads) leaves tracing off. Trace events
// never carry a key, a password, a ticket or keytab bytes.
package support
