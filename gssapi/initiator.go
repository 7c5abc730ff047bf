package gssapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbmsg"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// DefaultInitFlags are the flags an initiator asks for unless told
// otherwise: mutual authentication, replay and sequence detection,
// integrity and confidentiality.
const DefaultInitFlags = FlagMutual | FlagReplay | FlagSequence | FlagInteg | FlagConf

// Initiator is the initiator's side of a context being established: it
// made the first token and waits for the acceptor's answer. It holds the
// keys it will need to check the answer; Close, or the end of the
// negotiation, wipes them. An Initiator is a live object of the gssapi
// module, like an AcceptorCredential: while it is open the module stays
// loaded, the module's statistics count it (kind "initiator"), and after
// Close or the module's teardown its methods fail with ErrClosed or
// ErrFinalized. One negotiation is one sequence of calls: Step and
// Finish must not be called concurrently; Close may be called at any
// time from any goroutine.
type Initiator struct {
	obj *lifecycle.Object

	// Fixed when the first token is made.
	ticket  *krb5.ServiceTicket
	flags   uint32
	ctime   time.Time
	cusec   int
	seq     uint32
	subType int32

	// Used by one call at a time (Step), released by Close.
	subkey *support.Secret
	neg    *initNegotiation // SPNEGO's state; nil for raw Kerberos
}

// InitOption changes how a context is initiated.
type InitOption func(*initSettings)

type initSettings struct {
	flags    uint32
	raw      bool
	clock    support.Clock
	bindings *ChannelBindings
	mechs    []asn1.ObjectIdentifier // SPNEGO's mechanism list
	micFirst bool                    // send a mechListMIC with the first token
}

// WithFlags sets the GSS flags to ask for (DefaultInitFlags).
func WithFlags(f uint32) InitOption { return func(s *initSettings) { s.flags = f } }

// RawKerberos makes the initial token a bare Kerberos token instead of
// one wrapped in SPNEGO.
func RawKerberos() InitOption { return func(s *initSettings) { s.raw = true } }

// WithBindings binds the context to a channel: the hash of cb goes into
// the authenticator checksum (RFC 4121 section 4.1.1.2), and an
// acceptor given other bindings refuses the context. TLSServerEndPoint
// makes the bindings of a TLS connection.
func WithBindings(cb *ChannelBindings) InitOption {
	return func(s *initSettings) { s.bindings = cb }
}

// WithInitClock replaces the clock, for tests.
func WithInitClock(c support.Clock) InitOption {
	return func(s *initSettings) { s.clock = support.ClockOr(c) }
}

// Initiate starts a context with the service spn ("HTTP/www.example.com")
// with a ticket from c, and returns the token to send to the acceptor:
// SPNEGO carrying a Kerberos AP-REQ with a fresh subkey, unless
// RawKerberos is given. With FlagMutual, Finish must then check the
// acceptor's answer. With FlagDeleg and a forwardable TGT, the token
// carries a forwarded TGT for the acceptor (RFC 4121 section 4.1.1.1);
// with FlagDelegPolicy instead, only when the KDC marked the service
// ticket OK-AS-DELEGATE. With a TGT that is not forwardable, the
// delegation flags are dropped, as MIT does. Once gssapi is shutting
// down or finalized, Initiate fails with ErrShuttingDown or ErrFinalized
// before it asks the KDC for anything.
func Initiate(ctx context.Context, c *krb5.Client, spn string, opts ...InitOption) (*Initiator, []byte, error) {
	s := initSettings{flags: DefaultInitFlags, clock: support.SystemClock{}}
	for _, o := range opts {
		o(&s)
	}
	if c == nil {
		return nil, nil, gssErr(errortables.GSSNoCred, nil, "nil krb5 client", nil)
	}
	if err := modules.GSSAPI.Refuses(); err != nil {
		return nil, nil, err
	}
	tkt, err := c.ServiceTicket(ctx, spn)
	if err != nil {
		return nil, nil, err
	}
	s.flags = delegationFlags(s.flags, tkt)
	var d *delegation
	if s.flags&FlagDeleg != 0 {
		part, fwd, ok, err := delegate(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			d = &delegation{part: part, ticket: fwd}
			defer part.Destroy()
		}
	}
	return initiate(tkt, s, d)
}

// delegation is the forwarded TGT an initiator sends.
type delegation struct {
	part   *support.Secret // EncKrbCredPart, in the clear
	ticket []byte
}

// InitiateWithTicket starts a context with a service ticket the caller
// already holds; see Initiate. Without a client to ask for a forwarded
// TGT it does not delegate: FlagDeleg is dropped.
func InitiateWithTicket(tkt *krb5.ServiceTicket, opts ...InitOption) (*Initiator, []byte, error) {
	s := initSettings{flags: DefaultInitFlags, clock: support.SystemClock{}}
	for _, o := range opts {
		o(&s)
	}
	if tkt == nil {
		return nil, nil, gssErr(errortables.GSSNoCred, nil, "nil service ticket", nil)
	}
	if err := modules.GSSAPI.Refuses(); err != nil {
		return nil, nil, err
	}
	return initiate(tkt, s, nil)
}

