package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	if err := c.WriteCCache(*ccName); err != nil {
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
	path, err := krb5.CCachePath(*ccName)
	if err != nil {
		return err
	}
	if err := destroyFile(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if *quiet {
				return nil
			}
			return &exitError{code: 1, err: fmt.Errorf(
				"no credentials cache found while destroying cache %s", path)}
		}
		return err
	}
	return nil
}

// destroyFile overwrites a cache with zeros, as MIT does, and removes it.
func destroyFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		_, err = f.Write(make([]byte, fi.Size()))
		if err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("overwriting %s: %w", path, err)
	}
	return os.Remove(path)
}
