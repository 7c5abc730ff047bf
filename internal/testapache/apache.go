package testapache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// Locations of Debian's apache2 and its modules.
const (
	apacheBinary = "/usr/sbin/apache2"
	moduleDir    = "/usr/lib/apache2/modules"
)

// startAttempts bounds how often Start picks a new port after apache2
// failed to bind the one it was given.
const startAttempts = 3

// modules are the only modules the configuration loads, with the Debian
// package that ships each (mod_unixd and mod_log_config are built in).
var modules = []struct{ name, file, pkg string }{
	{"mpm_prefork_module", "mod_mpm_prefork.so", "apache2"},
	{"authn_core_module", "mod_authn_core.so", "apache2"},
	{"authz_core_module", "mod_authz_core.so", "apache2"},
	{"authz_user_module", "mod_authz_user.so", "apache2"},
	{"alias_module", "mod_alias.so", "apache2"},
	{"cgi_module", "mod_cgi.so", "apache2"},
	{"auth_gssapi_module", "mod_auth_gssapi.so", "libapache2-mod-auth-gssapi"},
}

// ErrMissingApache is matched by errors.Is against a *MissingApacheError.
var ErrMissingApache = errors.New("testapache: apache2 or modules missing")

// MissingApacheError lists missing files and the Debian packages that
// provide them.
type MissingApacheError struct {
	// Files are the missing binary or module paths.
	Files []string
	// Packages are the Debian packages to install, sorted and unique.
	Packages []string
}

// Error names the missing files and the apt-get command that installs
// them.
func (e *MissingApacheError) Error() string {
	return fmt.Sprintf("testapache: missing %s (install with: "+
		"apt-get install %s)", strings.Join(e.Files, ", "),
		strings.Join(e.Packages, " "))
}

// Unwrap returns ErrMissingApache.
func (e *MissingApacheError) Unwrap() error { return ErrMissingApache }

// CheckPrograms reports whether apache2 and every module the harness
// loads are installed: nil or a *MissingApacheError.
func CheckPrograms() error {
	var files []string
	pkgs := map[string]bool{}
	if _, err := os.Stat(apacheBinary); err != nil {
		files = append(files, apacheBinary)
		pkgs["apache2"] = true
	}
	for _, m := range modules {
		p := filepath.Join(moduleDir, m.file)
		if _, err := os.Stat(p); err != nil {
			files = append(files, p)
			pkgs[m.pkg] = true
		}
	}
	if len(files) == 0 {
		return nil
	}
	e := &MissingApacheError{Files: files}
	for p := range pkgs {
		e.Packages = append(e.Packages, p)
	}
	sort.Strings(e.Packages)
	return e
}

// Server is a running apache2. Its exported fields are set by Start and
// must not be changed. Stop is safe for concurrent use and idempotent.
type Server struct {
	// URL is http://localhost:PORT/, so that a client derives the service
	// principal HTTP/localhost.
	URL string
	// Port is the TCP port apache2 listens on at 127.0.0.1.
	Port int
	// Dir is the server's private directory: configuration, logs, keytab
	// copy, CGI script.
	Dir string
	// ErrorLog is apache2's error log, useful when a test fails.
	ErrorLog string

	daemon *testrealm.Daemon

	stopOnce sync.Once
	stopErr  error
}

// runUser is the account apache2's workers run as, or nil when the
// harness is not root and the workers keep the current user.
type runUser struct {
	name, group string
	uid, gid    int
}

