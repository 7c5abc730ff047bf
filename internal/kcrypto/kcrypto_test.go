package kcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// RFC 3961 appendix A.1.
func TestNfold(t *testing.T) {
	for _, tc := range []struct {
		bits int
		in   string
		want string
	}{
		{64, "012345", "be072631276b1955"},
		{56, "password", "78a07b6caf85fa"},
		{64, "Rough Consensus, and Running Code", "bb6ed30870b7f0e0"},
		{168, "password", "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
		{192, "MASSACHVSETTS INSTITVTE OF TECHNOLOGY",
			"db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
		{168, "Q", "518a54a215a8452a518a54a215a8452a518a54a215"},
		{168, "ba", "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
		{64, "kerberos", "6b65726265726f73"},
		{128, "kerberos", "6b65726265726f737b9b5b2b93132b93"},
	} {
		t.Run(fmt.Sprintf("%d-%s", tc.bits, tc.in), func(t *testing.T) {
			assert.Equal(t, tc.want, hex.EncodeToString(nfold([]byte(tc.in), tc.bits/8)))
		})
	}
}

// RFC 3962 appendix B: AES-128 CTS with a zero IV.
func TestCTSVectors(t *testing.T) {
	key := unhex(t, "636869636b656e207465726979616b69")
	b, err := aes.NewCipher(key)
	require.NoError(t, err)
	for i, tc := range []struct{ plain, cipher string }{
		{"4920776f756c64206c696b652074686520",
			"c6353568f2bf8cb4d8a580362da7ff7f97"},
		{"4920776f756c64206c696b65207468652047656e6572616c20476175277320",
			"fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
		{"4920776f756c64206c696b65207468652047656e6572616c2047617527732043",
			"39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"},
		{"4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c",
			"97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5"},
		{"4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20",
			"97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8"},
		{"4920776f756c64206c696b65207468652047656e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
			"97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			buf := unhex(t, tc.plain)
			ctsEncrypt(b, nil, 0, buf, 0)
			assert.Equal(t, tc.cipher, hex.EncodeToString(buf))
			ek, enr := encryptionKeys(key)
			again := unhex(t, tc.plain)
			ctsEncrypt(b, ek, enr, again, 0)
			assert.Equal(t, buf, again)
			out := make([]byte, len(buf))
			require.NoError(t, ctsDecrypt(b, nil, 0, nil, out, buf))
			dk, nr := decryptionKeys(key)
			bulk := make([]byte, len(buf))
			require.NoError(t, ctsDecrypt(b, dk, nr, nil, bulk, buf))
			assert.Equal(t, out, bulk)
			assert.Equal(t, tc.plain, hex.EncodeToString(out))
		})
	}
	assert.ErrorIs(t, ctsDecrypt(b, nil, 0, nil, make([]byte, 15), make([]byte, 15)),
		errShortCiphertext)
}

// Decrypting a message from its second block on, chained from the first
// block's ciphertext, gives the rest of the plaintext, for every length
// around the block and eight-block strides, with and without the
// AES-NI code; so does decrypting all of it.
func TestCTSDecryptFromSecondBlock(t *testing.T) {
	for _, size := range []int{16, 32} {
		key := make([]byte, size)
		rand.Read(key)
		b, err := aes.NewCipher(key)
		require.NoError(t, err)
		ek, enr := encryptionKeys(key)
		dk, nr := decryptionKeys(key)
		for n := 16; n <= 400; n++ {
			plain := make([]byte, n)
			rand.Read(plain)
			ct := append([]byte(nil), plain...)
			ctsEncrypt(b, ek, enr, ct, 0)
			for _, sched := range [][]byte{nil, dk} {
				out := make([]byte, n+1)
				require.NoError(t, ctsDecrypt(b, sched, nr, nil, out[:n], ct))
				assert.Equal(t, plain, out[:n], "key %d, %d bytes", size, n)
				assert.Zero(t, out[n], "wrote past the end")
				if n <= 32 {
					continue
				}
				rest := make([]byte, n-16+1)
				require.NoError(t, ctsDecrypt(b, sched, nr, (*[16]byte)(ct[:16]),
					rest[:n-16], ct[16:]))
				assert.Equal(t, plain[16:], rest[:n-16], "key %d, %d bytes", size, n)
				assert.Zero(t, rest[n-16], "wrote past the end")
			}
		}
	}
}

// RFC 8009 appendix A: derived keys for usage 2, encryption with the
// given confounders, and checksums.
func TestRFC8009Vectors(t *testing.T) {
	type encVector struct{ plain, conf, out string }
	for _, tc := range []struct {
		name       string
		et         int32
		base       string
		kc, ke, ki string
		enc        []encVector
		sumIn, sum string
	}{
		{
			name: "aes128-cts-hmac-sha256-128",
			et:   etypeID.AES128_CTS_HMAC_SHA256_128,
			base: "3705d96080c17728a0e800eab6e0d23c",
			kc:   "b31a018a48f54776f403e9a396325dc3",
			ke:   "9b197dd1e8c5609d6e67c3e37c62c72e",
			ki:   "9fda0e56ab2d85e1569a688696c26a6c",
			enc: []encVector{
				{"", "7e5895eaf2672435bad817f545a37148",
					"ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718"},
				{"000102030405", "7bca285e2fd4130fb55b1a5c83bc5b24",
					"84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c"},
				{"000102030405060708090a0b0c0d0e0f", "56ab21713ff62c0a1457200f6fa9948f",
					"3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3"},
				{"000102030405060708090a0b0c0d0e0f1011121314", "a7a4e29a4728ce10664fb64e49ad3fac",
					"720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc"},
			},
			sumIn: "000102030405060708090a0b0c0d0e0f1011121314",
			sum:   "d78367186643d67b411cba9139fc1dee",
		},
		{
			name: "aes256-cts-hmac-sha384-192",
			et:   etypeID.AES256_CTS_HMAC_SHA384_192,
			base: "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
			kc:   "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d",
			ke:   "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49",
			ki:   "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f",
			enc: []encVector{
				{"", "f764e9fa15c276478b2c7d0c4e5f58e4",
					"41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c"},
				{"000102030405", "b80d3251c1f6471494256ffe712d0b9a",
					"4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2"},
				{"000102030405060708090a0b0c0d0e0f", "53bf8a0d105265d4e276428624ce5e63",
					"bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266"},
				{"000102030405060708090a0b0c0d0e0f1011121314", "763e65367e864f02f55153c7e3b58af1",
					"40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62"},
			},
			sumIn: "000102030405060708090a0b0c0d0e0f1011121314",
			sum:   "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKey(tc.et, unhex(t, tc.base))
			require.NoError(t, err)
			u, err := k.keys(2, needKe|needKi|needKc)
			require.NoError(t, err)
			assert.Equal(t, tc.kc, hex.EncodeToString(u.kc))
			assert.Equal(t, tc.ke, hex.EncodeToString(u.ke))
			assert.Equal(t, tc.ki, hex.EncodeToString(u.ki))
			for i, v := range tc.enc {
				out, err := k.encryptWith(nil, 2, unhex(t, v.conf), unhex(t, v.plain))
				require.NoError(t, err)
				assert.Equal(t, v.out, hex.EncodeToString(out), "vector %d", i)
				plain, err := k.Decrypt(2, out)
				require.NoError(t, err)
				assert.Equal(t, v.plain, hex.EncodeToString(plain), "vector %d", i)
			}
			sum, err := k.Checksum(nil, 2, unhex(t, tc.sumIn))
			require.NoError(t, err)
			assert.Equal(t, tc.sum, hex.EncodeToString(sum))
		})
	}
}

var allETypes = []int32{
	etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96,
	etypeID.AES128_CTS_HMAC_SHA256_128, etypeID.AES256_CTS_HMAC_SHA384_192,
	etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC,
}

// Every enctype interoperates with gokrb5 both ways, for every length
// around the block boundaries, several usages, and messages in parts.
func TestAgainstGokrb5(t *testing.T) {
	for _, et := range allETypes {
		t.Run(fmt.Sprint(et), func(t *testing.T) {
			g, err := crypto.GetEtype(et)
			require.NoError(t, err)
			base := make([]byte, g.GetKeyByteSize())
			if et == etypeID.AES256_CTS_HMAC_SHA384_192 {
				base = make([]byte, 32)
			}
			rand.Read(base)
			k, err := NewKey(et, base)
			require.NoError(t, err)
			sizes := []int{500, 511, 512, 513, 1000, 4099, 65541}
			for n := 0; n <= 70; n++ {
				sizes = append(sizes, n)
			}
			for _, usage := range []uint32{2, 3, 11, 22, 25} {
				for _, n := range sizes {
					msg := make([]byte, n)
					rand.Read(msg)
					ct, err := k.Encrypt([]byte("prefix"), usage, msg[:n/2], msg[n/2:])
					require.NoError(t, err)
					require.Equal(t, "prefix", string(ct[:6]))
					if Native(et) {
						require.Len(t, ct, 6+n+k.Overhead())
					}
					plain, err := g.DecryptMessage(base, ct[6:], usage)
					require.NoError(t, err, "usage %d length %d", usage, n)
					require.Equal(t, msg, plain[:n])

					_, gct, err := g.EncryptMessage(base, msg, usage)
					require.NoError(t, err)
					plain, err = k.Decrypt(usage, gct)
					require.NoError(t, err, "usage %d length %d", usage, n)
					require.True(t, bytes.Equal(msg, plain[:n]))

					gsum, err := g.GetChecksumHash(base, msg, usage)
					require.NoError(t, err)
					sum, err := k.Checksum(nil, usage, msg[:n/3], msg[n/3:])
					require.NoError(t, err)
					require.Equal(t, gsum, sum)
					require.Len(t, sum, k.ChecksumLen())
					ok, err := k.VerifyChecksum(sum, usage, msg)
					require.NoError(t, err)
					require.True(t, ok)
				}
			}
		})
	}
}

func TestTamperedAndWiped(t *testing.T) {
	for _, et := range allETypes[:4] {
		t.Run(fmt.Sprint(et), func(t *testing.T) {
			p, _ := profileOf(et)
			k, err := NewKey(et, make([]byte, p.keyLen))
			require.NoError(t, err)
			ct, err := k.Encrypt(nil, 7, []byte("a message of some length"))
			require.NoError(t, err)
			for i := range ct {
				bad := bytes.Clone(ct)
				bad[i] ^= 1
				_, err := k.Decrypt(7, bad)
				require.ErrorIs(t, err, ErrIntegrity, "byte %d", i)
			}
			_, err = k.Decrypt(8, ct)
			assert.ErrorIs(t, err, ErrIntegrity, "other usage")
			for n := range ConfounderLen + p.macLen {
				_, err = k.Decrypt(7, ct[:n])
				assert.ErrorIs(t, err, ErrIntegrity, "%d bytes", n)
			}
			sum, err := k.Checksum(nil, 7, []byte("x"))
			require.NoError(t, err)
			ok, err := k.VerifyChecksum(sum, 7, []byte("y"))
			require.NoError(t, err)
			assert.False(t, ok)

			base := k.base
			k.Wipe()
			assert.Equal(t, make([]byte, len(base)), base)
			_, err = k.Decrypt(7, ct)
			assert.ErrorIs(t, err, ErrWiped)
			_, err = k.Encrypt(nil, 7, nil)
			assert.ErrorIs(t, err, ErrWiped)
			_, err = k.Checksum(nil, 7)
			assert.ErrorIs(t, err, ErrWiped)
		})
	}
	_, err := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 16))
	assert.ErrorIs(t, err, ErrKeySize)
	_, err = NewKey(9999, make([]byte, 16))
	assert.ErrorIs(t, err, ErrUnsupported)
}

