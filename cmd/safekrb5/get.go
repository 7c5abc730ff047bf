package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// getTimeout bounds a whole request.
const getTimeout = 60 * time.Second

func get(e *env, args []string) error {
	fl := newFlags(e, "get", "[-c ccache] [-spn service] URL")
	ccName := fl.String("c", "", "the credential cache to use (default KRB5CCNAME)")
	spn := fl.String("spn", "", "the service principal (default HTTP/ and the URL's host)")
	if err := parseMIT(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
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
	var opts []gssapi.TransportOption
	if *spn != "" {
		opts = append(opts, gssapi.WithSPN(*spn))
	}
	hc := gssapi.NewClient(c, &http.Client{Timeout: getTimeout}, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), getTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fl.Arg(0), nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	fmt.Fprintln(e.stderr, resp.Status)
	if _, err := io.Copy(e.stdout, io.LimitReader(resp.Body, 16<<20)); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &exitError{code: 1}
	}
	return nil
}
