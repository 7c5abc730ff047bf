package kcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
)

var errShortCiphertext = errors.New("kcrypto: ciphertext shorter than one block")

// zeroIV is the initial cipher state of every Kerberos message.
var zeroIV [aes.BlockSize]byte

// ctsEncrypt encrypts buf in place with AES in CBC mode with ciphertext
// stealing, as RFC 3962 section 5 specifies: CBC over the message with
// its last block padded with zeros, then the last two blocks swapped and
// the output cut to the message's length. A message of one block is
// plain CBC. buf must be at least one block long.
func ctsEncrypt(b cipher.Block, buf []byte) {
	const bs = aes.BlockSize
	n := len(buf)
	if n == bs {
		cipher.NewCBCEncrypter(b, zeroIV[:]).CryptBlocks(buf, buf)
		return
	}
	// full is the length of all blocks but the last, which holds
	// m bytes (1 to 16).
	m := n % bs
	if m == 0 {
		m = bs
	}
	full := n - m
	enc := cipher.NewCBCEncrypter(b, zeroIV[:])
	enc.CryptBlocks(buf[:full], buf[:full])
	// The last block, padded, chains from the block before it.
	var last [bs]byte
	copy(last[:], buf[full:])
	prev := buf[full-bs : full]
	subtle.XORBytes(last[:], last[:], prev)
	b.Encrypt(last[:], last[:])
	// Swap: the encrypted last block goes where the one before it was,
	// and that one, cut to m bytes, goes last.
	copy(buf[full:], prev[:m])
	copy(prev, last[:])
}

// ctsDecrypt undoes ctsEncrypt in place.
func ctsDecrypt(b cipher.Block, buf []byte) error {
	const bs = aes.BlockSize
	n := len(buf)
	if n < bs {
		return errShortCiphertext
	}
	if n == bs {
		cipher.NewCBCDecrypter(b, zeroIV[:]).CryptBlocks(buf, buf)
		return nil
	}
	m := n % bs
	if m == 0 {
		m = bs
	}
	full := n - m
	// buf[full-bs:full] holds the encrypted (padded) last block E_n and
	// buf[full:] the first m bytes of E_{n-1}.
	var en, d, enm1 [bs]byte
	copy(en[:], buf[full-bs:full])
	b.Decrypt(d[:], en[:]) // (P_n || 0) xor E_{n-1}
	copy(enm1[:], buf[full:])
	copy(enm1[m:], d[m:])
	// P_n is the first m bytes of d xor E_{n-1}.
	var pn [bs]byte
	subtle.XORBytes(pn[:m], d[:m], enm1[:m])
	// Put E_{n-1} back in its place and decrypt everything before the
	// last block as plain CBC.
	copy(buf[full-bs:full], enm1[:])
	cipher.NewCBCDecrypter(b, zeroIV[:]).CryptBlocks(buf[:full], buf[:full])
	copy(buf[full:], pn[:m])
	return nil
}
