package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"golang.org/x/sync/singleflight"

	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
)

// This file implements Microsoft's Service for User extensions (MS-SFU),
// which MIT and Heimdal KDCs implement too: S4U2Self, by which a service
// gets a ticket to itself on behalf of a user who did not authenticate
// with Kerberos (protocol transition), and S4U2Proxy, by which it turns
// such a ticket into one for another service (constrained delegation).

// Padata types, key usages and bits of MS-SFU section 2.2.
const (
	paS4UX509User = 130 // PA-S4U-X509-USER

	keyUsagePAForUser       = 17 // KERB_NON_KERB_CKSUM_SALT
	keyUsageS4UX509Request  = 26
	keyUsageS4UX509Reply    = 27
	s4uOptUseReplyKeyUsage  = 2  // bit of S4UUserID options (0x20000000)
	kdcOptCNameInAddlTicket = 14 // KDC option cname-in-addl-tkt
	pacOptRBCD              = 3  // PA-PAC-OPTIONS resource-based-constrained-delegation
)

// Object kind of impersonations, as shown in statistics and shutdown
// reports.
var impersonationKind = modules.KRB5.NewKind("impersonation")

// ImpersonateOption changes how ImpersonateUser names the user.
type ImpersonateOption func(*impersonateSettings)

type impersonateSettings struct {
	enterprise bool
}

// EnterpriseUser makes ImpersonateUser treat the user's name as an
// enterprise name (RFC 6806 section 5), such as a user principal name
// "alice@example.com" that the KDC resolves to the account, as MIT's
// kvno -U does.
func EnterpriseUser() ImpersonateOption {
	return func(s *impersonateSettings) { s.enterprise = true }
}

// Impersonation is a service's standing to act on behalf of one user: a
// ticket to the service itself for the user, got with S4U2Self, from
// which ServiceTicket gets tickets to other services for the user with
// S4U2Proxy. It is a live object of the krb5 module, safe for concurrent
// use; Close wipes the keys of its tickets. It needs its client: after
// the client closes, its calls fail with ErrClosed.
// Only Client.ImpersonateUser makes a usable Impersonation; the methods
// of a zero one panic.
type Impersonation struct {
	obj *lifecycle.Object
	c   *Client

	// self is the S4U2Self ticket; its client is the user as the KDC
	// named them. Set once, read-only.
	self *ServiceTicket

	// mu guards proxies.
	mu      sync.Mutex
	proxies map[string]*ServiceTicket
	fetches singleflight.Group
}

// ImpersonateUser asks the KDC, with S4U2Self (MS-SFU section 3.1.5.1),
// for a ticket to the client itself on behalf of user ("alice" or
// "alice@REALM"; an enterprise name with EnterpriseUser). The client must
// be a service that logged in with its own key (a keytab) or holds its
// own TGT; the user proves nothing to the KDC, which is why the KDC's
// policy decides what the ticket allows: it is forwardable, and so usable
// for constrained delegation, only when the service is trusted to
// authenticate for delegation (MIT ok_to_auth_as_delegate, Active
// Directory TRUSTED_TO_AUTH_FOR_DELEGATION, Heimdal trusted-for-delegation).
//
// The request carries both PA-FOR-USER and PA-S4U-X509-USER, and a KDC's
// checksummed answer to the latter is checked. Errors from the KDC are
// *KDCError values. The user must be of the client's realm or, as an
// enterprise name, resolvable by its KDC.
func (c *Client) ImpersonateUser(ctx context.Context, user string,
	opts ...ImpersonateOption) (*Impersonation, error) {
	if err := c.obj.Enter(); err != nil {
		return nil, err
	}
	defer c.obj.Leave()
	ctx, unpin := c.pin(ctx)
	defer unpin()
	var s impersonateSettings
	for _, o := range opts {
		o(&s)
	}
	name, realm, err := c.parseUser(user, s.enterprise)
	if err != nil {
		return nil, err
	}
	tgt, err := c.freshTGT(ctx)
	if err != nil {
		return nil, err
	}
	self, err := c.s4u2Self(ctx, tgt, name, realm)
	if err != nil {
		return nil, err
	}
	imp := &Impersonation{c: c, self: self, proxies: map[string]*ServiceTicket{}}
	obj, err := impersonationKind.NewObject(imp.release)
	if err != nil {
		self.destroy()
		return nil, err
	}
	imp.obj = obj
	lifecycle.WatchLeak(imp, obj)
	return imp, nil
}

