package kcrypto

//go:generate go run gen_stitched.go

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
// mode from the 16-byte iv, with the round keys ek of nr rounds from
// encryptionKeys.
//
//go:noescape
func encryptCBC(ek *byte, nr int, buf *byte, n int, iv *byte)

// haveStitched reports whether encryptCBCSHA1 runs: it needs the SHA
// instructions besides AES-NI.
var haveStitched = haveAESDec && cpu.X86.HasSSSE3 && hasSHAExtensions()

// hasSHAExtensions reports the SHA extensions (CPUID leaf 7, EBX bit
// 29), which golang.org/x/sys/cpu does not.
func hasSHAExtensions() bool

// encryptCBCSHA1 is encryptCBC of n bytes, a multiple of 64, with the
// SHA-1 compression function (FIPS 180-4 section 6.1.2) of their
// plaintext run into the state h in the same loop, where it costs
// little: CBC encryption leaves the processor waiting for each block's
// rounds. It is generated: stitched_amd64.s, from gen_stitched.go.
//
//go:noescape
func encryptCBCSHA1(ek *byte, nr int, buf *byte, n int, iv *byte, h *[5]uint32)

// decryptCBCSHA1 is decryptCBC of n bytes, a multiple of 64, from src
// to dst (which do not overlap), with the SHA-1 compression function of
// the plaintext run into the state h: each turn decrypts four blocks
// and hashes the four of the turn before, whose SHA-1 rounds run beside
// the AES rounds.
//
//go:noescape
func decryptCBCSHA1(dk *byte, nr int, dst, src *byte, n int, iv *byte, h *[5]uint32)

// sha1Blocks runs the SHA-1 compression function over the n bytes (a
// multiple of 64) at p into the state h.
//
//go:noescape
func sha1Blocks(h *[5]uint32, p *byte, n int)
