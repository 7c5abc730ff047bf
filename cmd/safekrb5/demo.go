package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// demoTimeout bounds the whole demonstration.
const demoTimeout = 3 * time.Minute

// inFlightRequests counts whoami calls still running, so the demo can
// start its shutdown while some are.
var inFlightRequests atomic.Int64

// stepper prints numbered steps and their outcomes.
type stepper struct {
	w     io.Writer
	n     int
	total int
}

func (s *stepper) step(name string, f func() (string, error)) error {
	s.n++
	fmt.Fprintf(s.w, "[%d/%d] %s\n", s.n, s.total, name)
	begin := time.Now()
	out, err := f()
	took := time.Since(begin).Round(time.Millisecond)
	if err != nil {
		fmt.Fprintf(s.w, "      FAILED after %v: %v\n", took, err)
		return fmt.Errorf("step %d (%s): %w", s.n, name, err)
	}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		fmt.Fprintf(s.w, "      %s\n", line)
	}
	fmt.Fprintf(s.w, "      ok (%v)\n", took)
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// demo runs the main job of the library end to end against a throwaway
// MIT realm on 127.0.0.1 and leaves nothing behind.
func demo(e *env, args []string) error {
	fl := newFlags(e, "demo", "")
	if err := parse(fl, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	d := &demoRun{e: e, st: &stepper{w: e.stdout, total: 10}}
	err := d.run(ctx)
	if cerr := d.cleanup(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "demo FAILED: %v\n", err)
		return &exitError{code: 1}
	}
	fmt.Fprintln(e.stdout, "demo: every step succeeded")
	return nil
}

type demoRun struct {
	e     *env
	st    *stepper
	realm *testrealm.Realm
	tmp   string
	cc    string
	c     *krb5.Client
	srv   *negotiateServer
	url   string
	pids  []int
	dirs  []string
}

func (d *demoRun) run(ctx context.Context) error {
	fmt.Fprintln(d.e.stdout, "safekrb5 demo: a throwaway MIT realm on 127.0.0.1, "+
		"then the life of a Kerberized service")
	steps := []struct {
		name string
		f    func(context.Context) (string, error)
	}{
		{"start an MIT realm (krb5kdc) on 127.0.0.1", d.startRealm},
		{"log in with a password", d.login},
		{"list the credential cache (ours, then MIT's klist)", d.klist},
		{"get a service ticket for HTTP/localhost", d.serviceTicket},
		{"serve Negotiate-protected HTTP on loopback", d.serve},
		{"GET with our Negotiate client", d.ourGet},
		{"GET with curl --negotiate (MIT's GSS-API)", d.curlGet},
		{"rotate the service key under load", d.rotateKey},
		{"shut down gracefully with requests in flight", d.shutdown},
		{"new work after shutdown is refused", d.refused},
		{"stop the realm and remove what the demo made", d.stopRealm},
	}
	d.st.total = len(steps)
	for _, s := range steps {
		if err := d.st.step(s.name, func() (string, error) { return s.f(ctx) }); err != nil {
			return err
		}
	}
	return nil
}

func (d *demoRun) startRealm(ctx context.Context) (string, error) {
	if err := testrealm.CheckPrograms(); err != nil {
		return "", err
	}
	r, err := testrealm.Start(ctx, testrealm.Options{})
	if err != nil {
		return "", err
	}
	d.realm = r
	d.pids = r.PIDs()
	d.dirs = append(d.dirs, r.Dir)
	if d.tmp, err = os.MkdirTemp("", "safekrb5-demo-"); err != nil {
		return "", err
	}
	d.dirs = append(d.dirs, d.tmp)
	d.cc = filepath.Join(d.tmp, "ccache")
	return fmt.Sprintf("realm %s, KDC on 127.0.0.1:%d (pid %v), user %s, service %s",
		r.Name, r.KDCPort, d.pids, r.UserPrincipal, r.ServicePrincipal), nil
}

