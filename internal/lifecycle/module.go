package lifecycle

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/safekrb5/safekrb5/errortables"
)

// Config describes a module.
type Config struct {
	// Name is the module's name, used in errors and statistics.
	Name string
	// Deps are the modules this one depends on. A loaded module holds one
	// reference on each.
	Deps []*Module
	// Load builds the state of a new generation and stores it in g.Value.
	// It runs with the dependencies loaded. If it fails, the module stays
	// not loaded and the reference that triggered the load fails.
	Load func(g *Generation) error
	// Teardown releases the state of g. It runs once no reference and no
	// call is left, after the generation's goroutines were stopped and
	// waited for, and before the dependencies are released.
	Teardown func(g *Generation)
}

// Module is a layer of the library with reference-counted state. A Module
// is safe for concurrent use. Modules are made once, at package
// initialisation, and live for the process.
type Module struct {
	name     string
	deps     []*Module
	load     func(*Generation) error
	teardown func(*Generation)

	// dependents are the modules that list this one in Deps; immutable
	// after every module was made.
	dependents []*Module

	// mu guards the fields below it and the object lists of the current
	// generation. cond is signalled on every state change.
	mu         sync.Mutex
	cond       sync.Cond
	state      State
	final      bool // a shutdown was requested: never load again
	gen        *Generation
	generation uint64 // number of the last generation loaded
	handles    int    // open library handles
	objects    int    // live objects of the current generation
	calls      int    // module-level calls in flight
	depRefs    int    // loaded dependents holding this module
	teardowns  uint64
	finalized  chan struct{} // closed on reaching Finalized
	kinds      map[*Kind]int // live objects by kind

	// leaked counts objects reported as dropped without Close.
	leaked atomic.Uint64

	// versionsMu guards versions, the series of versions listed in the
	// module's statistics (see Versions.Show).
	versionsMu sync.Mutex
	versions   map[versionLister]struct{}
}

var (
	registryMu sync.Mutex
	modules    []*Module
)

// NewModule makes a module. It panics if a dependency is nil: modules are
// wired by the program itself.
func NewModule(c Config) *Module {
	m := &Module{
		name:      c.Name,
		deps:      c.Deps,
		load:      c.Load,
		teardown:  c.Teardown,
		finalized: make(chan struct{}),
		kinds:     make(map[*Kind]int),
	}
	m.cond.L = &m.mu
	for _, d := range c.Deps {
		if d == nil {
			panic("lifecycle: module " + c.Name + " has a nil dependency")
		}
		d.mu.Lock()
		d.dependents = append(d.dependents, m)
		d.mu.Unlock()
	}
	registryMu.Lock()
	modules = append(modules, m)
	registryMu.Unlock()
	return m
}

// SetHooks sets the module's load and teardown functions, for modules
// that are wired before the package that owns their state is initialised.
// It panics if the module has loaded already.
func (m *Module) SetHooks(load func(*Generation) error, teardown func(*Generation)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.generation != 0 || m.state != NotLoaded {
		panic("lifecycle: SetHooks on module " + m.name + " after it loaded")
	}
	m.load, m.teardown = load, teardown
}

// Modules returns every module made so far, in the order they were made.
func Modules() []*Module {
	registryMu.Lock()
	defer registryMu.Unlock()
	return append([]*Module(nil), modules...)
}

// Name returns the module's name.
func (m *Module) Name() string { return m.name }

// err returns the lifecycle error for m with sentinel s.
func (m *Module) err(s *errortables.Error) error {
	return &Error{Module: m.name, Err: s}
}

// refKind says which counter a reference is kept in.
type refKind int

const (
	refHandle refKind = iota
	refObject
	refCall
	refDep
)

// acquire takes one reference of kind k, loading the module first if
// needed, and returns the current generation.
func (m *Module) acquire(k refKind) (*Generation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		switch m.state {
		case Loaded:
			m.countLocked(k, 1)
			return m.gen, nil
		case Loading, TearingDown:
			m.cond.Wait()
		case ShuttingDown:
			return nil, m.err(errortables.ErrShuttingDown)
		case Finalized:
			return nil, m.err(errortables.ErrFinalized)
		case NotLoaded:
			if err := m.loadLocked(); err != nil {
				return nil, err
			}
		}
	}
}

