package krb5_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/internal/faultproxy"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// faultTimeout is the KDC timeout of the fault tests: long enough that the
// real KDC, through the proxy, answers in time on a loaded machine under
// the race detector, short enough that the faults that cost a timeout
// stay cheap.
const faultTimeout = 3 * time.Second

// faultParallel is how many fault cases run at once. Most of a case is
// spent waiting for a timeout, so they overlap well; the cases are run
// from goroutines because -parallel would cap them at GOMAXPROCS.
const faultParallel = 12

// faultSlack is what a loaded two-core machine may add to an operation
// beyond the timeouts it is allowed to spend. The bound is the point, not
// the speed: no fault may make a call hang.
const faultSlack = 10 * time.Second

// kdcConfig is a client configuration for r whose realm lists kdcs in
// order; with tcp set, every request goes over TCP.
func kdcConfig(t *testing.T, r *testrealm.Realm, tcp bool,
	kdcs ...string) *config.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n default_realm = %s\n", r.Name)
	b.WriteString(" dns_lookup_kdc = false\n dns_lookup_realm = false\n")
	b.WriteString(" rdns = false\n dns_canonicalize_hostname = false\n")
	if tcp {
		b.WriteString(" udp_preference_limit = 1\n")
	}
	fmt.Fprintf(&b, "[realms]\n %s = {\n", r.Name)
	for _, k := range kdcs {
		fmt.Fprintf(&b, "  kdc = %s\n", k)
	}
	fmt.Fprintf(&b, " }\n[domain_realm]\n localhost = %s\n", r.Name)
	cfg, err := krb5.ParseConfig("fault", []byte(b.String()))
	require.NoError(t, err)
	return cfg
}

// noLeaks checks, after every other cleanup of t has run, that t left no
// goroutine behind.
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// startProxy runs a fault proxy in front of r's KDC until the test ends.
func startProxy(t *testing.T, r *testrealm.Realm, f faultproxy.Fault) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(realKDC(r), f)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func realKDC(r *testrealm.Realm) string { return fmt.Sprintf("%s:%d", r.Host, r.KDCPort) }

// faultClient is a password client for r with the given configuration and
// KDC timeout, closed when the test ends.
func faultClient(t *testing.T, r *testrealm.Realm, cfg *config.Config,
	timeout time.Duration) *krb5.Client {
	t.Helper()
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithKDCTimeout(timeout), krb5.DisableAutoRenew())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// assertFailure checks that err is an error and matches every one of want.
func assertFailure(t *testing.T, err error, want []error) {
	t.Helper()
	require.Error(t, err)
	for _, w := range want {
		assert.ErrorIs(t, err, w)
	}
}

// costs collects how long each fault made an operation take, for the
// summary TestKDCFaults logs.
type costs struct {
	mu    sync.Mutex
	lines []string
}

func (c *costs) add(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
}

