package testrealm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRealm is the realm name used when Options.Realm is empty.
const DefaultRealm = "SAFEKRB5.TEST"

// startAttempts bounds how often Start picks new ports after a daemon
// failed to bind the ones it was given.
const startAttempts = 3

// ErrKadmin is matched by errors.Is when kadmin.local reports a failure.
var ErrKadmin = errors.New("testrealm: kadmin.local failed")

// Options configure Start. The zero value is a realm named DefaultRealm
// with a KDC only.
type Options struct {
	// Realm is the realm name; DefaultRealm if empty.
	Realm string
	// Kadmind also starts kadmind with kadmin and kpasswd ports, for
	// password change tests.
	Kadmind bool
	// Log receives one line per setup step; nil discards them.
	Log io.Writer
	// DomainRealm adds [domain_realm] entries (".example.test" or a host
	// name, to a realm name) to the realm's krb5.conf, which its KDC reads
	// too: a KDC answers a request for a host-based service it does not
	// hold, whose host maps to another realm, with a referral there.
	DomainRealm map[string]string
	// LegacySessionKeys lets the KDC issue rc4-hmac and des3-cbc-sha1
	// session keys (allow_rc4, allow_des3), which MIT since 1.20.1-2+deb12u4
	// issues only when told to. A service gets one only when its
	// session_enctypes string attribute names it.
	LegacySessionKeys bool
	// KDCDefaults adds relations to the [kdcdefaults] section of the
	// KDC's profile, such as kdc_max_dgram_reply_size.
	KDCDefaults map[string]string
	// RequireFAST makes the KDC offer pre-authentication only inside
	// FAST: its encrypted timestamp module is disabled, so User (who
	// requires pre-authentication) can log in only with an armored
	// request and FAST's encrypted challenge. MIT has no other realm-wide
	// switch for FAST.
	RequireFAST bool
	// LDAP keeps the realm's database in a private OpenLDAP slapd,
	// through MIT's LDAP database module, instead of a DB2 file: the one
	// database MIT ships that holds constrained-delegation rules (see
	// AllowDelegation) and principal aliases (AddAlias). It needs the
	// packages slapd, ldap-utils and krb5-kdc-ldap (CheckLDAPPrograms)
	// and adds a few tenths of a second to Start.
	LDAP bool
}

// Realm is a running throwaway realm. Its exported fields are set by Start
// and must not be changed. Its methods are safe for concurrent use; Stop
// may be called any number of times.
type Realm struct {
	// Name is the realm name, such as SAFEKRB5.TEST.
	Name string
	// Dir is the private temporary directory holding the database,
	// configuration, keytabs, logs and the default credential cache.
	Dir string
	// Host is the address every daemon listens on: 127.0.0.1.
	Host string
	// KDCPort is the KDC's port, the same number for UDP and TCP.
	KDCPort int
	// KpasswdPort and KadminPort are kadmind's ports, or 0 without
	// Options.Kadmind.
	KpasswdPort, KadminPort int
	// ConfPath is the client krb5.conf, for KRB5_CONFIG.
	ConfPath string
	// KDCConfPath is the KDC profile, for KRB5_KDC_PROFILE.
	KDCConfPath string
	// CCachePath is the default credential cache file that Env names in
	// KRB5CCNAME.
	CCachePath string
	// User is the user principal's name without realm: "alice".
	User string
	// Password is User's random password.
	Password string
	// UserPrincipal is User@Name.
	UserPrincipal string
	// UserKeytab holds the user's current keys (ktadd -norandkey).
	UserKeytab string
	// Service is the service principal's name without realm:
	// "HTTP/localhost".
	Service string
	// ServicePrincipal is Service@Name.
	ServicePrincipal string
	// Keytab holds the service's keys.
	Keytab string
	// LDAPURI is the ldapi:// URL of the realm's private slapd with
	// Options.LDAP, or "".
	LDAPURI string

	log         io.Writer
	domainRealm map[string]string
	legacyKeys  bool
	kdcDefaults map[string]string
	requireFAST bool

	// mu guards daemons and slapd.
	mu      sync.Mutex
	daemons []*Daemon
	slapd   *Daemon // outlives daemons, which restart on a port clash

	stopOnce sync.Once
	stopErr  error
}

