package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/addrtype"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/support"
)

// KpasswdResult is a result code of the password changing protocol
// (RFC 3244 section 2).
type KpasswdResult uint16

// Result codes of RFC 3244 section 2.
const (
	KpasswdSuccess           KpasswdResult = 0
	KpasswdMalformed         KpasswdResult = 1
	KpasswdHardError         KpasswdResult = 2
	KpasswdAuthError         KpasswdResult = 3
	KpasswdSoftError         KpasswdResult = 4
	KpasswdAccessDenied      KpasswdResult = 5
	KpasswdBadVersion        KpasswdResult = 6
	KpasswdInitialFlagNeeded KpasswdResult = 7
)

var kpasswdNames = [...]string{
	"success", "malformed request", "hard error", "authentication error",
	"soft error", "access denied", "bad version", "initial flag needed",
}

// String names the code as RFC 3244 does, or gives its number.
func (r KpasswdResult) String() string {
	if int(r) < len(kpasswdNames) {
		return kpasswdNames[r]
	}
	return fmt.Sprintf("result %d", uint16(r))
}

// Sentinels matched by a *PasswordChangeError.
var (
	// ErrPasswordRejected means the server refused the new password for
	// a reason the user can fix (RFC 3244's soft error): too short, too
	// simple, used before, or changed too recently. Try another password.
	ErrPasswordRejected = errors.New("krb5: password change: new password rejected")
	// ErrPasswordChange means the server did not change the password for
	// any other reason: a hard error, an authentication failure, access
	// denied, a malformed request.
	ErrPasswordChange = errors.New("krb5: password change failed")
)

// PasswordChangeError is the kpasswd server's answer when it did not
// change the password. It matches ErrPasswordRejected for a soft error
// and ErrPasswordChange otherwise.
type PasswordChangeError struct {
	// Result is the server's result code.
	Result KpasswdResult
	// Text is the server's explanation, such as MIT's "Password is too
	// short", or a description of Active Directory's policy.
	Text string
	// Policy is Active Directory's password policy, when the server sent
	// one in place of a text.
	Policy *ADPasswordPolicy
}

// Error gives the result and the server's text.
func (e *PasswordChangeError) Error() string {
	s := "krb5: password change: " + e.Result.String()
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Unwrap returns ErrPasswordRejected for a soft error, else
// ErrPasswordChange.
func (e *PasswordChangeError) Unwrap() error {
	if e.Result == KpasswdSoftError {
		return ErrPasswordRejected
	}
	return ErrPasswordChange
}

// ADPasswordPolicy is the password policy an Active Directory kpasswd
// server sends with a soft error, in place of a text (MS-KILE section
// 3.1.5.10.1).
type ADPasswordPolicy struct {
	MinLength   uint32
	HistoryLen  uint32
	Properties  uint32 // bit 0: complexity required
	MaxAge      time.Duration
	MinAge      time.Duration
	Description string
}

// kpasswdVersion is the protocol version of a change-password request
// that carries the new password alone (RFC 3244 section 2, as MIT's
// kpasswd sends it); replies carry it too.
const kpasswdVersion = 1

// kpasswdPort is the kpasswd service's port (RFC 3244 section 2).
const kpasswdPort = "464"

// maxKpasswdMessage bounds a message: its length field is 16 bits.
const maxKpasswdMessage = 0xffff

// ChangePassword changes the client's own password to newPassword with
// the password changing protocol (RFC 3244) against the kpasswd servers
// of the client's realm, or of the realm a client referral leads to:
// kpasswd_server, else admin_server, else the KDCs, on port 464 unless
// given. It first obtains an initial ticket for kadmin/changepw
// with the client's current password or keytab, as the protocol demands,
// so a client made from a credential cache cannot change its password.
// UDP or TCP is chosen as for the KDC (udp_preference_limit). After a
// change the client logs in with the new password.
//
// A refusal by the server is a *PasswordChangeError; one matching
// ErrPasswordRejected means the password broke the policy. Neither
// password appears in any error or trace.
func (c *Client) ChangePassword(ctx context.Context, newPassword string) error {
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	if c.password == nil && c.keytab == nil {
		return fmt.Errorf("krb5: password change: %w", ErrCredNotFound.With(
			"an initial ticket needs the current password or a keytab", nil))
	}
	ctx, unpin := c.pin(ctx)
	defer unpin()
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	sname := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST,
		NameString: []string{"kadmin", "changepw"}}
	tkt, err := c.asExchangeFor(ctx, &sname)
	if err != nil {
		return fmt.Errorf("krb5: password change: %w", err)
	}
	defer tkt.destroy()
	if err := c.kpasswdExchange(ctx, tkt, newPassword); err != nil {
		return err
	}
	if c.password != nil {
		s, err := support.NewSecretString(newPassword)
		if err != nil {
			return err
		}
		if old := c.changedPassword.Swap(s); old != nil {
			old.Destroy()
		}
	}
	return nil
}

