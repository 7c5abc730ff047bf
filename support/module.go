package support

import (
	"context"
	"os"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
)

// Lifecycle sentinels, shared by every safekrb5 package. errors.Is matches
// them against any lifecycle error the library returns.
var (
	ErrNotLoaded    = errortables.ErrNotLoaded
	ErrShuttingDown = errortables.ErrShuttingDown
	ErrFinalized    = errortables.ErrFinalized
	ErrClosed       = errortables.ErrClosed
	ErrBusy         = errortables.ErrBusy
)

// state is one generation of the support module.
type state struct {
	trace *traceSink // nil unless KRB5_TRACE named a file that opened
}

var secretKind = modules.Support.NewKind("secret")

func init() {
	modules.Support.SetHooks(load, teardown)
}

func load(g *lifecycle.Generation) error {
	st := &state{}
	if path := os.Getenv("KRB5_TRACE"); path != "" {
		// As in MIT krb5, a trace file that cannot be opened leaves
		// tracing off rather than the library unusable.
		if f, err := openTrace(path); err == nil {
			st.trace = newTraceSink(f)
			currentSink.Store(st.trace)
			followLogger.Debug("support: loaded", "generation", g.ID())
		}
	}
	g.Value = st
	errortables.Register(errortables.LifecycleTable)
	return nil
}

func teardown(g *lifecycle.Generation) {
	st := g.Value.(*state)
	if st.trace != nil {
		followLogger.Debug("support: tearing down", "generation", g.ID())
		currentSink.CompareAndSwap(st.trace, nil)
		st.trace.close()
	}
	errortables.Release(errortables.LifecycleTable)
}

// Library is an explicit reference on the support module, the analogue of
// a handle returned by dlopen: while it is open the module stays loaded. It
// is safe for concurrent use.
type Library struct{ h *lifecycle.Handle }

// Open loads the support module if needed and returns a reference on it.
func Open() (*Library, error) {
	h, err := modules.Support.Open()
	if err != nil {
		return nil, err
	}
	return &Library{h: h}, nil
}

// Close releases the reference. A second Close returns ErrClosed.
func (l *Library) Close() error { return l.h.Close() }

// Shutdown shuts down support and, before it, every module above it (krb5
// and gssapi): it refuses new references at once and waits for every live
// object to be closed. It is final for the process. If ctx ends first it
// returns an error listing the objects still alive.
func Shutdown(ctx context.Context) error {
	return modules.Support.Shutdown(ctx)
}

// Close tears support and every module above it down now, for good. It
// waits only for calls in flight; objects still alive are released and
// their later calls return ErrFinalized.
func Close() error { return modules.Support.Close() }

// ModuleStats returns the lifecycle statistics of support.
func ModuleStats() Stats { return modules.Support.Stats() }

// Stats is a snapshot of one module's lifecycle counters.
type Stats = lifecycle.Stats

// ObjectInfo describes a live object: its module, kind, generation and,
// with leak tracking on, where it was created.
type ObjectInfo = lifecycle.ObjectInfo

// ShutdownError is returned by a graceful shutdown whose context ended
// while objects were still alive; it lists them.
type ShutdownError = lifecycle.ShutdownError

// LifecycleError is the error every call on a closed or finalized object or
// module returns. It names the module and the object kind, and unwraps to
// one of the lifecycle sentinels.
type LifecycleError = lifecycle.Error

// SetLeakTracking turns the recording of creation sites on or off for
// objects made from now on. Sites appear in shutdown reports and leak
// reports. It is off unless SAFEKRB5_LEAKTRACK=1 is set in the environment.
func SetLeakTracking(on bool) { lifecycle.SetLeakTracking(on) }

// SetLeakReporter sets a function called for every object of any module
// that is garbage collected without having been closed. The object's
// resources are not released by this: it stays alive in the statistics and
// holds its module loaded. Nil turns reporting off.
func SetLeakReporter(f func(ObjectInfo)) { lifecycle.SetLeakReporter(f) }