// Start creates and starts a realm. ctx bounds the setup only; the daemons
// run until Stop. On failure everything started so far is stopped and the
// directory removed. A missing program gives a *MissingProgramsError.
func Start(ctx context.Context, opts Options) (*Realm, error) {
	check := CheckPrograms
	if opts.LDAP {
		check = CheckLDAPPrograms
	}
	if err := check(); err != nil {
		return nil, err
	}
	begin := time.Now()

	r := &Realm{
		Name:    opts.Realm,
		Host:    "127.0.0.1",
		User:    "alice",
		Service: "HTTP/localhost",
		log:     opts.Log,
	}
	r.domainRealm = opts.DomainRealm
	r.legacyKeys = opts.LegacySessionKeys
	r.kdcDefaults = opts.KDCDefaults
	r.requireFAST = opts.RequireFAST
	if r.Name == "" {
		r.Name = DefaultRealm
	}
	if r.log == nil {
		r.log = io.Discard
	}
	r.UserPrincipal = r.User + "@" + r.Name
	r.ServicePrincipal = r.Service + "@" + r.Name

	dir, err := os.MkdirTemp("", "safekrb5-realm-")
	if err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	r.Dir = dir
	r.ConfPath = filepath.Join(dir, "krb5.conf")
	r.KDCConfPath = filepath.Join(dir, "kdc.conf")
	r.CCachePath = filepath.Join(dir, "ccache")
	r.UserKeytab = filepath.Join(dir, "user.keytab")
	r.Keytab = filepath.Join(dir, "service.keytab")
	if opts.LDAP {
		socket := r.ldapFiles().socket
		if len(socket) > maxSocketPath {
			_ = r.Stop()
			return nil, fmt.Errorf("testrealm: slapd socket path %s is "+
				"longer than %d bytes: set TMPDIR to a shorter directory",
				socket, maxSocketPath)
		}
		r.LDAPURI = ldapiURI(socket)
	}

	if err := r.setup(ctx, opts); err != nil {
		_ = r.Stop()
		return nil, err
	}
	r.logf("realm %s ready in %v (KDC pid %d, port %d)", r.Name,
		time.Since(begin).Round(time.Millisecond), r.kdcPID(), r.KDCPort)
	return r, nil
}

// setup does Start's work after the directory exists.
func (r *Realm) setup(ctx context.Context, opts Options) error {
	var err error
	if r.Password, err = randomSecret(); err != nil {
		return err
	}
	master, err := randomSecret()
	if err != nil {
		return err
	}
	if err := r.pickPorts(opts.Kadmind); err != nil {
		return err
	}
	if err := r.writeConfigs(); err != nil {
		return err
	}

	if err := r.createDatabase(ctx, master); err != nil {
		return err
	}

	// One kadmin.local session for all principals and keytabs. The script
	// goes through stdin so the password never appears in a process list;
	// stdout echoes the script and is therefore never put in an error.
	script := strings.Join([]string{
		fmt.Sprintf("modprinc -maxrenewlife %s krbtgt/%s",
			kadminRenewArg, r.Name),
		// Pre-authentication required, as deployed realms (and Active
		// Directory) do: a wrong password then fails at the KDC with
		// KDC_ERR_PREAUTH_FAILED.
		fmt.Sprintf("addprinc +requires_preauth -pw %s -maxrenewlife %s %s",
			r.Password, kadminRenewArg, r.User),
		fmt.Sprintf("addprinc -randkey -maxrenewlife %s %s",
			kadminRenewArg, r.Service),
		fmt.Sprintf("ktadd -norandkey -k %s %s", r.UserKeytab, r.User),
		fmt.Sprintf("ktadd -norandkey -k %s %s", r.Keytab, r.Service),
	}, "\n") + "\n"
	if _, err := r.kadmin(ctx, strings.NewReader(script), "setup"); err != nil {
		return err
	}
	r.logf("principals %s and %s added, keytabs exported",
		r.UserPrincipal, r.ServicePrincipal)

	for attempt := 1; ; attempt++ {
		err := r.startDaemons(ctx, opts.Kadmind)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errExited) || attempt == startAttempts {
			return err
		}
		// Most likely another process took a port between FreePort and
		// the daemon's bind: try fresh ports.
		r.logf("daemon failed to start (%v); retrying with new ports", err)
		if err := r.pickPorts(opts.Kadmind); err != nil {
			return err
		}
		if err := r.writeConfigs(); err != nil {
			return err
		}
	}
}

