package krb5

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// ServiceTicket is a ticket with its session key and the fields of the KDC
// reply that issued it. A client's TGT is one too. The session key lives in
// a support.Secret owned by the client that obtained the ticket: it is
// wiped when the client closes, or when the ticket leaves the client's
// cache, after which UseSessionKey fails with ErrClosed. A ServiceTicket is
// safe for concurrent use; its fields are read-only.
type ServiceTicket struct {
	Ticket      messages.Ticket
	Client      types.PrincipalName
	ClientRealm string
	Server      types.PrincipalName
	ServerRealm string
	Flags       asn1.BitString
	AuthTime    time.Time
	StartTime   time.Time
	EndTime     time.Time
	RenewTill   time.Time
	// KeyType is the enctype of the session key.
	KeyType int32
	// Addresses are the network addresses the ticket may be used from
	// (RFC 4120 section 5.3, caddr), empty for an addressless ticket;
	// see WithAddresses.
	Addresses types.HostAddresses

	key *support.Secret
	// ck keeps the session key for kcrypto, with the keys derived from
	// it (useCrypto); nil where a ticket is built without it. Like key,
	// it is shared by copies of the ticket.
	ck *sessionCrypto
}

// sessionCrypto is a ticket's session key as a kcrypto.Key, made on
// first use and wiped when the ticket is destroyed.
type sessionCrypto struct {
	k atomic.Pointer[kcrypto.Key]
}

// UseSessionKey calls f with the session key. The key's bytes are valid
// only during f; f must not keep them. It fails with ErrClosed once the
// key was wiped, with ErrFinalized once krb5 was torn down for good, and
// with ErrNoSessionKey for a ServiceTicket built by hand, which has none.
func (t *ServiceTicket) UseSessionKey(f func(key types.EncryptionKey) error) error {
	return t.useKey(func(b []byte) error {
		return f(types.EncryptionKey{KeyType: t.KeyType, KeyValue: b})
	})
}

// ErrNoSessionKey is returned for a ServiceTicket that was not obtained
// from a KDC or a credential cache and so holds no session key.
var ErrNoSessionKey = errors.New("krb5: service ticket: no session key " +
	"(not obtained by a client)")

// useKey calls f with the session key's bytes, and says why it cannot.
func (t *ServiceTicket) useKey(f func(b []byte) error) error {
	if t.key == nil {
		return ErrNoSessionKey
	}
	ran := false
	err := t.key.Use(func(b []byte) error {
		ran = true
		return f(b)
	})
	if err == nil || ran {
		return err
	}
	// The key is gone: with its client, or with the module.
	if ferr := modules.KRB5.Refuses(); errors.Is(ferr, ErrFinalized) {
		return ferr
	}
	return fmt.Errorf("krb5: service ticket %s: session key wiped: %w", t.ServerName(), err)
}

// ServerName returns the server principal as "name/host@REALM", in
// MIT's unparsed form (see Client.PrincipalString).
func (t *ServiceTicket) ServerName() string {
	return unparse(t.Server, t.ServerRealm)
}

// ClientName returns the client principal as "name@REALM", in MIT's
// unparsed form (see Client.PrincipalString): an enterprise name reads
// "user\@domain@REALM".
func (t *ServiceTicket) ClientName() string {
	return unparse(t.Client, t.ClientRealm)
}

// Renewable reports whether the ticket carries the renewable flag.
func (t *ServiceTicket) Renewable() bool { return flagSet(t.Flags, flags.Renewable) }

// Forwardable reports whether the ticket carries the forwardable flag.
func (t *ServiceTicket) Forwardable() bool {
	return flagSet(t.Flags, flags.Forwardable)
}

// flagSet reports whether flag i (0 is the most significant bit of the
// first byte) is set; a short bit string has the missing flags clear.
func flagSet(f asn1.BitString, i int) bool {
	if i < 0 || i >= f.BitLength || i/8 >= len(f.Bytes) {
		return false
	}
	return f.At(i) == 1
}

// valid reports whether the ticket can still be used at now, keeping
// margin in hand.
func (t *ServiceTicket) valid(now time.Time, margin time.Duration) bool {
	return now.Add(margin).Before(t.EndTime)
}

// destroy wipes the session key.
func (t *ServiceTicket) destroy() {
	if t != nil && t.key != nil {
		t.key.Destroy()
		// Destroy waited for every useCrypto in flight and refuses new
		// ones: nothing stores the key any more.
		if t.ck != nil {
			if k := t.ck.k.Swap(nil); k != nil {
				k.Wipe()
			}
		}
	}
}

// newServiceTicket builds a ServiceTicket from a decrypted KDC reply part.
func newServiceTicket(tkt messages.Ticket, cname types.PrincipalName,
	crealm string, part *messages.EncKDCRepPart) (*ServiceTicket, error) {
	key, err := support.NewSecret(part.Key.KeyValue)
	support.Wipe(part.Key.KeyValue)
	if err != nil {
		return nil, err
	}
	return &ServiceTicket{
		Ticket:      tkt,
		Client:      cname,
		ClientRealm: crealm,
		Server:      part.SName,
		ServerRealm: part.SRealm,
		// The decoder's bit string shares memory with the decrypted
		// buffer, which the caller wipes.
		Flags: asn1.BitString{Bytes: append([]byte(nil), part.Flags.Bytes...),
			BitLength: part.Flags.BitLength},
		AuthTime:  part.AuthTime,
		StartTime: orTime(part.StartTime, part.AuthTime),
		EndTime:   part.EndTime,
		RenewTill: part.RenewTill,
		KeyType:   part.Key.KeyType,
		Addresses: copyAddresses(part.CAddr),
		key:       key,
		ck:        &sessionCrypto{},
	}, nil
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// isTGT reports whether name is a ticket-granting service name
// krbtgt/REALM.
func isTGT(name types.PrincipalName) bool {
	return len(name.NameString) == 2 && name.NameString[0] == "krbtgt"
}
