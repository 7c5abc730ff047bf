package gssapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// offsetClock is the system clock moved forward by a settable offset.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.off.Load()))
}

// rotation changes the service key with kadmin.local and puts the new
// key into the live keytab file one way.
type rotation struct {
	name string
	// keepsOld reports whether the file still holds the previous kvno
	// afterwards; otherwise old tickets live on the grace period.
	keepsOld bool
	run      func(t *testing.T, rr *rotator)
}

// rotator rotates the key of a realm's service and replaces the keytab
// file an acceptor credential watches.
type rotator struct {
	r    *testrealm.Realm
	live string // the keytab file the credential reads
	n    int
}

func (rr *rotator) kadmin(t *testing.T, query string) {
	t.Helper()
	_, err := rr.r.KadminLocal(context.Background(), query)
	require.NoError(t, err)
}

// export writes the service's current keys to a new file and returns
// its bytes.
func (rr *rotator) export(t *testing.T) []byte {
	t.Helper()
	rr.n++
	tmp := filepath.Join(filepath.Dir(rr.live), fmt.Sprintf("new-%d.keytab", rr.n))
	rr.kadmin(t, "ktadd -norandkey -k "+tmp+" "+rr.r.Service)
	b, err := os.ReadFile(tmp)
	require.NoError(t, err)
	require.NoError(t, os.Remove(tmp))
	return b
}

var rotations = []rotation{
	// ktadd without -norandkey picks a new random key, and MIT appends
	// it to the file in place, after the old entries.
	{"ktadd appends in place", true, func(t *testing.T, rr *rotator) {
		rr.kadmin(t, "ktadd -k "+rr.live+" "+rr.r.Service)
	}},
	// A new file with the new key alone, renamed over the old one.
	{"cpw, new file renamed", false, func(t *testing.T, rr *rotator) {
		rr.kadmin(t, "cpw -randkey "+rr.r.Service)
		b := rr.export(t)
		tmp := rr.live + ".tmp"
		require.NoError(t, os.WriteFile(tmp, b, 0o600))
		require.NoError(t, os.Rename(tmp, rr.live))
	}},
	// The same file rewritten in place with the new key alone.
	{"cpw, rewritten in place", false, func(t *testing.T, rr *rotator) {
		rr.kadmin(t, "cpw -randkey "+rr.r.Service)
		b := rr.export(t)
		f, err := os.OpenFile(rr.live, os.O_WRONLY|os.O_TRUNC, 0)
		require.NoError(t, err)
		_, err = f.Write(b)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}},
}

// loadWorker sends Negotiate requests in a loop and reports each
// outcome. A worker that renews takes a fresh ticket (under the newest
// key) at every rotation; one that does not keeps presenting the ticket
// it got first, under the first key, all along.
type loadWorker struct {
	name  string
	renew bool
	// request makes one request, getting a fresh ticket first when
	// fresh is set, and returns an error for anything but success.
	request func(fresh bool) error
	close   func()
	// kvno, for our client, is the key version of the ticket it holds.
	kvno func() int
}

// TestKeyRotationUnderLoad rotates the key of the service of a real MIT
// realm with kadmin.local, several times and in each way a deployment
// does, while our client and curl send a steady Negotiate load to our
// Middleware, whose credential watches the keytab file. Half of the
// clients keep their first ticket throughout, so old kvnos are accepted
// from the new file or within the grace period; the others take fresh
// tickets right after each rotation, which the credential accepts even
// before its watch has seen the file. No request fails; every retired
// key set is zeroed once its grace period is over and no context uses
// it; nothing is left running.
func TestKeyRotationUnderLoad(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{})
	curlPath, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is needed (Debian package curl)")
	opt := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)

	dir := t.TempDir()
	rr := &rotator{r: r, live: filepath.Join(dir, "http.keytab")}
	b, err := os.ReadFile(r.Keytab)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(rr.live, b, 0o600))
	clock := &offsetClock{}
	const grace = time.Minute
	ac, err := NewAcceptorCredentialFromFile(rr.live,
		WithKeytabWatch(10*time.Millisecond), WithKeyGrace(grace),
		WithAcceptorClock(clock))
	require.NoError(t, err)
	wiped := wipes(ac)
	keys := leakKeys(t, ac)
	srv := httptest.NewServer(Middleware(ac)(http.HandlerFunc(
		func(w http.ResponseWriter, req *http.Request) {
			id, _ := IdentityFromContext(req.Context())
			fmt.Fprintf(w, "%s@%s", id.UserName(), id.Domain())
		})))
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	var workers []*loadWorker
	for i := range 4 {
		workers = append(workers, ourWorker(t, ctx, r, cfg, url, i%2 == 0))
	}
	for i := range 2 {
		workers = append(workers, curlWorker(t, ctx, r, curlPath, dir, url,
			i, i == 0))
	}

	// The load: each worker runs until stop, taking a fresh ticket when
	// it renews and the epoch moved on, and reports every outcome with
	// the epoch its request started in.
	type outcome struct {
		worker int
		epoch  int64
		err    error
	}
	outcomes := make(chan outcome, 4096)
	var epoch atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := epoch.Load()
			for {
				select {
				case <-stop:
					return
				default:
				}
				e := epoch.Load()
				fresh := w.renew && e != seen
				seen = e
				outcomes <- outcome{i, e, w.request(fresh)}
			}
		}()
	}
	requests, failures := 0, 0
	// each waits until every worker has finished n more requests that
	// started in the current epoch. Outcomes of earlier requests, queued
	// while a rotation ran, do not count: a worker that renews gets its
	// ticket under the new key in the first request of an epoch, and
	// the next rotation must not start before it has, or the ticket
	// could name a key that rotation has just replaced in the KDC and
	// not yet in the file.
	each := func(n int) {
		t.Helper()
		now := epoch.Load()
		count := make([]int, len(workers))
		for {
			done := true
			for _, c := range count {
				done = done && c >= n
			}
			if done {
				return
			}
			select {
			case o := <-outcomes:
				requests++
				if o.epoch == now {
					count[o.worker]++
				}
				if o.err != nil {
					failures++
					t.Errorf("%s: %v", workers[o.worker].name, o.err)
				}
			case <-ctx.Done():
				t.Fatal("the load stopped")
			}
		}
	}
	each(2)

	var kvno uint32 = 1
	for round := range 5 {
		rot := rotations[round%len(rotations)]
		rot.run(t, rr)
		kvno++
		epoch.Add(1) // clients that renew fetch tickets under kvno now
		for !currentHas(ac, kvno) {
			each(1)
		}
		for gen, k := range leakKeys(t, ac) {
			keys[gen] = k
		}
		each(3)
		s := ac.Stats()
		cur := s.KeySets[len(s.KeySets)-1]
		assert.Equal(t, rot.keepsOld, len(cur.KVNOs) > 1,
			"%s: the file keeps the old kvno", rot.name)
		t.Logf("round %d (%s): generation %d, kvnos %v, %d sets alive",
			round+1, rot.name, s.Generation, cur.KVNOs, len(s.KeySets))
	}
	close(stop)
	wg.Wait()
	for len(outcomes) > 0 {
		if o := <-outcomes; o.err != nil {
			failures++
			t.Errorf("%s: %v", workers[o.worker].name, o.err)
		}
	}
	assert.Zero(t, failures)
	t.Logf("%d requests, %d failed", requests, failures)
	for _, w := range workers {
		if w.kvno != nil {
			want := map[bool]int{false: 1, true: int(kvno)}[w.renew]
			assert.Equal(t, want, w.kvno(), "%s: ticket kvno", w.name)
		}
	}

	// Every context is closed (the middleware closes each one after its
	// request). Once the grace period is over, every set but the current
	// one is let go, and its keys are zeroed.
	clock.off.Store(int64(grace + time.Second))
	s := ac.Stats()
	require.Len(t, s.KeySets, 1)
	current := s.KeySets[0].Generation
	for gen, k := range keys {
		if gen == current {
			assert.False(t, zeroed(k), "the current keys are intact")
			continue
		}
		assert.True(t, zeroed(k), "generation %d zeroed", gen)
	}
	assert.GreaterOrEqual(t, len(wiped), len(keys)-1)

	for _, w := range workers {
		w.close()
	}
	srv.Close()
	require.NoError(t, ac.Close())
	assert.True(t, zeroed(keys[current]), "Close zeroes the last set")
	goleak.VerifyNone(t, opt)
}

