package lifecycle

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/errortables"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// stack is three modules wired like safekrb5's: top depends on mid, mid on
// bottom. events records loads and teardowns in order.
type stack struct {
	bottom, mid, top *Module
	mu               sync.Mutex
	events           []string
}

func (s *stack) record(e string) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func (s *stack) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.events
	s.events = nil
	return e
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{}
	mk := func(name string, deps ...*Module) *Module {
		return NewModule(Config{
			Name: name,
			Deps: deps,
			Load: func(g *Generation) error {
				s.record("load " + name)
				g.Value = name
				return nil
			},
			Teardown: func(g *Generation) { s.record("teardown " + name) },
		})
	}
	s.bottom = mk("bottom")
	s.mid = mk("mid", s.bottom)
	s.top = mk("top", s.mid)
	return s
}

func TestLazyLoadAndTeardownOrder(t *testing.T) {
	s := newStack(t)
	kind := s.top.NewKind("ctx")
	released := 0
	o, err := kind.NewObject(func() { released++ })
	require.NoError(t, err)
	assert.Equal(t, []string{"load bottom", "load mid", "load top"}, s.take())
	assert.Equal(t, Loaded, s.mid.State())
	assert.Equal(t, 1, s.mid.Stats().Dependents)

	require.NoError(t, o.Close())
	assert.Equal(t, 1, released)
	assert.Equal(t,
		[]string{"teardown top", "teardown mid", "teardown bottom"}, s.take())
	for _, m := range []*Module{s.top, s.mid, s.bottom} {
		assert.Equal(t, NotLoaded, m.State())
	}
}

func TestDependentReleaseLeavesDependencyIntact(t *testing.T) {
	s := newStack(t)
	h, err := s.mid.Open()
	require.NoError(t, err)
	gen := h.Generation()

	for i := 0; i < 3; i++ {
		o, err := s.top.NewKind("ctx").NewObject(nil)
		require.NoError(t, err)
		require.NoError(t, o.Close())
	}
	assert.Equal(t, uint64(3), s.top.Stats().Teardowns)
	assert.Equal(t, uint64(0), s.mid.Stats().Teardowns)
	assert.Equal(t, Loaded, s.mid.State())
	assert.Same(t, gen, s.mid.gen, "mid kept its generation")
	require.NoError(t, h.Close())
	assert.Equal(t, NotLoaded, s.bottom.State())
}

func TestCloseWaitsForCallsInFlight(t *testing.T) {
	s := newStack(t)
	var released atomic.Bool
	o, err := s.mid.NewKind("client").NewObject(func() { released.Store(true) })
	require.NoError(t, err)

	require.NoError(t, o.Enter())
	closed := make(chan error)
	go func() { closed <- o.Close() }()

	// New calls fail once Close has begun.
	require.Eventually(t, func() bool { return o.Err() != nil },
		5*time.Second, time.Millisecond)
	err = o.Enter()
	require.ErrorIs(t, err, errortables.ErrClosed)
	assert.Equal(t, "mid: client: object is closed", err.Error())
	assert.False(t, released.Load(), "release waits for the call")

	select {
	case <-closed:
		t.Fatal("Close returned while a call was in flight")
	default:
	}
	o.Leave()
	require.NoError(t, <-closed)
	assert.True(t, released.Load())
	require.ErrorIs(t, o.Close(), errortables.ErrClosed)
}

func TestReloadMakesNewGeneration(t *testing.T) {
	s := newStack(t)
	kind := s.top.NewKind("ctx")
	old, err := kind.NewObject(nil)
	require.NoError(t, err)
	require.NoError(t, old.Close())

	fresh, err := kind.NewObject(nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), fresh.Generation().ID())
	assert.True(t, old.Generation().Finalized())
	require.ErrorIs(t, old.Enter(), errortables.ErrClosed)
	require.NoError(t, fresh.Enter())
	fresh.Leave()
	require.NoError(t, fresh.Close())
}

