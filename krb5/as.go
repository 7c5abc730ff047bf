package krb5

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/support"
)

// maxReferrals bounds the realm hops of one exchange.
const maxReferrals = 5

// defaultLifetime is the ticket lifetime asked for when neither the
// options nor the configuration give one.
const defaultLifetime = 24 * time.Hour

// loginKey is a long-term key derived or fetched for one login. It is
// wiped when the login ends.
type loginKey struct {
	key  types.EncryptionKey
	kvno int
}

func (k *loginKey) wipe() {
	if k != nil {
		support.Wipe(k.key.KeyValue)
	}
}

// saltInfo is what the KDC told us about how to derive a key for one
// enctype (ETYPE-INFO2, RFC 4120 section 5.2.7.5).
type saltInfo struct {
	etype  int32
	salt   string
	params string // hex, as gokrb5's string-to-key takes them
	given  bool   // the KDC sent a salt (possibly empty)
}

// asExchange performs the AS exchange and returns the new TGT.
// Pre-authentication uses an enctype the client has a key for, and the
// password goes through string-to-key once per login.
func (c *Client) asExchange(ctx context.Context) (*ServiceTicket, error) {
	return c.asExchangeFor(ctx, nil)
}

// initialTicketLifetime is the lifetime asked for an initial ticket for
// a service other than the TGS, such as kadmin/changepw: it is used at
// once and thrown away.
const initialTicketLifetime = 5 * time.Minute

// asExchangeFor performs the AS exchange for the service sname of the
// client's realm (RFC 4120 section 3.1), or for the TGT when sname is
// nil. A ticket for another service is short-lived, neither renewable nor
// forwardable, and carries the INITIAL flag that kpasswd demands.
func (c *Client) asExchangeFor(ctx context.Context, sname *types.PrincipalName) (*ServiceTicket, error) {
	realm := c.realm
	req, err := c.newASReq(ctx, realm, sname)
	if err != nil {
		return nil, err
	}
	fast, err := c.asFAST(ctx, realm)
	if err != nil {
		return nil, err
	}
	defer func() { fast.wipe() }()
	var key *loginKey
	defer func() { key.wipe() }()
	preauth, challenge, skewRetried := false, false, false
	visited := []string{realm} // the realms a client referral led to
	for round := 0; ; round++ {
		if round > 4+maxReferrals {
			return nil, fmt.Errorf("krb5: AS exchange: gave up after %d rounds", round)
		}
		b, err := encodeASReq(&req, fast)
		if err != nil {
			return nil, err
		}
		c.trace(ctx, "AS-REQ", "realm", realm, "preauth", preauth, "fast", fast != nil)
		rep, err := c.exchange(ctx, realm, b)
		if err != nil {
			return nil, err
		}
		if !isKRBError(rep) {
			return c.finishASWith(ctx, rep, &req, key,
				asState{fast: fast, sent: b, challenge: challenge})
		}
		kerr, pas, armored, err := c.asError(rep, fast)
		if err != nil {
			return nil, fmt.Errorf("krb5: AS exchange: %w", err)
		}
		c.trace(ctx, "KRB-ERROR", "code", kerr.ErrorCode, "realm", realm, "fast", armored)
		switch kerr.ErrorCode {
		case errorcode.KDC_ERR_PREAUTH_REQUIRED:
			if preauth {
				return nil, newKDCError("AS exchange", kerr)
			}
			if fast == nil && fastOnly(pas) {
				return nil, fmt.Errorf("krb5: AS exchange: %w", ErrFASTRequired.With(
					"the KDC of "+realm+" offers pre-authentication only inside FAST: "+
						"armor the login (WithArmorCCache, WithArmor)", nil))
			}
			info, err := etypeInfoFromPAData(pas)
			if err != nil {
				return nil, fmt.Errorf("krb5: AS exchange: pre-authentication hints: %w", err)
			}
			if key, err = c.preauthKey(ctx, info); err != nil {
				return nil, err
			}
			preauth = true
			challenge = fast != nil && (hasPAData(pas, patype.PA_ENCRYPTED_CHALLENGE) ||
				!hasPAData(pas, patype.PA_ENC_TIMESTAMP))
		case errorcode.KRB_AP_ERR_SKEW:
			if skewRetried || kerr.STime.IsZero() {
				return nil, newKDCError("AS exchange", kerr)
			}
			skewRetried = true
			c.learnOffset(kerr)
			c.trace(ctx, "KDC reports clock skew; retrying with its time",
				"offset", time.Duration(c.offset.Load()).String())
		case errorcode.KDC_ERR_WRONG_REALM:
			// A client referral (RFC 6806 section 7): the client's realm
			// is the one crealm names.
			if kerr.CRealm == "" || kerr.CRealm == realm {
				return nil, newKDCError("AS exchange", kerr)
			}
			visited = append(visited, kerr.CRealm)
			if slices.Contains(visited[:len(visited)-1], kerr.CRealm) ||
				len(visited) > maxReferrals+1 {
				return nil, fmt.Errorf("krb5: AS exchange: %w", ErrWrongRealm.With(
					"client referrals go round or too far: "+
						strings.Join(visited, " -> "), nil))
			}
			c.trace(ctx, "client referral", "from", realm, "to", kerr.CRealm)
			realm = kerr.CRealm
			req.ReqBody.Realm = realm
			// Pre-authentication starts again with the new KDC's hints.
			key.wipe()
			key, preauth, challenge = nil, false, false
			setPAData(&req.PAData, patype.PA_ENC_TIMESTAMP, nil)
			setPAData(&req.PAData, patype.PA_ENCRYPTED_CHALLENGE, nil)
			if sname == nil {
				req.ReqBody.SName.NameString = []string{"krbtgt", realm}
			}
			if fast != nil {
				fast.wipe()
				if fast, err = c.asFAST(ctx, realm); err != nil {
					return nil, err
				}
			}
			pas = nil // a cookie is for the KDC that sent it
		default:
			return nil, newKDCError("AS exchange", kerr)
		}
		setPAData(&req.PAData, patype.PA_FX_COOKIE, findPAData(pas, patype.PA_FX_COOKIE))
		if preauth {
			err = c.setPreauth(&req, key, fast, challenge)
			if err != nil {
				return nil, err
			}
		}
	}
}

