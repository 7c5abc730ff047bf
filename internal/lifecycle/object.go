package lifecycle

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/safekrb5/safekrb5/errortables"
)

// The state word of an object: the count of calls in flight in the low 32
// bits, and flags above.
const (
	closedBit = int64(1) << 62 // Close was called
	finalBit  = int64(1) << 61 // the module was torn down under the object
	flagMask  = closedBit | finalBit
	countMask = int64(1)<<32 - 1
)

// Kind names a kind of object of a module, such as "client". Kinds are made
// once, at package initialisation.
type Kind struct {
	mod  *Module
	name string
	meta objMeta // shared by objects made without leak tracking
}

// objMeta is what an object knows about itself beyond its state.
type objMeta struct {
	kind *Kind
	site []uintptr // creation stack, only with leak tracking on
}

// NewKind registers a kind of object of m.
func (m *Module) NewKind(name string) *Kind {
	k := &Kind{mod: m, name: name}
	k.meta.kind = k
	return k
}

// Name returns the kind's name.
func (k *Kind) Name() string { return k.name }

// Object is a live object of a module: it holds one reference on the
// module and guards the calls made on it. An Object is safe for concurrent
// use. It takes 56 bytes with leak tracking off.
type Object struct {
	// state is the call count and flags; see closedBit.
	state atomic.Int64
	// done, when set, is closed by the last call to leave after a Close
	// or a teardown began waiting.
	done atomic.Pointer[chan struct{}]

	gen     *Generation
	meta    *objMeta
	release func() // releases the owner's resources; run exactly once

	// prev and next link the generation's live objects; guarded by the
	// module's mu.
	prev, next *Object
}

// leakTracking is set by SetLeakTracking or SAFEKRB5_LEAKTRACK.
var leakTracking atomic.Bool

func init() {
	switch strings.ToLower(os.Getenv("SAFEKRB5_LEAKTRACK")) {
	case "1", "true", "yes", "on":
		leakTracking.Store(true)
	}
}

// SetLeakTracking turns the recording of creation sites on or off for
// objects made from now on. It is off unless the environment variable
// SAFEKRB5_LEAKTRACK is set to 1.
func SetLeakTracking(on bool) { leakTracking.Store(on) }

// LeakTracking reports whether creation sites are recorded.
func LeakTracking() bool { return leakTracking.Load() }

// NewObject makes a live object of kind k, loading k's module if needed.
// release is run exactly once: by the object's Close, or by the module's
// forceful Close if the object is still alive then. It may be nil.
func (k *Kind) NewObject(release func()) (*Object, error) {
	m := k.mod
	g, err := m.acquire(refObject)
	if err != nil {
		return nil, err
	}
	o := &Object{gen: g, meta: &k.meta, release: release}
	if leakTracking.Load() {
		pcs := make([]uintptr, 16)
		n := runtime.Callers(2, pcs)
		o.meta = &objMeta{kind: k, site: pcs[:n]}
	}

	m.mu.Lock()
	if g.finalized.Load() || m.gen != g {
		// Torn down between acquire and now: impossible while we hold a
		// reference, kept as a guard.
		m.mu.Unlock()
		return nil, m.err(errortables.ErrFinalized)
	}
	g.linkLocked(o)
	m.kinds[k]++
	m.mu.Unlock()
	return o, nil
}

// Generation returns the generation the object was made in.
func (o *Object) Generation() *Generation { return o.gen }

// Enter starts a call on the object. It fails with ErrClosed after Close,
// and with ErrFinalized after the module was torn down. Every successful
// Enter must be matched by one Leave. The fast path, one atomic add, is
// small enough to be inlined into callers.
func (o *Object) Enter() error {
	// The flags are the highest bits in use, so any flag makes the word
	// at least finalBit whatever the count.
	n := o.state.Add(1)
	if n < finalBit {
		return nil
	}
	return o.refuse(n)
}

// refuse undoes a refused Enter and says why it was refused.
func (o *Object) refuse(n int64) error {
	o.leave()
	return o.errFor(n)
}

