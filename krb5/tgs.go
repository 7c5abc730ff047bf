package krb5

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	"golang.org/x/sync/singleflight"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbmsg"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/support"
)

// renewMargin is how long before its end a cached ticket stops being
// handed out: a ticket about to expire would fail at the server.
const renewMargin = 30 * time.Second

// ServiceTicket returns a ticket for the service spn ("HTTP/host.example",
// optionally with "@REALM"), from the client's cache when it holds a valid
// one, otherwise from the KDC (the TGS exchange, RFC 4120 section 3.3),
// following referrals across realms. Names the KDC canonicalises hit the
// cache under both the asked and the returned name. A service without a
// realm whose host [domain_realm] does not map is looked for in the
// realm of the TGT's client, which a client referral may have made
// another than the realm the client was made with. If the TGT has
// expired and the client has a password or keytab, it logs in again
// first.
func (c *Client) ServiceTicket(ctx context.Context, spn string) (*ServiceTicket, error) {
	if err := c.obj.Enter(); err != nil {
		return nil, err
	}
	defer c.obj.Leave()
	ctx, unpin := c.pin(ctx)
	defer unpin()
	sname, srealm, err := c.parseSPN(ctx, spn)
	if err != nil {
		return nil, err
	}
	if c.currentTGT() == nil {
		// Log in first: a service named without a realm is in the
		// client's realm, which a client referral may change.
		if _, err := c.freshTGT(ctx); err != nil {
			return nil, err
		}
		if sname, srealm, err = c.parseSPN(ctx, spn); err != nil {
			return nil, err
		}
	}
	key := cacheKey(sname, srealm)
	if t := c.cached(key); t != nil {
		c.trace(ctx, "service ticket cache hit", "server", key)
		return t, nil
	}
	return fetchOnce(&c.fetches, key, c.cached, func() (*ServiceTicket, error) {
		tgt, err := c.freshTGT(ctx)
		if err != nil {
			return nil, err
		}
		t, err := c.fetchServiceTicket(ctx, tgt, sname, srealm)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.storeLocked(key, t)
		if canon := cacheKey(t.Server, t.ServerRealm); canon != key {
			c.storeLocked(canon, t)
		}
		return t, nil
	})
}

// fetchOnce returns the ticket cached under key or, on a miss, the one
// fetch gets and caches. Concurrent misses for one key share one fetch,
// so one exchange with the KDC.
func fetchOnce(g *singleflight.Group, key string, cached func(string) *ServiceTicket,
	fetch func() (*ServiceTicket, error)) (*ServiceTicket, error) {
	v, err, _ := g.Do(key, func() (any, error) {
		if t := cached(key); t != nil {
			return t, nil
		}
		return fetch()
	})
	if err != nil {
		return nil, err
	}
	return v.(*ServiceTicket), nil
}

// cacheKey names a service in the ticket cache, in MIT's unparsed form,
// whose escapes keep a component or realm holding "/" or "@" from
// naming another service. The name type takes no part, as KDCs may
// answer with another one.
func cacheKey(name types.PrincipalName, realm string) string {
	return krbname.Principal{Realm: realm, Components: name.NameString}.String()
}

// cached returns a ticket from the cache that is valid for a while yet.
func (c *Client) cached(key string) *ServiceTicket {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tickets[key]
	if !ok || !t.valid(c.now(), renewMargin) {
		return nil
	}
	return t
}

// storeLocked caches t under key; a ticket it replaces is retired.
func (c *Client) storeLocked(key string, t *ServiceTicket) {
	if old, ok := c.tickets[key]; ok && old != t && !c.referencedLocked(old, key) {
		c.retiredLocked(old)
	}
	c.tickets[key] = t
}

// referencedLocked reports whether t is cached under a key other than
// skip.
func (c *Client) referencedLocked(t *ServiceTicket, skip string) bool {
	for k, v := range c.tickets {
		if k != skip && v == t {
			return true
		}
	}
	return false
}

