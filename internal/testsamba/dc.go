package testsamba

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// startAttempts bounds how often Start picks new ports after samba failed
// to bind the ones it was given.
const startAttempts = 3

// Options configure Start. The zero value is a DC with its KDC and
// kpasswd services.
type Options struct {
	// Log receives one line per setup step; nil discards them.
	Log io.Writer
}

// DC is a running Samba AD domain controller. Its exported fields are set
// by Start and must not be changed. Its methods are safe for concurrent
// use; Stop may be called any number of times.
type DC struct {
	// Realm is the Kerberos realm, AD.TEST.
	Realm string
	// Dir is the DC's private copy of the provisioned domain.
	Dir string
	// Host is the address samba listens on: 127.0.0.1.
	Host string
	// KDCPort and KpasswdPort are the KDC's and kpasswd's ports, each
	// the same number for UDP and TCP.
	KDCPort, KpasswdPort int
	// ConfPath is a client krb5.conf for the realm, for KRB5_CONFIG.
	ConfPath string
	// SmbConf is the DC's smb.conf.
	SmbConf string
	// DomainSID is the domain's SID, S-1-5-21-...
	DomainSID string
	// User is the user's sAMAccountName: "alice".
	User string
	// Password is User's random password.
	Password string
	// UserPrincipal is User@Realm.
	UserPrincipal string
	// UPN is the user's implicit user principal name, alice@ad.test,
	// for enterprise name logins.
	UPN string
	// Service is "HTTP/localhost", an SPN of the account svc, whose
	// tickets the KDC encrypts with RC4 (the account names no
	// enctypes).
	Service string
	// Keytab holds svc's keys (AES and RC4) under the name Service.
	Keytab string
	// AESService is "HTTP/aes.localhost", an SPN of the account svcaes,
	// whose msDS-SupportedEncryptionTypes asks for AES tickets.
	AESService string
	// AESKeytab holds svcaes's keys under the name AESService.
	AESKeytab string
	// KrbtgtKeytab holds the krbtgt keys, for checking the KDC's PAC
	// signature in tests.
	KrbtgtKeytab string

	log io.Writer

	// mu guards daemon.
	mu     sync.Mutex
	daemon *testrealm.Daemon

	stopOnce sync.Once
	stopErr  error
}

// Start copies the provisioned domain (provisioning it first if this
// process has not) and runs its KDC. ctx bounds the copy and the start,
// not the first provisioning, which other callers share. Missing programs
// give a *MissingProgramsError.
func Start(ctx context.Context, opts Options) (*DC, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	tmpl, err := sharedTemplate(log)
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	dir, err := os.MkdirTemp("", "safekrb5-samba-")
	if err != nil {
		return nil, fmt.Errorf("testsamba: %w", err)
	}
	d := &DC{
		Realm:         Realm,
		Dir:           dir,
		Host:          "127.0.0.1",
		ConfPath:      filepath.Join(dir, "krb5.conf"),
		SmbConf:       filepath.Join(dir, "etc", "smb.conf"),
		DomainSID:     tmpl.domainSID,
		User:          userName,
		Password:      tmpl.password,
		UserPrincipal: userName + "@" + Realm,
		UPN:           userName + "@" + DNSDomain,
		Service:       serviceSPN,
		Keytab:        filepath.Join(dir, "service.keytab"),
		AESService:    aesSPN,
		AESKeytab:     filepath.Join(dir, "aes.keytab"),
		KrbtgtKeytab:  filepath.Join(dir, "krbtgt.keytab"),
		log:           log,
	}
	if err := d.setup(ctx, tmpl); err != nil {
		_ = d.Stop()
		return nil, err
	}
	d.logf("DC for %s ready in %v (samba pid %d, KDC port %d)", Realm,
		time.Since(begin).Round(time.Millisecond), d.pid(), d.KDCPort)
	return d, nil
}

func (d *DC) setup(ctx context.Context, tmpl *template) error {
	if err := copyTree(tmpl.dir, d.Dir); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		var err error
		if d.KDCPort, err = testrealm.FreePort(); err != nil {
			return err
		}
		if d.KpasswdPort, err = testrealm.FreePort(d.KDCPort); err != nil {
			return err
		}
		if err := d.writeConfigs(tmpl.dir); err != nil {
			return err
		}
		err = d.startSamba(ctx)
		if err == nil || attempt == startAttempts {
			return err
		}
		d.logf("samba failed to start (%v); retrying with new ports", err)
	}
}

// writeConfigs rewrites smb.conf for this copy (its directories, log and
// pid files, sockets and ports) and writes the client krb5.conf.
func (d *DC) writeConfigs(tmplDir string) error {
	b, err := os.ReadFile(filepath.Join(tmplDir, "etc", "smb.conf"))
	if err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		key, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch strings.TrimSpace(key) {
		case "log file", "panic action", "krb5 port", "kpasswd port",
			"pid directory", "ncalrpc dir", "winbindd socket directory",
			"ntp signd socket directory", "logging":
			continue
		}
		out.WriteString(strings.ReplaceAll(line, tmplDir, d.Dir))
		out.WriteString("\n")
		if strings.TrimSpace(line) == "[global]" {
			run := filepath.Join(d.Dir, "run")
			fmt.Fprintf(&out, "\tlog file = %s/log.samba\n", d.Dir)
			fmt.Fprintf(&out, "\tpid directory = %s\n", run)
			fmt.Fprintf(&out, "\tncalrpc dir = %s/ncalrpc\n", run)
			fmt.Fprintf(&out, "\twinbindd socket directory = %s/winbindd\n",
				run)
			fmt.Fprintf(&out, "\tntp signd socket directory = %s/ntp\n",
				run)
			fmt.Fprintf(&out, "\tkrb5 port = %d\n", d.KDCPort)
			fmt.Fprintf(&out, "\tkpasswd port = %d\n", d.KpasswdPort)
		}
	}
	if err := os.MkdirAll(filepath.Join(d.Dir, "run"), 0o755); err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	if err := os.WriteFile(d.SmbConf, []byte(out.String()), 0o644); err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	return os.WriteFile(d.ConfPath, []byte(d.krb5Conf()), 0o644)
}

