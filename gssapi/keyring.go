package gssapi

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// ErrNotReloadable is returned by Reload, and by the constructors given a
// reload option, for a credential made from a *krb5.Keytab rather than
// from a keytab file: there is no file to read again.
var ErrNotReloadable = errors.New(
	"gssapi: credential was not made from a keytab file")

// ReloadError reports a keytab file that could not be read again. The
// keys in force before the attempt stay in force.
type ReloadError struct {
	// Path is the keytab file.
	Path string
	// Err says what was wrong: the file does not open, does not parse
	// (krb5.ErrKTFormat, naming the field and offset), or holds no key
	// the credential could use.
	Err error
}

// Error names the file and the cause, never the file's bytes.
func (e *ReloadError) Error() string {
	return "gssapi: reloading keytab " + e.Path + ": " + e.Err.Error() +
		"; the previous keys stay in force"
}

// Unwrap returns the cause.
func (e *ReloadError) Unwrap() error { return e.Err }

// KeySetStats describes one generation of an acceptor credential's keys.
type KeySetStats struct {
	// Generation numbers the key sets of one credential from 1.
	Generation uint64 `json:"generation"`
	// Current is set for the key set new accepts look in first.
	Current bool `json:"current"`
	// Loaded is when the set was read; Retired when a newer set
	// replaced it (zero while current).
	Loaded  time.Time `json:"loaded"`
	Retired time.Time `json:"retired,omitzero"`
	// GraceUntil is when a retired set stops being searched for tickets
	// whose key the current set lacks (zero without a grace period).
	GraceUntil time.Time `json:"grace_until,omitzero"`
	// Searched reports whether accepts still look keys up in the set:
	// it is current or within its grace period.
	Searched bool `json:"searched"`
	// Pins counts the security contexts established with one of the
	// set's keys and the accepts in flight using it. A set that is no
	// longer searched is wiped when its pins drop to zero.
	Pins int `json:"pins"`
	// Keys is the number of keys; KVNOs their distinct key version
	// numbers, ascending.
	Keys  int      `json:"keys"`
	KVNOs []uint32 `json:"kvnos"`
}

// AcceptorStats is a snapshot of an acceptor credential's key sets and
// reloads.
type AcceptorStats struct {
	// Path is the keytab file, "" for a credential made from a
	// *krb5.Keytab.
	Path string `json:"path,omitempty"`
	// Generation is the current key set's.
	Generation uint64 `json:"generation"`
	// Reloads and ReloadFailures count reload attempts since the
	// credential was made; LastError describes the last failure and is
	// cleared by a successful reload.
	Reloads        uint64    `json:"reloads"`
	ReloadFailures uint64    `json:"reload_failures"`
	LastReload     time.Time `json:"last_reload,omitzero"`
	LastError      string    `json:"last_error,omitempty"`
	// KeySets lists every key set whose keys are not wiped yet, oldest
	// first.
	KeySets []KeySetStats `json:"key_sets"`
}

// keySet is one generation of an acceptor credential's keys: a keytab
// as read at one time.
//
// A key set is reference-counted. The keyring holds one reference while
// the set is searched (current, or retired within its grace period);
// every accept holds one while it uses a key of the set, and hands it
// to the SecurityContext it establishes, which drops it on Close. The
// last release wipes the keys by closing the keytab, when the keyring
// read it; a keytab the caller passed in stays the caller's.
//
// This mirrors the module generations of internal/lifecycle, at the
// scale of one credential: a lifecycle.Generation belongs to a module,
// with load hooks, dependents and a single current generation torn down
// by the module's own reference count, while a credential needs several
// key sets alive at once, each pinned by contexts and wiped on its own.
type keySet struct {
	gen    uint64
	kt     *krb5.Keytab
	owned  bool // the keyring read kt and closes it
	loaded time.Time
	keys   int
	kvnos  []uint32
	ring   *keyring

	// refs counts the references described above. Once it reaches zero
	// it never rises again: tryPin refuses.
	refs atomic.Int64

	// Guarded by ring.mu.
	retired    time.Time
	graceUntil time.Time
	held       bool // the keyring's reference is still held
}

