package krbmsg

import (
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Message numbers and protocol version (RFC 4120 section 5.1).
const pvno = 5

// DecodeAPReq decodes an AP-REQ (RFC 4120 section 5.5.1), ticket
// included. The authenticator stays encrypted.
func DecodeAPReq(b []byte) (messages.APReq, error) {
	var ap messages.APReq
	body, err := only(b, appTag(asnAppTag.APREQ), at("AP-REQ"))
	if err != nil {
		return ap, err
	}
	f := sequence(body, at("AP-REQ"))
	ap.PVNO = int(f.int64(0, "pvno", true))
	ap.MsgType = int(f.int64(1, "msg-type", true))
	ap.APOptions = f.bits(2, "ap-options")
	if tb := f.need(3, "ticket"); f.err == nil {
		ap.Ticket, f.err = DecodeTicket(tb)
	}
	if eb := f.need(4, "authenticator"); f.err == nil {
		ap.EncryptedAuthenticator, f.err = decodeEncryptedData(eb,
			where{typ: "AP-REQ", field: "authenticator"})
	}
	if err := f.done(); err != nil {
		return ap, err
	}
	if ap.PVNO != pvno || ap.MsgType != msgtype.KRB_AP_REQ {
		return ap, malformed(at("AP-REQ"), "pvno %d, msg-type %d", ap.PVNO, ap.MsgType)
	}
	return ap, nil
}

// DecodeTicket decodes a Ticket (RFC 4120 section 5.3).
func DecodeTicket(b []byte) (messages.Ticket, error) {
	var t messages.Ticket
	body, err := only(b, appTag(asnAppTag.Ticket), at("Ticket"))
	if err != nil {
		return t, err
	}
	f := sequence(body, at("Ticket"))
	t.TktVNO = int(f.int64(0, "tkt-vno", true))
	t.Realm = f.string(1, "realm")
	t.SName = f.principal(2, "sname", true)
	if eb := f.need(3, "enc-part"); f.err == nil {
		t.EncPart, f.err = decodeEncryptedData(eb, where{typ: "Ticket", field: "enc-part"})
	}
	if err := f.done(); err != nil {
		return t, err
	}
	if t.TktVNO != pvno {
		return t, malformed(at("Ticket"), "tkt-vno %d", t.TktVNO)
	}
	return t, nil
}

// DecodeEncTicketPart decodes a ticket's decrypted part (RFC 4120
// section 5.3). Here and in the other decoders of decrypted parts, up to
// 15 zero bytes of block padding may follow the message.
func DecodeEncTicketPart(b []byte) (messages.EncTicketPart, error) {
	var p messages.EncTicketPart
	body, err := onlyPadded(b, appTag(asnAppTag.EncTicketPart), at("EncTicketPart"))
	if err != nil {
		return p, err
	}
	f := sequence(body, at("EncTicketPart"))
	p.Flags = f.bits(0, "flags")
	p.Key = f.key(1, "key", true)
	p.CRealm = f.string(2, "crealm")
	p.CName = f.principal(3, "cname", true)
	if tb := f.need(4, "transited"); f.err == nil {
		g := sequence(tb, at("TransitedEncoding"))
		p.Transited.TRType = g.int32(0, "tr-type", true)
		p.Transited.Contents = g.octets(1, "contents", true)
		f.err = g.done()
	}
	p.AuthTime = f.time(5, "authtime", true)
	p.StartTime = f.time(6, "starttime", false)
	p.EndTime = f.time(7, "endtime", true)
	p.RenewTill = f.time(8, "renew-till", false)
	p.CAddr = f.addresses(9, "caddr")
	p.AuthorizationData = f.authzData(10, "authorization-data")
	return p, f.done()
}

// DecodeAuthenticator decodes a decrypted Authenticator (RFC 4120
// section 5.5.1).
func DecodeAuthenticator(b []byte) (types.Authenticator, error) {
	var a types.Authenticator
	body, err := onlyPadded(b, appTag(asnAppTag.Authenticator), at("Authenticator"))
	if err != nil {
		return a, err
	}
	f := sequence(body, at("Authenticator"))
	a.AVNO = int(f.int64(0, "authenticator-vno", true))
	a.CRealm = f.string(1, "crealm")
	a.CName = f.principal(2, "cname", true)
	if cb, ok := f.field(3, "cksum"); ok {
		g := sequence(cb, at("Checksum"))
		a.Cksum.CksumType = g.int32(0, "cksumtype", true)
		a.Cksum.Checksum = g.octets(1, "checksum", true)
		f.err = g.done()
	}
	a.Cusec = int(f.int64(4, "cusec", true))
	a.CTime = f.time(5, "ctime", true)
	a.SubKey = f.key(6, "subkey", false)
	a.SeqNumber = f.uint32(7, "seq-number", false)
	a.AuthorizationData = f.authzData(8, "authorization-data")
	if err := f.done(); err != nil {
		return a, err
	}
	if a.AVNO != pvno {
		return a, malformed(at("Authenticator"), "authenticator-vno %d", a.AVNO)
	}
	return a, nil
}

// DecodeAPRep decodes an AP-REP (RFC 4120 section 5.5.2).
func DecodeAPRep(b []byte) (messages.APRep, error) {
	var r messages.APRep
	body, err := only(b, appTag(asnAppTag.APREP), at("AP-REP"))
	if err != nil {
		return r, err
	}
	f := sequence(body, at("AP-REP"))
	r.PVNO = int(f.int64(0, "pvno", true))
	r.MsgType = int(f.int64(1, "msg-type", true))
	if eb := f.need(2, "enc-part"); f.err == nil {
		r.EncPart, f.err = decodeEncryptedData(eb, where{typ: "AP-REP", field: "enc-part"})
	}
	if err := f.done(); err != nil {
		return r, err
	}
	if r.PVNO != pvno || r.MsgType != msgtype.KRB_AP_REP {
		return r, malformed(at("AP-REP"), "pvno %d, msg-type %d", r.PVNO, r.MsgType)
	}
	return r, nil
}

// DecodeEncAPRepPart decodes the decrypted part of an AP-REP.
func DecodeEncAPRepPart(b []byte) (messages.EncAPRepPart, error) {
	var p messages.EncAPRepPart
	body, err := onlyPadded(b, appTag(asnAppTag.EncAPRepPart), at("EncAPRepPart"))
	if err != nil {
		return p, err
	}
	f := sequence(body, at("EncAPRepPart"))
	p.CTime = f.time(0, "ctime", true)
	p.Cusec = int(f.int64(1, "cusec", true))
	p.Subkey = f.key(2, "subkey", false)
	p.SequenceNumber = f.uint32(3, "seq-number", false)
	return p, f.done()
}

// DecodeKDCRep decodes an AS-REP (tgs false) or a TGS-REP (RFC 4120
// section 5.4.2). The encrypted part stays encrypted.
func DecodeKDCRep(b []byte, tgs bool) (messages.KDCRepFields, error) {
	var r messages.KDCRepFields
	tag, name, mt := asnAppTag.ASREP, "AS-REP", msgtype.KRB_AS_REP
	if tgs {
		tag, name, mt = asnAppTag.TGSREP, "TGS-REP", msgtype.KRB_TGS_REP
	}
	body, err := only(b, appTag(tag), at(name))
	if err != nil {
		return r, err
	}
	f := sequence(body, at(name))
	r.PVNO = int(f.int64(0, "pvno", true))
	r.MsgType = int(f.int64(1, "msg-type", true))
	if pb, ok := f.field(2, "padata"); ok {
		r.PAData, f.err = decodePAData(pb, where{typ: name, field: "padata"})
	}
	r.CRealm = f.string(3, "crealm")
	r.CName = f.principal(4, "cname", true)
	if tb := f.need(5, "ticket"); f.err == nil {
		r.Ticket, f.err = DecodeTicket(tb)
	}
	if eb := f.need(6, "enc-part"); f.err == nil {
		r.EncPart, f.err = decodeEncryptedData(eb, where{typ: name, field: "enc-part"})
	}
	if err := f.done(); err != nil {
		return r, err
	}
	if r.PVNO != pvno || r.MsgType != mt {
		return r, malformed(at(name), "pvno %d, msg-type %d", r.PVNO, r.MsgType)
	}
	return r, nil
}

// DecodeEncKDCRepPart decodes the decrypted part of an AS-REP or a
// TGS-REP, under either application tag (RFC 4120 section 5.4.2 notes
// that implementations send EncASRepPart's in TGS-REPs and the other
// way round).
func DecodeEncKDCRepPart(b []byte) (messages.EncKDCRepPart, error) {
	var p messages.EncKDCRepPart
	name := "EncKDCRepPart"
	var body []byte
	var err error
	if len(b) > 0 && b[0] == appTag(asnAppTag.EncTGSRepPart) {
		body, err = onlyPadded(b, appTag(asnAppTag.EncTGSRepPart), at(name))
	} else {
		body, err = onlyPadded(b, appTag(asnAppTag.EncASRepPart), at(name))
	}
	if err != nil {
		return p, err
	}
	f := sequence(body, at(name))
	p.Key = f.key(0, "key", true)
	if lb := f.need(1, "last-req"); f.err == nil {
		f.err = seqOf(lb, where{typ: name, field: "last-req"}, func(e []byte) error {
			g := sequence(e, at("LastReq"))
			var lr messages.LastReq
			lr.LRType = g.int32(0, "lr-type", true)
			lr.LRValue = g.time(1, "lr-value", true)
			p.LastReqs = append(p.LastReqs, lr)
			return g.done()
		})
	}
	p.Nonce = int(f.uint32(2, "nonce", true))
	p.KeyExpiration = f.time(3, "key-expiration", false)
	p.Flags = f.bits(4, "flags")
	p.AuthTime = f.time(5, "authtime", true)
	p.StartTime = f.time(6, "starttime", false)
	p.EndTime = f.time(7, "endtime", true)
	p.RenewTill = f.time(8, "renew-till", false)
	p.SRealm = f.string(9, "srealm")
	p.SName = f.principal(10, "sname", true)
	p.CAddr = f.addresses(11, "caddr")
	if pb, ok := f.field(12, "encrypted-pa-data"); ok {
		p.EncPAData, f.err = decodePAData(pb, where{typ: name, field: "encrypted-pa-data"})
	}
	return p, f.done()
}

// Constructed types inside the messages.

func decodeEncryptedData(b []byte, field where) (types.EncryptedData, error) {
	var ed types.EncryptedData
	f := sequence(b, field)
	ed.EType = f.int32(0, "etype", true)
	ed.KVNO = int(f.uint32(1, "kvno", false))
	ed.Cipher = f.octets(2, "cipher", true)
	return ed, f.done()
}

// principal reads a PrincipalName field.
func (f *fields) principal(n int, what string, need bool) types.PrincipalName {
	var p types.PrincipalName
	inner, ok := f.maybe(n, what, need)
	if !ok {
		return p
	}
	g := sequence(inner, at("PrincipalName"))
	p.NameType = g.int32(0, "name-type", true)
	if sb := g.need(1, "name-string"); g.err == nil {
		g.err = seqOf(sb, where{typ: "PrincipalName", field: "name-string"}, func(e []byte) error {
			s, err := parseString(e, where{typ: "PrincipalName", field: "name-string"})
			p.NameString = append(p.NameString, s)
			return err
		})
	}
	f.err = g.done()
	return p
}

// key reads an EncryptionKey field.
func (f *fields) key(n int, what string, need bool) types.EncryptionKey {
	var k types.EncryptionKey
	inner, ok := f.maybe(n, what, need)
	if !ok {
		return k
	}
	g := sequence(inner, at("EncryptionKey"))
	k.KeyType = g.int32(0, "keytype", true)
	k.KeyValue = g.octets(1, "keyvalue", true)
	f.err = g.done()
	return k
}

// addresses reads an optional HostAddresses field.
func (f *fields) addresses(n int, what string) types.HostAddresses {
	inner, ok := f.field(n, what)
	if !ok {
		return nil
	}
	var out types.HostAddresses
	f.err = seqOf(inner, in(f.name, what), func(e []byte) error {
		g := sequence(e, at("HostAddress"))
		var a types.HostAddress
		a.AddrType = g.int32(0, "addr-type", true)
		a.Address = g.octets(1, "address", true)
		out = append(out, a)
		return g.done()
	})
	return out
}

// authzData reads an optional AuthorizationData field.
func (f *fields) authzData(n int, what string) types.AuthorizationData {
	inner, ok := f.field(n, what)
	if !ok {
		return nil
	}
	var out types.AuthorizationData
	f.err = seqOf(inner, in(f.name, what), func(e []byte) error {
		g := sequence(e, at("AuthorizationData"))
		var a types.AuthorizationDataEntry
		a.ADType = g.int32(0, "ad-type", true)
		a.ADData = g.octets(1, "ad-data", true)
		out = append(out, a)
		return g.done()
	})
	return out
}

func decodePAData(b []byte, field where) (types.PADataSequence, error) {
	var out types.PADataSequence
	err := seqOf(b, field, func(e []byte) error {
		g := sequence(e, at("PA-DATA"))
		var pa types.PAData
		pa.PADataType = g.int32(1, "padata-type", true)
		pa.PADataValue = g.octets(2, "padata-value", true)
		out = append(out, pa)
		return g.done()
	})
	return out, err
}