// asError decodes a KRB-ERROR answering an AS-REQ and the padata that
// comes with it: its e-data as METHOD-DATA, or for an armored request the
// error and padata inside the FAST reply, which armored reports.
func (c *Client) asError(rep []byte, fast *fastExchange) (_ *messages.KRBError,
	_ types.PADataSequence, armored bool, _ error) {
	kerr, err := parseKRBError(rep)
	if err != nil {
		return nil, nil, false, err
	}
	if fast != nil {
		return fast.unwrapError(kerr)
	}
	if kerr.ErrorCode != errorcode.KDC_ERR_PREAUTH_REQUIRED || len(kerr.EData) == 0 {
		return kerr, methodData(kerr.EData), false, nil
	}
	var pas types.PADataSequence
	if err := unmarshalSafe("METHOD-DATA", kerr.EData, pas.Unmarshal); err != nil {
		return nil, nil, false, fmt.Errorf("pre-authentication hints: %w", err)
	}
	return kerr, pas, false, nil
}

// encodeASReq encodes req, armored when fast is not nil.
func encodeASReq(req *messages.ASReq, fast *fastExchange) ([]byte, error) {
	if fast != nil {
		return fast.wrapAS(req)
	}
	b, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: encoding AS-REQ: %w", err)
	}
	return b, nil
}

