// Command safekrb5 is the command line tool of safekrb5: MIT-style kinit,
// klist, kvno, kdestroy, kpasswd and a non-interactive ktutil on
// safekrb5's credential caches and keytabs, a Negotiate
// HTTP server and client, and a demonstration that runs all of it
// against a throwaway MIT realm or Samba Active Directory domain
// controller.
//
// Usage:
//
//	safekrb5 kinit [-k] [-t keytab] [-c ccache] [-T armor_ccache] [-l lifetime] [-r renew] [-f|-F] [principal]
//	safekrb5 klist [-c] [ccache] | -k [-t] [-e] [keytab]
//	safekrb5 kvno [-c ccache] [{-I|-U} for_user [-P]] service...
//	safekrb5 kdestroy [-c ccache]
//	safekrb5 kpasswd [principal]
//	safekrb5 ktutil [-k keytab] add -p principal [-e enctypes] [-V kvno] [-s salt]
//	safekrb5 ktutil [-k keytab] list
//	safekrb5 serve [-addr 127.0.0.1:8080] [-k keytab]
//	safekrb5 get [-c ccache] [-spn service] URL
//	safekrb5 gss-server [-port port] [-bind address] [-keytab keytab] [-once] [-verbose] service
//	safekrb5 gss-client [-port port] [-c ccache] [-spnego] [-seq] [-nomutual] [-nw] [-nx] [-nm] host service msg
//	safekrb5 demo [-kdc mit|ad]
//
// Flags follow MIT's spelling where MIT's tools have them, and, as with
// MIT's tools on Linux, may be grouped and may follow the operands;
// gss-server
// and gss-client speak the protocol of MIT's gss-sample programs, so
// either end can be MIT's. The
// configuration comes from KRB5_CONFIG (or /etc/krb5.conf), the cache
// from KRB5CCNAME, the keytab from KRB5_KTNAME.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// env is what a subcommand reads and writes, so tests can run it
// in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// exitError carries an exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

var commands = map[string]func(e *env, args []string) error{
	"kinit":      kinit,
	"klist":      klist,
	"kvno":       kvno,
	"kdestroy":   kdestroy,
	"kpasswd":    kpasswd,
	"ktutil":     ktutil,
	"serve":      serve,
	"get":        get,
	"gss-server": gssServer,
	"gss-client": gssClient,
	"demo":       demo,
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: safekrb5 kinit|klist|kvno|kdestroy|kpasswd|ktutil|serve|get|"+
		"gss-server|gss-client|demo "+
		"[flags] [args]")
	fmt.Fprintln(w, "       safekrb5 COMMAND -h shows the flags of COMMAND")
}

func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "safekrb5: unknown command %q\n", args[0])
		usage(e.stderr)
		return 2
	}
	if err := cmd(e, args[1:]); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(e.stderr, "%s: %v\n", args[0], ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(e.stderr, "%s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}