// kpasswdExchange sends the request to each kpasswd server in turn, a
// fresh request per server so that none is a replay, until one answers.
func (c *Client) kpasswdExchange(ctx context.Context, tkt *ServiceTicket,
	newPassword string) error {
	cfg := c.conf(ctx)
	// The realm whose KDC issued the ticket: a client referral may have
	// moved the client from the realm it was made with.
	realm := tkt.ServerRealm
	addrs := kpasswdAddrs(cfg, realm)
	if len(addrs) == 0 {
		return fmt.Errorf("krb5: password change: %w", ErrRealmUnknown.With(
			"no kpasswd server for realm "+realm, nil))
	}
	limit := udpPreferenceLimit(cfg)
	var errs []error
	for _, addr := range addrs {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := c.kpasswdOne(ctx, addr, realm, tkt, newPassword, limit)
		if err == nil {
			return nil
		}
		var pce *PasswordChangeError
		if errors.As(err, &pce) || lifecycleErr(err) {
			return err
		}
		c.trace(ctx, "kpasswd exchange failed", "server", addr, "err", err.Error())
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return fmt.Errorf("krb5: password change: %w", ErrKDCUnreachable.With(
		"kpasswd servers of realm "+realm, joinErrors(errs...)))
}

// kpasswdAddrs lists the kpasswd servers of realm: kpasswd_server, else
// admin_server, else kdc entries, each with port 464 when it names none.
// An admin_server or kdc port is replaced, as MIT does.
func kpasswdAddrs(cfg *config.Config, realm string) []string {
	for _, r := range cfg.Realms {
		if r.Realm != realm {
			continue
		}
		var out []string
		for _, k := range r.KPasswdServer {
			out = append(out, withPort(strings.TrimSpace(k), kpasswdPort))
		}
		if len(out) > 0 {
			return out
		}
		hosts := r.AdminServer
		if len(hosts) == 0 {
			hosts = r.KDC
		}
		for _, h := range hosts {
			h = strings.TrimSpace(h)
			if host, _, err := net.SplitHostPort(h); err == nil {
				h = host
			}
			out = append(out, net.JoinHostPort(strings.Trim(h, "[]"), kpasswdPort))
		}
		return out
	}
	return nil
}

// kpasswdOne runs one request and reply with one server.
func (c *Client) kpasswdOne(ctx context.Context, addr, realm string, tkt *ServiceTicket,
	newPassword string, limit int) error {
	ctx, cancel := context.WithTimeout(ctx, c.kdcTimeout(c.conf(ctx), realm))
	defer cancel()
	d := &net.Dialer{Resolver: c.settings.resolver}
	local, err := localAddr(ctx, d, addr)
	if err != nil {
		return err
	}
	var req []byte
	var subkey types.EncryptionKey
	var auth types.Authenticator
	err = tkt.UseSessionKey(func(key types.EncryptionKey) error {
		var err error
		req, subkey, auth, err = c.kpasswdRequest(tkt, key, newPassword, local)
		return err
	})
	if err != nil {
		return err
	}
	defer support.Wipe(req)
	defer support.Wipe(subkey.KeyValue)
	c.trace(ctx, "kpasswd request", "server", addr)
	var rep []byte
	if len(req) > limit {
		rep, err = exchangeTCP(ctx, d, addr, req)
	} else {
		rep, err = exchangeUDP(ctx, d, addr, req, time.Time{})
	}
	if err != nil {
		return err
	}
	var result kpasswdReply
	err = tkt.UseSessionKey(func(key types.EncryptionKey) error {
		var err error
		result, err = parseKpasswdReply(rep, key, subkey, auth)
		return err
	})
	if err != nil {
		return err
	}
	c.trace(ctx, "kpasswd reply", "server", addr, "result", result.code.String())
	if result.code != KpasswdSuccess {
		return result.err()
	}
	return nil
}

// localAddr finds the address the system would send from to reach addr,
// for the KRB-PRIV's sender address (RFC 4120 section 5.7.1).
func localAddr(ctx context.Context, d *net.Dialer, addr string) (net.IP, error) {
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.LocalAddr().(*net.UDPAddr).IP, nil
}

// kpasswdRequest builds a version 1 request (RFC 3244 section 2): an
// AP-REQ for kadmin/changepw whose authenticator carries a fresh subkey
// and sequence number, and a KRB-PRIV holding the new password,
// encrypted in that subkey.
func (c *Client) kpasswdRequest(tkt *ServiceTicket, key types.EncryptionKey,
	newPassword string, local net.IP) ([]byte, types.EncryptionKey,
	types.Authenticator, error) {
	fail := func(what string, err error) ([]byte, types.EncryptionKey,
		types.Authenticator, error) {
		return nil, types.EncryptionKey{}, types.Authenticator{},
			fmt.Errorf("krb5: password change: %s: %w", what, err)
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return fail("session key", ErrNotSupported.With(
			fmt.Sprintf("enctype %d", key.KeyType), nil))
	}
	now := c.now().UTC()
	auth := types.Authenticator{
		AVNO:   5,
		CRealm: tkt.ClientRealm,
		CName:  tkt.Client,
		CTime:  now.Truncate(time.Second),
		Cusec:  now.Nanosecond() / 1000,
	}
	if err := auth.GenerateSeqNumberAndSubKey(et.GetETypeID(), et.GetKeyByteSize()); err != nil {
		return fail("subkey", err)
	}
	apReq, err := messages.NewAPReq(tkt.Ticket, key, auth)
	if err != nil {
		support.Wipe(auth.SubKey.KeyValue)
		return fail("AP-REQ", err)
	}
	ap, err := apReq.Marshal()
	if err != nil {
		support.Wipe(auth.SubKey.KeyValue)
		return fail("encoding AP-REQ", err)
	}
	pw := []byte(newPassword)
	defer support.Wipe(pw)
	addrType := int32(addrtype.IPv4)
	ip := local.To4()
	if ip == nil {
		addrType, ip = addrtype.IPv6, local.To16()
	}
	priv := messages.NewKRBPriv(messages.EncKrbPrivPart{
		UserData:       pw,
		Timestamp:      auth.CTime,
		Usec:           auth.Cusec,
		SequenceNumber: auth.SeqNumber,
		SAddress:       types.HostAddress{AddrType: addrType, Address: ip},
	})
	if err := priv.EncryptEncPart(auth.SubKey); err != nil {
		support.Wipe(auth.SubKey.KeyValue)
		return fail("encrypting KRB-PRIV", errors.New("encryption failed"))
	}
	pb, err := priv.Marshal()
	if err != nil {
		support.Wipe(auth.SubKey.KeyValue)
		return fail("encoding KRB-PRIV", err)
	}
	total := 6 + len(ap) + len(pb)
	if total > maxKpasswdMessage || len(ap) > maxKpasswdMessage {
		support.Wipe(auth.SubKey.KeyValue)
		return fail("request", errors.New("message longer than 65535 bytes"))
	}
	b := make([]byte, 0, total)
	b = binary.BigEndian.AppendUint16(b, uint16(total))
	b = binary.BigEndian.AppendUint16(b, kpasswdVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ap)))
	b = append(b, ap...)
	b = append(b, pb...)
	return b, auth.SubKey, auth, nil
}

