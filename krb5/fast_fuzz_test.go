package krb5

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"
)

// fastFuzzSeeds are KrbFastResponse encodings: with a finished message and
// a strengthen key, and with an error and a cookie.
func fastFuzzSeeds(f *testing.F) [][]byte {
	inner := messages.NewKRBError(types.PrincipalName{}, "R.TEST", 25, "")
	innerBytes, err := inner.Marshal()
	require.NoError(f, err)
	var out [][]byte
	for _, r := range []fastResponseMsg{
		{PAData: types.PADataSequence{}, Nonce: 4242,
			StrengthenKey: types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{6}, 32)},
			Finished:      *finishedFor(f, testTicket, testArmorKey)},
		{PAData: types.PADataSequence{
			{PADataType: paFXError, PADataValue: innerBytes},
			{PADataType: patype.PA_FX_COOKIE, PADataValue: []byte("cookie")},
		}, Nonce: 4242},
	} {
		b, err := asn1.Marshal(r)
		require.NoError(f, err)
		out = append(out, b)
	}
	return out
}

// FuzzFASTReply feeds bytes to the FAST reply decoders: as a
// PA-FX-FAST-REPLY; as the plaintext of one, which the fuzzer could not
// reach through the encryption otherwise, inside an AS-REP's padata, a
// TGS-REP's padata and a KRB-ERROR's e-data; and as a KDC-REP whose raw
// ticket is read. None may panic, and nothing may be accepted that the
// armor key did not protect.
func FuzzFASTReply(f *testing.F) {
	for _, s := range fastFuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0xa0, 0x02, 0x30, 0x00})
	f.Add([]byte{0x6d, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		f := &fastExchange{armorKey: testArmorKey, nonce: 4242}
		_, _, _ = f.openFAST(fxFAST(data))

		sealed := sealFASTPlain(t, data, testArmorKey)
		resp, found, err := f.openFAST(fxFAST(sealed))
		if err == nil && found {
			_ = f.checkFinished(resp, testTicket)
			k, err := resp.replyKey(testArmorKey)
			if err == nil {
				clear(k.KeyValue)
			}
		}
		_, _ = f.openASReply(data, &messages.ASRep{KDCRepFields: messages.KDCRepFields{
			PAData: fxFAST(sealed)}})
		_, _ = f.openTGSReply(data, &messages.TGSRep{KDCRepFields: messages.KDCRepFields{
			PAData: fxFAST(sealed)}})

		edata, err := asn1.Marshal(fxFAST(sealed))
		require.NoError(t, err)
		outer := messages.NewKRBError(types.PrincipalName{}, "R.TEST", 25, "")
		outer.EData = edata
		k, _, _, err := f.unwrapError(&outer)
		if err == nil && k == nil {
			t.Fatalf("unwrapError returned no error and no KRB-ERROR")
		}
		_, _ = rawReplyTicket(data)
		_ = methodData(data)
	})
}

// A FAST reply under an rc4-hmac armor key whose ciphertext is shorter
// than rc4-hmac's checksum fails as an integrity error: gokrb5's rc4
// decryption, which read it before, panics on it.
func TestFASTReplyShortRC4Cipher(t *testing.T) {
	key := types.EncryptionKey{KeyType: etypeRC4HMAC, KeyValue: bytes.Repeat([]byte{3}, 16)}
	for n := range 24 {
		b, err := asn1.Marshal(fastArmoredRepMsg{EncFastRep: types.EncryptedData{
			EType: etypeRC4HMAC, Cipher: make([]byte, n)}})
		require.NoError(t, err)
		_, err = decodeFASTReply(explicitTag0(b), key)
		require.ErrorIs(t, err, ErrBadIntegrity, "%d bytes", n)
	}
}