// newASReq builds an AS-REQ for krbtgt/realm with the client's options,
// or for sname, when it is not nil, as asExchangeFor describes.
func (c *Client) newASReq(ctx context.Context, realm string,
	sname *types.PrincipalName) (messages.ASReq, error) {
	cfg := c.conf(ctx)
	now := c.now().UTC()
	opts := types.NewKrbFlags()
	forwardable := cfg.LibDefaults.Forwardable
	if c.settings.forwardable != nil {
		forwardable = *c.settings.forwardable
	}
	if forwardable {
		types.SetFlag(&opts, flags.Forwardable)
	}
	if cfg.LibDefaults.Proxiable {
		types.SetFlag(&opts, flags.Proxiable)
	}
	if c.canonicalize(cfg) {
		types.SetFlag(&opts, flags.Canonicalize)
	}
	lifetime := c.settings.lifetime
	if lifetime <= 0 {
		lifetime = cfg.LibDefaults.TicketLifetime
	}
	if lifetime <= 0 {
		lifetime = defaultLifetime
	}
	body := messages.KDCReqBody{
		KDCOptions: opts,
		Realm:      realm,
		CName:      c.cname,
		SName: types.PrincipalName{
			NameType:   nametype.KRB_NT_SRV_INST,
			NameString: []string{"krbtgt", realm},
		},
		Till:      now.Add(lifetime).Truncate(time.Second),
		EType:     c.requestETypes(ctx),
		Addresses: c.requestAddresses(cfg),
	}
	renew := c.settings.renewLifetime
	if renew == 0 {
		renew = cfg.LibDefaults.RenewLifetime
	}
	if sname != nil {
		body.SName = *sname
		body.KDCOptions = types.NewKrbFlags()
		if c.canonicalize(cfg) {
			// The client's name still needs it: a KDC may know an
			// enterprise name only as an alias.
			types.SetFlag(&body.KDCOptions, flags.Canonicalize)
		}
		body.Till = now.Add(initialTicketLifetime).Truncate(time.Second)
		renew = 0
	}
	if renew > 0 {
		types.SetFlag(&body.KDCOptions, flags.Renewable)
		body.RTime = now.Add(renew).Truncate(time.Second)
	}
	nonce, err := newNonce()
	if err != nil {
		return messages.ASReq{}, err
	}
	body.Nonce = nonce
	if len(body.EType) == 0 {
		return messages.ASReq{}, fmt.Errorf("krb5: AS exchange: %w", ErrNoKey.With(
			"no enctype that is both configured and available for "+
				c.PrincipalString(), nil))
	}
	// An empty PA-REQ-ENC-PA-REP asks the KDC to sign the request in the
	// encrypted part of its reply (RFC 6806 section 11), which
	// finishASWith checks.
	return messages.ASReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_AS_REQ,
		PAData: types.PADataSequence{
			{PADataType: patype.PA_REQ_ENC_PA_REP, PADataValue: []byte{}},
		},
		ReqBody: body,
	}}, nil
}

// canonicalize reports whether AS requests ask the KDC to canonicalize
// the client's name.
func (c *Client) canonicalize(cfg *config.Config) bool {
	if c.settings.enterprise {
		return true
	}
	if c.settings.canonicalize != nil {
		return *c.settings.canonicalize
	}
	return cfg.LibDefaults.Canonicalize
}

// requestETypes lists the enctypes to ask for: the configured ones, and
// for a keytab client only those it has keys for.
func (c *Client) requestETypes(ctx context.Context) []int32 {
	conf := c.conf(ctx).LibDefaults.DefaultTktEnctypeIDs
	var out []int32
	for _, e := range conf {
		if c.canUse(e) {
			out = append(out, e)
		}
	}
	return out
}

// canUse reports whether the client can produce a long-term key of
// enctype e.
func (c *Client) canUse(e int32) bool {
	if _, err := crypto.GetEtype(e); err != nil {
		return false
	}
	if c.keytab == nil {
		return true
	}
	have, err := c.keytab.ETypes(c.cname, c.realm)
	return err == nil && slices.Contains(have, e)
}

func newNonce() (int, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("krb5: nonce: %w", err)
	}
	return int(binary.BigEndian.Uint32(b[:]) & 0x7fffffff), nil
}

// preauthKey picks the first enctype in the KDC's hints that the client
// can produce a key for, and produces it. Hints come in the KDC's order
// of preference.
func (c *Client) preauthKey(ctx context.Context, info []saltInfo) (*loginKey, error) {
	var offered []int32
	for _, in := range info {
		offered = append(offered, in.etype)
		if c.canUse(in.etype) {
			return c.longTermKey(in)
		}
	}
	if len(info) == 0 {
		// No hints: the first configured enctype with the default salt.
		for _, e := range c.requestETypes(ctx) {
			return c.longTermKey(saltInfo{etype: e})
		}
	}
	return nil, fmt.Errorf("krb5: AS exchange: %w", ErrNoKey.With(fmt.Sprintf(
		"the KDC offers enctypes %v for %s and the client has a key for none",
		offered, c.PrincipalString()), nil))
}

