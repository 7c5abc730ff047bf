package krb5

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/support"
)

// This file implements FAST, the flexible authentication secure tunneling
// of RFC 6113: requests to the KDC travel encrypted in an armor key, the
// KDC's answers and errors come back in the same tunnel, and a password
// login proves itself with an encrypted challenge instead of an encrypted
// timestamp, so an eavesdropper gets nothing to guess the password from.

// Pre-authentication data types of RFC 6113 section 7 and RFC 6806
// section 11 that gokrb5 does not name.
const (
	paFXError       = 137 // PA-FX-ERROR
	paPACOptions    = 167 // PA-PAC-OPTIONS, MS-KILE section 2.2.10
	paSupportedEnct = 165 // PA-SUPPORTED-ENCTYPES, MS-KILE section 2.2.8
)

// fxFastArmorAPRequest is the only armor type (RFC 6113 section 5.4.1).
const fxFastArmorAPRequest = 1

// keyUsageAPReqAuthenticator encrypts the authenticator of an AP-REQ that
// is not a TGS request, such as FAST armor (RFC 4120 section 7.5.1).
const keyUsageAPReqAuthenticator = 11

// ErrFASTRequired matches the failure of a login that needs FAST when the
// client has no armor ticket (the KDC offers pre-authentication only
// inside FAST), or when the client armored its request and the KDC
// answered without FAST.
var ErrFASTRequired = krb5TableErr("KRB5_ERR_FAST_REQUIRED")

func krb5TableErr(name string) *errortables.Error {
	i, ok := errortables.KRB5Table.Index(name)
	if !ok {
		panic("krb5: " + name + " missing from the krb5 table")
	}
	return errortables.KRB5Table.Err(i)
}

// WithArmorCCache armors the client's AS exchanges, as MIT's kinit -T
// does, with the TGT held in the named credential cache (names as in
// NewFromCCache), and makes its TGS exchanges use FAST too (WithFAST).
// The cache is read at each login, so a cache refreshed by another
// process keeps working. An armored login fails if the KDC answers
// without FAST; a realm whose KDC requires FAST needs this option (or
// WithArmor) for password and keytab logins.
func WithArmorCCache(name string) Option {
	return func(s *settings) {
		s.armor = ccacheArmor(name)
		s.fast = true
	}
}

// WithArmor armors the client's AS exchanges with the TGT of armor, a
// client that has logged in (typically a host or service logged in with
// its keytab), and makes its TGS exchanges use FAST too. The caller keeps
// ownership of armor and must keep it open while this client may log in;
// armor renews its own TGT.
func WithArmor(armor *Client) Option {
	return func(s *settings) {
		s.armor = clientArmor{armor}
		s.fast = true
	}
}

// WithFAST makes the client's TGS exchanges use FAST with the implicit
// armor of RFC 6113 section 5.4.1.1 (a key derived from the TGT's session
// key and a fresh subkey), as MIT's library always does: the request's
// padata and the KDC's errors travel encrypted. A KDC that does not
// support FAST ignores it and answers in the clear, which the client
// accepts, as MIT's does. Without WithArmor or WithArmorCCache the AS
// exchange stays unarmored, since it has no key to armor with.
func WithFAST() Option { return func(s *settings) { s.fast = true } }

// armorSource yields a TGT for krbtgt/realm to armor an AS exchange; the
// returned function releases what it holds.
type armorSource interface {
	armorTGT(ctx context.Context, realm string, cfgCtx *Client) (*ServiceTicket, func(), error)
}

// ccacheArmor is a credential cache to take armor TGTs from.
type ccacheArmor string