// createDatabase creates the realm's database with master as the master
// key's password: -s writes the stash file; the password is a throwaway
// random value, never logged.
func (r *Realm) createDatabase(ctx context.Context, master string) error {
	if r.LDAPURI != "" {
		return r.createLDAPDatabase(ctx, master)
	}
	cmd := r.Command(ctx, "kdb5_util", "-r", r.Name, "create", "-s",
		"-P", master)
	if err := runTool(cmd, "kdb5_util create"); err != nil {
		return err
	}
	r.logf("database created in %s", r.Dir)
	return nil
}

// pickPorts chooses the KDC port and, if wanted, kadmind's two ports.
func (r *Realm) pickPorts(kadmind bool) error {
	var err error
	if r.KDCPort, err = FreePort(); err != nil {
		return err
	}
	if !kadmind {
		return nil
	}
	if r.KadminPort, err = FreePort(r.KDCPort); err != nil {
		return err
	}
	r.KpasswdPort, err = FreePort(r.KDCPort, r.KadminPort)
	return err
}

// writeConfigs writes kdc.conf, krb5.conf and the kadmind ACL.
func (r *Realm) writeConfigs() error {
	files := []struct {
		path, text string
	}{
		{r.KDCConfPath, r.kdcConf()},
		{r.ConfPath, r.krb5Conf()},
		{filepath.Join(r.Dir, "kadm5.acl"), "*/admin@" + r.Name + " *\n"},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.text), 0o644); err != nil {
			return fmt.Errorf("testrealm: %w", err)
		}
	}
	return nil
}

// startDaemons stops any daemons from an earlier attempt and starts
// krb5kdc (and kadmind), waiting until they accept connections.
func (r *Realm) startDaemons(ctx context.Context, kadmind bool) error {
	if err := r.stopDaemons(); err != nil {
		return err
	}
	addr := func(port int) string {
		return r.Host + ":" + strconv.Itoa(port)
	}

	kdc, err := r.startDaemon("krb5kdc", "-n", "-r", r.Name)
	if err != nil {
		return err
	}
	if err := kdc.WaitTCP(ctx, addr(r.KDCPort)); err != nil {
		return err
	}
	r.logf("krb5kdc pid %d listening on %s (udp and tcp)",
		kdc.PID(), addr(r.KDCPort))
	if !kadmind {
		return nil
	}

	kad, err := r.startDaemon("kadmind", "-nofork", "-r", r.Name)
	if err != nil {
		return err
	}
	err = kad.WaitTCP(ctx, addr(r.KadminPort), addr(r.KpasswdPort))
	if err != nil {
		return err
	}
	r.logf("kadmind pid %d listening on %s (kadmin) and %s (kpasswd)",
		kad.PID(), addr(r.KadminPort), addr(r.KpasswdPort))
	return nil
}

