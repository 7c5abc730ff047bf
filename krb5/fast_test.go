package krb5

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file plays the KDC's side of FAST, to check the client's handling
// of what a KDC could send beyond what the real KDCs of the integration
// tests do.

var (
	testArmorKey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{5}, 32)}
	testTicket   = []byte("\x61\x03\x02\x01\x05") // stands for a ticket's DER
)

// kdcFASTResponse is what a KDC puts in a FAST reply.
type kdcFASTResponse struct {
	padata     types.PADataSequence
	strengthen types.EncryptionKey
	finished   *fastFinishedMsg
	nonce      int64
}

// seal encodes r as a PA-FX-FAST-REPLY under key.
func (r kdcFASTResponse) seal(t testing.TB, key types.EncryptionKey) []byte {
	msg := fastResponseMsg{PAData: r.padata, StrengthenKey: r.strengthen, Nonce: r.nonce}
	if msg.PAData == nil {
		msg.PAData = types.PADataSequence{}
	}
	if r.finished != nil {
		msg.Finished = *r.finished
	}
	plain, err := asn1.Marshal(msg)
	require.NoError(t, err)
	return sealFASTPlain(t, plain, key)
}

// sealFASTPlain encrypts an encoded KrbFastResponse and wraps it as a
// PA-FX-FAST-REPLY.
func sealFASTPlain(t testing.TB, plain []byte, key types.EncryptionKey) []byte {
	ed, err := crypto.GetEncryptedData(plain, key, keyusage.KEY_USAGE_FAST_REP, 0)
	require.NoError(t, err)
	b, err := asn1.Marshal(fastArmoredRepMsg{EncFastRep: ed})
	require.NoError(t, err)
	return explicitTag0(b)
}

func finishedFor(t testing.TB, ticket []byte, key types.EncryptionKey) *fastFinishedMsg {
	ck, err := makeChecksum(key, keyusage.KEY_USAGE_FAST_FINISHED, ticket)
	require.NoError(t, err)
	return &fastFinishedMsg{
		Timestamp:      time.Unix(1700000000, 0).UTC(),
		CRealm:         "R.TEST",
		CName:          types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"),
		TicketChecksum: ck,
	}
}

func fxFAST(v []byte) types.PADataSequence {
	return types.PADataSequence{{PADataType: patype.PA_FX_FAST, PADataValue: v}}
}

func TestFASTReply(t *testing.T) {
	strengthen := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{6}, 32)}
	good := kdcFASTResponse{strengthen: strengthen, nonce: 4242,
		finished: finishedFor(t, testTicket, testArmorKey)}
	otherKey := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{8}, 32)}
	tests := []struct {
		name   string
		padata types.PADataSequence
		ticket []byte
		want   error // nil: accepted
		found  bool
	}{
		{"accepted", fxFAST(good.seal(t, testArmorKey)), testTicket, nil, true},
		{"no FAST", nil, testTicket, nil, false},
		{"other armor key", fxFAST(good.seal(t, otherKey)), testTicket, ErrBadIntegrity, true},
		{"nonce changed", fxFAST(kdcFASTResponse{nonce: 1,
			finished: good.finished}.seal(t, testArmorKey)), testTicket, ErrReplyModified, true},
		{"ticket changed", fxFAST(good.seal(t, testArmorKey)),
			[]byte("\x61\x03\x02\x01\x06"), ErrReplyModified, true},
		{"no finished", fxFAST(kdcFASTResponse{nonce: 4242}.seal(t, testArmorKey)),
			testTicket, ErrReplyModified, true},
		{"garbage", fxFAST([]byte{0xa0, 0x02, 0x30, 0x00}), testTicket, ErrASN1Parse, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fastExchange{armorKey: testArmorKey, nonce: 4242}
			resp, found, err := f.openFAST(tc.padata)
			assert.Equal(t, tc.found, found)
			if err == nil && found {
				err = f.checkFinished(resp, tc.ticket)
			}
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			if !found {
				return
			}
			reply := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{7}, 32)}
			got, err := resp.replyKey(reply)
			require.NoError(t, err)
			want, err := cf2(strengthen, reply, "strengthenkey", "replykey")
			require.NoError(t, err)
			assert.Equal(t, want, got, "RFC 6113 section 5.4.3: the strengthened reply key")
			assert.Equal(t, "alice", resp.finished.CName.PrincipalNameString())
		})
	}
}

// TestASReplyWithoutFAST: an armored AS exchange answered in the clear
// is a downgrade and fails; an armored TGS exchange may be answered in
// the clear.
func TestASReplyWithoutFAST(t *testing.T) {
	f := &fastExchange{armorKey: testArmorKey}
	_, err := f.openASReply(nil, &messages.ASRep{})
	require.ErrorIs(t, err, ErrFASTRequired)
	resp, err := f.openTGSReply(nil, &messages.TGSRep{})
	require.NoError(t, err)
	assert.Nil(t, resp)
}

