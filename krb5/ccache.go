package krb5

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/filewatch"
	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/support"
)

// DefaultCCacheName returns the credential cache MIT's tools use: the
// KRB5CCNAME environment variable, or FILE:/tmp/krb5cc_UID.
func DefaultCCacheName() string {
	if v := os.Getenv("KRB5CCNAME"); v != "" {
		return v
	}
	return "FILE:/tmp/krb5cc_" + strconv.Itoa(os.Getuid())
}

// CCachePath resolves a credential cache name to the file holding it:
// "" means DefaultCCacheName, "FILE:path" and a name without a type
// prefix are files, "DIR:dir" is the member its primary file names and
// "DIR::dir/tktX" that member. A MEMORY cache has no file and fails with
// an error matching ErrNotSupported, as do KEYRING, KCM and API (an
// *UnsupportedTypeError).
func CCachePath(name string) (string, error) {
	n, err := parseCCName(name)
	if err != nil {
		return "", err
	}
	if n.typ == ccMemory {
		return "", fmt.Errorf("krb5: %w", ErrNotSupported.With(
			n.String()+" is held in memory and has no file", nil))
	}
	return n.path, nil
}

// NewFromCCache makes a client from a credential cache: its default
// principal, its TGT and its service tickets ("" reads KRB5CCNAME, else
// the default cache; names as in CCachePath, and MEMORY:name). MIT's
// configuration entries and the KDC time offset are honoured. The client
// has no long-term key: it renews its TGT while the TGT is renewable and
// cannot log in again after that. A file cache rewritten by another
// process (kinit) is read again when the client needs a TGT.
func NewFromCCache(name string, cfg *config.Config, opts ...Option) (*Client, error) {
	n, err := parseCCName(name)
	if err != nil {
		return nil, err
	}
	var file *filewatch.Snapshot
	if n.typ != ccMemory {
		file = filewatch.Take(n.path) // before reading: see reloadCCache
	}
	cc, err := readCCacheName(n)
	if err != nil {
		return nil, err
	}
	defer cc.Wipe()
	p := cc.DefaultPrincipal
	c, err := newClient(strings.Join(p.Components, "/"), p.Realm, cfg, opts)
	if err != nil {
		return nil, err
	}
	c.cname.NameType = p.NameType
	if cc.TimeOffset != nil {
		c.offset.Store(int64(*cc.TimeOffset))
	}
	if err := c.loadCredentials(cc); err != nil {
		c.Close()
		return nil, fmt.Errorf("krb5: %s: %w", n, err)
	}
	if c.currentTGT() == nil {
		c.Close()
		return nil, fmt.Errorf("krb5: %s: %w", n, ErrCredNotFound.With(
			"no TGT for "+p.String(), nil))
	}
	if file != nil {
		c.watchCCache(n, file)
	}
	return c, nil
}

// loadCredentials installs the tickets of cc: the TGT of the client's
// realm, and service tickets that are still valid.
func (c *Client) loadCredentials(cc *ccachefile.Cache) error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range cc.Credentials {
		cred := &cc.Credentials[i]
		if cred.IsConfig() || len(cred.SecondTicket) > 0 {
			continue
		}
		if !cred.Client.SameName(cc.DefaultPrincipal) ||
			cred.Client.Realm != cc.DefaultPrincipal.Realm {
			continue
		}
		t, err := ticketFromCredential(cred)
		if err != nil {
			return err
		}
		isLocalTGT := isTGT(t.Server) && t.Server.NameString[1] == c.realm &&
			t.ServerRealm == c.realm
		switch {
		case isLocalTGT:
			if c.tgt == nil || t.EndTime.After(c.tgt.EndTime) {
				if c.tgt != nil {
					c.retiredLocked(c.tgt)
				}
				c.tgt = t
			} else {
				t.destroy()
			}
		case isTGT(t.Server) || !t.valid(now, 0):
			t.destroy() // cross-realm TGTs are fetched again when needed
		default:
			c.storeLocked(cacheKey(t.Server, t.ServerRealm), t)
		}
	}
	return nil
}