// TestKDCFaults sends logins (AS) and service ticket requests (TGS) to the
// real MIT KDC through a proxy that damages the answers, over UDP and TCP.
// With the proxy as the realm's only KDC every call returns within its
// bound with an error naming the fault, the proxy being tried over both
// transports; with the real KDC listed second, every fault that leaves no
// usable answer fails over and the call succeeds, and the proxy, having
// failed, is tried last by the calls that follow. A reply that is one whole Kerberos message but fails its
// checks (Corrupt) is an answer, not a dead KDC, so it is reported rather
// than failed over, as MIT does. Each case bounds its time at the
// timeouts it may spend plus faultSlack, and no goroutine is left behind.
func TestKDCFaults(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)

	deadline := []error{krb5.ErrKDCUnreachable, context.DeadlineExceeded}
	malformed := []error{krb5.ErrKDCUnreachable, krb5.ErrASN1Parse}
	type outcome struct {
		as, tgs []error // nil: the call succeeds
		text    string  // if set, both errors say it
	}
	ok := outcome{}
	dead := outcome{as: deadline, tgs: deadline}
	bad := outcome{as: malformed, tgs: malformed}
	tests := []struct {
		fault   faultproxy.Fault
		timeout time.Duration // the KDC timeout; faultTimeout if zero
		udp     outcome       // alone, over UDP
		tcp     outcome       // alone, over TCP
		// failover is false when the fault leaves an answer that the
		// client reports instead of trying the next KDC.
		failover bool
	}{
		{fault: faultproxy.Fault{Kind: faultproxy.Pass}, udp: ok, tcp: ok,
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Drop}, udp: dead, tcp: dead,
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Delay, Delay: 3 * faultTimeout},
			udp: dead, tcp: dead, failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Delay,
			Delay: 200 * time.Millisecond}, timeout: 5 * time.Second,
			udp: ok, tcp: ok, failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Duplicate}, udp: ok, tcp: ok,
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Truncate}, udp: bad, tcp: bad,
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Corrupt},
			// The first AS reply is PREAUTH_REQUIRED, whose e-data the
			// flipped bytes break; the TGS-REP fails its checksum.
			udp: outcome{as: []error{krb5.ErrASN1Parse},
				tgs: []error{krb5.ErrBadIntegrity}},
			tcp: outcome{as: []error{krb5.ErrASN1Parse},
				tgs: []error{krb5.ErrBadIntegrity}}},
		{fault: faultproxy.Fault{Kind: faultproxy.Reset}, udp: dead,
			tcp: outcome{
				as:  []error{krb5.ErrKDCUnreachable, syscall.ECONNRESET},
				tgs: []error{krb5.ErrKDCUnreachable, syscall.ECONNRESET}},
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.CloseMidReply}, udp: bad,
			tcp: outcome{
				as:  []error{krb5.ErrKDCUnreachable, io.ErrUnexpectedEOF},
				tgs: []error{krb5.ErrKDCUnreachable, io.ErrUnexpectedEOF}},
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.Garbage}, udp: bad, tcp: bad,
			failover: true},
		{fault: faultproxy.Fault{Kind: faultproxy.OversizedLength}, udp: bad,
			tcp: outcome{
				as:   []error{krb5.ErrKDCUnreachable},
				tgs:  []error{krb5.ErrKDCUnreachable},
				text: "reply length 2147483647 out of bounds"},
			failover: true},
	}

	var summary costs
	var wg sync.WaitGroup
	slots := make(chan struct{}, faultParallel)
	for _, tt := range tests {
		for _, tcp := range []bool{false, true} {
			for _, failover := range []bool{false, true} {
				want := tt.udp
				if tcp {
					want = tt.tcp
				}
				if failover && tt.failover {
					want = ok
				}
				name := fmt.Sprintf("%s/udp", tt.fault)
				if tcp {
					name = fmt.Sprintf("%s/tcp", tt.fault)
				}
				if failover {
					name += "/failover"
				}
				timeout := tt.timeout
				if timeout == 0 {
					timeout = faultTimeout
				}
				wg.Add(1)
				slots <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					t.Run(name, func(t *testing.T) {
						runFault(t, r, tt.fault, tcp, failover, timeout,
							want.as, want.tgs, want.text, &summary)
					})
				}()
			}
		}
	}
	wg.Wait()
	for _, l := range summary.lines {
		t.Log(l)
	}
}

// runFault logs in and gets a service ticket with the proxy's fault in
// force: the login through the faulty proxy, and the service ticket
// request after a clean login (so each exchange meets the fault alone,
// unless a KDC after the proxy answers it first).
func runFault(t *testing.T, r *testrealm.Realm, f faultproxy.Fault, tcp,
	failover bool, timeout time.Duration, asErr, tgsErr []error, text string,
	sum *costs) {
	p := startProxy(t, r, f)
	kdcs := []string{p.Addr()}
	if failover {
		kdcs = append(kdcs, realKDC(r))
	}
	c := faultClient(t, r, kdcConfig(t, r, tcp, kdcs...), timeout)
	ctx := ctxT(t)
	// A login spends at most two exchanges on the faulty KDC
	// (PREAUTH_REQUIRED, then the AS-REP), a service ticket one.
	bound := func(n int) time.Duration { return time.Duration(n)*timeout + faultSlack }

	begin := time.Now()
	err := c.Login(ctx)
	asCost := time.Since(begin)
	assert.Less(t, asCost, bound(2), "login")
	if asErr == nil {
		require.NoError(t, err, "login")
	} else {
		assertFailure(t, err, asErr)
		assert.Contains(t, err.Error(), text)
		p.Set(faultproxy.Fault{})
		require.NoError(t, c.Login(ctx), "login without the fault")
		p.Set(f)
	}

	begin = time.Now()
	_, err = c.ServiceTicket(ctx, r.Service)
	tgsCost := time.Since(begin)
	assert.Less(t, tgsCost, bound(1), "service ticket")
	if tgsErr == nil {
		assert.NoError(t, err, "service ticket")
	} else {
		assertFailure(t, err, tgsErr)
		assert.Contains(t, err.Error(), text)
	}
	assert.Positive(t, p.Requests(), "the client went through the proxy")
	sum.add("%-46s AS %-8v %-8s TGS %-8v %s",
		strings.TrimPrefix(t.Name(), "TestKDCFaults/"),
		asCost.Round(time.Millisecond), outcomeWord(asErr),
		tgsCost.Round(time.Millisecond), outcomeWord(tgsErr))
}