func TestShutdownWaitsForObjects(t *testing.T) {
	s := newStack(t)
	o, err := s.mid.NewKind("client").NewObject(nil)
	require.NoError(t, err)
	top, err := s.top.NewKind("ctx").NewObject(nil)
	require.NoError(t, err)
	h, err := s.mid.Open()
	require.NoError(t, err)

	done := make(chan error)
	go func() { done <- s.bottom.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		return s.mid.State() == ShuttingDown
	}, 5*time.Second, time.Millisecond)

	_, err = s.mid.NewKind("client").NewObject(nil)
	require.ErrorIs(t, err, errortables.ErrShuttingDown)
	require.NoError(t, o.Enter(), "live objects keep working")
	o.Leave()

	require.NoError(t, top.Close())
	require.NoError(t, o.Close())
	require.NoError(t, <-done)
	for _, m := range []*Module{s.top, s.mid, s.bottom} {
		assert.Equal(t, Finalized, m.State(), m.Name())
	}
	require.NoError(t, h.Close(), "shutdown released the handle")
	_, err = s.mid.Open()
	require.ErrorIs(t, err, errortables.ErrFinalized)
}

func TestShutdownDeadlineListsLiveObjects(t *testing.T) {
	SetLeakTracking(true)
	defer SetLeakTracking(false)
	s := newStack(t)
	o, err := s.mid.NewKind("client").NewObject(nil)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = s.mid.Shutdown(ctx)
	require.ErrorIs(t, err, errortables.ErrBusy)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var se *ShutdownError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Live, 1)
	assert.Equal(t, "client", se.Live[0].Kind)
	assert.Equal(t, "mid", se.Live[0].Module)
	assert.Contains(t, se.Live[0].Site, "lifecycle_test.go:")
	assert.True(t, strings.Contains(err.Error(), "mid client (generation 1)"))

	// Closing the last object finishes the shutdown.
	require.NoError(t, o.Close())
	<-s.mid.Done()
	assert.Equal(t, Finalized, s.top.State())
	assert.Equal(t, NotLoaded, s.bottom.State(),
		"a dependency is released, not shut down")
}

func TestForcefulCloseFinalizesObjects(t *testing.T) {
	s := newStack(t)
	var releases atomic.Int32
	kind := s.mid.NewKind("client")
	busy, err := kind.NewObject(func() { releases.Add(1) })
	require.NoError(t, err)
	idle, err := kind.NewObject(func() { releases.Add(1) })
	require.NoError(t, err)

	require.NoError(t, busy.Enter())
	closed := make(chan struct{})
	go func() {
		assert.NoError(t, s.bottom.Close())
		close(closed)
	}()
	require.Eventually(t, func() bool { return idle.Err() != nil },
		5*time.Second, time.Millisecond)
	require.ErrorIs(t, idle.Enter(), errortables.ErrFinalized)
	select {
	case <-closed:
		t.Fatal("Close did not wait for the call in flight")
	default:
	}
	busy.Leave()
	<-closed
	assert.Equal(t, int32(2), releases.Load())
	assert.Equal(t, Finalized, s.mid.State())
	require.ErrorIs(t, busy.Enter(), errortables.ErrFinalized)
	require.NoError(t, busy.Close(), "release already ran")
	assert.Equal(t, int32(2), releases.Load())
}

func TestLoadFailureLeavesNothingLoaded(t *testing.T) {
	bottom := NewModule(Config{Name: "b"})
	fail := true
	top := NewModule(Config{
		Name: "t", Deps: []*Module{bottom},
		Load: func(*Generation) error {
			if fail {
				return errors.New("no config")
			}
			return nil
		},
	})
	_, err := top.Open()
	require.EqualError(t, err, "no config")
	assert.Equal(t, NotLoaded, bottom.State())
	fail = false
	h, err := top.Open()
	require.NoError(t, err)
	require.NoError(t, h.Close())
}

func TestGenerationGoroutinesStopAtTeardown(t *testing.T) {
	m := NewModule(Config{Name: "g"})
	o, err := m.NewKind("x").NewObject(nil)
	require.NoError(t, err)
	g := o.Generation()
	stopped := make(chan struct{})
	require.True(t, g.Go(func(ctx context.Context) {
		<-ctx.Done()
		close(stopped)
	}))
	require.NoError(t, o.Close())
	<-stopped
	assert.False(t, g.Go(func(context.Context) {}))
}

