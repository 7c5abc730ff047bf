//go:build !amd64

package kcrypto

// haveAESDec is false: decryptCBC and encryptCBC have no
// implementation here, and the standard library's cipher is used.
const haveAESDec = false

func decryptCBC(dk *byte, nr int, dst, src *byte, n int, iv *byte) {
	panic("kcrypto: decryptCBC without an implementation")
}

func encryptCBC(ek *byte, nr int, buf *byte, n int, iv *byte) {
	panic("kcrypto: encryptCBC without an implementation")
}

// haveStitched is false: encryptCBCSHA1 has no implementation here.
const haveStitched = false

func encryptCBCSHA1(ek *byte, nr int, buf *byte, n int, iv *byte, h *[5]uint32) {
	panic("kcrypto: encryptCBCSHA1 without an implementation")
}

func decryptCBCSHA1(dk *byte, nr int, dst, src *byte, n int, iv *byte, h *[5]uint32) {
	panic("kcrypto: decryptCBCSHA1 without an implementation")
}

func sha1Blocks(h *[5]uint32, p *byte, n int) {
	panic("kcrypto: sha1Blocks without an implementation")
}