// parseSPN reads "service/host@REALM" as MIT's krb5_parse_name does,
// backslash escapes included. Without a realm (or with an empty one), the
// host's realm comes from [domain_realm], else the client's home realm
// is used.
func (c *Client) parseSPN(ctx context.Context, spn string) (types.PrincipalName, string, error) {
	if spn == "" || strings.ContainsAny(spn, "\x00\n") {
		return types.PrincipalName{}, "", fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"service name "+krbname.Quote(spn), nil))
	}
	p, err := krbname.ParsePrincipal(spn, "")
	if err != nil {
		return types.PrincipalName{}, "", fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"service name "+krbname.Quote(spn), err))
	}
	if p.HasEmptyComponent() {
		return types.PrincipalName{}, "", fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"service name "+krbname.Quote(spn)+" has an empty component", nil))
	}
	parts, realm := p.Components, p.Realm
	nt := int32(nametype.KRB_NT_PRINCIPAL)
	if len(parts) == 2 {
		nt = nametype.KRB_NT_SRV_HST
	}
	if realm == "" && len(parts) == 2 {
		realm = c.conf(ctx).ResolveRealm(parts[1])
	}
	if realm == "" {
		realm = c.homeRealm()
	}
	return types.PrincipalName{NameType: nt, NameString: parts}, realm, nil
}

// homeRealm is the realm of the client as its KDCs know it: that of the
// TGT's client, which differs from the realm the client was made with
// after a client referral (RFC 6806 section 7), or that realm before
// the first login.
func (c *Client) homeRealm() string {
	if t := c.currentTGT(); t != nil {
		return t.ClientRealm
	}
	return c.realm
}

// freshTGT returns a TGT valid for a while yet, logging in again when the
// client has long-term credentials.
func (c *Client) freshTGT(ctx context.Context) (*ServiceTicket, error) {
	if c.password == nil && c.keytab == nil {
		// A cache that kinit rewrote holds a newer TGT, or another
		// ticket's flags: take them before using the old one.
		c.reloadCCache(ctx)
	}
	if t := c.currentTGT(); t != nil && t.valid(c.now(), renewMargin) {
		return t, nil
	}
	if c.password == nil && c.keytab == nil {
		if c.currentTGT() == nil {
			return nil, fmt.Errorf("krb5: %w", ErrCredNotFound.With(
				"no TGT: log in first", nil))
		}
		return nil, fmt.Errorf("krb5: %w", ErrTicketExpired.With(
			"the TGT has expired and the client cannot log in again", nil))
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if t := c.currentTGT(); t != nil && t.valid(c.now(), renewMargin) {
		return t, nil // another goroutine logged in meanwhile
	}
	tgt, err := c.asExchange(ctx)
	if err != nil {
		return nil, err
	}
	c.setTGT(tgt)
	c.startRenewal()
	return tgt, nil
}

// fetchServiceTicket runs TGS exchanges from tgt until it holds a ticket
// for sname@srealm. A service of another realm is reached through a
// cross-realm TGT (RFC 4120 section 1.2), see crossRealmTGT; within a
// realm, referral TGTs (RFC 6806) are followed for up to maxReferrals
// realms. Referral TGTs are used once and not cached.
func (c *Client) fetchServiceTicket(ctx context.Context, tgt *ServiceTicket,
	sname types.PrincipalName, srealm string) (*ServiceTicket, error) {
	cur := tgt
	if !isTGT(sname) && srealm != "" && srealm != cur.Server.NameString[1] {
		x, err := c.crossRealmTGT(ctx, tgt, srealm)
		if err != nil {
			return nil, err
		}
		cur = x
	}
	var referrals []*ServiceTicket
	defer func() {
		for _, r := range referrals {
			r.destroy()
		}
	}()
	for hop := 0; ; hop++ {
		kdcRealm := cur.Server.NameString[1]
		t, err := c.tgsExchange(ctx, cur, sname, kdcRealm, false)
		if err != nil {
			return nil, err
		}
		if isTGT(t.Server) && !isTGT(sname) {
			next := t.Server.NameString[1]
			if hop >= maxReferrals || next == kdcRealm {
				t.destroy()
				return nil, fmt.Errorf("krb5: TGS exchange: %w", ErrWrongRealm.With(
					fmt.Sprintf("referral loop or chain too long at %s for %s",
						next, cacheKey(sname, srealm)), nil))
			}
			c.trace(ctx, "server referral", "from", kdcRealm, "to", next)
			referrals = append(referrals, t)
			cur = t
			continue
		}
		return t, nil
	}
}

// crossRealmTGT returns a TGT for the KDC of realm target, from the cache
// or by asking the KDC of each realm on the way for krbtgt/target. A KDC
// without a direct trust answers with a TGT for a realm nearer the target
// (its [capaths]); that is followed for up to maxReferrals hops. The TGTs
// obtained are cached like service tickets, so further services of the
// realm cost one exchange.
func (c *Client) crossRealmTGT(ctx context.Context, tgt *ServiceTicket,
	target string) (*ServiceTicket, error) {
	want := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST,
		NameString: []string{"krbtgt", target}}
	cur := tgt
	for hop := 0; hop <= maxReferrals; hop++ {
		curRealm := cur.Server.NameString[1]
		key := cacheKey(want, curRealm)
		if t := c.cached(key); t != nil {
			cur = t
		} else {
			t, err := c.tgsExchange(ctx, cur, want, curRealm, false)
			if err != nil {
				return nil, err
			}
			got := ""
			if isTGT(t.Server) {
				got = t.Server.NameString[1]
			}
			if got == "" || got == curRealm {
				t.destroy()
				return nil, fmt.Errorf("krb5: TGS exchange: %w", ErrWrongRealm.With(
					fmt.Sprintf("the KDC of %s gave no TGT towards %s", curRealm,
						target), nil))
			}
			c.trace(ctx, "cross-realm TGT", "from", curRealm, "to", got)
			c.mu.Lock()
			c.storeLocked(cacheKey(t.Server, t.ServerRealm), t)
			if got == target {
				c.storeLocked(key, t)
			}
			c.mu.Unlock()
			cur = t
		}
		if cur.Server.NameString[1] == target {
			return cur, nil
		}
	}
	return nil, fmt.Errorf("krb5: TGS exchange: %w", ErrWrongRealm.With(
		fmt.Sprintf("no path of at most %d realms to %s", maxReferrals, target), nil))
}