// longTermKey fetches the key from the keytab or derives it from the
// password with the salt and parameters in in.
func (c *Client) longTermKey(in saltInfo) (*loginKey, error) {
	if c.keytab != nil {
		var out *loginKey
		err := c.keytab.UseKey(c.cname, c.realm, 0, in.etype,
			func(k types.EncryptionKey, kvno uint32) error {
				out = &loginKey{key: types.EncryptionKey{
					KeyType:  k.KeyType,
					KeyValue: append([]byte(nil), k.KeyValue...),
				}, kvno: int(kvno)}
				return nil
			})
		return out, err
	}
	et, err := crypto.GetEtype(in.etype)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", ErrNotSupported.With(
			fmt.Sprintf("enctype %d", in.etype), nil))
	}
	salt := in.salt
	if !in.given {
		salt = c.cname.GetSalt(c.realm)
	}
	params := in.params
	if params == "" {
		params = et.GetDefaultStringToKeyParams()
	}
	if err := checkS2KParams(in.etype, params); err != nil {
		return nil, err
	}
	c.trace(context.Background(), "string-to-key", "enctype", in.etype)
	var out *loginKey
	err = c.currentPassword().Use(func(pw []byte) error {
		k, err := et.StringToKey(string(pw), salt, params)
		if err != nil {
			return fmt.Errorf("krb5: string-to-key for enctype %d failed", in.etype)
		}
		out = &loginKey{key: types.EncryptionKey{KeyType: in.etype, KeyValue: k}}
		return nil
	})
	return out, err
}

// maxS2KIterations bounds the PBKDF2 iteration count a KDC may ask for in
// its string-to-key parameters, as MIT does (2^24): a reply asking for
// billions would otherwise hold the client for hours.
const maxS2KIterations = 1 << 24

