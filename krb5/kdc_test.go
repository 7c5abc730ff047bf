package krb5_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/faultproxy"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// kdcTimeout is the KDC timeout of the tests below that wait one out on
// purpose; the real KDC answers far within it.
const kdcTimeout = 2 * time.Second

// clientConf is a client configuration for the realm r: libdefaults lines
// (tab-indented relations), realm lines inside its block, and its KDCs.
func clientConf(r *testrealm.Realm, libdefaults, realm string, kdcs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n\tdefault_realm = %s\n", r.Name)
	b.WriteString("\tdns_lookup_realm = false\n\trdns = false\n")
	b.WriteString("\tdns_canonicalize_hostname = false\n")
	b.WriteString(libdefaults)
	fmt.Fprintf(&b, "[realms]\n\t%s = {\n", r.Name)
	b.WriteString(realm)
	for _, k := range kdcs {
		fmt.Fprintf(&b, "\t\tkdc = %s\n", k)
	}
	fmt.Fprintf(&b, "\t}\n[domain_realm]\n\tlocalhost = %s\n", r.Name)
	return b.String()
}

func parseConf(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := krb5.ParseConfig("test.conf", []byte(text))
	require.NoError(t, err)
	return cfg
}

// TestSilentKDCTriedLast: a KDC that accepts requests and never answers
// costs one timeout, once: the exchanges that follow, of this client and
// of another one, go to the healthy KDC first. Once the failure is old
// enough the silent KDC is tried in its place again.
func TestSilentKDCTriedLast(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	krb5.SetKDCRetryAfterForTest(t, time.Hour)
	silent := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop})
	cfg := kdcConfig(t, r, false, silent.Addr(), realKDC(r))
	ctx := ctxT(t)

	c := faultClient(t, r, cfg, kdcTimeout)
	begin := time.Now()
	require.NoError(t, c.Login(ctx), "two AS exchanges")
	_, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	other := faultClient(t, r, cfg, kdcTimeout)
	require.NoError(t, other.Login(ctx))
	cost := time.Since(begin)
	t.Logf("seven exchanges past a silent first KDC: %v", cost)
	assert.EqualValues(t, 1, silent.Requests(), "the silent KDC was tried once")
	assert.Less(t, cost, kdcTimeout+faultSlack)

	// Once its failure is older than the retry delay, it is tried in
	// its place again: with no delay, by both AS exchanges of a login.
	krb5.SetKDCRetryAfterForTest(t, 0)
	require.NoError(t, c.Login(ctx))
	assert.EqualValues(t, 3, silent.Requests(), "both AS exchanges tried it")
}

// TestAnsweringKDCForgiven: a KDC put last after a failure is put back in
// its place as soon as it answers, when the KDC before it fails in turn.
func TestAnsweringKDCForgiven(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	krb5.SetKDCRetryAfterForTest(t, time.Hour)
	first := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop})
	second := startProxy(t, r, faultproxy.Fault{})
	c := faultClient(t, r, kdcConfig(t, r, false, first.Addr(), second.Addr()),
		time.Second)
	ctx := ctxT(t)
	require.NoError(t, c.Login(ctx))
	require.EqualValues(t, 1, first.Requests(), "first failed and went last")

	// Now first answers and second is silent: second fails, first
	// answers and is forgiven, and the next login starts with it.
	first.Set(faultproxy.Fault{})
	second.Set(faultproxy.Fault{Kind: faultproxy.Drop})
	require.NoError(t, c.Login(ctx))
	n, m := first.Requests(), second.Requests()
	require.NoError(t, c.Login(ctx))
	assert.Equal(t, n+2, first.Requests(), "the forgiven KDC is first again")
	assert.Equal(t, m, second.Requests(), "the silent one is last")
}

// TestUDPBlockedFallsBackToTCP: a KDC whose UDP port is silent, as behind
// a firewall that drops UDP, is reached over TCP after one timeout, as
// MIT does; the next exchanges go over TCP first.
func TestUDPBlockedFallsBackToTCP(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	krb5.SetKDCRetryAfterForTest(t, time.Hour)
	p := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop, Transport: "udp"})
	c := faultClient(t, r, kdcConfig(t, r, false, p.Addr()), kdcTimeout)
	ctx := ctxT(t)
	begin := time.Now()
	require.NoError(t, c.Login(ctx))
	_, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	cost := time.Since(begin)
	t.Logf("login and service ticket with UDP blocked: %v", cost)
	assert.Less(t, cost, kdcTimeout+faultSlack)
	assert.EqualValues(t, 1, p.RequestsOver("udp"))
	assert.EqualValues(t, 3, p.RequestsOver("tcp"))
}