// tgsExchange asks the KDC of kdcRealm for a ticket for sname with tgt.
// With renew set it renews tgt itself.
func (c *Client) tgsExchange(ctx context.Context, tgt *ServiceTicket,
	sname types.PrincipalName, kdcRealm string, renew bool) (*ServiceTicket, error) {
	return c.tgsExchangeWith(ctx, tgt, sname, kdcRealm, renew, nil)
}

// tgsExtra is what a TGS request asks beyond a ticket for a service: the
// padata, options and additional ticket of S4U. A request with extras,
// or from a client using FAST, carries an authenticator subkey, and the
// KDC encrypts its reply in it.
type tgsExtra struct {
	// padata builds padata to send once the request's nonce and subkey
	// are known.
	padata func(nonce int, subkey, tgtKey types.EncryptionKey) (types.PADataSequence, error)
	// options are KDC option bits to set.
	options []int
	// additional is the additional ticket of the request.
	additional []messages.Ticket
	// check inspects the decrypted reply before it is accepted.
	check func(r *tgsReply) error
}

// tgsReply is a decrypted TGS-REP, for tgsExtra.check.
type tgsReply struct {
	rep    *messages.TGSRep
	part   *messages.EncKDCRepPart
	padata types.PADataSequence // from inside FAST when armored
	subkey types.EncryptionKey
}

// tgsSend is a TGS request ready to go, with the keys that read its
// reply; wipe clears them.
type tgsSend struct {
	req messages.TGSReq
	// body is req.ReqBody's DER, as the authenticator's checksum covers
	// it: the request carries these very bytes rather than a second
	// encoding.
	body   []byte
	subkey types.EncryptionKey // KeyType 0 when there is none
	fast   *fastExchange       // nil when not armored
}

func (s *tgsSend) wipe() {
	support.Wipe(s.subkey.KeyValue)
	s.fast.wipe()
}

