package testsamba

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
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
)

// The domain every DC of the harness serves.
const (
	// Realm is the Kerberos realm of the domain.
	Realm = "AD.TEST"
	// DNSDomain is the domain's DNS name, the UPN suffix of its users.
	DNSDomain = "ad.test"
	// NetBIOSDomain is the domain's NetBIOS name.
	NetBIOSDomain = "AD"
	// HostName is the DC's host name.
	HostName = "dc"
)

// Accounts the template holds.
const (
	userName       = "alice"
	serviceAccount = "svc"
	serviceSPN     = "HTTP/localhost"
	aesAccount     = "svcaes"
	aesSPN         = "HTTP/aes.localhost"
)

// provisionTimeout bounds the one-time provisioning, whatever context
// the first caller passed: later callers share its result.
const provisionTimeout = 2 * time.Minute

// ErrSambaTool is matched by errors.Is when a samba-tool run fails.
var ErrSambaTool = errors.New("testsamba: samba-tool failed")

// template is a provisioned domain that DCs are copied from.
type template struct {
	dir       string
	password  string // alice's
	adminPass string
	domainSID string
}

// shared holds the template of this process.
var shared struct {
	once sync.Once
	tmpl *template
	err  error
}

// sharedTemplate provisions the template on first use and returns it.
func sharedTemplate(log io.Writer) (*template, error) {
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(),
			provisionTimeout)
		defer cancel()
		shared.tmpl, shared.err = provision(ctx, log)
	})
	return shared.tmpl, shared.err
}

// RemoveTemplate removes this process's provisioned template, if there
// is one. Call it from TestMain after m.Run; DCs already started keep
// running from their own copies.
func RemoveTemplate() error {
	shared.once.Do(func() { shared.err = errors.New("testsamba: removed") })
	if shared.tmpl == nil {
		return nil
	}
	if err := os.RemoveAll(shared.tmpl.dir); err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	return nil
}

// provision creates the template: the domain, a relaxed password policy,
// the user, the two service accounts and their keytabs.
func provision(ctx context.Context, log io.Writer) (*template, error) {
	if err := CheckPrograms(); err != nil {
		return nil, err
	}
	begin := time.Now()
	dir, err := os.MkdirTemp("", "safekrb5-samba-template-")
	if err != nil {
		return nil, fmt.Errorf("testsamba: %w", err)
	}
	t := &template{dir: dir}
	if err := t.build(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fmt.Fprintf(log, "testsamba: domain %s provisioned in %v\n", Realm,
		time.Since(begin).Round(time.Millisecond))
	return t, nil
}

func (t *template) build(ctx context.Context) error {
	var err error
	// The administrator's password must pass the default complexity
	// rules, which are relaxed only afterwards.
	if t.adminPass, err = randomSecret(); err != nil {
		return err
	}
	t.adminPass = "Aa1-" + t.adminPass
	// Passed to samba-tool as an argument: a leading "-" (one random
	// password in 64) would be read as an option.
	if t.password, err = randomSecret(); err != nil {
		return err
	}
	t.password = "Aa1-" + t.password
	svcPass, err := randomSecret()
	if err != nil {
		return err
	}
	svcPass = "Aa1-" + svcPass

	out, err := sambaTool(ctx, nil, "domain", "provision",
		"--targetdir="+t.dir, "--realm="+Realm,
		"--domain="+NetBIOSDomain, "--host-name="+HostName,
		"--server-role=dc", "--dns-backend=NONE",
		"--adminpass="+t.adminPass,
		"--option=interfaces=127.0.0.1",
		"--option=bind interfaces only=yes",
		"--option=server services = kdc")
	if err != nil {
		return err
	}
	t.domainSID = findSID(out)

	conf := filepath.Join(t.dir, "etc", "smb.conf")
	steps := [][]string{
		{"domain", "passwordsettings", "set", "--complexity=off",
			"--history-length=0", "--min-pwd-age=0", "--max-pwd-age=0"},
		{"user", "create", userName, t.password},
		{"user", "create", serviceAccount, svcPass},
		{"spn", "add", serviceSPN, serviceAccount},
		{"user", "create", aesAccount, svcPass},
		{"spn", "add", aesSPN, aesAccount},
		{"domain", "exportkeytab", filepath.Join(t.dir, "svc.keytab"),
			"--principal=" + serviceAccount},
		{"domain", "exportkeytab", filepath.Join(t.dir, "svcaes.keytab"),
			"--principal=" + aesAccount},
		{"domain", "exportkeytab", filepath.Join(t.dir, "krbtgt.keytab"),
			"--principal=krbtgt"},
	}
	for _, s := range steps {
		if _, err := sambaTool(ctx, nil, append(s, "-s", conf)...); err != nil {
			return err
		}
	}
	if err := setAESOnly(ctx, conf, aesAccount); err != nil {
		return err
	}
	// exportkeytab names an account's keys after the account; the
	// acceptor looks keys up under the SPN the tickets carry.
	if err := renameKeytab(filepath.Join(t.dir, "svc.keytab"),
		filepath.Join(t.dir, "service.keytab"), serviceSPN); err != nil {
		return err
	}
	return renameKeytab(filepath.Join(t.dir, "svcaes.keytab"),
		filepath.Join(t.dir, "aes.keytab"), aesSPN)
}

// setAESOnly sets msDS-SupportedEncryptionTypes to the two AES types
// (0x18) on account, so the KDC encrypts its tickets with AES; without
// it Samba, like Windows, issues RC4 tickets to accounts with an SPN.
func setAESOnly(ctx context.Context, conf, account string) error {
	const script = `
import sys, ldb
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
    expression="(sAMAccountName=%s)" % ldb.binary_encode(sys.argv[2]))
m = ldb.Message()
m.dn = res[0].dn
m["msDS-SupportedEncryptionTypes"] = ldb.MessageElement(
    "24", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
db.modify(m)
`
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", script,
		conf, account)
	cmd.Env = pythonEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testsamba: set enctypes of %s: %w: %s", account,
			err, firstLines(out))
	}
	return nil
}