// parseUser names the user to impersonate, read as MIT's
// krb5_parse_name_flags reads it: "name[/instance][@REALM]", or an
// enterprise name ("user@domain[@REALM]") as one component. Either way the
// user's realm must be the client's.
func (c *Client) parseUser(user string, enterprise bool) (types.PrincipalName, string, error) {
	bad := func(why string) error {
		return fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			fmt.Sprintf("user %q %s", user, why), nil))
	}
	if user == "" || strings.ContainsAny(user, "\x00\n") {
		return types.PrincipalName{}, "", bad("is not a principal name")
	}
	var flags krbname.ParseFlags
	if enterprise {
		flags = krbname.ParseEnterprise
	}
	p, err := krbname.ParsePrincipalFlags(user, c.realm, flags)
	if err != nil {
		return types.PrincipalName{}, "", fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"user "+krbname.Quote(user), err))
	}
	if p.HasEmptyComponent() || p.Realm == "" {
		return types.PrincipalName{}, "", bad("has an empty component")
	}
	parts, realm := p.Components, p.Realm
	if realm != c.realm {
		return types.PrincipalName{}, "", fmt.Errorf("krb5: %w", ErrNotSupported.With(
			"S4U2Self for a user of realm "+realm+" from a service of realm "+
				c.realm+" (name the user as an enterprise name instead)", nil))
	}
	nt := int32(nametype.KRB_NT_PRINCIPAL)
	if enterprise {
		nt = nametype.KRB_NT_ENTERPRISE
	}
	return types.PrincipalName{NameType: nt, NameString: parts}, realm, nil
}

// s4u2Self runs the S4U2Self exchange for user@realm with the client's
// TGT: a TGS request for the client itself carrying PA-S4U-X509-USER and
// PA-FOR-USER.
func (c *Client) s4u2Self(ctx context.Context, tgt *ServiceTicket,
	user types.PrincipalName, realm string) (*ServiceTicket, error) {
	var sent s4uUserID
	var checked bool
	x := &tgsExtra{
		padata: func(nonce int, subkey, tgtKey types.EncryptionKey) (types.PADataSequence, error) {
			pas, id, err := s4uSelfPAData(nonce, user, realm, subkey, tgtKey)
			sent = id
			return pas, err
		},
		check: func(r *tgsReply) (err error) {
			checked, err = checkS4USelfReply(r, &sent, c.cname)
			return err
		},
	}
	t, err := c.tgsExchangeWith(ctx, tgt, c.cname, c.realm, false, x)
	if err != nil {
		return nil, s4uError("S4U2Self", err)
	}
	c.trace(ctx, "S4U2Self", "user", t.ClientName(), "forwardable", t.Forwardable(),
		"kdc-checksummed", checked)
	return t, nil
}

// s4uError names the S4U step in a KDC's error, which would otherwise
// say "TGS exchange"; other errors already say what failed.
func s4uError(step string, err error) error {
	var kerr *KDCError
	if errors.As(err, &kerr) {
		named := *kerr
		named.Op = step
		return &named
	}
	return err
}

