package testheimdal

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

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// DefaultRealm is the realm name used when Options.Realm is empty.
const DefaultRealm = "HEIMDAL.TEST"

// startAttempts bounds how often Start picks new ports after a daemon
// failed to bind the ones it was given.
const startAttempts = 3

// ErrKadmin is matched by errors.Is when kadmin -l reports a failure.
var ErrKadmin = errors.New("testheimdal: kadmin -l failed")

// Options configure Start. The zero value is a realm named DefaultRealm
// with a KDC only.
type Options struct {
	// Realm is the realm name; DefaultRealm if empty.
	Realm string
	// Kpasswdd also starts kpasswdd, for password change tests.
	Kpasswdd bool
	// Log receives one line per setup step; nil discards them.
	Log io.Writer
	// MaxDatagramReply, when above 0, is the KDC's
	// max-kdc-datagram-reply-length: replies longer than that many bytes
	// are answered over UDP with KRB_ERR_RESPONSE_TOO_BIG, so clients
	// retry over TCP.
	MaxDatagramReply int
}

// Realm is a running throwaway Heimdal realm. Its exported fields are set
// by Start and must not be changed. Its methods are safe for concurrent
// use; Stop may be called any number of times.
type Realm struct {
	// Name is the realm name, such as HEIMDAL.TEST.
	Name string
	// Prefix is where the unpacked Heimdal packages are.
	Prefix string
	// Dir is the private temporary directory holding the database,
	// configuration, keytabs and logs.
	Dir string
	// Host is the address every daemon listens on: 127.0.0.1.
	Host string
	// KDCPort is the KDC's port, the same number for UDP and TCP.
	KDCPort int
	// KpasswdPort is kpasswdd's UDP port, or 0 without
	// Options.Kpasswdd. Heimdal's kpasswdd does not listen on TCP.
	KpasswdPort int
	// ConfPath is the krb5.conf for clients and for Heimdal's own
	// programs; it also holds the KDC's settings.
	ConfPath string
	// CCachePath is the credential cache file Env names in KRB5CCNAME.
	CCachePath string
	// User is the user principal's name without realm: "alice".
	User string
	// Password is User's random password.
	Password string
	// UserPrincipal is User@Name.
	UserPrincipal string
	// SaltUser is a second user, "bob", whose AES keys were made with
	// the salt Salt instead of the default realm-and-name salt, so a
	// client must use the salt the KDC reports.
	SaltUser string
	// SaltPassword is SaltUser's random password.
	SaltPassword string
	// Salt is SaltUser's salt string.
	Salt string
	// Service is the service principal's name without realm:
	// "HTTP/localhost".
	Service string
	// ServicePrincipal is Service@Name.
	ServicePrincipal string
	// Keytab holds the service's keys (aes256, des3 and rc4).
	Keytab string

	log      io.Writer
	maxDgram int

	// mu guards daemons.
	mu      sync.Mutex
	daemons []*testrealm.Daemon

	stopOnce sync.Once
	stopErr  error
}

