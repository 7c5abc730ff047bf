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
	fl := newFlags(e, "kvno", "[-c ccache] service...")
	ccName := fl.String("c", "", "the credential cache to use (default KRB5CCNAME)")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("")}
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
	failed := false
	for _, spn := range fl.Args() {
		t, err := c.ServiceTicket(ctx, spn)
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

func kdestroy(e *env, args []string) error {
	fl := newFlags(e, "kdestroy", "[-c ccache]")
	ccName := fl.String("c", "", "the credential cache to destroy (default KRB5CCNAME)")
	quiet := fl.Bool("q", false, "do not complain when there is no cache")
	if err := parse(fl, args); err != nil {
		return err
	}
	if err := krb5.DestroyCCache(*ccName); err != nil {
		if errors.Is(err, krb5.ErrCCNotFound) {
			if *quiet {
				return nil
			}
			name := *ccName
			if name == "" {
				name = krb5.DefaultCCacheName()
			}
			return &exitError{code: 1, err: fmt.Errorf(
				"no credentials cache found while destroying cache %s", name)}
		}
		return err
	}
	return nil
}