// kpasswdReply is a decoded reply.
type kpasswdReply struct {
	code KpasswdResult
	text string
	ad   *ADPasswordPolicy
}

func (r kpasswdReply) err() error {
	return &PasswordChangeError{Result: r.code, Text: r.text, Policy: r.ad}
}

// parseKpasswdReply decodes a reply (RFC 3244 section 2): a header, an
// AP-REP and a KRB-PRIV holding the result, or a header with an empty
// AP-REP and a KRB-ERROR whose e-data holds the result. A bare KRB-ERROR
// is accepted too. The AP-REP must answer our authenticator. Every length
// is checked before use; errors never quote the reply.
func parseKpasswdReply(rep []byte, key, subkey types.EncryptionKey,
	auth types.Authenticator) (kpasswdReply, error) {
	bad := func(what string) (kpasswdReply, error) {
		return kpasswdReply{}, fmt.Errorf("krb5: password change: %w",
			&errMalformed{what: "kpasswd reply", err: ErrASN1Parse.With(what, nil)})
	}
	if isKRBError(rep) {
		return kpasswdErrorReply(rep)
	}
	if len(rep) < 6 {
		return bad("shorter than its header")
	}
	msgLen := int(binary.BigEndian.Uint16(rep[0:2]))
	ver := binary.BigEndian.Uint16(rep[2:4])
	apLen := int(binary.BigEndian.Uint16(rep[4:6]))
	if msgLen != len(rep) {
		return bad(fmt.Sprintf("length field %d, message %d bytes", msgLen, len(rep)))
	}
	if ver != kpasswdVersion && ver != 0xff80 {
		return bad(fmt.Sprintf("protocol version %#04x", ver))
	}
	if apLen > len(rep)-6 {
		return bad("AP-REP longer than the message")
	}
	body := rep[6+apLen:]
	if apLen == 0 {
		if !isKRBError(body) {
			return bad("no AP-REP and no KRB-ERROR")
		}
		return kpasswdErrorReply(body)
	}
	replyKey, err := checkKpasswdAPRep(rep[6:6+apLen], key, auth)
	if err != nil {
		return kpasswdReply{}, err
	}
	if replyKey == nil {
		replyKey = &subkey
	} else {
		defer support.Wipe(replyKey.KeyValue)
	}
	var priv messages.KRBPriv
	if err := unmarshalSafe("kpasswd KRB-PRIV", body, priv.Unmarshal); err != nil {
		return kpasswdReply{}, fmt.Errorf("krb5: password change: %w", err)
	}
	if err := priv.DecryptEncPart(*replyKey); err != nil {
		return kpasswdReply{}, fmt.Errorf("krb5: password change: %w",
			ErrBadIntegrity.With("cannot decrypt the kpasswd reply", nil))
	}
	return parseKpasswdResult(priv.DecryptedEncPart.UserData)
}

