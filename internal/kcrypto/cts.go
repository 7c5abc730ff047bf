package kcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

var errShortCiphertext = errors.New("ciphertext shorter than one block")

// zeroIV is the initial cipher state of every Kerberos message.
var zeroIV [aes.BlockSize]byte

// xorBlock sets dst to dst xor src, one AES block.
func xorBlock(dst, src []byte) {
	_ = dst[15]
	_ = src[15]
	binary.LittleEndian.PutUint64(dst[0:8],
		binary.LittleEndian.Uint64(dst[0:8])^binary.LittleEndian.Uint64(src[0:8]))
	binary.LittleEndian.PutUint64(dst[8:16],
		binary.LittleEndian.Uint64(dst[8:16])^binary.LittleEndian.Uint64(src[8:16]))
}

// ctsEncrypt encrypts buf in place with AES in CBC mode with ciphertext
// stealing, as RFC 3962 section 5 specifies: CBC over the message with
// its last block padded with zeros, then the last two blocks swapped and
// the output cut to the message's length. A message of one block is
// plain CBC. buf must be at least one block long.
//
// CBC encryption chains every block to the one before, so it runs one
// block at a time; the chaining XOR is done here, in registers, rather
// than through cipher.NewCBCEncrypter's call per block.
//
// With ek (the round keys of nr rounds, from encryptionKeys) and AES-NI,
// the chain runs in encryptCBC with the block kept in a register.
//
// The first done bytes of buf (a multiple of the block, short of its
// last two blocks) are already CBC-encrypted: the chain goes on from
// there.
func ctsEncrypt(b cipher.Block, ek []byte, nr int, buf []byte, done int) {
	const bs = aes.BlockSize
	n := len(buf)
	if n == bs {
		b.Encrypt(buf, buf)
		return
	}
	// full is the length of all blocks but the last, which holds
	// m bytes (1 to 16).
	m := n % bs
	if m == 0 {
		m = bs
	}
	full := n - m
	iv := zeroIV[:]
	if done > 0 {
		iv = buf[done-bs : done]
	}
	if ek != nil && haveAESDec {
		if done < full {
			encryptCBC(&ek[0], nr, &buf[done], full-done, &iv[0])
		}
	} else {
		for i := done; i < full; i += bs {
			blk := buf[i : i+bs]
			xorBlock(blk, iv)
			b.Encrypt(blk, blk)
			iv = blk
		}
	}
	// The last block, padded, chains from the block before it.
	var last [bs]byte
	copy(last[:], buf[full:])
	prev := buf[full-bs : full]
	xorBlock(last[:], prev)
	b.Encrypt(last[:], last[:])
	// Swap: the encrypted last block goes where the one before it was,
	// and that one, cut to m bytes, goes last.
	copy(buf[full:], prev[:m])
	copy(prev, last[:])
}

// ctsDecrypt undoes ctsEncrypt, writing the plaintext of src to dst,
// which has src's length and does not overlap it. iv is the cipher state
// before src's first block, nil for the zero IV of a whole message:
// with a message's first ciphertext block as iv, ctsDecrypt of the rest
// of the message, when the rest is longer than one block, gives the rest
// of its plaintext.
//
// Unlike encryption, CBC decryption has no chain: every block is the
// decryption of its ciphertext xor the ciphertext before it. The blocks
// are decrypted independently and the XOR is done in one pass.
//
// With dk (the decryption round keys of nr rounds, from decryptionKeys)
// and AES-NI, the blocks go through decryptCBC eight at a time, which
// does the XOR as it goes.
func ctsDecrypt(b cipher.Block, dk []byte, nr int, iv *[aes.BlockSize]byte,
	dst, src []byte) error {
	const bs = aes.BlockSize
	n := len(src)
	if n < bs || len(dst) != n {
		return errShortCiphertext
	}
	if iv == nil {
		iv = &zeroIV
	}
	if n == bs {
		b.Decrypt(dst, src)
		xorBlock(dst, iv[:])
		return nil
	}
	m := n % bs
	if m == 0 {
		m = bs
	}
	full := n - m
	// src[full-bs:full] holds the encrypted (padded) last block E_n and
	// src[full:] the first m bytes of E_{n-1}.
	var d, enm1 [bs]byte
	b.Decrypt(d[:], src[full-bs:full]) // (P_n || 0) xor E_{n-1}
	copy(enm1[:], src[full:])
	copy(enm1[m:], d[m:])
	// P_n is the first m bytes of d xor E_{n-1}.
	subtle.XORBytes(dst[full:], d[:m], enm1[:m])
	// Blocks 1 to n-2, then n-1 from E_{n-1}, chained from the
	// ciphertext before it.
	if k := full - bs; k > 0 {
		if dk != nil && haveAESDec {
			decryptCBC(&dk[0], nr, &dst[0], &src[0], k, &iv[0])
		} else {
			for i := 0; i < k; i += bs {
				b.Decrypt(dst[i:i+bs], src[i:i+bs])
			}
			xorBlock(dst[:bs], iv[:])
			subtle.XORBytes(dst[bs:k], dst[bs:k], src[:k-bs])
		}
	}
	prev := iv[:]
	if full > bs {
		prev = src[full-2*bs : full-bs]
	}
	b.Decrypt(dst[full-bs:full], enm1[:])
	xorBlock(dst[full-bs:full], prev)
	return nil
}