// ticketFromCredential converts a cache entry, copying its key into a
// Secret.
func ticketFromCredential(cred *ccachefile.Credential) (*ServiceTicket, error) {
	// A session key of the wrong length would fail, or worse, only when
	// first used; refuse the entry now and name it (never the key).
	if n, ok := kcrypto.KeySize(cred.Key.Type); ok && len(cred.Key.Value) != n {
		return nil, ErrCCFormat.With(fmt.Sprintf("the credential for %s has a "+
			"session key of %d bytes, but its enctype %s takes %d",
			cred.Server.String(), len(cred.Key.Value), krbname.EnctypeName(cred.Key.Type),
			n), nil)
	}
	var tkt messages.Ticket
	if err := decodeSafe(cred.Ticket, tkt.Unmarshal); err != nil {
		return nil, ErrCCFormat.With("a ticket for "+cred.Server.String()+" does not decode", err)
	}
	key, err := support.NewSecret(cred.Key.Value)
	if err != nil {
		return nil, err
	}
	return &ServiceTicket{
		Ticket:      tkt,
		Client:      principalName(cred.Client),
		ClientRealm: cred.Client.Realm,
		Server:      principalName(cred.Server),
		ServerRealm: cred.Server.Realm,
		Flags:       flagsFromCache(cred.Flags),
		AuthTime:    cred.AuthTime,
		StartTime:   orTime(cred.StartTime, cred.AuthTime),
		EndTime:     cred.EndTime,
		RenewTill:   cred.RenewTill,
		KeyType:     cred.Key.Type,
		Addresses:   addressesFromCache(cred.Addresses),
		key:         key,
		ck:          &sessionCrypto{},
	}, nil
}

func principalName(p ccachefile.Principal) types.PrincipalName {
	return types.PrincipalName{NameType: p.NameType,
		NameString: append([]string(nil), p.Components...)}
}

func cachePrincipal(n types.PrincipalName, realm string) ccachefile.Principal {
	return ccachefile.Principal{NameType: n.NameType, Realm: realm,
		Components: append([]string(nil), n.NameString...)}
}

// flagsFromCache turns the cache's 32-bit flags (bit 31 is RFC 4120 flag
// 0) into a KerberosFlags bit string.
func flagsFromCache(f uint32) asn1.BitString {
	b := make([]byte, 4)
	b[0], b[1], b[2], b[3] = byte(f>>24), byte(f>>16), byte(f>>8), byte(f)
	return asn1.BitString{Bytes: b, BitLength: 32}
}

// flagsToCache is the inverse of flagsFromCache.
func flagsToCache(bs asn1.BitString) uint32 {
	var f uint32
	for i := 0; i < 32 && i < bs.BitLength; i++ {
		if bs.At(i) == 1 {
			f |= 1 << (31 - i)
		}
	}
	return f
}

// WriteCCache writes the client's TGT and cached service tickets to a
// credential cache in MIT's format (version 4). A file, or a DIR member,
// is replaced atomically (a temporary file with mode 0600 renamed over
// it), so MIT's klist lists it and kvno and curl use it; a DIR collection
// gets its directory (mode 0700) and primary file when they are missing.
// A MEMORY cache is replaced in this process. name is resolved as in
// NewFromCCache.
func (c *Client) WriteCCache(name string) error {
	return c.withCacheImage(name, writeCCacheName)
}

// UpdateCCache stores the client's TGT and cached service tickets into
// the credential cache name, as MIT's kvno does with the ticket it gets:
// the cache's other entries stay, among them MIT's configuration entries
// (X-CACHECONF:) and tickets for services the client holds none for,
// such as cross-realm TGTs; an entry for a service the client holds a
// ticket for is replaced in its place, and the others are appended. A
// cache that does not exist is created as WriteCCache creates it; one
// whose default principal is not the client's is left alone and the call
// fails with an error matching ErrCCFormat. The file is replaced
// atomically; a concurrent writer of the same cache may see its update
// lost, where MIT's tools, which append under a lock, would keep both.
func (c *Client) UpdateCCache(name string) error {
	return c.withCacheImage(name, updateCCacheName)
}

// withCacheImage resolves name and calls f with it and the client's
// tickets as a cache (see cacheImage), which is wiped afterwards.
func (c *Client) withCacheImage(name string,
	f func(n ccName, img *ccachefile.Cache) error) error {
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	n, err := parseCCName(name)
	if err != nil {
		return err
	}
	img, err := c.cacheImage()
	if err != nil {
		return err
	}
	defer img.Wipe()
	return f(n, img)
}

