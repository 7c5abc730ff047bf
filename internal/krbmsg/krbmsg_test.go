package krbmsg

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gen makes random gokrb5 values; optional fields are absent at random.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 7))} }

func (g *gen) bytes(max int) []byte {
	b := make([]byte, g.r.IntN(max)+1)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g *gen) str() string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_"
	b := make([]byte, g.r.IntN(40)+1)
	for i := range b {
		b[i] = letters[g.r.IntN(len(letters))]
	}
	return string(b)
}

func (g *gen) maybe() bool { return g.r.IntN(2) == 0 }

func (g *gen) int32() int32 {
	switch g.r.IntN(4) {
	case 0:
		return int32(g.r.IntN(256)) - 128
	case 1:
		return int32(g.r.Uint32())
	}
	return int32(g.r.IntN(30)) + 1
}

func (g *gen) uint32() int64 { return int64(g.r.Uint32()>>uint(g.r.IntN(32))) + 1 }

func (g *gen) time() time.Time {
	return time.Unix(g.r.Int64N(4102444800), 0).UTC()
}

func (g *gen) principal() types.PrincipalName {
	p := types.PrincipalName{NameType: g.int32()}
	for range g.r.IntN(3) + 1 {
		p.NameString = append(p.NameString, g.str())
	}
	return p
}

func (g *gen) encData() types.EncryptedData {
	ed := types.EncryptedData{EType: g.int32(), Cipher: g.bytes(1500)}
	if g.maybe() {
		ed.KVNO = int(g.uint32())
	}
	return ed
}

func (g *gen) key() types.EncryptionKey {
	return types.EncryptionKey{KeyType: g.int32(), KeyValue: g.bytes(32)}
}

func (g *gen) flags() asn1.BitString {
	return asn1.BitString{Bytes: g.bytes(4)[:1:1], BitLength: 8}
}

func (g *gen) flags32() asn1.BitString {
	b := make([]byte, 4)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return asn1.BitString{Bytes: b, BitLength: 32}
}

func (g *gen) authz() types.AuthorizationData {
	if g.maybe() {
		return nil
	}
	var ad types.AuthorizationData
	for range g.r.IntN(3) + 1 {
		ad = append(ad, types.AuthorizationDataEntry{ADType: g.int32(), ADData: g.bytes(300)})
	}
	return ad
}

func (g *gen) ticket() messages.Ticket {
	return messages.Ticket{TktVNO: 5, Realm: g.str(), SName: g.principal(),
		EncPart: g.encData()}
}

func (g *gen) authenticator() types.Authenticator {
	a := types.Authenticator{AVNO: 5, CRealm: g.str(), CName: g.principal(),
		Cusec: g.r.IntN(1000000), CTime: g.time()}
	if g.maybe() {
		a.Cksum = types.Checksum{CksumType: g.int32(), Checksum: g.bytes(40)}
	}
	if g.maybe() {
		a.SubKey = g.key()
	}
	if g.maybe() {
		a.SeqNumber = g.uint32()
	}
	a.AuthorizationData = g.authz()
	return a
}

func (g *gen) encTicketPart() messages.EncTicketPart {
	p := messages.EncTicketPart{Flags: g.flags32(), Key: g.key(), CRealm: g.str(),
		CName: g.principal(), AuthTime: g.time(), EndTime: g.time(),
		Transited: messages.TransitedEncoding{TRType: g.int32(), Contents: g.bytes(20)}}
	if g.maybe() {
		p.StartTime = g.time()
	}
	if g.maybe() {
		p.RenewTill = g.time()
	}
	if g.maybe() {
		p.CAddr = types.HostAddresses{{AddrType: 2, Address: g.bytes(16)}}
	}
	p.AuthorizationData = g.authz()
	return p
}

func (g *gen) encKDCRepPart() messages.EncKDCRepPart {
	p := messages.EncKDCRepPart{Key: g.key(), Nonce: int(g.uint32()),
		Flags: g.flags32(), AuthTime: g.time(), EndTime: g.time(),
		SRealm: g.str(), SName: g.principal()}
	for range g.r.IntN(3) + 1 {
		p.LastReqs = append(p.LastReqs, messages.LastReq{LRType: g.int32(), LRValue: g.time()})
	}
	if g.maybe() {
		p.KeyExpiration = g.time()
	}
	if g.maybe() {
		p.StartTime = g.time()
	}
	if g.maybe() {
		p.RenewTill = g.time()
	}
	if g.maybe() {
		p.CAddr = []types.HostAddress{{AddrType: 2, Address: g.bytes(16)}}
	}
	if g.maybe() {
		p.EncPAData = types.PADataSequence{{PADataType: 149, PADataValue: g.bytes(50)}}
	}
	return p
}

