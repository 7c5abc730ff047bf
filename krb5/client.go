package krb5

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"

	"golang.org/x/sync/singleflight"

	"github.com/safekrb5/safekrb5/internal/filewatch"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// Client logs in to a KDC and obtains service tickets. It is a live object
// of the krb5 module, safe for concurrent use. Close stops its renewal
// goroutine, waits for calls in flight and wipes every key it holds; calls
// that start after Close fail with ErrClosed.
// Only the New functions make a usable Client; the methods of a zero one
// panic.
type Client struct {
	obj      *lifecycle.Object
	settings settings
	log      *slog.Logger
	cname    types.PrincipalName
	realm    string

	// Long-term credentials; both nil for a client made from a ccache.
	// password is owned by the client, keytab by the caller unless
	// ownKeytab is set.
	password  *support.Secret
	keytab    *Keytab
	ownKeytab bool
	// changedPassword, once ChangePassword succeeded, replaces password;
	// see currentPassword. It is wiped on Close.
	changedPassword atomic.Pointer[support.Secret]

	// offset is the KDC clock minus ours, in nanoseconds, learned from a
	// KDC that reported skew.
	offset atomic.Int64

	// loginMu serialises logins and renewals, so that concurrent logins
	// neither race nor start two renewal goroutines.
	loginMu sync.Mutex

	// mu guards tgt, tickets and the renewal goroutine's handles.
	mu          sync.Mutex
	tgt         *ServiceTicket
	tickets     map[string]*ServiceTicket
	retired     []*ServiceTicket // replaced, kept until expired; see retiredLocked
	fetches     singleflight.Group
	renewCancel context.CancelFunc
	renewDone   chan struct{}

	// ccMu guards the credential cache file a client was made from, the
	// state of the file when it was last read, the DIR collection whose
	// primary member it follows, and whether a new primary is unread.
	ccMu    sync.Mutex
	ccPath  string
	ccFile  *filewatch.Snapshot
	ccDir   string
	ccStale bool

	// config holds the configurations the client was given, as
	// versions: each call pins the one in force when it started (see
	// config_reload.go). The configurations are never modified.
	config *lifecycle.Versions[*config.Config]
	// configMu serialises configuration reloads and guards the files
	// read last and their state then.
	configMu    sync.Mutex
	configPaths []string
	configFiles filewatch.Watch
	// configCtx, configStop and configDone run, stop and wait for the
	// goroutine that reloads the configuration (WithConfigReload); nil
	// without one.
	configCtx  context.Context
	configStop context.CancelFunc
	configDone chan struct{}
}

// NewWithPassword makes a client that logs in as username@realm with a
// password. The password is copied into a support.Secret and wiped on
// Close. cfg is read, never modified; the caller keeps it. No network
// traffic happens until Login.
func NewWithPassword(username, realm, password string, cfg *config.Config,
	opts ...Option) (*Client, error) {
	secret, err := support.NewSecretString(password)
	if err != nil {
		return nil, err
	}
	c, err := newClient(username, realm, cfg, opts)
	if err != nil {
		secret.Destroy()
		return nil, err
	}
	c.password = secret
	return c, nil
}

// NewWithKeytab makes a client that logs in as username@realm with a key
// from kt. The caller keeps ownership of kt and must keep it open while
// the client may log in.
func NewWithKeytab(username, realm string, kt *Keytab, cfg *config.Config,
	opts ...Option) (*Client, error) {
	if kt == nil {
		return nil, errors.New("krb5: NewWithKeytab: nil keytab")
	}
	c, err := newClient(username, realm, cfg, opts)
	if err != nil {
		return nil, err
	}
	c.keytab = kt
	return c, nil
}

// NewWithClientKeytab makes a client that logs in as username@realm with
// a key from the client keytab MIT's library would use:
// KRB5_CLIENT_KTNAME, else default_client_keytab_name of cfg (see
// DefaultClientKeytabName). The client owns that keytab and closes it on
// Close. A missing keytab is an error here, not at Login. Once krb5 is
// shutting down or finalized it fails with that error before it looks
// for the keytab.
func NewWithClientKeytab(username, realm string, cfg *config.Config,
	opts ...Option) (*Client, error) {
	if err := modules.KRB5.Refuses(); err != nil {
		return nil, err
	}
	kt, err := LoadKeytab(DefaultClientKeytabName(cfg))
	if err != nil {
		return nil, err
	}
	c, err := NewWithKeytab(username, realm, kt, cfg, opts...)
	if err != nil {
		kt.Close()
		return nil, err
	}
	c.ownKeytab = true
	return c, nil
}

func newClient(username, realm string, cfg *config.Config, opts []Option) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("krb5: nil configuration")
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return nil, fmt.Errorf("krb5: %w", ErrNoDefaultRealm)
	}
	c := &Client{
		settings: defaultSettings(),
		cname:    types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, username),
		realm:    realm,
		tickets:  make(map[string]*ServiceTicket),
	}
	for _, o := range opts {
		o(&c.settings)
	}
	if c.settings.enterprise {
		c.cname = types.PrincipalName{
			NameType:   nametype.KRB_NT_ENTERPRISE,
			NameString: []string{username},
		}
	}
	c.config = lifecycle.NewVersions[*config.Config](modules.KRB5,
		"configuration", "client "+c.PrincipalString())
	c.config.Install(cfg, nil, c.settings.clock.Now())
	c.log = support.Tracer(c.settings.logger)
	// Everything release uses is in place before the client becomes a
	// live object, which a forceful close of the module may release at
	// once.
	c.prepareConfigReload()
	obj, err := clientKind.NewObject(c.release)
	if err != nil {
		if c.configStop != nil {
			c.configStop()
		}
		return nil, err
	}
	c.obj = obj
	c.runConfigReload()
	lifecycle.WatchLeak(c, obj)
	return c, nil
}