// startDaemon starts one MIT daemon with output in Dir/<name>.out and
// records it for Stop.
func (r *Realm) startDaemon(name string, args ...string) (*Daemon, error) {
	path, err := lookProgram(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Env = r.Env()
	cmd.Dir = r.Dir
	d, err := StartDaemon(name, cmd, filepath.Join(r.Dir, name+".out"))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.daemons = append(r.daemons, d)
	r.mu.Unlock()
	return d, nil
}

// stopDaemons stops every recorded daemon, newest first.
func (r *Realm) stopDaemons() error {
	r.mu.Lock()
	daemons := r.daemons
	r.daemons = nil
	r.mu.Unlock()

	var errs []error
	for i := len(daemons) - 1; i >= 0; i-- {
		errs = append(errs, daemons[i].Stop())
	}
	return errors.Join(errs...)
}

// PIDs returns the process IDs of the running daemons: krb5kdc first,
// slapd last.
func (r *Realm) PIDs() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	pids := make([]int, 0, len(r.daemons)+1)
	for _, d := range r.daemons {
		pids = append(pids, d.PID())
	}
	if r.slapd != nil {
		pids = append(pids, r.slapd.PID())
	}
	return pids
}

func (r *Realm) kdcPID() int {
	if pids := r.PIDs(); len(pids) > 0 {
		return pids[0]
	}
	return 0
}

// Stop stops every daemon by PID (SIGTERM, then SIGKILL after a bounded
// wait), slapd after the KDC that uses it, and removes Dir. Later calls
// return the first call's result.
func (r *Realm) Stop() error {
	r.stopOnce.Do(func() {
		err := r.stopDaemons()
		r.mu.Lock()
		slapd := r.slapd
		r.slapd = nil
		r.mu.Unlock()
		if slapd != nil {
			err = errors.Join(err, slapd.Stop())
		}
		if r.Dir != "" {
			if rmErr := os.RemoveAll(r.Dir); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("testrealm: %w", rmErr))
			}
		}
		r.stopErr = err
		r.logf("realm %s stopped", r.Name)
	})
	return r.stopErr
}

// envOverrides are the variables Env replaces or removes from the
// inherited environment, so that nothing from the host leaks in.
var envOverrides = []string{
	"KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5CCNAME", "KRB5_TRACE",
	"KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5RCACHEDIR", "KRB5RCACHETYPE",
	"KRB5RCACHENAME", "LDAPNOINIT",
}

// Env returns os.Environ() with KRB5_CONFIG, KRB5_KDC_PROFILE and
// KRB5CCNAME pointing into Dir, KRB5RCACHEDIR set to Dir, and KRB5_TRACE,
// KRB5_KTNAME and KRB5_CLIENT_KTNAME removed. With Options.LDAP it sets
// LDAPNOINIT, so that OpenLDAP's library in the KDC and the LDAP tools
// read no ldap.conf or .ldaprc of the host.
func (r *Realm) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, o := range envOverrides {
			if name == o {
				keep = false
				break
			}
		}
		if keep {
			env = append(env, kv)
		}
	}
	env = append(env,
		"KRB5_CONFIG="+r.ConfPath,
		"KRB5_KDC_PROFILE="+r.KDCConfPath,
		"KRB5CCNAME=FILE:"+r.CCachePath,
		"KRB5RCACHEDIR="+r.Dir,
	)
	if r.LDAPURI != "" {
		env = append(env, "LDAPNOINIT=1")
	}
	return env
}