// renameKeytab copies the keytab at from to to with every entry's
// principal replaced by spn in the same realm.
func renameKeytab(from, to, spn string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	var kt keytab.Keytab
	if err := kt.Unmarshal(b); err != nil {
		return fmt.Errorf("testsamba: keytab %s: %w", from, err)
	}
	comps := strings.Split(spn, "/")
	for i := range kt.Entries {
		p := &kt.Entries[i].Principal
		p.Components = comps
		p.NumComponents = int16(len(comps))
		p.NameType = 2 // KRB_NT_SRV_INST
	}
	out, err := kt.Marshal()
	if err != nil {
		return fmt.Errorf("testsamba: keytab %s: %w", to, err)
	}
	if err := os.WriteFile(to, out, 0o600); err != nil {
		return fmt.Errorf("testsamba: %w", err)
	}
	return nil
}

// sambaTool runs samba-tool under the system Python and returns its
// standard output. Errors carry the subcommand, never the arguments,
// which may hold passwords.
func sambaTool(ctx context.Context, extraEnv []string,
	args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/python3",
		append([]string{"/usr/bin/samba-tool"}, args...)...)
	cmd.Env = append(pythonEnv(), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		label := strings.Join(args[:min(2, len(args))], " ")
		return stdout.String(), fmt.Errorf("%w: %s: %w: %s", ErrSambaTool,
			label, err, firstLines(stderr.Bytes()))
	}
	return stdout.String() + stderr.String(), nil
}

// pythonEnv is the environment for Samba's Python tools: the inherited
// one without anything that would point the system python3 at another
// installation's modules.
func pythonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "PYTHON"), name == "VIRTUAL_ENV",
			strings.HasPrefix(name, "PYENV"), strings.HasPrefix(name, "KRB5"):
			continue
		}
		env = append(env, kv)
	}
	return env
}

// findSID returns the domain SID from provision's output, or "".
func findSID(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if _, sid, ok := strings.Cut(line, "DOMAIN SID:"); ok {
			return strings.TrimSpace(sid)
		}
	}
	return ""
}

// randomSecret returns 128 random bits, base64url encoded.
func randomSecret() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("testsamba: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// firstLines trims program output for an error message.
func firstLines(out []byte) string {
	s := strings.TrimSpace(string(out))
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 800 {
		s = s[len(s)-800:]
	}
	return "..." + s
}