// tgsExchangeWith is tgsExchange with the extras x, which may be nil.
func (c *Client) tgsExchangeWith(ctx context.Context, tgt *ServiceTicket,
	sname types.PrincipalName, kdcRealm string, renew bool,
	x *tgsExtra) (*ServiceTicket, error) {
	skewRetried := false
	for {
		s, err := c.prepareTGS(ctx, tgt, sname, kdcRealm, renew, x)
		if err != nil {
			return nil, err
		}
		t, retry, err := c.sendTGS(ctx, s, tgt, x, !skewRetried)
		s.wipe()
		if !retry {
			return t, err
		}
		skewRetried = true
	}
}

// sendTGS sends one prepared request and reads the reply. It reports
// retry when the KDC complained of clock skew, its time is now known and
// mayRetry allowed another try.
func (c *Client) sendTGS(ctx context.Context, s *tgsSend, tgt *ServiceTicket,
	x *tgsExtra, mayRetry bool) (*ServiceTicket, bool, error) {
	var b []byte
	var err error
	if s.fast != nil {
		b, err = s.fast.wrapTGS(&s.req)
	} else {
		size := len(s.body) + 32
		for _, pa := range s.req.PAData {
			size += len(pa.PADataValue) + 16
		}
		b = krbmsg.AppendTGSReq(make([]byte, 0, size), s.req.PAData, s.body)
	}
	if err != nil {
		return nil, false, err
	}
	c.trace(ctx, "TGS-REQ", "server", cacheKey(s.req.ReqBody.SName, s.req.ReqBody.Realm),
		"renew", s.req.Renewal, "fast", s.fast != nil)
	rep, err := c.exchange(ctx, s.req.ReqBody.Realm, b)
	if err != nil {
		return nil, false, err
	}
	if !isKRBError(rep) {
		t, err := c.finishTGSWith(ctx, rep, s, tgt, x)
		return t, false, err
	}
	kerr, err := parseKRBError(rep)
	if err == nil && s.fast != nil {
		kerr, _, _, err = s.fast.unwrapError(kerr)
	}
	if err != nil {
		return nil, false, fmt.Errorf("krb5: TGS exchange: %w", err)
	}
	if kerr.ErrorCode == errorcode.KRB_AP_ERR_SKEW && mayRetry && !kerr.STime.IsZero() {
		c.learnOffset(kerr)
		return nil, true, nil
	}
	return nil, false, newKDCError("TGS exchange", kerr)
}

// newTGSReq builds a TGS-REQ with its PA-TGS-REQ authenticator, stamped
// with the KDC-corrected time, without subkey or FAST.
func (c *Client) newTGSReq(ctx context.Context, tgt *ServiceTicket, sname types.PrincipalName,
	kdcRealm string, renew bool) (messages.TGSReq, error) {
	s, err := c.buildTGS(ctx, tgt, sname, kdcRealm, renew, nil, false)
	if err != nil {
		return messages.TGSReq{}, err
	}
	return s.req, nil
}

// prepareTGS builds the request of tgsExchangeWith: with a subkey when
// there are extras or the client uses FAST, and armored when it does.
func (c *Client) prepareTGS(ctx context.Context, tgt *ServiceTicket, sname types.PrincipalName,
	kdcRealm string, renew bool, x *tgsExtra) (*tgsSend, error) {
	return c.buildTGS(ctx, tgt, sname, kdcRealm, renew, x, x != nil || c.settings.fast)
}

