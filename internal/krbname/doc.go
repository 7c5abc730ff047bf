// Package krbname holds the small value types that the file codecs for
// credential caches (internal/ccachefile) and keytabs (internal/keytabfile)
// share: a principal name with MIT's string form, and a key block whose
// value never prints.
//
// The types are plain values with no locking; they are safe for concurrent
// reads, and callers synchronise writes themselves.
package krbname
