package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/jcmturner/gofork/encoding/asn1"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/krb5"
)

// sampleClientOptions are the settings of one gss-client run.
type sampleClientOptions struct {
	addr     string // host:port of the server
	service  string // host-based service name, "service@host"
	msg      []byte
	flags    uint32 // GSS flags to ask for
	spnego   bool
	mechs    []asn1.ObjectIdentifier // SPNEGO's list, nil for the default
	micFirst bool                    // send our mechListMIC with the first token
	auth     bool                    // establish a context (false: -na)
	wrap     bool                    // wrap the message (false: -nw)
	encrypt  bool                    // seal it (false: -nx)
	mic      bool                    // ask for a MIC back (false: -nm)
	mcount   int
	quiet    bool
}

// gssClient is "safekrb5 gss-client": the client side of MIT's
// gss-sample protocol, with MIT's flags. It establishes a context with
// a ticket from the credential cache, sends the message wrapped, and
// checks the MIC the server returns.
func gssClient(e *env, args []string) error {
	fl := newFlags(e, "gss-client", "[-port port] [-c ccache] [-spnego|-krb5] "+
		"[-mechs list] [-mic] [-d] [-seq] [-noreplay] [-nomutual] [-f] [-q] [-mcount n] "+
		"[-na] [-nw] [-nx] [-nm] host service msg")
	port := fl.Int("port", 4444, "the server's TCP port")
	ccName := fl.String("c", "", "the credential cache (default KRB5CCNAME)")
	useSPNEGO := fl.Bool("spnego", false, "negotiate Kerberos inside SPNEGO")
	fl.Bool("krb5", true, "use the Kerberos mechanism directly (the default)")
	mechs := fl.String("mechs", "", "with -spnego: the mechanism list, comma-separated "+
		"(krb5, mskrb5, ntlm, negoex or dotted OIDs); Kerberos is the only one done")
	micFirst := fl.Bool("mic", false, "with -spnego and -nomutual: send our mechListMIC "+
		"with the first token")
	deleg := fl.Bool("d", false, "delegate credentials")
	seq := fl.Bool("seq", false, "ask for sequence checking")
	noReplay := fl.Bool("noreplay", false, "do not ask for replay detection")
	noMutual := fl.Bool("nomutual", false, "do not ask for mutual authentication")
	file := fl.Bool("f", false, "msg names a file whose contents are sent")
	quiet := fl.Bool("q", false, "print only errors")
	mcount := fl.Int("mcount", 1, "send the message this many times")
	na := fl.Bool("na", false, "no authentication: send the message in the clear")
	nw := fl.Bool("nw", false, "do not wrap the message")
	nx := fl.Bool("nx", false, "wrap without encryption")
	nm := fl.Bool("nm", false, "do not ask for a MIC back")
	if err := parse(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 3 {
		fl.Usage()
		return &exitError{code: 2, err: fmt.Errorf("")}
	}
	o := sampleClientOptions{
		addr:    net.JoinHostPort(fl.Arg(0), strconv.Itoa(*port)),
		service: fl.Arg(1),
		msg:     []byte(fl.Arg(2)),
		flags:   gssapi.FlagMutual | gssapi.FlagReplay | gssapi.FlagConf | gssapi.FlagInteg,
		spnego:  *useSPNEGO,
		auth:    !*na, wrap: !*na && !*nw, encrypt: !*na && !*nw && !*nx, mic: !*na && !*nm,
		mcount: *mcount, quiet: *quiet,
	}
	if *mechs != "" {
		list, err := parseMechs(*mechs)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		o.mechs, o.spnego = list, true
	}
	o.micFirst = *micFirst
	if *file {
		b, err := os.ReadFile(fl.Arg(2))
		if err != nil {
			return err
		}
		o.msg = b
	}
	if *deleg {
		o.flags |= gssapi.FlagDeleg
	}
	if *seq {
		o.flags |= gssapi.FlagSequence
	}
	if *noReplay {
		o.flags &^= gssapi.FlagReplay
	}
	if *noMutual {
		o.flags &^= gssapi.FlagMutual
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
	ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
	defer cancel()
	return runSampleClient(ctx, e.stdout, c, o)
}

// runSampleClient runs the client side of the protocol once.
func runSampleClient(ctx context.Context, out io.Writer, c *krb5.Client,
	o sampleClientOptions) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}

	var sc *gssapi.SecurityContext
	if o.auth {
		if sc, err = sampleEstablish(ctx, conn, c, o); err != nil {
			return err
		}
		defer sc.Close()
		if !o.quiet {
			fmt.Fprintf(out, "%q to %q, flags %#x\n", sc.ClientName(), sc.ServerName(),
				sc.Flags)
			printFlags(out, sc.Flags)
			fmt.Fprintf(out, "context enctype: %s\n", krbname.EnctypeName(sc.Enctype()))
		}
	} else if err := writeFrame(conn, sampleNoop, nil); err != nil {
		return err
	}

	for i := 0; i < o.mcount; i++ {
		if err := sampleSend(conn, out, sc, o); err != nil {
			return err
		}
	}
	return writeFrame(conn, sampleNoop, nil)
}