// checkS2KParams refuses string-to-key parameters that are not what the
// enctype takes or that ask for more than maxS2KIterations. The AES
// (RFC 3962 section 4), AES-SHA2 (RFC 8009 section 4) and Camellia
// (RFC 6803 section 3) enctypes take a 4-byte iteration count, in which
// 0 means 2^32.
func checkS2KParams(etype int32, params string) error {
	switch etype {
	case 17, 18, 19, 20, 25, 26:
	default:
		return nil
	}
	b, err := hex.DecodeString(params)
	if err != nil || len(b) != 4 {
		return fmt.Errorf("krb5: AS exchange: %w", ErrNotSupported.With(fmt.Sprintf(
			"string-to-key parameters of %d bytes for enctype %d", len(b), etype), nil))
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 || n > maxS2KIterations {
		return fmt.Errorf("krb5: AS exchange: %w", ErrNotSupported.With(fmt.Sprintf(
			"the KDC asks for %d string-to-key iterations (at most %d accepted, 0 means 2^32)",
			n, maxS2KIterations), nil))
	}
	return nil
}

// setEncTimestamp replaces the PA-ENC-TIMESTAMP of req with one for the
// current (KDC-corrected) time.
func (c *Client) setEncTimestamp(req *messages.ASReq, key *loginKey) error {
	b, err := c.encryptedTimestamp(key.key, keyusage.AS_REQ_PA_ENC_TIMESTAMP, key.kvno)
	if err != nil {
		return err
	}
	setPAData(&req.PAData, patype.PA_ENC_TIMESTAMP, b)
	return nil
}

// encryptedTimestamp encodes PA-ENC-TS-ENC for the current time
// encrypted with key under usage, as an EncryptedData.
func (c *Client) encryptedTimestamp(key types.EncryptionKey, usage uint32,
	kvno int) ([]byte, error) {
	now := c.now().UTC()
	ts, err := asn1.Marshal(types.PAEncTSEnc{
		PATimestamp: now.Truncate(time.Second),
		PAUSec:      now.Nanosecond() / 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("krb5: encoding PA-ENC-TS-ENC: %w", err)
	}
	ed, err := crypto.GetEncryptedData(ts, key, usage, kvno)
	if err != nil {
		return nil, fmt.Errorf("krb5: encrypting PA-ENC-TS-ENC: %w", err)
	}
	b, err := ed.Marshal()
	if err != nil {
		return nil, fmt.Errorf("krb5: encoding PA-ENC-TS-ENC: %w", err)
	}
	return b, nil
}

// setPAData replaces the padata of type t in pas with value, or removes
// it when value is nil.
func setPAData(pas *types.PADataSequence, t int32, value []byte) {
	*pas = slices.DeleteFunc(*pas, func(p types.PAData) bool {
		return p.PADataType == t
	})
	if value != nil {
		*pas = append(*pas, types.PAData{PADataType: t, PADataValue: value})
	}
}

// findPAData returns the value of the first padata of type t, or nil.
func findPAData(pas types.PADataSequence, t int32) []byte {
	for _, p := range pas {
		if p.PADataType == t {
			return append([]byte{}, p.PADataValue...)
		}
	}
	return nil
}

func hasPAData(pas types.PADataSequence, t int32) bool { return findPAData(pas, t) != nil }

// learnOffset records the KDC's clock from a KRB_AP_ERR_SKEW error.
func (c *Client) learnOffset(k *messages.KRBError) {
	kdc := k.STime.Add(time.Duration(k.Susec) * time.Microsecond)
	c.offset.Store(int64(kdc.Sub(c.settings.clock.Now())))
}

// finishAS decodes, decrypts and checks the AS-REP of an unarmored
// exchange whose request was not kept.
func (c *Client) finishAS(ctx context.Context, rep []byte, req *messages.ASReq,
	key *loginKey) (*ServiceTicket, error) {
	return c.finishASWith(ctx, rep, req, key, asState{})
}

// asState is what checking an AS-REP needs to know of the exchange.
type asState struct {
	fast      *fastExchange // nil when not armored
	sent      []byte        // the last request as sent
	challenge bool          // the client used encrypted challenge
}

// finishASWith decodes, decrypts and checks the AS-REP: through FAST
// when the request was armored (see openASFAST), and against the
// PA-REQ-ENC-PA-REP checksum of the request when the KDC sent one.
func (c *Client) finishASWith(ctx context.Context, rep []byte, req *messages.ASReq,
	key *loginKey, st asState) (*ServiceTicket, error) {
	var asRep messages.ASRep
	if err := unmarshalSafe("AS-REP", rep, decodeKDCRep(&asRep.KDCRepFields, false)); err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: %w", err)
	}
	var fresp *fastResponse
	if st.fast != nil {
		var err error
		if fresp, err = st.fast.openASReply(rep, &asRep); err != nil {
			return nil, fmt.Errorf("krb5: AS exchange: %w", err)
		}
		defer fresp.wipe()
	}
	etype := asRep.EncPart.EType
	if key == nil || key.key.KeyType != etype {
		// Not pre-authenticated, or the reply uses another enctype:
		// derive the key it needs with the salt the reply carries.
		info, _ := etypeInfoFromPAData(asRep.PAData)
		in := saltInfo{etype: etype}
		for _, i := range info {
			if i.etype == etype {
				in = i
			}
		}
		if !c.canUse(etype) {
			return nil, fmt.Errorf("krb5: AS exchange: %w", ErrNoKey.With(fmt.Sprintf(
				"the reply is encrypted with enctype %d, which the client has no key for",
				etype), nil))
		}
		k, err := c.longTermKey(in)
		if err != nil {
			return nil, err
		}
		defer k.wipe()
		key = k
	}
	replyKey, err := fresp.replyKey(key.key)
	if err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: %w", err)
	}
	defer support.Wipe(replyKey.KeyValue)
	plain, err := kcrypto.Open(replyKey, keyusage.AS_REP_ENCPART, asRep.EncPart)
	if err != nil {
		// The usual cause is a wrong password on a principal that does
		// not require pre-authentication.
		return nil, fmt.Errorf("krb5: AS exchange: %w", ErrBadIntegrity.With(
			"cannot decrypt the AS-REP: wrong password or key", nil))
	}
	defer support.Wipe(plain)
	var part messages.EncKDCRepPart
	if err := unmarshalSafe("EncASRepPart", plain, decodeEncKDCRepPart(&part)); err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: %w", err)
	}
	defer support.Wipe(part.Key.KeyValue)
	if part.Nonce != req.ReqBody.Nonce {
		return nil, fmt.Errorf("krb5: AS exchange: %w", ErrReplyModified.With(
			"the reply's nonce does not match the request", nil))
	}
	if err := c.checkASReply(ctx, &part, replyKey, key.key, fresp, st); err != nil {
		return nil, fmt.Errorf("krb5: AS exchange: %w", err)
	}
	if isTGT(req.ReqBody.SName) {
		if !isTGT(part.SName) || !isTGT(asRep.Ticket.SName) {
			return nil, fmt.Errorf("krb5: AS exchange: the reply is for %s, not a TGS",
				part.SName.PrincipalNameString())
		}
	} else if !samePrincipal(part.SName, req.ReqBody.SName) {
		return nil, fmt.Errorf("krb5: AS exchange: %w", ErrReplyModified.With(
			"the reply is for "+part.SName.PrincipalNameString()+", not "+
				req.ReqBody.SName.PrincipalNameString(), nil))
	}
	if !c.canonicalize(c.conf(ctx)) && !samePrincipal(asRep.CName, req.ReqBody.CName) {
		return nil, fmt.Errorf("krb5: AS exchange: %w", ErrReplyModified.With(
			"the reply names another client: "+asRep.CName.PrincipalNameString(), nil))
	}
	c.trace(ctx, "AS-REP", "realm", asRep.CRealm, "enctype", part.Key.KeyType,
		"endtime", part.EndTime)
	return newServiceTicket(asRep.Ticket, asRep.CName, asRep.CRealm, &part)
}

