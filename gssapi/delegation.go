package gssapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// FlagDelegPolicy (GSS_C_DELEG_POLICY_FLAG of MIT and Heimdal) asks
// Initiate to delegate the TGT only to services the KDC trusts with it:
// those whose tickets carry the OK-AS-DELEGATE flag (RFC 4120 section
// 2.8), which realm administrators set on chosen services. FlagDeleg
// delegates to any service, whatever the flag. A context that delegated
// through the policy reports both flags; one that did not reports
// neither.
const FlagDelegPolicy uint32 = 0x8000

// delegationFlags applies FlagDelegPolicy to the flags an initiator asks
// for, with the service ticket it will use: the policy becomes FlagDeleg
// when the ticket is OK-AS-DELEGATE, and goes otherwise.
func delegationFlags(f uint32, tkt *krb5.ServiceTicket) uint32 {
	policy := f&FlagDelegPolicy != 0
	f &^= FlagDelegPolicy
	if policy && flagSet(tkt.Flags.Bytes, flags.OKAsDelegate) {
		f |= FlagDeleg | FlagDelegPolicy
	}
	return f
}

// ErrNotDelegated is returned by DelegatedClient when the initiator
// delegated no credential.
var ErrNotDelegated = errors.New("gssapi: the initiator delegated no credential")

// maxDelegatedTickets bounds the tickets of a KRB-CRED the acceptor
// decodes; initiators send one.
const maxDelegatedTickets = 4

// krbCred is KRB-CRED (RFC 4120 section 5.8.1) without its application
// tag. Tickets is the whole [2] field, tag included: the decoder hands a
// RawValue the next element whatever its tag, and the encoder writes
// one's FullBytes as they are.
type krbCred struct {
	PVNO    int `asn1:"explicit,tag:0"`
	MsgType int `asn1:"explicit,tag:1"`
	Tickets asn1.RawValue
	EncPart types.EncryptedData `asn1:"explicit,tag:3"`
}

// encCredPart is EncKrbCredPart (RFC 4120 section 5.8.1) without its
// application tag; the addresses are neither sent nor read.
type encCredPart struct {
	TicketInfo []credInfo `asn1:"explicit,tag:0"`
	Nonce      int        `asn1:"optional,explicit,tag:1"`
	Timestamp  time.Time  `asn1:"generalized,optional,explicit,tag:2"`
	Usec       int        `asn1:"optional,explicit,tag:3"`
}

// credInfo is KrbCredInfo (RFC 4120 section 5.8.1), realms as
// GeneralString as MIT and Windows send them.
type credInfo struct {
	Key       types.EncryptionKey `asn1:"explicit,tag:0"`
	PRealm    string              `asn1:"generalstring,optional,explicit,tag:1"`
	PName     types.PrincipalName `asn1:"optional,explicit,tag:2"`
	Flags     asn1.BitString      `asn1:"optional,explicit,tag:3"`
	AuthTime  time.Time           `asn1:"generalized,optional,explicit,tag:4"`
	StartTime time.Time           `asn1:"generalized,optional,explicit,tag:5"`
	EndTime   time.Time           `asn1:"generalized,optional,explicit,tag:6"`
	RenewTill time.Time           `asn1:"generalized,optional,explicit,tag:7"`
	SRealm    string              `asn1:"generalstring,optional,explicit,tag:8"`
	SName     types.PrincipalName `asn1:"optional,explicit,tag:9"`
}

// delegate asks c's KDC for a forwarded TGT and returns a builder of
// the KRB-CRED carrying it; done wipes what the builder holds. A client
// whose TGT is not forwardable delegates nothing: ok is false, as MIT
// clears the delegation flag then.
func delegate(ctx context.Context, c *krb5.Client) (part *support.Secret,
	tkt []byte, ok bool, err error) {
	tgt, err := c.TGT()
	if err != nil || !tgt.Forwardable() {
		return nil, nil, false, nil
	}
	err = c.ForwardTGT(ctx, func(fwd *krb5.ServiceTicket) error {
		if tkt, err = fwd.Ticket.Marshal(); err != nil {
			return fmt.Errorf("gssapi: encoding the forwarded TGT: %w", err)
		}
		return fwd.UseSessionKey(func(key types.EncryptionKey) error {
			now := time.Now().UTC()
			p := encCredPart{
				TicketInfo: []credInfo{{
					Key:    key,
					PRealm: fwd.ClientRealm, PName: fwd.Client,
					Flags:    fwd.Flags,
					AuthTime: fwd.AuthTime, StartTime: fwd.StartTime,
					EndTime: fwd.EndTime, RenewTill: fwd.RenewTill,
					SRealm: fwd.ServerRealm, SName: fwd.Server,
				}},
				Timestamp: now.Truncate(time.Second),
				Usec:      now.Nanosecond() / 1000,
			}
			b, err := asn1.Marshal(p)
			if err != nil {
				return fmt.Errorf("gssapi: encoding the KRB-CRED part: %w", err)
			}
			defer support.Wipe(b)
			b = appTag(b, asnAppTag.EncKrbCredPart)
			defer support.Wipe(b)
			part, err = support.NewSecret(b)
			return err
		})
	})
	if err != nil {
		return nil, nil, false, err
	}
	return part, tkt, true, nil
}

