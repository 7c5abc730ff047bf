package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/krb5"
)

// Defaults of gss-server's limits. A flood of connections that send
// nothing can hold at most sampleConns slots, each for at most
// sampleIdle, before the server drops them.
const (
	// sampleConns bounds the connections served at once (-threads).
	sampleConns = 64
	// sampleTimeout bounds one connection, start to end (-timeout).
	sampleTimeout = 60 * time.Second
	// sampleIdle bounds the wait for each frame (-idle).
	sampleIdle = 10 * time.Second
)

// gssServer is "safekrb5 gss-server": the server side of MIT's
// gss-sample protocol. It accepts contexts with the keytab's keys,
// unwraps the messages clients send and answers with MIC tokens.
func gssServer(e *env, args []string) error {
	fl := newFlags(e, "gss-server", "[-port port] [-bind address] [-keytab keytab] "+
		"[-once] [-verbose] [-threads num] [-timeout duration] [-idle duration] service")
	port := fl.Int("port", 4444, "the TCP port to listen on")
	bind := fl.String("bind", "127.0.0.1", "the address to listen on")
	keytab := fl.String("keytab", "", "the keytab (default KRB5_KTNAME, then /etc/krb5.keytab)")
	once := fl.Bool("once", false, "serve one connection, then exit")
	verbose := fl.Bool("verbose", false, "show the context flags of each connection")
	threads := fl.Int("threads", sampleConns,
		"the most connections served at once; more are closed when they arrive")
	timeout := fl.Duration("timeout", sampleTimeout, "the longest a connection may last")
	idle := fl.Duration("idle", sampleIdle, "the longest wait for a client's next token")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("")}
	}
	if *threads < 1 || *timeout <= 0 || *idle <= 0 {
		return &exitError{code: 2, err: fmt.Errorf(
			"-threads, -timeout and -idle must be positive")}
	}
	addr := net.JoinHostPort(*bind, strconv.Itoa(*port))
	s, err := newSampleServer(addr, keytabPath(*keytab), fl.Arg(0), e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer s.close()
	s.verbose = *verbose
	s.limits = sampleLimits{conns: *threads, timeout: *timeout, idle: *idle}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return s.serve(ctx, *once)
}

// keytabPath picks the keytab as MIT does: the flag, KRB5_KTNAME, the
// system keytab. A FILE: prefix is dropped.
func keytabPath(flagValue string) string {
	p := flagValue
	if p == "" {
		p = getenv("KRB5_KTNAME")
	}
	if p == "" {
		p = "/etc/krb5.keytab"
	}
	return strings.TrimPrefix(p, "FILE:")
}

// sampleLimits bound what the connections of a sampleServer may take.
type sampleLimits struct {
	conns   int           // connections served at once
	timeout time.Duration // life of one connection
	idle    time.Duration // wait for one frame
}

// sampleServer serves the gss-sample protocol on one listener. Its
// fields other than those under mu are set before serve and not
// changed after.
type sampleServer struct {
	kt      *krb5.Keytab
	cred    *gssapi.AcceptorCredential
	ln      net.Listener
	verbose bool
	limits  sampleLimits

	// mu guards the output streams, conns and full.
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
	conns  map[net.Conn]struct{}
	full   bool // a refusal was reported since the last free slot
}

// newSampleServer listens on addr and accepts contexts for the
// host-based service name service ("HTTP@localhost") with keytab.
func newSampleServer(addr, keytab, service string, stdout, stderr io.Writer) (*sampleServer, error) {
	spn, err := hostServiceSPN(service)
	if err != nil {
		return nil, err
	}
	kt, err := krb5.LoadKeytab(keytab)
	if err != nil {
		return nil, err
	}
	cred, err := gssapi.NewAcceptorCredential(kt, gssapi.WithPrincipal(spn))
	if err != nil {
		kt.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		cred.Close()
		kt.Close()
		return nil, err
	}
	return &sampleServer{kt: kt, cred: cred, ln: ln, stdout: stdout, stderr: stderr,
		conns: make(map[net.Conn]struct{}),
		limits: sampleLimits{conns: sampleConns, timeout: sampleTimeout,
			idle: sampleIdle}}, nil
}

// close stops listening and releases the credential and the keytab.
func (s *sampleServer) close() {
	s.ln.Close()
	s.cred.Close()
	s.kt.Close()
}

// serve accepts connections until ctx ends, each in its own goroutine,
// and waits for them before it returns. A connection that arrives while
// limits.conns are being served is closed at once. With once it serves
// the first connection alone and returns its result.
func (s *sampleServer) serve(ctx context.Context, once bool) error {
	stop := context.AfterFunc(ctx, func() {
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.limits.conns)
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if once {
			return s.handle(conn)
		}
		select {
		case slots <- struct{}{}:
		default:
			s.refuse(conn)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.release(slots)
			if err := s.handle(conn); err != nil {
				s.printf(true, "gss-server: %s: %v\n", conn.RemoteAddr(), err)
			}
		}()
	}
}

// refuse closes a connection that finds every slot taken. The first
// refusal after a slot was free is reported, so a flood writes one line.
func (s *sampleServer) refuse(conn net.Conn) {
	conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.full {
		s.full = true
		fmt.Fprintf(s.stderr, "gss-server: %d connections at once, the limit "+
			"(-threads); closing %s and any more until one ends\n",
			s.limits.conns, conn.RemoteAddr())
	}
}

// release frees a connection's slot.
func (s *sampleServer) release(slots chan struct{}) {
	s.mu.Lock()
	s.full = false
	s.mu.Unlock()
	<-slots
}

