package krb5

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/rfc8009"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/support"
)

// Enctypes whose pseudo-random function (RFC 3961 section 3) the package
// implements: FAST needs it for KRB-FX-CF2.
const (
	etypeAES128SHA1   = 17
	etypeAES256SHA1   = 18
	etypeAES128SHA256 = 19
	etypeAES256SHA384 = 20
	etypeRC4HMAC      = 23
)

// prf is the pseudo-random function of the enctype of key: RFC 3962
// section 4 for AES with SHA-1 (AES of the truncated SHA-1 hash under the
// key derived with "prf"), RFC 8009 section 5 for AES with SHA-2, and
// HMAC-SHA1 of the key for RC4, as MIT and Windows compute it.
func prf(key types.EncryptionKey, in []byte) ([]byte, error) {
	switch key.KeyType {
	case etypeAES128SHA1, etypeAES256SHA1:
		et, err := crypto.GetEtype(key.KeyType)
		if err != nil {
			return nil, err
		}
		dk, err := et.DeriveKey(key.KeyValue, []byte("prf"))
		if err != nil {
			return nil, err
		}
		defer support.Wipe(dk)
		block, err := aes.NewCipher(dk)
		if err != nil {
			return nil, err
		}
		sum := sha1.Sum(in)
		out := make([]byte, aes.BlockSize)
		block.Encrypt(out, sum[:aes.BlockSize])
		return out, nil
	case etypeAES128SHA256, etypeAES256SHA384:
		et, err := crypto.GetEtype(key.KeyType)
		if err != nil {
			return nil, err
		}
		bits := 256
		if key.KeyType == etypeAES256SHA384 {
			bits = 384
		}
		return rfc8009.KDF_HMAC_SHA2(key.KeyValue, []byte("prf"), in, bits, et), nil
	case etypeRC4HMAC:
		m := hmac.New(sha1.New, key.KeyValue)
		m.Write(in)
		return m.Sum(nil), nil
	}
	return nil, fmt.Errorf("krb5: %w", ErrNotSupported.With(
		fmt.Sprintf("no pseudo-random function for enctype %d", key.KeyType), nil))
}

// prfPlus is PRF+ of RFC 6113 section 5.1: PRF(key, 1|pepper) |
// PRF(key, 2|pepper) | ..., cut to n bytes.
func prfPlus(key types.EncryptionKey, pepper string, n int) ([]byte, error) {
	out := make([]byte, 0, n+64)
	in := make([]byte, 1+len(pepper))
	copy(in[1:], pepper)
	for i := 1; len(out) < n; i++ {
		if i > 255 {
			return nil, fmt.Errorf("krb5: PRF+ output of %d bytes is too long", n)
		}
		in[0] = byte(i)
		b, err := prf(key, in)
		if err != nil {
			support.Wipe(out)
			return nil, err
		}
		out = append(out, b...)
		support.Wipe(b)
	}
	support.Wipe(out[n:])
	return out[:n], nil
}

// cf2 is KRB-FX-CF2 of RFC 6113 section 5.1: random-to-key of the XOR of
// PRF+(k1, pepper1) and PRF+(k2, pepper2), a key of k1's enctype. The
// caller wipes the result.
func cf2(k1, k2 types.EncryptionKey, pepper1, pepper2 string) (types.EncryptionKey, error) {
	n := prfKeySize(k1.KeyType)
	if n == 0 {
		return types.EncryptionKey{}, fmt.Errorf("krb5: %w", ErrNotSupported.With(
			fmt.Sprintf("no KRB-FX-CF2 for enctype %d", k1.KeyType), nil))
	}
	a, err := prfPlus(k1, pepper1, n)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	defer support.Wipe(a)
	b, err := prfPlus(k2, pepper2, n)
	if err != nil {
		return types.EncryptionKey{}, err
	}
	defer support.Wipe(b)
	for i := range a {
		a[i] ^= b[i]
	}
	return types.EncryptionKey{KeyType: k1.KeyType,
		KeyValue: append([]byte(nil), a...)}, nil
}

// prfKeySize is the key size of the enctypes prf accepts, 0 for others.
// For each, the key-generation seed is as long as the key and
// random-to-key is the identity (RFC 3962 section 6, RFC 8009 section 5,
// and MIT for RC4). gokrb5's sizes and RC4 random-to-key differ from the
// specifications and are not used here.
func prfKeySize(etype int32) int {
	switch etype {
	case etypeAES128SHA1, etypeAES128SHA256, etypeRC4HMAC:
		return 16
	case etypeAES256SHA1, etypeAES256SHA384:
		return 32
	}
	return 0
}

// hmacMD5Checksum is the keyed checksum KERB_CHECKSUM_HMAC_MD5 (-138) of
// RFC 4757 section 4, which MS-SFU section 2.2.1 prescribes for
// PA-FOR-USER whatever the key's enctype: HMAC-MD5 under
// HMAC-MD5(key, "signaturekey\0") of MD5(usage | data), the usage as 4
// little-endian bytes.
func hmacMD5Checksum(key []byte, usage uint32, data []byte) []byte {
	m := hmac.New(md5.New, key)
	m.Write([]byte("signaturekey\x00"))
	ksign := m.Sum(nil)
	defer support.Wipe(ksign)
	var u [4]byte
	binary.LittleEndian.PutUint32(u[:], usage)
	h := md5.New()
	h.Write(u[:])
	h.Write(data)
	m = hmac.New(md5.New, ksign)
	m.Write(h.Sum(nil))
	return m.Sum(nil)
}

// makeChecksum computes the mandatory keyed checksum of key's enctype
// (RFC 3961 section 4) over data with usage.
func makeChecksum(key types.EncryptionKey, usage uint32, data []byte) (types.Checksum, error) {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return types.Checksum{}, fmt.Errorf("krb5: %w", ErrNotSupported.With(
			fmt.Sprintf("enctype %d", key.KeyType), nil))
	}
	sum, err := et.GetChecksumHash(key.KeyValue, data, usage)
	if err != nil {
		return types.Checksum{}, fmt.Errorf("krb5: checksum: %w", err)
	}
	return types.Checksum{CksumType: et.GetHashID(), Checksum: sum}, nil
}

// verifyChecksum checks a keyed checksum made with key. The checksum type
// must be the one of key's enctype: an unkeyed or foreign type is refused,
// as it would prove nothing.
func verifyChecksum(key types.EncryptionKey, usage uint32, data []byte,
	ck types.Checksum) bool {
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil || ck.CksumType != et.GetHashID() {
		return false
	}
	return et.VerifyChecksum(key.KeyValue, data, ck.Checksum, usage)
}