// currentHas reports whether the current key set holds kvno.
func currentHas(ac *AcceptorCredential, kvno uint32) bool {
	s := ac.Stats()
	for _, ks := range s.KeySets {
		if ks.Current {
			return slices.Contains(ks.KVNOs, kvno)
		}
	}
	return false
}

// ourWorker sends requests with gssapi.NewClient; one that renews makes
// a new krb5.Client, which logs in and gets a new ticket, when told.
func ourWorker(t *testing.T, ctx context.Context, r *testrealm.Realm,
	cfg *config.Config, url string, renew bool) *loadWorker {
	t.Helper()
	login := func() (*krb5.Client, *http.Client) {
		c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
			krb5.DisableAutoRenew())
		require.NoError(t, err)
		require.NoError(t, c.Login(ctx))
		return c, NewClient(c, &http.Client{Transport: &http.Transport{}})
	}
	c, hc := login()
	name := "our client (keeps its first ticket)"
	if renew {
		name = "our client (fresh tickets)"
	}
	w := &loadWorker{name: name, renew: renew}
	w.close = func() {
		hc.CloseIdleConnections()
		c.Close()
	}
	w.kvno = func() int {
		st, err := c.ServiceTicket(ctx, "HTTP/localhost")
		require.NoError(t, err)
		return st.Ticket.EncPart.KVNO
	}
	w.request = func(fresh bool) error {
		if fresh {
			w.close()
			c, hc = login()
		}
		resp, err := hc.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || string(body) != r.UserPrincipal {
			return fmt.Errorf("status %d: %q", resp.StatusCode, body)
		}
		return nil
	}
	return w
}

// curlWorker sends requests with curl --negotiate, MIT's GSS-API, from a
// credential cache that kinit fills; MIT keeps the service ticket in the
// cache, so one that renews runs kinit into a new cache when told.
func curlWorker(t *testing.T, ctx context.Context, r *testrealm.Realm,
	curlPath, dir, url string, i int, renew bool) *loadWorker {
	t.Helper()
	n := 0
	cc := ""
	kinit := func() error {
		n++
		cc = "FILE:" + filepath.Join(dir, fmt.Sprintf("curl-%d-%d.cc", i, n))
		return r.Kinit(ctx, cc, r.User, r.Password)
	}
	require.NoError(t, kinit())
	name := "curl (keeps its first ticket)"
	if renew {
		name = "curl (fresh tickets)"
	}
	w := &loadWorker{name: name, renew: renew, close: func() {}}
	w.request = func(fresh bool) error {
		if fresh {
			if err := kinit(); err != nil {
				return err
			}
		}
		cmd := exec.CommandContext(ctx, curlPath, "-sS", "--negotiate",
			"-u", ":", "-w", "\n%{http_code}", url)
		cmd.Env = append(os.Environ(), "KRB5_CONFIG="+r.ConfPath,
			"KRB5CCNAME="+cc)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		if string(out) != r.UserPrincipal+"\n200" {
			return fmt.Errorf("curl: %q", out)
		}
		return nil
	}
	return w
}
