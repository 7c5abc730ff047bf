package krb5

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/internal/filewatch"
	"github.com/safekrb5/safekrb5/internal/krb5conf"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
)

// ConfigReload says which configuration files a client reads again and
// when, for WithConfigReload.
type ConfigReload struct {
	// Files are the configuration files, most important first, as in
	// KRB5_CONFIG; none means the files LoadConfig reads (KRB5_CONFIG's,
	// or /etc/krb5.conf). The configuration the client is made with is
	// taken to be their content.
	Files []string
	// Watch, when positive, makes the client look at the files, the
	// files and directories they include, and the named files that do
	// not exist yet, every Watch, and reload when one was replaced,
	// rewritten, added or removed and then stayed the same for one
	// interval, so that a file rewritten in place is read whole. While
	// every one of them is missing, as during a replacement that
	// removes the old file first, the configuration in force stays.
	Watch time.Duration
	// Signal, when not nil, makes the client reload each time a value
	// arrives, typically a channel given to signal.Notify for SIGHUP.
	// The client only reads it; closing it stops these reloads. Give
	// each client its own channel: a signal reaches one reader.
	Signal <-chan os.Signal
	// Notify, when not nil, is called after every reload that Watch or
	// Signal started, with its outcome: nil, or a *ConfigReloadError
	// after which the configuration in force stays. It runs on the
	// client's goroutine and must not block for long or call Close.
	Notify func(error)
}

// WithConfigReload makes the client read its configuration files again,
// by itself, as r says: every call that starts afterwards uses the new
// configuration, calls in flight finish with the one they started with,
// and files that do not parse leave the configuration in force. The
// client runs one goroutine for it, which Close stops. ReloadConfig
// without arguments reads r.Files.
func WithConfigReload(r ConfigReload) Option {
	r.Files = slices.Clone(r.Files)
	return func(s *settings) { s.configReload = &r }
}

// ConfigReloadError reports configuration files that could not be read
// again. The configuration in force before the attempt stays in force.
// It unwraps to its cause, whose text names the file and the line of a
// syntax error, and also to ErrConfigSyntax for one.
type ConfigReloadError struct {
	// Files are the files that were to be read, most important first.
	Files []string
	// Err says what was wrong: a syntax error, an include that does not
	// read, a value that does not convert, or no file found at all.
	Err error
}

// Error names the cause and says that nothing changed.
func (e *ConfigReloadError) Error() string {
	return "krb5: reloading configuration " + strings.Join(e.Files, ":") +
		": " + e.Err.Error() + "; the previous configuration stays in force"
}

// Unwrap returns the cause and, for a syntax error, ErrConfigSyntax.
func (e *ConfigReloadError) Unwrap() []error {
	var se *krb5conf.SyntaxError
	if errors.As(e.Err, &se) {
		return []error{e.Err, ErrConfigSyntax}
	}
	return []error{e.Err}
}

// Config returns the configuration the client uses now. The caller must
// not modify it.
func (c *Client) Config() *config.Config { return c.config.Latest() }

// SetConfig makes the client use cfg for the calls that start from now
// on; calls in flight finish with the configuration they started with.
// The client never modifies cfg. The krb5 module's statistics
// (ModuleStats) list, from the first change on, the configurations
// still in use by the client's calls, kind "configuration".
func (c *Client) SetConfig(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("krb5: SetConfig: nil configuration")
	}
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	c.setConfig(cfg)
	return nil
}

// setConfig installs cfg and lets the previous configuration go once
// the calls that pinned it are done.
func (c *Client) setConfig(cfg *config.Config) {
	_, old := c.config.Install(cfg, nil, c.settings.clock.Now())
	c.config.Drop(func(v *configVersion) bool { return v == old })
	c.config.Show()
	c.trace(context.Background(), "configuration replaced")
}

// configVersion is one configuration of a client, counted by the calls
// that use it.
type configVersion = lifecycle.Version[*config.Config]

// ReloadConfig reads the named configuration files (by default those of
// WithConfigReload, else KRB5_CONFIG's or /etc/krb5.conf), with the files
// they include, and, if they parse, makes the client use them as
// SetConfig does. If they do not, or none of them exists, the
// configuration in force stays and the error is a *ConfigReloadError
// naming the file and line at fault. The files read become the ones a
// watch (WithConfigReload) looks at.
func (c *Client) ReloadConfig(paths ...string) error {
	if err := c.obj.Enter(); err != nil {
		return err
	}
	defer c.obj.Leave()
	return c.reloadConfig(paths)
}

// reloadConfig does ReloadConfig's work; nil paths reads the files read
// last.
func (c *Client) reloadConfig(paths []string) error {
	c.configMu.Lock()
	defer c.configMu.Unlock()
	if len(paths) == 0 {
		paths = c.configPathsLocked()
	}
	cfg, err := c.readConfigLocked(paths)
	if err != nil {
		return &ConfigReloadError{Files: paths, Err: err}
	}
	c.setConfig(cfg)
	return nil
}