func (g *gen) kdcRep(mt int) messages.KDCRepFields {
	r := messages.KDCRepFields{PVNO: 5, MsgType: mt, CRealm: g.str(),
		CName: g.principal(), Ticket: g.ticket(), EncPart: g.encData()}
	if g.maybe() {
		r.PAData = types.PADataSequence{{PADataType: g.int32(), PADataValue: g.bytes(40)}}
	}
	return r
}

func (g *gen) reqBody() messages.KDCReqBody {
	r := messages.KDCReqBody{KDCOptions: g.flags32(), Realm: g.str(),
		Till: g.time(), Nonce: int(g.uint32()), EType: []int32{18, 17, g.int32()}}
	if g.maybe() {
		r.CName = g.principal()
	}
	if g.maybe() {
		r.SName = g.principal()
	}
	if g.maybe() {
		r.From = g.time()
	}
	if g.maybe() {
		r.RTime = g.time()
	}
	if g.maybe() {
		r.Addresses = []types.HostAddress{{AddrType: 2, Address: g.bytes(4)}}
	}
	if g.maybe() {
		r.EncAuthData = g.encData()
	}
	if g.maybe() {
		r.AdditionalTickets = []messages.Ticket{g.ticket()}
	}
	return r
}

func marshalApp(t *testing.T, v any, tag int) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(t, err)
	return asn1tools.AddASNAppTag(b, tag)
}

// apRep is AP-REP's shape for gokrb5's encoder, which has no AP-REP
// encoding of its own.
type apRep struct {
	PVNO    int                 `asn1:"explicit,tag:0"`
	MsgType int                 `asn1:"explicit,tag:1"`
	EncPart types.EncryptedData `asn1:"explicit,tag:2"`
}

const rounds = 300

// Every message: gokrb5's encoding decodes here to the same value, and
// the encoders here produce gokrb5's bytes.
func TestAgainstGokrb5(t *testing.T) {
	g := newGen(1)
	for i := range rounds {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			tkt := g.ticket()
			want, err := tkt.Marshal()
			require.NoError(t, err)
			assert.Equal(t, want, AppendTicket(nil, &tkt), "Ticket")
			got, err := DecodeTicket(want)
			require.NoError(t, err)
			assert.Equal(t, tkt, got, "Ticket")

			auth := g.authenticator()
			want, err = auth.Marshal()
			require.NoError(t, err)
			assert.Equal(t, want, AppendAuthenticator(nil, &auth), "Authenticator")
			gotAuth, err := DecodeAuthenticator(want)
			require.NoError(t, err)
			assert.Equal(t, auth, gotAuth, "Authenticator")

			ap := messages.APReq{PVNO: 5, MsgType: msgtype.KRB_AP_REQ,
				APOptions: g.flags32(), Ticket: g.ticket(), EncryptedAuthenticator: g.encData()}
			want, err = ap.Marshal()
			require.NoError(t, err)
			assert.Equal(t, want, AppendAPReq(nil, ap.APOptions, &ap.Ticket,
				ap.EncryptedAuthenticator), "AP-REQ")
			gotAP, err := DecodeAPReq(want)
			require.NoError(t, err)
			assert.Equal(t, ap, gotAP, "AP-REQ")

			etp := g.encTicketPart()
			want = marshalApp(t, etp, asnAppTag.EncTicketPart)
			gotETP, err := DecodeEncTicketPart(want)
			require.NoError(t, err)
			assert.Equal(t, etp, gotETP, "EncTicketPart")

			rep := apRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: g.encData()}
			want = marshalApp(t, rep, asnAppTag.APREP)
			assert.Equal(t, want, AppendAPRep(nil, rep.EncPart), "AP-REP")
			gotRep, err := DecodeAPRep(want)
			require.NoError(t, err)
			assert.Equal(t, messages.APRep(rep), gotRep, "AP-REP")

			part := messages.EncAPRepPart{CTime: g.time(), Cusec: g.r.IntN(1000000)}
			if g.maybe() {
				part.Subkey = g.key()
			}
			if g.maybe() {
				part.SequenceNumber = g.uint32()
			}
			want = marshalApp(t, part, asnAppTag.EncAPRepPart)
			assert.Equal(t, want, AppendEncAPRepPart(nil, &part), "EncAPRepPart")
			gotPart, err := DecodeEncAPRepPart(want)
			require.NoError(t, err)
			assert.Equal(t, part, gotPart, "EncAPRepPart")

			kp := g.encKDCRepPart()
			for _, tag := range []int{asnAppTag.EncASRepPart, asnAppTag.EncTGSRepPart} {
				want = marshalApp(t, kp, tag)
				gotKP, err := DecodeEncKDCRepPart(want)
				require.NoError(t, err)
				assert.Equal(t, kp, gotKP, "EncKDCRepPart")
			}

			tgsRep := messages.TGSRep{KDCRepFields: g.kdcRep(msgtype.KRB_TGS_REP)}
			want, err = tgsRep.Marshal()
			require.NoError(t, err)
			gotKR, err := DecodeKDCRep(want, true)
			require.NoError(t, err)
			assert.Equal(t, tgsRep.KDCRepFields, gotKR, "TGS-REP")
			_, err = DecodeKDCRep(want, false)
			assert.ErrorIs(t, err, ErrMalformed, "a TGS-REP is no AS-REP")
			asRep := messages.ASRep{KDCRepFields: g.kdcRep(msgtype.KRB_AS_REP)}
			want, err = asRep.Marshal()
			require.NoError(t, err)
			gotKR, err = DecodeKDCRep(want, false)
			require.NoError(t, err)
			assert.Equal(t, asRep.KDCRepFields, gotKR, "AS-REP")

			body := g.reqBody()
			want, err = body.Marshal()
			require.NoError(t, err)
			bodyDER := AppendKDCReqBody(nil, &body)
			assert.Equal(t, want, bodyDER, "KDC-REQ-BODY")
			req := messages.TGSReq{KDCReqFields: messages.KDCReqFields{PVNO: 5,
				MsgType: msgtype.KRB_TGS_REQ, ReqBody: body}}
			if g.maybe() {
				req.PAData = types.PADataSequence{{PADataType: 1, PADataValue: g.bytes(900)},
					{PADataType: g.int32(), PADataValue: g.bytes(20)}}
			}
			want, err = req.Marshal()
			require.NoError(t, err)
			assert.Equal(t, want, AppendTGSReq(nil, req.PAData, bodyDER), "TGS-REQ")
		})
	}
}

