// Package stress runs the lifecycle engine under load through the public
// packages: krb5 and gssapi objects made, used and closed on many
// goroutines while gssapi is torn down and loaded again, and whole-library
// shutdowns in child processes while calls are in flight.
package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// duration of the main stress run; SAFEKRB5_STRESS_SECONDS overrides it.
func duration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("SAFEKRB5_STRESS_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if testing.Short() {
		return 2 * time.Second
	}
	return 12 * time.Second
}

const childEnv = "SAFEKRB5_STRESS_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// lifecycleErr reports whether err is one of the engine's refusals.
func lifecycleErr(err error) bool {
	return errors.Is(err, krb5.ErrClosed) || errors.Is(err, krb5.ErrFinalized) ||
		errors.Is(err, krb5.ErrShuttingDown) || errors.Is(err, krb5.ErrNotLoaded)
}

// world is what the workers share.
type world struct {
	r      *testrealm.Realm
	c      *krb5.Client // logged in; lives through the run
	kt     *krb5.Keytab // the service keytab; lives through the run
	stop   chan struct{}
	errs   chan error
	ops    atomic.Int64
	closed atomic.Int64 // ErrClosed seen where a racing Close allows it

	mu     sync.Mutex
	leaked [][]byte // key bytes kept past their call, to check wiping

	// gate lets the coordinator stop the gssapi users now and then: each
	// holds it for reading while it has a gssapi object or handle, so
	// when the coordinator holds it, gssapi has no reference left.
	gate   sync.RWMutex
	cycles atomic.Int64
}

func (w *world) fail(format string, a ...any) {
	select {
	case w.errs <- fmt.Errorf(format, a...):
	default:
	}
}

func (w *world) running() bool {
	select {
	case <-w.stop:
		return false
	default:
		return true
	}
}

// gssWorker makes an acceptor credential, authenticates a few contexts
// through it, and closes it; when every worker is between credentials,
// gssapi tears down, and the next credential loads it again.
func (w *world) gssWorker(ctx context.Context) {
	for w.running() {
		w.gate.RLock()
		cred, err := gssapi.NewAcceptorCredential(w.kt)
		if err != nil {
			w.gate.RUnlock()
			w.fail("NewAcceptorCredential: %v", err)
			return
		}
		for j := 0; j < 3; j++ {
			in, tok, err := gssapi.Initiate(ctx, w.c, "HTTP/localhost")
			if err != nil {
				w.fail("Initiate: %v", err)
				break
			}
			sc, out, err := cred.Accept(tok)
			if err != nil {
				in.Close()
				w.fail("Accept: %v", err)
				break
			}
			isc, err := in.Finish(out)
			if err != nil {
				w.fail("Finish: %v", err)
			} else {
				isc.Close()
			}
			if err := sc.Close(); err != nil {
				w.fail("SecurityContext.Close: %v", err)
			}
			w.ops.Add(1)
		}
		if err := cred.Close(); err != nil {
			w.fail("AcceptorCredential.Close: %v", err)
		}
		w.gate.RUnlock()
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	}
}

// krb5Worker makes and closes krb5 objects and uses the shared client.
func (w *world) krb5Worker(ctx context.Context) {
	cfg := w.c.Config()
	for w.running() {
		c, err := krb5.NewWithPassword(w.r.User, w.r.Name, "unused", cfg, krb5.DisableAutoRenew())
		if err != nil {
			w.fail("NewWithPassword: %v", err)
			return
		}
		if err := c.Close(); err != nil {
			w.fail("Client.Close: %v", err)
		}
		kt, err := krb5.LoadKeytab(w.r.Keytab)
		if err != nil {
			w.fail("LoadKeytab: %v", err)
			return
		}
		name := types.PrincipalName{NameType: 3, NameString: []string{"HTTP", "localhost"}}
		err = kt.UseKey(name, w.r.Name, 0, 18, func(k types.EncryptionKey, _ uint32) error {
			if rand.IntN(50) == 0 {
				w.mu.Lock()
				w.leaked = append(w.leaked, k.KeyValue) // against the rules, to check wiping
				w.mu.Unlock()
			}
			return nil
		})
		if err != nil {
			w.fail("UseKey: %v", err)
		}
		if err := kt.Close(); err != nil {
			w.fail("Keytab.Close: %v", err)
		}
		if _, err := w.c.ServiceTicket(ctx, "HTTP/localhost"); err != nil {
			w.fail("ServiceTicket: %v", err)
		}
		w.ops.Add(1)
	}
}

