package gssapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbmsg"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// GSS context flags (RFC 2744 section 5.19), as carried in the
// authenticator checksum (RFC 4121 section 4.1.1).
const (
	FlagDeleg    uint32 = 1
	FlagMutual   uint32 = 2
	FlagReplay   uint32 = 4
	FlagSequence uint32 = 8
	FlagConf     uint32 = 16
	FlagInteg    uint32 = 32
)

// gssChecksumType is the authenticator checksum type of the GSS-API
// Kerberos mechanism (RFC 4121 section 4.1.1).
const gssChecksumType = 0x8003

// AcceptorCredential accepts Kerberos security contexts with the keys of
// a keytab. It owns a replay cache, so two credentials never share one,
// and a goroutine that expires its entries and, if asked to, watches the
// keytab file; Close stops the goroutine. It is a live object of the
// gssapi module and safe for concurrent use.
//
// A credential made from a keytab file (NewAcceptorCredentialFromFile)
// can read it again: when the caller calls Reload, on a signal sent to
// the channel of WithReloadSignal, or when WithKeytabWatch sees the file
// replaced. Each successful read becomes a new generation of the
// credential's key set; Stats lists the generations still alive.
// Only NewAcceptorCredential and NewAcceptorCredentialFromFile make a
// usable AcceptorCredential; the methods of a zero one panic.
type AcceptorCredential struct {
	obj    *lifecycle.Object
	keys   keyring
	watch  time.Duration        // WithKeytabWatch's interval, 0 for none
	signal <-chan os.Signal     // WithReloadSignal's channel, or nil
	notify func(error)          // WithReloadNotify's function, or nil
	only   *types.PrincipalName // nil: any principal in the keytab
	realm  string               // with only: its realm, "" for any
	clock  support.Clock
	skew   time.Duration
	addrs  bool // WithAddressCheck
	replay *replayCache
	pac    pacSettings // how PACs are checked (pac.go)
	stop   context.CancelFunc
	done   chan struct{}
}

// AcceptorOption changes an acceptor credential's settings.
type AcceptorOption func(*acceptorSettings)

type acceptorSettings struct {
	principal string
	clock     support.Clock
	skew      time.Duration
	capacity  int
	grace     time.Duration
	watch     time.Duration
	signal    <-chan os.Signal
	notify    func(error)
	pac       pacSettings

	checkAddresses bool
}

// WithPrincipal restricts the credential to tickets for one service
// principal ("HTTP/www.example.com" or with "@REALM"); by default a
// ticket for any principal whose key is in the keytab is accepted.
func WithPrincipal(name string) AcceptorOption {
	return func(s *acceptorSettings) { s.principal = name }
}

// WithAcceptorClock replaces the clock, for tests.
func WithAcceptorClock(c support.Clock) AcceptorOption {
	return func(s *acceptorSettings) { s.clock = support.ClockOr(c) }
}

// WithSkew sets the clock skew allowed between clients and the acceptor;
// the default is support.DefaultSkew (five minutes, as in MIT).
func WithSkew(d time.Duration) AcceptorOption {
	return func(s *acceptorSettings) {
		if d > 0 {
			s.skew = d
		}
	}
}

// WithReplayCapacity bounds the replay cache (DefaultReplayCapacity).
func WithReplayCapacity(n int) AcceptorOption {
	return func(s *acceptorSettings) { s.capacity = n }
}

// NewAcceptorCredential makes an acceptor credential from kt. The caller
// keeps ownership of kt and must keep it open while the credential is in
// use. Such a credential cannot reload: Reload fails with
// ErrNotReloadable, and so does this constructor given WithKeytabWatch
// or WithReloadSignal.
func NewAcceptorCredential(kt *krb5.Keytab, opts ...AcceptorOption) (*AcceptorCredential, error) {
	if kt == nil {
		return nil, errortables.NewGSSError(errortables.GSSNoCred, 0, "nil keytab", nil)
	}
	return newAcceptor(opts, func(r *keyring) error {
		r.initKeytab(kt)
		return nil
	})
}

// NewAcceptorCredentialFromFile makes an acceptor credential from the
// keytab file name (a path, FILE:path or WRFILE:path), which it reads
// now and owns: its keys are wiped when no context uses them any more.
// The file may be read again later (see Reload, WithKeytabWatch and
// WithReloadSignal). A file that does not read, does not parse or holds
// no usable key fails with a *ReloadError naming it.
func NewAcceptorCredentialFromFile(name string, opts ...AcceptorOption) (*AcceptorCredential, error) {
	return newAcceptor(opts, func(r *keyring) error { return r.initFile(name) })
}