// Decoders never keep the caller's memory: wiping the input leaves the
// decoded keys intact.
func TestDecodeCopies(t *testing.T) {
	g := newGen(2)
	etp := g.encTicketPart()
	b := marshalApp(t, etp, asnAppTag.EncTicketPart)
	got, err := DecodeEncTicketPart(b)
	require.NoError(t, err)
	clear(b)
	assert.Equal(t, etp.Key, got.Key)
}

func TestDecodeErrors(t *testing.T) {
	g := newGen(3)
	auth := g.authenticator()
	good, err := auth.Marshal()
	require.NoError(t, err)
	tkt := g.ticket()
	goodTkt, err := tkt.Marshal()
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated element header"},
		{"truncated", good[:len(good)-1], "only"},
		{"trailing byte", append(bytes.Clone(good), 1), "after the element"},
		{"a block of padding", append(bytes.Clone(good), make([]byte, 16)...),
			"16 bytes after the element"},
		{"wrong application tag", append([]byte{0x61}, good[1:]...), "tag 0x61"},
		{"indefinite length", []byte{0x62, 0x80, 0, 0}, "indefinite"},
		{"non-minimal length", []byte{0x62, 0x81, 0x05, 0x30, 0x03, 0xa0, 0x01, 0x00}, "non-minimal"},
		{"five length bytes", []byte{0x62, 0x85, 1, 0, 0, 0, 0}, "length of 5 bytes"},
		{"huge length", []byte{0x62, 0x84, 0x7f, 0xff, 0xff, 0xff}, "only"},
		{"multi-byte tag", []byte{0x7f, 0x01, 0x00}, "multi-byte tag"},
		{"missing field", []byte{0x62, 0x02, 0x30, 0x00}, "authenticator-vno: missing"},
		{"wrong vno", mustReplace(t, good, []byte{0xa0, 0x03, 0x02, 0x01, 0x05},
			[]byte{0xa0, 0x03, 0x02, 0x01, 0x04}), "authenticator-vno 4"},
		{"non-minimal integer", mustReplace(t, good, []byte{0xa0, 0x03, 0x02, 0x01, 0x05},
			[]byte{0xa0, 0x04, 0x02, 0x02, 0x00, 0x05}), "minimally"},
		{"ticket as authenticator", goodTkt, "tag 0x61"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeAuthenticator(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrMalformed)
			var de *DecodeError
			require.True(t, errors.As(err, &de))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Decrypted parts may carry up to a block of zero padding (des3).
func TestDecodePadding(t *testing.T) {
	g := newGen(5)
	auth := g.authenticator()
	b := append(AppendAuthenticator(nil, &auth), make([]byte, 7)...)
	got, err := DecodeAuthenticator(b)
	require.NoError(t, err)
	assert.Equal(t, auth, got)
	tkt := g.ticket()
	_, err = DecodeTicket(append(AppendTicket(nil, &tkt), 0))
	assert.ErrorIs(t, err, ErrMalformed, "a Ticket is never padded")
}

// mustReplace replaces the first old in b, which must be there.
func mustReplace(t *testing.T, b, old, new []byte) []byte {
	t.Helper()
	i := bytes.Index(b, old)
	require.GreaterOrEqual(t, i, 0)
	out := append(bytes.Clone(b[:i]), new...)
	out = append(out, b[i+len(old):]...)
	// Lengths of the enclosing elements change by one at most here;
	// re-encode them: the outer two are [APPLICATION 2] and SEQUENCE.
	inner, _, err := expect(out[2:], tagSequence, at("test"))
	if err != nil {
		// Long-form lengths: rebuild from the content.
		start := 2
		if b[1]&0x80 != 0 {
			start += int(b[1] & 0x7f)
		}
		seqStart := start + 2
		if b[start+1]&0x80 != 0 {
			seqStart += int(b[start+1] & 0x7f)
		}
		inner = out[seqStart:]
	}
	s, q := begin(nil, 0x62)
	s, r := begin(s, tagSequence)
	s = append(s, inner...)
	return end(end(s, r), q)
}

func TestTimes(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"20240229120000Z", true},
		{"20230229120000Z", false},
		{"20241301000000Z", false},
		{"20240101246000Z", false},
		{"2024010112000Z", false},
		{"20240101120000+", false},
		{"2024010112000aZ", false},
		{"20240101120000.5Z", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b := appendPrimitive(nil, tagGeneralizedTime, []byte(tc.in))
			_, err := parseTime(b, at("t"))
			assert.Equal(t, tc.ok, err == nil, "%v", err)
		})
	}
}

