package lifecycle

// Tests that reproduce the failures classic Kerberos libraries show at
// exit and unload, and check that the engine prevents each.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
)

// keyState is module state with key material, wiped at teardown, as a
// library's context would hold.
type keyState struct{ key []byte }

func keyModule(name string, deps ...*Module) (*Module, *atomic.Int64) {
	var teardowns atomic.Int64
	m := NewModule(Config{
		Name: name,
		Deps: deps,
		Load: func(g *Generation) error {
			g.Value = &keyState{key: bytes.Repeat([]byte{0xa5}, 32)}
			return nil
		},
		Teardown: func(g *Generation) {
			clear(g.Value.(*keyState).key)
			teardowns.Add(1)
		},
	})
	return m, &teardowns
}

// isLifecycleErr reports whether err is one of the engine's refusals.
func isLifecycleErr(err error) bool {
	return errors.Is(err, errortables.ErrClosed) || errors.Is(err, errortables.ErrFinalized) ||
		errors.Is(err, errortables.ErrShuttingDown) || errors.Is(err, errortables.ErrNotLoaded)
}

// TestExitWhileInsideCalls: one goroutine tears the module down, as
// exit() runs destructors, while others are inside calls that read the
// module's keys. No call may see the keys wiped, every call after the
// teardown is refused, and each object's release runs once.
func TestExitWhileInsideCalls(t *testing.T) {
	m, teardowns := keyModule("exit")
	k := m.NewKind("ctx")
	const workers = 16
	var released atomic.Int64
	objs := make([]*Object, workers)
	for i := range objs {
		o, err := k.NewObject(func() { released.Add(1) })
		require.NoError(t, err)
		objs[i] = o
	}
	var wg sync.WaitGroup
	var inside, refused atomic.Int64
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(o *Object) {
			defer wg.Done()
			for {
				if err := o.Enter(); err != nil {
					if !errors.Is(err, errortables.ErrFinalized) {
						t.Errorf("unexpected refusal: %v", err)
					}
					refused.Add(1)
					return
				}
				inside.Add(1)
				st := o.Generation().Value.(*keyState)
				for j := 0; j < 100; j++ {
					if st.key[0] != 0xa5 {
						t.Error("a call saw the module's keys wiped")
						break
					}
				}
				o.Leave()
			}
		}(objs[i])
	}
	for inside.Load() < 1000 {
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, m.Close()) // the exit analogue
	wg.Wait()
	assert.EqualValues(t, workers, refused.Load())
	assert.EqualValues(t, workers, released.Load())
	assert.EqualValues(t, 1, teardowns.Load())
	assert.Equal(t, Finalized, m.State())
	for _, o := range objs {
		assert.NoError(t, o.Close(), "Close after a forceful teardown is harmless")
		assert.ErrorIs(t, o.Enter(), errortables.ErrFinalized)
	}
}

// TestTablesReleasedWhilePrinting: a module registers an error table
// while loaded and releases it at teardown; goroutines print errors of
// that table all the while. Messages are always whole: the table's text
// while it is registered, com_err's unknown-code form otherwise, and an
// Error made while it was registered keeps its text.
func TestTablesReleasedWhilePrinting(t *testing.T) {
	table := errortables.NewTable("tsk", []errortables.Entry{
		{Name: "TSK_ONE", Message: "the first test message"},
		{Name: "TSK_TWO", Message: "the second test message"},
	})
	m := NewModule(Config{
		Name:     "tables",
		Load:     func(*Generation) error { errortables.Register(table); return nil },
		Teardown: func(*Generation) { errortables.Release(table) },
	})
	k := m.NewKind("obj")
	o, err := k.NewObject(nil)
	require.NoError(t, err)
	kept := errortables.FromCode(table.Code(1))
	require.NoError(t, o.Close())

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var printed atomic.Int64
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				msg := errortables.Message(table.Code(0))
				if msg != "the first test message" && !strings.Contains(msg, "tsk") {
					t.Errorf("torn message %q", msg)
					return
				}
				if kept.Error() == "" || !strings.Contains(kept.Error(), "second test message") {
					t.Errorf("a kept error lost its text: %q", kept.Error())
					return
				}
				printed.Add(1)
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		o, err := k.NewObject(nil)
		require.NoError(t, err)
		require.NoError(t, o.Close())
	}
	close(stop)
	wg.Wait()
	assert.Positive(t, printed.Load())
	assert.Equal(t, 0, errortables.Registered(table), "released as often as registered")
}

