package kcrypto

import "golang.org/x/sys/cpu"

// haveAESDec reports whether decryptBlocks runs the AES-NI code.
var haveAESDec = cpu.X86.HasAES && cpu.X86.HasSSE41

// decryptBlocks decrypts the whole blocks of src into dst (of the same
// length, a multiple of 16) with the round keys dk of nr rounds from
// decryptionKeys, each block on its own (ECB): CBC's chaining XOR is the
// caller's.
//
//go:noescape
func decryptBlocks(dk *byte, nr int, dst, src *byte, n int)

// encryptCBC encrypts buf (n bytes, a multiple of 16) in place in CBC
// mode with a zero IV, with the round keys ek of nr rounds from
// encryptionKeys.
//
//go:noescape
func encryptCBC(ek *byte, nr int, buf *byte, n int)