// Start runs apache2 protecting every path with mod_auth_gssapi and r's
// service keytab. ctx bounds the startup only.
func Start(ctx context.Context, r *testrealm.Realm) (*Server, error) {
	if err := CheckPrograms(); err != nil {
		return nil, err
	}
	ru, err := lookupRunUser()
	if err != nil {
		return nil, err
	}

	dir, err := os.MkdirTemp("", "safekrb5-apache-")
	if err != nil {
		return nil, fmt.Errorf("testapache: %w", err)
	}
	s := &Server{Dir: dir, ErrorLog: filepath.Join(dir, "error.log")}
	if err := s.prepare(r, ru); err != nil {
		_ = s.Stop()
		return nil, err
	}

	for attempt := 1; ; attempt++ {
		err := s.start(ctx, r, ru)
		if err == nil {
			return s, nil
		}
		if s.daemon != nil {
			_ = s.daemon.Stop()
			s.daemon = nil
		}
		if attempt == startAttempts || ctx.Err() != nil {
			_ = s.Stop()
			return nil, fmt.Errorf("%w (see %s)", err, s.ErrorLog)
		}
	}
}

// lookupRunUser picks the worker account when running as root.
func lookupRunUser() (*runUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var u *user.User
	var err error
	for _, name := range []string{"www-data", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("testapache: no unprivileged user for "+
			"apache2 workers: %w", err)
	}
	ru := &runUser{name: u.Username}
	if ru.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("testapache: uid of %s: %w", u.Username, err)
	}
	if ru.gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("testapache: gid of %s: %w", u.Username, err)
	}
	ru.group = "#" + u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		ru.group = g.Name
	}
	return ru, nil
}

// prepare lays out the server directory. Files the workers read at request
// time (keytab, krb5.conf, CGI script) and the replay cache directory they
// write are readable or owned by the worker user.
func (s *Server) prepare(r *testrealm.Realm, ru *runUser) error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return fmt.Errorf("testapache: %w", err)
	}
	for _, d := range []string{"run", "rcache", "cgi-bin"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			return fmt.Errorf("testapache: %w", err)
		}
	}
	keytab := filepath.Join(s.Dir, "service.keytab")
	if err := copyFile(r.Keytab, keytab, 0o600); err != nil {
		return err
	}
	if err := copyFile(r.ConfPath, filepath.Join(s.Dir, "krb5.conf"),
		0o644); err != nil {
		return err
	}
	script := filepath.Join(s.Dir, "cgi-bin", "whoami")
	if err := os.WriteFile(script, []byte(whoamiScript), 0o755); err != nil {
		return fmt.Errorf("testapache: %w", err)
	}
	if ru == nil {
		return nil
	}

	for _, p := range []string{keytab, filepath.Join(s.Dir, "rcache")} {
		if err := os.Chown(p, ru.uid, ru.gid); err != nil {
			return fmt.Errorf("testapache: %w", err)
		}
	}
	return nil
}

// whoamiScript answers every request with the authenticated user.
const whoamiScript = `#!/bin/sh
printf 'Content-Type: text/plain\r\nX-Remote-User: %s\r\n\r\n%s\n' \
	"$REMOTE_USER" "$REMOTE_USER"
`

// start picks a port, writes httpd.conf and runs apache2 until it
// accepts connections.
func (s *Server) start(ctx context.Context, r *testrealm.Realm,
	ru *runUser) error {
	port, err := testrealm.FreePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.URL = fmt.Sprintf("http://localhost:%d/", port)
	conf := filepath.Join(s.Dir, "httpd.conf")
	if err := os.WriteFile(conf, []byte(s.config(ru)), 0o644); err != nil {
		return fmt.Errorf("testapache: %w", err)
	}

	cmd := exec.Command(apacheBinary, "-d", s.Dir, "-f", conf,
		"-D", "FOREGROUND")
	cmd.Dir = s.Dir
	cmd.Env = s.env(r)
	d, err := testrealm.StartDaemon("apache2", cmd,
		filepath.Join(s.Dir, "apache2.out"))
	if err != nil {
		return err
	}
	s.daemon = d
	return d.WaitTCP(ctx, fmt.Sprintf("127.0.0.1:%d", port))
}

