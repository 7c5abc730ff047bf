package gssapi

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbmsg"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/support"
)

// SecurityContext is an established Kerberos security context, on the
// acceptor's or the initiator's side. It holds the context key in a
// support.Secret; Close wipes it. It is a live object of the gssapi
// module: while it is open the module cannot be torn down gracefully.
// Only Accept, Step and Finish make a usable SecurityContext; the
// methods of a zero one panic.
type SecurityContext struct {
	obj *lifecycle.Object

	// Client and Server name the two peers; the realms are separate.
	Client      types.PrincipalName
	ClientRealm string
	Server      types.PrincipalName
	ServerRealm string
	// Flags are the GSS flags of the context (RFC 2744 section 5.19).
	// On the initiator's side they are those it got: what it asked
	// for, without FlagDeleg (and FlagDelegPolicy) when it delegated
	// nothing, and with FlagConf and FlagInteg, which a Kerberos
	// context always offers. On the acceptor's side they are those the
	// initiator's authenticator carries, with FlagMutual when the
	// AP-REQ asked for mutual authentication either way and FlagDeleg
	// only when a credential came with it.
	Flags uint32
	// AuthTime and EndTime come from the ticket; the context expires
	// with it.
	AuthTime time.Time
	EndTime  time.Time
	// AuthorizationData is the ticket's authorization data, undecoded;
	// a PAC, when the KDC put one there, is inside it.
	AuthorizationData types.AuthorizationData
	// ChannelBound reports that the initiator's channel bindings
	// matched the ones the acceptor was given.
	ChannelBound bool

	key        *support.Secret // the context key: a subkey or the session key
	keyType    int32
	ck         *kcrypto.Key // the context key with its derived keys
	initiator  bool
	sendSeq    uint64
	recvSeq    uint64
	delegation *support.Secret // KRB-CRED the client delegated, or nil
	keys       keyPin          // acceptor: the key set of its ticket's key
	pacInfo    pacState        // acceptor: the PAC, decoded on first use

	// acceptorSubkey says the key is the acceptor's subkey from the
	// AP-REP, which RFC 4121 section 4.2.2 flags in every token.
	acceptorSubkey bool
	// seq holds the per-message sequence numbers (sequence.go); it has
	// its own lock.
	seq seqState
}

// ClientName returns the initiator as "name@REALM", in MIT's unparsed
// form (gss_display_name's): "/", "@", the backslash and control
// characters inside a component or the realm are escaped with a
// backslash, so an enterprise name reads "user\@domain@REALM".
func (sc *SecurityContext) ClientName() string {
	return unparse(sc.Client, sc.ClientRealm)
}

// ServerName returns the acceptor as "service/host@REALM", escaped as
// ClientName is.
func (sc *SecurityContext) ServerName() string {
	return unparse(sc.Server, sc.ServerRealm)
}

// unparse is MIT's krb5_unparse_name of name@realm.
func unparse(name types.PrincipalName, realm string) string {
	return krbname.Principal{Realm: realm, Components: name.NameString}.String()
}

// Credentials returns the initiator's identity as gokrb5's
// credentials.Credentials, the type gokrb5's HTTP handlers put in the
// request context. When the ticket carries a PAC with logon information
// that verifies (see PAC), its AD attributes are filled as gokrb5's
// SPNEGO service fills them: groups, SIDs, names and logon times.
func (sc *SecurityContext) Credentials() *credentials.Credentials {
	return sc.credentials(true)
}

func (sc *SecurityContext) credentials(withPAC bool) *credentials.Credentials {
	id := credentials.NewFromPrincipalName(sc.Client, sc.ClientRealm)
	id.SetAuthTime(time.Now().UTC())
	id.SetAuthenticated(true)
	id.SetValidUntil(sc.EndTime)
	if withPAC && !sc.initiator {
		sc.adCredentials(id)
	}
	return id
}

// Enctype returns the enctype of the context key: the acceptor's subkey,
// else the initiator's, else the ticket's session key. It decides the
// per-message token format: RFC 4121's for AES, RFC 1964's for rc4-hmac
// and des3-cbc-sha1-kd.
func (sc *SecurityContext) Enctype() int32 { return sc.keyType }

