package krb5_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testheimdal"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// Client referrals (RFC 6806 section 7) between two real KDCs: a Samba
// AD domain controller for AD.TEST that trusts the domain ext.test, and a
// Heimdal KDC for EXT.TEST, which holds carol. Asked for the enterprise
// name carol@ext.test, the DC answers KDC_ERR_WRONG_REALM naming
// EXT.TEST; the Heimdal KDC finds carol@ext.test, an alias of
// carol@EXT.TEST, and answers with the canonical name. Neither MIT 1.20,
// whose DB2 database has no aliases, nor Heimdal 7.8, whose database
// never refers, answers an AS request with a referral.
const (
	extRealm   = "EXT.TEST"
	extDomain  = "ext.test"
	extUser    = "carol"
	extUPN     = extUser + "@" + extDomain
	extPrinc   = extUser + "@" + extRealm
	extService = "HTTP/localhost@" + extRealm
	adRealm    = testsamba.Realm
)

// referralRealms is the pair of realms and a client configuration
// naming both, with no [domain_realm].
type referralRealms struct {
	dc       *testsamba.DC
	ext      *testheimdal.Realm
	password string // carol's
	confPath string
	cfg      *config.Config
}

func startReferralRealms(t *testing.T) *referralRealms {
	t.Helper()
	dc := testsamba.ForTest(t, testsamba.Options{})
	ext := testheimdal.ForTest(t, testheimdal.Options{Realm: extRealm,
		Kpasswdd: true})
	if dc == nil || ext == nil {
		return nil
	}
	ctx := ctxT(t) // after the start: provisioning the domain takes long
	const trust = "trust-password-of-AD.TEST-and-EXT.TEST"
	require.NoError(t, dc.AddTrust(ctx, testsamba.Trust{DNSName: extDomain,
		NetBIOSName: "EXT", Password: trust}))
	rr := &referralRealms{dc: dc, ext: ext, password: "carol-password-1"}
	for _, cmd := range [][]string{
		{"add", "--password=" + rr.password, "--use-defaults",
			"--attributes=requires-pre-auth", extUser},
		{"modify", "--alias=" + extUPN, extUser},
		{"add", "--password=" + trust, "--use-defaults",
			"krbtgt/" + extRealm + "@" + adRealm},
	} {
		_, err := ext.Kadmin(ctx, cmd...)
		require.NoError(t, err, cmd[0])
	}
	text := fmt.Sprintf(`[libdefaults]
	default_realm = %s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	%s = {
		kdc = %s:%d
	}
	%s = {
		kdc = %s:%d
		kpasswd_server = %s:%d
	}
`, adRealm, adRealm, dc.Host, dc.KDCPort, extRealm, ext.Host, ext.KDCPort,
		ext.Host, ext.KpasswdPort)
	rr.confPath = filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(rr.confPath, []byte(text), 0o600))
	cfg, err := krb5.LoadConfigFile(rr.confPath)
	require.NoError(t, err)
	rr.cfg = cfg
	return rr
}