func newAcceptor(opts []AcceptorOption, keys func(*keyring) error) (*AcceptorCredential, error) {
	if err := modules.GSSAPI.Refuses(); err != nil {
		return nil, err // before the keytab is read
	}
	s := acceptorSettings{clock: support.SystemClock{}, skew: support.DefaultSkew}
	for _, o := range opts {
		o(&s)
	}
	ac := &AcceptorCredential{clock: s.clock, skew: s.skew,
		addrs:  s.checkAddresses,
		replay: newReplayCache(s.capacity), watch: s.watch,
		signal: s.signal, notify: s.notify, pac: s.pac}
	ac.keys.clock, ac.keys.grace = s.clock, s.grace
	ac.keys.eager = s.watch > 0
	if s.principal != "" {
		name, realm, err := splitPrincipal(s.principal)
		if err != nil {
			return nil, gssErr(errortables.GSSBadName, nil,
				"WithPrincipal "+krbname.Quote(s.principal), err)
		}
		ac.only, ac.realm = &name, realm
		ac.keys.only, ac.keys.realm = ac.only, realm
	}
	if err := keys(&ac.keys); err != nil {
		return nil, err
	}
	if ac.keys.name == "" && (s.watch > 0 || s.signal != nil) {
		ac.keys.close()
		return nil, fmt.Errorf("gssapi: watching or signalling a reload: %w",
			ErrNotReloadable)
	}
	// What release uses is in place before the credential becomes a live
	// object: a forceful close of the module may release it at once, and
	// then waits for the goroutine started below, which sees ctx ended.
	ctx, cancel := context.WithCancel(context.Background())
	ac.stop, ac.done = cancel, make(chan struct{})
	obj, err := acceptorKind.NewObject(ac.release)
	if err != nil {
		cancel()
		ac.keys.close()
		return nil, err
	}
	ac.obj = obj
	go ac.expireLoop(ctx)
	lifecycle.WatchLeak(ac, obj)
	return ac, nil
}

// expireLoop drops expired replay entries and key sets whose grace
// period is over, four times per skew interval; with WithKeytabWatch it
// polls the keytab file, and with WithReloadSignal it reloads on every
// signal.
func (ac *AcceptorCredential) expireLoop(ctx context.Context) {
	defer close(ac.done)
	t := time.NewTicker(max(ac.skew/4, time.Second))
	defer t.Stop()
	var poll <-chan time.Time
	if ac.watch > 0 {
		w := time.NewTicker(ac.watch)
		defer w.Stop()
		poll = w.C
	}
	sig := ac.signal
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ac.replay.purge(ac.clock.Now())
			ac.keys.expire()
		case <-poll:
			ac.keys.expire()
			if tried, err := ac.keys.reloadIfChanged(); tried {
				ac.reported(err)
			}
		case _, ok := <-sig:
			if !ok {
				sig = nil // closed: no more signals
				continue
			}
			ac.reported(ac.keys.reload())
		}
	}
}

// Close stops the credential's goroutine and waits for it, and for the
// accepts and reloads in flight. Later calls fail with ErrClosed. A
// keytab passed to NewAcceptorCredential is the caller's and stays open;
// the keys a credential read from a file are wiped once no security
// context established with them is left open.
func (ac *AcceptorCredential) Close() error { return ac.obj.Close() }

func (ac *AcceptorCredential) release() {
	ac.stop()
	<-ac.done
	ac.replay = newReplayCache(1)
	ac.keys.close()
}

// ReplayEntries returns the number of authenticators the replay cache
// remembers.
func (ac *AcceptorCredential) ReplayEntries() int {
	if err := ac.obj.Enter(); err != nil {
		return 0
	}
	defer ac.obj.Leave()
	return ac.replay.len()
}

// accepted is what verifying an AP-REQ yields.
type accepted struct {
	client      types.PrincipalName
	clientRealm string
	server      types.PrincipalName
	serverRealm string
	authTime    time.Time
	endTime     time.Time
	flags       uint32 // GSS flags from the checksum
	mutual      bool
	ctime       time.Time
	cusec       int
	seq         int64
	keys        *keyVersion         // the key set the ticket decrypted with, pinned
	ticketKey   ticketKey           // which of its keys, for the PAC
	sessionKey  types.EncryptionKey // wiped by the caller
	skey        *kcrypto.Key        // the session key for encryption, wiped by the caller
	subkey      types.EncryptionKey // the initiator's, may be empty; wiped by the caller
	authzData   types.AuthorizationData
	delegation  []byte       // KRB-CRED, if the client delegated
	bnd         [bndLen]byte // channel binding hash from the checksum
}

