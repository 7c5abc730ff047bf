package lifecycle

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Versions is a resource that an object reads again while it runs, such
// as a keytab file or a configuration, kept as a series of versions. It
// is the scale-of-one-object counterpart of a module's generations:
// several versions may be alive at once, each reference-counted on its
// own, and each released (its keys wiped, say) when its last reference
// goes, while the module's generation stays.
//
// The series holds one reference, "held", on the version it serves to new
// users and on older versions its owner still offers; every user pins the
// version it started with and unpins it when done. A version that is no
// longer held and no longer pinned is released at once, exactly once, and
// can never be pinned again.
//
// Versions is safe for concurrent use. Pinning the current version costs
// an atomic load and a compare-and-swap. A series listed with Show appears
// in its module's Stats while any of its versions is alive.
type Versions[T any] struct {
	mod  *Module
	kind string // what the versions are: "keytab", "configuration"
	name string // which resource: a file, a client

	// cur is the version new users pin; nil before the first Install
	// and after Close.
	cur atomic.Pointer[Version[T]]

	// mu guards the fields below and every version's held and retired
	// fields.
	mu     sync.Mutex
	live   []*Version[T] // versions not yet released, oldest first
	made   uint64        // versions made so far
	latest T             // the value of the last version installed
	closed bool
	listed bool // in mod's statistics
}

// Version is one version of a Versions. Its value is immutable.
type Version[T any] struct {
	s       *Versions[T]
	id      uint64
	value   T
	release func(*Version[T])
	loaded  time.Time

	// refs counts the series' reference while held and one per pin.
	// Once it reaches zero it never rises again.
	refs atomic.Int64

	// Guarded by s.mu.
	held    bool
	retired time.Time
}

// NewVersions makes an empty series of versions of a resource of module
// m. kind and name describe it in statistics.
func NewVersions[T any](m *Module, kind, name string) *Versions[T] {
	return &Versions[T]{mod: m, kind: kind, name: name}
}

// Show lists the series in its module's Stats until it is closed and its
// last version released.
func (s *Versions[T]) Show() {
	s.mu.Lock()
	show := !s.listed && !(s.closed && len(s.live) == 0)
	s.listed = s.listed || show
	s.mu.Unlock()
	if show {
		s.mod.addVersions(s)
	}
}

// Install makes a version of value current, loaded at now. The series
// holds it; release, if not nil, runs once the version is neither held
// nor pinned. The version it replaces stays held, marked retired at now,
// until Drop or Close lets it go; Install returns it (nil for the first).
// After Close, Install releases value at once and returns nil.
func (s *Versions[T]) Install(value T, release func(*Version[T]),
	now time.Time) (v, old *Version[T]) {
	v = &Version[T]{s: s, value: value, release: release, loaded: now,
		held: true}
	v.refs.Store(1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if release != nil {
			release(v)
		}
		return nil, nil
	}
	s.made++
	v.id = s.made
	s.live = append(s.live, v)
	s.latest = value
	old = s.cur.Swap(v)
	if old != nil {
		old.retired = now
	}
	s.mu.Unlock()
	return v, old
}

// Current returns the current version with a pin taken, or nil before the
// first Install and after Close. The caller must Unpin it.
func (s *Versions[T]) Current() *Version[T] {
	for {
		v := s.cur.Load()
		if v == nil || v.Pin() {
			return v
		}
		// Replaced and released between the load and the pin: the
		// replacement was stored before the release, so the next load
		// sees it.
	}
}

// CurrentID returns the number of the current version, counting from 1
// in the order of Install, or 0 before the first Install and after
// Close. It takes no pin: a caller compares it with a version it holds
// to learn whether a newer one was installed since.
func (s *Versions[T]) CurrentID() uint64 {
	if v := s.cur.Load(); v != nil {
		return v.id
	}
	return 0
}

// Latest returns the value of the version installed last, even after
// Close, without pinning it.
func (s *Versions[T]) Latest() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// Retired returns the held versions other than the current one for which
// keep reports true, newest first, each with a pin taken. keep runs with
// the series locked and must not call its methods.
func (s *Versions[T]) Retired(keep func(*Version[T]) bool) []*Version[T] {
	var out []*Version[T]
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	for i := len(s.live) - 1; i >= 0; i-- {
		v := s.live[i]
		if v != cur && v.held && keep(v) && v.Pin() {
			out = append(out, v)
		}
	}
	return out
}

// Drop stops holding the versions other than the current one for which
// drop reports true; those no user pins are released now. drop runs with
// the series locked and must not call its methods.
func (s *Versions[T]) Drop(drop func(*Version[T]) bool) {
	s.unhold(func(v, cur *Version[T]) bool { return v != cur && drop(v) })
}

// Close stops serving versions and holding any: Current returns nil from
// now on, versions no user pins are released now, the others when their
// last pin goes. Close may be called more than once.
func (s *Versions[T]) Close() {
	s.mu.Lock()
	s.closed = true
	s.cur.Store(nil)
	s.mu.Unlock()
	s.unhold(func(_, _ *Version[T]) bool { return true })
	s.mu.Lock()
	s.unlistLocked()
}

