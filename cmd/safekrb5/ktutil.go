package main

import (
	"fmt"
	"strings"

	"github.com/safekrb5/safekrb5/internal/keytabfile"
	"github.com/safekrb5/safekrb5/internal/krb5conf"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/krb5"
)

// ktutil is a non-interactive form of MIT's ktutil:
//
//	safekrb5 ktutil [-k keytab] add -p principal [-e enctypes] [-V kvno] [-s salt]
//	safekrb5 ktutil [-k keytab] list
//
// add reads the password as kinit does and appends keys derived from it
// (ktutil's addent -password, then wkt); list prints the entries as
// ktutil's list -e does.
func ktutil(e *env, args []string) error {
	fl := newFlags(e, "ktutil", "[-k keytab] add -p principal [-e enctypes] [-V kvno] [-s salt] | list")
	name := fl.String("k", "", "the keytab (default KRB5_KTNAME)")
	if err := parse(fl, args); err != nil {
		return err
	}
	kt := *name
	if kt == "" {
		kt = defaultServiceKeytab()
	}
	switch fl.Arg(0) {
	case "add", "addent":
		return ktutilAdd(e, kt, fl.Args()[1:])
	case "list", "l":
		return ktutilList(e, kt, fl.Args()[1:])
	}
	fl.Usage()
	if fl.NArg() == 0 {
		return &exitError{code: 2, err: fmt.Errorf("no subcommand: add or list")}
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q: add or list",
		fl.Arg(0))}
}

func ktutilAdd(e *env, kt string, args []string) error {
	if _, err := keytabFilePath(kt); err != nil {
		return err // a MEMORY keytab would vanish when the command exits
	}
	fl := newFlags(e, "ktutil add", "-p principal [-e enctypes] [-V kvno] [-s salt]")
	princ := fl.String("p", "", "the principal, name@REALM")
	etypes := fl.String("e", "aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha1-96",
		"enctypes, separated by commas or spaces")
	kvno := fl.Uint("V", 1, "the key version number")
	salt := fl.String("s", "", "the salt (default: realm and name components); "+
		"Active Directory accounts need theirs")
	if err := parse(fl, args); err != nil {
		return err
	}
	if *princ == "" || fl.NArg() > 0 {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("")}
	}
	if *kvno == 0 || *kvno > 0xffffffff {
		return &exitError{code: 2, err: fmt.Errorf("kvno %d out of range", *kvno)}
	}
	list := krb5conf.ParseEnctypes(strings.ReplaceAll(*etypes, ",", " "), true)
	if len(list) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("no known enctype in %q", *etypes)}
	}
	principal := *princ
	// A name without a realm, as krb5_parse_name reads it (an escaped
	// "@" does not start one), takes the default realm.
	if p, err := krbname.ParsePrincipalFlags(principal, "", krbname.ParseNoRealm); err == nil {
		cfg, err := loadConfig()
		if err != nil {
			return err
		}
		if cfg.LibDefaults.DefaultRealm == "" {
			return fmt.Errorf("principal %s has no realm and there is no default_realm",
				krbname.Quote(principal))
		}
		p.Realm = cfg.LibDefaults.DefaultRealm
		principal = p.String()
	}
	pw, err := readPassword(e, principal)
	if err != nil {
		return err
	}
	defer pw.Destroy()
	return pw.Use(func(b []byte) error {
		_, err := krb5.AddPasswordKeys(kt, krb5.PasswordKeys{
			Principal: principal, KVNO: uint32(*kvno), ETypes: list, Salt: *salt,
		}, string(b))
		return err
	})
}

func ktutilList(e *env, name string, args []string) error {
	if len(args) > 0 && args[0] != "-e" && args[0] != "-t" {
		return &exitError{code: 2, err: fmt.Errorf("list takes no arguments but -e and -t")}
	}
	path, err := keytabFilePath(name)
	if err != nil {
		return err
	}
	kt, err := keytabfile.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading keytab: %w", err)
	}
	defer kt.Wipe()
	fmt.Fprintln(e.stdout, "slot KVNO Principal")
	fmt.Fprintln(e.stdout, "---- ---- "+strings.Repeat("-", 69))
	for i, en := range kt.Entries {
		fmt.Fprintf(e.stdout, "%4d %4d %40s (%s) \n", i+1, en.KVNO, en.Principal,
			krbname.EnctypeName(en.Key.Type))
	}
	return nil
}

// keytabFilePath returns the file a keytab name names: the name itself,
// or what follows a FILE: or WRFILE: prefix. Another type (MEMORY, ANY)
// names no file the command can read, and is an error.
func keytabFilePath(name string) (string, error) {
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.HasPrefix(name, "/") || strings.Contains(typ, "/") {
		return name, nil
	}
	switch strings.ToUpper(typ) {
	case "FILE", "WRFILE":
		return rest, nil
	}
	return "", fmt.Errorf("keytab %s: type %s names no file (FILE and WRFILE do)",
		name, typ)
}
