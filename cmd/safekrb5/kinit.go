package main

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// kinitTimeout bounds a whole kinit, all KDCs included.
const kinitTimeout = 60 * time.Second

func kinit(e *env, args []string) error {
	fs := newFlags(e, "kinit", "[-k [-t keytab]] [-c ccache] [-T armor_ccache] "+
		"[-l lifetime] [-r renew] [-f|-F] [principal]")
	useKeytab := fs.Bool("k", false, "log in with a key from a keytab instead of a password")
	ktName := fs.String("t", "", "the keytab for -k (default KRB5_CLIENT_KTNAME, else KRB5_KTNAME)")
	ccName := fs.String("c", "", "the credential cache to write (default KRB5CCNAME)")
	lifetime := fs.String("l", "", "ticket lifetime, e.g. 10h")
	renew := fs.String("r", "", "renewable lifetime, e.g. 7d")
	fwd := fs.Bool("f", false, "ask for forwardable tickets")
	noFwd := fs.Bool("F", false, "ask for non-forwardable tickets")
	armor := fs.String("T", "", "armor the request with FAST, with the TGT in this cache")
	if err := parseMIT(fs, args); err != nil {
		return err
	}
	if err := extraArguments(fs, 1); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	var opts []krb5.Option
	if d, err := parseLifetime(*lifetime); err != nil {
		return err
	} else if d > 0 {
		opts = append(opts, krb5.WithLifetime(d))
	}
	if d, err := parseLifetime(*renew); err != nil {
		return err
	} else if d > 0 {
		opts = append(opts, krb5.WithRenewableLifetime(d))
	}
	switch {
	case *fwd && *noFwd:
		return &exitError{code: 2, err: fmt.Errorf("-f and -F exclude each other")}
	case *fwd:
		opts = append(opts, krb5.Forwardable(true))
	case *noFwd:
		opts = append(opts, krb5.Forwardable(false))
	}
	if *armor != "" {
		opts = append(opts, krb5.WithArmorCCache(*armor))
	}
	opts = append(opts, krb5.DisableAutoRenew())

	principal := fs.Arg(0)
	if principal == "" {
		principal, err = defaultPrincipal(*useKeytab)
		if err != nil {
			return err
		}
	}
	name, realm, err := splitPrincipal(principal, cfg)
	if err != nil {
		return err
	}

	var c *krb5.Client
	if *useKeytab {
		path := *ktName
		if path == "" {
			path = defaultClientKeytab()
		}
		kt, err := krb5.LoadKeytab(path)
		if err != nil {
			return err
		}
		defer kt.Close()
		if c, err = krb5.NewWithKeytab(name, realm, kt, cfg, opts...); err != nil {
			return err
		}
	} else {
		pw, err := readPassword(e, unparsed(name, realm))
		if err != nil {
			return err
		}
		defer pw.Destroy()
		err = pw.Use(func(b []byte) error {
			var err error
			c, err = krb5.NewWithPassword(name, realm, string(b), cfg, opts...)
			return err
		})
		if err != nil {
			return err
		}
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kinitTimeout)
	defer cancel()
	if err := c.Login(ctx); err != nil {
		return fmt.Errorf("getting initial credentials for %s: %w", c.PrincipalString(), err)
	}
	return c.WriteCCache(*ccName)
}

// readPassword prompts on the terminal, with echo off, or reads one line
// of standard input when it is not a terminal.
func readPassword(e *env, principal string) (*support.Secret, error) {
	return readPrompt(e, "Password for "+principal+": ")
}

// readPrompt reads a password as readPassword does, showing prompt on a
// terminal.
func readPrompt(e *env, prompt string) (*support.Secret, error) {
	if fd, ok := isTerminal(e.stdin); ok {
		fmt.Fprint(e.stderr, prompt)
		b, err := termReadPassword(fd)
		fmt.Fprintln(e.stderr)
		if err != nil {
			return nil, fmt.Errorf("reading the password: %w", err)
		}
		defer support.Wipe(b)
		return support.NewSecret(b)
	}
	line, err := readLine(e.stdin)
	if err != nil {
		return nil, err
	}
	defer support.Wipe(line)
	return support.NewSecret(line)
}

// defaultPrincipal is MIT's: the login name, or host/HOSTNAME with -k.
func defaultPrincipal(keytab bool) (string, error) {
	if keytab {
		h, err := os.Hostname()
		if err != nil {
			return "", err
		}
		return "host/" + h, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("no principal given and no login name: %w", err)
	}
	return u.Username, nil
}

// defaultClientKeytab is MIT's client keytab: KRB5_CLIENT_KTNAME, else
// KRB5_KTNAME, else /etc/krb5.keytab.
func defaultClientKeytab() string {
	for _, v := range []string{"KRB5_CLIENT_KTNAME", "KRB5_KTNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return "FILE:/etc/krb5.keytab"
}
