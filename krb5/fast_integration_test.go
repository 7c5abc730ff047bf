package krb5_test

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testheimdal"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// traceLog collects a client's trace events, for tests that check which
// path an exchange took.
type traceLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *traceLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *traceLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *traceLog) option() krb5.Option {
	return krb5.WithLogger(slog.New(slog.NewTextHandler(l,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
}

// lines returns the trace lines with msg=m.
func (l *traceLog) lines(m string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, "msg="+m+" ") {
			out = append(out, line)
		}
	}
	return out
}

// fastKDC is a running KDC with a user who logs in with a password and a
// service whose keytab login yields the armor TGT.
type fastKDC struct {
	cfg                    *config.Config
	realm, user, password  string
	service, serviceKeytab string // the armor's principal and keys
	spn                    string // a service to ask tickets for
	// fastTGS says whether the KDC answers TGS requests inside FAST.
	fastTGS bool
	// badPassword is what the KDC answers a wrong encrypted challenge.
	badPassword error
}

func fastKDCs(t *testing.T, ctx context.Context) map[string]*fastKDC {
	r := testrealm.ForTest(t, testrealm.Options{})
	h := testheimdal.ForTest(t, testheimdal.Options{})
	hcfg, err := krb5.LoadConfigFile(h.ConfPath)
	require.NoError(t, err)
	d := testsamba.ForTest(t, testsamba.Options{})
	dcfg, err := krb5.LoadConfigFile(d.ConfPath)
	require.NoError(t, err)
	svcKT := filepath.Join(d.Dir, "svc-account.keytab")
	_, err = d.SambaTool(ctx, "domain", "exportkeytab", svcKT, "--principal=svc")
	require.NoError(t, err)
	return map[string]*fastKDC{
		"MIT": {cfg: realmConfig(t, r), realm: r.Name, user: r.User,
			password: r.Password, service: r.Service, serviceKeytab: r.Keytab,
			spn: r.Service, fastTGS: true, badPassword: krb5.ErrPreauthFailed},
		// Heimdal 7.8 reads FAST in AS requests only; its TGS answers
		// an armored request in the clear. It answers a wrong encrypted
		// challenge with KRB_AP_ERR_BAD_INTEGRITY.
		"Heimdal": {cfg: hcfg, realm: h.Name, user: h.User, password: h.Password,
			service: h.Service, serviceKeytab: h.Keytab, spn: h.Service,
			badPassword: krb5.ErrBadIntegrity},
		"Samba": {cfg: dcfg, realm: d.Realm, user: d.User, password: d.Password,
			service: "svc", serviceKeytab: svcKT, spn: d.AESService, fastTGS: true,
			badPassword: krb5.ErrPreauthFailed},
	}
}

func (k *fastKDC) armorClient(t *testing.T, ctx context.Context) *krb5.Client {
	t.Helper()
	kt, err := krb5.LoadKeytab(k.serviceKeytab)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	c, err := krb5.NewWithKeytab(k.service, k.realm, kt, k.cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctx))
	return c
}

func (k *fastKDC) userClient(t *testing.T, password string, opts ...krb5.Option) *krb5.Client {
	t.Helper()
	c, err := krb5.NewWithPassword(k.user, k.realm, password, k.cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFAST logs in with FAST against MIT, Heimdal and the Samba AD DC,
// with the armor TGT of a keytab login or from a credential cache, and
// checks from the client's trace that the AS exchange used FAST with the
// encrypted challenge and how the KDC answered the TGS exchange.
func TestFAST(t *testing.T) {
	ctx := ctxLong(t)
	for name, k := range fastKDCs(t, ctx) {
		t.Run(name, func(t *testing.T) {
			armor := k.armorClient(t, ctx)
			ccache := "FILE:" + filepath.Join(t.TempDir(), "armor")
			require.NoError(t, armor.WriteCCache(ccache))
			for _, tc := range []struct {
				name string
				opt  krb5.Option
			}{
				{"armor client", krb5.WithArmor(armor)},
				{"armor ccache", krb5.WithArmorCCache(ccache)},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var log traceLog
					c := k.userClient(t, k.password, tc.opt, log.option())
					require.NoError(t, c.Login(ctx))
					tkt, err := c.ServiceTicket(ctx, k.spn)
					require.NoError(t, err)
					assert.Equal(t, k.user+"@"+k.realm, tkt.ClientName())
					as := log.lines("AS-REQ")
					require.Len(t, as, 2, log.String())
					assert.Contains(t, as[1], "preauth=true fast=true")
					kerr := log.lines("KRB-ERROR")
					require.Len(t, kerr, 1, log.String())
					assert.Contains(t, kerr[0], "code=25", "PREAUTH_REQUIRED")
					assert.Contains(t, kerr[0], "fast=true", "from inside FAST")
					signed := log.lines(`"KDC signed the request (enc-pa-rep)"`)
					require.Len(t, signed, 1, log.String())
					assert.Contains(t, signed[0], "fast-offered=true")
					tgs := log.lines("TGS-REP")
					require.Len(t, tgs, 1, log.String())
					assert.True(t, strings.HasSuffix(tgs[0],
						"fast="+boolString(k.fastTGS)), tgs[0])
				})
			}
			t.Run("wrong password", func(t *testing.T) {
				c := k.userClient(t, "not-"+k.password, krb5.WithArmor(armor))
				err := c.Login(ctx)
				require.ErrorIs(t, err, k.badPassword)
				var kerr *krb5.KDCError
				require.ErrorAs(t, err, &kerr, "the KDC's error from inside FAST")
			})
			t.Run("closed armor", func(t *testing.T) {
				other := k.armorClient(t, ctx)
				require.NoError(t, other.Close())
				c := k.userClient(t, k.password, krb5.WithArmor(other))
				require.ErrorIs(t, c.Login(ctx), krb5.ErrClosed)
			})
		})
	}
}

// TestFASTRequiredMIT runs a realm whose KDC offers pre-authentication
// only inside FAST: a login without armor fails with ErrFASTRequired, as
// MIT's kinit fails without -T, and an armored one works, as kinit -T
// does with the armor cache the library wrote.
func TestFASTRequiredMIT(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{RequireFAST: true})
	ctx := ctxT(t)
	k := &fastKDC{cfg: realmConfig(t, r), realm: r.Name, user: r.User,
		password: r.Password, service: r.Service, serviceKeytab: r.Keytab,
		badPassword: krb5.ErrPreauthFailed}
	armor := k.armorClient(t, ctx)
	ccache := "FILE:" + filepath.Join(r.Dir, "armor")
	require.NoError(t, armor.WriteCCache(ccache))

	err := k.userClient(t, k.password).Login(ctx)
	require.ErrorIs(t, err, krb5.ErrFASTRequired)
	assert.Contains(t, err.Error(), "FAST")
	require.Error(t, mitKinit(ctx, r, k.password), "MIT kinit without armor")

	require.NoError(t, k.userClient(t, k.password, krb5.WithArmor(armor)).Login(ctx))
	require.NoError(t, k.userClient(t, k.password, krb5.WithArmorCCache(ccache)).Login(ctx))
	require.NoError(t, mitKinit(ctx, r, k.password, "-T", ccache),
		"MIT kinit -T with the cache the library wrote")
}

func mitKinit(ctx context.Context, r *testrealm.Realm, password string, args ...string) error {
	args = append(args, "-c", "FILE:"+filepath.Join(r.Dir, "kinit-out"), r.UserPrincipal)
	cmd := r.Command(ctx, "kinit", args...)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
	}
	return nil
}
