package krb5_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// Two MIT realms that trust each other: CROSSA.TEST, where the client
// lives, and CROSSB.TEST, which holds the services. CROSSA's KDC maps
// referral.crossb.test to CROSSB in its [domain_realm], so it answers
// requests for that host with a referral.
const (
	realmA = "CROSSA.TEST"
	realmB = "CROSSB.TEST"
)

// crossRealms starts the two realms for t and creates
// krbtgt/CROSSB.TEST@CROSSA.TEST and krbtgt/CROSSA.TEST@CROSSB.TEST in
// both databases with one password, so both KDCs hold the same keys.
func crossRealms(t *testing.T) (a, b *testrealm.Realm) {
	t.Helper()
	a = testrealm.ForTest(t, testrealm.Options{Realm: realmA,
		DomainRealm: map[string]string{"referral.crossb.test": realmB}})
	b = testrealm.ForTest(t, testrealm.Options{Realm: realmB})
	if a == nil || b == nil {
		return nil, nil
	}
	ctx := ctxT(t)
	const trust = "a trust password for both directions"
	for _, r := range []*testrealm.Realm{a, b} {
		for _, p := range []string{"krbtgt/" + realmB + "@" + realmA,
			"krbtgt/" + realmA + "@" + realmB} {
			require.NoError(t, r.AddPrincipal(ctx, p, trust))
		}
	}
	for _, svc := range []string{"HTTP/svc.crossb.test", "HTTP/referral.crossb.test"} {
		require.NoError(t, b.AddPrincipal(ctx, svc, ""))
	}
	return a, b
}

// crossConfig is the client's view: both realms, and [domain_realm]
// mapping svc.crossb.test (but not referral.crossb.test) to CROSSB.
func crossConfig(t *testing.T, a, b *testrealm.Realm) *config.Config {
	t.Helper()
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
	}
[domain_realm]
	svc.crossb.test = %s
`, realmA, realmA, a.Host, a.KDCPort, realmB, b.Host, b.KDCPort, realmB)
	path := filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	cfg, err := krb5.LoadConfigFile(path)
	require.NoError(t, err)
	return cfg
}

// TestCrossRealm: a client of CROSSA gets a ticket for a service of
// CROSSB through the cross-realm TGT krbtgt/CROSSB.TEST@CROSSA.TEST, which
// it caches, and MIT's klist and kvno use the cache we write; then a
// server referral is followed.
func TestCrossRealm(t *testing.T) {
	a, b := crossRealms(t)
	if a == nil {
		return
	}
	t.Run("direct trust", func(t *testing.T) { testCrossDirect(t, a, b) })
	t.Run("server referral", func(t *testing.T) { testServerReferral(t, a, b) })
}

func testCrossDirect(t *testing.T, a, b *testrealm.Realm) {
	ctx := ctxT(t)
	cfg := crossConfig(t, a, b)
	c, err := krb5.NewWithPassword(a.User, realmA, a.Password, cfg,
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))

	st, err := c.ServiceTicket(ctx, "HTTP/svc.crossb.test")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/svc.crossb.test@"+realmB, st.ServerName())
	assert.Equal(t, a.UserPrincipal, st.ClientName())

	tickets, err := c.Tickets()
	require.NoError(t, err)
	var names []string
	for _, tk := range tickets {
		names = append(names, tk.ServerName())
	}
	assert.Contains(t, names, "krbtgt/"+realmB+"@"+realmA, "the cross-realm TGT is cached")

	st2, err := c.ServiceTicket(ctx, "HTTP/svc.crossb.test@"+realmB)
	require.NoError(t, err)
	assert.Same(t, st, st2)

	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, c.WriteCCache(cc))
	conf := filepath.Join(t.TempDir(), "mit.conf")
	require.NoError(t, os.WriteFile(conf, confText(t, cfg, a, b), 0o600))
	cmd := a.Command(ctx, "klist", "-c", cc)
	cmd.Env = append(cmd.Env, "KRB5_CONFIG="+conf)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "HTTP/svc.crossb.test@"+realmB)
	assert.Contains(t, string(out), "krbtgt/"+realmB+"@"+realmA)

	// MIT's kvno takes a service of CROSSB through our cross-realm TGT.
	require.NoError(t, b.AddPrincipal(ctx, "HTTP/other.crossb.test", ""))
	cmd = a.Command(ctx, "kvno", "-c", cc, "HTTP/other.crossb.test@"+realmB)
	cmd.Env = append(cmd.Env, "KRB5_CONFIG="+conf)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "kvno = ")
}

// testServerReferral: CROSSA's KDC answers a request for
// HTTP/referral.crossb.test, a host the client maps to no realm, with a
// referral TGT for CROSSB (RFC 6806 section 8); the client follows it.
func testServerReferral(t *testing.T, a, b *testrealm.Realm) {
	ctx := ctxT(t)
	c, err := krb5.NewWithPassword(a.User, realmA, a.Password, crossConfig(t, a, b),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
	st, err := c.ServiceTicket(ctx, "HTTP/referral.crossb.test")
	require.NoError(t, err)
	assert.Equal(t, "HTTP/referral.crossb.test@"+realmB, st.ServerName())

	// The ticket is cached under the name asked for and under the
	// name the KDCs gave it: both hit without an exchange.
	for _, name := range []string{"HTTP/referral.crossb.test",
		"HTTP/referral.crossb.test@" + realmB} {
		again, err := c.ServiceTicket(ctx, name)
		require.NoError(t, err)
		assert.Same(t, st, again, name)
	}
}

// confText renders an MIT krb5.conf naming both realms, for MIT's tools.
func confText(t *testing.T, _ *config.Config, a, b *testrealm.Realm) []byte {
	t.Helper()
	return []byte(fmt.Sprintf("[libdefaults]\n default_realm = %s\n"+
		" dns_lookup_kdc = false\n rdns = false\n"+
		"[realms]\n %s = {\n  kdc = %s:%d\n }\n %s = {\n  kdc = %s:%d\n }\n",
		realmA, realmA, a.Host, a.KDCPort, realmB, b.Host, b.KDCPort))
}
