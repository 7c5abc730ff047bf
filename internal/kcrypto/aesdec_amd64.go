package kcrypto

import "golang.org/x/sys/cpu"

// haveAESDec reports whether decryptCBC and encryptCBC run the AES-NI
// code.
var haveAESDec = cpu.X86.HasAES && cpu.X86.HasSSE41

// decryptCBC decrypts the n bytes (a multiple of 16) of src into dst in
// CBC mode with the round keys dk of nr rounds from decryptionKeys and
// the 16-byte iv as the ciphertext before src's first block. dst and src
// are the same or do not overlap.
//
//go:noescape
func decryptCBC(dk *byte, nr int, dst, src *byte, n int, iv *byte)

// encryptCBC encrypts buf (n bytes, a multiple of 16) in place in CBC
// mode with a zero IV, with the round keys ek of nr rounds from
// encryptionKeys.
//
//go:noescape
func encryptCBC(ek *byte, nr int, buf *byte, n int)