// Command returns an MIT program (looked up on PATH and in /usr/sbin) set
// up to run with Env and ctx. A program that cannot be found fails when
// the command runs.
func (r *Realm) Command(ctx context.Context, name string,
	args ...string) *exec.Cmd {
	path, err := lookProgram(name)
	if err != nil {
		path = name // exec reports the error when the command runs
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = r.Env()
	cmd.Dir = r.Dir
	return cmd
}

// KadminLocal runs one kadmin.local query and returns its standard output.
// kadmin.local exits 0 even when a query fails, so any unexpected line on
// standard error is an error (matching ErrKadmin). The error names the
// query's first word only, as queries may carry passwords.
func (r *Realm) KadminLocal(ctx context.Context, query string) (string,
	error) {
	verb, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return r.kadmin(ctx, nil, verb, "-q", query)
}

// kadmin runs kadmin.local with stdin and args; label names the work in
// errors.
func (r *Realm) kadmin(ctx context.Context, stdin io.Reader, label string,
	args ...string) (string, error) {
	args = append([]string{"-r", r.Name}, args...)
	cmd := r.Command(ctx, "kadmin.local", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = stdin
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()

	var problems []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !benignKadminLine(line) {
			problems = append(problems, line)
		}
	}
	if err != nil || len(problems) > 0 {
		return stdout.String(), &KadminError{Query: label,
			Stderr: strings.Join(problems, "; "), Err: err}
	}
	return stdout.String(), nil
}

// benignKadminLine reports whether a kadmin.local stderr line is chatter
// rather than a failure.
func benignKadminLine(line string) bool {
	for _, p := range []string{
		"Authenticating as principal",
		"No policy specified for",
		"WARNING: no policy specified",
		"NOTICE: no policy specified",
	} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// KadminError is a failed kadmin.local run.
type KadminError struct {
	// Query is the query's first word (or "setup").
	Query string
	// Stderr holds the error lines kadmin.local printed.
	Stderr string
	// Err is the exit error, if kadmin.local exited non-zero.
	Err error
}

// Error describes the failure without the query's arguments.
func (e *KadminError) Error() string {
	msg := "testrealm: kadmin.local " + e.Query + " failed"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

// Unwrap returns ErrKadmin and the exit error, if any.
func (e *KadminError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrKadmin, e.Err}
	}
	return []error{ErrKadmin}
}

// AddPrincipal creates a principal with the given password, or with a
// random key when password is "". The password goes through stdin, in
// double quotes, so it may contain spaces but not a double quote.
func (r *Realm) AddPrincipal(ctx context.Context, name,
	password string) error {
	var q string
	if password == "" {
		q = fmt.Sprintf("addprinc -randkey -maxrenewlife %s %s",
			kadminRenewArg, name)
	} else {
		q = fmt.Sprintf("addprinc -pw \"%s\" -maxrenewlife %s %s",
			password, kadminRenewArg, name)
	}
	_, err := r.kadmin(ctx, strings.NewReader(q+"\n"), "addprinc")
	return err
}

// ExportKeytab appends principal's current keys to the keytab at path
// without changing them (ktadd -norandkey).
func (r *Realm) ExportKeytab(ctx context.Context, principal,
	path string) error {
	_, err := r.KadminLocal(ctx, fmt.Sprintf("ktadd -norandkey -k %s %s",
		path, principal))
	return err
}

// Kinit runs MIT kinit for principal with password on stdin, storing the
// TGT in ccache (a cache name such as FILE:/path, or "" for the default
// cache in Dir).
func (r *Realm) Kinit(ctx context.Context, ccache, principal,
	password string) error {
	var args []string
	if ccache != "" {
		args = append(args, "-c", ccache)
	}
	args = append(args, principal)
	cmd := r.Command(ctx, "kinit", args...)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testrealm: kinit %s: %w: %s", principal, err,
			firstLines(out))
	}
	return nil
}

// logf writes one progress line to Options.Log.
func (r *Realm) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "testrealm: "+format+"\n", args...)
}

// randomSecret returns 128 random bits, base64url encoded.
func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("testrealm: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// runTool runs a setup program whose output cannot hold a secret (it
// echoes no input) and turns a failure into an error naming label, with
// the start of that output.
func runTool(cmd *exec.Cmd, label string) error {
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testrealm: %s: %w: %s", label, err, firstLines(out))
	}
	return nil
}

// firstLines trims program output for an error message. It is used only
// on output that cannot contain a secret (no stdin echo).
func firstLines(out []byte) string {
	s := strings.TrimSpace(string(out))
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}
