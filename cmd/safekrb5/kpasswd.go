package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/safekrb5/safekrb5/krb5"
)

// kpasswd changes a password as MIT's kpasswd does: the old password,
// then the new one twice, read as kinit reads passwords.
func kpasswd(e *env, args []string) error {
	fl := newFlags(e, "kpasswd", "[principal]")
	if err := parseMIT(fl, args); err != nil {
		return err
	}
	if err := extraArguments(fl, 1); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	principal := fl.Arg(0)
	if principal == "" {
		if principal, err = defaultPrincipal(false); err != nil {
			return err
		}
	}
	name, realm, err := splitPrincipal(principal, cfg)
	if err != nil {
		return err
	}
	full := unparsed(name, realm)
	old, err := readPassword(e, full)
	if err != nil {
		return err
	}
	defer old.Destroy()
	pw1, err := readPrompt(e, "Enter new password: ")
	if err != nil {
		return err
	}
	defer pw1.Destroy()
	pw2, err := readPrompt(e, "Enter it again: ")
	if err != nil {
		return err
	}
	defer pw2.Destroy()
	same := false
	pw1.Use(func(a []byte) error {
		return pw2.Use(func(b []byte) error {
			same = string(a) == string(b)
			return nil
		})
	})
	if !same {
		return &exitError{code: 1, err: errors.New("new passwords do not match")}
	}

	var c *krb5.Client
	err = old.Use(func(b []byte) error {
		var err error
		c, err = krb5.NewWithPassword(name, realm, string(b), cfg,
			krb5.DisableAutoRenew())
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kinitTimeout)
	defer cancel()
	err = pw1.Use(func(b []byte) error { return c.ChangePassword(ctx, string(b)) })
	if err != nil {
		return fmt.Errorf("changing the password of %s: %w", full, err)
	}
	fmt.Fprintln(e.stdout, "Password changed.")
	return nil
}