// TestKDCTimeoutFromConfig: without WithKDCTimeout, the bound of one
// attempt is kdc_timeout of the realm, else of [libdefaults]; the option
// wins over both; a value that is not a duration is refused with its file
// and line.
func TestKDCTimeoutFromConfig(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	silent := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop})
	tests := []struct {
		name              string
		libdefaults, real string
		opts              []krb5.Option
		min, max          time.Duration // of a login: UDP, then TCP
	}{
		{"realm's kdc_timeout", "\tkdc_timeout = 1h\n", "\t\tkdc_timeout = 1s\n",
			nil, 2 * time.Second, 2*time.Second + faultSlack},
		{"libdefaults' kdc_timeout", "\tkdc_timeout = 1\n", "",
			nil, 2 * time.Second, 2*time.Second + faultSlack},
		{"WithKDCTimeout wins", "\tkdc_timeout = 1h\n", "\t\tkdc_timeout = 1h\n",
			[]krb5.Option{krb5.WithKDCTimeout(100 * time.Millisecond)},
			200 * time.Millisecond, faultSlack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseConf(t, clientConf(r, tt.libdefaults, tt.real, silent.Addr()))
			c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
				append(tt.opts, krb5.DisableAutoRenew())...)
			require.NoError(t, err)
			defer c.Close()
			begin := time.Now()
			err = c.Login(ctxT(t))
			cost := time.Since(begin)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, err, krb5.ErrKDCUnreachable)
			assert.GreaterOrEqual(t, cost, tt.min)
			assert.Less(t, cost, tt.max)
		})
	}

	_, err := krb5.ParseConfig("bad.conf", []byte(clientConf(r, "",
		"\t\tkdc_timeout = soon\n", silent.Addr())))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.conf:8: realms."+r.Name+".kdc_timeout")
}

// TestUDPPreferenceLimit: requests no larger than udp_preference_limit go
// over UDP, larger ones over TCP; 1 and 0 send everything over TCP, as in
// MIT.
func TestUDPPreferenceLimit(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	tests := []struct {
		limit              string
		loginUDP, loginTCP int64 // requests of the login, two AS-REQs
		tgsUDP, tgsTCP     int64 // of one TGS-REQ, which is over 400 bytes
	}{
		{"", 2, 0, 1, 0},
		{"400", 2, 0, 0, 1},
		{"1", 0, 2, 0, 1},
		{"0", 0, 2, 0, 1},
		{"99999", 2, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run("limit="+tt.limit, func(t *testing.T) {
			p := startProxy(t, r, faultproxy.Fault{})
			lib := ""
			if tt.limit != "" {
				lib = "\tudp_preference_limit = " + tt.limit + "\n"
			}
			c := faultClient(t, r, parseConf(t, clientConf(r, lib, "", p.Addr())),
				kdcTimeout)
			ctx := ctxT(t)
			require.NoError(t, c.Login(ctx))
			assert.Equal(t, tt.loginUDP, p.RequestsOver("udp"), "login over UDP")
			assert.Equal(t, tt.loginTCP, p.RequestsOver("tcp"), "login over TCP")
			_, err := c.ServiceTicket(ctx, r.Service)
			require.NoError(t, err)
			assert.Equal(t, tt.loginUDP+tt.tgsUDP, p.RequestsOver("udp"), "TGS over UDP")
			assert.Equal(t, tt.loginTCP+tt.tgsTCP, p.RequestsOver("tcp"), "TGS over TCP")
		})
	}
}

// TestResponseTooBigSwitchesToTCP: MIT's KDC, told to send no UDP reply
// over 500 bytes, answers the AS-REQ over UDP with
// KRB_ERR_RESPONSE_TOO_BIG; the client asks again over TCP and logs in.
func TestResponseTooBigSwitchesToTCP(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{Realm: "TOOBIG.TEST",
		KDCDefaults: map[string]string{"kdc_max_dgram_reply_size": "500"}})
	if r == nil {
		return
	}
	noLeaks(t)
	p := startProxy(t, r, faultproxy.Fault{})
	c := faultClient(t, r, kdcConfig(t, r, false, p.Addr()), kdcTimeout)
	ctx := ctxT(t)
	require.NoError(t, c.Login(ctx))
	assert.EqualValues(t, 2, p.RequestsOver("udp"),
		"both AS-REQs went over UDP first")
	assert.EqualValues(t, 1, p.RequestsOver("tcp"),
		"the AS-REP, too big for UDP, came over TCP")
	_, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.RequestsOver("tcp"))
}