func TestFASTError(t *testing.T) {
	inner := messages.NewKRBError(types.PrincipalName{}, "R.TEST", 24, "bad password")
	innerBytes, err := inner.Marshal()
	require.NoError(t, err)
	resp := kdcFASTResponse{nonce: 7, padata: types.PADataSequence{
		{PADataType: paFXError, PADataValue: innerBytes},
		{PADataType: patype.PA_FX_COOKIE, PADataValue: []byte("cookie")},
	}}
	armored := func(v []byte) []byte {
		b, err := asn1.Marshal(fxFAST(v))
		require.NoError(t, err)
		return b
	}
	noFXError := kdcFASTResponse{nonce: 7}.seal(t, testArmorKey)
	tests := []struct {
		name  string
		edata []byte
		code  int32
		want  error
	}{
		{"unwrapped", armored(resp.seal(t, testArmorKey)), 24, nil},
		{"not armored", []byte("text"), 25, nil},
		{"no FX-ERROR", armored(noFXError), 0, ErrReplyModified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			outer := messages.NewKRBError(types.PrincipalName{}, "R.TEST", 25, "")
			outer.EData = tc.edata
			f := &fastExchange{armorKey: testArmorKey, nonce: 7}
			k, pas, armored, err := f.unwrapError(&outer)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.code, k.ErrorCode)
			assert.Equal(t, tc.code == 24, armored)
			if tc.code == 24 {
				assert.Equal(t, []byte("cookie"), findPAData(pas, patype.PA_FX_COOKIE))
			}
		})
	}
}

// TestFASTRequest decrypts an armored AS-REQ as a KDC would (RFC 6113
// section 5.4.2) and checks what it carries.
func TestFASTRequest(t *testing.T) {
	body := messages.KDCReqBody{KDCOptions: types.NewKrbFlags(), Realm: "R.TEST",
		CName: types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"),
		SName: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/R.TEST"),
		Till:  time.Unix(1700000000, 0).UTC(), Nonce: 99, EType: []int32{18}}
	req := messages.ASReq{KDCReqFields: messages.KDCReqFields{PVNO: 5,
		MsgType: msgtype.KRB_AS_REQ, ReqBody: body, PAData: types.PADataSequence{
			{PADataType: patype.PA_ENCRYPTED_CHALLENGE, PADataValue: []byte{1}},
		}}}
	f := &fastExchange{armorKey: testArmorKey, armor: &fastArmorField{
		ArmorType: fxFastArmorAPRequest, ArmorValue: []byte("ap-req")}}
	b, err := f.wrapAS(&req)
	require.NoError(t, err)
	assert.Equal(t, 99, f.nonce)

	var outer messages.ASReq
	require.NoError(t, outer.Unmarshal(b))
	require.Len(t, outer.PAData, 1, "only PA-FX-FAST outside")
	var choice asn1.RawValue
	_, err = asn1.Unmarshal(outer.PAData[0].PADataValue, &choice)
	require.NoError(t, err)
	var armored fastArmoredReqMsg
	_, err = asn1.Unmarshal(choice.Bytes, &armored)
	require.NoError(t, err)
	assert.Equal(t, []byte("ap-req"), armored.Armor.ArmorValue)
	rawBody, err := body.Marshal()
	require.NoError(t, err)
	assert.True(t, verifyChecksum(testArmorKey, keyusage.KEY_USAGE_FAST_REQ_CHKSUM,
		rawBody, armored.ReqChecksum), "req-checksum covers the body")
	plain, err := crypto.DecryptEncPart(armored.EncFastReq, testArmorKey,
		keyusage.KEY_USAGE_FAST_ENC)
	require.NoError(t, err)
	var inner struct {
		FastOptions asn1.BitString       `asn1:"explicit,tag:0"`
		PAData      types.PADataSequence `asn1:"explicit,tag:1"`
		ReqBody     asn1.RawValue        `asn1:"explicit,tag:2"`
	}
	_, err = asn1.Unmarshal(plain, &inner)
	require.NoError(t, err)
	assert.Equal(t, req.PAData, inner.PAData)
	assert.Equal(t, rawBody, explicitInner(inner.ReqBody, 2))
}

func TestFastOnly(t *testing.T) {
	pa := func(ts ...int32) types.PADataSequence {
		var out types.PADataSequence
		for _, t := range ts {
			out = append(out, types.PAData{PADataType: t, PADataValue: []byte{}})
		}
		return out
	}
	assert.True(t, fastOnly(pa(patype.PA_FX_FAST, patype.PA_ETYPE_INFO2)))
	assert.False(t, fastOnly(pa(patype.PA_FX_FAST, patype.PA_ENC_TIMESTAMP)))
	assert.False(t, fastOnly(pa(patype.PA_ETYPE_INFO2)))
}

// TestEncPARep checks the KDC's signature of the request (RFC 6806
// section 11): with the enc-pa-rep flag the checksum must cover the
// request as sent.
func TestEncPARep(t *testing.T) {
	sent := []byte("the AS-REQ as sent")
	reply := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{9}, 32)}
	sign := func(b []byte) []byte {
		ck, err := makeChecksum(reply, keyusage.KEY_USAGE_AS_REQ, b)
		require.NoError(t, err)
		out, err := asn1.Marshal(ck)
		require.NoError(t, err)
		return out
	}
	flagged := types.NewKrbFlags()
	types.SetFlag(&flagged, 15)
	cfg, err := ParseConfig("t", []byte("[libdefaults]\n default_realm = R.TEST\n"))
	require.NoError(t, err)
	c, err := NewWithPassword("alice", "R.TEST", "pw", cfg, DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	tests := []struct {
		name  string
		flags asn1.BitString
		pa    []byte
		want  error
	}{
		{"signed", flagged, sign(sent), nil},
		{"not asked", types.NewKrbFlags(), nil, nil},
		{"other request", flagged, sign([]byte("another request")), ErrReplyModified},
		{"flag without padata", flagged, nil, ErrReplyModified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			part := &messages.EncKDCRepPart{Flags: tc.flags}
			if tc.pa != nil {
				part.EncPAData = types.PADataSequence{{PADataType: patype.PA_REQ_ENC_PA_REP,
					PADataValue: tc.pa}}
			}
			err := c.checkASReply(context.Background(), part, reply, reply, nil,
				asState{sent: sent})
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}
