package krbmsg

import (
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// An encoder appends DER to a byte slice. Constructed elements are
// opened with begin, which writes the tag and a one-byte length, and
// closed with end, which fixes the length, moving the content when
// the length needs more bytes.

func begin(b []byte, tag byte) ([]byte, int) {
	b = append(b, tag, 0)
	return b, len(b)
}

func end(b []byte, start int) []byte {
	n := len(b) - start
	if n < 0x80 {
		b[start-1] = byte(n)
		return b
	}
	k := 1
	for m := n >> 8; m > 0; m >>= 8 {
		k++
	}
	b = append(b, make([]byte, k)...)
	copy(b[start+k:], b[start:start+n])
	b[start-1] = 0x80 | byte(k)
	for i := k - 1; i >= 0; i-- {
		b[start+i] = byte(n)
		n >>= 8
	}
	return b
}

// appendPrimitive appends a primitive element with known content.
func appendPrimitive(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	b = AppendLength(b, len(content))
	return append(b, content...)
}

// AppendLength appends a DER definite length.
func AppendLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// appendInt appends an INTEGER in its minimal two's complement form.
func appendInt(b []byte, v int64) []byte {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	b = append(b, tagInteger, byte(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// Explicit fields: [n] around one element.

func intField(b []byte, n int, v int64) []byte {
	b, s := begin(b, ctxTag(n))
	return end(appendInt(b, v), s)
}

func octetsField(b []byte, n int, v []byte) []byte {
	b, s := begin(b, ctxTag(n))
	return end(appendPrimitive(b, tagOctetString, v), s)
}

func stringField(b []byte, n int, v string) []byte {
	b, s := begin(b, ctxTag(n))
	b = append(b, tagGeneralString)
	b = AppendLength(b, len(v))
	return end(append(b, v...), s)
}

func timeField(b []byte, n int, t time.Time) []byte {
	b, s := begin(b, ctxTag(n))
	b = append(b, tagGeneralizedTime, 15)
	b = t.UTC().AppendFormat(b, "20060102150405Z")
	return end(b, s)
}

func bitsField(b []byte, n int, v asn1.BitString) []byte {
	b, s := begin(b, ctxTag(n))
	nb := (v.BitLength + 7) / 8
	b = append(b, tagBitString)
	b = AppendLength(b, 1+nb)
	b = append(b, byte(8*nb-v.BitLength))
	b = append(b, v.Bytes[:min(nb, len(v.Bytes))]...)
	for i := len(v.Bytes); i < nb; i++ {
		b = append(b, 0)
	}
	return end(b, s)
}

func principalField(b []byte, n int, p types.PrincipalName) []byte {
	b, s := begin(b, ctxTag(n))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, int64(p.NameType))
	b, f := begin(b, ctxTag(1))
	b, l := begin(b, tagSequence)
	for _, c := range p.NameString {
		b = append(b, tagGeneralString)
		b = AppendLength(b, len(c))
		b = append(b, c...)
	}
	return end(end(end(end(b, l), f), q), s)
}

func appendEncryptedData(b []byte, ed types.EncryptedData) []byte {
	b, q := begin(b, tagSequence)
	b = intField(b, 0, int64(ed.EType))
	if ed.KVNO != 0 {
		b = intField(b, 1, int64(ed.KVNO))
	}
	return end(octetsField(b, 2, ed.Cipher), q)
}

func encryptedDataField(b []byte, n int, ed types.EncryptedData) []byte {
	b, s := begin(b, ctxTag(n))
	return end(appendEncryptedData(b, ed), s)
}

// intOctetsField appends [n] SEQUENCE { [0] INTEGER t, [1] OCTET STRING
// v }, the shape of EncryptionKey and Checksum.
func intOctetsField(b []byte, n int, t int32, v []byte) []byte {
	b, s := begin(b, ctxTag(n))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, int64(t))
	return end(end(octetsField(b, 1, v), q), s)
}

func keyField(b []byte, n int, k types.EncryptionKey) []byte {
	return intOctetsField(b, n, k.KeyType, k.KeyValue)
}

func checksumField(b []byte, n int, c types.Checksum) []byte {
	return intOctetsField(b, n, c.CksumType, c.Checksum)
}

func authzDataField(b []byte, n int, ad types.AuthorizationData) []byte {
	b, s := begin(b, ctxTag(n))
	b, l := begin(b, tagSequence)
	for _, e := range ad {
		var q int
		b, q = begin(b, tagSequence)
		b = intField(b, 0, int64(e.ADType))
		b = end(octetsField(b, 1, e.ADData), q)
	}
	return end(end(b, l), s)
}

// AppendTicket appends the DER of t (RFC 4120 section 5.3).
func AppendTicket(b []byte, t *messages.Ticket) []byte {
	b, a := begin(b, appTag(asnAppTag.Ticket))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, int64(t.TktVNO))
	b = stringField(b, 1, t.Realm)
	b = principalField(b, 2, t.SName)
	b = encryptedDataField(b, 3, t.EncPart)
	return end(end(b, q), a)
}

// AppendAuthenticator appends the DER of an Authenticator (RFC 4120
// section 5.5.1). Optional fields are left out when zero, as gokrb5
// does: a sequence number of zero is not sent.
func AppendAuthenticator(b []byte, a *types.Authenticator) []byte {
	b, t := begin(b, appTag(asnAppTag.Authenticator))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, int64(a.AVNO))
	b = stringField(b, 1, a.CRealm)
	b = principalField(b, 2, a.CName)
	if a.Cksum.CksumType != 0 || len(a.Cksum.Checksum) != 0 {
		b = checksumField(b, 3, a.Cksum)
	}
	b = intField(b, 4, int64(a.Cusec))
	b = timeField(b, 5, a.CTime)
	if a.SubKey.KeyType != 0 || len(a.SubKey.KeyValue) != 0 {
		b = keyField(b, 6, a.SubKey)
	}
	if a.SeqNumber != 0 {
		b = intField(b, 7, a.SeqNumber)
	}
	if len(a.AuthorizationData) > 0 {
		b = authzDataField(b, 8, a.AuthorizationData)
	}
	return end(end(b, q), t)
}

