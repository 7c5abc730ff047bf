package krb5

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safekrb5/safekrb5/internal/modules"
)

// kdcRetryAfter is how long after a failure a KDC is tried after the
// other KDCs of its realm; tests change it. A KDC that fails again is put
// back for as long again; one that answers is forgiven at once.
var kdcRetryAfter atomic.Int64

func init() { kdcRetryAfter.Store(int64(time.Minute)) }

// kdcHealth remembers, for one generation of the module, the KDCs that
// failed lately, each with the transport it failed over, so that every
// client of the process tries them last. It holds addresses and times,
// nothing secret. The zero value is ready; a nil *kdcHealth remembers
// nothing.
type kdcHealth struct {
	// mu guards failed.
	mu sync.Mutex
	// failed holds, per attempt, when it last failed. Entries older
	// than kdcRetryAfter are dropped on the next failure.
	failed map[kdcAttempt]time.Time
}

// lateLocked reports whether a failed within kdcRetryAfter of now.
func (h *kdcHealth) lateLocked(a kdcAttempt, now time.Time) bool {
	at, ok := h.failed[a]
	return ok && now.Before(at.Add(time.Duration(kdcRetryAfter.Load())))
}

// currentKDCHealth returns the table of the loaded generation, or nil
// when the module is not loaded.
func currentKDCHealth() *kdcHealth {
	g, err := modules.KRB5.Enter()
	if err != nil {
		return nil
	}
	defer modules.KRB5.Leave(g)
	return g.Value.(*state).kdcs
}

// fail records that a failed, at now.
func (h *kdcHealth) fail(a kdcAttempt, now time.Time) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed == nil {
		h.failed = make(map[kdcAttempt]time.Time)
	}
	for k := range h.failed {
		if !h.lateLocked(k, now) {
			delete(h.failed, k)
		}
	}
	h.failed[a] = now
}

// answered records that a answered.
func (h *kdcHealth) answered(a kdcAttempt) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failed, a)
}

// order returns attempts with those that failed lately moved to the end,
// each group keeping its order.
func (h *kdcHealth) order(attempts []kdcAttempt, now time.Time) []kdcAttempt {
	if h == nil {
		return attempts
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.failed) == 0 {
		return attempts
	}
	late := func(a kdcAttempt) bool { return h.lateLocked(a, now) }
	out := slices.DeleteFunc(slices.Clone(attempts), late)
	for _, a := range attempts {
		if late(a) {
			out = append(out, a)
		}
	}
	return out
}