// Realm returns the client's realm.
func (c *Client) Realm() string { return c.realm }

// Principal returns the client's principal name, without the realm.
func (c *Client) Principal() types.PrincipalName { return c.cname }

// PrincipalString returns the client principal as "name@REALM", in MIT's
// unparsed form: "/", "@", the backslash and control characters inside a
// component or the realm are escaped with a backslash, so the string
// parses back to the same name.
func (c *Client) PrincipalString() string {
	return unparse(c.cname, c.realm)
}

// unparse is MIT's krb5_unparse_name of name@realm.
func unparse(name types.PrincipalName, realm string) string {
	return krbname.Principal{Realm: realm, Components: name.NameString}.String()
}

// now returns the time corrected by the KDC offset.
func (c *Client) now() time.Time {
	return c.settings.clock.Now().Add(time.Duration(c.offset.Load()))
}

func (c *Client) trace(ctx context.Context, msg string, args ...any) {
	if c.log != nil && c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, msg, append([]any{"client", c.PrincipalString()}, args...)...)
	}
}

// Login obtains a TGT with the client's password or keytab (the AS
// exchange, RFC 4120 section 3.1), replacing any TGT the client had, and
// starts keeping it fresh unless DisableAutoRenew was given. A client made
// from a ccache has no long-term key: Login succeeds if its TGT is still
// valid. A wrong password fails with an error matching ErrPreauthFailed.
func (c *Client) Login(ctx context.Context) error {
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	if c.password == nil && c.keytab == nil {
		c.reloadCCache(ctx)
		if t := c.currentTGT(); t != nil && t.valid(c.now(), 0) {
			return nil
		}
		return fmt.Errorf("krb5: login: %w", ErrTicketExpired.With(
			"the client has no password or keytab to log in again", nil))
	}
	ctx, unpin := c.pin(ctx)
	defer unpin()
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	tgt, err := c.asExchange(ctx)
	if err != nil {
		return err
	}
	c.setTGT(tgt)
	c.startRenewal()
	return nil
}

// currentTGT returns the TGT, or nil.
func (c *Client) currentTGT() *ServiceTicket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tgt
}

// TGT returns the client's current TGT. It fails with ErrCredNotFound if
// the client has not logged in.
func (c *Client) TGT() (*ServiceTicket, error) {
	if err := c.obj.Enter(); err != nil {
		return nil, err
	}
	defer c.obj.Leave()
	if t := c.currentTGT(); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("krb5: %w", ErrCredNotFound.With("no TGT: not logged in", nil))
}

// setTGT installs a new TGT. The old one's key is not wiped here: a
// ServiceTicket handed out earlier may still be in use, and it is wiped
// when the client closes.
func (c *Client) setTGT(t *ServiceTicket) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tgt != nil {
		c.retiredLocked(c.tgt)
	}
	c.tgt = t
}

// retiredKey was the ticket map's slot for replaced tickets; replaced
// tickets now live in Client.retired, and no key equals it.
const retiredKey = "\x00retired"

// retiredGrace is how long after its end a replaced ticket keeps its key:
// a caller that got it just before it was replaced may still be using it.
const retiredGrace = 10 * time.Minute

// retiredLocked keeps a replaced ticket, whose key a caller may still be
// using, until it has expired; then its key is wiped. The list stays
// short: tickets are replaced when they near their end, or renewed.
func (c *Client) retiredLocked(t *ServiceTicket) {
	now := c.now()
	kept := c.retired[:0]
	for _, old := range c.retired {
		if old == t {
			continue
		}
		if now.After(old.EndTime.Add(retiredGrace)) {
			old.destroy()
			continue
		}
		kept = append(kept, old)
	}
	c.retired = append(kept, t)
}

// Tickets returns the service tickets in the client's cache.
func (c *Client) Tickets() ([]*ServiceTicket, error) {
	if err := c.obj.Enter(); err != nil {
		return nil, err
	}
	defer c.obj.Leave()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[*ServiceTicket]bool{}
	var out []*ServiceTicket
	for k, t := range c.tickets {
		if k == retiredKey || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out, nil
}

// Close stops the renewal goroutine and waits for it, waits for calls in
// flight, wipes the password and every session key, and releases the
// client's reference on the krb5 module. A second Close returns ErrClosed.
func (c *Client) Close() error { return c.obj.Close() }

// Destroy closes the client, as gokrb5's Client.Destroy does, but waits
// for the renewal goroutine.
func (c *Client) Destroy() { c.Close() }

// release runs exactly once, from Close or from a forceful teardown of the
// module, after the calls in flight have left.
func (c *Client) release() {
	c.stopConfigReload()
	c.mu.Lock()
	cancel, done := c.renewCancel, c.renewDone
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tgt.destroy()
	c.tgt = nil
	for k, t := range c.tickets {
		t.destroy()
		delete(c.tickets, k)
	}
	for _, t := range c.retired {
		t.destroy()
	}
	c.retired = nil
	if c.password != nil {
		c.password.Destroy()
	}
	if p := c.changedPassword.Swap(nil); p != nil {
		p.Destroy()
	}
	if c.ownKeytab {
		c.keytab.Close()
	}
	c.config.Close()
}

// currentPassword returns the password to log in with: the one set by
// the last ChangePassword, else the one the client was made with.
func (c *Client) currentPassword() *support.Secret {
	if p := c.changedPassword.Load(); p != nil {
		return p
	}
	return c.password
}
