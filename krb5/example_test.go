package krb5_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/safekrb5/safekrb5/krb5"
)

// A service logs in with a password and asks for a service ticket.
func Example() {
	cfg, err := krb5.LoadConfig() // KRB5_CONFIG, or /etc/krb5.conf
	if err != nil {
		log.Fatal(err)
	}
	c, err := krb5.NewWithPassword("alice", "EXAMPLE.COM", "secret", cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // stops the renewal goroutine and wipes the keys

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Login(ctx); err != nil {
		if errors.Is(err, krb5.ErrPreauthFailed) {
			log.Fatal("wrong password")
		}
		log.Fatal(err)
	}
	tkt, err := c.ServiceTicket(ctx, "HTTP/www.example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tkt.ServerName(), tkt.EndTime)
}

// A program that is done with Kerberos shuts the library down: new work
// is refused, and the call waits for live objects to be closed.
func ExampleShutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := krb5.Shutdown(ctx); err != nil {
		log.Print(err) // lists the objects still alive, if any
	}
	_, err := krb5.LoadKeytab("/etc/krb5.keytab")
	fmt.Println(errors.Is(err, krb5.ErrFinalized))
}