// updateCCacheName stores the credentials of ours into the cache n names,
// as UpdateCCache describes.
func updateCCacheName(n ccName, ours *ccachefile.Cache) error {
	cc, err := readCCacheName(n)
	if errors.Is(err, ErrCCNotFound) {
		return writeCCacheName(n, ours)
	}
	if err != nil {
		return err
	}
	defer cc.Wipe()
	if !cc.DefaultPrincipal.SameName(ours.DefaultPrincipal) {
		return fmt.Errorf("krb5: %w", ErrCCFormat.With(fmt.Sprintf(
			"%s holds the tickets of %s, not of %s", n, cc.DefaultPrincipal,
			ours.DefaultPrincipal), nil))
	}
	mergeCredentials(cc, ours)
	if cc.TimeOffset == nil {
		cc.TimeOffset = ours.TimeOffset
	}
	return writeCCacheName(n, cc)
}

// mergeCredentials moves the credentials of from into cc: each replaces
// the entry of cc for the same client and server, whose key is wiped, or
// is appended. from is left without credentials.
func mergeCredentials(cc, from *ccachefile.Cache) {
	for _, cred := range from.Credentials {
		i := slices.IndexFunc(cc.Credentials, func(old ccachefile.Credential) bool {
			return !old.IsConfig() && old.Client.SameName(cred.Client) &&
				old.Server.SameName(cred.Server)
		})
		if i < 0 {
			cc.Credentials = append(cc.Credentials, cred)
			continue
		}
		cc.Credentials[i].Key.Wipe()
		cc.Credentials[i] = cred
	}
	from.Credentials = nil
}

// cacheImage returns the client's TGT and cached service tickets as a
// cache, with the KDC time offset if one was learned. The caller wipes
// it.
func (c *Client) cacheImage() (*ccachefile.Cache, error) {
	tickets := c.snapshot()
	if len(tickets) == 0 {
		return nil, fmt.Errorf("krb5: %w", ErrCredNotFound.With("no TGT: not logged in", nil))
	}
	// The TGT names the client as the KDC knows it, which differs from
	// the name the client was made with after canonicalization.
	tgt := tickets[0]
	cc := &ccachefile.Cache{
		DefaultPrincipal: cachePrincipal(tgt.Client, tgt.ClientRealm),
	}
	if off := time.Duration(c.offset.Load()); off != 0 {
		cc.TimeOffset = &off
	}
	for _, t := range tickets {
		cred, err := credentialFromTicket(t)
		if err != nil {
			cc.Wipe()
			return nil, err
		}
		cc.Credentials = append(cc.Credentials, cred)
	}
	return cc, nil
}

// snapshot returns the TGT followed by the distinct cached tickets.
func (c *Client) snapshot() []*ServiceTicket {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tgt == nil {
		return nil
	}
	out := []*ServiceTicket{c.tgt}
	seen := map[*ServiceTicket]bool{c.tgt: true}
	for k, t := range c.tickets {
		if k == retiredKey || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

func credentialFromTicket(t *ServiceTicket) (ccachefile.Credential, error) {
	raw, err := t.Ticket.Marshal()
	if err != nil {
		return ccachefile.Credential{}, fmt.Errorf("krb5: encoding ticket for %s: %w",
			t.ServerName(), err)
	}
	cred := ccachefile.Credential{
		Client:    cachePrincipal(t.Client, t.ClientRealm),
		Server:    cachePrincipal(t.Server, t.ServerRealm),
		AuthTime:  t.AuthTime,
		StartTime: t.StartTime,
		EndTime:   t.EndTime,
		RenewTill: t.RenewTill,
		Flags:     flagsToCache(t.Flags),
		Addresses: cacheAddresses(t.Addresses),
		Ticket:    raw,
	}
	err = t.UseSessionKey(func(k types.EncryptionKey) error {
		cred.Key = ccachefile.Keyblock{Type: k.KeyType,
			Value: append([]byte(nil), k.KeyValue...)}
		return nil
	})
	return cred, err
}