func (a ccacheArmor) armorTGT(ctx context.Context, realm string,
	c *Client) (*ServiceTicket, func(), error) {
	ac, err := NewFromCCache(string(a), c.conf(ctx), DisableAutoRenew(),
		WithKDCTimeout(c.settings.kdcTimeout), WithClock(c.settings.clock))
	if err != nil {
		return nil, nil, fmt.Errorf("krb5: FAST armor cache: %w", err)
	}
	t, err := ac.realmTGT(ctx, realm)
	if err != nil {
		ac.Close()
		return nil, nil, fmt.Errorf("krb5: FAST armor cache: %w", err)
	}
	return t, func() { ac.Close() }, nil
}

// clientArmor is a client whose TGT armors another's AS exchanges.
type clientArmor struct{ c *Client }

func (a clientArmor) armorTGT(ctx context.Context, realm string,
	_ *Client) (*ServiceTicket, func(), error) {
	if a.c == nil {
		return nil, nil, fmt.Errorf("krb5: FAST armor: nil client")
	}
	if err := a.c.obj.Enter(); err != nil {
		return nil, nil, fmt.Errorf("krb5: FAST armor client: %w", err)
	}
	ctx, unpin := a.c.pin(ctx)
	t, err := a.c.realmTGT(ctx, realm)
	unpin()
	if err != nil {
		a.c.obj.Leave()
		return nil, nil, fmt.Errorf("krb5: FAST armor client: %w", err)
	}
	return t, a.c.obj.Leave, nil
}

// realmTGT returns a TGT for krbtgt/realm: the client's own TGT for its
// realm, or a cross-realm TGT. The caller has entered c.obj.
func (c *Client) realmTGT(ctx context.Context, realm string) (*ServiceTicket, error) {
	tgt, err := c.freshTGT(ctx)
	if err != nil {
		return nil, err
	}
	if tgt.Server.NameString[1] == realm {
		return tgt, nil
	}
	return c.crossRealmTGT(ctx, tgt, realm)
}

// fastExchange is the FAST state of one exchange with a KDC: the armor
// key (RFC 6113 section 5.4.1.1), the armor itself for an AS exchange,
// and the nonce of the request last sent. wipe clears the key.
type fastExchange struct {
	armorKey types.EncryptionKey
	armor    *fastArmorField // nil for the implicit armor of a TGS exchange
	nonce    int
}

func (f *fastExchange) wipe() {
	if f != nil {
		support.Wipe(f.armorKey.KeyValue)
	}
}

// asFAST returns the FAST state for an AS exchange with realm, or nil
// when the client has no armor. The armor is an AP-REQ for a TGT of realm
// with a fresh subkey; the armor key is KRB-FX-CF2(subkey, TGT session
// key, "subkeyarmor", "ticketarmor").
func (c *Client) asFAST(ctx context.Context, realm string) (*fastExchange, error) {
	if c.settings.armor == nil {
		return nil, nil
	}
	tgt, release, err := c.settings.armor.armorTGT(ctx, realm, c)
	if err != nil {
		return nil, err
	}
	defer release()
	f := &fastExchange{}
	err = tgt.UseSessionKey(func(key types.EncryptionKey) error {
		sub, err := randomKey(key.KeyType)
		if err != nil {
			return err
		}
		defer support.Wipe(sub.KeyValue)
		ap, err := armorAPReq(tgt, key, sub, c.now().UTC())
		if err != nil {
			return err
		}
		f.armor = &fastArmorField{ArmorType: fxFastArmorAPRequest, ArmorValue: ap}
		f.armorKey, err = cf2(sub, key, "subkeyarmor", "ticketarmor")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("krb5: FAST armor: %w", err)
	}
	c.trace(ctx, "FAST armor", "realm", realm, "armor", tgt.ClientName())
	return f, nil
}

// armorAPReq encodes the AP-REQ of a FAST armor: tgt with an
// authenticator carrying subkey, under the usage of an ordinary AP-REQ.
func armorAPReq(tgt *ServiceTicket, key, sub types.EncryptionKey,
	now time.Time) ([]byte, error) {
	auth := types.Authenticator{
		AVNO:   iana.PVNO,
		CRealm: tgt.ClientRealm,
		CName:  tgt.Client,
		CTime:  now.Truncate(time.Second),
		Cusec:  now.Nanosecond() / 1000,
		SubKey: sub,
	}
	b, err := auth.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding the authenticator: %w", err)
	}
	defer support.Wipe(b)
	ed, err := crypto.GetEncryptedData(b, key, keyUsageAPReqAuthenticator, 0)
	if err != nil {
		return nil, fmt.Errorf("encrypting the authenticator: %w", err)
	}
	ap := messages.APReq{
		PVNO:                   iana.PVNO,
		MsgType:                msgtype.KRB_AP_REQ,
		APOptions:              types.NewKrbFlags(),
		Ticket:                 tgt.Ticket,
		EncryptedAuthenticator: ed,
	}
	return ap.Marshal()
}