// configPathsLocked returns the files read last, else those of
// WithConfigReload, else those LoadConfig reads.
func (c *Client) configPathsLocked() []string {
	if len(c.configPaths) > 0 {
		return c.configPaths
	}
	if r := c.settings.configReload; r != nil && len(r.Files) > 0 {
		return r.Files
	}
	return krb5conf.PathsFromEnv()
}

// readConfigLocked reads paths and records them, and the state of every
// file and directory they include, for the watch; it does so even when
// they do not parse, so that the same broken files are not read again
// until they change. The state is taken before the files are read, so a
// change made meanwhile is seen by the next look.
func (c *Client) readConfigLocked(paths []string) (*config.Config, error) {
	known := append(slices.Clone(paths), c.configFiles.Read().Paths()...)
	snap := filewatch.Take(known...)
	p, sources, err := krb5conf.LoadSources(paths...)
	snap.Add(sources...)
	c.configPaths = slices.Clone(paths)
	c.configFiles.Reset(snap)
	if err != nil {
		return nil, err
	}
	return p.Config()
}

// prepareConfigReload notes the state of the files the configuration
// came from and makes the context and channel of WithConfigReload's
// goroutine, which runConfigReload starts.
func (c *Client) prepareConfigReload() {
	r := c.settings.configReload
	if r == nil || (r.Watch <= 0 && r.Signal == nil) {
		return
	}
	c.configMu.Lock()
	paths := c.configPathsLocked()
	_, _ = c.readConfigLocked(paths) // learns the included files
	c.configMu.Unlock()
	c.config.Show()
	c.configCtx, c.configStop = context.WithCancel(context.Background())
	c.configDone = make(chan struct{})
}

// runConfigReload starts the goroutine prepareConfigReload prepared, if
// any. The client is a live object by then: a release that came first
// has ended the goroutine's context and waits for it to see so.
func (c *Client) runConfigReload() {
	if c.configStop != nil {
		go c.configLoop(c.configCtx, c.settings.configReload)
	}
}

// stopConfigReload stops the goroutine of WithConfigReload and waits for
// it.
func (c *Client) stopConfigReload() {
	if c.configStop != nil {
		c.configStop()
		<-c.configDone
	}
}

// configLoop reloads the configuration when its files change or a
// signal arrives, until ctx ends.
func (c *Client) configLoop(ctx context.Context, r *ConfigReload) {
	defer close(c.configDone)
	var poll <-chan time.Time
	if r.Watch > 0 {
		t := time.NewTicker(r.Watch)
		defer t.Stop()
		poll = t.C
	}
	sig := r.Signal
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll:
			if c.configChanged() {
				c.configReported(r, c.reloadConfig(nil))
			}
		case _, ok := <-sig:
			if !ok {
				sig = nil // closed: no more signals
				continue
			}
			c.configReported(r, c.reloadConfig(nil))
		}
	}
}

// configChanged reports whether a file of the configuration changed
// since it was read and has stayed the same since the previous look (see
// filewatch.Watch), not counting a moment when all of them are missing.
func (c *Client) configChanged() bool {
	c.configMu.Lock()
	defer c.configMu.Unlock()
	return c.configFiles.Due()
}

// configReported traces the outcome of a reload the client started and
// passes it to ConfigReload.Notify.
func (c *Client) configReported(r *ConfigReload, err error) {
	if err != nil {
		c.trace(context.Background(), "configuration reload failed",
			"err", err.Error())
	}
	if r.Notify != nil {
		r.Notify(err)
	}
}

type configKey struct{ c *Client }

// noUnpin is pin's release for a call that pinned nothing new.
func noUnpin() {}

// pin records the configuration in force in ctx, so that every step of
// one call uses the same configuration even if it is replaced meanwhile,
// and counts the call as a user of it until unpin is called. A ctx that
// carries the client's configuration already keeps it.
func (c *Client) pin(ctx context.Context) (_ context.Context, unpin func()) {
	key := configKey{c}
	if _, ok := ctx.Value(key).(*config.Config); ok {
		return ctx, noUnpin
	}
	v := c.config.Current()
	if v == nil { // closed: the call fails at its next check
		return context.WithValue(ctx, key, c.config.Latest()), noUnpin
	}
	return context.WithValue(ctx, key, v.Value()), v.Unpin
}

// conf returns the configuration pinned in ctx, or the current one.
func (c *Client) conf(ctx context.Context) *config.Config {
	if cfg, ok := ctx.Value(configKey{c}).(*config.Config); ok {
		return cfg
	}
	return c.config.Latest()
}
