package kcrypto

import (
	"encoding/binary"
	"sync"
)

// nfold stretches or folds in to n bytes as RFC 3961 section 5.1
// defines: copies of in, each rotated right by 13 bits more than the
// previous one, are concatenated up to the least common multiple of the
// two lengths, and that is cut into n-byte blocks summed with
// one's-complement (end-around carry) addition.
func nfold(in []byte, n int) []byte {
	k := len(in)
	l := lcm(k, n)
	// The concatenation of the rotated copies, built a copy at a time:
	// copy i is in rotated right by 13*i bits.
	cat := make([]byte, l)
	bits := 8 * k
	for i := 0; i < l/k; i++ {
		rot := (13 * i) % bits
		for j := 0; j < k; j++ {
			// Bit b of the rotated copy is bit (b - rot) of in.
			var v byte
			for t := 0; t < 8; t++ {
				src := (8*j + t - rot + bits) % bits
				if in[src/8]&(0x80>>(src%8)) != 0 {
					v |= 0x80 >> t
				}
			}
			cat[i*k+j] = v
		}
	}
	// Sum the n-byte blocks from the last byte up, carrying around.
	out := make([]byte, n)
	for b := 0; b < l/n; b++ {
		carry := 0
		for j := n - 1; j >= 0; j-- {
			s := int(out[j]) + int(cat[b*n+j]) + carry
			out[j], carry = byte(s), s>>8
		}
		for j := n - 1; carry != 0 && j >= 0; j-- {
			s := int(out[j]) + carry
			out[j], carry = byte(s), s>>8
		}
	}
	return out
}

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// usageConstant is the 5-byte constant of RFC 3961 section 5.3 that
// derives a key for a usage: the usage number, big-endian, and the
// kind of key (0x99 checksum, 0xAA encryption, 0x55 integrity).
func usageConstant(usage uint32, kind byte) [5]byte {
	var c [5]byte
	binary.BigEndian.PutUint32(c[:4], usage)
	c[4] = kind
	return c
}

// folded caches n-fold(constant) to one AES block: the constants are
// public and few (one per usage and kind), the folding slow.
var folded sync.Map // [5]byte -> [16]byte

func foldedConstant(c [5]byte) [16]byte {
	if v, ok := folded.Load(c); ok {
		return v.([16]byte)
	}
	var f [16]byte
	copy(f[:], nfold(c[:], 16))
	folded.Store(c, f)
	return f
}