// tgsFAST returns the FAST state of a TGS exchange whose authenticator
// carries subkey: the implicit armor key KRB-FX-CF2(subkey, TGT session
// key, "subkeyarmor", "ticketarmor") of RFC 6113 section 5.4.1.1.
func tgsFAST(sub, tgtKey types.EncryptionKey) (*fastExchange, error) {
	k, err := cf2(sub, tgtKey, "subkeyarmor", "ticketarmor")
	if err != nil {
		return nil, err
	}
	return &fastExchange{armorKey: k}, nil
}

// randomKey returns a fresh random key of etype, for a subkey.
func randomKey(etype int32) (types.EncryptionKey, error) {
	n := prfKeySize(etype)
	if n == 0 {
		et, err := crypto.GetEtype(etype)
		if err != nil {
			return types.EncryptionKey{}, ErrNotSupported.With(
				fmt.Sprintf("enctype %d", etype), nil)
		}
		n = et.GetKeyByteSize()
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return types.EncryptionKey{}, err
	}
	return types.EncryptionKey{KeyType: etype, KeyValue: b}, nil
}

// encodeFASTRequest wraps a KDC request (RFC 6113 section 5.4.2): padata
// and body go into a KrbFastReq encrypted in the armor key, the
// req-checksum covers checked (the request body of an AS-REQ, the AP-REQ
// of a TGS-REQ) and the result is the value of a PA-FX-FAST.
func (f *fastExchange) encodeFASTRequest(padata types.PADataSequence,
	body *messages.KDCReqBody, checked []byte) ([]byte, error) {
	f.nonce = body.Nonce
	rawBody, err := body.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding the request body: %w", err)
	}
	inner := fastReqMsg{
		FastOptions: types.NewKrbFlags(),
		PAData:      padata,
		// A RawValue with FullBytes would skip the explicit tag.
		ReqBody: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2,
			IsCompound: true, Bytes: rawBody},
	}
	if inner.PAData == nil {
		inner.PAData = types.PADataSequence{}
	}
	plain, err := asn1.Marshal(inner)
	if err != nil {
		return nil, fmt.Errorf("encoding KrbFastReq: %w", err)
	}
	defer support.Wipe(plain)
	ck, err := makeChecksum(f.armorKey, keyusage.KEY_USAGE_FAST_REQ_CHKSUM, checked)
	if err != nil {
		return nil, err
	}
	enc, err := crypto.GetEncryptedData(plain, f.armorKey, keyusage.KEY_USAGE_FAST_ENC, 0)
	if err != nil {
		return nil, fmt.Errorf("encrypting KrbFastReq: %w", err)
	}
	armored := fastArmoredReqMsg{ReqChecksum: ck, EncFastReq: enc}
	if f.armor != nil {
		armored.Armor = *f.armor
	}
	b, err := asn1.Marshal(armored)
	if err != nil {
		return nil, fmt.Errorf("encoding KrbFastArmoredReq: %w", err)
	}
	return explicitTag0(b), nil
}

