package kcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
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
			encryptCBC(&ek[0], nr, &buf[0], 16*blocks)
			assert.Equal(t, want, buf[:16*blocks], "key %d, %d blocks", size, blocks)
			assert.Zero(t, buf[16*blocks], "wrote past the end")
		}
	}
}