func (c *Client) buildTGS(ctx context.Context, tgt *ServiceTicket, sname types.PrincipalName,
	kdcRealm string, renew bool, x *tgsExtra, withSubkey bool) (*tgsSend, error) {
	cfg := c.conf(ctx)
	now := c.now().UTC()
	opts := types.NewKrbFlags()
	if tgt.Forwardable() && c.wantForwardable(cfg) {
		types.SetFlag(&opts, flags.Forwardable)
	}
	types.SetFlag(&opts, flags.Canonicalize)
	lifetime := c.settings.lifetime
	if lifetime <= 0 {
		lifetime = cfg.LibDefaults.TicketLifetime
	}
	if lifetime <= 0 {
		lifetime = defaultLifetime
	}
	till := now.Add(lifetime).Truncate(time.Second)
	if renew {
		types.SetFlag(&opts, flags.Renew)
		types.SetFlag(&opts, flags.Renewable)
		if !tgt.RenewTill.IsZero() {
			till = tgt.RenewTill
		}
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	body := messages.KDCReqBody{
		KDCOptions: opts,
		Realm:      kdcRealm,
		SName:      sname,
		Till:       till,
		Nonce:      nonce,
		EType:      cfg.LibDefaults.DefaultTGSEnctypeIDs,
	}
	if renew {
		body.RTime = tgt.RenewTill
	}
	if x != nil {
		for _, o := range x.options {
			types.SetFlag(&body.KDCOptions, o)
		}
		body.AdditionalTickets = x.additional
	}
	// Room for a usual body at once, instead of growing into it.
	bodyBytes := krbmsg.AppendKDCReqBody(make([]byte, 0, 256), &body)
	s := &tgsSend{body: bodyBytes}
	var ap []byte
	var extra types.PADataSequence
	err = tgt.UseSessionKey(func(key types.EncryptionKey) error {
		et, err := crypto.GetEtype(key.KeyType)
		if err != nil {
			return fmt.Errorf("krb5: TGS exchange: %w", ErrNotSupported.With(
				fmt.Sprintf("TGT session key enctype %d", key.KeyType), nil))
		}
		sum, err := tgt.checksum(keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM,
			bodyBytes)
		if err != nil {
			return fmt.Errorf("krb5: TGS exchange: checksum: %w", err)
		}
		auth := types.Authenticator{
			AVNO:   iana.PVNO,
			CRealm: tgt.ClientRealm,
			CName:  tgt.Client,
			Cksum:  types.Checksum{CksumType: et.GetHashID(), Checksum: sum},
			CTime:  now.Truncate(time.Second),
			Cusec:  now.Nanosecond() / 1000,
		}
		if withSubkey {
			if s.subkey, err = randomKey(key.KeyType); err != nil {
				return fmt.Errorf("krb5: TGS exchange: subkey: %w", err)
			}
			auth.SubKey = s.subkey
		}
		// FAST in a TGS exchange is opportunistic: a session key whose
		// enctype has no KRB-FX-CF2 here (des3) goes without it.
		if c.settings.fast && withSubkey && prfKeySize(key.KeyType) != 0 {
			if s.fast, err = tgsFAST(s.subkey, key); err != nil {
				return fmt.Errorf("krb5: TGS exchange: FAST: %w", err)
			}
		}
		if x != nil && x.padata != nil {
			if extra, err = x.padata(nonce, s.subkey, key); err != nil {
				return err
			}
		}
		ap, err = encodeAPReq(tgt, &auth, keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR)
		return err
	})
	if err != nil {
		s.wipe()
		return nil, err
	}
	s.req = messages.TGSReq{KDCReqFields: messages.KDCReqFields{
		PVNO:    iana.PVNO,
		MsgType: msgtype.KRB_TGS_REQ,
		PAData: append(types.PADataSequence{
			{PADataType: patype.PA_TGS_REQ, PADataValue: ap},
		}, extra...),
		ReqBody: body,
		Renewal: renew,
	}}
	return s, nil
}

func (c *Client) wantForwardable(cfg *config.Config) bool {
	if c.settings.forwardable != nil {
		return *c.settings.forwardable
	}
	return cfg.LibDefaults.Forwardable
}

// finishTGS decodes, decrypts and checks a TGS-REP to a request without
// subkey or FAST.
func (c *Client) finishTGS(ctx context.Context, rep []byte, req *messages.TGSReq,
	tgt *ServiceTicket) (*ServiceTicket, error) {
	return c.finishTGSWith(ctx, rep, &tgsSend{req: *req}, tgt, nil)
}

// finishTGSWith decodes, decrypts and checks a TGS-REP to the request s.
// A FAST reply is opened and checked (a reply in the clear to an armored
// request is accepted, as MIT does: RFC 6113 lets a KDC ignore FAST in a
// TGS exchange). With a subkey the reply is encrypted in it (RFC 4120
// section 5.4.2); Heimdal 7 encrypts in the TGT session key instead, and
// that is tried next.
func (c *Client) finishTGSWith(ctx context.Context, rep []byte, s *tgsSend,
	tgt *ServiceTicket, x *tgsExtra) (*ServiceTicket, error) {
	var tgsRep messages.TGSRep
	if err := unmarshalSafe("TGS-REP", rep, decodeKDCRep(&tgsRep.KDCRepFields, true)); err != nil {
		return nil, fmt.Errorf("krb5: TGS exchange: %w", err)
	}
	padata := tgsRep.PAData
	var fresp *fastResponse
	if s.fast != nil {
		var err error
		if fresp, err = s.fast.openTGSReply(rep, &tgsRep); err != nil {
			return nil, fmt.Errorf("krb5: TGS exchange: %w", err)
		}
		defer fresp.wipe()
		if fresp != nil {
			padata = fresp.padata
		}
	}
	plain, err := decryptTGSRep(&tgsRep, s.subkey, tgt, fresp)
	if err != nil {
		if lifecycleErr(err) {
			return nil, err
		}
		return nil, fmt.Errorf("krb5: TGS exchange: %w", ErrBadIntegrity.With(
			"cannot decrypt the TGS-REP", nil))
	}
	defer clear(plain)
	var part messages.EncKDCRepPart
	if err := unmarshalSafe("EncTGSRepPart", plain, decodeEncKDCRepPart(&part)); err != nil {
		return nil, fmt.Errorf("krb5: TGS exchange: %w", err)
	}
	defer clear(part.Key.KeyValue)
	if part.Nonce != s.req.ReqBody.Nonce {
		return nil, fmt.Errorf("krb5: TGS exchange: %w", ErrReplyModified.With(
			"the reply's nonce does not match the request", nil))
	}
	if x != nil && x.check != nil {
		err := x.check(&tgsReply{rep: &tgsRep, part: &part, padata: padata,
			subkey: s.subkey})
		if err != nil {
			return nil, err
		}
	}
	c.trace(ctx, "TGS-REP", "server", cacheKey(part.SName, part.SRealm),
		"enctype", part.Key.KeyType, "endtime", part.EndTime, "fast", fresp != nil)
	t, err := newServiceTicket(tgsRep.Ticket, tgsRep.CName, tgsRep.CRealm, &part)
	if err == nil {
		inheritAddresses(t, tgt, &s.req.ReqBody)
	}
	return t, err
}

// decryptTGSRep decrypts the encrypted part of a TGS-REP with the
// subkey, if there is one, then with the TGT session key, each
// strengthened when the FAST reply carries a strengthen key.
func decryptTGSRep(rep *messages.TGSRep, subkey types.EncryptionKey,
	tgt *ServiceTicket, fresp *fastResponse) ([]byte, error) {
	if subkey.KeyType != 0 {
		k, err := fresp.replyKey(subkey)
		if err != nil {
			return nil, err
		}
		plain, err := kcrypto.Open(k, keyusage.TGS_REP_ENCPART_AUTHENTICATOR_SUB_KEY,
			rep.EncPart)
		support.Wipe(k.KeyValue)
		if err == nil {
			return plain, nil
		}
	}
	if fresp == nil || fresp.strengthen.KeyType == 0 {
		// The session key itself, with the keys derived from it kept.
		return tgt.open(keyusage.TGS_REP_ENCPART_SESSION_KEY, rep.EncPart)
	}
	var plain []byte
	err := tgt.UseSessionKey(func(key types.EncryptionKey) error {
		k, err := fresp.replyKey(key)
		if err != nil {
			return err
		}
		defer support.Wipe(k.KeyValue)
		plain, err = kcrypto.Open(k, keyusage.TGS_REP_ENCPART_SESSION_KEY, rep.EncPart)
		return err
	})
	return plain, err
}