// tryPin takes a reference unless the set is already released.
func (ks *keySet) tryPin() bool {
	for {
		n := ks.refs.Load()
		if n <= 0 {
			return false
		}
		if ks.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// unpin drops a reference; the last one wipes the set's keys.
func (ks *keySet) unpin() {
	if ks == nil {
		return
	}
	if ks.refs.Add(-1) == 0 {
		ks.ring.wipe(ks)
	}
}

// fileStamp identifies one version of a file: a replacement by rename
// changes the inode, a rewrite in place the size or the modification
// time.
type fileStamp struct {
	mtime time.Time
	size  int64
	ino   uint64
	ok    bool
}

func statStamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	s := fileStamp{mtime: fi.ModTime(), size: fi.Size(), ok: true}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s
}

// keyring holds an acceptor credential's key sets. It is safe for
// concurrent use.
type keyring struct {
	name  string // the keytab's name as given, "" for a caller's keytab
	path  string // the file to watch, "" when there is none
	grace time.Duration
	clock support.Clock
	only  *types.PrincipalName // keys a reloaded keytab must have
	realm string

	// cur is the current key set, nil after close.
	cur atomic.Pointer[keySet]

	// reloadMu serialises reloads and guards stamp, the version of the
	// file last read, successfully or not.
	reloadMu sync.Mutex
	stamp    fileStamp

	// mu guards live, the retirement fields of every set, and the
	// counters below.
	mu         sync.Mutex
	live       []*keySet // sets not yet wiped, oldest first
	gens       uint64
	reloads    uint64
	failures   uint64
	lastReload time.Time
	lastErr    error

	// onWipe, when set (by tests), is called after a set's keys were
	// wiped, with the set's generation.
	onWipe func(gen uint64)
}

// keytabFilePath returns the file a keytab name refers to, or "" when
// it names no file (MEMORY:).
func keytabFilePath(name string) string {
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.HasPrefix(name, "/") || strings.Contains(typ, "/") {
		return name
	}
	switch strings.ToUpper(typ) {
	case "FILE", "WRFILE":
		return rest
	}
	return ""
}

// initKeytab makes the first key set from a keytab the caller owns.
func (r *keyring) initKeytab(kt *krb5.Keytab) {
	r.install(r.newSet(kt, false))
}

// initFile reads the first key set from the keytab file name.
func (r *keyring) initFile(name string) error {
	r.name, r.path = name, keytabFilePath(name)
	stamp := statStamp(r.path)
	kt, err := r.load()
	if err != nil {
		return err
	}
	r.stamp = stamp
	r.install(r.newSet(kt, true))
	return nil
}

// load reads the keytab file and checks that it holds keys the
// credential can use.
func (r *keyring) load() (*krb5.Keytab, error) {
	kt, err := krb5.LoadKeytab(r.name)
	if err != nil {
		return nil, &ReloadError{Path: r.name, Err: err}
	}
	entries, err := kt.Entries()
	if err == nil {
		err = r.usable(entries)
	}
	if err != nil {
		kt.Close()
		return nil, &ReloadError{Path: r.name, Err: err}
	}
	return kt, nil
}

// usable refuses a keytab without keys, or without keys for the one
// principal the credential is restricted to.
func (r *keyring) usable(entries []krb5.KeytabEntry) error {
	if len(entries) == 0 {
		return gssErr(errortables.GSSNoCred, nil, "the keytab holds no keys", nil)
	}
	if r.only == nil {
		return nil
	}
	for _, e := range entries {
		if sameName(e.Principal, *r.only) &&
			(r.realm == "" || r.realm == e.Realm) {
			return nil
		}
	}
	return gssErr(errortables.GSSNoCred, errortables.ErrNoKey,
		"the keytab holds no key for "+r.only.PrincipalNameString(), nil)
}

func (r *keyring) newSet(kt *krb5.Keytab, owned bool) *keySet {
	ks := &keySet{kt: kt, owned: owned, loaded: r.clock.Now(), ring: r,
		held: true}
	ks.refs.Store(1)
	if entries, err := kt.Entries(); err == nil {
		ks.keys = len(entries)
		for _, e := range entries {
			if !slices.Contains(ks.kvnos, e.KVNO) {
				ks.kvnos = append(ks.kvnos, e.KVNO)
			}
		}
		slices.Sort(ks.kvnos)
	}
	return ks
}

// install makes ks the current set and retires the one it replaces:
// with a grace period the old set stays searched until it ends,
// without one the keyring lets it go at once, and its keys are wiped as
// soon as no context pins them.
func (r *keyring) install(ks *keySet) {
	now := r.clock.Now()
	r.mu.Lock()
	r.gens++
	ks.gen = r.gens
	r.live = append(r.live, ks)
	old := r.cur.Swap(ks)
	var drop *keySet
	if old != nil {
		old.retired = now
		if r.grace > 0 {
			old.graceUntil = now.Add(r.grace)
		} else {
			old.held = false
			drop = old
		}
	}
	r.mu.Unlock()
	drop.unpin()
}

// reload reads the keytab file again and, if it holds usable keys,
// makes them the current set. On failure the current set stays.
func (r *keyring) reload() error {
	if r.name == "" {
		return ErrNotReloadable
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	return r.reloadLocked(statStamp(r.path))
}

// reloadIfChanged reloads when the file's stamp differs from the one
// last read. It reports whether it tried.
func (r *keyring) reloadIfChanged() (bool, error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	stamp := statStamp(r.path)
	if !stamp.ok || stamp == r.stamp {
		return false, nil
	}
	return true, r.reloadLocked(stamp)
}

// reloadLocked does reload's work with reloadMu held. stamp was taken
// before reading, so a change made while the file is read is seen by
// the next poll.
func (r *keyring) reloadLocked(stamp fileStamp) error {
	r.stamp = stamp
	kt, err := r.load()
	now := r.clock.Now()
	r.mu.Lock()
	r.lastReload = now
	if err != nil {
		r.failures++
		r.lastErr = err
		r.mu.Unlock()
		return err
	}
	r.reloads++
	r.lastErr = nil
	r.mu.Unlock()
	r.install(r.newSet(kt, true))
	return nil
}

// expire stops searching retired sets whose grace period is over.
func (r *keyring) expire() {
	r.unhold(func(ks *keySet, now time.Time) bool {
		return ks != r.cur.Load() && !now.Before(ks.graceUntil)
	})
}

// close lets every set go: those no context pins are wiped now, the
// others when their last context closes.
func (r *keyring) close() {
	r.cur.Store(nil)
	r.unhold(func(*keySet, time.Time) bool { return true })
}

// unhold drops the keyring's reference on the held sets for which f
// reports true.
func (r *keyring) unhold(f func(ks *keySet, now time.Time) bool) {
	now := r.clock.Now()
	var drop []*keySet
	r.mu.Lock()
	for _, ks := range r.live {
		if ks.held && f(ks, now) {
			ks.held = false
			drop = append(drop, ks)
		}
	}
	r.mu.Unlock()
	for _, ks := range drop {
		ks.unpin()
	}
}

// wipe runs once per set, when its last reference is gone.
func (r *keyring) wipe(ks *keySet) {
	if ks.owned {
		ks.kt.Close()
	}
	r.mu.Lock()
	if i := slices.Index(r.live, ks); i >= 0 {
		r.live = slices.Delete(r.live, i, i+1)
	}
	hook := r.onWipe
	r.mu.Unlock()
	if hook != nil {
		hook(ks.gen)
	}
}

// pinCurrent returns the current set with a reference taken, or nil
// after close.
func (r *keyring) pinCurrent() *keySet {
	for {
		ks := r.cur.Load()
		if ks == nil || ks.tryPin() {
			return ks
		}
		// Replaced and released between the load and the pin: the
		// replacement was stored before the release, so the next load
		// sees it.
	}
}

// pinRetired returns the retired sets still within their grace period,
// newest first, each with a reference taken.
func (r *keyring) pinRetired(cur *keySet) []*keySet {
	if r.grace <= 0 {
		return nil
	}
	now := r.clock.Now()
	var out []*keySet
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.live) - 1; i >= 0; i-- {
		ks := r.live[i]
		if ks != cur && ks.held && now.Before(ks.graceUntil) && ks.tryPin() {
			out = append(out, ks)
		}
	}
	return out
}

// useKey finds the key for a ticket, as krb5.Keytab.UseKey does, in the
// current set and then in the retired sets within their grace period.
// On success the set whose key f used is returned pinned, and the caller
// must unpin it; on failure nothing stays pinned. A ticket whose kvno
// the current set has is never tried with an older set's key.
func (r *keyring) useKey(sname types.PrincipalName, realm string, kvno uint32,
	etype int32, f func(key types.EncryptionKey, kvno uint32) error) (*keySet,
	error) {
	cur := r.pinCurrent()
	if cur == nil {
		return nil, ErrClosed
	}
	err := cur.kt.UseKey(sname, realm, kvno, etype, f)
	if err == nil {
		return cur, nil
	}
	cur.unpin()
	if !errors.Is(err, krb5.ErrNoKey) || r.grace <= 0 {
		return nil, err
	}
	r.expire()
	old := r.pinRetired(cur)
	var found *keySet
	done := false
	for _, ks := range old {
		if done {
			ks.unpin()
			continue
		}
		switch e := ks.kt.UseKey(sname, realm, kvno, etype, f); {
		case e == nil:
			found, done = ks, true
		case errors.Is(e, krb5.ErrNoKey):
			ks.unpin()
		default:
			// The right kvno, but the ticket does not decrypt.
			ks.unpin()
			err, done = e, true
		}
	}
	if found != nil {
		return found, nil
	}
	return nil, err
}

// stats describes the key sets.
func (r *keyring) stats() AcceptorStats {
	cur := r.cur.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	s := AcceptorStats{
		Path:           r.name,
		Reloads:        r.reloads,
		ReloadFailures: r.failures,
		LastReload:     r.lastReload,
		KeySets:        make([]KeySetStats, 0, len(r.live)),
	}
	if cur != nil {
		s.Generation = cur.gen
	}
	if r.lastErr != nil {
		s.LastError = r.lastErr.Error()
	}
	for _, ks := range r.live {
		pins := int(ks.refs.Load())
		if ks.held {
			pins--
		}
		s.KeySets = append(s.KeySets, KeySetStats{
			Generation: ks.gen,
			Current:    ks == cur,
			Loaded:     ks.loaded,
			Retired:    ks.retired,
			GraceUntil: ks.graceUntil,
			Searched:   ks.held,
			Pins:       max(pins, 0),
			Keys:       ks.keys,
			KVNOs:      slices.Clone(ks.kvnos),
		})
	}
	return s
}

// WithKeyGrace keeps the keys of a replaced key set in use for d after a
// reload, for tickets whose kvno the new file no longer holds. Without
// it (or with d <= 0) a ticket is accepted only with a key of the
// current file; a file that keeps the previous kvno's entries, as MIT's
// ktadd does when it adds to an existing keytab, needs no grace period.
// Retired sets are checked for the end of their grace period when an
// accept needs them, and at least every quarter of the clock skew.
func WithKeyGrace(d time.Duration) AcceptorOption {
	return func(s *acceptorSettings) { s.grace = max(d, 0) }
}

// WithKeytabWatch makes a credential made from a keytab file poll the
// file every interval and reload it when it was replaced or rewritten
// (its inode, size or modification time changed). Replace the file
// atomically, by writing a temporary file and renaming it over the old
// one: a half-written file fails to parse and leaves the old keys in
// force until the next change.
func WithKeytabWatch(interval time.Duration) AcceptorOption {
	return func(s *acceptorSettings) { s.watch = max(interval, 0) }
}

// WithReloadSignal makes a credential made from a keytab file reload it
// each time a value arrives on ch, typically a channel given to
// signal.Notify for SIGHUP. The credential only reads ch; closing ch
// stops the reloads it triggers. Calling Reload from one's own handler
// does the same.
func WithReloadSignal(ch <-chan os.Signal) AcceptorOption {
	return func(s *acceptorSettings) { s.signal = ch }
}

// WithReloadNotify calls f after every reload the credential starts by
// itself (WithKeytabWatch, WithReloadSignal) with its outcome: nil, or a
// *ReloadError after which the previous keys stay in force. f runs on
// the credential's goroutine and must not block for long or call Close.
func WithReloadNotify(f func(error)) AcceptorOption {
	return func(s *acceptorSettings) { s.notify = f }
}

// Reload reads the credential's keytab file again and makes its keys the
// current key set: accepts that start afterwards use them, accepts in
// flight and established contexts keep the set they started with. If
// the file does not read, does not parse or holds no usable key, the
// keys in force stay and the error is a *ReloadError naming the file.
// A credential made from a *krb5.Keytab fails with ErrNotReloadable.
func (ac *AcceptorCredential) Reload() error {
	if err := ac.obj.Enter(); err != nil {
		return err
	}
	defer ac.obj.Leave()
	return ac.keys.reload()
}

// reported passes the outcome of a reload the credential started to the
// WithReloadNotify function, and traces it.
func (ac *AcceptorCredential) reported(err error) {
	if err != nil {
		support.Tracer(nil).Debug("gssapi: keytab reload failed",
			"err", err.Error())
	} else {
		support.Tracer(nil).Debug("gssapi: keytab reloaded",
			"path", ac.keys.name, "generation", ac.keys.stats().Generation)
	}
	if ac.notify != nil {
		ac.notify(err)
	}
}

// Stats describes the credential's key sets: the generation in force,
// the older ones whose keys are not wiped yet and how many contexts pin
// each, and the reloads so far. It may be called after Close, to watch
// the last sets being released as their contexts close.
func (ac *AcceptorCredential) Stats() AcceptorStats {
	ac.keys.expire()
	return ac.keys.stats()
}

// adoptKeys makes sc hold the reference on the key set its ticket
// decrypted with until sc is released.
func (sc *SecurityContext) adoptKeys(ks *keySet) {
	if ks == nil {
		return
	}
	sc.keys.Store(ks)
	if sc.obj.Err() != nil {
		// Closed or finalized meanwhile: its release may have run
		// before the store.
		sc.releaseKeys()
	}
}

// releaseKeys drops the context's key set reference, once.
func (sc *SecurityContext) releaseKeys() {
	if ks := sc.keys.Swap(nil); ks != nil {
		ks.unpin()
	}
}

// keyPin is where a SecurityContext keeps its key set reference.
type keyPin = atomic.Pointer[keySet]

// takeKeys hands the accept's key set reference to the caller.
func (a *accepted) takeKeys() *keySet {
	ks := a.keys
	a.keys = nil
	return ks
}
