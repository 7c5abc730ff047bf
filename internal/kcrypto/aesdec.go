package kcrypto

import "encoding/binary"

// AES in CBC mode over long messages. The standard library's CBC calls
// the cipher once per block. On amd64 with AES-NI, aesdec_amd64.s
// decrypts eight independent blocks side by side (CBC decryption has no
// chain) with the chaining XOR done in registers, and encrypts the
// chain with the block kept in a register; with the SHA extensions too,
// encryptCBCSHA1 runs SHA-1 over the plaintext in the same loop, its
// rounds filling the time each block's AES rounds leave the processor
// waiting, so that RFC 3962's HMAC over the plaintext costs next to
// nothing on top of the encryption. All three need the round keys,
// which the standard library keeps to itself, so the key schedule, with
// the equivalent inverse cipher's keys (FIPS-197 section 5.3.5) for
// decryption, is made here.

// sbox is the AES S-box (FIPS-197 section 5.1.1), computed at start-up:
// the multiplicative inverse in GF(2^8) followed by the affine map.
var sbox = func() [256]byte {
	var s [256]byte
	for x := range 256 {
		inv := byte(0)
		if x != 0 {
			// x^254 is x's inverse in GF(2^8).
			inv = 1
			for range 254 {
				inv = gfMul(inv, byte(x))
			}
		}
		b := inv
		s[x] = b ^ rotl8(b, 1) ^ rotl8(b, 2) ^ rotl8(b, 3) ^ rotl8(b, 4) ^ 0x63
	}
	return s
}()

func rotl8(b byte, n uint) byte { return b<<n | b>>(8-n) }

// gfMul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
func gfMul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// expandKey is the AES key expansion (FIPS-197 section 5.2) of key (16,
// 24 or 32 bytes): the round keys as words, and the number of rounds.
func expandKey(key []byte) ([]uint32, int) {
	nk := len(key) / 4
	nr := nk + 6
	w := make([]uint32, 4*(nr+1))
	for i := range nk {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := nk; i < len(w); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = subWord(t<<8|t>>24) ^ rcon<<24
			rcon = uint32(gfMul(byte(rcon), 2))
		case nk > 6 && i%nk == 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	return w, nr
}

// encryptionKeys returns the round keys of key as (rounds+1) blocks of
// 16 bytes, and the number of rounds.
func encryptionKeys(key []byte) ([]byte, int) {
	w, nr := expandKey(key)
	out := make([]byte, 16*(nr+1))
	for i, x := range w {
		binary.BigEndian.PutUint32(out[4*i:], x)
	}
	clear(w)
	return out, nr
}

// decryptionKeys returns the round keys of the equivalent inverse cipher
// for key, in the order decryption uses them, as (rounds+1) blocks of 16
// bytes, and the number of rounds.
func decryptionKeys(key []byte) ([]byte, int) {
	w, nr := expandKey(key)
	out := make([]byte, 16*(nr+1))
	for r := 0; r <= nr; r++ {
		blk := out[16*r : 16*r+16]
		for c := range 4 {
			binary.BigEndian.PutUint32(blk[4*c:], w[4*(nr-r)+c])
		}
		if r > 0 && r < nr {
			invMixColumns(blk)
		}
	}
	clear(w)
	return out, nr
}

func subWord(w uint32) uint32 {
	return uint32(sbox[w>>24])<<24 | uint32(sbox[w>>16&0xff])<<16 |
		uint32(sbox[w>>8&0xff])<<8 | uint32(sbox[w&0xff])
}

// invMixColumns applies InvMixColumns (FIPS-197 section 5.3.3) to the
// four columns of a 16-byte block in place.
func invMixColumns(b []byte) {
	for c := 0; c < 16; c += 4 {
		a0, a1, a2, a3 := b[c], b[c+1], b[c+2], b[c+3]
		b[c] = gfMul(a0, 14) ^ gfMul(a1, 11) ^ gfMul(a2, 13) ^ gfMul(a3, 9)
		b[c+1] = gfMul(a0, 9) ^ gfMul(a1, 14) ^ gfMul(a2, 11) ^ gfMul(a3, 13)
		b[c+2] = gfMul(a0, 13) ^ gfMul(a1, 9) ^ gfMul(a2, 14) ^ gfMul(a3, 11)
		b[c+3] = gfMul(a0, 11) ^ gfMul(a1, 13) ^ gfMul(a2, 9) ^ gfMul(a3, 14)
	}
}
