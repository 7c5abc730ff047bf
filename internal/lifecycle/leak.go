package lifecycle

import (
	"runtime"
	"sync/atomic"
)

// LeakReport describes an object that was garbage collected without being
// closed.
type LeakReport = ObjectInfo

// leakReporter is called for each leaked object, if set.
var leakReporter atomic.Pointer[func(LeakReport)]

// SetLeakReporter sets the function called, on a runtime goroutine, for
// every object dropped without Close. Nil turns reporting off; the count in
// Stats.Leaked is kept either way.
func SetLeakReporter(f func(LeakReport)) {
	if f == nil {
		leakReporter.Store(nil)
		return
	}
	leakReporter.Store(&f)
}

// WatchLeak arranges for o to be reported as leaked if owner becomes
// unreachable while o is still open. It is a backstop that reports; it
// never closes o or releases anything. owner must be the value users hold
// (a client, a credential), and must not be reachable from o.
func WatchLeak[T any](owner *T, o *Object) {
	runtime.AddCleanup(owner, reportLeak, o)
}

func reportLeak(o *Object) {
	if o.state.Load()&flagMask != 0 {
		return
	}
	o.gen.mod.leaked.Add(1)
	if f := leakReporter.Load(); f != nil {
		(*f)(o.Info())
	}
}