// wrapAS encodes req as an armored AS-REQ: the outer request carries the
// same body and only the PA-FX-FAST; everything in req.PAData travels
// inside.
func (f *fastExchange) wrapAS(req *messages.ASReq) ([]byte, error) {
	body, err := req.ReqBody.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: encoding body: %w", err)
	}
	v, err := f.encodeFASTRequest(req.PAData, &req.ReqBody, body)
	if err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: FAST: %w", err)
	}
	outer := messages.ASReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    req.PVNO,
		MsgType: req.MsgType,
		PAData:  types.PADataSequence{{PADataType: patype.PA_FX_FAST, PADataValue: v}},
		ReqBody: req.ReqBody,
	}}
	return outer.Marshal()
}

// wrapTGS encodes req, whose first padata is the PA-TGS-REQ, as an
// armored TGS-REQ. As MIT does, the outer request repeats the other
// padata beside the PA-TGS-REQ and the PA-FX-FAST, so that a KDC that
// ignores FAST still sees them.
func (f *fastExchange) wrapTGS(req *messages.TGSReq) ([]byte, error) {
	var ap []byte
	var others types.PADataSequence
	for _, p := range req.PAData {
		if p.PADataType == patype.PA_TGS_REQ {
			ap = p.PADataValue
		} else {
			others = append(others, p)
		}
	}
	v, err := f.encodeFASTRequest(others, &req.ReqBody, ap)
	if err != nil {
		return nil, fmt.Errorf("krb5: TGS exchange: FAST: %w", err)
	}
	outer := *req
	outer.PAData = append(types.PADataSequence{
		{PADataType: patype.PA_TGS_REQ, PADataValue: ap},
		{PADataType: patype.PA_FX_FAST, PADataValue: v},
	}, others...)
	return outer.Marshal()
}

// explicitTag0 wraps DER bytes in the context tag [0] of a CHOICE
// alternative under explicit tagging.
func explicitTag0(b []byte) []byte {
	out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific,
		Tag: 0, IsCompound: true, Bytes: b})
	return out
}

// openFAST finds the PA-FX-FAST in padata, decrypts it with the armor
// key and checks its nonce (RFC 6113 section 5.4.3). It reports false,
// with no error, when padata has no PA-FX-FAST.
func (f *fastExchange) openFAST(padata types.PADataSequence) (*fastResponse, bool, error) {
	i := slices.IndexFunc(padata, func(p types.PAData) bool {
		return p.PADataType == patype.PA_FX_FAST
	})
	if i < 0 {
		return nil, false, nil
	}
	resp, err := decodeFASTReply(padata[i].PADataValue, f.armorKey)
	if err != nil {
		return nil, true, err
	}
	if resp.nonce != int64(f.nonce) {
		return nil, true, ErrReplyModified.With(
			"the nonce of the FAST reply does not match the request", nil)
	}
	return resp, true, nil
}