func (a *accepted) wipe() {
	a.keys.Unpin()
	a.keys = nil
	support.Wipe(a.sessionKey.KeyValue)
	if a.skey != nil {
		a.skey.Wipe()
	}
	support.Wipe(a.subkey.KeyValue)
	support.Wipe(a.delegation)
}

// gssErr builds a GSS error with a minor status from the krb5 table.
func gssErr(major errortables.GSSMajor, minor *errortables.Error, detail string,
	cause error) error {
	var code errortables.Code
	if minor != nil {
		code = minor.Code
	}
	return errortables.NewGSSError(major, code, detail, cause)
}

// verifyAPReq checks an AP-REQ as RFC 4120 section 3.2.3 asks: the
// ticket decrypts with a key of the keytab, the authenticator with the
// ticket's session key; the authenticator names the ticket's client;
// the ticket's addresses, when asked (WithAddressCheck, AcceptFrom),
// include the initiator's; time is within the skew; the authenticator
// was not seen before.
func (ac *AcceptorCredential) verifyAPReq(msg []byte, p *acceptParams) (*accepted, error) {
	ap, err := krbmsg.DecodeAPReq(msg)
	if err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"AP-REQ does not decode", errors.New(firstLine(err.Error())))
	}
	tkt := &ap.Ticket
	if len(tkt.SName.NameString) == 0 || tkt.Realm == "" {
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"ticket names no server", nil)
	}
	if ac.only != nil && (!sameName(*ac.only, tkt.SName) ||
		ac.realm != "" && ac.realm != tkt.Realm) {
		return nil, gssErr(errortables.GSSNoCred, errortables.ErrNotUs, fmt.Sprintf(
			"ticket is for %s@%s", tkt.SName.PrincipalNameString(), tkt.Realm), nil)
	}
	var plain []byte
	var tk ticketKey
	ks, err := ac.keys.useKey(tkt.SName, tkt.Realm, uint32(tkt.EncPart.KVNO), tkt.EncPart.EType,
		func(key types.EncryptionKey, kvno uint32) error {
			var err error
			plain, err = kcrypto.Open(key, keyusage.KDC_REP_TICKET, tkt.EncPart)
			tk = ticketKey{kvno: kvno, etype: key.KeyType}
			return err
		})
	if err != nil {
		if errors.Is(err, krb5.ErrNoKey) {
			return nil, gssErr(errortables.GSSNoCred, errortables.ErrNoKey, "", err)
		}
		if isLifecycle(err) {
			return nil, err
		}
		return nil, gssErr(errortables.GSSDefectiveCredential, errortables.ErrBadIntegrity,
			"ticket does not decrypt with the keytab's key", nil)
	}
	defer support.Wipe(plain)
	part, err := krbmsg.DecodeEncTicketPart(plain)
	if err != nil {
		ks.Unpin()
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"ticket's encrypted part does not decode", nil)
	}
	out := &accepted{
		keys:        ks,
		ticketKey:   tk,
		client:      part.CName,
		clientRealm: part.CRealm,
		server:      tkt.SName,
		serverRealm: tkt.Realm,
		authTime:    part.AuthTime,
		endTime:     part.EndTime,
		sessionKey:  part.Key,
		authzData:   part.AuthorizationData,
	}
	ok := false
	defer func() {
		if !ok {
			out.wipe()
		}
	}()
	if err := ac.checkTicketTimes(&part); err != nil {
		return nil, err
	}
	if ac.addrs || p.peer.IsValid() {
		if err := checkAddresses(part.CAddr, p.peer); err != nil {
			return nil, err
		}
	}

	if out.skey, err = kcrypto.NewKey(part.Key.KeyType, part.Key.KeyValue); err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrBadIntegrity,
			fmt.Sprintf("ticket's session key of enctype %d", part.Key.KeyType), nil)
	}
	authPlain, err := out.skey.Decrypt(keyusage.AP_REQ_AUTHENTICATOR,
		ap.EncryptedAuthenticator.Cipher)
	if err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrBadIntegrity,
			"authenticator does not decrypt with the session key", nil)
	}
	defer support.Wipe(authPlain)
	auth, err := krbmsg.DecodeAuthenticator(authPlain)
	if err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"authenticator does not decode", nil)
	}
	out.subkey = auth.SubKey
	if auth.CRealm != part.CRealm || !sameName(auth.CName, part.CName) {
		return nil, gssErr(errortables.GSSDefectiveToken, errBadMatch,
			"authenticator names another client than the ticket", nil)
	}
	now := ac.clock.Now()
	ctime := auth.CTime.Add(time.Duration(auth.Cusec) * time.Microsecond)
	if !support.WithinSkew(ctime, now, ac.skew) {
		return nil, gssErr(errortables.GSSFailure, errortables.ErrClockSkew,
			fmt.Sprintf("authenticator time is %v from ours", ctime.Sub(now).Round(time.Second)), nil)
	}
	if err := ac.parseChecksum(&auth, out); err != nil {
		return nil, err
	}
	out.mutual = out.flags&FlagMutual != 0 ||
		flagSet(ap.APOptions.Bytes, flags.APOptionMutualRequired)
	out.ctime, out.cusec, out.seq = auth.CTime, auth.Cusec, auth.SeqNumber

	client := out.client.PrincipalNameString() + "@" + out.clientRealm
	server := out.server.PrincipalNameString() + "@" + out.serverRealm
	key := newReplayKey(client, server, auth.CTime, auth.Cusec, ap.EncryptedAuthenticator.Cipher)
	switch ac.replay.checkAndInsert(key, now, ctime.Add(ac.skew)) {
	case replaySeen:
		return nil, gssErr(errortables.GSSFailure|errortables.GSSDuplicateToken,
			errortables.ErrReplay, "authenticator from "+client+" seen before", nil)
	case replayFull:
		return nil, gssErr(errortables.GSSFailure, errortables.ErrReplay,
			"replay cache full; refusing new authenticators", nil)
	}
	ok = true
	return out, nil
}

