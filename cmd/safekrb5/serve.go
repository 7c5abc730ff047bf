package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// shutdownGrace bounds how long serve waits for requests in flight and
// for the library's objects at shutdown.
const shutdownGrace = 10 * time.Second

// whoami answers with the authenticated principal. A "delay" query
// parameter (at most 5s) makes it wait first, to show requests in flight
// at shutdown.
func whoami(w http.ResponseWriter, r *http.Request) {
	id, ok := gssapi.IdentityFromContext(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	if d, err := time.ParseDuration(r.URL.Query().Get("delay")); err == nil && d > 0 {
		select {
		case <-time.After(min(d, 5*time.Second)):
		case <-r.Context().Done():
			return
		}
	}
	fmt.Fprintf(w, "%s@%s\n", id.UserName(), id.Domain())
}

// negotiateServer is an HTTP server whose every path is protected by
// Negotiate with the keys of a keytab.
type negotiateServer struct {
	kt   *krb5.Keytab
	cred *gssapi.AcceptorCredential
	srv  *http.Server
	ln   net.Listener
}

func newNegotiateServer(addr, keytab string) (*negotiateServer, error) {
	kt, err := krb5.LoadKeytab(keytab)
	if err != nil {
		return nil, err
	}
	cred, err := gssapi.NewAcceptorCredential(kt)
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
	s := &negotiateServer{kt: kt, cred: cred, ln: ln}
	s.srv = &http.Server{
		Handler:           gssapi.Middleware(cred)(http.HandlerFunc(whoami)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return s, nil
}

// serveBackground serves until shutdown; the returned channel yields
// the result.
func (s *negotiateServer) serveBackground() <-chan error {
	done := make(chan error, 1)
	go func() {
		err := s.srv.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	return done
}

// shutdown stops taking requests, lets those in flight finish, closes the
// credential and the keytab, and shuts the library down for good.
func (s *negotiateServer) shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.cred.Close()
	s.kt.Close()
	return errors.Join(err, gssapi.Shutdown(ctx), krb5.Shutdown(ctx))
}

func serve(e *env, args []string) error {
	fl := newFlags(e, "serve", "[-addr host:port] [-k keytab]")
	addr := fl.String("addr", "127.0.0.1:8080", "the address to listen on")
	keytab := fl.String("k", "", "the service keytab (default KRB5_KTNAME)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := extraArguments(fl, 0); err != nil {
		return err
	}
	if *keytab == "" {
		*keytab = defaultServiceKeytab()
	}
	s, err := newNegotiateServer(*addr, *keytab)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "serving Negotiate on http://%s/\n", s.ln.Addr())
	done := s.serveBackground()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case err := <-done:
		return err
	case got := <-sig:
		fmt.Fprintf(e.stdout, "%v: shutting down\n", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.shutdown(ctx); err != nil {
		return err
	}
	return <-done
}