// decodeFASTReply decodes a PA-FX-FAST-REPLY and decrypts its
// KrbFastResponse with armorKey.
func decodeFASTReply(b []byte, armorKey types.EncryptionKey) (*fastResponse, error) {
	var choice asn1.RawValue
	if err := unmarshalSafe("PA-FX-FAST-REPLY", b, func(b []byte) error {
		_, err := asn1.Unmarshal(b, &choice)
		return err
	}); err != nil {
		return nil, err
	}
	if choice.Class != asn1.ClassContextSpecific || choice.Tag != 0 || !choice.IsCompound {
		return nil, &errMalformed{what: "PA-FX-FAST-REPLY", err: ErrASN1Parse.With(
			"not an armored-data alternative", nil)}
	}
	var rep fastArmoredRepMsg
	if err := unmarshalSafe("KrbFastArmoredRep", choice.Bytes, func(b []byte) error {
		_, err := asn1.Unmarshal(b, &rep)
		return err
	}); err != nil {
		return nil, err
	}
	plain, err := kcrypto.Open(armorKey, keyusage.KEY_USAGE_FAST_REP, rep.EncFastRep)
	if err != nil {
		return nil, ErrBadIntegrity.With("cannot decrypt the FAST reply", nil)
	}
	defer support.Wipe(plain)
	var msg fastResponseMsg
	if err := unmarshalSafe("KrbFastResponse", plain, func(b []byte) error {
		_, err := asn1.Unmarshal(b, &msg)
		return err
	}); err != nil {
		return nil, err
	}
	// The decoder's slices share the decrypted buffer, which is wiped.
	resp := &fastResponse{
		padata: clonePAData(msg.PAData),
		strengthen: types.EncryptionKey{KeyType: msg.StrengthenKey.KeyType,
			KeyValue: append([]byte(nil), msg.StrengthenKey.KeyValue...)},
		nonce: msg.Nonce,
	}
	if fin := msg.Finished; !fin.Timestamp.IsZero() {
		fin.CName.NameString = slices.Clone(fin.CName.NameString)
		fin.CRealm = string(append([]byte(nil), fin.CRealm...))
		fin.TicketChecksum.Checksum = append([]byte(nil), fin.TicketChecksum.Checksum...)
		resp.finished = &fin
	}
	return resp, nil
}

// fastResponse is a decrypted KrbFastResponse.
type fastResponse struct {
	padata     types.PADataSequence
	strengthen types.EncryptionKey // KeyType 0 when absent
	finished   *fastFinishedMsg
	nonce      int64
}

func clonePAData(in types.PADataSequence) types.PADataSequence {
	out := make(types.PADataSequence, len(in))
	for i, p := range in {
		out[i] = types.PAData{PADataType: p.PADataType,
			PADataValue: append([]byte(nil), p.PADataValue...)}
	}
	return out
}

// unwrapError opens a KRB-ERROR of an armored exchange: the KDC puts the
// real error in a PA-FX-ERROR inside the FAST reply in the e-data (RFC
// 6113 section 5.4.3), beside the padata for the next round. An error
// that is not armored, such as one about the armor itself, is returned
// as it came, with its e-data as padata, as MIT does; armored reports
// which it was.
func (f *fastExchange) unwrapError(k *messages.KRBError) (_ *messages.KRBError,
	_ types.PADataSequence, armored bool, _ error) {
	outer := methodData(k.EData)
	resp, found, err := f.openFAST(outer)
	if !found || err != nil {
		return k, outer, false, nil
	}
	defer resp.wipe()
	i := slices.IndexFunc(resp.padata, func(p types.PAData) bool {
		return p.PADataType == paFXError
	})
	if i < 0 {
		return nil, nil, true, ErrReplyModified.With("a FAST error without PA-FX-ERROR", nil)
	}
	inner, err := parseKRBError(resp.padata[i].PADataValue)
	if err != nil {
		return nil, nil, true, err
	}
	return inner, resp.padata, true, nil
}

// methodData decodes e-data as METHOD-DATA, or returns nil when it is
// something else (TYPED-DATA, text).
func methodData(edata []byte) types.PADataSequence {
	if len(edata) == 0 {
		return nil
	}
	var pas types.PADataSequence
	if err := unmarshalSafe("METHOD-DATA", edata, pas.Unmarshal); err != nil {
		return nil
	}
	return pas
}

// checkFinished checks the KrbFastFinished of a FAST reply (RFC 6113
// section 5.4.3): its checksum over the ticket as the KDC encoded it,
// under the armor key.
func (f *fastExchange) checkFinished(resp *fastResponse, rawTicket []byte) error {
	if resp.finished == nil {
		return ErrReplyModified.With("the FAST reply has no finished message", nil)
	}
	if !verifyChecksum(f.armorKey, keyusage.KEY_USAGE_FAST_FINISHED, rawTicket,
		resp.finished.TicketChecksum) {
		return ErrReplyModified.With("the ticket does not match the FAST finished checksum", nil)
	}
	return nil
}