// TestReloadTenThousandTimes loads, tears down and reloads a dependent
// module ten thousand times while its dependency stays loaded; each load
// is a new generation with fresh state, and the dependency's generation
// never changes.
func TestReloadTenThousandTimes(t *testing.T) {
	base, baseTeardowns := keyModule("reload-base")
	top, topTeardowns := keyModule("reload-top", base)
	h, err := base.Open()
	require.NoError(t, err)
	defer h.Close()
	baseGen := base.Stats().Generation
	k := top.NewKind("ctx")
	var last uint64
	const n = 10_000
	for i := 0; i < n; i++ {
		o, err := k.NewObject(nil)
		require.NoError(t, err)
		g := o.Generation()
		require.Greater(t, g.ID(), last)
		last = g.ID()
		require.Equal(t, byte(0xa5), g.Value.(*keyState).key[0], "fresh state")
		require.NoError(t, o.Close())
		require.Equal(t, byte(0), g.Value.(*keyState).key[0], "wiped at teardown")
	}
	assert.EqualValues(t, n, topTeardowns.Load())
	assert.EqualValues(t, 0, baseTeardowns.Load())
	assert.Equal(t, baseGen, base.Stats().Generation)
	assert.Equal(t, Loaded, base.State())
}

// TestReleasedOutOfOrder: the caller drops its handles on the bottom and
// middle modules first, while an object of the top module lives; the
// dependency counts keep them loaded, and the teardown, when the object
// goes, runs top first.
func TestReleasedOutOfOrder(t *testing.T) {
	s := newStack(t)
	hb, err := s.bottom.Open()
	require.NoError(t, err)
	hm, err := s.mid.Open()
	require.NoError(t, err)
	o, err := s.top.NewKind("ctx").NewObject(nil)
	require.NoError(t, err)
	s.take()

	require.NoError(t, hb.Close())
	require.NoError(t, hm.Close())
	assert.Empty(t, s.take(), "nothing torn down while the top object lives")
	assert.Equal(t, Loaded, s.bottom.State())
	assert.Equal(t, Loaded, s.mid.State())
	assert.ErrorIs(t, hb.Close(), errortables.ErrClosed)

	require.NoError(t, o.Close())
	assert.Equal(t, []string{"teardown top", "teardown mid", "teardown bottom"}, s.take())
}

// TestShutdownOfDependencyWaitsForDependents: shutting down the bottom
// module first shuts down what depends on it, waiting for the top
// module's live object, and refuses new objects everywhere at once.
func TestShutdownOfDependencyWaitsForDependents(t *testing.T) {
	s := newStack(t)
	o, err := s.top.NewKind("ctx").NewObject(nil)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.bottom.Shutdown(t.Context()) }()
	require.Eventually(t, func() bool { return s.top.State() == ShuttingDown }, time.Second,
		time.Millisecond)
	_, err = s.mid.NewKind("x").NewObject(nil)
	assert.True(t, isLifecycleErr(err), fmt.Sprint(err))
	select {
	case err := <-done:
		t.Fatalf("shutdown returned %v while an object lives", err)
	case <-time.After(20 * time.Millisecond):
	}
	require.NoError(t, o.Close())
	require.NoError(t, <-done)
	for _, m := range []*Module{s.top, s.mid, s.bottom} {
		assert.Equal(t, Finalized, m.State())
	}
}