// s4uSelfPAData builds the padata of an S4U2Self request: PA-S4U-X509-USER
// (MS-SFU section 2.2.2) checksummed with the authenticator subkey, which
// MIT and Active Directory prefer, and PA-FOR-USER (section 2.2.1)
// checksummed with the TGT session key, which older KDCs and Heimdal 7
// read. With an RC4 subkey, whose PA-S4U-X509-USER checksum would be
// unkeyed, only PA-FOR-USER is sent.
func s4uSelfPAData(nonce int, user types.PrincipalName, realm string,
	subkey, tgtKey types.EncryptionKey) (types.PADataSequence, s4uUserID, error) {
	var pas types.PADataSequence
	id := s4uUserID{
		Nonce:   nonce,
		CName:   user,
		CRealm:  realm,
		Options: types.NewKrbFlags(),
	}
	types.SetFlag(&id.Options, s4uOptUseReplyKeyUsage)
	if subkey.KeyType != etypeRC4HMAC {
		raw, err := asn1.Marshal(id)
		if err != nil {
			return nil, id, fmt.Errorf("krb5: S4U2Self: encoding S4UUserID: %w", err)
		}
		ck, err := makeChecksum(subkey, keyUsageS4UX509Request, raw)
		if err != nil {
			return nil, id, err
		}
		b, err := asn1.Marshal(paS4UX509UserMsg{
			UserID: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0,
				IsCompound: true, Bytes: raw},
			Checksum: ck,
		})
		if err != nil {
			return nil, id, fmt.Errorf("krb5: S4U2Self: encoding PA-S4U-X509-USER: %w", err)
		}
		pas = append(pas, types.PAData{PADataType: paS4UX509User, PADataValue: b})
	}
	fu := paForUserMsg{UserName: user, UserRealm: realm, AuthPackage: "Kerberos"}
	fu.Cksum = types.Checksum{
		CksumType: -138, // KERB_CHECKSUM_HMAC_MD5
		Checksum:  hmacMD5Checksum(tgtKey.KeyValue, keyUsagePAForUser, forUserData(&fu)),
	}
	b, err := asn1.Marshal(fu)
	if err != nil {
		return nil, id, fmt.Errorf("krb5: S4U2Self: encoding PA-FOR-USER: %w", err)
	}
	pas = append(pas, types.PAData{PADataType: patype.PA_FOR_USER, PADataValue: b})
	return pas, id, nil
}

// forUserData is what the PA-FOR-USER checksum covers (MS-SFU section
// 2.2.1): the name type as 4 little-endian bytes, the name's components,
// the realm and the authentication package, concatenated.
func forUserData(fu *paForUserMsg) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(fu.UserName.NameType))
	for _, s := range fu.UserName.NameString {
		b = append(b, s...)
	}
	b = append(b, fu.UserRealm...)
	return append(b, fu.AuthPackage...)
}

// checkS4USelfReply checks an S4U2Self reply. A KDC that read
// PA-S4U-X509-USER answers with one checksummed with the subkey (MS-SFU
// section 3.2.5.1.2): its nonce must be the request's and its user name
// the reply's client, which the KDC may have canonicalised (an
// enterprise name becomes the account's name). Without that answer the
// client name must be the one asked for, unless it was an enterprise
// name. A reply whose client is the service itself comes from a KDC
// that ignored the S4U padata. It reports whether the KDC checksummed
// its answer.
func checkS4USelfReply(r *tgsReply, sent *s4uUserID, service types.PrincipalName) (bool, error) {
	cname, crealm := r.rep.CName, r.rep.CRealm
	if samePrincipal(cname, service) {
		return false, ErrNotSupported.With("the KDC ignored the S4U2Self request "+
			"and issued a ticket for the service itself", nil)
	}
	b := findPAData(r.padata, paS4UX509User)
	if b == nil {
		if sent.CName.NameType != nametype.KRB_NT_ENTERPRISE &&
			(!samePrincipal(cname, sent.CName) || crealm != sent.CRealm) {
			return false, ErrReplyModified.With("the S4U2Self reply names "+
				unparse(cname, crealm)+", not the user asked for", nil)
		}
		return false, nil
	}
	got, err := decodeS4UX509User(b, r.subkey)
	if err != nil {
		return false, err
	}
	if got.Nonce != sent.Nonce {
		return false, ErrReplyModified.With("the S4U2Self reply's nonce does not match", nil)
	}
	if !samePrincipal(got.CName, cname) || got.CRealm != crealm {
		return false, ErrReplyModified.With("the S4U2Self reply's client differs from "+
			"the user the KDC checksummed", nil)
	}
	return true, nil
}