// sealCred makes the KRB-CRED of the checksum's Deleg field (RFC 4121
// section 4.1.1.1): the forwarded ticket, and its key in the encrypted
// part, under key with key usage 14 (RFC 4120 section 5.8.1).
func sealCred(part *support.Secret, tkt []byte, key types.EncryptionKey) ([]byte, error) {
	var ed types.EncryptedData
	err := part.Use(func(plain []byte) error {
		var err error
		ed, err = crypto.GetEncryptedData(plain, key, keyusage.KRB_CRED_ENCPART, 0)
		return err
	})
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "encrypting the KRB-CRED", err)
	}
	return marshalCred(tkt, ed)
}

func marshalCred(tkt []byte, ed types.EncryptedData) ([]byte, error) {
	seq := appendDERLength([]byte{0x30}, len(tkt))
	seq = append(seq, tkt...)
	field := appendDERLength([]byte{0xa2}, len(seq))
	field = append(field, seq...)
	b, err := asn1.Marshal(krbCred{PVNO: iana.PVNO, MsgType: msgtype.KRB_CRED,
		Tickets: asn1.RawValue{FullBytes: field}, EncPart: ed})
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "encoding the KRB-CRED", err)
	}
	return appTag(b, asnAppTag.KRBCred), nil
}

// openCred decodes the KRB-CRED an initiator delegated and decrypts it
// with the initiator's subkey or the session key (initiators use
// either), or reads it as is when it is not encrypted (enctype 0, as
// MIT sends it in some setups). It checks that the credential is a TGT
// of the context's client, and returns the KRB-CRED again with its part
// in the clear, for SecurityContext to keep in a Secret.
func openCred(a *accepted) ([]byte, error) {
	bad := func(what string) error {
		return gssErr(errortables.GSSDefectiveToken, errortables.ErrGeneric,
			"delegated credential: "+what, nil)
	}
	var kc krbCred
	rest, err := asn1.UnmarshalWithParams(a.delegation, &kc,
		fmt.Sprintf("application,explicit,tag:%d", asnAppTag.KRBCred))
	if err != nil || len(rest) != 0 {
		return nil, bad("KRB-CRED does not decode")
	}
	if kc.PVNO != iana.PVNO || kc.MsgType != msgtype.KRB_CRED {
		return nil, bad("not a KRB-CRED")
	}
	tickets, err := credTickets(kc.Tickets)
	if err != nil {
		return nil, bad(err.Error())
	}
	plain := kc.EncPart.Cipher
	if kc.EncPart.EType != 0 {
		plain = nil
		for _, k := range []types.EncryptionKey{a.subkey, a.sessionKey} {
			if len(k.KeyValue) == 0 || k.KeyType != kc.EncPart.EType {
				continue
			}
			p, err := crypto.DecryptEncPart(kc.EncPart, k, keyusage.KRB_CRED_ENCPART)
			if err == nil {
				plain = p
				break
			}
		}
		if plain == nil {
			return nil, bad("KRB-CRED does not decrypt with the context's keys")
		}
		defer support.Wipe(plain)
	}
	part, err := parseCredPart(plain)
	if err != nil {
		return nil, bad(err.Error())
	}
	defer wipeCredPart(part)
	if len(part.TicketInfo) != len(tickets) {
		return nil, bad("ticket and ticket-info counts differ")
	}
	info := &part.TicketInfo[0]
	if info.PRealm != "" && (info.PRealm != a.clientRealm || !sameName(info.PName, a.client)) {
		return nil, bad("it is not the initiator's")
	}
	if len(info.SName.NameString) != 2 || info.SName.NameString[0] != "krbtgt" {
		return nil, bad("it is not a TGT")
	}
	return marshalCred(tickets[0], types.EncryptedData{EType: 0, Cipher: plain})
}