func initiate(tkt *krb5.ServiceTicket, s initSettings, d *delegation) (*Initiator, []byte, error) {
	if d == nil {
		s.flags &^= FlagDeleg | FlagDelegPolicy
	}
	s.flags |= FlagConf | FlagInteg // always there, as MIT reports them
	seq, err := randomSeq()
	if err != nil {
		return nil, nil, err
	}
	now := s.clock.Now().UTC()
	in := &Initiator{ticket: tkt, flags: s.flags, ctime: now.Truncate(time.Second),
		cusec: now.Nanosecond() / 1000, seq: seq}
	obj, err := initiatorKind.NewObject(in.release)
	if err != nil {
		return nil, nil, err
	}
	in.obj = obj
	lifecycle.WatchLeak(in, obj)
	if err := obj.Enter(); err != nil {
		in.Close()
		return nil, nil, err
	}
	tok, err := in.firstToken(tkt, s, d)
	obj.Leave()
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, tok, nil
}

// firstToken makes the initiator's keys and its first token, the AP-REQ
// alone or inside SPNEGO's NegTokenInit.
func (in *Initiator) firstToken(tkt *krb5.ServiceTicket, s initSettings,
	d *delegation) ([]byte, error) {
	var authEnc types.EncryptedData
	err := tkt.UseSessionKey(func(key types.EncryptionKey) error {
		et, err := crypto.GetEtype(key.KeyType)
		if err != nil {
			return gssErr(errortables.GSSFailure, nil,
				fmt.Sprintf("session key enctype %d", key.KeyType), nil)
		}
		sub, err := newSubkey(et)
		if err != nil {
			return err
		}
		defer support.Wipe(sub)
		if in.subkey, err = support.NewSecret(sub); err != nil {
			return err
		}
		in.subType = key.KeyType
		var cred []byte
		if d != nil {
			if cred, err = sealCred(d.part, d.ticket, key); err != nil {
				return err
			}
		}
		ck := gssChecksum(s.flags, s.bindings.Hash(), cred)
		auth := types.Authenticator{
			AVNO:      iana.PVNO,
			CRealm:    tkt.ClientRealm,
			CName:     tkt.Client,
			Cksum:     types.Checksum{CksumType: gssChecksumType, Checksum: ck},
			CTime:     in.ctime,
			Cusec:     in.cusec,
			SubKey:    types.EncryptionKey{KeyType: key.KeyType, KeyValue: sub},
			SeqNumber: int64(in.seq),
		}
		plain := krbmsg.EncodeAuthenticator(&auth)
		defer support.Wipe(plain)
		authEnc, err = kcrypto.Seal(key, keyusage.AP_REQ_AUTHENTICATOR, plain)
		return err
	})
	if err != nil {
		return nil, err
	}
	opts := types.NewKrbFlags()
	if s.flags&FlagMutual != 0 {
		types.SetFlag(&opts, flags.APOptionMutualRequired)
	}
	msg := krbmsg.AppendAPReq(nil, opts, &tkt.Ticket, authEnc)
	tok, err := krb5Token(tokAPReq, msg)
	if err != nil || s.raw {
		return tok, err
	}
	return in.startSPNEGO(tok, &s)
}

// gssChecksum builds the authenticator checksum of RFC 4121 section
// 4.1.1: Lgth, the channel binding hash, the flags and, when the
// initiator delegates, the Deleg field with the KRB-CRED.
func gssChecksum(f uint32, bnd [bndLen]byte, cred []byte) []byte {
	b := make([]byte, 24, 28+len(cred))
	binary.LittleEndian.PutUint32(b[:4], bndLen)
	copy(b[4:20], bnd[:])
	if len(cred) == 0 {
		f &^= FlagDeleg
	}
	binary.LittleEndian.PutUint32(b[20:], f)
	if len(cred) > 0 {
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(cred)))
		b = append(b, cred...)
	}
	return b
}

// Finish checks the acceptor's answer and returns the established
// context: tok is the acceptor's SPNEGO NegTokenResp, or its bare
// Kerberos token with RawKerberos. The AP-REP must decrypt with the
// session key and echo our authenticator's time; a mechListMIC the
// acceptor sends must verify (RFC 4178 section 5). Without FlagMutual,
// a nil tok finishes the context. Finish is Step for negotiations of
// one answer: when the acceptor asks for another leg (a mechListMIC
// exchange) it fails and closes the context; use Step then. Finish
// wipes the initiator's keys.
func (in *Initiator) Finish(tok []byte) (*SecurityContext, error) {
	sc, out, err := in.Step(tok)
	if err == nil && len(out) == 0 {
		return sc, nil
	}
	if sc != nil {
		sc.Close()
	}
	in.Close()
	if err == nil || errors.Is(err, ErrContinueNeeded) {
		return nil, gssErr(errortables.GSSFailure, nil,
			"the acceptor asks for another SPNEGO leg, which Finish cannot send "+
				"(see Step)", nil)
	}
	return nil, err
}

