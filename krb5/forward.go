package krb5

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/patype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// ForwardTGT asks the KDC for a forwarded TGT (RFC 4120 section 2.6: a
// TGS request for the client's own ticket-granting service with the
// FORWARDED option, and no addresses, so it is usable from any host)
// and calls f with it. The ticket is neither cached nor kept: its
// session key is wiped when f returns, so f must not keep it. The TGT
// must be forwardable; otherwise ForwardTGT fails with an error
// matching ErrNotSupported before asking the KDC.
func (c *Client) ForwardTGT(ctx context.Context, f func(t *ServiceTicket) error) error {
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	ctx, unpin := c.pin(ctx)
	defer unpin()
	tgt, err := c.freshTGT(ctx)
	if err != nil {
		return err
	}
	if !tgt.Forwardable() {
		return fmt.Errorf("krb5: forwarding the TGT: %w", ErrNotSupported.With(
			"the TGT of "+tgt.ClientName()+" is not forwardable", nil))
	}
	realm := tgt.Server.NameString[1]
	req, err := c.newTGSReq(ctx, tgt, tgt.Server, realm, false)
	if err != nil {
		return err
	}
	// RFC 4120 section 5.4.1: FORWARDED asks for a TGT with the
	// addresses given (none); FORWARDABLE keeps it forwardable, as the
	// options newTGSReq chose say. The authenticator's checksum covers
	// the body, so it is made again.
	types.SetFlag(&req.ReqBody.KDCOptions, flags.Forwarded)
	types.SetFlag(&req.ReqBody.KDCOptions, flags.Forwardable)
	if err := c.signTGSReq(&req, tgt); err != nil {
		return err
	}
	b, err := req.Marshal()
	if err != nil {
		return fmt.Errorf("krb5: forwarding the TGT: encoding TGS-REQ: %w", err)
	}
	c.trace(ctx, "TGS-REQ", "server", cacheKey(tgt.Server, realm), "forwarded", true)
	rep, err := c.exchange(ctx, realm, b)
	if err != nil {
		return err
	}
	if isKRBError(rep) {
		kerr, err := parseKRBError(rep)
		if err != nil {
			return fmt.Errorf("krb5: forwarding the TGT: %w", err)
		}
		return newKDCError("forwarding the TGT", kerr)
	}
	fwd, err := c.finishTGS(ctx, rep, &req, tgt)
	if err != nil {
		return err
	}
	defer fwd.destroy()
	if !isTGT(fwd.Server) || !flagSet(fwd.Flags, flags.Forwarded) {
		return fmt.Errorf("krb5: forwarding the TGT: %w", ErrReplyModified.With(
			"the KDC answered with "+fwd.ServerName()+", not a forwarded TGT", nil))
	}
	return f(fwd)
}

// signTGSReq replaces the PA-TGS-REQ of req with an authenticator whose
// checksum covers req's body as it is now (RFC 4120 section 7.2.2).
func (c *Client) signTGSReq(req *messages.TGSReq, tgt *ServiceTicket) error {
	body, err := req.ReqBody.Marshal()
	if err != nil {
		return fmt.Errorf("krb5: TGS exchange: encoding body: %w", err)
	}
	now := c.now().UTC()
	var ap []byte
	err = tgt.UseSessionKey(func(key types.EncryptionKey) error {
		et, err := crypto.GetEtype(key.KeyType)
		if err != nil {
			return fmt.Errorf("krb5: TGS exchange: %w", ErrNotSupported.With(
				fmt.Sprintf("TGT session key enctype %d", key.KeyType), nil))
		}
		sum, err := et.GetChecksumHash(key.KeyValue, body,
			keyusage.TGS_REQ_PA_TGS_REQ_AP_REQ_AUTHENTICATOR_CHKSUM)
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
		apReq, err := messages.NewAPReq(tgt.Ticket, key, auth)
		if err != nil {
			return err
		}
		ap, err = apReq.Marshal()
		return err
	})
	if err != nil {
		return err
	}
	req.PAData = types.PADataSequence{{PADataType: patype.PA_TGS_REQ, PADataValue: ap}}
	return nil
}

// NewFromCredential makes a client whose TGT is a ticket received from
// elsewhere, typically one a GSS initiator delegated in a KRB-CRED (RFC
// 4120 section 5.8): tkt is the ticket and info the KrbCredInfo that
// carries its session key and times. The key is copied into the client;
// the caller keeps info and should wipe info.Key. The client is named
// by info's principal and has no long-term key: it gets service tickets
// until the TGT expires and cannot log in again. Closing it wipes the
// key. A ticket that is not a TGT of the client's realm is refused.
// Once krb5 is shutting down or finalized it fails with that error.
func NewFromCredential(tkt messages.Ticket, info messages.KrbCredInfo,
	cfg *config.Config, opts ...Option) (*Client, error) {
	if err := modules.KRB5.Refuses(); err != nil {
		return nil, err
	}
	if len(info.PName.NameString) == 0 || info.PRealm == "" {
		return nil, fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"the credential names no client", nil))
	}
	if !isTGT(info.SName) || info.SName.NameString[1] != info.PRealm {
		return nil, fmt.Errorf("krb5: %w", ErrNotSupported.With(
			"the credential is for "+info.SName.PrincipalNameString()+
				", not the client realm's TGT", nil))
	}
	if len(info.Key.KeyValue) == 0 {
		return nil, errors.New("krb5: the credential carries no session key")
	}
	key, err := support.NewSecret(info.Key.KeyValue)
	if err != nil {
		return nil, err
	}
	c, err := newClient("", info.PRealm, cfg, opts)
	if err != nil {
		key.Destroy()
		return nil, err
	}
	c.cname = types.PrincipalName{NameType: info.PName.NameType,
		NameString: append([]string(nil), info.PName.NameString...)}
	t := &ServiceTicket{
		Ticket:      tkt,
		Client:      c.cname,
		ClientRealm: info.PRealm,
		Server:      info.SName,
		ServerRealm: orString(info.SRealm, info.PRealm),
		Flags: asn1.BitString{Bytes: append([]byte(nil), info.Flags.Bytes...),
			BitLength: info.Flags.BitLength},
		AuthTime:  info.AuthTime,
		StartTime: orTime(info.StartTime, info.AuthTime),
		EndTime:   info.EndTime,
		RenewTill: info.RenewTill,
		KeyType:   info.Key.KeyType,
		Addresses: copyAddresses(info.CAddr),
		key:       key,
	}
	c.setTGT(t)
	return c, nil
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
