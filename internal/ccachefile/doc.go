// Package ccachefile reads and writes MIT Kerberos FILE credential caches.
//
// Parse accepts the four versions of the format, 0x0501 to 0x0504
// (versions 1 and 2 store integers in host byte order, 3 and 4 in big
// endian; version 4 adds a header whose tag 1 holds the KDC time offset).
// Marshal always writes version 4, the only version MIT has written by
// default since krb5 1.3. The layout follows MIT's "Credential cache file
// format" document.
//
// Parsing never panics: every length is checked against the input that
// is left before anything is allocated, counts of components, addresses,
// authorization data elements and credentials are capped, and each
// failure is a *FormatError naming the field and its byte offset. Error
// messages never contain key or ticket bytes.
//
// A Cache is a plain value without locking; callers synchronise access.
package ccachefile

// BUG(safekrb5): Header fields other than the KDC time offset (tag 1) are
// skipped when parsing and are not written back by Marshal.

// BUG(safekrb5): WriteFile replaces the file as a whole; it does not take
// MIT's fcntl lock, so a concurrent MIT writer to the same file can lose
// credentials it added between our read and our rename.