// checkKpasswdAPRep decrypts the AP-REP with the ticket's session key,
// checks that it answers our authenticator (RFC 4120 section 3.2.5), and
// returns the server's subkey, if it chose one.
func checkKpasswdAPRep(b []byte, key types.EncryptionKey,
	auth types.Authenticator) (*types.EncryptionKey, error) {
	var ap messages.APRep
	if err := unmarshalSafe("kpasswd AP-REP", b, ap.Unmarshal); err != nil {
		return nil, fmt.Errorf("krb5: password change: %w", err)
	}
	plain, err := crypto.DecryptEncPart(ap.EncPart, key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, fmt.Errorf("krb5: password change: %w",
			ErrBadIntegrity.With("cannot decrypt the AP-REP", nil))
	}
	defer support.Wipe(plain)
	var part messages.EncAPRepPart
	if err := unmarshalSafe("EncAPRepPart", plain, part.Unmarshal); err != nil {
		return nil, fmt.Errorf("krb5: password change: %w", err)
	}
	if !part.CTime.Equal(auth.CTime) || part.Cusec != auth.Cusec {
		return nil, fmt.Errorf("krb5: password change: %w", ErrMutualFailed.With(
			"the AP-REP does not answer our authenticator", nil))
	}
	if len(part.Subkey.KeyValue) == 0 {
		return nil, nil
	}
	k := types.EncryptionKey{KeyType: part.Subkey.KeyType,
		KeyValue: append([]byte(nil), part.Subkey.KeyValue...)}
	support.Wipe(part.Subkey.KeyValue)
	return &k, nil
}

