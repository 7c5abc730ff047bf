package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/keytabfile"
	"github.com/safekrb5/safekrb5/krb5"
)

func klist(e *env, args []string) error {
	fl := newFlags(e, "klist", "[-c] [ccache] | -k [-t] [-e] [keytab]")
	// -c takes no value: as in MIT's klist it asks for a credential
	// cache, the default, named by the operand if there is one.
	cc := fl.Bool("c", false, "list a credential cache (the default)")
	keytab := fl.Bool("k", false, "list a keytab instead of a credential cache")
	times := fl.Bool("t", false, "show timestamps in keytab listings")
	etypes := fl.Bool("e", false, "show enctypes in keytab listings")
	if err := parseMIT(fl, args); err != nil {
		return err
	}
	if err := extraArguments(fl, 1); err != nil {
		return err
	}
	if *cc && *keytab {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("-c and -k exclude each other")}
	}
	if *keytab {
		name := fl.Arg(0)
		if name == "" {
			name = defaultServiceKeytab()
		}
		return listKeytab(e, name, *times, *etypes)
	}
	name := fl.Arg(0)
	return listCCache(e, name)
}

func listCCache(e *env, name string) error {
	path, err := krb5.CCachePath(name)
	if err != nil {
		return err
	}
	cc, err := ccachefile.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &exitError{code: 1, err: fmt.Errorf(
				"no credentials cache found (filename: %s)", path)}
		}
		return err
	}
	defer cc.Wipe()
	display := "FILE:" + path
	if name == "" {
		name = krb5.DefaultCCacheName()
	}
	if strings.HasPrefix(strings.ToUpper(name), "DIR:") {
		display = "DIR::" + path
	}
	fmt.Fprintf(e.stdout, "Ticket cache: %s\n", display)
	fmt.Fprintf(e.stdout, "Default principal: %s\n\n", cc.DefaultPrincipal)
	fmt.Fprintf(e.stdout, "Valid starting     Expires            Service principal\n")
	now := time.Now()
	valid := false
	for _, c := range cc.Credentials {
		if c.IsConfig() {
			continue
		}
		start := c.StartTime
		if start.IsZero() {
			start = c.AuthTime
		}
		fmt.Fprintf(e.stdout, "%s  %s  %s\n", mitTime(start), mitTime(c.EndTime), c.Server)
		if !c.RenewTill.IsZero() {
			fmt.Fprintf(e.stdout, "\trenew until %s\n", mitTime(c.RenewTill))
		}
		valid = valid || c.EndTime.After(now)
	}
	if !valid {
		return &exitError{code: 1}
	}
	return nil
}

func listKeytab(e *env, name string, times, etypes bool) error {
	path, err := keytabFilePath(name)
	if err != nil {
		return err
	}
	kt, err := keytabfile.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading keytab: %w", err)
	}
	defer kt.Wipe()
	fmt.Fprintf(e.stdout, "Keytab name: FILE:%s\n", path)
	fmt.Fprint(e.stdout, kt.ListColumns(nil, times, etypes))
	return nil
}

// defaultServiceKeytab is MIT's default keytab: KRB5_KTNAME, else
// /etc/krb5.keytab.
func defaultServiceKeytab() string {
	if s := getenv("KRB5_KTNAME"); s != "" {
		return s
	}
	return "FILE:/etc/krb5.keytab"
}