// sampleEstablish sends the context token and, when the acceptor
// answers (mutual authentication, or SPNEGO), checks its answer.
func sampleEstablish(ctx context.Context, conn net.Conn, c *krb5.Client,
	o sampleClientOptions) (*gssapi.SecurityContext, error) {
	spn, err := hostServiceSPN(o.service)
	if err != nil {
		return nil, err
	}
	if err := writeFrame(conn, sampleNoop|sampleContextNext, nil); err != nil {
		return nil, err
	}
	opts := []gssapi.InitOption{gssapi.WithFlags(o.flags)}
	switch {
	case !o.spnego:
		opts = append(opts, gssapi.RawKerberos())
	case o.mechs != nil:
		opts = append(opts, gssapi.WithSPNEGOMechs(o.mechs...))
	}
	if o.micFirst {
		opts = append(opts, gssapi.WithInitiatorMIC())
	}
	in, tok, err := gssapi.Initiate(ctx, c, spn, opts...)
	if err != nil {
		return nil, fmt.Errorf("initiating the context: %w", err)
	}
	defer in.Close()
	// The acceptor answers our first token when we use SPNEGO or ask for
	// mutual authentication, and every later one but the last.
	wait := o.flags&gssapi.FlagMutual != 0 || o.spnego
	for {
		if err := writeFrame(conn, sampleContext, tok); err != nil {
			return nil, err
		}
		var answer []byte
		if wait {
			flags, b, err := readFrame(conn)
			if err != nil {
				return nil, err
			}
			if flags&sampleContext == 0 {
				return nil, fmt.Errorf("%w: expected a context token, got flags %#x",
					errSampleProtocol, flags)
			}
			answer = b
		}
		sc, out, err := in.Step(answer)
		if errors.Is(err, gssapi.ErrContinueNeeded) {
			tok, wait = out, true
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("checking the server's answer: %w", err)
		}
		if len(out) > 0 {
			if err := writeFrame(conn, sampleContext, out); err != nil {
				sc.Close()
				return nil, err
			}
		}
		return sc, nil
	}
}

// mechNames are the names -mechs takes.
var mechNames = map[string]asn1.ObjectIdentifier{
	"krb5":   gssapi.OIDKRB5,
	"mskrb5": gssapi.OIDMSKRB5,
	"ntlm":   gssapi.OIDNTLM,
	"negoex": gssapi.OIDNegoEx,
}

// parseMechs reads -mechs: names or dotted OIDs, comma-separated.
func parseMechs(s string) ([]asn1.ObjectIdentifier, error) {
	var out []asn1.ObjectIdentifier
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if oid, ok := mechNames[strings.ToLower(f)]; ok {
			out = append(out, oid)
			continue
		}
		var oid asn1.ObjectIdentifier
		for _, p := range strings.Split(f, ".") {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("-mechs: %q is neither a mechanism name nor an OID", f)
			}
			oid = append(oid, n)
		}
		if len(oid) < 2 {
			return nil, fmt.Errorf("-mechs: %q is too short for an OID", f)
		}
		out = append(out, oid)
	}
	return out, nil
}

// sampleSend sends the message once and checks the answer.
func sampleSend(conn net.Conn, out io.Writer, sc *gssapi.SecurityContext,
	o sampleClientOptions) error {
	body := o.msg
	flags := byte(sampleData)
	if o.wrap {
		tok, err := sc.Wrap(o.msg, o.encrypt)
		if err != nil {
			return fmt.Errorf("wrapping the message: %w", err)
		}
		body = tok
		flags |= sampleWrapped
		if o.encrypt {
			flags |= sampleEncrypted
		}
	}
	if o.mic {
		flags |= sampleSendMIC
	}
	if err := writeFrame(conn, flags, body); err != nil {
		return err
	}
	rflags, tok, err := readFrame(conn)
	if err != nil {
		return err
	}
	if !o.mic {
		if !o.quiet {
			fmt.Fprintln(out, "Response received.")
		}
		return nil
	}
	if rflags&sampleMIC == 0 {
		return fmt.Errorf("%w: expected a MIC token, got flags %#x", errSampleProtocol, rflags)
	}
	if err := sc.VerifyMIC(o.msg, tok); err != nil {
		return fmt.Errorf("verifying the signature: %w", err)
	}
	if !o.quiet {
		fmt.Fprintln(out, "Signature verified.")
	}
	return nil
}