// krb5Conf renders the client profile. Against Samba: the realm's KDC and
// kpasswd servers on their ports, no DNS, and names under localhost in
// the realm.
func (d *DC) krb5Conf() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n")
	fmt.Fprintf(&b, "\tdefault_realm = %s\n", d.Realm)
	fmt.Fprintf(&b, "\tdns_lookup_kdc = false\n")
	fmt.Fprintf(&b, "\tdns_lookup_realm = false\n")
	fmt.Fprintf(&b, "\trdns = false\n")
	fmt.Fprintf(&b, "\tdns_canonicalize_hostname = false\n")
	fmt.Fprintf(&b, "\tforwardable = true\n")
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", d.Realm)
	fmt.Fprintf(&b, "\t\tkdc = %s:%d\n", d.Host, d.KDCPort)
	fmt.Fprintf(&b, "\t\tkpasswd_server = %s:%d\n", d.Host, d.KpasswdPort)
	fmt.Fprintf(&b, "\t}\n")
	fmt.Fprintf(&b, "\n[domain_realm]\n")
	fmt.Fprintf(&b, "\tlocalhost = %s\n", d.Realm)
	fmt.Fprintf(&b, "\t.localhost = %s\n", d.Realm)
	fmt.Fprintf(&b, "\t%s = %s\n", DNSDomain, d.Realm)
	fmt.Fprintf(&b, "\t.%s = %s\n", DNSDomain, d.Realm)
	return b.String()
}

// startSamba runs samba in the foreground, single process, and waits
// until the KDC and kpasswd accept TCP connections.
func (d *DC) startSamba(ctx context.Context) error {
	d.stopSamba()
	cmd := exec.Command("/usr/sbin/samba", "--foreground",
		"--no-process-group", "--model=single", "--debug-stdout",
		"--configfile="+d.SmbConf)
	cmd.Env = pythonEnv()
	cmd.Dir = d.Dir
	dm, err := testrealm.StartDaemon("samba", cmd,
		filepath.Join(d.Dir, "samba.out"))
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.daemon = dm
	d.mu.Unlock()
	addr := func(port int) string {
		return d.Host + ":" + strconv.Itoa(port)
	}
	return dm.WaitTCP(ctx, addr(d.KDCPort), addr(d.KpasswdPort))
}

func (d *DC) stopSamba() error {
	d.mu.Lock()
	dm := d.daemon
	d.daemon = nil
	d.mu.Unlock()
	if dm == nil {
		return nil
	}
	return dm.Stop()
}

func (d *DC) pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.daemon == nil {
		return 0
	}
	return d.daemon.PID()
}

// PID returns samba's process ID, or 0 once stopped.
func (d *DC) PID() int { return d.pid() }

// Stop stops samba by PID (SIGTERM, then SIGKILL after a bounded wait)
// and removes Dir. Later calls return the first call's result.
func (d *DC) Stop() error {
	d.stopOnce.Do(func() {
		err := d.stopSamba()
		if rmErr := os.RemoveAll(d.Dir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("testsamba: %w", rmErr))
		}
		d.stopErr = err
		d.logf("DC stopped")
	})
	return d.stopErr
}

// Env returns the environment for MIT's client programs against the DC:
// os.Environ() without Kerberos and Python variables, with KRB5_CONFIG
// set to ConfPath and KRB5CCNAME to a cache in Dir.
func (d *DC) Env() []string {
	return append(pythonEnv(), "KRB5_CONFIG="+d.ConfPath,
		"KRB5CCNAME=FILE:"+filepath.Join(d.Dir, "ccache"))
}

// SambaTool runs samba-tool against the DC's database with args and
// returns its output. Errors name the subcommand only.
func (d *DC) SambaTool(ctx context.Context, args ...string) (string,
	error) {
	return sambaTool(ctx, nil, append(args, "--configfile="+d.SmbConf)...)
}

// Python runs a Python program under the system's python3 with Samba's
// modules, as samba-tool runs, with the DC's smb.conf as its first
// argument (sys.argv[1]) and args after it, and returns its output. The
// program opens the DC's database itself, for instance with
// samba.samdb.SamDB and samba.param.LoadParm. Errors carry the program's
// last output lines, never args.
func (d *DC) Python(ctx context.Context, program string,
	args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/python3",
		append([]string{"-c", program, d.SmbConf}, args...)...)
	cmd.Env = pythonEnv()
	cmd.Dir = d.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testsamba: python: %w: %s", err,
			firstLines(out))
	}
	return string(out), nil
}

func (d *DC) logf(format string, args ...any) {
	fmt.Fprintf(d.log, "testsamba: "+format+"\n", args...)
}

// copyTree copies the regular files and directories under from into to,
// keeping their modes. Sockets and other special files (a stale
// messaging socket) are skipped.
func copyTree(from, to string) error {
	err := filepath.WalkDir(from, func(path string, e fs.DirEntry,
		err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.MkdirAll(dst, info.Mode().Perm())
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("testsamba: copy domain: %w", err)
	}
	return nil
}