func BenchmarkDecodeAPReq(b *testing.B) {
	g := newGen(4)
	ap := messages.APReq{PVNO: 5, MsgType: msgtype.KRB_AP_REQ,
		APOptions: g.flags32(), Ticket: g.ticket(), EncryptedAuthenticator: g.encData()}
	der, _ := ap.Marshal()
	b.Run("krbmsg", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeAPReq(der); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gokrb5", func(b *testing.B) {
		for b.Loop() {
			var a messages.APReq
			if err := a.Unmarshal(der); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// EncodeAuthenticator writes the same bytes as AppendAuthenticator into
// the buffer it allocated first, never a grown copy, for authenticators
// whose lengths take one to three length bytes in DER.
func TestEncodeAuthenticatorAllocatesOnce(t *testing.T) {
	for _, n := range []int{0, 1, 100, 127, 128, 300, 255 + 1, 70000} {
		for _, comps := range []int{1, 2, 40} {
			a := types.Authenticator{AVNO: 5, CRealm: "EXAMPLE.ORG",
				Cksum: types.Checksum{CksumType: 0x8003, Checksum: make([]byte, 24)},
				Cusec: 999999, CTime: time.Unix(1700000000, 0).UTC(),
				SubKey:    types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
				SeqNumber: 0x7fffffff}
			for i := 0; i < comps; i++ {
				a.CName.NameString = append(a.CName.NameString, fmt.Sprintf("component%d", i))
			}
			if n > 0 {
				a.AuthorizationData = types.AuthorizationData{
					{ADType: 1, ADData: make([]byte, n)},
					{ADType: 141, ADData: make([]byte, n/2)}}
			}
			enc := EncodeAuthenticator(&a)
			name := fmt.Sprintf("%d bytes of authorization data, %d components", n, comps)
			require.Equal(t, authenticatorBound(&a), cap(enc), "%s: the buffer grew", name)
			require.Equal(t, AppendAuthenticator(nil, &a), enc, name)
		}
	}
}