// EncodeAuthenticator returns the DER of a in a buffer allocated once,
// large enough from the start: an authenticator may carry a subkey, and
// a buffer that grew while it was encoded would leave copies of it
// behind that the caller cannot wipe.
func EncodeAuthenticator(a *types.Authenticator) []byte {
	return AppendAuthenticator(make([]byte, 0, authenticatorBound(a)), a)
}

// authenticatorBound is more bytes than the DER of a takes: at most 16
// bytes of tags and lengths per field, entry and name component, on top
// of the fixed-size fields and the contents.
func authenticatorBound(a *types.Authenticator) int {
	n := 256 + len(a.CRealm) + len(a.Cksum.Checksum) + len(a.SubKey.KeyValue)
	for _, c := range a.CName.NameString {
		n += 16 + len(c)
	}
	for _, ad := range a.AuthorizationData {
		n += 32 + len(ad.ADData)
	}
	return n
}

// AppendAPReq appends the DER of an AP-REQ whose authenticator is
// already encrypted (RFC 4120 section 5.5.1).
func AppendAPReq(b []byte, options asn1.BitString, t *messages.Ticket,
	auth types.EncryptedData) []byte {
	b, a := begin(b, appTag(asnAppTag.APREQ))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, pvno)
	b = intField(b, 1, msgtype.KRB_AP_REQ)
	b = bitsField(b, 2, options)
	b, s := begin(b, ctxTag(3))
	b = end(AppendTicket(b, t), s)
	b = encryptedDataField(b, 4, auth)
	return end(end(b, q), a)
}

// AppendAPRep appends the DER of an AP-REP (RFC 4120 section 5.5.2).
func AppendAPRep(b []byte, enc types.EncryptedData) []byte {
	b, a := begin(b, appTag(asnAppTag.APREP))
	b, q := begin(b, tagSequence)
	b = intField(b, 0, pvno)
	b = intField(b, 1, msgtype.KRB_AP_REP)
	b = encryptedDataField(b, 2, enc)
	return end(end(b, q), a)
}