// countLocked adds delta to the counter for references of kind k.
func (m *Module) countLocked(k refKind, delta int) {
	switch k {
	case refHandle:
		m.handles += delta
	case refObject:
		m.objects += delta
	case refCall:
		m.calls += delta
	case refDep:
		m.depRefs += delta
	}
}

// loadLocked loads a new generation. It is called with m.mu held and
// releases it while the dependencies and the load function run; other
// acquirers wait on cond meanwhile.
func (m *Module) loadLocked() error {
	m.state = Loading
	m.generation++
	g := newGeneration(m, m.generation)
	m.mu.Unlock()

	err := m.loadDeps()
	if err == nil && m.load != nil {
		err = m.load(g)
		if err != nil {
			g.stop()
			m.releaseDeps()
		}
	}

	m.mu.Lock()
	if err != nil {
		m.state = NotLoaded
		m.cond.Broadcast()
		return err
	}
	m.gen = g
	m.state = Loaded
	m.cond.Broadcast()
	return nil
}

// loadDeps takes one reference on each dependency, undoing the ones taken
// if one fails.
func (m *Module) loadDeps() error {
	for i, d := range m.deps {
		if _, err := d.acquire(refDep); err != nil {
			for _, got := range m.deps[:i] {
				got.release(refDep)
			}
			return err
		}
	}
	return nil
}

// releaseDeps drops the references loadDeps took, in reverse order.
func (m *Module) releaseDeps() {
	for i := len(m.deps) - 1; i >= 0; i-- {
		m.deps[i].release(refDep)
	}
}

// release drops one reference of kind k, tearing the generation down if it
// was the last one that keeps the module loaded.
func (m *Module) release(k refKind) {
	m.mu.Lock()
	m.releaseLocked(k)
}

// releaseLocked is release with m.mu held; it returns with m.mu released.
func (m *Module) releaseLocked(k refKind) {
	m.countLocked(k, -1)
	if !m.idleLocked() {
		m.mu.Unlock()
		return
	}
	m.teardownLocked() // unlocks
}

// idleLocked reports whether the current generation may be torn down: in
// Loaded state when no reference is left, in ShuttingDown state when no
// object, call or dependent is left (handles do not hold off a shutdown).
func (m *Module) idleLocked() bool {
	busy := m.objects + m.calls + m.depRefs
	switch m.state {
	case Loaded:
		return busy+m.handles == 0
	case ShuttingDown:
		return busy == 0
	}
	return false
}

// teardownLocked tears down the current generation. It is called with
// m.mu held and returns with it released.
func (m *Module) teardownLocked() {
	g := m.gen
	m.state = TearingDown
	m.mu.Unlock()

	g.stop()
	if m.teardown != nil {
		m.teardown(g)
	}
	g.finalized.Store(true)
	m.releaseDeps()

	m.mu.Lock()
	m.gen = nil
	m.handles = 0
	m.teardowns++
	if m.final {
		m.state = Finalized
		close(m.finalized)
	} else {
		m.state = NotLoaded
	}
	m.cond.Broadcast()
	m.mu.Unlock()
}

// Handle is an explicit reference on a module, the analogue of a dlopen
// handle: while it is open, the module stays loaded. A Handle is safe for
// concurrent use.
type Handle struct {
	m      *Module
	gen    *Generation
	closed atomic.Bool
}

// Open loads the module if needed and returns a handle on it.
func (m *Module) Open() (*Handle, error) {
	g, err := m.acquire(refHandle)
	if err != nil {
		return nil, err
	}
	return &Handle{m: m, gen: g}, nil
}

// Generation returns the generation the handle holds.
func (h *Handle) Generation() *Generation { return h.gen }

// Close releases the handle. A second Close returns ErrClosed. After the
// module was shut down, Close does nothing and returns nil: a shutdown
// releases every handle.
func (h *Handle) Close() error {
	if !h.closed.CompareAndSwap(false, true) {
		return &Error{Module: h.m.name, Kind: "handle", Err: errortables.ErrClosed}
	}
	m := h.m
	m.mu.Lock()
	if m.gen != h.gen || m.state != Loaded {
		// Shutdown dropped handles from the count already.
		m.mu.Unlock()
		return nil
	}
	m.releaseLocked(refHandle)
	return nil
}