// unhold drops the series' reference on the held versions for which f,
// given the version and the current one, reports true.
func (s *Versions[T]) unhold(f func(v, cur *Version[T]) bool) {
	var drop []*Version[T]
	s.mu.Lock()
	cur := s.cur.Load()
	for _, v := range s.live {
		if v.held && f(v, cur) {
			v.held = false
			drop = append(drop, v)
		}
	}
	s.mu.Unlock()
	for _, v := range drop {
		v.Unpin()
	}
}

// unlistLocked removes a closed series with no version left from its
// module's statistics. It is called with s.mu held and releases it.
func (s *Versions[T]) unlistLocked() {
	unlist := s.listed && s.closed && len(s.live) == 0
	if unlist {
		s.listed = false
	}
	s.mu.Unlock()
	if unlist {
		s.mod.removeVersions(s)
	}
}

// released runs once per version, when its last reference is gone.
func (s *Versions[T]) released(v *Version[T]) {
	if v.release != nil {
		v.release(v)
	}
	s.mu.Lock()
	if i := slices.Index(s.live, v); i >= 0 {
		s.live = slices.Delete(s.live, i, i+1)
	}
	s.unlistLocked()
}

// ID numbers the versions of one series from 1, in the order installed.
func (v *Version[T]) ID() uint64 { return v.id }

// Value returns the version's value.
func (v *Version[T]) Value() T { return v.value }

// Loaded returns the time given to Install.
func (v *Version[T]) Loaded() time.Time { return v.loaded }

// RetiredLocked returns when a newer version replaced v, zero while it is
// current. It is meant for the keep and drop functions of Retired and
// Drop, which run with the series locked.
func (v *Version[T]) RetiredLocked() time.Time { return v.retired }

// Pin takes a reference unless the version is already released, and
// reports whether it did.
func (v *Version[T]) Pin() bool {
	for {
		n := v.refs.Load()
		if n <= 0 {
			return false
		}
		if v.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Unpin drops a reference taken by Pin, Current or Retired; the last one
// releases the version. Unpin on nil does nothing.
func (v *Version[T]) Unpin() {
	if v == nil {
		return
	}
	if v.refs.Add(-1) == 0 {
		v.s.released(v)
	}
}

// VersionsStats describes a series of versions.
type VersionsStats struct {
	// Kind and Name describe the resource.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Current is the number of the version served now, 0 after Close.
	Current uint64 `json:"current"`
	// Versions lists the versions not released yet, oldest first.
	Versions []VersionStats `json:"versions"`
}

// VersionStats describes one version.
type VersionStats struct {
	// Version numbers the versions of a series from 1.
	Version uint64 `json:"version"`
	// Current is set for the version new users pin.
	Current bool `json:"current"`
	// Held reports that the series still offers the version: it is
	// current, or an older version its owner keeps in use.
	Held bool `json:"held"`
	// Pins counts the users holding the version: the objects made with
	// it and the calls in flight using it.
	Pins int `json:"pins"`
	// Loaded is when the version was installed, Retired when a newer
	// one replaced it (zero while current).
	Loaded  time.Time `json:"loaded"`
	Retired time.Time `json:"retired,omitzero"`
}

// Stats describes the series and its versions alive.
func (s *Versions[T]) Stats() VersionsStats {
	st, _ := s.Snapshot()
	return st
}

// Snapshot is Stats that also returns the versions it describes, in the
// same order, without pinning them: their values may be read, not used.
func (s *Versions[T]) Snapshot() (VersionsStats, []*Version[T]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	live := slices.Clone(s.live)
	out := VersionsStats{Kind: s.kind, Name: s.name,
		Versions: make([]VersionStats, 0, len(s.live))}
	if cur != nil {
		out.Current = cur.id
	}
	for _, v := range s.live {
		pins := int(v.refs.Load())
		if v.held {
			pins--
		}
		out.Versions = append(out.Versions, VersionStats{
			Version: v.id,
			Current: v == cur,
			Held:    v.held,
			Pins:    max(pins, 0),
			Loaded:  v.loaded,
			Retired: v.retired,
		})
	}
	return out, live
}

// versionLister is a listed series, whatever its type of value.
type versionLister interface{ Stats() VersionsStats }

// addVersions lists s in the module's statistics.
func (m *Module) addVersions(s versionLister) {
	m.versionsMu.Lock()
	defer m.versionsMu.Unlock()
	if m.versions == nil {
		m.versions = make(map[versionLister]struct{})
	}
	m.versions[s] = struct{}{}
}

// removeVersions takes s out of the module's statistics.
func (m *Module) removeVersions(s versionLister) {
	m.versionsMu.Lock()
	defer m.versionsMu.Unlock()
	delete(m.versions, s)
}

// versionStats describes every listed series, ordered by kind and name.
func (m *Module) versionStats() []VersionsStats {
	m.versionsMu.Lock()
	list := make([]versionLister, 0, len(m.versions))
	for s := range m.versions {
		list = append(list, s)
	}
	m.versionsMu.Unlock()
	out := make([]VersionsStats, 0, len(list))
	for _, s := range list {
		out = append(out, s.Stats())
	}
	slices.SortFunc(out, func(a, b VersionsStats) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}
