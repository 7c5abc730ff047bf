package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// rotateKey is the demo's key rotation under load: a second server
// whose acceptor credential watches a copy of the service keytab takes
// requests from two clients holding tickets under the current key while
// kadmin.local gives the service a new random key and appends it to
// that file; the credential reloads it as a new key set, a client with
// a fresh ticket under the new key is accepted, the old clients go on,
// and the old key set is wiped once no request uses it. Everything it
// starts, it stops.
func (d *demoRun) rotateKey(ctx context.Context) (string, error) {
	var b strings.Builder
	path := filepath.Join(d.tmp, "rotating.keytab")
	kt, err := os.ReadFile(d.kdc.mit.Keytab)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, kt, 0o600); err != nil {
		return "", err
	}
	reloaded := make(chan error, 16)
	cred, err := gssapi.NewAcceptorCredentialFromFile(path,
		gssapi.WithKeytabWatch(10*time.Millisecond),
		gssapi.WithReloadNotify(func(err error) {
			select {
			case reloaded <- err:
			default:
			}
		}))
	if err != nil {
		return "", err
	}
	defer cred.Close()
	fmt.Fprintf(&b, "a server whose credential watches %s: %s\n",
		filepath.Base(path), keySets(cred))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: gssapi.Middleware(cred)(http.HandlerFunc(whoami)),
		ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	url := fmt.Sprintf("http://localhost:%d/", port)

	load := startLoad(ctx, gssapi.NewClient(d.c, nil), url, 2)
	defer load.stop()
	if err := load.wait(ctx, 10); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "load: 2 clients with tickets under kvno 1, %d requests ok\n",
		load.done())

	query := "ktadd -k " + path + " " + d.kdc.mit.Service
	if _, err := d.kdc.mit.KadminLocal(ctx, query); err != nil {
		return "", err
	}
	b.WriteString("kadmin.local ktadd: a new random key, appended to the " +
		"file in place\n")
	select {
	case err := <-reloaded:
		if err != nil {
			return "", err
		}
	case <-ctx.Done():
		return "", ctx.Err()
	}
	fmt.Fprintf(&b, "the watch reloaded it: %s\n", keySets(cred))

	kvno, err := d.freshRequest(ctx, url)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "a new client's ticket under kvno %d: accepted\n", kvno)
	if err := load.wait(ctx, load.done()+10); err != nil {
		return "", err
	}
	load.stop()
	fmt.Fprintf(&b, "old clients: %d requests in all, %d failed\n",
		load.done(), load.failed())
	if load.failed() > 0 {
		return "", fmt.Errorf("%d requests failed during the rotation: %w",
			load.failed(), load.firstErr())
	}
	old := "generation 1's keys wiped"
	for _, ks := range cred.Stats().KeySets {
		if ks.Generation == 1 {
			old = "generation 1 still pinned by a request"
		}
	}
	fmt.Fprintf(&b, "after the load: %s; %s", keySets(cred), old)
	return b.String(), nil
}

// freshRequest logs in with a new client, whose ticket is under the
// service's newest key, makes one request, and returns the kvno.
func (d *demoRun) freshRequest(ctx context.Context, url string) (int, error) {
	c, err := krb5.NewWithPassword(d.kdc.mit.User, d.kdc.mit.Name,
		d.kdc.mit.Password, d.c.Config(), krb5.DisableAutoRenew())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	hc := gssapi.NewClient(c, &http.Client{Transport: &http.Transport{}})
	defer hc.CloseIdleConnections()
	if err := getOK(ctx, hc, url); err != nil {
		return 0, err
	}
	st, err := c.ServiceTicket(ctx, "HTTP/localhost")
	if err != nil {
		return 0, err
	}
	return st.Ticket.EncPart.KVNO, nil
}

// keySets describes a credential's key sets in one line.
func keySets(cred *gssapi.AcceptorCredential) string {
	var parts []string
	for _, ks := range cred.Stats().KeySets {
		p := fmt.Sprintf("generation %d (kvnos %v", ks.Generation, ks.KVNOs)
		if ks.Current {
			p += ", current"
		}
		p += fmt.Sprintf(", pinned by %d)", ks.Pins)
		parts = append(parts, p)
	}
	return "key sets " + strings.Join(parts, ", ")
}

// getOK makes one GET and checks that it succeeded.
func getOK(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// loadRun is a steady stream of requests from a few goroutines.
type loadRun struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	// mu guards the counters and progress, which is closed and replaced
	// after every request.
	mu       sync.Mutex
	ok, bad  int
	first    error
	progress chan struct{}
}

// startLoad sends GETs to url with hc from n goroutines until stop.
func startLoad(ctx context.Context, hc *http.Client, url string,
	n int) *loadRun {
	ctx, cancel := context.WithCancel(ctx)
	l := &loadRun{cancel: cancel, progress: make(chan struct{})}
	for range n {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				err := getOK(ctx, hc, url)
				if ctx.Err() != nil {
					return // stopped while the request ran
				}
				l.record(err)
			}
		}()
	}
	return l
}

func (l *loadRun) record(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.bad++
		if l.first == nil {
			l.first = err
		}
	} else {
		l.ok++
	}
	close(l.progress)
	l.progress = make(chan struct{})
}

// wait blocks until n requests succeeded, one failed, or ctx ends.
func (l *loadRun) wait(ctx context.Context, n int) error {
	for {
		l.mu.Lock()
		ok, bad, ch := l.ok, l.bad, l.progress
		l.mu.Unlock()
		if bad > 0 {
			return fmt.Errorf("a request failed: %w", l.firstErr())
		}
		if ok >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return errors.Join(errors.New("the load stalled"), ctx.Err())
		}
	}
}

func (l *loadRun) done() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

func (l *loadRun) failed() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad
}

func (l *loadRun) firstErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

// stop ends the load and waits for its goroutines.
func (l *loadRun) stop() {
	l.once.Do(func() {
		l.cancel()
		l.wg.Wait()
	})
}
