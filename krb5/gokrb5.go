package krb5

import (
	"context"
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
)

// This file holds the calls that keep the shape of gokrb5's client, so
// that code written against gokrb5 moves over with few changes.

// NewFromGokrb5CCache makes a client from a credential cache loaded with
// gokrb5's credentials.LoadCCache, as gokrb5's client.NewFromCCache does.
// The client copies the keys it needs; the caller keeps cc.
func NewFromGokrb5CCache(cc *credentials.CCache, cfg *config.Config,
	opts ...Option) (*Client, error) {
	if cc == nil {
		return nil, fmt.Errorf("krb5: %w", ErrCredNotFound.With("nil credential cache", nil))
	}
	def := cc.DefaultPrincipal
	conv := &ccachefile.Cache{
		DefaultPrincipal: cachePrincipal(def.PrincipalName, def.Realm),
	}
	defer conv.Wipe()
	for _, cred := range cc.Credentials {
		if cred == nil {
			continue
		}
		conv.Credentials = append(conv.Credentials, ccachefile.Credential{
			Client:    cachePrincipal(cred.Client.PrincipalName, cred.Client.Realm),
			Server:    cachePrincipal(cred.Server.PrincipalName, cred.Server.Realm),
			Key:       ccachefile.Keyblock{Type: cred.Key.KeyType, Value: append([]byte(nil), cred.Key.KeyValue...)},
			AuthTime:  cred.AuthTime,
			StartTime: cred.StartTime,
			EndTime:   cred.EndTime,
			RenewTill: cred.RenewTill,
			IsSKey:    cred.IsSKey,
			Flags:     flagsToCache(cred.TicketFlags),
			Addresses: cacheAddresses(cred.Addresses),
			Ticket:    cred.Ticket,
		})
	}
	c, err := newClient(strings.Join(def.PrincipalName.NameString, "/"), def.Realm, cfg, opts)
	if err != nil {
		return nil, err
	}
	c.cname.NameType = def.PrincipalName.NameType
	if err := c.loadCredentials(conv); err != nil {
		c.Close()
		return nil, fmt.Errorf("krb5: %w", err)
	}
	if c.currentTGT() == nil {
		c.Close()
		return nil, fmt.Errorf("krb5: %w", ErrCredNotFound.With(
			"no TGT for "+conv.DefaultPrincipal.String(), nil))
	}
	return c, nil
}

// GetServiceTicket returns a ticket for spn and a copy of its session
// key, as gokrb5's Client.GetServiceTicket does. The copy belongs to the
// caller, who should clear it when done; ServiceTicket, which keeps the
// key inside the client, is the safer call.
func (c *Client) GetServiceTicket(spn string) (messages.Ticket, types.EncryptionKey, error) {
	t, err := c.ServiceTicket(context.Background(), spn)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, err
	}
	var key types.EncryptionKey
	err = t.UseSessionKey(func(k types.EncryptionKey) error {
		key = types.EncryptionKey{KeyType: k.KeyType,
			KeyValue: append([]byte(nil), k.KeyValue...)}
		return nil
	})
	return t.Ticket, key, err
}
