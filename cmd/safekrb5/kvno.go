package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/safekrb5/safekrb5/krb5"
)

func getenv(k string) string { return os.Getenv(k) }

func kvno(e *env, args []string) error {
	fl := newFlags(e, "kvno", "[-c ccache] [{-I|-U} for_user [-P]] service...")
	ccName := fl.String("c", "", "the credential cache to use (default KRB5CCNAME)")
	forUser := fl.String("I", "", "get a ticket for for_user by protocol transition (S4U2Self)")
	forEnterprise := fl.String("U", "", "as -I, with for_user an enterprise name")
	proxy := fl.Bool("P", false, "with -I or -U, get tickets for the services by "+
		"constrained delegation (S4U2Proxy)")
	if err := parseMIT(fl, args); err != nil {
		return err
	}
	var misuse string
	switch {
	case fl.NArg() == 0:
		misuse = "no service named"
	case *forUser != "" && *forEnterprise != "":
		misuse = "-I and -U exclude each other"
	case *proxy && *forUser == "" && *forEnterprise == "":
		misuse = "-P needs -I or -U"
	}
	if misuse != "" {
		fl.Usage()
		return &exitError{code: 2, err: errors.New(misuse)}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	c, err := krb5.NewFromCCache(*ccName, cfg, krb5.DisableAutoRenew())
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kinitTimeout)
	defer cancel()
	get := c.ServiceTicket
	if *forUser != "" || *forEnterprise != "" {
		imp, err := impersonate(ctx, c, *forUser, *forEnterprise)
		if err != nil {
			return err
		}
		defer imp.Close()
		get = func(ctx context.Context, spn string) (*krb5.ServiceTicket, error) {
			if *proxy {
				return imp.ServiceTicket(ctx, spn)
			}
			return selfTicket(c, imp, spn)
		}
	}
	failed := false
	for _, spn := range fl.Args() {
		t, err := get(ctx, spn)
		if err != nil {
			fmt.Fprintf(e.stderr, "kvno: %v while getting credentials for %s\n", err, spn)
			failed = true
			continue
		}
		fmt.Fprintf(e.stdout, "%s: kvno = %d\n", t.ServerName(), t.Ticket.EncPart.KVNO)
	}
	if err := c.UpdateCCache(*ccName); err != nil {
		return err
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

// impersonate runs S4U2Self for user, or for the enterprise name.
func impersonate(ctx context.Context, c *krb5.Client, user,
	enterprise string) (*krb5.Impersonation, error) {
	if enterprise != "" {
		return c.ImpersonateUser(ctx, enterprise, krb5.EnterpriseUser())
	}
	return c.ImpersonateUser(ctx, user)
}

// selfTicket returns the S4U2Self ticket for spn, which must name the
// cache's own principal, as MIT's kvno requires without -P.
func selfTicket(c *krb5.Client, imp *krb5.Impersonation,
	spn string) (*krb5.ServiceTicket, error) {
	own := c.Principal().PrincipalNameString()
	if spn != own && spn != c.PrincipalString() {
		return nil, fmt.Errorf("without -P the service must be the cache's "+
			"principal %s", c.PrincipalString())
	}
	return imp.SelfTicket()
}

func kdestroy(e *env, args []string) error {
	fl := newFlags(e, "kdestroy", "[-c ccache]")
	ccName := fl.String("c", "", "the credential cache to destroy (default KRB5CCNAME)")
	fl.Bool("q", false, "quiet: accepted, as MIT's kdestroy, where it only drops a bell")
	if err := parseMIT(fl, args); err != nil {
		return err
	}
	if err := extraArguments(fl, 0); err != nil {
		return err
	}
	if err := krb5.DestroyCCache(*ccName); err != nil {
		if errors.Is(err, krb5.ErrCCNotFound) {
			// As MIT's kdestroy: said, even with -q, and not a
			// failure, since no cache is left.
			name := *ccName
			if name == "" {
				name = krb5.DefaultCCacheName()
			}
			fmt.Fprintf(e.stderr, "kdestroy: no credentials cache found while "+
				"destroying cache %s\n", name)
			return nil
		}
		return err
	}
	return nil
}
