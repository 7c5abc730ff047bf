package lifecycle

import (
	"context"
	"sync"
	"sync/atomic"
)

// Generation is one load of a module: the state its load function built,
// the objects made from it, and the goroutines it started. A Generation is
// safe for concurrent use. Objects keep the generation they were made in;
// after its teardown they never see a newer one.
type Generation struct {
	mod *Module
	id  uint64

	// Value is the module's state, set by the load function and read-only
	// afterwards.
	Value any

	// finalized is set once the generation was torn down.
	finalized atomic.Bool

	// goMu guards ctx, cancel and stopped, and makes Go and stop
	// exclusive, so no goroutine is added after stop began waiting. ctx
	// is made on first use (most generations never ask for it) and is
	// cancelled when the generation stops; wg counts the goroutines
	// started with Go.
	goMu    sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	stopped bool
	wg      sync.WaitGroup

	// head is the sentinel of the list of live objects, guarded by
	// mod.mu.
	head Object
}

func newGeneration(m *Module, id uint64) *Generation {
	g := &Generation{mod: m, id: id}
	g.head.next = &g.head
	g.head.prev = &g.head
	return g
}

// ID returns the generation's number: 1 for the first load of its module.
func (g *Generation) ID() uint64 { return g.id }

// Module returns the module the generation belongs to.
func (g *Generation) Module() *Module { return g.mod }

// Finalized reports whether the generation was torn down.
func (g *Generation) Finalized() bool { return g.finalized.Load() }

// Context returns a context that is cancelled when the generation starts
// tearing down (already cancelled if it has).
func (g *Generation) Context() context.Context {
	g.goMu.Lock()
	defer g.goMu.Unlock()
	return g.contextLocked()
}

// contextLocked returns ctx, making it first if needed.
func (g *Generation) contextLocked() context.Context {
	if g.ctx == nil {
		g.ctx, g.cancel = context.WithCancel(context.Background())
		if g.stopped {
			g.cancel()
		}
	}
	return g.ctx
}

// Go runs f in a goroutine owned by the generation. Teardown cancels the
// context passed to f and waits for f to return. Go reports false, and does
// not run f, if the generation is already stopping.
func (g *Generation) Go(f func(ctx context.Context)) bool {
	g.goMu.Lock()
	defer g.goMu.Unlock()
	if g.stopped {
		return false
	}
	ctx := g.contextLocked()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f(ctx)
	}()
	return true
}

// stop cancels the generation's context and waits for its goroutines.
func (g *Generation) stop() {
	g.goMu.Lock()
	g.stopped = true
	if g.cancel != nil {
		g.cancel()
	}
	g.goMu.Unlock()
	g.wg.Wait()
}

// linkLocked adds o to the list of live objects.
func (g *Generation) linkLocked(o *Object) {
	o.prev = g.head.prev
	o.next = &g.head
	g.head.prev.next = o
	g.head.prev = o
}

// unlinkLocked removes o from the list of live objects.
func (g *Generation) unlinkLocked(o *Object) {
	if o.next == nil {
		return
	}
	o.prev.next = o.next
	o.next.prev = o.prev
	o.next, o.prev = nil, nil
}

// finalizeObjectsLocked marks every live object finalized and returns
// those whose release now falls to the caller: the ones not already being
// closed. They are unlinked but stay counted until the caller has released
// them; objects whose Close is running stay linked and counted until that
// Close finishes.
func (g *Generation) finalizeObjectsLocked() []*Object {
	var mine []*Object
	for o := g.head.next; o != &g.head; {
		next := o.next
		old := o.state.Or(finalBit)
		if old&closedBit == 0 {
			mine = append(mine, o)
			g.unlinkLocked(o)
		}
		o = next
	}
	return mine
}