// replyKey returns the key that decrypts the reply: KRB-FX-CF2 of the
// strengthen key and key, when the KDC sent a strengthen key (RFC 6113
// section 5.4.3), else a copy of key. The caller wipes it.
func (resp *fastResponse) replyKey(key types.EncryptionKey) (types.EncryptionKey, error) {
	if resp == nil || resp.strengthen.KeyType == 0 {
		return types.EncryptionKey{KeyType: key.KeyType,
			KeyValue: append([]byte(nil), key.KeyValue...)}, nil
	}
	return cf2(resp.strengthen, key, "strengthenkey", "replykey")
}

func (resp *fastResponse) wipe() {
	if resp != nil {
		support.Wipe(resp.strengthen.KeyValue)
	}
}

// rawReplyTicket returns the ticket of a KDC-REP as the KDC encoded it,
// for the checksum of KrbFastFinished.
func rawReplyTicket(rep []byte) ([]byte, error) {
	var app asn1.RawValue
	var body kdcRepRawMsg
	err := unmarshalSafe("KDC-REP", rep, func(b []byte) error {
		if _, err := asn1.Unmarshal(b, &app); err != nil {
			return err
		}
		_, err := asn1.Unmarshal(app.Bytes, &body)
		return err
	})
	if err != nil {
		return nil, err
	}
	t := explicitInner(body.Ticket, 5)
	if t == nil {
		return nil, &errMalformed{what: "KDC-REP", err: ErrASN1Parse.With("no ticket", nil)}
	}
	return t, nil
}

// explicitInner returns the element inside an explicitly tagged field
// decoded as a RawValue, which the decoder fills with the tagged element
// whatever its tag; nil when the tag is not tag.
func explicitInner(rv asn1.RawValue, tag int) []byte {
	if rv.Class != asn1.ClassContextSpecific || !rv.IsCompound || rv.Tag != tag {
		return nil
	}
	return rv.Bytes
}

// The FAST messages of RFC 6113 section 5.4, in the module's explicit
// tagging.
type (
	fastArmorField struct {
		ArmorType  int32  `asn1:"explicit,tag:0"`
		ArmorValue []byte `asn1:"explicit,tag:1"`
	}
	fastArmoredReqMsg struct {
		Armor       fastArmorField      `asn1:"explicit,optional,tag:0"`
		ReqChecksum types.Checksum      `asn1:"explicit,tag:1"`
		EncFastReq  types.EncryptedData `asn1:"explicit,tag:2"`
	}
	fastReqMsg struct {
		FastOptions asn1.BitString       `asn1:"explicit,tag:0"`
		PAData      types.PADataSequence `asn1:"explicit,tag:1"`
		ReqBody     asn1.RawValue        `asn1:"explicit,tag:2"`
	}
	fastArmoredRepMsg struct {
		EncFastRep types.EncryptedData `asn1:"explicit,tag:0"`
	}
	fastResponseMsg struct {
		PAData        types.PADataSequence `asn1:"explicit,tag:0"`
		StrengthenKey types.EncryptionKey  `asn1:"explicit,optional,tag:1"`
		Finished      fastFinishedMsg      `asn1:"explicit,optional,tag:2"`
		Nonce         int64                `asn1:"explicit,tag:3"`
	}
	fastFinishedMsg struct {
		Timestamp      time.Time           `asn1:"generalized,explicit,tag:0"`
		USec           int                 `asn1:"explicit,tag:1"`
		CRealm         string              `asn1:"generalstring,explicit,tag:2"`
		CName          types.PrincipalName `asn1:"explicit,tag:3"`
		TicketChecksum types.Checksum      `asn1:"explicit,tag:4"`
	}
	// kdcRepRawMsg is a KDC-REP (RFC 4120 section 5.4.2) with its
	// ticket left encoded. A RawValue takes whatever element comes
	// next, so it is never optional here.
	kdcRepRawMsg struct {
		PVNO    int                  `asn1:"explicit,tag:0"`
		MsgType int                  `asn1:"explicit,tag:1"`
		PAData  types.PADataSequence `asn1:"explicit,optional,tag:2"`
		CRealm  string               `asn1:"generalstring,explicit,tag:3"`
		CName   types.PrincipalName  `asn1:"explicit,tag:4"`
		Ticket  asn1.RawValue        `asn1:"explicit,tag:5"`
		EncPart types.EncryptedData  `asn1:"explicit,tag:6"`
	}
)