// Leave ends a call started by Enter.
func (o *Object) Leave() {
	if n := o.state.Add(-1); n >= finalBit {
		o.leftFlagged(n)
	}
}

// leftFlagged wakes a waiter if the call that left was the last one.
func (o *Object) leftFlagged(n int64) {
	if n&countMask == 0 {
		o.wake()
	}
}

func (o *Object) leave() {
	if n := o.state.Add(-1); n&flagMask != 0 && n&countMask == 0 {
		o.wake()
	}
}

// wake releases a Close or a teardown waiting for the last call.
func (o *Object) wake() {
	if ch := o.done.Swap(nil); ch != nil {
		close(*ch)
	}
}

// Err returns the error a call on the object would get now, or nil.
func (o *Object) Err() error {
	n := o.state.Load()
	if n&flagMask == 0 {
		return nil
	}
	return o.errFor(n)
}

func (o *Object) errFor(n int64) error {
	s := errortables.ErrClosed
	if n&finalBit != 0 {
		s = errortables.ErrFinalized
	}
	return &Error{Module: o.gen.mod.name, Kind: o.meta.kind.name, Err: s}
}

// Close refuses new calls on the object, waits for the calls in flight to
// leave, runs the release function, and drops the object's reference on
// its module, which may tear the module down. A second Close returns
// ErrClosed. Close on an object whose module was closed forcefully returns
// nil: its release already ran. Close must not be called from inside a
// call on the same object, or it waits for itself.
func (o *Object) Close() error {
	for {
		n := o.state.Load()
		if n&closedBit != 0 {
			return &Error{Module: o.gen.mod.name, Kind: o.meta.kind.name,
				Err: errortables.ErrClosed}
		}
		if n&finalBit != 0 {
			o.state.Or(closedBit)
			return nil
		}
		if o.state.CompareAndSwap(n, n|closedBit) {
			break
		}
	}
	o.wait()
	o.runRelease()

	m := o.gen.mod
	m.mu.Lock()
	o.gen.unlinkLocked(o)
	m.kinds[o.meta.kind]--
	m.releaseLocked(refObject)
	return nil
}

// runRelease runs the release function and forgets it. The function
// usually holds the object's owner (a method value), and the object stays
// reachable after Close from the owner's leak-report cleanup; keeping the
// function would keep the owner, and all it holds, alive for good.
func (o *Object) runRelease() {
	if f := o.release; f != nil {
		o.release = nil
		f()
	}
}

// wait blocks until no call is in flight. A flag must be set already, so
// that no new call can start.
func (o *Object) wait() {
	if o.state.Load()&countMask == 0 {
		return
	}
	ch := make(chan struct{})
	o.done.Store(&ch)
	if o.state.Load()&countMask == 0 {
		// The last call left before done was published, or closed it
		// just now; either way nothing is left to wait for.
		o.done.Swap(nil)
		return
	}
	<-ch
}

// Info describes the object.
func (o *Object) Info() ObjectInfo {
	return ObjectInfo{
		Module:     o.gen.mod.name,
		Kind:       o.meta.kind.name,
		Generation: o.gen.id,
		Site:       o.meta.siteString(),
	}
}

// siteString returns the first frame outside this module's library code,
// as "file:line".
func (m *objMeta) siteString() string {
	if len(m.site) == 0 {
		return ""
	}
	frames := runtime.CallersFrames(m.site)
	first := ""
	for {
		f, more := frames.Next()
		loc := f.File + ":" + strconv.Itoa(f.Line)
		if first == "" {
			first = loc
		}
		if !isLibraryFrame(f.Function, f.File) {
			return loc
		}
		if !more {
			return first
		}
	}
}

// libraryPrefix is the import path of safekrb5.
const libraryPrefix = "github.com/safekrb5/safekrb5/"

func isLibraryFrame(fn, file string) bool {
	if strings.HasSuffix(file, "_test.go") {
		return false
	}
	return strings.HasPrefix(fn, libraryPrefix)
}