// carol makes a client for carol's enterprise name that starts at
// AD.TEST, tracing into trace.
func (rr *referralRealms) carol(t *testing.T, trace *bytes.Buffer) *krb5.Client {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(trace,
		&slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := krb5.NewWithPassword(extUPN, adRealm, rr.password, rr.cfg,
		krb5.Enterprise(), krb5.DisableAutoRenew(), krb5.WithLogger(logger))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// mit runs an MIT client program with the configuration of both realms.
func (rr *referralRealms) mit(ctx context.Context, stdin, name string,
	args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(rr.dc.Env(), "KRB5_CONFIG="+rr.confPath)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestClientReferral: a client that logs in with carol's enterprise name
// starting at AD.TEST follows the DC's referral to EXT.TEST and holds a
// TGT of EXT.TEST for the canonical name carol@EXT.TEST, which it uses
// as its own: for services named without a realm, in the credential
// cache it writes, and to change carol's password at EXT.TEST's kpasswd
// server.
func TestClientReferral(t *testing.T) {
	rr := startReferralRealms(t)
	if rr == nil {
		return
	}
	t.Run("login", func(t *testing.T) { testReferralLogin(t, rr) })
	t.Run("ccache", func(t *testing.T) { testReferralCCache(t, rr) })
	t.Run("MIT kinit", func(t *testing.T) { testReferralMITCache(t, rr) })
	t.Run("unknown suffix", func(t *testing.T) { testReferralUnknown(t, rr) })
	t.Run("trust", func(t *testing.T) { testReferralTrust(t, rr) })
	// Last: it changes carol's password.
	t.Run("password change", func(t *testing.T) { testReferralPassword(t, rr) })
}

func testReferralLogin(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	var trace bytes.Buffer
	c := rr.carol(t, &trace)
	require.NoError(t, c.Login(ctx), "%s", &trace)
	assert.Contains(t, trace.String(),
		`msg="client referral" client=carol\@ext.test@AD.TEST from=AD.TEST to=EXT.TEST`)

	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, "krbtgt/"+extRealm+"@"+extRealm, tgt.ServerName())
	assert.Equal(t, extPrinc, tgt.ClientName(), "the canonical name")
	assert.Equal(t, extUser+`\@`+extDomain+"@"+adRealm, c.PrincipalString(),
		"the name given, its @ escaped as MIT's krb5_unparse_name escapes it")

	st, err := c.ServiceTicket(ctx, extService)
	require.NoError(t, err)
	assert.Equal(t, extPrinc, st.ClientName())

	// A host no [domain_realm] maps is looked for in carol's realm,
	// not in the realm the login started at.
	again, err := c.ServiceTicket(ctx, "HTTP/localhost")
	require.NoError(t, err, "%s", &trace)
	assert.Same(t, st, again)
}

// testReferralCCache: the cache we write names carol@EXT.TEST, and MIT's
// klist and kvno take it.
func testReferralCCache(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	var trace bytes.Buffer
	c := rr.carol(t, &trace)
	// The first call logs in, then looks for the service in carol's
	// realm.
	st, err := c.ServiceTicket(ctx, "HTTP/localhost")
	require.NoError(t, err, "%s", &trace)
	assert.Equal(t, extService, st.ServerName())

	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, c.WriteCCache(cc))
	out, err := rr.mit(ctx, "", "klist", "-c", cc)
	require.NoError(t, err, out)
	assert.Contains(t, out, "Default principal: "+extPrinc)
	assert.Contains(t, out, "krbtgt/"+extRealm+"@"+extRealm)

	_, err = rr.ext.Kadmin(ctx, "add", "--random-key", "--use-defaults",
		"HTTP/other.localhost")
	require.NoError(t, err)
	out, err = rr.mit(ctx, "", "kvno", "-c", cc, "HTTP/other.localhost@"+extRealm)
	require.NoError(t, err, out)
	assert.Contains(t, out, "kvno = ")
}

// testReferralMITCache: MIT's kinit follows the same referral, and a
// client made from the cache it writes is carol@EXT.TEST.
func testReferralMITCache(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	cc := filepath.Join(t.TempDir(), "cc")
	out, err := rr.mit(ctx, rr.password+"\n", "kinit", "-C", "-E", "-c", cc, extUPN)
	require.NoError(t, err, out)
	c, err := krb5.NewFromCCache(cc, rr.cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, extPrinc, c.PrincipalString())
	st, err := c.ServiceTicket(ctx, "HTTP/localhost")
	require.NoError(t, err)
	assert.Equal(t, extService, st.ServerName())
}

// testReferralUnknown: an enterprise name whose suffix no realm trusts
// is unknown to the DC, and no referral is followed.
func testReferralUnknown(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	var trace bytes.Buffer
	c, err := krb5.NewWithPassword("dave@nowhere.test", adRealm, "x", rr.cfg,
		krb5.Enterprise(), krb5.DisableAutoRenew(), krb5.WithLogger(
			slog.New(slog.NewTextHandler(&trace,
				&slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctx)
	require.ErrorIs(t, err, krb5.ErrClientNotFound)
	assert.NotContains(t, trace.String(), "client referral")
}

// testReferralTrust: the trust the DC records carries AD.TEST's users to
// EXT.TEST's services. (The other way, the DC refuses Heimdal's
// cross-realm TGTs, which carry no PAC.)
func testReferralTrust(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	c, err := krb5.NewWithPassword(rr.dc.User, adRealm, rr.dc.Password, rr.cfg,
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	st, err := c.ServiceTicket(ctx, extService)
	require.NoError(t, err)
	assert.Equal(t, rr.dc.UserPrincipal, st.ClientName())
}

// testReferralPassword: carol's password change goes to the kpasswd
// server of EXT.TEST, and the client logs in with the new password.
func testReferralPassword(t *testing.T, rr *referralRealms) {
	ctx := ctxT(t)
	var trace bytes.Buffer
	c := rr.carol(t, &trace)
	require.NoError(t, c.ChangePassword(ctx, "carol-password-2"), "%s", &trace)
	assert.Contains(t, trace.String(), fmt.Sprintf(
		"server=%s:%d", rr.ext.Host, rr.ext.KpasswdPort))
	require.NoError(t, c.Login(ctx))
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, extPrinc, tgt.ClientName())
}