// handleWorker releases and re-acquires gssapi through library handles.
func (w *world) handleWorker() {
	for w.running() {
		w.gate.RLock()
		lib, err := gssapi.Open()
		if err != nil {
			w.gate.RUnlock()
			w.fail("gssapi.Open: %v", err)
			return
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
		if err := lib.Close(); err != nil {
			w.fail("gssapi Library.Close: %v", err)
		}
		w.gate.RUnlock()
		w.ops.Add(1)
	}
}

// coordinator stops the gssapi users every few milliseconds and checks
// that gssapi, left without references, has torn down while krb5 stayed.
func (w *world) coordinator(krb5Gen uint64) {
	for w.running() {
		time.Sleep(10 * time.Millisecond)
		w.gate.Lock()
		if st := gssapi.ModuleStats(); st.State != "not loaded" {
			w.fail("gssapi is %s with no gssapi object alive", st.State)
		}
		if st := krb5.ModuleStats(); st.State != "loaded" || st.Generation != krb5Gen {
			w.fail("krb5 is %s, generation %d, during a gssapi teardown", st.State,
				st.Generation)
		}
		w.cycles.Add(1)
		w.gate.Unlock()
	}
}

// racers share one client between goroutines while one of them closes it:
// every call succeeds or sees the closed error.
func (w *world) racers(ctx context.Context) {
	cfg := w.c.Config()
	for w.running() {
		c, err := krb5.NewWithPassword(w.r.User, w.r.Name, w.r.Password, cfg,
			krb5.DisableAutoRenew())
		if err != nil {
			w.fail("NewWithPassword: %v", err)
			return
		}
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 20; j++ {
					_, err := c.Tickets()
					if err == nil {
						_, err = c.TGT()
						if errors.Is(err, krb5.ErrCredNotFound) {
							err = nil // never logged in
						}
					}
					switch {
					case err == nil:
					case errors.Is(err, krb5.ErrClosed):
						w.closed.Add(1)
						return
					default:
						w.fail("racing call: %v", err)
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(rand.IntN(50)) * time.Microsecond)
		if err := c.Close(); err != nil {
			w.fail("racing Close: %v", err)
		}
		wg.Wait()
		w.ops.Add(1)
	}
}

// minCycles is how many gssapi teardowns, and checks of krb5 across
// them, a run must see at least.
const minCycles = 10

func TestStress(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	r := testrealm.ForTest(t, testrealm.Options{})
	if r == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+duration())
	defer cancel()
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg)
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	kt, err := krb5.LoadKeytab(r.Keytab)
	require.NoError(t, err)

	w := &world{r: r, c: c, kt: kt, stop: make(chan struct{}), errs: make(chan error, 16)}
	krb5Gen := krb5.ModuleStats().Generation
	gssTeardowns := gssapi.ModuleStats().Teardowns

	var wg sync.WaitGroup
	spawn := func(n int, f func()) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
	}
	spawn(24, func() { w.gssWorker(ctx) })
	spawn(16, func() { w.krb5Worker(ctx) })
	spawn(8, w.handleWorker)
	spawn(4, func() { w.racers(ctx) }) // each runs 3 more goroutines: 64 in all
	spawn(1, func() { w.coordinator(krb5Gen) })

	// Shutdown cycles in child processes, alongside.
	childDone := make(chan struct{})
	var childRuns atomic.Int64
	go func() {
		defer close(childDone)
		for i := 0; w.running(); i++ {
			mode := []string{"shutdown", "close", "shutdown-deadline"}[i%3]
			if err := runChild(ctx, r, mode); err != nil {
				w.fail("child %s: %v", mode, err)
				return
			}
			childRuns.Add(1)
		}
	}()

	// Run for duration(); on a loaded machine, run on for up to half a
	// minute more, until gssapi went through enough teardowns and
	// checked cycles for the assertions below to mean something.
	enough := func() bool {
		return gssapi.ModuleStats().Teardowns-gssTeardowns > minCycles &&
			w.cycles.Load() > minCycles
	}
	least := time.After(duration())
	most := time.After(duration() + 30*time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
wait:
	for {
		select {
		case <-least:
			least = nil
		case <-tick.C:
		case <-most:
			break wait
		}
		if least == nil && enough() {
			break
		}
	}
	tick.Stop()
	close(w.stop)
	wg.Wait()
	<-childDone
	close(w.errs)
	for err := range w.errs {
		t.Error(err)
	}

	k := krb5.ModuleStats()
	g := gssapi.ModuleStats()
	t.Logf("%d operations, %d racing calls saw the closed error, %d child shutdowns; "+
		"gssapi torn down %d times during the run, checked %d times with krb5 intact",
		w.ops.Load(), w.closed.Load(), childRuns.Load(), g.Teardowns-gssTeardowns,
		w.cycles.Load())
	assert.Equal(t, krb5Gen, k.Generation, "krb5 stayed loaded, in one generation, throughout")
	assert.Greater(t, g.Teardowns-gssTeardowns, uint64(minCycles),
		"gssapi was torn down and loaded again")
	assert.Greater(t, w.cycles.Load(), int64(minCycles))
	assert.Positive(t, childRuns.Load())

	require.NoError(t, kt.Close())
	require.NoError(t, c.Close())
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, b := range w.leaked {
		assert.True(t, bytes.Equal(b, make([]byte, len(b))), "key %d not wiped", i)
	}
	assert.Equal(t, "not loaded", gssapi.ModuleStats().State)
}