// base is the context the initiator establishes, before its key.
func (in *Initiator) base() *SecurityContext {
	t := in.ticket
	return &SecurityContext{Client: t.Client, ClientRealm: t.ClientRealm,
		Server: t.Server, ServerRealm: t.ServerRealm, Flags: in.flags,
		AuthTime: t.AuthTime, EndTime: t.EndTime, sendSeq: uint64(in.seq),
		recvSeq: uint64(in.seq), initiator: true}
}

// finishKRB5 checks the acceptor's Kerberos token, an AP-REP or a
// KRB-ERROR, and returns the established context. Without FlagMutual a
// nil tok establishes it.
func (in *Initiator) finishKRB5(tok []byte) (*SecurityContext, error) {
	sc := in.base()
	if len(tok) == 0 {
		if in.flags&FlagMutual != 0 {
			return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrMutualFailed,
				"the acceptor sent no mutual authentication token", nil)
		}
		return in.established(sc)
	}
	part, err := in.verifyAPRep(tok)
	if err != nil {
		return nil, err
	}
	defer support.Wipe(part.Subkey.KeyValue)
	sc.recvSeq = uint64(uint32(part.SequenceNumber))
	if len(part.Subkey.KeyValue) > 0 {
		sc.acceptorSubkey = true
		return newContext(sc, part.Subkey, nil)
	}
	return in.established(sc)
}

// verifyAPRep checks the acceptor's Kerberos token: an AP-REP that
// decrypts with the session key and echoes our authenticator's time,
// whose part it returns; a KRB-ERROR becomes an error with its code.
// The caller wipes the part's subkey.
func (in *Initiator) verifyAPRep(tok []byte) (*messages.EncAPRepPart, error) {
	t := in.ticket
	oid, inner, err := unwrapGSS(tok)
	if err != nil || !isKRB5(oid) {
		return nil, gssErr(errortables.GSSDefectiveToken, nil, "not a Kerberos token", err)
	}
	id, msg, err := krb5Inner(inner)
	if err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, nil, "", err)
	}
	switch id {
	case tokKRBError:
		var ke messages.KRBError
		if err := ke.Unmarshal(msg); err == nil {
			return nil, gssErr(errortables.GSSFailure,
				errortables.FromCode(errortables.KDCCode(ke.ErrorCode)),
				"the acceptor refused the context", nil)
		}
		return nil, gssErr(errortables.GSSFailure, nil, "the acceptor sent an error", nil)
	case tokAPRep:
	default:
		return nil, gssErr(errortables.GSSDefectiveToken, nil, "unexpected Kerberos token", nil)
	}
	rep, err := krbmsg.DecodeAPRep(msg)
	if err != nil {
		return nil, gssErr(errortables.GSSDefectiveToken, nil, "AP-REP does not decode", nil)
	}
	var part messages.EncAPRepPart
	err = t.UseSessionKey(func(key types.EncryptionKey) error {
		plain, err := kcrypto.Open(key, keyusage.AP_REP_ENCPART, rep.EncPart)
		if err != nil {
			return gssErr(errortables.GSSFailure, errortables.ErrMutualFailed,
				"AP-REP does not decrypt with the session key", nil)
		}
		defer support.Wipe(plain)
		if part, err = krbmsg.DecodeEncAPRepPart(plain); err != nil {
			return gssErr(errortables.GSSDefectiveToken, nil, "AP-REP part does not decode", nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !part.CTime.Equal(in.ctime) || part.Cusec != in.cusec {
		support.Wipe(part.Subkey.KeyValue)
		return nil, gssErr(errortables.GSSFailure, errortables.ErrMutualFailed,
			"AP-REP does not echo our authenticator's time", nil)
	}
	return &part, nil
}

// established makes the context with the initiator's subkey.
func (in *Initiator) established(sc *SecurityContext) (*SecurityContext, error) {
	var out *SecurityContext
	err := in.subkey.Use(func(b []byte) error {
		var err error
		out, err = newContext(sc, types.EncryptionKey{KeyType: in.subType, KeyValue: b}, nil)
		return err
	})
	return out, err
}

// Close waits for a Step in flight, wipes the initiator's keys and
// releases its hold on the gssapi module. A second Close, and Close after
// the negotiation ended, return an error matching ErrClosed and change
// nothing.
func (in *Initiator) Close() error { return in.obj.Close() }

func (in *Initiator) release() {
	in.neg.close()
	if in.subkey != nil {
		in.subkey.Destroy()
	}
}

var errNoNegotiate = errors.New("gssapi: the server did not answer with Negotiate")
