package krb5_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// A web service that authenticated a user by other means (a form, a
// certificate) acts on the user's behalf towards a back end: S4U2Self
// gives it a ticket to itself for the user, S4U2Proxy one to the back
// end, and a GSS-API context with that ticket authenticates as the user.
func ExampleClient_ImpersonateUser() {
	cfg, err := krb5.LoadConfig()
	if err != nil {
		log.Fatal(err)
	}
	kt, err := krb5.LoadKeytab("/etc/web.keytab")
	if err != nil {
		log.Fatal(err)
	}
	defer kt.Close()
	svc, err := krb5.NewWithKeytab("HTTP/web.example.com", "EXAMPLE.COM", kt, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := svc.Login(ctx); err != nil {
		log.Fatal(err)
	}
	imp, err := svc.ImpersonateUser(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	defer imp.Close()
	tkt, err := imp.ServiceTicket(ctx, "postgres/db.example.com")
	if err != nil {
		log.Fatal(err) // a *krb5.KDCError, ErrBadOption when delegation is not allowed
	}
	in, token, err := gssapi.InitiateWithTicket(tkt)
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	fmt.Println(tkt.ClientName(), len(token) > 0)
}

// A login armored with FAST, as kinit -T does: the armor is the TGT of
// the host, in a cache its keytab login wrote. In a realm that requires
// FAST, an unarmored login fails with ErrFASTRequired.
func ExampleWithArmorCCache() {
	cfg, err := krb5.LoadConfig()
	if err != nil {
		log.Fatal(err)
	}
	c, err := krb5.NewWithPassword("alice", "EXAMPLE.COM", "secret", cfg,
		krb5.WithArmorCCache("FILE:/var/lib/host/armor.ccache"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Login(ctx); err != nil {
		log.Fatal(err)
	}
}