// Delegated reports whether the initiator delegated a credential.
func (sc *SecurityContext) Delegated() bool { return sc.delegation != nil }

// Close wipes the context key and releases the context's reference on
// the gssapi module. A second Close returns ErrClosed.
func (sc *SecurityContext) Close() error { return sc.obj.Close() }

func (sc *SecurityContext) release() {
	sc.key.Destroy()
	if sc.ck != nil {
		sc.ck.Wipe()
	}
	sc.releaseKeys()
	if sc.delegation != nil {
		sc.delegation.Destroy()
	}
}

// newContext wraps the results of an accept or an initiate in a live
// object. key is copied.
func newContext(sc *SecurityContext, key types.EncryptionKey, delegation []byte) (*SecurityContext, error) {
	s, err := support.NewSecret(key.KeyValue)
	if err != nil {
		return nil, err
	}
	sc.key, sc.keyType = s, key.KeyType
	if sc.ck, err = kcrypto.NewKey(key.KeyType, key.KeyValue); err != nil {
		s.Destroy()
		return nil, gssErr(errortables.GSSFailure, nil, fmt.Sprintf(
			"context key of enctype %d", key.KeyType), err)
	}
	sc.seq.init(sc.sendSeq, sc.recvSeq, sc.Flags, sc.cfx())
	if len(delegation) > 0 {
		if sc.delegation, err = support.NewSecret(delegation); err != nil {
			s.Destroy()
			return nil, err
		}
	}
	obj, err := contextKind.NewObject(sc.release)
	if err != nil {
		sc.release()
		return nil, err
	}
	sc.obj = obj
	lifecycle.WatchLeak(sc, obj)
	return sc, nil
}

// ErrContinueNeeded is returned by Accept with an output token when the
// initiator must send another token (SPNEGO chose Kerberos, which the
// initiator did not send optimistically).
var ErrContinueNeeded = &errortables.GSSError{Major: errortables.GSSContinueNeeded}

// Accept processes a context token from an initiator: a Kerberos token
// (RFC 4121) or a SPNEGO token (RFC 4178) carrying one, under either
// Kerberos OID and whatever the mechanism's place in the list. On
// success it returns the established context and the token to send back
// (the AP-REP, inside SPNEGO when the initiator used SPNEGO), which is
// nil when the initiator asked for no mutual authentication and used raw
// Kerberos. When SPNEGO needs another leg it returns a nil context, a
// token asking for Kerberos, and an error matching ErrContinueNeeded.
// Options give channel bindings to check (AcceptBindings) and carry a
// SPNEGO negotiation from one leg to the next (WithNegotiation).
func (ac *AcceptorCredential) Accept(token []byte, opts ...AcceptOption) (*SecurityContext, []byte, error) {
	var p acceptParams
	for _, o := range opts {
		o(&p)
	}
	if err := ac.obj.Enter(); err != nil {
		return nil, nil, err
	}
	defer ac.obj.Leave()
	if len(token) == 0 {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "empty token", nil)
	}
	if len(token) > MaxTokenSize+8 {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "token too large", nil)
	}
	if token[0] == 0xa1 {
		// A NegTokenResp: the second SPNEGO leg.
		return ac.acceptNegResp(token, &p)
	}
	oid, inner, err := unwrapGSS(token)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "", err)
	}
	switch {
	case isKRB5(oid):
		return ac.acceptKRB5(inner, false, &p)
	case oid.Equal(OIDSPNEGO):
		return ac.acceptNegInit(inner, &p)
	}
	return nil, nil, gssErr(errortables.GSSBadMech, nil, "mechanism "+oid.String(), nil)
}