// Start creates and starts a realm. ctx bounds the setup only; the
// daemons run until Stop. On failure everything started so far is stopped
// and the directory removed. Missing programs give a
// *MissingProgramsError.
func Start(ctx context.Context, opts Options) (*Realm, error) {
	prefix, err := FindPrefix()
	if err != nil {
		return nil, err
	}
	begin := time.Now()

	r := &Realm{
		Name:     opts.Realm,
		Prefix:   prefix,
		Host:     "127.0.0.1",
		User:     "alice",
		SaltUser: "bob",
		Service:  "HTTP/localhost",
		log:      opts.Log,
		maxDgram: opts.MaxDatagramReply,
	}
	if r.Name == "" {
		r.Name = DefaultRealm
	}
	if r.log == nil {
		r.log = io.Discard
	}
	r.UserPrincipal = r.User + "@" + r.Name
	r.ServicePrincipal = r.Service + "@" + r.Name

	dir, err := os.MkdirTemp("", "safekrb5-heimdal-")
	if err != nil {
		return nil, fmt.Errorf("testheimdal: %w", err)
	}
	r.Dir = dir
	r.ConfPath = filepath.Join(dir, "krb5.conf")
	r.CCachePath = filepath.Join(dir, "ccache")
	r.Keytab = filepath.Join(dir, "service.keytab")

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
	if r.SaltPassword, err = randomSecret(); err != nil {
		return err
	}
	if r.Salt, err = randomSecret(); err != nil {
		return err
	}
	r.Salt = "safekrb5-" + r.Salt
	if err := r.pickPorts(opts.Kpasswdd); err != nil {
		return err
	}
	if err := r.writeConfigs(); err != nil {
		return err
	}

	stash := r.Command(ctx, kstashPath, "--random-key",
		"--key-file="+filepath.Join(r.Dir, "m-key"))
	if out, err := stash.CombinedOutput(); err != nil {
		return fmt.Errorf("testheimdal: kstash: %w: %s", err,
			firstLines(out))
	}

	// One kadmin -l session for the realm, the principals and the
	// keytab. The script goes through stdin so no password appears in a
	// process list, and is never put in an error.
	script := strings.Join([]string{
		fmt.Sprintf("init --realm-max-ticket-life=%s "+
			"--realm-max-renewable-life=%s %s", maxLife, maxRenewLife,
			r.Name),
		fmt.Sprintf("add --password=%s --use-defaults "+
			"--attributes=requires-pre-auth %s", r.Password, r.User),
		fmt.Sprintf("add --random-key --use-defaults %s", r.Service),
		fmt.Sprintf("ext_keytab --keytab=%s %s", r.Keytab, r.Service),
	}, "\n") + "\n"
	if _, err := r.kadmin(ctx, r.ConfPath, script, "setup"); err != nil {
		return err
	}
	// The salted user is added under a configuration whose default_keys
	// name the salt; the KDC then reports it in PA-ETYPE-INFO2.
	script = fmt.Sprintf("add --password=%s --use-defaults "+
		"--attributes=requires-pre-auth %s\n", r.SaltPassword, r.SaltUser)
	if _, err := r.kadmin(ctx, r.saltConfPath(), script, "add"); err != nil {
		return err
	}
	r.logf("principals %s, %s@%s and %s added, keytab exported",
		r.UserPrincipal, r.SaltUser, r.Name, r.ServicePrincipal)

	for attempt := 1; ; attempt++ {
		err := r.startDaemons(ctx, opts.Kpasswdd)
		if err == nil {
			return nil
		}
		if attempt == startAttempts {
			return err
		}
		r.logf("daemon failed to start (%v); retrying with new ports", err)
		if err := r.pickPorts(opts.Kpasswdd); err != nil {
			return err
		}
		if err := r.writeConfigs(); err != nil {
			return err
		}
	}
}

func (r *Realm) saltConfPath() string {
	return filepath.Join(r.Dir, "krb5-salt.conf")
}

// pickPorts chooses the KDC port and, if wanted, kpasswdd's.
func (r *Realm) pickPorts(kpasswdd bool) error {
	var err error
	if r.KDCPort, err = testrealm.FreePort(); err != nil {
		return err
	}
	if kpasswdd {
		r.KpasswdPort, err = testrealm.FreePort(r.KDCPort)
	}
	return err
}

// writeConfigs writes krb5.conf, the salted variant and the ACL.
func (r *Realm) writeConfigs() error {
	files := []struct {
		path, text string
	}{
		{r.ConfPath, r.krb5Conf("")},
		{r.saltConfPath(), r.krb5Conf(r.Salt)},
		{filepath.Join(r.Dir, "kadmind.acl"), "*/admin@" + r.Name + " all\n"},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.text), 0o644); err != nil {
			return fmt.Errorf("testheimdal: %w", err)
		}
	}
	return nil
}

// startDaemons stops any daemons from an earlier attempt and starts the
// KDC (and kpasswdd), waiting until the KDC accepts TCP connections and
// kpasswdd has bound its UDP port.
func (r *Realm) startDaemons(ctx context.Context, kpasswdd bool) error {
	if err := r.stopDaemons(); err != nil {
		return err
	}
	kdcAddr := r.Host + ":" + strconv.Itoa(r.KDCPort)
	kdc, err := r.startDaemon("kdc", kdcPath, "--config-file="+r.ConfPath,
		"--ports="+strconv.Itoa(r.KDCPort), "--addresses="+r.Host)
	if err != nil {
		return err
	}
	if err := kdc.WaitTCP(ctx, kdcAddr); err != nil {
		return err
	}
	r.logf("kdc pid %d listening on %s (udp and tcp)", kdc.PID(), kdcAddr)
	if !kpasswdd {
		return nil
	}

	kpw, err := r.startDaemon("kpasswdd", kpasswddPath,
		"--config-file="+r.ConfPath, "--realm="+r.Name,
		"--addresses="+r.Host, "--port="+strconv.Itoa(r.KpasswdPort))
	if err != nil {
		return err
	}
	if err := waitUDPBound(ctx, kpw, r.KpasswdPort); err != nil {
		return err
	}
	r.logf("kpasswdd pid %d listening on %s:%d (udp)", kpw.PID(), r.Host,
		r.KpasswdPort)
	return nil
}