func (d *demoRun) login(ctx context.Context) (string, error) {
	cfg, err := krb5.LoadConfigFile(d.realm.ConfPath)
	if err != nil {
		return "", err
	}
	d.c, err = krb5.NewWithPassword(d.realm.User, d.realm.Name, d.realm.Password, cfg)
	if err != nil {
		return "", err
	}
	if err := d.c.Login(ctx); err != nil {
		return "", err
	}
	tgt, err := d.c.TGT()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("TGT %s for %s, valid until %s, renewable until %s",
		tgt.ServerName(), tgt.ClientName(), tgt.EndTime.Local().Format(time.DateTime),
		tgt.RenewTill.Local().Format(time.DateTime)), nil
}

func (d *demoRun) klist(ctx context.Context) (string, error) {
	if err := d.c.WriteCCache(d.cc); err != nil {
		return "", err
	}
	var ours bytes.Buffer
	if err := listCCache(&env{stdout: &ours, stderr: &ours}, d.cc); err != nil {
		return "", err
	}
	mit, err := d.realm.Command(ctx, "klist", "-c", d.cc).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("MIT klist on our cache: %v: %s", err, mit)
	}
	if !strings.Contains(string(mit), d.realm.UserPrincipal) {
		return "", fmt.Errorf("MIT klist does not show %s", d.realm.UserPrincipal)
	}
	return "safekrb5 klist:\n" + indent(ours.String()) + "\nMIT klist:\n" + indent(string(mit)), nil
}

func (d *demoRun) serviceTicket(ctx context.Context) (string, error) {
	t, err := d.c.ServiceTicket(ctx, "HTTP/localhost")
	if err != nil {
		return "", err
	}
	if err := d.c.WriteCCache(d.cc); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: kvno = %d, session key %s, valid until %s",
		t.ServerName(), t.Ticket.EncPart.KVNO, krbname.EnctypeName(t.KeyType),
		t.EndTime.Local().Format(time.DateTime)), nil
}

func (d *demoRun) serve(context.Context) (string, error) {
	s, err := newNegotiateServer("127.0.0.1:0", d.realm.Keytab)
	if err != nil {
		return "", err
	}
	d.srv = s
	s.srv.Handler = countInFlight(s.srv.Handler)
	done := s.serveBackground()
	go func() { <-done }()
	port := s.ln.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndexByte(port, ':')+1:]
	d.url = "http://localhost:" + port + "/"
	return "listening on 127.0.0.1:" + port + ", requests go to " + d.url +
		" (service principal HTTP/localhost)", nil
}

// countInFlight counts requests inside the protected handler.
func countInFlight(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlightRequests.Add(1)
		defer inFlightRequests.Add(-1)
		h.ServeHTTP(w, r)
	})
}

func (d *demoRun) ourGet(ctx context.Context) (string, error) {
	hc := gssapi.NewClient(d.c, &http.Client{Timeout: 30 * time.Second})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != d.realm.UserPrincipal {
		return "", fmt.Errorf("got %s %q", resp.Status, body)
	}
	return fmt.Sprintf("%s, body %q, server's mutual-authentication token verified",
		resp.Status, strings.TrimSpace(string(body))), nil
}