// setPreauth puts the pre-authentication of the next AS-REQ in req: an
// encrypted challenge (RFC 6113 section 5.4.6) in an armored exchange
// whose KDC offers it, else an encrypted timestamp.
func (c *Client) setPreauth(req *messages.ASReq, key *loginKey, fast *fastExchange,
	challenge bool) error {
	if fast == nil || !challenge {
		return c.setEncTimestamp(req, key)
	}
	ck, err := cf2(fast.armorKey, key.key, "clientchallengearmor", "challengelongterm")
	if err != nil {
		return fmt.Errorf("krb5: encrypted challenge: %w", err)
	}
	defer support.Wipe(ck.KeyValue)
	b, err := c.encryptedTimestamp(ck, keyusage.KEY_USAGE_ENC_CHALLENGE_CLIENT, 0)
	if err != nil {
		return err
	}
	setPAData(&req.PAData, patype.PA_ENC_TIMESTAMP, nil)
	setPAData(&req.PAData, patype.PA_ENCRYPTED_CHALLENGE, b)
	return nil
}

// fastOnly reports whether the padata of a PREAUTH_REQUIRED error offers
// FAST and no pre-authentication the client can use outside it: the KDC
// of a realm that requires FAST.
func fastOnly(pas types.PADataSequence) bool {
	return hasPAData(pas, patype.PA_FX_FAST) && !hasPAData(pas, patype.PA_ENC_TIMESTAMP)
}

// openASReply opens the FAST reply of an armored AS exchange and puts
// its content in asRep: the padata from inside the tunnel, and the
// client name of the finished message, which the KDC may hide outside.
// A reply without FAST fails with ErrFASTRequired: the client armored
// its request and accepts no downgrade.
func (f *fastExchange) openASReply(rep []byte, asRep *messages.ASRep) (*fastResponse, error) {
	resp, found, err := f.openFAST(asRep.PAData)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrFASTRequired.With("the KDC answered an armored request without FAST", nil)
	}
	raw, err := rawReplyTicket(rep)
	if err == nil {
		err = f.checkFinished(resp, raw)
	}
	if err != nil {
		resp.wipe()
		return nil, err
	}
	asRep.PAData = resp.padata
	asRep.CName = resp.finished.CName
	asRep.CRealm = resp.finished.CRealm
	return resp, nil
}

// checkASReply makes the checks of an AS-REP that its encrypted part
// allows. After an encrypted challenge, the KDC's own challenge in the
// FAST reply must decrypt with the KDC challenge key and carry a time
// within the clock skew: it proves the KDC knew the client's key (RFC
// 6113 section 5.4.6). When the KDC set the enc-pa-rep flag, its
// PA-REQ-ENC-PA-REP must be a checksum of the request as sent (RFC 6806
// section 11), which catches a request changed on the way.
func (c *Client) checkASReply(ctx context.Context, part *messages.EncKDCRepPart,
	replyKey, longTerm types.EncryptionKey, fresp *fastResponse, st asState) error {
	if st.challenge {
		if err := c.checkKDCChallenge(ctx, fresp, st.fast, longTerm); err != nil {
			return err
		}
	}
	if !flagSet(part.Flags, flags.EncPARep) || st.sent == nil {
		return nil
	}
	b := findPAData(part.EncPAData, patype.PA_REQ_ENC_PA_REP)
	var ck types.Checksum
	if b == nil {
		return ErrReplyModified.With("the enc-pa-rep flag is set without PA-REQ-ENC-PA-REP", nil)
	}
	if err := unmarshalSafe("PA-REQ-ENC-PA-REP", b, ck.Unmarshal); err != nil {
		return err
	}
	if !verifyChecksum(replyKey, keyusage.KEY_USAGE_AS_REQ, st.sent, ck) {
		return ErrReplyModified.With("the KDC's checksum of the request does not match "+
			"the request sent: it was modified on the way", nil)
	}
	c.trace(ctx, "KDC signed the request (enc-pa-rep)",
		"fast-offered", hasPAData(part.EncPAData, patype.PA_FX_FAST))
	return nil
}

