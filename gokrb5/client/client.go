// Package client is a drop-in for gokrb5's client package
// (github.com/jcmturner/gokrb5/v8/client) built on safekrb5's krb5
// client: the same constructors, settings and methods, so code moves
// over by changing the import path. Behind it, logins and renewals are
// those of krb5.Client: pre-authentication with a key the client has,
// one renewal goroutine that Destroy stops and waits for, keys wiped on
// Destroy, and typed errors (errors.Is with krb5.ErrPreauthFailed and the
// other sentinels). New code should use package krb5 directly, which
// takes a context.Context on every network call.
//
// BUG(safekrb5): gokrb5's Diagnostics, Print and Key methods and its
// low-level ASExchange, TGSExchange and TGSREQGenerateAndExchange are not
// provided; code that calls them does not compile after the import
// change. gokrb5's spnego package takes gokrb5's own *client.Client, not
// this one: spnego.NewClient(cl, hc, spn) becomes
// gssapi.NewClient(cl.Unwrap(), hc, gssapi.WithSPN(spn)).
package client

import (
	"context"
	"log"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/krb5"
)

// Client is a Kerberos client with gokrb5's method set.
type Client struct {
	// Credentials names the client, as in gokrb5; it holds no secret
	// here, the password or keys live in the underlying krb5.Client.
	Credentials *credentials.Credentials
	// Config is the configuration the client was made with.
	Config *config.Config

	c       *krb5.Client
	kt      *krb5.Keytab // owned: converted from the caller's keytab
	initErr error
	logger  *log.Logger
}

// Settings holds the client settings gokrb5 offers.
type Settings struct {
	disablePAFXFast bool
	assumePreAuth   bool
	logger          *log.Logger
}

// DisablePAFXFAST is accepted for compatibility; FAST is not used, so
// the setting has no effect.
func DisablePAFXFAST(b bool) func(*Settings) {
	return func(s *Settings) { s.disablePAFXFast = b }
}

// AssumePreAuthentication is accepted for compatibility; the client sends
// pre-authentication as soon as the KDC asks for it.
func AssumePreAuthentication(b bool) func(*Settings) {
	return func(s *Settings) { s.assumePreAuth = b }
}

// Logger sets a logger for the client's own messages.
func Logger(l *log.Logger) func(*Settings) {
	return func(s *Settings) { s.logger = l }
}

func apply(settings []func(*Settings)) *Settings {
	s := &Settings{}
	for _, f := range settings {
		f(s)
	}
	return s
}

// NewWithPassword makes a client that logs in with a password. As in
// gokrb5 it returns no error; a problem shows up at Login.
func NewWithPassword(username, realm, password string, krb5conf *config.Config,
	settings ...func(*Settings)) *Client {
	s := apply(settings)
	cl := &Client{Credentials: credentials.New(username, realm), Config: krb5conf,
		logger: s.logger}
	cl.c, cl.initErr = krb5.NewWithPassword(username, realm, password, krb5conf)
	return cl
}

// NewWithKeytab makes a client that logs in with a key from kt. The keys
// are copied into wipeable memory; the caller keeps kt.
func NewWithKeytab(username, realm string, kt *keytab.Keytab, krb5conf *config.Config,
	settings ...func(*Settings)) *Client {
	s := apply(settings)
	cl := &Client{Credentials: credentials.New(username, realm), Config: krb5conf,
		logger: s.logger}
	cl.kt, cl.initErr = krb5.NewKeytab(kt)
	if cl.initErr == nil {
		cl.c, cl.initErr = krb5.NewWithKeytab(username, realm, cl.kt, krb5conf)
	}
	return cl
}

// NewFromCCache makes a client from a gokrb5 credential cache.
func NewFromCCache(c *credentials.CCache, krb5conf *config.Config,
	settings ...func(*Settings)) (*Client, error) {
	s := apply(settings)
	kc, err := krb5.NewFromGokrb5CCache(c, krb5conf)
	if err != nil {
		return nil, err
	}
	p := kc.Principal()
	return &Client{Credentials: credentials.NewFromPrincipalName(p, kc.Realm()),
		Config: krb5conf, c: kc, logger: s.logger}, nil
}

// Login obtains a TGT.
func (cl *Client) Login() error {
	if cl.initErr != nil {
		return cl.initErr
	}
	return cl.c.Login(context.Background())
}

// AffirmLogin logs in unless the client holds a valid TGT.
func (cl *Client) AffirmLogin() error {
	if cl.initErr != nil {
		return cl.initErr
	}
	if _, err := cl.c.TGT(); err == nil {
		return nil
	}
	return cl.Login()
}

// GetServiceTicket returns a ticket for spn and a copy of its session
// key, from the client's cache when it holds a valid one.
func (cl *Client) GetServiceTicket(spn string) (messages.Ticket, types.EncryptionKey, error) {
	if cl.initErr != nil {
		return messages.Ticket{}, types.EncryptionKey{}, cl.initErr
	}
	return cl.c.GetServiceTicket(spn)
}

// GetCachedTicket returns a ticket for spn ("service/host", optionally
// with "@REALM") and a copy of its session key when the client's cache
// holds one that is valid now, without asking the KDC. ok is false
// otherwise, also after Destroy.
func (cl *Client) GetCachedTicket(spn string) (tkt messages.Ticket, key types.EncryptionKey,
	ok bool) {
	if cl.initErr != nil {
		return messages.Ticket{}, types.EncryptionKey{}, false
	}
	tickets, err := cl.c.Tickets()
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, false
	}
	now := time.Now()
	for _, t := range tickets {
		name := strings.Join(t.Server.NameString, "/")
		if spn != name && spn != name+"@"+t.ServerRealm {
			continue
		}
		if now.Before(t.StartTime) || !now.Before(t.EndTime) {
			continue
		}
		err := t.UseSessionKey(func(k types.EncryptionKey) error {
			key = types.EncryptionKey{KeyType: k.KeyType,
				KeyValue: append([]byte(nil), k.KeyValue...)}
			return nil
		})
		if err == nil {
			return t.Ticket, key, true
		}
	}
	return messages.Ticket{}, types.EncryptionKey{}, false
}

// ChangePasswd changes the client's password to newPasswd (RFC 3244),
// as gokrb5's does: true on success; a refusal is an error, a
// *krb5.PasswordChangeError. See krb5.Client.ChangePassword.
func (cl *Client) ChangePasswd(newPasswd string) (bool, error) {
	if cl.initErr != nil {
		return false, cl.initErr
	}
	if err := cl.c.ChangePassword(context.Background(), newPasswd); err != nil {
		return false, err
	}
	return true, nil
}

// IsConfigured reports whether the client could be made.
func (cl *Client) IsConfigured() (bool, error) {
	if cl.initErr != nil {
		return false, cl.initErr
	}
	return true, nil
}

// Destroy stops the client's renewal goroutine and waits for it, waits
// for calls in flight and wipes every key. Later calls fail with
// krb5.ErrClosed.
func (cl *Client) Destroy() {
	if cl.c != nil {
		cl.c.Close()
	}
	if cl.kt != nil {
		cl.kt.Close()
	}
}

// Log writes to the logger given with the Logger setting, if any.
func (cl *Client) Log(format string, v ...interface{}) {
	if cl.logger != nil {
		cl.logger.Printf(format, v...)
	}
}

// Unwrap returns the underlying krb5 client, or nil if it could not be
// made; gssapi's HTTP client takes it.
func (cl *Client) Unwrap() *krb5.Client { return cl.c }
