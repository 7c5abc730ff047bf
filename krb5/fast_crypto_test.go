package krb5

import (
	"encoding/hex"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCF2Vectors checks KRB-FX-CF2 against the vectors of MIT krb5's
// src/lib/crypto/crypto_tests/t_cf2.in and t_cf2.expected: k1 and k2 are
// string-to-key of "key1" and "key2", each salted with itself, and the
// peppers are "a" and "b".
func TestCF2Vectors(t *testing.T) {
	tests := []struct {
		etype int32
		want  string
	}{
		{17, "97df97e4b798b29eb31ed7280287a92a"},
		{18, "4d6ca4e629785c1f01baf55e2e548566b9617ae3a96868c337cb93b5e72b1c7b"},
		{23, "24d7f6b6bae4e5c00d2082c5ebab3672"},
		{19, "edd02a39d2dbde31611c16e610be062c"},
		{20, "67f6ea530aea85a37dcbb23349ea52dcc61ca8493ff557252327fd8304341584"},
	}
	for _, tc := range tests {
		t.Run(etypeName(tc.etype), func(t *testing.T) {
			et, err := crypto.GetEtype(tc.etype)
			require.NoError(t, err)
			s2k := func(s string) types.EncryptionKey {
				k, err := et.StringToKey(s, s, et.GetDefaultStringToKeyParams())
				require.NoError(t, err)
				return types.EncryptionKey{KeyType: tc.etype, KeyValue: k}
			}
			got, err := cf2(s2k("key1"), s2k("key2"), "a", "b")
			require.NoError(t, err)
			assert.Equal(t, tc.etype, got.KeyType)
			assert.Equal(t, tc.want, hex.EncodeToString(got.KeyValue))
		})
	}
}

// TestPRFVectors checks the AES-SHA2 pseudo-random function against RFC
// 8009 appendix A ("Pseudorandom function") and the AES-SHA1 one against
// MIT krb5's t_prf.in (key from string-to-key of "key1" salted "key1",
// input 0x01 | "a").
func TestPRFVectors(t *testing.T) {
	tests := []struct {
		name, key, in, want string
		etype               int32
	}{
		{"aes128-sha256", "3705d96080c17728a0e800eab6e0d23c", "74657374",
			"9d188616f63852fe86915bb840b4a886ff3e6bb0f819b49b893393d393854295",
			etypeAES128SHA256},
		{"aes256-sha384",
			"6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
			"74657374",
			"9801f69a368c2bf675e59521e177d9a07f67efe1cfde8d3c8d6f6a0256e3b17d" +
				"b3c1b62ad1b8553360d17367eb1514d2", etypeAES256SHA384},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, in := mustHex(t, tc.key), mustHex(t, tc.in)
			got, err := prf(types.EncryptionKey{KeyType: tc.etype, KeyValue: key}, in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, hex.EncodeToString(got))
		})
	}
}

func TestPRFRefusesOtherEnctypes(t *testing.T) {
	_, err := prf(types.EncryptionKey{KeyType: 16, KeyValue: make([]byte, 24)}, []byte("x"))
	require.ErrorIs(t, err, ErrNotSupported)
	_, err = cf2(types.EncryptionKey{KeyType: 99}, types.EncryptionKey{KeyType: 18}, "a", "b")
	require.ErrorIs(t, err, ErrNotSupported)
}

// TestHMACMD5Checksum checks the PA-FOR-USER checksum against gokrb5's
// RFC 4757 checksum, an independent implementation.
func TestHMACMD5Checksum(t *testing.T) {
	key := mustHex(t, "00112233445566778899aabbccddeeff")
	data := []byte("\x01\x00\x00\x00aliceSAFEKRB5.TESTKerberos")
	et, err := crypto.GetEtype(etypeRC4HMAC)
	require.NoError(t, err)
	want, err := et.GetChecksumHash(key, data, 17)
	require.NoError(t, err)
	assert.Equal(t, want, hmacMD5Checksum(key, 17, data))
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func etypeName(e int32) string {
	switch e {
	case etypeAES128SHA1:
		return "aes128-sha1"
	case etypeAES256SHA1:
		return "aes256-sha1"
	case etypeAES128SHA256:
		return "aes128-sha256"
	case etypeAES256SHA384:
		return "aes256-sha384"
	case etypeRC4HMAC:
		return "rc4-hmac"
	}
	return "other"
}
