// Package keytabfile reads and writes MIT Kerberos FILE keytabs.
//
// Parse accepts format versions 0x0501 (host byte order, realm counted
// as a component, no name type) and 0x0502 (big endian). It honours the
// 32-bit key version number that MIT writes after an entry when the
// record has room for it, and skips holes: records with a negative length
// left by deleted entries. Marshal always writes 0x0502, with the 32-bit
// key version after every entry, as MIT krb5 1.20 does. The layout
// follows MIT's "Keytab file format" document.
//
// Parsing never panics: every length is checked against the data left
// before anything is allocated, counts are capped, and each failure is a
// *FormatError naming the field and its byte offset. Error messages never
// contain key bytes.
//
// A Keytab is a plain value without locking; callers synchronise access.
package keytabfile

// BUG(safekrb5): Holes are dropped: Marshal writes the live entries back
// to back, so a file MIT punched holes into comes back smaller.

// BUG(safekrb5): WriteFile replaces the whole file; it does not take MIT's
// fcntl lock, so a concurrent MIT writer (kadmin ktadd) can lose entries.
