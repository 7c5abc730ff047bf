package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/internal/krb5conf"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(e *env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: safekrb5 %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning a usage error into exit status 2.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: errors2(err)}
	}
	return nil
}

// parseMIT parses flags the way MIT's tools parse theirs on Linux, with
// getopt: one-letter flags may be grouped ("kinit -kt keytab", "klist
// -ket"), a value may follow its letter at once ("-l1h", "-c=x" names
// the cache "=x"), and flags may follow the operands: "kinit alice -l
// 1h" and "kvno HTTP/www -c FILE:cc" mean what they say instead of
// taking "-l" or "-c" for a principal. An argument "--" in the place of
// a flag ends the flags; what follows it is an operand even when it
// starts with "-". A letter fs does not know, "--c" and "-k=1" are
// refused as getopt refuses them. The operands, in their order, are then
// fs.Args().
func parseMIT(fs *flag.FlagSet, args []string) error {
	args, err := ungroup(fs, args)
	if err != nil {
		fs.Usage()
		return &exitError{code: 2, err: err}
	}
	var operands []string
	for {
		if err := parse(fs, args); err != nil {
			return err
		}
		rest := fs.Args()
		used := args[:len(args)-len(rest)]
		if len(rest) == 0 || endsWithTerminator(fs, used) {
			operands = append(operands, rest...)
			break
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone sets no flag and leaves the operands as Args.
	return parse(fs, append([]string{"--"}, operands...))
}

// endsWithTerminator reports whether the flags the flag package took,
// used, end with a "--" that ended the flags rather than one that was
// a flag's value ("-c --").
func endsWithTerminator(fs *flag.FlagSet, used []string) bool {
	for i := 0; i < len(used); i++ {
		a := used[i]
		if a == "--" {
			return i == len(used)-1
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if takesValue(fs, name) && !hasValue {
			i++ // its value
		}
	}
	return false
}

// takesValue reports whether fs has a flag name that is not boolean.
func takesValue(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// ungroup splits grouped one-letter flags as getopt reads them: "-kt"
// becomes "-k", "-t", "-l1h" becomes "-l", "1h" and "-c=x" becomes
// "-c", "=x". An argument that names a flag of fs of more than one
// letter ("-spn", "--spn=x"), which getopt tools do not have, a flag's
// value, "--" and what follows it are left as they are. A group with a
// letter fs does not know, "=" after a letter that takes no value
// included, and a one-letter flag after "--" are refused, as getopt
// refuses them.
func ungroup(fs *flag.FlagSet, args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if len(name) > 1 && fs.Lookup(name) != nil {
			out = append(out, a)
			if takesValue(fs, name) && !hasValue && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			continue
		}
		group, err := splitGroup(fs, a[1:])
		if err != nil {
			return nil, err
		}
		out = append(out, group...)
		if last := group[len(group)-1]; len(last) == 2 && last[0] == '-' &&
			takesValue(fs, last[1:]) && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		}
	}
	return out, nil
}

// splitGroup splits the letters of a group of one-letter flags; the
// first letter that takes a value takes the rest of the group as its
// value, when there is a rest. A letter fs does not know is an error.
func splitGroup(fs *flag.FlagSet, s string) ([]string, error) {
	var out []string
	for j := 0; j < len(s); j++ {
		name := s[j : j+1]
		if fs.Lookup(name) == nil {
			return nil, fmt.Errorf("invalid option -- %s", krbname.Quote(name))
		}
		out = append(out, "-"+name)
		if takesValue(fs, name) {
			if rest := s[j+1:]; rest != "" {
				out = append(out, rest)
			}
			return out, nil
		}
	}
	return out, nil
}

// extraArguments refuses operands beyond the first max ones, as MIT's
// tools do, instead of ignoring them: "kdestroy FILE:x" would otherwise
// destroy the default cache rather than FILE:x.
func extraArguments(fs *flag.FlagSet, max int) error {
	if fs.NArg() <= max {
		return nil
	}
	fs.Usage()
	return &exitError{code: 2, err: fmt.Errorf("extra arguments (starting with %q)",
		fs.Arg(max))}
}

func errors2(err error) error {
	if err == nil || err.Error() == "flag: help requested" {
		return fmt.Errorf("")
	}
	return err
}

// loadConfig reads KRB5_CONFIG, or /etc/krb5.conf.
func loadConfig() (*config.Config, error) {
	return krb5.LoadConfig()
}

// splitPrincipal parses a principal name as MIT's kinit does
// (krb5_parse_name, backslash escapes included); without a realm the
// configured default realm is used. The name comes back with its
// components joined by "/", as the krb5 client takes it.
func splitPrincipal(p string, cfg *config.Config) (name, realm string, err error) {
	pr, err := krbname.ParsePrincipal(p, cfg.LibDefaults.DefaultRealm)
	if err != nil {
		return "", "", fmt.Errorf("principal %s: %w", krbname.Quote(p), err)
	}
	if pr.HasEmptyComponent() || pr.Realm == "" {
		return "", "", fmt.Errorf("cannot tell the principal and realm of %s "+
			"(an empty name or realm; no default_realm in the configuration?)",
			krbname.Quote(p))
	}
	for _, c := range pr.Components {
		if strings.Contains(c, "/") {
			return "", "", fmt.Errorf("principal %s: a component holding \"/\" "+
				"is not supported", krbname.Quote(p))
		}
	}
	return strings.Join(pr.Components, "/"), pr.Realm, nil
}

// unparsed returns the principal splitPrincipal split into name and
// realm as krb5_unparse_name writes it, which MIT's kinit and kpasswd
// show in their prompts: a component's "@" escaped (svc\@corp@R).
func unparsed(name, realm string) string {
	return krbname.Principal{Realm: realm, Components: strings.Split(name, "/")}.String()
}

// parseLifetime reads a kinit duration: "10h", "30m", "1d", "3600", or
// MIT's other forms.
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := krb5conf.ParseDuration(s)
	if err != nil || d <= 0 {
		// MIT's kinit refuses a zero lifetime too; a negative one
		// would otherwise be dropped in silence for the default.
		return 0, fmt.Errorf("bad lifetime %q", s)
	}
	return d, nil
}

// maxPasswordLine bounds a password read from standard input.
const maxPasswordLine = 4096

// readLine reads one line of standard input, without its newline or a
// carriage return before it: a password. A line longer than
// maxPasswordLine is an error, not a shorter password. The caller wipes
// the bytes; on error they are wiped already.
func readLine(r io.Reader) ([]byte, error) {
	// One buffer that never grows, so no copy of the password is left
	// behind in a discarded array.
	b := make([]byte, 0, maxPasswordLine+1)
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			if len(b) == maxPasswordLine {
				support.Wipe(b)
				return nil, fmt.Errorf("the password on standard input is longer "+
					"than %d bytes", maxPasswordLine)
			}
			b = append(b, one[0])
		}
		if err == io.EOF {
			if len(b) == 0 {
				return nil, fmt.Errorf("no password on standard input")
			}
			break
		}
		if err != nil {
			support.Wipe(b)
			return nil, err
		}
	}
	one[0] = 0
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) (int, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, termIsTerminal(fd)
}

// mitTime formats a time as MIT's klist does in the C locale.
func mitTime(t time.Time) string {
	return t.Local().Format("01/02/06 15:04:05")
}
