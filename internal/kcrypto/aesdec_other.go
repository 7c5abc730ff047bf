//go:build !amd64

package kcrypto

// haveAESDec is false: decryptCBC and encryptCBC have no
// implementation here, and the standard library's cipher is used.
const haveAESDec = false

func decryptCBC(dk *byte, nr int, dst, src *byte, n int, iv *byte) {
	panic("kcrypto: decryptCBC without an implementation")
}

func encryptCBC(ek *byte, nr int, buf *byte, n int) {
	panic("kcrypto: encryptCBC without an implementation")
}