// TestKDCsFromDNS: a realm with no kdc relation is found through DNS SRV
// records when dns_lookup_kdc is on (MIT's default): by priority, a
// record of the other transport only after the preferred one, and "."
// as "not offered here". With dns_lookup_kdc off, DNS is not asked.
func TestKDCsFromDNS(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	krb5.SetKDCRetryAfterForTest(t, time.Hour)
	dead, err := testrealm.FreePort(r.KDCPort)
	require.NoError(t, err)
	realm := strings.ToLower(r.Name)
	dns := startDNS(t)
	// The preferred UDP record names a port nobody listens on; the
	// client falls back to the second one, then TCP's.
	dns.srv(t, "_kerberos._udp."+realm+".", 0, 0, uint16(dead), "kdc1.dns.test.")
	dns.srv(t, "_kerberos._udp."+realm+".", 10, 0, uint16(r.KDCPort), "kdc2.dns.test.")
	dns.srv(t, "_kerberos._tcp."+realm+".", 0, 0, uint16(r.KDCPort), "kdc2.dns.test.")
	dns.a(t, "kdc1.dns.test.")
	dns.a(t, "kdc2.dns.test.")
	dns.srv(t, "_kerberos._udp.nokdc.test.", 0, 0, 0, ".")
	dns.serve()

	ctx := ctxT(t)
	cfg := parseConf(t, clientConf(r, "\tdns_lookup_kdc = true\n", ""))
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithResolver(dns.Resolver()), krb5.WithKDCTimeout(kdcTimeout),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Positive(t, dns.queries.Load())

	nokdc, err := krb5.NewWithPassword("u", "NOKDC.TEST", "p", cfg,
		krb5.WithResolver(dns.Resolver()), krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer nokdc.Close()
	err = nokdc.Login(ctx)
	assert.ErrorIs(t, err, krb5.ErrRealmUnknown)

	off := parseConf(t, clientConf(r, "\tdns_lookup_kdc = false\n", ""))
	c2, err := krb5.NewWithPassword(r.User, r.Name, r.Password, off,
		krb5.WithResolver(dns.Resolver()), krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c2.Close()
	n := dns.queries.Load()
	assert.ErrorIs(t, c2.Login(ctx), krb5.ErrRealmUnknown)
	assert.Equal(t, n, dns.queries.Load(), "DNS was not asked")
}

// TestConfigNeverModified: a configuration shared by clients that fail
// over from a silent KDC, which they then try last, stays as it was
// parsed.
func TestConfigNeverModified(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	silent := startProxy(t, r, faultproxy.Fault{Kind: faultproxy.Drop})
	text := clientConf(r, "", "", silent.Addr(), realKDC(r))
	shared, pristine := parseConf(t, text), parseConf(t, text)
	ctx := ctxT(t)
	for range 3 {
		c := faultClient(t, r, shared, kdcTimeout)
		require.NoError(t, c.Login(ctx))
		_, err := c.ServiceTicket(ctx, r.Service)
		require.NoError(t, err)
	}
	assert.Equal(t, pristine, shared)
}

// TestKDCProxyNotSupported: a realm whose only KDC is an MS-KKDCP proxy
// fails at once with a clear error.
func TestKDCProxyNotSupported(t *testing.T) {
	cfg := parseConf(t, "[libdefaults]\n default_realm = P.TEST\n"+
		"[realms]\n P.TEST = {\n  kdc = https://proxy.p.test/KdcProxy\n }\n")
	c, err := krb5.NewWithPassword("u", "P.TEST", "p", cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	err = c.Login(ctxT(t))
	require.ErrorIs(t, err, krb5.ErrNotSupported)
	assert.Contains(t, err.Error(), "https://proxy.p.test/KdcProxy")
}
