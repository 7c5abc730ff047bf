package gssapi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// A server protects its handlers with Negotiate.
func ExampleMiddleware() {
	kt, err := krb5.LoadKeytab("/etc/http.keytab")
	if err != nil {
		log.Fatal(err)
	}
	defer kt.Close()
	cred, err := gssapi.NewAcceptorCredential(kt)
	if err != nil {
		log.Fatal(err)
	}
	defer cred.Close()

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := gssapi.IdentityFromContext(r.Context())
		fmt.Fprintf(w, "hello, %s@%s\n", id.UserName(), id.Domain())
	})
	http.Handle("/", gssapi.Middleware(cred)(hello))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}

// A client calls a Negotiate-protected service with tickets from a
// krb5.Client.
func ExampleNewClient() {
	cfg, err := krb5.LoadConfig()
	if err != nil {
		log.Fatal(err)
	}
	c, err := krb5.NewFromCCache("", cfg) // KRB5CCNAME, as after kinit
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	hc := gssapi.NewClient(c, nil)
	resp, err := hc.Get("http://www.example.com:8080/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// An initiator negotiates over a connection of its own, sending tokens
// with send and reading the acceptor's answers with receive, for as
// many legs as the acceptor asks (RFC 4178), then protects a message.
func ExampleInitiator_Step() {
	var (
		c       *krb5.Client // logged in
		send    func([]byte) error
		receive func() ([]byte, error)
	)
	ctx := context.Background()
	spn, err := gssapi.HostBasedService("host@server.example.com")
	if err != nil {
		log.Fatal(err)
	}
	in, tok, err := gssapi.Initiate(ctx, c, spn)
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	var sc *gssapi.SecurityContext
	for sc == nil {
		if err := send(tok); err != nil {
			log.Fatal(err)
		}
		answer, err := receive()
		if err != nil {
			log.Fatal(err)
		}
		sc, tok, err = in.Step(answer)
		if err != nil && !errors.Is(err, gssapi.ErrContinueNeeded) {
			log.Fatal(err)
		}
	}
	defer sc.Close()
	if len(tok) > 0 { // our last mechListMIC: the acceptor does not answer it
		if err := send(tok); err != nil {
			log.Fatal(err)
		}
	}
	wrapped, err := sc.Wrap([]byte("hello"), true)
	if err != nil {
		log.Fatal(err)
	}
	if err := send(wrapped); err != nil {
		log.Fatal(err)
	}
}