func BenchmarkDecrypt1K(b *testing.B) {
	k, _ := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 32))
	ct, _ := k.Encrypt(nil, 2, make([]byte, 1024))
	b.SetBytes(1024)
	for b.Loop() {
		if _, err := k.Decrypt(2, ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveAndDecrypt1K(b *testing.B) {
	k, _ := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 32))
	ct, _ := k.Encrypt(nil, 2, make([]byte, 1024))
	b.SetBytes(1024)
	for b.Loop() {
		k, _ := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 32))
		if _, err := k.Decrypt(2, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNewKeyRefusesWrongSizes checks the key length of every enctype,
// those gokrb5 implements included: an rc4-hmac key of one byte or a
// des3 key of five makes no Key.
func TestNewKeyRefusesWrongSizes(t *testing.T) {
	tests := []struct {
		name string
		et   int32
		size int
	}{
		{"aes128-cts-hmac-sha1-96", etypeID.AES128_CTS_HMAC_SHA1_96, 16},
		{"aes256-cts-hmac-sha1-96", etypeID.AES256_CTS_HMAC_SHA1_96, 32},
		{"aes128-cts-hmac-sha256-128", etypeID.AES128_CTS_HMAC_SHA256_128, 16},
		{"aes256-cts-hmac-sha384-192", etypeID.AES256_CTS_HMAC_SHA384_192, 32},
		{"des3-cbc-sha1-kd", etypeID.DES3_CBC_SHA1_KD, 24},
		{"rc4-hmac", etypeID.RC4_HMAC, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewKey(tt.et, make([]byte, tt.size))
			require.NoError(t, err)
			k.Wipe()
			for _, n := range []int{0, 1, 5, tt.size - 1, tt.size + 1, 100} {
				k, err := NewKey(tt.et, make([]byte, n))
				require.ErrorIs(t, err, ErrKeySize, "%d bytes", n)
				assert.Nil(t, k)
				assert.Contains(t, err.Error(), fmt.Sprintf("%d bytes for enctype %d", n, tt.et))
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	key := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96,
		KeyValue: make([]byte, 32)}
	ed, err := Seal(key, 11, []byte("authenticator"))
	require.NoError(t, err)
	assert.Equal(t, key.KeyType, ed.EType)
	assert.Zero(t, ed.KVNO)
	plain, err := Open(key, 11, ed)
	require.NoError(t, err)
	assert.Equal(t, "authenticator", string(plain))
	_, err = Open(key, 12, ed)
	assert.ErrorIs(t, err, ErrIntegrity)
	g, err := crypto.DecryptEncPart(ed, key, 11)
	require.NoError(t, err)
	assert.Equal(t, "authenticator", string(g))
}

func BenchmarkSeal64K(b *testing.B) {
	k, _ := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 32))
	msg := make([]byte, 64<<10)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := k.Encrypt(nil, 24, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen64K(b *testing.B) {
	k, _ := NewKey(etypeID.AES256_CTS_HMAC_SHA1_96, make([]byte, 32))
	ct, _ := k.Encrypt(nil, 24, make([]byte, 64<<10))
	b.SetBytes(int64(len(ct)))
	for b.Loop() {
		if _, err := k.Decrypt(24, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// gokrb5's des3 decryption indexes past the end of a ciphertext shorter
// than its checksum, and its CBC panics on one that is not whole blocks;
// such ciphertexts must fail as integrity errors before reaching it.
func TestShortCiphertextsOfGokrb5ETypes(t *testing.T) {
	for _, et := range []int32{etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC} {
		k, err := newFuzzKey(et)
		require.NoError(t, err)
		for n := range 40 {
			t.Run(fmt.Sprintf("%d-%d", et, n), func(t *testing.T) {
				_, err := k.Decrypt(3, make([]byte, n))
				assert.ErrorIs(t, err, ErrIntegrity)
			})
		}
	}
}

// A prepared HMAC computes what crypto/hmac computes.
func TestPreparedHMAC(t *testing.T) {
	for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New384} {
		for _, n := range []int{16, 24, 32, 64} {
			key := make([]byte, n)
			rand.Read(key)
			p := prepareHMAC(h, key)
			require.NotNil(t, p)
			for _, size := range []int{0, 1, 63, 64, 65, 1000} {
				msg := make([]byte, size)
				rand.Read(msg)
				want := hmac.New(h, key)
				want.Write(msg)
				got := p.start()
				got.Write(msg[:size/2])
				got.Write(msg[size/2:])
				assert.Equal(t, want.Sum(nil), got.Sum(nil))
			}
			p.wipe()
			assert.Equal(t, make([]byte, len(p.inner)), p.inner)
		}
	}
	assert.Nil(t, prepareHMAC(sha1.New, make([]byte, 65)), "a key longer than a block")
}

// DecryptAppend appends what Decrypt returns, in dst's array when it has
// room, and a ciphertext or part lying in dst's spare capacity is read
// whole before anything is written there.
func TestDecryptAppend(t *testing.T) {
	for _, et := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96,
		etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA256_128,
		etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC} {
		k, err := newFuzzKey(et)
		require.NoError(t, err)
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 511, 512, 4099} {
			name := fmt.Sprintf("enctype %d, %d bytes", et, n)
			plain := make([]byte, n)
			rand.Read(plain)
			ct, err := k.Encrypt(nil, 9, plain)
			require.NoError(t, err, name)
			// des3's plaintext comes back padded to its block.
			want, err := k.Decrypt(9, ct)
			require.NoError(t, err, name)
			require.Equal(t, plain, want[:n], name)

			roomy := make([]byte, 3, 3+len(ct))
			copy(roomy, "abc")
			got, err := k.DecryptAppend(roomy, 9, ct)
			require.NoError(t, err, name)
			assert.Equal(t, append([]byte("abc"), want...), got, name)
			if n > 0 && k.p != nil {
				assert.Same(t, &roomy[:1][0], &got[0], "%s: dst's array is used", name)
			}
			got, err = k.DecryptAppend([]byte("xy"), 9, ct)
			require.NoError(t, err, name)
			assert.Equal(t, append([]byte("xy"), want...), got, name)

			// The ciphertext in dst's spare capacity, as with buf[:0].
			buf := append([]byte(nil), ct...)
			got, err = k.DecryptAppend(buf[:0], 9, buf)
			require.NoError(t, err, name)
			assert.Equal(t, want, got, name)
			assert.Equal(t, ct, buf, "%s: the ciphertext is left alone", name)

			// A message in dst's spare capacity, encrypted into it.
			buf = append(make([]byte, 0, 2*len(ct)+n), plain...)
			enc, err := k.Encrypt(buf[:0], 9, buf[:n], []byte("tail"))
			require.NoError(t, err, name)
			back, err := k.Decrypt(9, enc)
			require.NoError(t, err, name)
			assert.Equal(t, append(bytes.Clone(plain), "tail"...), back[:n+4], name)

			// A tampered ciphertext fails and leaves no plaintext in dst.
			bad := bytes.Clone(ct)
			bad[len(bad)/2] ^= 1
			spare := make([]byte, 0, len(ct))
			got, err = k.DecryptAppend(spare, 9, bad)
			assert.ErrorIs(t, err, ErrIntegrity, name)
			assert.Nil(t, got, name)
			assert.Equal(t, make([]byte, len(ct)), spare[:len(ct)], name)
		}
	}
}

// Encryption with a prepared HMAC, where the SHA-1 enctypes hash and
// encrypt long messages in one pass, gives what the first use of a key
// gives, whose HMAC is not prepared, for lengths around the SHA-1 block
// and the bulk threshold.
func TestEncryptPreparedAgrees(t *testing.T) {
	conf := make([]byte, ConfounderLen)
	rand.Read(conf)
	for _, et := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96,
		etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA256_128,
		etypeID.AES256_CTS_HMAC_SHA384_192} {
		p, _ := profileOf(et)
		base := make([]byte, p.keyLen)
		rand.Read(base)
		warm, err := NewKey(et, base)
		require.NoError(t, err)
		_, err = warm.Encrypt(nil, 5, nil)
		require.NoError(t, err)
		for n := 0; n <= 1300; n += 1 + n/40 {
			plain := make([]byte, n)
			rand.Read(plain)
			fresh, err := NewKey(et, base)
			require.NoError(t, err)
			want, err := fresh.encryptWith(nil, 5, conf, plain, []byte("hdr"))
			require.NoError(t, err)
			got, err := warm.encryptWith(nil, 5, conf, plain, []byte("hdr"))
			require.NoError(t, err)
			require.Equal(t, want, got, "enctype %d, %d bytes", et, n)
		}
	}
}

// Decryption with a prepared HMAC, where the SHA-1 enctypes hash long
// messages as they decrypt them, gives the plaintext and refuses a
// ciphertext with any one bit changed, for lengths around the SHA-1
// block and the bulk threshold.
func TestDecryptPrepared(t *testing.T) {
	for _, et := range []int32{etypeID.AES128_CTS_HMAC_SHA1_96,
		etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA384_192} {
		p, _ := profileOf(et)
		base := make([]byte, p.keyLen)
		rand.Read(base)
		warm, err := NewKey(et, base)
		require.NoError(t, err)
		_, err = warm.Encrypt(nil, 5, nil)
		require.NoError(t, err)
		for n := 400; n <= 1400; n += 1 + n/100 {
			plain := make([]byte, n)
			rand.Read(plain)
			ct, err := warm.Encrypt(nil, 5, plain)
			require.NoError(t, err)
			got, err := warm.DecryptAppend([]byte("x"), 5, ct)
			require.NoError(t, err, "enctype %d, %d bytes", et, n)
			require.Equal(t, append([]byte("x"), plain...), got, "enctype %d, %d bytes", et, n)
			for _, i := range []int{0, 15, 16, 63, 64, 80, 127, 128, len(ct) / 2,
				len(ct) - 40, len(ct) - 13, len(ct) - 1} {
				bad := bytes.Clone(ct)
				bad[i] ^= 0x80
				_, err := warm.Decrypt(5, bad)
				require.ErrorIs(t, err, ErrIntegrity, "enctype %d, %d bytes, bit in byte %d",
					et, n, i)
			}
		}
	}
}

// TestKeySize gives the base key lengths of RFC 3961 section 1 (des3),
// RFC 3962 (aes-sha1), RFC 8009 (aes-sha2) and RFC 4757 (rc4), and
// agrees with NewKey's check.
func TestKeySize(t *testing.T) {
	for et, want := range map[int32]int{16: 24, 17: 16, 18: 32, 19: 16, 20: 32, 23: 16} {
		n, ok := KeySize(et)
		require.True(t, ok, "enctype %d", et)
		assert.Equal(t, want, n, "enctype %d", et)
		_, err := NewKey(et, make([]byte, n))
		assert.NoError(t, err, "enctype %d", et)
		_, err = NewKey(et, make([]byte, n-1))
		assert.ErrorIs(t, err, ErrKeySize, "enctype %d", et)
	}
	_, ok := KeySize(999)
	assert.False(t, ok)
}