// env is the realm's environment pointed at the server's own copies, so
// that the workers can read them after dropping privileges.
func (s *Server) env(r *testrealm.Realm) []string {
	var env []string
	for _, kv := range r.Env() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "KRB5_CONFIG", "KRB5RCACHEDIR", "KRB5CCNAME":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"KRB5_CONFIG="+filepath.Join(s.Dir, "krb5.conf"),
		"KRB5RCACHEDIR="+filepath.Join(s.Dir, "rcache"),
		"KRB5CCNAME=FILE:"+filepath.Join(s.Dir, "rcache", "ccache"),
	)
}

// config renders httpd.conf.
func (s *Server) config(ru *runUser) string {
	var b strings.Builder
	p := func(format string, args ...any) {
		fmt.Fprintf(&b, format+"\n", args...)
	}
	p("ServerRoot %q", s.Dir)
	p("ServerName localhost")
	p("Listen 127.0.0.1:%d", s.Port)
	p("PidFile %q", filepath.Join(s.Dir, "apache2.pid"))
	p("DefaultRuntimeDir %q", filepath.Join(s.Dir, "run"))
	p("ErrorLog %q", s.ErrorLog)
	p("LogLevel warn auth_gssapi:info")
	p(`LogFormat "%%h %%u \"%%r\" %%>s" brief`)
	p("CustomLog %q brief", filepath.Join(s.Dir, "access.log"))
	for _, m := range modules {
		p("LoadModule %s %s", m.name, filepath.Join(moduleDir, m.file))
	}
	if ru != nil {
		p("User %s", ru.name)
		p("Group %s", ru.group)
	}
	p("StartServers 1")
	p("MinSpareServers 1")
	p("MaxSpareServers 4")
	p("MaxRequestWorkers 16")
	p("Timeout 30")
	p("KeepAlive On")
	p("DocumentRoot %q", filepath.Join(s.Dir, "cgi-bin"))
	p("ScriptAliasMatch ^/.*$ %q", filepath.Join(s.Dir, "cgi-bin", "whoami"))
	p("<Location />")
	p("\tAuthType GSSAPI")
	p("\tAuthName \"safekrb5 test\"")
	p("\tGssapiCredStore keytab:%s", filepath.Join(s.Dir, "service.keytab"))
	p("\tGssapiAllowedMech krb5")
	p("\tGssapiBasicAuth Off")
	p("\tRequire valid-user")
	p("</Location>")
	return b.String()
}

// PID returns apache2's parent process ID, or 0 once stopped.
func (s *Server) PID() int {
	if s.daemon == nil {
		return 0
	}
	return s.daemon.PID()
}

// Stop stops apache2 by PID (SIGTERM, which also ends its workers, then
// SIGKILL after a bounded wait), waits for its workers to go, and removes
// Dir. Later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.daemon != nil {
			children := childPIDs(s.daemon.PID())
			errs = append(errs, s.daemon.Stop(), waitGone(children))
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			errs = append(errs, fmt.Errorf("testapache: %w", err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// ForTest starts a server for one test and registers Stop with
// t.Cleanup. Missing apache2 pieces fail the test naming the Debian
// packages, or skip it when SAFEKRB5_SKIP_INTEGRATION=1.
func ForTest(t testrealm.TB, r *testrealm.Realm) *Server {
	t.Helper()
	if err := CheckPrograms(); err != nil {
		if os.Getenv(testrealm.SkipEnv) == "1" {
			t.Skipf("%v; skipping because %s=1", err, testrealm.SkipEnv)
			return nil
		}
		t.Fatalf("%v (set %s=1 to skip integration tests)", err,
			testrealm.SkipEnv)
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, r)
	if err != nil {
		t.Fatalf("testapache: start apache2: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("testapache: stop apache2: %v", err)
		}
	})
	return s
}

// copyFile copies src to dst with the given mode.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("testapache: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return fmt.Errorf("testapache: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("testapache: copy %s: %w", filepath.Base(src), err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("testapache: %w", err)
	}
	return nil
}