func (d *demoRun) curlGet(ctx context.Context) (string, error) {
	path, err := exec.LookPath("curl")
	if err != nil {
		return "", fmt.Errorf("curl not found (Debian package curl): %w", err)
	}
	cmd := exec.CommandContext(ctx, path, "-sS", "--negotiate", "-u", ":",
		"-w", "\n%{http_code}", d.url)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+d.realm.ConfPath, "KRB5CCNAME=FILE:"+d.cc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("curl: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	code := lines[len(lines)-1]
	if code != "200" || !strings.Contains(string(out), d.realm.UserPrincipal) {
		return "", fmt.Errorf("curl got %q", out)
	}
	return fmt.Sprintf("curl: HTTP %s, body %q", code, lines[0]), nil
}

func (d *demoRun) shutdown(ctx context.Context) (string, error) {
	hc := gssapi.NewClient(d.c, &http.Client{Timeout: 30 * time.Second})
	const n = 4
	type result struct {
		code int
		err  error
	}
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.url+"?delay=700ms", nil)
			resp, err := hc.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			results <- result{code: resp.StatusCode}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for inFlightRequests.Load() < n {
		if time.Now().After(deadline) {
			return "", errors.New("the slow requests never reached the handler")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in flight; shutdown begins (HTTP server, then gssapi, then krb5)\n",
		inFlightRequests.Load())
	var wg sync.WaitGroup
	var shutErr error
	begin := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		sctx, cancel := context.WithTimeout(ctx, shutdownGrace)
		defer cancel()
		shutErr = d.srv.shutdown(sctx)
	}()
	ok := 0
	for i := 0; i < n; i++ {
		r := <-results
		if r.err != nil || r.code != http.StatusOK {
			return "", fmt.Errorf("a request in flight failed: code %d, %v", r.code, r.err)
		}
		ok++
	}
	fmt.Fprintf(&b, "%d of %d requests in flight finished with 200 OK\n", ok, n)
	// krb5.Shutdown waits for the client, the last live object.
	fmt.Fprintf(&b, "krb5 waits for its live objects: %s\n", liveObjects())
	d.c.Close()
	wg.Wait()
	if shutErr != nil {
		return "", shutErr
	}
	fmt.Fprintf(&b, "the library shut down %v after it began; module states: gssapi %s, krb5 %s",
		time.Since(begin).Round(time.Millisecond), gssapi.ModuleStats().State,
		krb5.ModuleStats().State)
	return b.String(), nil
}

func liveObjects() string {
	var parts []string
	for kind, n := range krb5.ModuleStats().Objects {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, kind))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (d *demoRun) refused(ctx context.Context) (string, error) {
	_, err := krb5.NewWithPassword(d.realm.User, d.realm.Name, d.realm.Password, d.c.Config())
	if !errors.Is(err, krb5.ErrFinalized) {
		return "", fmt.Errorf("a new client after shutdown: got %v, want the finalized error", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "new krb5 client: %v\n", err)
	err = d.c.Login(ctx)
	if !errors.Is(err, krb5.ErrClosed) && !errors.Is(err, krb5.ErrFinalized) {
		return "", fmt.Errorf("login on the closed client: got %v", err)
	}
	fmt.Fprintf(&b, "login on the old client: %v\n", err)
	_, err = krb5.LoadKeytab(d.realm.Keytab)
	if !errors.Is(err, krb5.ErrFinalized) {
		return "", fmt.Errorf("loading a keytab after shutdown: got %v", err)
	}
	fmt.Fprintf(&b, "loading a keytab: %v", err)
	return b.String(), nil
}

func (d *demoRun) stopRealm(context.Context) (string, error) {
	r := d.realm
	d.realm = nil
	if err := r.Stop(); err != nil {
		return "", err
	}
	if err := os.RemoveAll(d.tmp); err != nil {
		return "", err
	}
	d.dirs = nil
	for _, pid := range d.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			return "", fmt.Errorf("process %d is still there", pid)
		}
	}
	for _, dir := range []string{r.Dir, d.tmp} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s is still there", dir)
		}
	}
	return fmt.Sprintf("processes %v gone; %s and %s removed", d.pids, r.Dir, d.tmp), nil
}

// cleanup undoes what a failed run left: it stops the realm and removes
// temporary directories.
func (d *demoRun) cleanup() error {
	var errs []error
	if d.srv != nil {
		d.srv.srv.Close()
	}
	if d.realm != nil {
		errs = append(errs, d.realm.Stop())
	}
	for _, dir := range d.dirs {
		errs = append(errs, os.RemoveAll(dir))
	}
	return errors.Join(errs...)
}
