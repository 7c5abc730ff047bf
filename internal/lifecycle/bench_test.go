package lifecycle

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The guarded call (Object.Enter and Leave) against what a caller would
// otherwise use: nothing, one shared atomic counter, a read lock.

//go:noinline
func work(x *int64) { *x++ }

func benchObject(b *testing.B) *Object {
	m := NewModule(Config{Name: "bench"})
	o, err := m.NewKind("obj").NewObject(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	return o
}

func BenchmarkCallUnguarded(b *testing.B) {
	var x int64
	for i := 0; i < b.N; i++ {
		work(&x)
	}
}

func BenchmarkCallAtomicAdd(b *testing.B) {
	var n atomic.Int64
	var x int64
	for i := 0; i < b.N; i++ {
		n.Add(1)
		work(&x)
	}
}

func BenchmarkCallRWMutex(b *testing.B) {
	var mu sync.RWMutex
	var x int64
	for i := 0; i < b.N; i++ {
		mu.RLock()
		work(&x)
		mu.RUnlock()
	}
}

func BenchmarkCallGuarded(b *testing.B) {
	o := benchObject(b)
	var x int64
	for i := 0; i < b.N; i++ {
		if o.Enter() == nil {
			work(&x)
			o.Leave()
		}
	}
}

func BenchmarkCallParallelUnguarded(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var x int64
		for pb.Next() {
			work(&x)
		}
	})
}

func BenchmarkCallParallelAtomicAdd(b *testing.B) {
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		var x int64
		for pb.Next() {
			n.Add(1)
			work(&x)
		}
	})
}

func BenchmarkCallParallelRWMutex(b *testing.B) {
	var mu sync.RWMutex
	b.RunParallel(func(pb *testing.PB) {
		var x int64
		for pb.Next() {
			mu.RLock()
			work(&x)
			mu.RUnlock()
		}
	})
}

// One object shared by every goroutine: the worst case for its counter.
func BenchmarkCallParallelGuardedShared(b *testing.B) {
	o := benchObject(b)
	b.RunParallel(func(pb *testing.PB) {
		var x int64
		for pb.Next() {
			if o.Enter() == nil {
				work(&x)
				o.Leave()
			}
		}
	})
}

// One object per goroutine, as with per-request security contexts.
func BenchmarkCallParallelGuardedOwn(b *testing.B) {
	m := NewModule(Config{Name: "bench"})
	k := m.NewKind("obj")
	b.RunParallel(func(pb *testing.PB) {
		o, err := k.NewObject(nil)
		if err != nil {
			b.Error(err)
			return
		}
		defer o.Close()
		var x int64
		for pb.Next() {
			if o.Enter() == nil {
				work(&x)
				o.Leave()
			}
		}
	})
}

func BenchmarkObjectCreateClose(b *testing.B) {
	m := NewModule(Config{Name: "bench"})
	h, err := m.Open() // keeps the module loaded between objects
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	k := m.NewKind("obj")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		o, err := k.NewObject(nil)
		if err != nil {
			b.Fatal(err)
		}
		o.Close()
	}
}

func BenchmarkModuleEnterLeave(b *testing.B) {
	m := NewModule(Config{Name: "bench"})
	h, err := m.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for i := 0; i < b.N; i++ {
		g, err := m.Enter()
		if err != nil {
			b.Fatal(err)
		}
		m.Leave(g)
	}
}

// shutdownIdle makes n idle objects and times a forceful Close of their
// module, which finalizes every one.
func shutdownIdle(tb testing.TB, n int) (time.Duration, float64) {
	m := NewModule(Config{Name: "bench-shutdown"})
	k := m.NewKind("obj")
	objs := make([]*Object, n)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range objs {
		o, err := k.NewObject(nil)
		if err != nil {
			tb.Fatal(err)
		}
		objs[i] = o
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perObject := float64(after.HeapAlloc-before.HeapAlloc-uint64(n*8)) / float64(n)
	begin := time.Now()
	if err := m.Close(); err != nil {
		tb.Fatal(err)
	}
	took := time.Since(begin)
	runtime.KeepAlive(objs)
	return took, perObject
}

func BenchmarkShutdownMillionIdle(b *testing.B) {
	for i := 0; i < b.N; i++ {
		took, per := shutdownIdle(b, 1_000_000)
		b.ReportMetric(float64(took.Milliseconds()), "ms/shutdown")
		b.ReportMetric(per, "B/object")
	}
}

// TestShutdownMillionIdleBounded checks the bookkeeping per object, which
// does not depend on the machine's speed; the time is only logged.
func TestShutdownMillionIdleBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a million objects")
	}
	n := 1_000_000
	if raceEnabled {
		n = 100_000
	}
	took, per := shutdownIdle(t, n)
	t.Logf("%d idle objects: forceful close in %v, %.1f bytes each", n, took, per)
	if per > 64 {
		t.Errorf("%.1f bytes of bookkeeping per object, want at most 64", per)
	}
}

// BenchmarkLoadTeardown loads and tears down a module with one
// dependency, which loads and tears down with it: one generation of
// each per iteration.
func BenchmarkLoadTeardown(b *testing.B) {
	dep := NewModule(Config{Name: "bench-dep"})
	m := NewModule(Config{Name: "bench-top", Deps: []*Module{dep}})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h, err := m.Open()
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
