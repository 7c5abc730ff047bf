package client_test

import (
	"fmt"
	"log"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/gokrb5/client"
	"github.com/safekrb5/safekrb5/gssapi"
)

// Code written for gokrb5's client keeps working with only its import
// changed; gssapi's HTTP client takes the client underneath.
func Example() {
	cfg, err := config.Load("/etc/krb5.conf")
	if err != nil {
		log.Fatal(err)
	}
	cl := client.NewWithPassword("alice", "EXAMPLE.COM", "secret", cfg)
	defer cl.Destroy() // waits for the renewal goroutine, wipes the keys
	if err := cl.Login(); err != nil {
		log.Fatal(err)
	}
	tkt, _, err := cl.GetServiceTicket("HTTP/www.example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tkt.SName.PrincipalNameString())

	// spnego.NewClient(cl, nil, "HTTP/www.example.com") becomes:
	hc := gssapi.NewClient(cl.Unwrap(), nil, gssapi.WithSPN("HTTP/www.example.com"))
	resp, err := hc.Get("https://www.example.com/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
}