func outcomeWord(want []error) string {
	if want == nil {
		return "ok"
	}
	return "error"
}

// TestKDCDeadPortFirst: a realm whose first KDC is a closed port fails
// over to the real KDC at once, without waiting for a timeout: the port's
// refusal ends that attempt.
func TestKDCDeadPortFirst(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	port, err := testrealm.FreePort(r.KDCPort)
	require.NoError(t, err)
	dead := fmt.Sprintf("127.0.0.1:%d", port)
	for _, tcp := range []bool{false, true} {
		t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
			// A timeout far above the bound: only a refusal that is
			// noticed at once keeps the calls under it.
			c := faultClient(t, r, kdcConfig(t, r, tcp, dead, realKDC(r)), time.Minute)
			ctx := ctxT(t)
			begin := time.Now()
			require.NoError(t, c.Login(ctx))
			_, err := c.ServiceTicket(ctx, r.Service)
			require.NoError(t, err)
			cost := time.Since(begin)
			t.Logf("login and service ticket past a dead port: %v", cost)
			assert.Less(t, cost, faultSlack)
		})
	}
}

// TestKDCAllFail: when every KDC of the realm fails, each in its own way,
// the error matches what each did and names every KDC tried.
func TestKDCAllFail(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	drop := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop})
	junk := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Garbage})
	c := faultClient(t, r, kdcConfig(t, r, false, drop.Addr(), junk.Addr()),
		faultTimeout)
	begin := time.Now()
	err := c.Login(ctxT(t))
	assert.Less(t, time.Since(begin), faultTimeout+faultSlack)
	assertFailure(t, err, []error{krb5.ErrKDCUnreachable,
		context.DeadlineExceeded, krb5.ErrASN1Parse})
	assert.Contains(t, err.Error(), drop.Addr())
	assert.Contains(t, err.Error(), junk.Addr())
	assert.NotContains(t, err.Error(), r.Password)
	assert.NotContains(t, err.Error(), "\n", "one line, for logs")
}

// TestKDCFaultContext: the caller's context bounds a call even when the
// KDC timeout is far longer, and its error (deadline or cancellation)
// comes back as such; the next KDC is not tried after it.
func TestKDCFaultContext(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	for _, tcp := range []bool{false, true} {
		for _, f := range []faultproxy.Fault{
			{Kind: faultproxy.Drop},
			{Kind: faultproxy.Delay, Delay: time.Hour},
		} {
			t.Run(fmt.Sprintf("%s/tcp=%v", f, tcp), func(t *testing.T) {
				p := startProxy(t, r, f)
				next := startProxy(t, r, faultproxy.Fault{})
				c := faultClient(t, r, kdcConfig(t, r, tcp, p.Addr(), next.Addr()),
					time.Hour)

				ctx, cancel := context.WithTimeout(ctxT(t), 300*time.Millisecond)
				defer cancel()
				begin := time.Now()
				err := c.Login(ctx)
				assert.Less(t, time.Since(begin), faultSlack)
				assertFailure(t, err, []error{context.DeadlineExceeded})

				ctx, cancel = context.WithCancel(ctxT(t))
				done := make(chan error, 1)
				n := p.Requests()
				go func() { done <- c.Login(ctx) }()
				require.NoError(t, p.WaitRequests(ctxT(t), n+1))
				cancel()
				select {
				case err := <-done:
					assertFailure(t, err, []error{context.Canceled})
				case <-time.After(faultSlack):
					t.Fatal("Login did not return after its context was cancelled")
				}
				assert.Zero(t, next.Requests(), "no KDC is tried after the deadline")
			})
		}
	}
}
