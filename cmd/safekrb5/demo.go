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
// KDC on 127.0.0.1, an MIT realm or (-kdc ad) a Samba Active Directory
// domain controller, and leaves nothing behind.
func demo(e *env, args []string) error {
	fl := newFlags(e, "demo", "[-kdc mit|ad]")
	kind := fl.String("kdc", "mit", "the KDC to run against: mit, or ad "+
		"for a Samba AD domain controller (needs root)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := extraArguments(fl, 0); err != nil {
		return err
	}
	if *kind != "mit" && *kind != "ad" {
		return &exitError{code: 2, err: fmt.Errorf("-kdc %q: mit or ad", *kind)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	d := &demoRun{e: e, kind: *kind, st: &stepper{w: e.stdout}}
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
	e       *env
	kind    string // "mit" or "ad"
	st      *stepper
	kdc     *demoKDC
	tmp     string
	cc      string
	c       *krb5.Client
	srv     *negotiateServer
	url     string // for our client, which is told the SPN
	curlURL string // under the host name of the SPN
	port    string
}

type demoStep struct {
	name string
	f    func(context.Context) (string, error)
}

func (d *demoRun) run(ctx context.Context) error {
	var steps []demoStep
	if d.kind == "ad" {
		fmt.Fprintln(d.e.stdout, "safekrb5 demo: a throwaway Samba Active "+
			"Directory domain controller on 127.0.0.1, then the life of a "+
			"Kerberized service")
		steps = append(steps,
			demoStep{"provision a Samba AD domain and start its KDC on " +
				"127.0.0.1", d.startKDC},
			demoStep{"log in with a password", d.login},
			demoStep{"log in with the user principal name (an enterprise " +
				"name)", d.enterpriseLogin})
	} else {
		fmt.Fprintln(d.e.stdout, "safekrb5 demo: a throwaway MIT realm on "+
			"127.0.0.1, then the life of a Kerberized service")
		steps = append(steps,
			demoStep{"start an MIT realm (krb5kdc) on 127.0.0.1", d.startKDC},
			demoStep{"log in with a password", d.login})
	}
	steps = append(steps,
		demoStep{"list the credential cache (ours, then MIT's klist)", d.klist},
		demoStep{"get a service ticket for " + d.service(), d.serviceTicket},
		demoStep{"accept a context and read the ticket's PAC", d.readPAC},
		demoStep{"serve Negotiate-protected HTTP on loopback", d.serve},
		demoStep{"GET with our Negotiate client", d.ourGet},
		demoStep{"GET with curl --negotiate (MIT's GSS-API)", d.curlGet},
	)
	if d.kind == "mit" {
		steps = append(steps,
			demoStep{"rotate the service key under load", d.rotateKey})
	}
	steps = append(steps,
		demoStep{"shut down gracefully with requests in flight", d.shutdown},
		demoStep{"new work after shutdown is refused", d.refused},
		demoStep{"stop the KDC and remove what the demo made", d.stopKDC},
	)
	d.st.total = len(steps)
	for _, s := range steps {
		if err := d.st.step(s.name, func() (string, error) { return s.f(ctx) }); err != nil {
			return err
		}
	}
	return nil
}

// service is the SPN of the demo's server.
func (d *demoRun) service() string {
	if d.kind == "ad" {
		return "HTTP/aes.localhost"
	}
	return "HTTP/localhost"
}

func (d *demoRun) startKDC(ctx context.Context) (string, error) {
	k, err := startDemoKDC(ctx, d.kind)
	if err != nil {
		return "", err
	}
	d.kdc = k
	if d.tmp, err = os.MkdirTemp("", "safekrb5-demo-"); err != nil {
		return "", err
	}
	k.dirs = append(k.dirs, d.tmp)
	d.cc = filepath.Join(d.tmp, "ccache")
	what := "realm"
	if k.kind == "AD" {
		what = "domain"
	}
	return fmt.Sprintf("%s %s, KDC on 127.0.0.1 (pid %v), user %s, service %s",
		what, k.realm, k.pids, k.principal, k.service), nil
}

func (d *demoRun) login(ctx context.Context) (string, error) {
	cfg, err := krb5.LoadConfigFile(d.kdc.confPath)
	if err != nil {
		return "", err
	}
	d.c, err = krb5.NewWithPassword(d.kdc.user, d.kdc.realm, d.kdc.password, cfg)
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
	renew := "not renewable"
	if !tgt.RenewTill.IsZero() {
		renew = "renewable until " + tgt.RenewTill.Local().Format(time.DateTime)
	}
	return fmt.Sprintf("TGT %s for %s, valid until %s, %s", tgt.ServerName(),
		tgt.ClientName(), tgt.EndTime.Local().Format(time.DateTime), renew), nil
}

// enterpriseLogin logs in as the user's UPN, which AD maps to the
// account and canonicalizes, as kinit -E does.
func (d *demoRun) enterpriseLogin(ctx context.Context) (string, error) {
	c, err := krb5.NewWithPassword(d.kdc.upn, d.kdc.realm, d.kdc.password,
		d.c.Config(), krb5.Enterprise(), krb5.DisableAutoRenew())
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Login(ctx); err != nil {
		return "", err
	}
	tgt, err := c.TGT()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("logged in as enterprise name %s; the KDC "+
		"canonicalized it to %s", d.kdc.upn, tgt.ClientName()), nil
}

func (d *demoRun) klist(ctx context.Context) (string, error) {
	if err := d.c.WriteCCache(d.cc); err != nil {
		return "", err
	}
	var ours bytes.Buffer
	if err := listCCache(&env{stdout: &ours, stderr: &ours}, d.cc); err != nil {
		return "", err
	}
	mit, err := d.kdc.command(ctx, d.cc, "klist", "-c", d.cc).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("MIT klist on our cache: %v: %s", err, mit)
	}
	if !strings.Contains(string(mit), d.kdc.principal) {
		return "", fmt.Errorf("MIT klist does not show %s", d.kdc.principal)
	}
	return "safekrb5 klist:\n" + indent(ours.String()) + "\nMIT klist:\n" + indent(string(mit)), nil
}

func (d *demoRun) serviceTicket(ctx context.Context) (string, error) {
	t, err := d.c.ServiceTicket(ctx, d.kdc.service)
	if err != nil {
		return "", err
	}
	if err := d.c.WriteCCache(d.cc); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: kvno = %d, ticket %s, session key %s, valid until %s",
		t.ServerName(), t.Ticket.EncPart.KVNO,
		krbname.EnctypeName(t.Ticket.EncPart.EType), krbname.EnctypeName(t.KeyType),
		t.EndTime.Local().Format(time.DateTime)), nil
}