// Enter starts a module-level call: it loads the module if needed and
// holds it loaded until the returned generation is passed to Leave.
func (m *Module) Enter() (*Generation, error) {
	return m.acquire(refCall)
}

// Leave ends a module-level call started by Enter.
func (m *Module) Leave(*Generation) {
	m.release(refCall)
}

// Refuses returns the error a new reference would get now, from a module
// that is shutting down or finalized, and nil otherwise. It neither loads
// the module nor holds it: an entry point that makes state no object of
// the module tracks checks it first, so that it fails as creating an
// object would.
func (m *Module) Refuses() error {
	switch m.State() {
	case ShuttingDown:
		return m.err(errortables.ErrShuttingDown)
	case Finalized:
		return m.err(errortables.ErrFinalized)
	}
	return nil
}

// Shutdown shuts the module down gracefully and for good, together with
// every module that depends on it. It refuses new references on all of them
// at once, then waits, dependents first, until every object is closed and
// every call has left, tearing each module down as it becomes idle. Open
// handles do not hold it off. The modules this one depends on are not shut
// down; they lose this module's reference.
//
// If ctx ends first, Shutdown returns a *ShutdownError per module listing
// the objects still alive; those modules stay shutting down, and tear down
// when their last object closes or when Close is called.
func (m *Module) Shutdown(ctx context.Context) error {
	m.markFinal()
	return m.waitFinal(ctx)
}

// markFinal refuses new references on m and its dependents, and tears down
// those that are idle already.
func (m *Module) markFinal() {
	for _, d := range m.dependents {
		d.markFinal()
	}
	m.mu.Lock()
	if m.beginFinalLocked() && m.state == ShuttingDown && m.idleLocked() {
		m.teardownLocked()
		return
	}
	m.mu.Unlock()
}

// waitFinal waits for m and its dependents to be finalized, dependents
// first.
func (m *Module) waitFinal(ctx context.Context) error {
	var errs []error
	for _, d := range m.dependents {
		if err := d.waitFinal(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	select {
	case <-m.finalized:
	case <-ctx.Done():
		errs = append(errs, &ShutdownError{
			Module: m.name,
			Live:   m.LiveObjects(),
			Cause:  ctx.Err(),
		})
	}
	return errors.Join(errs...)
}

// beginFinalLocked marks the module final and moves a loaded module to
// ShuttingDown. It waits out a load or teardown in progress. It returns
// false if nothing is left to wait for: the module is finalized now.
func (m *Module) beginFinalLocked() bool {
	m.final = true
	for {
		switch m.state {
		case Loading, TearingDown:
			m.cond.Wait()
			continue
		case NotLoaded:
			m.state = Finalized
			close(m.finalized)
			m.cond.Broadcast()
			return false
		case Finalized:
			return false
		case Loaded:
			m.state = ShuttingDown
			m.handles = 0
			m.cond.Broadcast()
		}
		return true
	}
}

// Close tears the module down now and for good. It closes the modules that
// depend on this one first, then waits only for calls in flight: objects
// still alive are released and their later calls return ErrFinalized.
func (m *Module) Close() error {
	for _, d := range m.dependents {
		d.Close()
	}

	m.mu.Lock()
	if !m.beginFinalLocked() {
		m.mu.Unlock()
		return nil
	}
	g := m.gen
	mine := g.finalizeObjectsLocked()
	m.mu.Unlock()

	for _, o := range mine {
		o.wait()
		o.runRelease()
	}

	m.mu.Lock()
	m.objects -= len(mine)
	for _, o := range mine {
		m.kinds[o.meta.kind]--
	}
	for m.state == ShuttingDown && !m.idleLocked() {
		// Objects whose own Close was running, module calls in flight.
		m.cond.Wait()
	}
	if m.state != ShuttingDown {
		// A racing Shutdown or Close finished the teardown.
		m.mu.Unlock()
		<-m.finalized
		return nil
	}
	m.teardownLocked()
	return nil
}

// Done returns a channel that is closed when the module is finalized.
func (m *Module) Done() <-chan struct{} { return m.finalized }
