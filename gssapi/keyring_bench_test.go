package gssapi

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The live reload benchmarks. Run them side by side, in interleaved
// rounds, as BENCHMARKS.md says:
//
//	go test -run '^$' -bench 'Keyring' -benchmem ./gssapi/
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
	for range b.N {
		if err := ac.Reload(); err != nil {
			b.Fatal(err)
		}
	}
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
	start := time.Now()
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
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
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
