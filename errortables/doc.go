// Package errortables holds numbered error tables in the com_err scheme used
// by MIT Kerberos, so that a numeric code means the same thing in safekrb5 as
// in MIT's libraries and tools.
//
// A table has a name of up to four characters. The name encodes into the
// table's base exactly as com_err encodes it: each character is mapped to its
// position in the alphabet "A-Za-z0-9_" counted from one, the positions are
// packed six bits apiece, and the result is shifted left by eight bits. A code
// is the base plus the index of the message in the table, so a table holds at
// most 256 codes.
//
// Modules register the tables they use when they load and release them at
// teardown; registration is counted, so a table stays while any module holds
// it. Lookups through [Message] and [Lookup] take no lock and may run while
// other goroutines register and release tables.
//
// An [Error] carries its code, its table's name, its symbolic name and its
// message text. It never needs the registry again after it was made, so an
// error created before a module's teardown prints the same afterwards.
//
// The package defines MIT's tables with MIT's codes and symbolic names
// (krb5 1.20): [KRB5Table] (krb5_err.et), [K5GTable] (gssapi_err_krb5.et),
// [GGSSTable] (gssapi_err_generic.et), [KV5MTable] and [ASN1Table], plus
// safekrb5's own [LifecycleTable]; [Tables] lists them. The message texts
// are safekrb5's own wording. Sentinels such as [ErrPreauthFailed] and
// [ErrClockSkew] name the codes callers test most, and [KDCCode] turns a
// KRB-ERROR error-code into its krb5 code.
//
// GSS-API major status codes (RFC 2744 section 3.9.1) are not a com_err
// table; they are the [GSSMajor] type, and a [GSSError] pairs one with a
// com_err minor status.
//
// Codes 1 to 255 are operating system error numbers, as in com_err; their
// text is Go's (lower case, "no such file or directory") rather than the C
// library's.
package errortables
