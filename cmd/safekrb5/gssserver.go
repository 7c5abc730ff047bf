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

// sampleTimeout bounds one gss-sample connection, start to end.
const sampleTimeout = 60 * time.Second

// gssServer is "safekrb5 gss-server": the server side of MIT's
// gss-sample protocol. It accepts contexts with the keytab's keys,
// unwraps the messages clients send and answers with MIC tokens.
func gssServer(e *env, args []string) error {
	fl := newFlags(e, "gss-server",
		"[-port port] [-bind address] [-keytab keytab] [-once] [-verbose] service")
	port := fl.Int("port", 4444, "the TCP port to listen on")
	bind := fl.String("bind", "127.0.0.1", "the address to listen on")
	keytab := fl.String("keytab", "", "the keytab (default KRB5_KTNAME, then /etc/krb5.keytab)")
	once := fl.Bool("once", false, "serve one connection, then exit")
	verbose := fl.Bool("verbose", false, "show the context flags of each connection")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("")}
	}
	addr := net.JoinHostPort(*bind, strconv.Itoa(*port))
	s, err := newSampleServer(addr, keytabPath(*keytab), fl.Arg(0), e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer s.close()
	s.verbose = *verbose
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

// sampleServer serves the gss-sample protocol on one listener.
type sampleServer struct {
	kt      *krb5.Keytab
	cred    *gssapi.AcceptorCredential
	ln      net.Listener
	verbose bool

	// mu guards the output streams and conns.
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
	conns  map[net.Conn]struct{}
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
		conns: make(map[net.Conn]struct{})}, nil
}

// close stops listening and releases the credential and the keytab.
func (s *sampleServer) close() {
	s.ln.Close()
	s.cred.Close()
	s.kt.Close()
}

// serve accepts connections until ctx ends, each in its own goroutine,
// and waits for them before it returns. With once it serves the first
// connection alone and returns its result.
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.handle(conn); err != nil {
				s.printf(true, "gss-server: %s: %v\n", conn.RemoteAddr(), err)
			}
		}()
	}
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

// handle runs one connection: the context, then messages until the
// client's NOOP.
func (s *sampleServer) handle(conn net.Conn) error {
	defer conn.Close()
	s.track(conn, true)
	defer s.track(conn, false)
	if err := conn.SetDeadline(time.Now().Add(sampleTimeout)); err != nil {
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
		flags, tok, err := readFrame(conn)
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
func (s *sampleServer) establish(conn net.Conn) (*gssapi.SecurityContext, error) {
	flags, _, err := readFrame(conn)
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
		flags, tok, err := readFrame(conn)
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