// isKRBError reports whether a KDC reply is a KRB-ERROR (APPLICATION 30).
func isKRBError(rep []byte) bool { return len(rep) > 0 && rep[0] == 0x7e }

// parseKRBError decodes a KRB-ERROR without panicking on bad input.
func parseKRBError(rep []byte) (*messages.KRBError, error) {
	var k messages.KRBError
	if err := unmarshalSafe("KRB-ERROR", rep, k.Unmarshal); err != nil {
		return nil, err
	}
	return &k, nil
}

// errMalformed reports a message that failed to decode. It says what
// message it was, never its bytes.
type errMalformed struct {
	what string
	err  error
}

func (e *errMalformed) Error() string {
	return "malformed " + e.what + " from the KDC: " + e.err.Error()
}

func (e *errMalformed) Unwrap() error { return e.err }

// unmarshalSafe runs a gokrb5 decoder and wraps its error so that it
// names the message and matches ErrASN1Parse, never quoting the bytes.
// The decoders are gofork's encoding/asn1, which returns errors on
// malformed input; the fuzz targets of this package keep checking that.
func unmarshalSafe(what string, b []byte, f func([]byte) error) error {
	if err := decodeSafe(b, f); err != nil {
		return &errMalformed{what: what, err: err}
	}
	return nil
}

// decodeSafe is unmarshalSafe for bytes that did not come from a KDC
// (a file): its error matches ErrASN1Parse and names no source.
func decodeSafe(b []byte, f func([]byte) error) error {
	if len(b) == 0 {
		return ErrASN1Parse.With("empty message", nil)
	}
	if err := f(b); err != nil {
		return ErrASN1Parse.With("", asn1Cause{err})
	}
	return nil
}

// asn1Cause keeps a decoder's error for errors.Is and errors.As but prints
// only its first clause: gofork's structure errors go on with a dump of
// Go struct tags and pointer values, which tell a user nothing.
type asn1Cause struct{ err error }

func (c asn1Cause) Error() string {
	s := c.err.Error()
	if i := strings.Index(s, " {"); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	return s
}

func (c asn1Cause) Unwrap() error { return c.err }

// parseETypeInfo extracts ETYPE-INFO2 (or ETYPE-INFO, or PW-SALT) from
// the METHOD-DATA in a PREAUTH_REQUIRED error.
func parseETypeInfo(edata []byte) ([]saltInfo, error) {
	if len(edata) == 0 {
		return nil, nil
	}
	var pas types.PADataSequence
	if err := unmarshalSafe("METHOD-DATA", edata, pas.Unmarshal); err != nil {
		return nil, err
	}
	return etypeInfoFromPAData(pas)
}

func etypeInfoFromPAData(pas types.PADataSequence) ([]saltInfo, error) {
	var info2, info1 []saltInfo
	var pwSalt *string
	for _, pa := range pas {
		switch pa.PADataType {
		case patype.PA_ETYPE_INFO2:
			var e types.ETypeInfo2
			if err := unmarshalSafe("ETYPE-INFO2", pa.PADataValue, e.Unmarshal); err != nil {
				return nil, err
			}
			for _, x := range e {
				info2 = append(info2, saltInfo{etype: x.EType, salt: x.Salt,
					params: hex.EncodeToString(x.S2KParams), given: x.Salt != ""})
			}
		case patype.PA_ETYPE_INFO:
			var e types.ETypeInfo
			if err := unmarshalSafe("ETYPE-INFO", pa.PADataValue, e.Unmarshal); err != nil {
				return nil, err
			}
			for _, x := range e {
				info1 = append(info1, saltInfo{etype: x.EType, salt: string(x.Salt),
					given: x.Salt != nil})
			}
		case patype.PA_PW_SALT:
			s := string(pa.PADataValue)
			pwSalt = &s
		}
	}
	out := info2
	if out == nil {
		out = info1
	}
	if pwSalt != nil {
		for i := range out {
			if !out[i].given {
				out[i].salt, out[i].given = *pwSalt, true
			}
		}
	}
	return out, nil
}
