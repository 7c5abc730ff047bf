package krb5_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testheimdal"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// delegationKDC is a running KDC set up for S4U: a service trusted to
// impersonate users and to delegate to a target, and a plain service
// trusted for neither. What the KDC can do differs: the fields after
// target say what it does.
type delegationKDC struct {
	cfg   *config.Config
	realm string
	user  string // the user to impersonate, "alice"
	// enterprise is an enterprise name of the user the KDC resolves.
	enterprise string
	// service is trusted to impersonate and to delegate to target.
	service, serviceKeytab string
	// plain is a service trusted for neither.
	plain, plainKeytab string
	// target is the SPN service may delegate to; targetKeytab has its
	// keys.
	target, targetKeytab string
	// plainForwardable says whether the KDC makes the plain service's
	// S4U2Self tickets forwardable: MIT does for a service with no
	// delegation rules, for resource-based delegation's sake (MS-SFU
	// section 3.2.5.1.2).
	plainForwardable bool
	// proxy says whether the KDC grants constrained delegation (MIT
	// does only on its LDAP database).
	proxy bool
	// checksummed says whether the KDC answers PA-S4U-X509-USER.
	checksummed bool
	// rbcdTarget is an SPN that accepts delegation from service by
	// resource-based constrained delegation, or "" when the KDC offers
	// no way to configure it; rbcd says whether the KDC grants it.
	rbcdTarget string
	rbcd       bool
	// fastTGS says whether the KDC answers TGS requests inside FAST.
	fastTGS bool
}

// mitDelegation sets up an MIT realm with the service trusted to
// impersonate users (ok_to_auth_as_delegate). On its default DB2 database
// there is no more: DB2 keeps no constrained-delegation rules and no
// aliases, so S4U2Proxy is refused and no enterprise name resolves. On
// the LDAP database the service may also delegate to the target
// (krbAllowedToDelegateTo), and the user has an enterprise alias. MIT
// 1.20 keeps no RBCD rules in either.
func mitDelegation(t *testing.T, ctx context.Context, ldap bool) *delegationKDC {
	r := testrealm.ForTest(t, testrealm.Options{LDAP: ldap})
	plainKT := filepath.Join(r.Dir, "plain.keytab")
	targetKT := filepath.Join(r.Dir, "target.keytab")
	_, err := r.KadminLocal(ctx, "modprinc +ok_to_auth_as_delegate "+r.Service)
	require.NoError(t, err)
	for _, p := range []struct{ name, kt string }{
		{"HTTP/plain.localhost", plainKT}, {"HTTP/target.localhost", targetKT},
	} {
		require.NoError(t, r.AddPrincipal(ctx, p.name, ""))
		require.NoError(t, r.ExportKeytab(ctx, p.name, p.kt))
	}
	k := &delegationKDC{
		cfg: realmConfig(t, r), realm: r.Name, user: r.User,
		service: r.Service, serviceKeytab: r.Keytab,
		plain: "HTTP/plain.localhost", plainKeytab: plainKT,
		target: "HTTP/target.localhost", targetKeytab: targetKT,
		plainForwardable: true, checksummed: true, fastTGS: true,
	}
	if ldap {
		require.NoError(t, r.AllowDelegation(ctx, r.Service, k.target))
		k.enterprise = "alice@mail.test"
		require.NoError(t, r.AddAlias(ctx, r.User, k.enterprise))
		k.proxy = true
	}
	return k
}

// heimdalDelegation sets up a Heimdal 7.8 realm: the service is
// trusted-for-delegation with a constrained-delegation list. Heimdal 7
// has no RBCD and reads only PA-FOR-USER.
func heimdalDelegation(t *testing.T, ctx context.Context) *delegationKDC {
	r := testheimdal.ForTest(t, testheimdal.Options{})
	plainKT := filepath.Join(r.Dir, "plain.keytab")
	targetKT := filepath.Join(r.Dir, "target.keytab")
	for _, p := range []struct{ name, kt string }{
		{"HTTP/plain.localhost", plainKT}, {"HTTP/target.localhost", targetKT},
	} {
		_, err := r.Kadmin(ctx, "add", "--random-key", "--use-defaults", p.name)
		require.NoError(t, err)
		_, err = r.Kadmin(ctx, "ext_keytab", "--keytab="+p.kt, p.name)
		require.NoError(t, err)
	}
	_, err := r.Kadmin(ctx, "modify", "--attributes=trusted-for-delegation",
		"--constrained-delegation=HTTP/target.localhost@"+r.Name, r.Service)
	require.NoError(t, err)
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	return &delegationKDC{
		cfg: cfg, realm: r.Name, user: r.User, enterprise: r.UserPrincipal,
		service: r.Service, serviceKeytab: r.Keytab,
		plain: "HTTP/plain.localhost", plainKeytab: plainKT,
		target: "HTTP/target.localhost", targetKeytab: targetKT,
		proxy: true,
	}
}

