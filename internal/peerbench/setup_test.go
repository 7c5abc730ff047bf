package peerbench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/types"
	"golang.org/x/sys/unix"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// MITBenchEnv names the environment variable holding the path of a built
// mitbench; the MIT benchmarks are skipped without it.
const MITBenchEnv = "SAFEKRB5_MITBENCH"

// numSPNs is the number of extra service principals: TGS benchmarks and
// the ticket-cache memory benchmark cycle through them so that no
// ticket comes from a cache.
const numSPNs = 200

// fixture is the realm and the credentials every benchmark of one test
// process shares. It is made by the first benchmark that needs it and
// torn down by TestMain.
type fixture struct {
	realm  *testrealm.Realm
	cfg    *config.Config
	client *krb5.Client // logged in, holds the TGT and the HTTP ticket
	ccache string       // FILE: name of a ccache with the TGT and HTTP ticket
	spns   []string     // numSPNs service principals, without realm
	dir    string
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.client.Close()
		if err := fix.realm.Stop(); err != nil && code == 0 {
			fmt.Fprintln(os.Stderr, "peerbench: stop realm:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// shared returns the fixture, making it on first use.
func shared(b *testing.B) *fixture {
	b.Helper()
	if !testrealm.RequirePrograms(b) {
		return nil
	}
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	if fixErr != nil {
		b.Fatalf("peerbench: %v", fixErr)
	}
	return fix
}

func newFixture() (*fixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := testrealm.Start(ctx, testrealm.Options{})
	if err != nil {
		return nil, err
	}
	f := &fixture{realm: r, dir: r.Dir}
	if err := f.setup(ctx); err != nil {
		if f.client != nil {
			f.client.Close()
		}
		_ = r.Stop()
		return nil, err
	}
	return f, nil
}

func (f *fixture) setup(ctx context.Context) error {
	r := f.realm
	// One kadmin.local run adds all the extra principals.
	var q strings.Builder
	for i := range numSPNs {
		spn := fmt.Sprintf("bench/h%d", i)
		f.spns = append(f.spns, spn)
		fmt.Fprintf(&q, "addprinc -randkey %s\n", spn)
	}
	cmd := r.Command(ctx, "kadmin.local", "-r", r.Name)
	cmd.Stdin = strings.NewReader(q.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("adding principals: %w: %.200s", err, out)
	}

	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	if err != nil {
		return err
	}
	f.cfg = cfg
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.DisableAutoRenew())
	if err != nil {
		return err
	}
	f.client = c
	if err := c.Login(ctx); err != nil {
		return err
	}
	if _, err := c.ServiceTicket(ctx, r.Service); err != nil {
		return err
	}
	f.ccache = "FILE:" + filepath.Join(f.dir, "bench.ccache")
	return c.WriteCCache(f.ccache)
}

// tokenKind says what the minted tokens ask for.
type tokenKind int

const (
	rawNoMutual tokenKind = iota // bare Kerberos, no mutual authentication
	rawMutual                    // bare Kerberos asking for mutual auth
	spnegoInit                   // SPNEGO NegTokenInit, Kerberos first, mutual
)

// mint makes n distinct initial tokens for the HTTP service with our
// initiator from the cached ticket.
func (f *fixture) mint(b *testing.B, n int, kind tokenKind) [][]byte {
	b.Helper()
	ctx := context.Background()
	var opts []gssapi.InitOption
	switch kind {
	case rawNoMutual:
		opts = append(opts, gssapi.RawKerberos(),
			gssapi.WithFlags(gssapi.DefaultInitFlags&^gssapi.FlagMutual))
	case rawMutual:
		opts = append(opts, gssapi.RawKerberos())
	}
	out := make([][]byte, n)
	for i := range out {
		in, tok, err := gssapi.Initiate(ctx, f.client, f.realm.Service, opts...)
		if err != nil {
			b.Fatalf("minting a token: %v", err)
		}
		in.Close()
		out[i] = tok
	}
	return out
}

// mintFile mints n tokens into a file for mitbench and returns its path.
func (f *fixture) mintFile(b *testing.B, n int, kind tokenKind) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "tokens")
	if err := WriteTokens(path, f.mint(b, n, kind)); err != nil {
		b.Fatal(err)
	}
	return path
}

// servicePrincipal is the HTTP service as a principal name with realm.
func (f *fixture) servicePrincipal() string { return f.realm.ServicePrincipal }

// warmUp is the number of operations every benchmark, ours, gokrb5's
// and mitbench's, runs untimed before the timed ones, so that one-time
// costs (first use of a keytab, a configuration read, cold caches) stay
// out of the figures.
const warmUp = 50

// mitFigures are what one mitbench run prints.
type mitFigures map[string]float64

// runMIT runs mitbench with args (stdin, if not empty, on its standard
// input; extraEnv added to the realm's environment) and returns its
// figures. With warm set, mitbench runs warmUp operations untimed
// first. It skips b when SAFEKRB5_MITBENCH is unset.
func (f *fixture) runMIT(b *testing.B, stdin string, extraEnv []string,
	warm bool, args ...string) mitFigures {
	b.Helper()
	path := os.Getenv(MITBenchEnv)
	if path == "" {
		b.Skipf("%s is not set; scripts/bench.sh builds mitbench", MITBenchEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if warm {
		args = append([]string{"-w", strconv.Itoa(warmUp)}, args...)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(f.realm.Env(), extraEnv...)
	cmd.Dir = f.dir
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("mitbench %v: %v: %s", args, err, stderr.String())
	}
	figs := mitFigures{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		for _, field := range strings.Fields(sc.Text()) {
			k, v, ok := strings.Cut(field, "=")
			if !ok {
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err == nil {
				figs[k] = x
			}
		}
	}
	if len(figs) == 0 {
		b.Fatalf("mitbench %v printed no figures: %q", args, out)
	}
	return figs
}

// report puts mitbench's figures in place of the benchmark's own.
func (m mitFigures) report(b *testing.B) {
	b.Helper()
	for _, unit := range []string{"ns/op", "cpu-ns/op", "bytes/op"} {
		if v, ok := m[unit]; ok {
			b.ReportMetric(v, unit)
		}
	}
}

// cpuTime returns the CPU time, user and system, of every thread of this
// process. Unlike getrusage, which counts in scheduler ticks on many
// kernels, CLOCK_PROCESS_CPUTIME_ID is precise to the nanosecond, so
// short runs measure true.
func cpuTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// measure runs op warmUp times untimed, with i from 0, then b.N times
// timed, with i from warmUp, and reports the process's CPU time per
// timed operation (cpu-ns/op) beside testing's wall-clock ns/op. The CPU
// time includes the Go runtime's own work on other threads (the garbage
// collector), which is part of what an operation costs.
func measure(b *testing.B, op func(i int)) {
	b.Helper()
	for i := range warmUp {
		op(i)
	}
	runtime.GC()
	b.ResetTimer()
	start := cpuTime()
	for i := range b.N {
		op(warmUp + i)
	}
	used := cpuTime() - start
	b.StopTimer()
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// principal parses "name/host" into a principal name.
func principal(s string) types.PrincipalName {
	return types.NewPrincipalName(1, s)
}