// runChild runs one shutdown cycle in a child process.
func runChild(ctx context.Context, r *testrealm.Realm, mode string) error {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "KRB5_CONFIG="+r.ConfPath,
		"STRESS_USER="+r.User, "STRESS_REALM="+r.Name, "STRESS_PASSWORD="+r.Password,
		"STRESS_KEYTAB="+r.Keytab)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("child ok")) {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// child starts workers on krb5 and gssapi objects and, while they are
// inside calls, shuts the library down: gracefully (the workers close
// their objects when refused), with a deadline that passes (the error
// lists the live objects), or forcefully. Every call must succeed or be
// refused with a lifecycle error; nothing may panic.
func child() int {
	mode := os.Getenv(childEnv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := krb5.LoadConfig()
	if err != nil {
		fmt.Println("config:", err)
		return 1
	}
	c, err := krb5.NewWithPassword(os.Getenv("STRESS_USER"), os.Getenv("STRESS_REALM"),
		os.Getenv("STRESS_PASSWORD"), cfg)
	if err != nil || c.Login(ctx) != nil {
		fmt.Println("login failed")
		return 1
	}
	kt, err := krb5.LoadKeytab(os.Getenv("STRESS_KEYTAB"))
	if err != nil {
		fmt.Println("keytab:", err)
		return 1
	}
	var bad atomic.Int64
	var inside atomic.Int64
	check := func(what string, err error) bool {
		if err != nil && !lifecycleErr(err) {
			fmt.Printf("%s: unexpected error: %v\n", what, err)
			bad.Add(1)
		}
		return err == nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cred, err := gssapi.NewAcceptorCredential(kt)
				if !check("NewAcceptorCredential", err) {
					return
				}
				inside.Add(1)
				in, tok, err := gssapi.Initiate(ctx, c, "HTTP/localhost")
				if check("Initiate", err) {
					sc, _, err := cred.Accept(tok)
					if check("Accept", err) {
						check("SecurityContext.Close", ignoreClosed(sc.Close()))
					}
					in.Close()
				}
				if err := cred.Close(); err != nil && !lifecycleErr(err) {
					check("AcceptorCredential.Close", err)
				}
			}
		}()
	}
	for inside.Load() < 32 {
		time.Sleep(time.Millisecond)
	}
	switch mode {
	case "shutdown":
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		done := make(chan error, 1)
		go func() { done <- krb5.Shutdown(sctx) }()
		wg.Wait() // workers stop when refused
		kt.Close()
		c.Close()
		if err := <-done; err != nil {
			fmt.Println("graceful shutdown:", err)
			bad.Add(1)
		}
		scancel()
	case "shutdown-deadline":
		sctx, scancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := krb5.Shutdown(sctx) // kt and c stay open: the deadline passes
		scancel()
		if !errors.Is(err, krb5.ErrBusy) {
			fmt.Println("shutdown past its deadline: got", err)
			bad.Add(1)
		}
		wg.Wait()
		kt.Close()
		c.Close()
	case "close":
		if err := krb5.Close(); err != nil {
			fmt.Println("forceful close:", err)
			bad.Add(1)
		}
		wg.Wait()
		if _, err := kt.ETypes(types.PrincipalName{}, ""); !errors.Is(err, krb5.ErrFinalized) {
			fmt.Println("keytab after forceful close: got", err)
			bad.Add(1)
		}
	}
	if _, err := krb5.LoadKeytab(os.Getenv("STRESS_KEYTAB")); !lifecycleErr(err) {
		fmt.Println("new object after shutdown: got", err)
		bad.Add(1)
	}
	if bad.Load() != 0 {
		return 1
	}
	fmt.Println("child ok")
	return 0
}

func ignoreClosed(err error) error {
	if errors.Is(err, krb5.ErrClosed) {
		return nil
	}
	return err
}