func TestLeakReported(t *testing.T) {
	m := NewModule(Config{Name: "leaky"})
	reported := make(chan LeakReport, 1)
	SetLeakReporter(func(r LeakReport) { reported <- r })
	defer SetLeakReporter(nil)

	type owner struct{ o *Object }
	o, err := m.NewKind("thing").NewObject(nil)
	require.NoError(t, err)
	func() {
		w := &owner{o: o}
		WatchLeak(w, o)
	}()
	deadline := time.After(10 * time.Second)
	for {
		runtimeGC()
		select {
		case r := <-reported:
			assert.Equal(t, "thing", r.Kind)
			assert.Equal(t, uint64(1), m.Stats().Leaked)
			require.NoError(t, o.Close())
			return
		case <-deadline:
			t.Fatal("leak not reported")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// An owner whose release function is one of its methods, and which is
// watched for leaks, is collected once it is closed and dropped.
type collectedOwner struct {
	o       *Object
	payload [1 << 16]byte
}

func (w *collectedOwner) release() { w.payload[0] = 1 }

func TestClosedOwnerCollected(t *testing.T) {
	m := NewModule(Config{Name: "collected"})
	for _, forceful := range []bool{false, true} {
		w := &collectedOwner{}
		o, err := m.NewKind("thing").NewObject(w.release)
		require.NoError(t, err)
		w.o = o
		WatchLeak(w, o)
		if forceful {
			require.NoError(t, m.Close())
		} else {
			require.NoError(t, o.Close())
		}
		ref := weak.Make(w)
		w = nil
		deadline := time.Now().Add(10 * time.Second)
		for ref.Value() != nil {
			require.True(t, time.Now().Before(deadline),
				"closed owner still reachable (forceful %v)", forceful)
			runtimeGC()
		}
		runtime.KeepAlive(o)
	}
}

func TestRefusesNamesTheStateWithoutLoading(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, s *stack) (cleanup func())
		want  error
		state State
	}{
		{"not loaded", func(*testing.T, *stack) func() { return func() {} },
			nil, NotLoaded},
		{"loaded", func(t *testing.T, s *stack) func() {
			h, err := s.mid.Open()
			require.NoError(t, err)
			return func() { require.NoError(t, h.Close()) }
		}, nil, Loaded},
		{"shutting down", func(t *testing.T, s *stack) func() {
			o, err := s.mid.NewKind("client").NewObject(nil)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			require.ErrorIs(t, s.mid.Shutdown(ctx), errortables.ErrBusy)
			return func() { require.NoError(t, o.Close()) }
		}, errortables.ErrShuttingDown, ShuttingDown},
		{"finalized", func(t *testing.T, s *stack) func() {
			require.NoError(t, s.mid.Close())
			return func() {}
		}, errortables.ErrFinalized, Finalized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			cleanup := tt.setup(t, s)
			defer cleanup()
			s.take()
			err := s.mid.Refuses()
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
				assert.Contains(t, err.Error(), "mid")
			}
			assert.Equal(t, tt.state, s.mid.State())
			assert.Empty(t, s.take(), "Refuses loads and tears down nothing")
		})
	}
}

func TestShutdownErrorText(t *testing.T) {
	obj := ObjectInfo{Module: "krb5", Kind: "client", Generation: 2}
	tests := []struct {
		name string
		live []ObjectInfo
		want string
	}{
		{"none", nil,
			"krb5: shutdown: context deadline exceeded with 0 live objects"},
		{"one", []ObjectInfo{obj},
			"krb5: shutdown: context deadline exceeded with 1 live object; " +
				"krb5 client (generation 2)"},
		{"two", []ObjectInfo{obj, obj},
			"krb5: shutdown: context deadline exceeded with 2 live objects; " +
				"krb5 client (generation 2); krb5 client (generation 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &ShutdownError{Module: "krb5", Live: tt.live,
				Cause: context.DeadlineExceeded}
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// TestGenerationContext: a generation's context, made on first use, is
// live while the generation is, is the one its goroutines get, and is
// cancelled by teardown, also when first asked for afterwards.
func TestGenerationContext(t *testing.T) {
	m := NewModule(Config{Name: "ctx"})
	h, err := m.Open()
	require.NoError(t, err)
	g := h.Generation()
	ctx := g.Context()
	require.NoError(t, ctx.Err())
	assert.Same(t, ctx, g.Context())
	got := make(chan context.Context, 1)
	require.True(t, g.Go(func(c context.Context) {
		got <- c
		<-c.Done()
	}))
	assert.Same(t, ctx, <-got)
	require.NoError(t, h.Close(), "teardown stops the goroutine")
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.False(t, g.Go(func(context.Context) {}))

	h, err = m.Open()
	require.NoError(t, err)
	g = h.Generation()
	require.NoError(t, h.Close())
	assert.ErrorIs(t, g.Context().Err(), context.Canceled,
		"asked for only after teardown")
}
