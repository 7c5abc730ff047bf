// Package kcrypto implements the Kerberos encryption and checksum
// profiles that carry nearly all traffic, with the derived keys of a key
// kept for reuse:
//
//   - aes128-cts-hmac-sha1-96 and aes256-cts-hmac-sha1-96 (RFC 3962 on
//     the simplified profile of RFC 3961 section 5.3),
//   - aes128-cts-hmac-sha256-128 and aes256-cts-hmac-sha384-192
//     (RFC 8009).
//
// The work goes to crypto/aes, crypto/sha1 and crypto/sha256, which use
// the processor's AES and SHA instructions where it has them. gokrb5
// derives every key afresh for each message, n-folding the usage
// constant bit by bit; here the n-folded constants are computed once per
// usage and the derived keys once per Key and usage. On amd64, long
// messages go through AES-NI code of ours (aesdec.go), which for the
// SHA-1 enctypes also hashes the plaintext as it encrypts it.
//
// Other enctypes (des3-cbc-sha1-kd, rc4-hmac) are handed to gokrb5's
// implementation through the same Key methods.
//
// A Key holds its base key, derived keys and AES round keys in memory of
// its own, which Wipe overwrites, as it does the HMAC states with their
// pads hashed that a Key keeps for the usages it uses more than once.
// The AES ciphers are the standard library's, which offers no way to
// wipe them: those of one call become garbage when it returns, and those
// kept for a usage when Wipe drops them; so do the HMAC states of
// crypto/hmac made for a usage's first message.
package kcrypto