// AppendEncAPRepPart appends the DER of an EncAPRepPart. Optional
// fields are left out when zero.
func AppendEncAPRepPart(b []byte, p *messages.EncAPRepPart) []byte {
	b, a := begin(b, appTag(asnAppTag.EncAPRepPart))
	b, q := begin(b, tagSequence)
	b = timeField(b, 0, p.CTime)
	b = intField(b, 1, int64(p.Cusec))
	if p.Subkey.KeyType != 0 || len(p.Subkey.KeyValue) != 0 {
		b = keyField(b, 2, p.Subkey)
	}
	if p.SequenceNumber != 0 {
		b = intField(b, 3, p.SequenceNumber)
	}
	return end(end(b, q), a)
}

// AppendKDCReqBody appends the DER of a KDC-REQ-BODY (RFC 4120 section
// 5.4.1), the bytes a TGS-REQ's checksum covers. Optional fields are
// left out when zero, as gokrb5 does.
func AppendKDCReqBody(b []byte, r *messages.KDCReqBody) []byte {
	b, q := begin(b, tagSequence)
	b = bitsField(b, 0, r.KDCOptions)
	if r.CName.NameType != 0 || len(r.CName.NameString) != 0 {
		b = principalField(b, 1, r.CName)
	}
	b = stringField(b, 2, r.Realm)
	if r.SName.NameType != 0 || len(r.SName.NameString) != 0 {
		b = principalField(b, 3, r.SName)
	}
	if !r.From.IsZero() {
		b = timeField(b, 4, r.From)
	}
	b = timeField(b, 5, r.Till)
	if !r.RTime.IsZero() {
		b = timeField(b, 6, r.RTime)
	}
	b = intField(b, 7, int64(r.Nonce))
	b, e := begin(b, ctxTag(8))
	b, es := begin(b, tagSequence)
	for _, et := range r.EType {
		b = appendInt(b, int64(et))
	}
	b = end(end(b, es), e)
	var s, l, p int
	if len(r.Addresses) > 0 {
		b, s = begin(b, ctxTag(9))
		b, l = begin(b, tagSequence)
		for _, h := range r.Addresses {
			b, p = begin(b, tagSequence)
			b = intField(b, 0, int64(h.AddrType))
			b = end(octetsField(b, 1, h.Address), p)
		}
		b = end(end(b, l), s)
	}
	if r.EncAuthData.EType != 0 || len(r.EncAuthData.Cipher) != 0 {
		b = encryptedDataField(b, 10, r.EncAuthData)
	}
	if len(r.AdditionalTickets) > 0 {
		b, s = begin(b, ctxTag(11))
		b, l = begin(b, tagSequence)
		for i := range r.AdditionalTickets {
			b = AppendTicket(b, &r.AdditionalTickets[i])
		}
		b = end(end(b, l), s)
	}
	return end(b, q)
}

// AppendTGSReq appends the DER of a TGS-REQ (RFC 4120 section 5.4.1)
// whose body is already encoded (body, from AppendKDCReqBody).
func AppendTGSReq(b []byte, padata types.PADataSequence, body []byte) []byte {
	b, a := begin(b, appTag(asnAppTag.TGSREQ))
	b, q := begin(b, tagSequence)
	b = intField(b, 1, pvno)
	b = intField(b, 2, msgtype.KRB_TGS_REQ)
	var s, l, p int
	if len(padata) > 0 {
		b, s = begin(b, ctxTag(3))
		b, l = begin(b, tagSequence)
		for _, pa := range padata {
			b, p = begin(b, tagSequence)
			b = intField(b, 1, int64(pa.PADataType))
			b = end(octetsField(b, 2, pa.PADataValue), p)
		}
		b = end(end(b, l), s)
	}
	b, s = begin(b, ctxTag(4))
	b = end(append(b, body...), s)
	return end(end(b, q), a)
}
