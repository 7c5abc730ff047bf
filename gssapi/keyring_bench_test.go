package gssapi

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The live reload benchmarks. Run them side by side, in interleaved
// rounds, with scripts/bench.sh (make bench), as BENCHMARKS.md says. Beside
// testing's wall-clock ns/op each reports cpu-ns/op, the process's CPU
// time (every thread: the accepts, the reloads, the garbage collector)
// per operation, which other work on a shared machine disturbs far less.
//
// BenchmarkKeyringReload is the cost of one Reload of a keytab file of
// eight keys (two kvnos, four enctypes, as MIT's ktadd leaves it):
// looking at the file, reading and parsing it, installing the new key
// set and wiping the one it replaces. The Accept benchmarks accept
// forged Kerberos tokens from every core, with no reload, with ten
// reloads a second (a busy deployment's watch would do far fewer), and
// with reloads back to back on a goroutine of their own.

// benchKeytab writes the benchmark's keytab and returns its keys.
func benchKeytab(b *testing.B) *forgeKeys {
	f := newForgeKeys(b)
	f.write(1, 2)
	return f
}

func BenchmarkKeyringReload(b *testing.B) {
	f := benchKeytab(b)
	ac, err := NewAcceptorCredentialFromFile(f.path)
	if err != nil {
		b.Fatal(err)
	}
	defer ac.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if err := ac.Reload(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// cpuTime returns the CPU time, user and system, of every thread of the
// process, precise to the nanosecond.
func cpuTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func BenchmarkKeyringAcceptSteady(b *testing.B) { benchAccept(b, -1) }

func BenchmarkKeyringAcceptReload10PerSec(b *testing.B) {
	benchAccept(b, 100*time.Millisecond)
}

func BenchmarkKeyringAcceptReloadNonstop(b *testing.B) { benchAccept(b, 0) }

// benchAccept accepts tokens in parallel while a goroutine reloads the
// keytab every interval (back to back for 0, never for a negative one).
func benchAccept(b *testing.B, interval time.Duration) {
	f := benchKeytab(b)
	ac, err := NewAcceptorCredentialFromFile(f.path)
	if err != nil {
		b.Fatal(err)
	}
	defer ac.Close()
	toks := f.tokens(2, b.N, time.Now())
	var next atomic.Int64
	var reloads atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if interval >= 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reloadEvery(b, ac, interval, stop, &reloads)
		}()
	}
	runtime.GC() // the forged tokens' garbage, not the accepts'
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sc, _, err := ac.Accept(toks[next.Add(1)-1])
			if err != nil {
				b.Error(err)
				return
			}
			sc.Close()
		}
	})
	b.StopTimer()
	elapsed, used := time.Since(start), cpuTime()-cpu
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
	if interval >= 0 {
		b.ReportMetric(float64(reloads.Load())/elapsed.Seconds(), "reloads/s")
	}
}

// reloadEvery reloads ac every interval, or back to back for 0, until
// stop is closed, counting the reloads.
func reloadEvery(b *testing.B, ac *AcceptorCredential,
	interval time.Duration, stop <-chan struct{}, reloads *atomic.Int64) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		if tick != nil {
			select {
			case <-stop:
				return
			case <-tick:
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		if err := ac.Reload(); err != nil {
			b.Error(err)
			return
		}
		reloads.Add(1)
	}
}
