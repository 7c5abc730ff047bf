package kcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The S-box and the inverse key schedule against known values: FIPS-197
// appendix A.1 expands 2b7e1516 28aed2a6 abf71588 09cf4f3c to a last
// round key of d014f9a8 c9ee2589 e13f0cc8 b6630ca6.
func TestKeySchedule(t *testing.T) {
	assert.Equal(t, byte(0x63), sbox[0])
	assert.Equal(t, byte(0x7c), sbox[1])
	assert.Equal(t, byte(0x16), sbox[0xff])
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	dk, nr := decryptionKeys(key)
	assert.Equal(t, 10, nr)
	assert.Equal(t, "d014f9a8c9ee2589e13f0cc8b6630ca6", fmt.Sprintf("%x", dk[:16]))
	assert.Equal(t, "2b7e151628aed2a6abf7158809cf4f3c", fmt.Sprintf("%x", dk[160:]))
}

// decryptCBC agrees with crypto/cipher's CBC for every key size, for
// block counts around the eight-block stride, from a random IV, apart
// and in place.
func TestDecryptCBC(t *testing.T) {
	if !haveAESDec {
		t.Skip("no AES-NI decryption on this machine")
	}
	for _, size := range []int{16, 24, 32} {
		key := make([]byte, size)
		rand.Read(key)
		b, err := aes.NewCipher(key)
		require.NoError(t, err)
		dk, nr := decryptionKeys(key)
		for blocks := 0; blocks <= 35; blocks++ {
			iv := make([]byte, 16)
			rand.Read(iv)
			src := make([]byte, 16*blocks)
			rand.Read(src)
			want := make([]byte, len(src))
			cipher.NewCBCDecrypter(b, iv).CryptBlocks(want, src)
			got := make([]byte, len(src)+1)
			inPlace := bytes.Clone(src)
			if blocks > 0 {
				decryptCBC(&dk[0], nr, &got[0], &src[0], len(src), &iv[0])
				decryptCBC(&dk[0], nr, &inPlace[0], &inPlace[0], len(src), &iv[0])
			}
			assert.Equal(t, want, got[:len(src)], "key %d, %d blocks", size, blocks)
			assert.Zero(t, got[len(src)], "wrote past the end")
			assert.Equal(t, want, inPlace, "key %d, %d blocks in place", size, blocks)
		}
	}
}

// encryptCBC agrees with crypto/cipher's CBC for every key size.
func TestEncryptCBC(t *testing.T) {
	if !haveAESDec {
		t.Skip("no AES-NI on this machine")
	}
	for _, size := range []int{16, 24, 32} {
		key := make([]byte, size)
		rand.Read(key)
		b, err := aes.NewCipher(key)
		require.NoError(t, err)
		ek, nr := encryptionKeys(key)
		for blocks := 1; blocks <= 20; blocks++ {
			buf := make([]byte, 16*blocks+1)
			rand.Read(buf[:16*blocks])
			want := make([]byte, 16*blocks)
			cipher.NewCBCEncrypter(b, zeroIV[:]).CryptBlocks(want, buf[:16*blocks])
			encryptCBC(&ek[0], nr, &buf[0], 16*blocks, &zeroIV[0])
			assert.Equal(t, want, buf[:16*blocks], "key %d, %d blocks", size, blocks)
			assert.Zero(t, buf[16*blocks], "wrote past the end")
		}
	}
}

// encryptCBCSHA1 encrypts as crypto/cipher's CBC does and leaves the
// SHA-1 state crypto/sha1 reaches over the same plaintext, for every key
// size, from a random IV, for lengths of one to twenty SHA-1 blocks.
func TestEncryptCBCSHA1(t *testing.T) {
	if !haveStitched {
		t.Skip("no AES-NI or SHA extensions on this machine")
	}
	for _, size := range []int{16, 24, 32} {
		key := make([]byte, size)
		rand.Read(key)
		b, err := aes.NewCipher(key)
		require.NoError(t, err)
		ek, nr := encryptionKeys(key)
		for blocks := 1; blocks <= 20; blocks++ {
			n := 64 * blocks
			iv := make([]byte, 16)
			rand.Read(iv)
			buf := make([]byte, n+1)
			rand.Read(buf[:n])
			want := make([]byte, n)
			cipher.NewCBCEncrypter(b, iv).CryptBlocks(want, buf[:n])
			ref := sha1.New()
			ref.Write(buf[:n])
			st, err := ref.(encoding.BinaryMarshaler).MarshalBinary()
			require.NoError(t, err)

			h := [5]uint32{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}
			buf[n] = 0
			encryptCBCSHA1(&ek[0], nr, &buf[0], n, &iv[0], &h)
			assert.Equal(t, want, buf[:n], "key %d, %d blocks", size, blocks)
			assert.Zero(t, buf[n], "wrote past the end")
			for i, w := range h {
				assert.Equal(t, binary.BigEndian.Uint32(st[4+4*i:]), w,
					"key %d, %d blocks, word %d", size, blocks, i)
			}
		}
	}
}

// decryptCBCSHA1 decrypts as crypto/cipher's CBC does and leaves the
// SHA-1 state crypto/sha1 reaches over the plaintext, and sha1Blocks
// the state over its input, for every key size, from a random IV, for
// lengths of zero to twenty SHA-1 blocks.
func TestDecryptCBCSHA1(t *testing.T) {
	if !haveStitched {
		t.Skip("no AES-NI or SHA extensions on this machine")
	}
	sha1IV := [5]uint32{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0}
	for _, size := range []int{16, 24, 32} {
		key := make([]byte, size)
		rand.Read(key)
		b, err := aes.NewCipher(key)
		require.NoError(t, err)
		dk, nr := decryptionKeys(key)
		for blocks := 0; blocks <= 20; blocks++ {
			n := 64 * blocks
			iv := make([]byte, 16)
			rand.Read(iv)
			src := make([]byte, n+1)
			rand.Read(src)
			want := make([]byte, n)
			cipher.NewCBCDecrypter(b, iv).CryptBlocks(want, src[:n])
			ref := sha1.New()
			ref.Write(want)
			st, err := ref.(encoding.BinaryMarshaler).MarshalBinary()
			require.NoError(t, err)

			dst := make([]byte, n+1)
			h := sha1IV
			decryptCBCSHA1(&dk[0], nr, &dst[0], &src[0], n, &iv[0], &h)
			assert.Equal(t, want, dst[:n], "key %d, %d blocks", size, blocks)
			assert.Zero(t, dst[n], "wrote past the end")
			h2 := sha1IV
			sha1Blocks(&h2, &src[0], 0) // nothing to hash: h2 unchanged
			if n > 0 {
				sha1Blocks(&h2, &want[0], n)
			}
			for i := range h {
				w := binary.BigEndian.Uint32(st[4+4*i:])
				assert.Equal(t, w, h[i], "key %d, %d blocks, word %d", size, blocks, i)
				assert.Equal(t, w, h2[i], "sha1Blocks, %d blocks, word %d", blocks, i)
			}
		}
	}
}
