package krb5

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	testSubkey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{3}, 32)}
	testTGTKey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{4}, 32)}
	testUser   = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice")
)

// kdcS4UReply encodes a PA-S4U-X509-USER as a KDC answers (MS-SFU
// section 3.2.5.1.2): rawID checksummed with key under usage.
func kdcS4UReply(t testing.TB, rawID []byte, key types.EncryptionKey, usage uint32) []byte {
	ck, err := makeChecksum(key, usage, rawID)
	require.NoError(t, err)
	b, err := asn1.Marshal(paS4UX509UserMsg{
		UserID: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0,
			IsCompound: true, Bytes: rawID},
		Checksum: ck,
	})
	require.NoError(t, err)
	return b
}

func rawUserID(t testing.TB, id s4uUserID) []byte {
	b, err := asn1.Marshal(id)
	require.NoError(t, err)
	return b
}

// TestS4USelfPAData checks the request padata: PA-FOR-USER's checksum
// matches gokrb5's independent RFC 4757 checksum over MS-SFU's data, and
// PA-S4U-X509-USER's checksum covers the S4UUserID with the subkey.
func TestS4USelfPAData(t *testing.T) {
	pas, id, err := s4uSelfPAData(77, testUser, "R.TEST", testSubkey, testTGTKey)
	require.NoError(t, err)
	require.Len(t, pas, 2)
	assert.Equal(t, int32(paS4UX509User), pas[0].PADataType)
	assert.Equal(t, patype.PA_FOR_USER, pas[1].PADataType)
	assert.Equal(t, 77, id.Nonce)

	var fu paForUserMsg
	_, err = asn1.Unmarshal(pas[1].PADataValue, &fu)
	require.NoError(t, err)
	rc4, err := crypto.GetEtype(etypeRC4HMAC)
	require.NoError(t, err)
	want, err := rc4.GetChecksumHash(testTGTKey.KeyValue,
		[]byte("\x01\x00\x00\x00aliceR.TESTKerberos"), keyUsagePAForUser)
	require.NoError(t, err)
	assert.Equal(t, int32(-138), fu.Cksum.CksumType)
	assert.Equal(t, want, fu.Cksum.Checksum)

	var x paS4UX509UserMsg
	_, err = asn1.Unmarshal(pas[0].PADataValue, &x)
	require.NoError(t, err)
	assert.True(t, verifyChecksum(testSubkey, keyUsageS4UX509Request,
		explicitInner(x.UserID, 0), x.Checksum))

	rc4Sub := types.EncryptionKey{KeyType: etypeRC4HMAC, KeyValue: make([]byte, 16)}
	pas, _, err = s4uSelfPAData(77, testUser, "R.TEST", rc4Sub, testTGTKey)
	require.NoError(t, err)
	require.Len(t, pas, 1, "no PA-S4U-X509-USER with an unkeyed checksum")
}

func TestS4USelfReply(t *testing.T) {
	sent := s4uUserID{Nonce: 77, CName: testUser, CRealm: "R.TEST",
		Options: types.NewKrbFlags()}
	replyID := sent
	types.SetFlag(&replyID.Options, s4uOptUseReplyKeyUsage)
	good := rawUserID(t, replyID)
	otherNonce := replyID
	otherNonce.Nonce = 78
	otherUser := replyID
	otherUser.CName = types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "mallory")
	service := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "svc")
	tests := []struct {
		name    string
		padata  []byte // nil: no PA-S4U-X509-USER
		cname   types.PrincipalName
		checked bool
		want    error
	}{
		{"checksummed", kdcS4UReply(t, good, testSubkey, keyUsageS4UX509Reply),
			testUser, true, nil},
		{"not checksummed", nil, testUser, false, nil},
		{"another user, unprotected", nil, otherUser.CName, false, ErrReplyModified},
		{"the service itself", nil, service, false, ErrNotSupported},
		{"request usage", kdcS4UReply(t, good, testSubkey, keyUsageS4UX509Request),
			testUser, false, ErrReplyModified},
		{"other key", kdcS4UReply(t, good, testTGTKey, keyUsageS4UX509Reply),
			testUser, false, ErrReplyModified},
		{"other nonce", kdcS4UReply(t, rawUserID(t, otherNonce), testSubkey,
			keyUsageS4UX509Reply), testUser, false, ErrReplyModified},
		{"client differs", kdcS4UReply(t, rawUserID(t, otherUser), testSubkey,
			keyUsageS4UX509Reply), testUser, false, ErrReplyModified},
		{"garbage", []byte{0x30, 0x00}, testUser, false, ErrASN1Parse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &tgsReply{rep: &messages.TGSRep{}, subkey: testSubkey}
			r.rep.CName, r.rep.CRealm = tc.cname, "R.TEST"
			if tc.padata != nil {
				r.padata = types.PADataSequence{{PADataType: paS4UX509User,
					PADataValue: tc.padata}}
			}
			checked, err := checkS4USelfReply(r, &sent, service)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.checked, checked)
		})
	}
}

// FuzzS4UReply feeds bytes to the PA-S4U-X509-USER decoder: as the
// padata, and as the S4UUserID inside one whose checksum is right, which
// the fuzzer could not forge otherwise. None may panic, and a forged
// checksum is never accepted.
func FuzzS4UReply(f *testing.F) {
	id := s4uUserID{Nonce: 77, CName: testUser, CRealm: "R.TEST",
		Options: types.NewKrbFlags()}
	types.SetFlag(&id.Options, s4uOptUseReplyKeyUsage)
	raw := rawUserID(f, id)
	f.Add(raw)
	f.Add(kdcS4UReply(f, raw, testSubkey, keyUsageS4UX509Reply))
	f.Add([]byte{0x30, 0x03, 0xa0, 0x01, 0x00})
	service := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "svc")
	sent := s4uUserID{Nonce: 77, CName: testUser, CRealm: "R.TEST"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeS4UX509User(data, testSubkey); err == nil {
			var m paS4UX509UserMsg
			if _, err := asn1.Unmarshal(data, &m); err != nil {
				t.Fatalf("accepted a PA-S4U-X509-USER that does not decode")
			}
		}
		for _, usage := range []uint32{keyUsageS4UX509Request, keyUsageS4UX509Reply} {
			padata := kdcS4UReply(t, data, testSubkey, usage)
			_, _ = decodeS4UX509User(padata, testSubkey)
			r := &tgsReply{rep: &messages.TGSRep{}, subkey: testSubkey,
				padata: types.PADataSequence{{PADataType: paS4UX509User, PADataValue: padata}}}
			r.rep.CName, r.rep.CRealm = testUser, "R.TEST"
			_, _ = checkS4USelfReply(r, &sent, service)
		}
	})
}