// startDaemon starts one Heimdal daemon with output in Dir/<name>.out and
// records it for Stop.
func (r *Realm) startDaemon(name, prog string,
	args ...string) (*testrealm.Daemon, error) {
	cmd := exec.Command(filepath.Join(r.Prefix, prog), args...)
	cmd.Env = r.Env()
	cmd.Dir = r.Dir
	d, err := testrealm.StartDaemon(name, cmd,
		filepath.Join(r.Dir, name+".out"))
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

// PIDs returns the process IDs of the running daemons (the KDC first).
func (r *Realm) PIDs() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	pids := make([]int, 0, len(r.daemons))
	for _, d := range r.daemons {
		pids = append(pids, d.PID())
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
// wait) and removes Dir. Later calls return the first call's result.
func (r *Realm) Stop() error {
	r.stopOnce.Do(func() {
		err := r.stopDaemons()
		if r.Dir != "" {
			if rmErr := os.RemoveAll(r.Dir); rmErr != nil {
				err = errors.Join(err, fmt.Errorf("testheimdal: %w", rmErr))
			}
		}
		r.stopErr = err
		r.logf("realm %s stopped", r.Name)
	})
	return r.stopErr
}

// Env returns os.Environ() without any Kerberos variables of the host,
// with KRB5_CONFIG and KRB5CCNAME pointing into Dir and LD_LIBRARY_PATH
// at the prefix's libraries.
func (r *Realm) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KRB5") || name == "LD_LIBRARY_PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"KRB5_CONFIG="+r.ConfPath,
		"KRB5CCNAME=FILE:"+r.CCachePath,
		"LD_LIBRARY_PATH="+filepath.Join(r.Prefix, libDir),
	)
}

// Command returns a Heimdal program, named by its path inside the prefix
// (such as "usr/bin/kinit.heimdal"), set up to run with Env and ctx.
func (r *Realm) Command(ctx context.Context, prog string,
	args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(r.Prefix, prog), args...)
	cmd.Env = r.Env()
	cmd.Dir = r.Dir
	return cmd
}

// Kadmin runs one kadmin -l command, given as its words, and returns its
// standard output. Errors name the command's first word only.
func (r *Realm) Kadmin(ctx context.Context, args ...string) (string,
	error) {
	label := "command"
	if len(args) > 0 {
		label = args[0]
	}
	return r.kadmin(ctx, r.ConfPath, strings.Join(args, " ")+"\n", label)
}

// kadmin runs kadmin -l with the configuration conf and the script on
// stdin; label names the work in errors.
func (r *Realm) kadmin(ctx context.Context, conf, script,
	label string) (string, error) {
	cmd := r.Command(ctx, kadminPath, "--config-file="+conf, "--local")
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(script)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	problem := strings.TrimSpace(stderr.String())
	if err != nil || problem != "" {
		return stdout.String(), &KadminError{Command: label,
			Stderr: firstLines([]byte(problem)), Err: err}
	}
	return stdout.String(), nil
}

// KadminError is a failed kadmin -l run.
type KadminError struct {
	// Command is the command's first word (or "setup").
	Command string
	// Stderr holds what kadmin printed on standard error.
	Stderr string
	// Err is the exit error, if kadmin exited non-zero.
	Err error
}

// Error describes the failure without the command's arguments.
func (e *KadminError) Error() string {
	msg := "testheimdal: kadmin -l " + e.Command + " failed"
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

// Kinit runs Heimdal's kinit for principal with password (read from a
// pipe, never the command line), storing the TGT in ccache (a name such
// as FILE:/path, or "" for CCachePath).
func (r *Realm) Kinit(ctx context.Context, ccache, principal,
	password string) error {
	if ccache == "" {
		ccache = "FILE:" + r.CCachePath
	}
	cmd := r.Command(ctx, kinitPath, "--password-file=STDIN",
		"--cache="+ccache, principal)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("testheimdal: kinit %s: %w: %s", principal, err,
			firstLines(out))
	}
	return nil
}

// logf writes one progress line to Options.Log.
func (r *Realm) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "testheimdal: "+format+"\n", args...)
}

// randomSecret returns 128 random bits, base64url encoded.
func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("testheimdal: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// firstLines trims program output for an error message. It is used only
// on output that cannot contain a secret.
func firstLines(out []byte) string {
	s := strings.TrimSpace(string(out))
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}