// sambaDelegation sets up the Samba AD DC with samba-tool: the account
// svc is TRUSTED_TO_AUTH_FOR_DELEGATION with msDS-AllowedToDelegateTo
// naming the SPN of svcaes, and a third account's
// msDS-AllowedToActOnBehalfOfOtherIdentity names svc. Debian's Samba 4.17
// is built with Heimdal, whose KDC ignores the latter: RBCD comes to
// Samba's Heimdal KDC in later releases.
func sambaDelegation(t *testing.T, ctx context.Context) *delegationKDC {
	d := testsamba.ForTest(t, testsamba.Options{})
	svcKT := filepath.Join(d.Dir, "svc-account.keytab")
	plainKT := filepath.Join(d.Dir, "svcaes-account.keytab")
	for _, args := range [][]string{
		{"domain", "exportkeytab", svcKT, "--principal=svc"},
		{"domain", "exportkeytab", plainKT, "--principal=svcaes"},
		{"delegation", "for-any-protocol", "svc", "on"},
		{"delegation", "add-service", "svc", d.AESService},
		{"user", "create", "rbcd", "Aa1-" + d.Password},
		{"spn", "add", "HTTP/rbcd.localhost", "rbcd"},
		{"delegation", "add-principal", "rbcd", "svc"},
	} {
		_, err := d.SambaTool(ctx, args...)
		require.NoError(t, err)
	}
	cfg, err := krb5.LoadConfigFile(d.ConfPath)
	require.NoError(t, err)
	return &delegationKDC{
		cfg: cfg, realm: d.Realm, user: d.User, enterprise: d.UPN,
		service: "svc", serviceKeytab: svcKT,
		plain: "svcaes", plainKeytab: plainKT,
		target: d.AESService, targetKeytab: d.AESKeytab,
		proxy: true, fastTGS: true,
		rbcdTarget: "HTTP/rbcd.localhost",
	}
}

// delegationKDCs starts the three KDCs, MIT's twice, for one test.
func delegationKDCs(t *testing.T, ctx context.Context) map[string]*delegationKDC {
	return map[string]*delegationKDC{
		"MIT-DB2":  mitDelegation(t, ctx, false),
		"MIT-LDAP": mitDelegation(t, ctx, true),
		"Heimdal":  heimdalDelegation(t, ctx),
		"Samba":    sambaDelegation(t, ctx),
	}
}

// keytabClient logs name in with the keys in path.
func keytabClient(t *testing.T, ctx context.Context, k *delegationKDC, name, path string,
	opts ...krb5.Option) *krb5.Client {
	t.Helper()
	kt, err := krb5.LoadKeytab(path)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	c, err := krb5.NewWithKeytab(name, k.realm, kt, k.cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctx))
	return c
}

// acceptAs checks that tkt authenticates its client, want, to the
// service whose keys are in keytab, through a GSS-API context.
func acceptAs(t *testing.T, tkt *krb5.ServiceTicket, keytab, want string) {
	t.Helper()
	cred, err := gssapi.NewAcceptorCredentialFromFile(keytab)
	require.NoError(t, err)
	defer cred.Close()
	in, tok, err := gssapi.InitiateWithTicket(tkt, gssapi.WithFlags(gssapi.FlagMutual))
	require.NoError(t, err)
	defer in.Close()
	sc, _, err := cred.Accept(tok)
	require.NoError(t, err)
	defer sc.Close()
	assert.Equal(t, want, sc.ClientName())
}

// kdcCode returns the protocol code of a KDC's error, or -1.
func kdcCode(err error) int32 {
	var kerr *krb5.KDCError
	if errors.As(err, &kerr) {
		return kerr.Code
	}
	return -1
}

// TestS4U runs S4U2Self and S4U2Proxy against MIT (on its DB2 and its
// LDAP database), Heimdal and the Samba AD DC, with and without FAST, and
// checks each ticket by accepting it with the keys of the service it is
// for. S4U2Proxy succeeds against MIT on LDAP, Heimdal and Samba; RBCD
// is granted by none of them (see testRBCD).
func TestS4U(t *testing.T) {
	ctx := ctxLong(t)
	for name, k := range delegationKDCs(t, ctx) {
		t.Run(name, func(t *testing.T) {
			for _, fast := range []bool{false, true} {
				var opts []krb5.Option
				label := "plain"
				if fast {
					opts, label = append(opts, krb5.WithFAST()), "fast"
				}
				t.Run(label, func(t *testing.T) { testS4U(t, ctx, k, fast, opts...) })
			}
			t.Run("untrusted", func(t *testing.T) { testS4UUntrusted(t, ctx, k) })
			t.Run("enterprise", func(t *testing.T) { testS4UEnterprise(t, ctx, k) })
			t.Run("rbcd", func(t *testing.T) { testRBCD(t, ctx, k) })
		})
	}
}