// kpasswdErrorReply turns a KRB-ERROR into a result: the result code and
// text in its e-data, or, without them, a KDC error.
func kpasswdErrorReply(b []byte) (kpasswdReply, error) {
	kerr, err := parseKRBError(b)
	if err != nil {
		return kpasswdReply{}, fmt.Errorf("krb5: password change: %w", err)
	}
	if len(kerr.EData) >= 2 {
		r, err := parseKpasswdResult(kerr.EData)
		if err == nil && r.code != KpasswdSuccess {
			return r, nil
		}
	}
	return kpasswdReply{}, newKDCError("password change", kerr)
}

// parseKpasswdResult decodes the result: a 16-bit code and a string,
// which Active Directory replaces with a 30-byte policy.
func parseKpasswdResult(b []byte) (kpasswdReply, error) {
	if len(b) < 2 {
		return kpasswdReply{}, fmt.Errorf("krb5: password change: %w",
			&errMalformed{what: "kpasswd result", err: ErrASN1Parse.With(
				"shorter than its result code", nil)})
	}
	r := kpasswdReply{code: KpasswdResult(binary.BigEndian.Uint16(b))}
	rest := b[2:]
	if p, ok := parseADPolicy(rest); ok {
		r.ad = p
		r.text = p.Description
		return r, nil
	}
	r.text = printable(rest)
	return r, nil
}

// parseADPolicy decodes Active Directory's policy blob: a zero 16-bit
// marker, the minimum length, the history length and the properties
// (32 bits each), then the maximum and minimum ages in 100 ns units
// (64 bits each), all big endian.
func parseADPolicy(b []byte) (*ADPasswordPolicy, bool) {
	if len(b) != 30 || b[0] != 0 || b[1] != 0 {
		return nil, false
	}
	p := &ADPasswordPolicy{
		MinLength:  binary.BigEndian.Uint32(b[2:]),
		HistoryLen: binary.BigEndian.Uint32(b[6:]),
		Properties: binary.BigEndian.Uint32(b[10:]),
		MaxAge:     adAge(binary.BigEndian.Uint64(b[14:])),
		MinAge:     adAge(binary.BigEndian.Uint64(b[22:])),
	}
	var parts []string
	if p.MinLength > 0 {
		parts = append(parts, fmt.Sprintf("at least %d characters", p.MinLength))
	}
	if p.HistoryLen > 0 {
		parts = append(parts, fmt.Sprintf("not one of the last %d passwords",
			p.HistoryLen))
	}
	if p.Properties&1 != 0 {
		parts = append(parts, "complex (characters of three kinds)")
	}
	if p.MinAge > 0 {
		parts = append(parts, fmt.Sprintf("changed at most every %v", p.MinAge))
	}
	p.Description = "the password must be " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		p.Description = "the password does not meet the domain's policy"
	}
	return p, true
}

// adAge converts a count of 100 ns intervals, capped to stay in range.
func adAge(v uint64) time.Duration {
	const max = uint64(1<<63-1) / 100
	if v > max {
		v = max
	}
	return time.Duration(v * 100)
}

// printable returns s when it is valid UTF-8 text of reasonable length,
// otherwise a note saying what it was.
func printable(b []byte) string {
	if len(b) > 1024 || !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes of non-text data)", len(b))
	}
	s := strings.TrimRight(string(b), "\x00\r\n ")
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' {
			return fmt.Sprintf("(%d bytes of non-text data)", len(b))
		}
	}
	return s
}
