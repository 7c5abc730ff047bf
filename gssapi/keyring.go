package gssapi

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/filewatch"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// ErrNotReloadable is returned by Reload, and by the constructors given a
// reload option, for a credential made from a *krb5.Keytab rather than
// from a keytab file: there is no file to read again.
var ErrNotReloadable = errors.New(
	"gssapi: credential was not made from a keytab file")

// ReloadError reports a keytab file that could not be read, by
// NewAcceptorCredentialFromFile or again later. After a failed reload
// the keys in force before the attempt stay in force.
type ReloadError struct {
	// Path is the keytab file (its name as given, for a keytab that is
	// not a file).
	Path string
	// Err says what was wrong: the file does not open, does not parse
	// (krb5.ErrKTFormat, naming the field and offset), or holds no key
	// the credential could use.
	Err error

	first bool // the constructor's read: there are no previous keys
}

// Error names the file and the cause, never the file's bytes.
func (e *ReloadError) Error() string {
	if e.first {
		return "gssapi: reading keytab " + e.Path + ": " + e.Err.Error()
	}
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
// as read at one time. It is the value of a lifecycle.Version, which
// counts its references: the keyring holds one while the set is
// searched (current, or retired within its grace period); every accept
// holds one while it uses a key of the set and hands it to the
// SecurityContext it establishes, which drops it on Close. The last
// release wipes the keys by closing the keytab, when the keyring read
// it; a keytab the caller passed in stays the caller's.
type keySet struct {
	kt    *krb5.Keytab
	owned bool // the keyring read kt and closes it
	keys  int
	kvnos []uint32 // ascending
}

// keyVersion is a key set with its reference count.
type keyVersion = lifecycle.Version[*keySet]

// newestKVNO is the highest key version number in the set.
func (ks *keySet) newestKVNO() uint32 {
	if len(ks.kvnos) == 0 {
		return 0
	}
	return ks.kvnos[len(ks.kvnos)-1]
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
	// eager makes an accept whose ticket names a key version newer
	// than the current set's look at the file before failing
	// (WithKeytabWatch).
	eager bool

	sets *lifecycle.Versions[*keySet]

	// reloadMu serialises reloads and guards file, which holds the
	// state of the file when it was last read, successfully or not, and
	// looked.
	reloadMu sync.Mutex
	file     filewatch.Watch
	// looked is when lookNow last looked at the file; guarded by
	// reloadMu.
	looked time.Time

	// mu guards the counters below and onWipe.
	mu         sync.Mutex
	reloads    uint64
	failures   uint64
	lastReload time.Time
	lastErr    error

	// onWipe, when set (by tests), is called after a set's keys were
	// wiped, with its generation and keytab.
	onWipe func(gen uint64, kt *krb5.Keytab)
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
	r.sets = lifecycle.NewVersions[*keySet](modules.GSSAPI, "keytab",
		"caller's keytab")
	r.install(newKeySet(kt, false))
}

// initFile reads the first key set from the keytab file name.
func (r *keyring) initFile(name string) error {
	r.name, r.path = name, keytabFilePath(name)
	r.sets = lifecycle.NewVersions[*keySet](modules.GSSAPI, "keytab",
		r.fileName())
	kt, err := r.read(r.path)
	if err != nil {
		err.(*ReloadError).first = true
		return err
	}
	r.install(newKeySet(kt, true))
	r.sets.Show()
	return nil
}

// fileName names the keytab in errors and statistics.
func (r *keyring) fileName() string {
	if r.path != "" {
		return r.path
	}
	return r.name
}

// read notes the state of the file, then reads the keytab and checks
// that it holds keys the credential can use. The state is taken first,
// so a change made while the keytab is read is seen by the next look at
// the file. The caller holds reloadMu, or is the constructor.
func (r *keyring) read(path string) (*krb5.Keytab, error) {
	if path != "" {
		r.file.Reset(filewatch.Take(path))
	}
	kt, err := krb5.LoadKeytab(r.name)
	if err != nil {
		return nil, &ReloadError{Path: r.fileName(), Err: err}
	}
	entries, err := kt.Entries()
	if err == nil {
		err = r.usable(entries)
	}
	if err != nil {
		kt.Close()
		return nil, &ReloadError{Path: r.fileName(), Err: err}
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

func newKeySet(kt *krb5.Keytab, owned bool) *keySet {
	ks := &keySet{kt: kt, owned: owned}
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
	_, old := r.sets.Install(ks, r.wipe, r.clock.Now())
	if old != nil && r.grace <= 0 {
		r.sets.Drop(func(v *keyVersion) bool { return v == old })
	}
}

// reload reads the keytab file again and, if it holds usable keys,
// makes them the current set. On failure the current set stays.
func (r *keyring) reload() error {
	if r.name == "" {
		return ErrNotReloadable
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	return r.reloadLocked()
}

// reloadIfChanged reloads when the file differs from the one last read
// and has stayed the same since the previous look (see filewatch), so a
// file being written in place is read once it is complete. A file that
// is missing is not a change: a writer may be about to put the new one
// in place, and the keys in force stay. It reports whether it tried.
func (r *keyring) reloadIfChanged() (bool, error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if !r.file.Due() {
		return false, nil
	}
	return true, r.reloadLocked()
}

// eagerGap is the least time between two looks at the file for tickets
// under a key version newer than the current set's (see lookNow), so
// that a stream of tickets with made-up key versions costs one look at
// the file per gap, not one per ticket.
const eagerGap = 20 * time.Millisecond

// lookNow is reloadIfChanged without waiting for the file to settle,
// for a ticket that needs a key version newer than those of set gen,
// the current set when the accept looked at it. It reports whether a
// set newer than gen is current on return, because this look or the
// watch, a Reload or another accept's look installed it meanwhile.
//
// The file is looked at once per eagerGap at most. Accepts that ask
// meanwhile wait for the next look, which starts after they asked and
// so sees the file as it was when their ticket arrived; one look serves
// every accept waiting for it.
func (r *keyring) lookNow(gen uint64) bool {
	asked := time.Now()
	for {
		r.reloadMu.Lock()
		if r.sets.CurrentID() != gen {
			r.reloadMu.Unlock()
			return true
		}
		if r.looked.After(asked) {
			// A look that started after this accept asked found
			// nothing newer.
			r.reloadMu.Unlock()
			return false
		}
		if wait := time.Until(r.looked.Add(eagerGap)); wait > 0 {
			r.reloadMu.Unlock()
			time.Sleep(wait)
			continue
		}
		r.looked = time.Now()
		if f := r.file.Read(); !f.Gone() && f.Changed() {
			// A failure is counted in the statistics; the keys in
			// force stay.
			_ = r.reloadLocked()
		}
		newer := r.sets.CurrentID() != gen
		r.reloadMu.Unlock()
		return newer
	}
}

// reloadLocked does reload's work with reloadMu held.
func (r *keyring) reloadLocked() error {
	kt, err := r.read(r.path)
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
	r.install(newKeySet(kt, true))
	return nil
}

// expire stops searching retired sets whose grace period is over.
func (r *keyring) expire() {
	if r.grace <= 0 {
		return
	}
	now := r.clock.Now()
	r.sets.Drop(func(v *keyVersion) bool { return !r.inGrace(v, now) })
}

// inGrace reports whether a retired set is still within its grace
// period. It runs with the series locked.
func (r *keyring) inGrace(v *keyVersion, now time.Time) bool {
	return now.Before(v.RetiredLocked().Add(r.grace))
}

// close lets every set go: those no context pins are wiped now, the
// others when their last context closes.
func (r *keyring) close() { r.sets.Close() }

// wipe runs once per set, when its last reference is gone.
func (r *keyring) wipe(v *keyVersion) {
	ks := v.Value()
	if ks.owned {
		ks.kt.Close()
	}
	r.mu.Lock()
	hook := r.onWipe
	r.mu.Unlock()
	if hook != nil {
		hook(v.ID(), ks.kt)
	}
}

// useKey finds the key for a ticket, as krb5.Keytab.UseKey does, in the
// current set and then in the retired sets within their grace period.
// On success the set whose key f used is returned pinned, and the caller
// must unpin it; on failure nothing stays pinned. A ticket whose kvno
// the current set has is never tried with an older set's key. A set
// installed while the current one was searched is searched too. With a
// watched file, a ticket naming a kvno newer than the current set's
// makes the keyring look at the file first (lookNow): the KDC may hand
// out tickets under a new key a moment before the watch would see it.
func (r *keyring) useKey(sname types.PrincipalName, realm string, kvno uint32,
	etype int32, f func(key types.EncryptionKey, kvno uint32) error) (*keyVersion,
	error) {
	v, gen, newer, err := r.useCurrent(sname, realm, kvno, etype, f)
	if err == nil || !errors.Is(err, krb5.ErrNoKey) {
		return v, err
	}
	if r.sets.CurrentID() != gen || newer && r.eager && r.lookNow(gen) {
		v, _, _, err = r.useCurrent(sname, realm, kvno, etype, f)
		if err == nil || !errors.Is(err, krb5.ErrNoKey) {
			return v, err
		}
	}
	if r.grace <= 0 {
		return nil, err
	}
	r.expire()
	now := r.clock.Now()
	old := r.sets.Retired(func(v *keyVersion) bool { return r.inGrace(v, now) })
	var found *keyVersion
	done := false
	for _, v := range old {
		if done {
			v.Unpin()
			continue
		}
		switch e := v.Value().kt.UseKey(sname, realm, kvno, etype, f); {
		case e == nil:
			found, done = v, true
		case errors.Is(e, krb5.ErrNoKey):
			v.Unpin()
		default:
			// The right kvno, but the ticket does not decrypt.
			v.Unpin()
			err, done = e, true
		}
	}
	if found != nil {
		return found, nil
	}
	return nil, err
}

// useCurrent is useKey on the current set alone. It also returns the
// set's generation and reports whether kvno is newer than every key of
// that set.
func (r *keyring) useCurrent(sname types.PrincipalName, realm string,
	kvno uint32, etype int32,
	f func(key types.EncryptionKey, kvno uint32) error) (*keyVersion, uint64,
	bool, error) {
	cur := r.sets.Current()
	if cur == nil {
		return nil, 0, false, ErrClosed
	}
	err := cur.Value().kt.UseKey(sname, realm, kvno, etype, f)
	if err == nil {
		return cur, cur.ID(), false, nil
	}
	newer := kvno > cur.Value().newestKVNO()
	cur.Unpin()
	return nil, cur.ID(), newer, err
}

// stats describes the key sets.
func (r *keyring) stats() AcceptorStats {
	vs, sets := r.sets.Snapshot()
	r.mu.Lock()
	s := AcceptorStats{
		Path:           r.name,
		Generation:     vs.Current,
		Reloads:        r.reloads,
		ReloadFailures: r.failures,
		LastReload:     r.lastReload,
		KeySets:        make([]KeySetStats, 0, len(sets)),
	}
	if r.lastErr != nil {
		s.LastError = r.lastErr.Error()
	}
	r.mu.Unlock()
	for i, v := range vs.Versions {
		ks := sets[i].Value()
		st := KeySetStats{
			Generation: v.Version,
			Current:    v.Current,
			Loaded:     v.Loaded,
			Retired:    v.Retired,
			Searched:   v.Held,
			Pins:       v.Pins,
			Keys:       ks.keys,
			KVNOs:      slices.Clone(ks.kvnos),
		}
		if !v.Retired.IsZero() && r.grace > 0 {
			st.GraceUntil = v.Retired.Add(r.grace)
		}
		s.KeySets = append(s.KeySets, st)
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
// file every interval and reload it when it was replaced by rename or
// rewritten in place (its device, inode, size, modification or change
// time differ from the version read last or, while that version is less
// than two seconds old, the granularity of file times, its content
// does) and then stayed the same for one interval.
//
// A ticket under a key version newer than any in force also makes the
// credential look at the file at once, whatever the watch has seen so
// far, and accept the ticket with the new keys it finds there, since the
// KDC issues such tickets as soon as the key changed. Such looks happen
// once per 20 milliseconds at most, shared by the accepts that wait for
// them, so tickets with made-up key versions cannot make the credential
// read the file for each of them.
//
// Replacing the file atomically, by writing a temporary file and
// renaming it over the old one, is best. A file rewritten in place (as
// MIT's kadmin ktadd does) by a writer that pauses for longer than the
// interval may be read half-written: it then fails to parse, or lacks
// the entries still being appended, and the watch reads it again once
// the writer is done.
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
			"path", ac.keys.name, "generation", ac.keys.sets.Stats().Current)
	}
	if ac.notify != nil {
		ac.notify(err)
	}
}

// Stats describes the credential's key sets: the generation in force,
// the older ones whose keys are not wiped yet and how many contexts pin
// each, and the reloads so far. It may be called after Close, to watch
// the last sets being released as their contexts close. The gssapi
// module's statistics (ModuleStats, support.PublishExpvar) list the same
// generations and pins for every credential made from a keytab file,
// under the kind "keytab" and the file's name.
func (ac *AcceptorCredential) Stats() AcceptorStats {
	ac.keys.expire()
	return ac.keys.stats()
}

// adoptKeys makes sc hold the reference on the key set its ticket
// decrypted with until sc is released.
func (sc *SecurityContext) adoptKeys(ks *keyVersion) {
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
	sc.keys.Swap(nil).Unpin()
}

// keyPin is where a SecurityContext keeps its key set reference.
type keyPin = atomic.Pointer[keyVersion]

// takeKeys hands the accept's key set reference to the caller.
func (a *accepted) takeKeys() *keyVersion {
	ks := a.keys
	a.keys = nil
	return ks
}