func testS4U(t *testing.T, ctx context.Context, k *delegationKDC, fast bool,
	opts ...krb5.Option) {
	var log traceLog
	svc := keytabClient(t, ctx, k, k.service, k.serviceKeytab, append(opts, log.option())...)
	imp, err := svc.ImpersonateUser(ctx, k.user)
	require.NoError(t, err)
	defer imp.Close()
	userPrincipal := k.user + "@" + k.realm
	assert.Equal(t, userPrincipal, imp.User())

	self, err := imp.SelfTicket()
	require.NoError(t, err)
	assert.Equal(t, userPrincipal, self.ClientName())
	assert.Equal(t, svc.PrincipalString(), self.ServerName())
	assert.True(t, self.Forwardable(), "a trusted service's S4U2Self ticket is forwardable")
	acceptAs(t, self, k.serviceKeytab, userPrincipal)
	assert.Contains(t, log.String(), "kdc-checksummed="+boolString(k.checksummed))
	if fast {
		assert.Contains(t, log.String(), "fast="+boolString(k.fastTGS)+"\n")
	}

	tkt, err := imp.ServiceTicket(ctx, k.target)
	if !k.proxy {
		require.Error(t, err)
		assert.Equal(t, int32(13), kdcCode(err), "KDC_ERR_BADOPTION: %v", err)
		assert.ErrorIs(t, err, krb5.ErrBadOption)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, userPrincipal, tkt.ClientName())
	assert.Equal(t, k.target+"@"+k.realm, tkt.ServerName())
	acceptAs(t, tkt, k.targetKeytab, userPrincipal)
	again, err := imp.ServiceTicket(ctx, k.target)
	require.NoError(t, err)
	assert.Same(t, tkt, again, "S4U2Proxy tickets are cached")

	require.NoError(t, imp.Close())
	_, err = imp.ServiceTicket(ctx, k.target)
	assert.ErrorIs(t, err, krb5.ErrClosed)
}

// testS4UUntrusted checks that a service not trusted for delegation gets
// a ticket it cannot forward, which S4U2Proxy refuses.
func testS4UUntrusted(t *testing.T, ctx context.Context, k *delegationKDC) {
	svc := keytabClient(t, ctx, k, k.plain, k.plainKeytab)
	imp, err := svc.ImpersonateUser(ctx, k.user)
	require.NoError(t, err)
	defer imp.Close()
	self, err := imp.SelfTicket()
	require.NoError(t, err)
	assert.Equal(t, k.plainForwardable, self.Forwardable())
	_, err = imp.ServiceTicket(ctx, k.target)
	require.Error(t, err)
	assert.Equal(t, int32(13), kdcCode(err), "KDC_ERR_BADOPTION: %v", err)
}

// testS4UEnterprise impersonates the user by an enterprise name.
func testS4UEnterprise(t *testing.T, ctx context.Context, k *delegationKDC) {
	if k.enterprise == "" {
		t.Skip("the KDC's database resolves no enterprise names")
	}
	svc := keytabClient(t, ctx, k, k.service, k.serviceKeytab)
	imp, err := svc.ImpersonateUser(ctx, k.enterprise, krb5.EnterpriseUser())
	require.NoError(t, err)
	defer imp.Close()
	self, err := imp.SelfTicket()
	require.NoError(t, err)
	acceptAs(t, self, k.serviceKeytab, self.ClientName())
	if k.proxy {
		tkt, err := imp.ServiceTicket(ctx, k.target)
		require.NoError(t, err)
		acceptAs(t, tkt, k.targetKeytab, self.ClientName())
	}
}

// testRBCD asks for a ticket to a service that accepts delegation from
// the impersonating service (msDS-AllowedToActOnBehalfOfOtherIdentity).
// No KDC here grants it: of MIT 1.20's database modules only a test
// module that Debian does not ship answers the KDC's RBCD question (the
// LDAP module holds constrained-delegation rules only), Heimdal 7 has
// none, and Samba 4.17's Heimdal KDC ignores the attribute.
func testRBCD(t *testing.T, ctx context.Context, k *delegationKDC) {
	if k.rbcdTarget == "" {
		t.Skip("the KDC's database has no resource-based delegation rules to set")
	}
	svc := keytabClient(t, ctx, k, k.service, k.serviceKeytab)
	imp, err := svc.ImpersonateUser(ctx, k.user)
	require.NoError(t, err)
	defer imp.Close()
	tkt, err := imp.ServiceTicket(ctx, k.rbcdTarget)
	if !k.rbcd {
		require.Error(t, err)
		assert.Equal(t, int32(13), kdcCode(err), "KDC_ERR_BADOPTION: %v", err)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, imp.User(), tkt.ClientName())
}

// ctxLong bounds a test that starts all three KDCs: provisioning the
// Samba domain alone takes tens of seconds on a busy machine.
func ctxLong(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