// acceptKRB5 accepts a Kerberos mechanism token (inner, without the GSS
// framing) and builds the AP-REP.
func (ac *AcceptorCredential) acceptKRB5(inner []byte, viaSPNEGO bool,
	p *acceptParams) (*SecurityContext, []byte, error) {
	id, msg, err := krb5Inner(inner)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "", err)
	}
	if id != tokAPReq {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil,
			"Kerberos token is not an AP-REQ", nil)
	}
	a, err := ac.verifyAPReq(msg, p)
	if err != nil {
		return nil, nil, err
	}
	defer a.wipe()
	bound, err := checkBindings(a.bnd, p.bindings, p.requireBindings)
	if err != nil {
		return nil, nil, err
	}
	var deleg []byte
	if len(a.delegation) > 0 {
		if deleg, err = openCred(a); err != nil {
			return nil, nil, err
		}
		defer support.Wipe(deleg)
	}
	sc := &SecurityContext{
		ChannelBound: bound,
		Client:       a.client, ClientRealm: a.clientRealm,
		Server: a.server, ServerRealm: a.serverRealm,
		Flags: a.flags, AuthTime: a.authTime, EndTime: a.endTime,
		AuthorizationData: a.authzData,
		recvSeq:           uint64(uint32(a.seq)),
	}
	sc.pacInfo.key, sc.pacInfo.settings = a.ticketKey, ac.pac
	if a.mutual {
		sc.Flags |= FlagMutual
	}
	var out []byte
	if a.mutual || viaSPNEGO {
		// An AP-REP the initiator did not ask for (SPNEGO sends one
		// anyway) keeps the initiator's number, which an initiator that
		// ignores it uses too.
		seq := uint32(a.seq)
		if a.mutual {
			if seq, err = randomSeq(); err != nil {
				return nil, nil, err
			}
		}
		sc.sendSeq = uint64(seq)
		out, err = buildAPRep(a, seq)
		if err != nil {
			return nil, nil, err
		}
	} else {
		// Without an AP-REP both directions count from the initiator's
		// number, as MIT does.
		sc.sendSeq = sc.recvSeq
	}
	key := a.sessionKey
	if len(a.subkey.KeyValue) > 0 {
		key = a.subkey
	}
	sc, err = newContext(sc, key, deleg)
	if err != nil {
		return nil, nil, err
	}
	sc.adoptKeys(a.takeKeys())
	if err := sc.checkPACOnAccept(); err != nil {
		sc.Close()
		return nil, nil, err
	}
	return sc, out, nil
}

func randomSeq() (uint32, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]) & 0x3fffffff, nil
}

// buildAPRep makes the Kerberos token carrying the AP-REP: the client's
// time echoed under the session key, with our first sequence number.
func buildAPRep(a *accepted, seq uint32) ([]byte, error) {
	part := krbmsg.AppendEncAPRepPart(nil, &messages.EncAPRepPart{CTime: a.ctime,
		Cusec: a.cusec, SequenceNumber: int64(seq)})
	defer support.Wipe(part)
	cipher, err := a.skey.Encrypt(nil, keyusage.AP_REP_ENCPART, part)
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "encrypting the AP-REP", err)
	}
	rep := krbmsg.AppendAPRep(nil, types.EncryptedData{EType: a.skey.EType(),
		Cipher: cipher})
	return krb5Token(tokAPRep, rep)
}

// appTag wraps DER bytes in an [APPLICATION n] constructed tag.
func appTag(b []byte, n int) []byte {
	out := []byte{0x60 | byte(n)}
	out = appendDERLength(out, len(b))
	return append(out, b...)
}

// splitPrincipal parses "a/b@REALM" into a name and a realm, as MIT's
// krb5_parse_name does.
func splitPrincipal(s string) (types.PrincipalName, string, error) {
	p, err := krbname.ParsePrincipal(s, "")
	if err != nil {
		return types.PrincipalName{}, "", err
	}
	if p.HasEmptyComponent() {
		return types.PrincipalName{}, "", fmt.Errorf("%w: an empty component",
			krbname.ErrBadName)
	}
	nt := int32(nametype.KRB_NT_PRINCIPAL)
	if len(p.Components) == 2 {
		nt = nametype.KRB_NT_SRV_HST
	}
	return types.PrincipalName{NameType: nt, NameString: p.Components}, p.Realm, nil
}