func (d *demoRun) serve(context.Context) (string, error) {
	s, err := newNegotiateServer("127.0.0.1:0", d.kdc.keytab)
	if err != nil {
		return "", err
	}
	d.srv = s
	s.srv.Handler = countInFlight(s.srv.Handler)
	done := s.serveBackground()
	go func() { <-done }()
	port := s.ln.Addr().(interface{ String() string }).String()
	d.port = port[strings.LastIndexByte(port, ':')+1:]
	d.url = "http://localhost:" + d.port + "/"
	d.curlURL = "http://" + d.kdc.host + ":" + d.port + "/"
	return "listening on 127.0.0.1:" + d.port + ", requests go to " +
		d.curlURL + " (service principal " + d.kdc.service + ")", nil
}

// countInFlight counts requests inside the protected handler.
func countInFlight(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlightRequests.Add(1)
		defer inFlightRequests.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// httpClient is our Negotiate client, told the server's SPN.
func (d *demoRun) httpClient() *http.Client {
	return gssapi.NewClient(d.c, &http.Client{Timeout: 30 * time.Second},
		gssapi.WithSPN(d.kdc.service))
}

func (d *demoRun) ourGet(ctx context.Context) (string, error) {
	hc := d.httpClient()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != d.kdc.principal {
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
	cmd := d.kdc.command(ctx, d.cc, path, "-sS", "--negotiate", "-u", ":",
		"--resolve", d.kdc.host+":"+d.port+":127.0.0.1",
		"-w", "\n%{http_code}", d.curlURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("curl: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	code := lines[len(lines)-1]
	if code != "200" || !strings.Contains(string(out), d.kdc.principal) {
		return "", fmt.Errorf("curl got %q", out)
	}
	return fmt.Sprintf("curl: HTTP %s, body %q", code, lines[0]), nil
}

func (d *demoRun) shutdown(ctx context.Context) (string, error) {
	hc := d.httpClient()
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
	_, err := krb5.NewWithPassword(d.kdc.user, d.kdc.realm, d.kdc.password, d.c.Config())
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
	_, err = krb5.LoadKeytab(d.kdc.keytab)
	if !errors.Is(err, krb5.ErrFinalized) {
		return "", fmt.Errorf("loading a keytab after shutdown: got %v", err)
	}
	fmt.Fprintf(&b, "loading a keytab: %v", err)
	return b.String(), nil
}

func (d *demoRun) stopKDC(context.Context) (string, error) {
	k := d.kdc
	d.kdc = nil
	if err := k.stop(); err != nil {
		return "", err
	}
	for _, dir := range k.dirs {
		if err := os.RemoveAll(dir); err != nil {
			return "", err
		}
	}
	for _, pid := range k.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			return "", fmt.Errorf("process %d is still there", pid)
		}
	}
	for _, dir := range k.dirs {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s is still there", dir)
		}
	}
	return fmt.Sprintf("processes %v gone; %s removed", k.pids,
		strings.Join(k.dirs, " and ")), nil
}

// cleanup undoes what a failed run left: it stops the KDC and removes
// temporary directories.
func (d *demoRun) cleanup() error {
	var errs []error
	if d.srv != nil {
		d.srv.srv.Close()
	}
	if k := d.kdc; k != nil {
		errs = append(errs, k.stop())
		for _, dir := range k.dirs {
			errs = append(errs, os.RemoveAll(dir))
		}
	}
	return errors.Join(errs...)
}