// credTickets splits KRB-CRED's tickets field, [2] SEQUENCE OF Ticket,
// into the tickets' DER, checking that each decodes.
func credTickets(raw asn1.RawValue) ([][]byte, error) {
	if raw.Class != asn1.ClassContextSpecific || raw.Tag != 2 || !raw.IsCompound {
		return nil, errors.New("no tickets field")
	}
	tag, seq, rest, err := derHeader(raw.Bytes)
	if err != nil || tag != 0x30 || len(rest) != 0 {
		return nil, errors.New("tickets are not a sequence")
	}
	var out [][]byte
	for b := seq; len(b) > 0; {
		if len(out) == maxDelegatedTickets {
			return nil, errors.New("too many tickets")
		}
		tag, _, rest, err := derHeader(b)
		if err != nil || tag != 0x61 {
			return nil, errors.New("a ticket does not decode")
		}
		one := b[:len(b)-len(rest)]
		var t messages.Ticket
		if err := t.Unmarshal(one); err != nil {
			return nil, errors.New("a ticket does not decode")
		}
		out = append(out, one)
		b = rest
	}
	if len(out) == 0 {
		return nil, errors.New("no ticket")
	}
	return out, nil
}

// parseCredPart decodes EncKrbCredPart.
func parseCredPart(b []byte) (*encCredPart, error) {
	var p encCredPart
	rest, err := asn1.UnmarshalWithParams(b, &p,
		fmt.Sprintf("application,explicit,tag:%d", asnAppTag.EncKrbCredPart))
	if err != nil || len(rest) != 0 {
		return nil, errors.New("the encrypted part does not decode")
	}
	if len(p.TicketInfo) == 0 {
		wipeCredPart(&p)
		return nil, errors.New("no ticket-info")
	}
	return &p, nil
}

func wipeCredPart(p *encCredPart) {
	for i := range p.TicketInfo {
		support.Wipe(p.TicketInfo[i].Key.KeyValue)
	}
}

// DelegatedClient returns a krb5 client that acts as the initiator with
// the TGT the initiator delegated (RFC 4121 section 4.1.1.1): it gets
// service tickets in the initiator's name until that TGT expires, and
// can write them to a credential cache with WriteCCache. cfg is the
// configuration the client uses to reach the KDC. The client is the
// caller's, independent of the context: it stays usable after the
// context is closed, and the caller must close it. It fails with
// ErrNotDelegated when the initiator delegated nothing.
func (sc *SecurityContext) DelegatedClient(cfg *config.Config, opts ...krb5.Option) (*krb5.Client, error) {
	if err := sc.obj.Enter(); err != nil {
		return nil, err
	}
	defer sc.obj.Leave()
	if sc.delegation == nil {
		return nil, ErrNotDelegated
	}
	var c *krb5.Client
	err := sc.delegation.Use(func(b []byte) error {
		var kc krbCred
		_, err := asn1.UnmarshalWithParams(b, &kc,
			fmt.Sprintf("application,explicit,tag:%d", asnAppTag.KRBCred))
		if err != nil {
			return err
		}
		tickets, err := credTickets(kc.Tickets)
		if err != nil {
			return err
		}
		var tkt messages.Ticket
		if err := tkt.Unmarshal(tickets[0]); err != nil {
			return err
		}
		part, err := parseCredPart(kc.EncPart.Cipher)
		if err != nil {
			return err
		}
		defer wipeCredPart(part)
		in := part.TicketInfo[0]
		info := messages.KrbCredInfo{Key: in.Key, PRealm: in.PRealm, PName: in.PName,
			Flags: in.Flags, AuthTime: in.AuthTime, StartTime: in.StartTime,
			EndTime: in.EndTime, RenewTill: in.RenewTill, SRealm: in.SRealm,
			SName: in.SName}
		if info.PRealm == "" {
			info.PRealm, info.PName = sc.ClientRealm, sc.Client
		}
		c, err = krb5.NewFromCredential(tkt, info, cfg, opts...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("gssapi: the delegated credential: %w", err)
	}
	return c, nil
}