// printf writes to stdout, or stderr with toErr, one call at a time.
func (s *sampleServer) printf(toErr bool, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.stdout
	if toErr {
		w = s.stderr
	}
	fmt.Fprintf(w, format, args...)
}

// track records conn so that a shutdown can close it.
func (s *sampleServer) track(conn net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[conn] = struct{}{}
	} else {
		delete(s.conns, conn)
	}
}

// sampleConn is one connection with its deadlines: each frame must come
// within idle, and the whole exchange must end by end.
type sampleConn struct {
	net.Conn
	end  time.Time
	idle time.Duration
}

// readFrame reads the next frame within the idle and total bounds, and
// says which one ran out when one did.
func (c *sampleConn) readFrame() (byte, []byte, error) {
	limit, why := time.Now().Add(c.idle), fmt.Sprintf("no token for %v (-idle)", c.idle)
	if c.end.Before(limit) {
		limit, why = c.end, "connection open for longer than -timeout"
	}
	if err := c.SetReadDeadline(limit); err != nil {
		return 0, nil, err
	}
	flags, tok, err := readFrame(c.Conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil, fmt.Errorf("%s: %w", why, err)
	}
	return flags, tok, err
}

// handle runs one connection: the context, then messages until the
// client's NOOP.
func (s *sampleServer) handle(nc net.Conn) error {
	defer nc.Close()
	s.track(nc, true)
	defer s.track(nc, false)
	conn := &sampleConn{Conn: nc, end: time.Now().Add(s.limits.timeout),
		idle: s.limits.idle}
	if err := conn.SetWriteDeadline(conn.end); err != nil {
		return err
	}
	sc, err := s.establish(conn)
	if err != nil {
		return err
	}
	if sc != nil {
		defer sc.Close()
	}
	for {
		flags, tok, err := conn.readFrame()
		if err != nil {
			return err
		}
		if flags&sampleNoop != 0 {
			return nil
		}
		if err := s.message(conn, sc, flags, tok); err != nil {
			return err
		}
	}
}

// establish reads the client's opening NOOP and accepts the context
// tokens that follow it. A client that sends no context gets an
// unauthenticated connection and a nil context.
func (s *sampleServer) establish(conn *sampleConn) (*gssapi.SecurityContext, error) {
	flags, _, err := conn.readFrame()
	if err != nil {
		return nil, err
	}
	if flags&sampleNoop == 0 {
		return nil, fmt.Errorf("%w: expected a NOOP token, got flags %#x", errSampleProtocol, flags)
	}
	if flags&sampleContextNext == 0 {
		s.printf(false, "Accepted unauthenticated connection.\n")
		return nil, nil
	}
	var neg gssapi.Negotiation
	defer neg.Close()
	for leg := 1; ; leg++ {
		flags, tok, err := conn.readFrame()
		if err != nil {
			return nil, err
		}
		if flags&sampleContext == 0 {
			return nil, fmt.Errorf("%w: expected a context token, got flags %#x",
				errSampleProtocol, flags)
		}
		sc, out, err := s.cred.Accept(tok, gssapi.WithNegotiation(&neg))
		// A client waits for an answer to every token but one that
		// ends the negotiation without a mechanism token (its last
		// mechListMIC), which gets none, as from MIT.
		if len(out) > 0 && (leg == 1 || err != nil || carriesMechToken(tok)) {
			if werr := writeFrame(conn, sampleContext, out); werr != nil {
				if sc != nil {
					sc.Close()
				}
				return nil, werr
			}
		}
		if errors.Is(err, gssapi.ErrContinueNeeded) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("accepting the context: %w", err)
		}
		s.printf(false, "Accepted connection: %q\n", sc.ClientName())
		if s.verbose {
			s.mu.Lock()
			printFlags(s.stdout, sc.Flags)
			fmt.Fprintf(s.stdout, "context enctype: %s\n", krbname.EnctypeName(sc.Enctype()))
			s.mu.Unlock()
		}
		return sc, nil
	}
}

// carriesMechToken reports whether a SPNEGO continuation token carries
// a mechanism token.
func carriesMechToken(tok []byte) bool {
	isInit, v, err := spnego.UnmarshalNegToken(tok)
	if err != nil || isInit {
		return true
	}
	resp, ok := v.(spnego.NegTokenResp)
	return !ok || len(resp.ResponseToken) > 0
}

// message handles one data frame: unwrap it if it is wrapped, show it,
// and answer with a MIC over it or with a NOOP.
func (s *sampleServer) message(conn net.Conn, sc *gssapi.SecurityContext, flags byte,
	tok []byte) error {
	if sc == nil && flags&(sampleWrapped|sampleEncrypted|sampleSendMIC) != 0 {
		return fmt.Errorf("%w: unauthenticated client asked for protected messages",
			errSampleProtocol)
	}
	msg := tok
	if flags&sampleWrapped != 0 {
		m, conf, err := sc.Unwrap(tok)
		if err != nil {
			return fmt.Errorf("unwrapping the message: %w", err)
		}
		if !conf && flags&sampleEncrypted != 0 {
			s.printf(true, "Warning!  Message not encrypted.\n")
		}
		msg = m
	}
	s.printf(false, "Received message: %s\n", quoteMessage(msg))
	if flags&sampleSendMIC == 0 {
		return writeFrame(conn, sampleNoop, nil)
	}
	mic, err := sc.MIC(msg)
	if err != nil {
		return fmt.Errorf("signing the message: %w", err)
	}
	return writeFrame(conn, sampleMIC, mic)
}