// checkKDCChallenge checks the PA-ENCRYPTED-CHALLENGE the KDC returns
// after the client's.
func (c *Client) checkKDCChallenge(ctx context.Context, fresp *fastResponse,
	fast *fastExchange, longTerm types.EncryptionKey) error {
	if fresp == nil {
		return ErrPreauthFailed.With("encrypted challenge outside FAST", nil)
	}
	b := findPAData(fresp.padata, patype.PA_ENCRYPTED_CHALLENGE)
	if b == nil {
		return ErrReplyModified.With("the KDC did not answer the encrypted challenge", nil)
	}
	var ed types.EncryptedData
	if err := unmarshalSafe("PA-ENCRYPTED-CHALLENGE", b, ed.Unmarshal); err != nil {
		return err
	}
	plain, err := decryptKDCChallenge(ed, fast.armorKey, longTerm)
	if err != nil {
		return err
	}
	var ts types.PAEncTSEnc
	if err := unmarshalSafe("PA-ENC-TS-ENC", plain, ts.Unmarshal); err != nil {
		return err
	}
	skew := c.conf(ctx).LibDefaults.Clockskew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	if d := c.now().Sub(ts.PATimestamp); d > skew || d < -skew {
		return ErrClockSkew.With("the KDC's encrypted challenge is "+d.String()+" off", nil)
	}
	return nil
}

// openTGSReply opens the FAST reply of an armored TGS exchange, if the
// KDC sent one, and checks its finished message; the client name it
// holds replaces the one outside. It returns nil for a reply in the
// clear.
func (f *fastExchange) openTGSReply(rep []byte, tgsRep *messages.TGSRep) (*fastResponse, error) {
	resp, found, err := f.openFAST(tgsRep.PAData)
	if err != nil || !found {
		return nil, err
	}
	raw, err := rawReplyTicket(rep)
	if err == nil {
		err = f.checkFinished(resp, raw)
	}
	if err != nil {
		resp.wipe()
		return nil, err
	}
	tgsRep.CName = resp.finished.CName
	tgsRep.CRealm = resp.finished.CRealm
	return resp, nil
}

// decryptKDCChallenge decrypts the KDC's encrypted challenge with the
// KDC challenge key, KRB-FX-CF2(armor key, long-term key,
// "kdcchallengearmor", "challengelongterm"). Heimdal 7's KDC encrypts it
// in the client challenge key instead (its "clientchallengearmor"
// variant), which proves as much, so that key is tried next.
func decryptKDCChallenge(ed types.EncryptedData, armorKey,
	longTerm types.EncryptionKey) ([]byte, error) {
	for _, pepper := range []string{"kdcchallengearmor", "clientchallengearmor"} {
		k, err := cf2(armorKey, longTerm, pepper, "challengelongterm")
		if err != nil {
			return nil, err
		}
		plain, err := kcrypto.Open(k, keyusage.KEY_USAGE_ENC_CHALLENGE_KDC, ed)
		support.Wipe(k.KeyValue)
		if err == nil {
			return plain, nil
		}
	}
	return nil, ErrReplyModified.With("the KDC's encrypted challenge does not decrypt", nil)
}