// checkTicketTimes refuses a ticket that is not yet valid, expired, or
// marked invalid.
func (ac *AcceptorCredential) checkTicketTimes(p *messages.EncTicketPart) error {
	now := ac.clock.Now()
	start := p.StartTime
	if start.IsZero() {
		start = p.AuthTime
	}
	if start.Sub(now) > ac.skew || flagSet(p.Flags.Bytes, flags.Invalid) {
		return gssErr(errortables.GSSFailure, errortables.ErrTicketNotYetValid,
			"ticket not yet valid", nil)
	}
	if now.Sub(p.EndTime) > ac.skew {
		return gssErr(errortables.GSSCredentialsExpired, errortables.ErrTicketExpired,
			"ticket expired at "+p.EndTime.UTC().Format(time.RFC3339), nil)
	}
	return nil
}

// parseChecksum reads the GSS checksum (RFC 4121 section 4.1.1): the
// channel binding hash, the context flags and the delegated credential.
func (ac *AcceptorCredential) parseChecksum(auth *types.Authenticator, out *accepted) error {
	ck := auth.Cksum
	if ck.CksumType != gssChecksumType {
		return gssErr(errortables.GSSBadBindings, errInappropriateCk,
			fmt.Sprintf("authenticator checksum type %d, not the GSS type", ck.CksumType), nil)
	}
	b := ck.Checksum
	if len(b) < 24 || binary.LittleEndian.Uint32(b[:4]) != 16 {
		return gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"GSS checksum too short or with a bad binding length", nil)
	}
	copy(out.bnd[:], b[4:20])
	out.flags = binary.LittleEndian.Uint32(b[20:24])
	if out.flags&FlagDeleg == 0 {
		return nil
	}
	// The Deleg field (DlgOpt 1, Dlgth, KRB-CRED) is there only when the
	// initiator delegated; extensions may follow it.
	if len(b) < 28 {
		out.flags &^= FlagDeleg
		return nil
	}
	n := int(binary.LittleEndian.Uint16(b[26:28]))
	if binary.LittleEndian.Uint16(b[24:26]) != 1 || len(b) < 28+n || n == 0 {
		return gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"GSS checksum has a malformed delegation field", nil)
	}
	out.delegation = append([]byte(nil), b[28:28+n]...)
	return nil
}

// flagSet reads flag i of a KerberosFlags bit string, false when short.
func flagSet(b []byte, i int) bool {
	if i < 0 || i/8 >= len(b) {
		return false
	}
	return b[i/8]&(0x80>>(i%8)) != 0
}

func sameName(a, b types.PrincipalName) bool {
	if len(a.NameString) != len(b.NameString) {
		return false
	}
	for i := range a.NameString {
		if a.NameString[i] != b.NameString[i] {
			return false
		}
	}
	return true
}

func isLifecycle(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, ErrFinalized) ||
		errors.Is(err, ErrShuttingDown) || errors.Is(err, ErrNotLoaded)
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
