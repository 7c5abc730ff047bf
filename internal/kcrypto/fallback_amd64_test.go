package kcrypto

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/stretchr/testify/require"
)

// withPortable runs f with the AES-NI and stitched SHA-1 paths switched
// off, as on a processor without them.
func withPortable(t *testing.T, f func()) {
	aesDec, stitched := haveAESDec, haveStitched
	haveAESDec, haveStitched = false, false
	defer func() { haveAESDec, haveStitched = aesDec, stitched }()
	f()
}

// What the assembly paths encrypt, the portable code decrypts, and the
// other way round, for every enctype and for lengths around the block,
// the eight-block stride and the 64-byte SHA-1 block; so the code a
// processor without AES-NI or SHA extensions runs is tested here too.
func TestPortablePathsAgree(t *testing.T) {
	for _, et := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96,
		etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA256_128,
		etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC} {
		for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 4099, 70001} {
			name := fmt.Sprintf("enctype %d, %d bytes", et, n)
			plain := make([]byte, n)
			rand.Read(plain)

			fast, err := newFuzzKey(et)
			require.NoError(t, err, name)
			var slow *Key
			var fromSlow []byte
			withPortable(t, func() {
				slow, err = newFuzzKey(et)
				require.NoError(t, err, name)
				fromSlow, err = slow.Encrypt(nil, 7, plain)
				require.NoError(t, err, name)
			})
			fromFast, err := fast.Encrypt(nil, 7, plain)
			require.NoError(t, err, name)

			got, err := fast.Decrypt(7, fromSlow)
			require.NoError(t, err, "%s: fast path decrypting the portable path's", name)
			require.Equal(t, plain, got[:n], name)
			withPortable(t, func() {
				got, err = slow.Decrypt(7, fromFast)
			})
			require.NoError(t, err, "%s: portable path decrypting the fast path's", name)
			require.Equal(t, plain, got[:n], name)

			// A flipped bit fails on both.
			if n > 0 {
				bad := append([]byte(nil), fromFast...)
				bad[len(bad)/2] ^= 1
				_, err = fast.Decrypt(7, bad)
				require.ErrorIs(t, err, ErrIntegrity, name)
				withPortable(t, func() { _, err = slow.Decrypt(7, bad) })
				require.ErrorIs(t, err, ErrIntegrity, name)
			}
		}
	}
}