// decodeS4UX509User decodes a PA-S4U-X509-USER from a KDC and checks its
// checksum, over the S4UUserID as the KDC encoded it, with subkey (usage
// 27 when the KDC says it used the reply usage, else 26).
func decodeS4UX509User(b []byte, subkey types.EncryptionKey) (*s4uUserID, error) {
	var msg paS4UX509UserMsg
	if err := unmarshalSafe("PA-S4U-X509-USER", b, func(b []byte) error {
		_, err := asn1.Unmarshal(b, &msg)
		return err
	}); err != nil {
		return nil, err
	}
	raw := explicitInner(msg.UserID, 0)
	var id s4uUserID
	if err := unmarshalSafe("S4UUserID", raw, func(b []byte) error {
		_, err := asn1.Unmarshal(b, &id)
		return err
	}); err != nil {
		return nil, err
	}
	usage := uint32(keyUsageS4UX509Request)
	if flagSet(id.Options, s4uOptUseReplyKeyUsage) {
		usage = keyUsageS4UX509Reply
	}
	if !verifyChecksum(subkey, usage, raw, msg.Checksum) {
		return nil, ErrReplyModified.With("the checksum of the KDC's PA-S4U-X509-USER "+
			"does not match", nil)
	}
	if len(id.CName.NameString) == 0 {
		return nil, ErrReplyModified.With("the KDC's PA-S4U-X509-USER names no user", nil)
	}
	return &id, nil
}

// User returns the impersonated user as "name@REALM", as the KDC named
// them in the S4U2Self ticket.
func (i *Impersonation) User() string { return i.self.ClientName() }

// SelfTicket returns the S4U2Self ticket: to the service itself, for the
// user. The service can read the user's authorization data (a PAC) from
// it with its own key. The ticket's key is wiped when the impersonation
// closes.
func (i *Impersonation) SelfTicket() (*ServiceTicket, error) {
	if err := i.obj.Enter(); err != nil {
		return nil, err
	}
	defer i.obj.Leave()
	return i.self, nil
}

// ServiceTicket returns a ticket for the user to the service spn
// ("HTTP/host.example", optionally with "@REALM"), got with S4U2Proxy
// (MS-SFU section 3.1.5.2): a TGS request with the S4U2Self ticket as
// additional ticket and the cname-in-addl-tkt option. It asks for
// resource-based constrained delegation too (PA-PAC-OPTIONS), so the KDC
// may allow it either because the service may delegate to spn (MIT
// krbAllowedToDelegateTo, which only its LDAP database keeps, Active
// Directory msDS-AllowedToDelegateTo, Heimdal constrained-delegation) or
// because spn accepts delegation from the service
// (msDS-AllowedToActOnBehalfOfOtherIdentity). Tickets are cached until
// they near their end. A refusal is a *KDCError, usually
// KDC_ERR_BADOPTION (ErrBadOption). spn must be in the client's realm.
func (i *Impersonation) ServiceTicket(ctx context.Context, spn string) (*ServiceTicket, error) {
	if err := i.obj.Enter(); err != nil {
		return nil, err
	}
	defer i.obj.Leave()
	c := i.c
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
	if srealm != c.realm {
		return nil, fmt.Errorf("krb5: S4U2Proxy: %w", ErrNotSupported.With(
			"a service of realm "+srealm+" from a service of realm "+c.realm, nil))
	}
	key := cacheKey(sname, srealm)
	if t := i.cached(key); t != nil {
		return t, nil
	}
	return fetchOnce(&i.fetches, key, i.cached, func() (*ServiceTicket, error) {
		tgt, err := c.freshTGT(ctx)
		if err != nil {
			return nil, err
		}
		t, err := c.s4u2Proxy(ctx, tgt, i.self, sname)
		if err != nil {
			return nil, err
		}
		i.mu.Lock()
		defer i.mu.Unlock()
		if old := i.proxies[key]; old != nil {
			c.mu.Lock()
			c.retiredLocked(old)
			c.mu.Unlock()
		}
		i.proxies[key] = t
		return t, nil
	})
}

func (i *Impersonation) cached(key string) *ServiceTicket {
	i.mu.Lock()
	defer i.mu.Unlock()
	t := i.proxies[key]
	if t == nil || !t.valid(i.c.now(), renewMargin) {
		return nil
	}
	return t
}

// s4u2Proxy runs the S4U2Proxy exchange for sname with the evidence
// ticket.
func (c *Client) s4u2Proxy(ctx context.Context, tgt, evidence *ServiceTicket,
	sname types.PrincipalName) (*ServiceTicket, error) {
	opts := types.NewKrbFlags()
	types.SetFlag(&opts, pacOptRBCD)
	pacOpts, err := asn1.Marshal(paPACOptionsMsg{Flags: opts})
	if err != nil {
		return nil, fmt.Errorf("krb5: S4U2Proxy: encoding PA-PAC-OPTIONS: %w", err)
	}
	x := &tgsExtra{
		padata: func(int, types.EncryptionKey, types.EncryptionKey) (types.PADataSequence, error) {
			return types.PADataSequence{{PADataType: paPACOptions, PADataValue: pacOpts}}, nil
		},
		options:    []int{kdcOptCNameInAddlTicket},
		additional: []messages.Ticket{evidence.Ticket},
		check: func(r *tgsReply) error {
			if isTGT(r.part.SName) {
				return ErrNotSupported.With("the KDC answered S4U2Proxy with a referral "+
					"to "+r.part.SName.PrincipalNameString()+": cross-realm "+
					"delegation is not supported", nil)
			}
			if !samePrincipal(r.rep.CName, evidence.Client) ||
				r.rep.CRealm != evidence.ClientRealm {
				return ErrReplyModified.With("the S4U2Proxy reply names "+
					r.rep.CName.PrincipalNameString()+", not "+evidence.ClientName(), nil)
			}
			return nil
		},
	}
	t, err := c.tgsExchangeWith(ctx, tgt, sname, c.realm, false, x)
	if err != nil {
		return nil, s4uError("S4U2Proxy", err)
	}
	c.trace(ctx, "S4U2Proxy", "user", t.ClientName(), "server", t.ServerName())
	return t, nil
}

// Close wipes the keys of the impersonation's tickets. Tickets handed
// out become unusable. A second Close returns ErrClosed.
func (i *Impersonation) Close() error { return i.obj.Close() }

func (i *Impersonation) release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.self.destroy()
	for k, t := range i.proxies {
		t.destroy()
		delete(i.proxies, k)
	}
}

// The messages of MS-SFU section 2.2 and MS-KILE section 2.2.10.
type (
	paForUserMsg struct {
		UserName    types.PrincipalName `asn1:"explicit,tag:0"`
		UserRealm   string              `asn1:"generalstring,explicit,tag:1"`
		Cksum       types.Checksum      `asn1:"explicit,tag:2"`
		AuthPackage string              `asn1:"generalstring,explicit,tag:3"`
	}
	s4uUserID struct {
		Nonce   int                 `asn1:"explicit,tag:0"`
		CName   types.PrincipalName `asn1:"explicit,optional,tag:1"`
		CRealm  string              `asn1:"generalstring,explicit,tag:2"`
		Cert    []byte              `asn1:"explicit,optional,tag:3"`
		Options asn1.BitString      `asn1:"explicit,optional,tag:4"`
	}
	paS4UX509UserMsg struct {
		UserID   asn1.RawValue  `asn1:"explicit,tag:0"`
		Checksum types.Checksum `asn1:"explicit,tag:1"`
	}
	paPACOptionsMsg struct {
		Flags asn1.BitString `asn1:"explicit,tag:0"`
	}
)
