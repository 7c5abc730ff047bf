package krb5_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/internal/faultproxy"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// confFiles is a krb5.conf whose [realms] section lives in an included
// file, so that the tests change an included file, as a deployment
// that keeps its KDC list in /etc/krb5.conf.d would.
type confFiles struct {
	t      *testing.T
	r      *testrealm.Realm
	main   string // krb5.conf, which includes realms
	realms string
	n      int
}

func newConfFiles(t *testing.T, r *testrealm.Realm, kdcs ...string) *confFiles {
	t.Helper()
	dir := t.TempDir()
	f := &confFiles{t: t, r: r, main: filepath.Join(dir, "krb5.conf"),
		realms: filepath.Join(dir, "realms.conf")}
	f.setKDCs(kdcs...)
	var b strings.Builder
	fmt.Fprintf(&b, "include %s\n[libdefaults]\n default_realm = %s\n",
		f.realms, r.Name)
	b.WriteString(" dns_lookup_kdc = false\n rdns = false\n")
	b.WriteString("[domain_realm]\n localhost = " + r.Name + "\n")
	require.NoError(t, os.WriteFile(f.main, []byte(b.String()), 0o644))
	return f
}

// realmsText is the included file naming kdcs.
func (f *confFiles) realmsText(kdcs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[realms]\n %s = {\n", f.r.Name)
	for _, k := range kdcs {
		fmt.Fprintf(&b, "  kdc = %s\n", k)
	}
	b.WriteString(" }\n")
	return b.String()
}

// setKDCs rewrites the included file, alternately in place and by
// rename.
func (f *confFiles) setKDCs(kdcs ...string) { f.write(f.realmsText(kdcs...)) }

func (f *confFiles) write(text string) {
	f.t.Helper()
	f.n++
	if f.n%2 == 0 {
		require.NoError(f.t, os.WriteFile(f.realms, []byte(text), 0o644))
		return
	}
	tmp := f.realms + ".tmp"
	require.NoError(f.t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(f.t, os.Rename(tmp, f.realms))
}

func deadKDC(t *testing.T) string {
	port, err := testrealm.FreePort()
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func kdcAddr(r *testrealm.Realm) string {
	return fmt.Sprintf("127.0.0.1:%d", r.KDCPort)
}

// clientConfigs returns the configuration versions of the client named
// principal in the krb5 module's statistics, or nil.
func clientConfigs(principal string) *lifecycle.VersionsStats {
	for _, v := range krb5.ModuleStats().Versions {
		if v.Kind == "configuration" && v.Name == "client "+principal {
			return &v
		}
	}
	return nil
}

// TestReloadConfig: a client starts with a configuration naming only a
// dead KDC, is given the right one, and keeps it when a broken file or
// no file at all is offered next.
func TestReloadConfig(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	f := newConfFiles(t, r, deadKDC(t))
	cfg, err := krb5.LoadConfigFile(f.main)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithKDCTimeout(200*time.Millisecond), krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.ErrorIs(t, c.Login(ctx), krb5.ErrKDCUnreachable)

	f.setKDCs(kdcAddr(r))
	require.NoError(t, c.ReloadConfig(f.main))
	require.NoError(t, c.Login(ctx))
	good := c.Config()

	f.write("[realms]\n " + r.Name + " = {\n  kdc = " + kdcAddr(r) +
		"\n  = nothing\n }\n")
	err = c.ReloadConfig(f.main)
	var re *krb5.ConfigReloadError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, []string{f.main}, re.Files)
	require.ErrorIs(t, err, krb5.ErrConfigSyntax)
	assert.Contains(t, err.Error(), f.realms+":4:", "names file and line")
	assert.Contains(t, err.Error(), "previous configuration stays in force")
	assert.Same(t, good, c.Config())
	require.NoError(t, c.Login(ctx), "the old configuration is in force")

	err = c.ReloadConfig(filepath.Join(t.TempDir(), "none.conf"))
	require.ErrorAs(t, err, &re)
	require.ErrorIs(t, err, fs.ErrNotExist, "no file at all is an error")
	assert.Same(t, good, c.Config())
}

// twoKDCs starts a second KDC of the realm and puts a fault proxy
// before each of the two, to count the requests each one gets.
func twoKDCs(t *testing.T, r *testrealm.Realm) (one, two *faultproxy.Proxy) {
	t.Helper()
	second, err := r.AddKDC(ctxT(t))
	require.NoError(t, err)
	t.Cleanup(func() { second.Stop() })
	var out []*faultproxy.Proxy
	for _, k := range []string{kdcAddr(r), second.Addr} {
		p, err := faultproxy.Start(k, faultproxy.Fault{})
		require.NoError(t, err)
		t.Cleanup(func() { p.Close() })
		out = append(out, p)
	}
	return out[0], out[1]
}

// watchingClient makes a password client from f that watches f's files
// and reports every reload on the channel returned.
func watchingClient(t *testing.T, r *testrealm.Realm,
	f *confFiles) (*krb5.Client, <-chan error) {
	t.Helper()
	cfg, err := krb5.LoadConfigFile(f.main)
	require.NoError(t, err)
	notes := make(chan error, 8)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.DisableAutoRenew(), krb5.WithConfigReload(krb5.ConfigReload{
			Files: []string{f.main}, Watch: 5 * time.Millisecond,
			Notify: func(err error) { notes <- err },
		}))
	require.NoError(t, err)
	return c, notes
}

// TestConfigGainsAndLosesKDC: logins run without pause while the
// included file of the client's krb5.conf gains a second KDC of the
// realm (a krb5kdc of its own on the same database), loses the first,
// turns unparsable, and is mended. The watch picks up every change; no
// login fails; once the calls that pinned the previous configuration
// are done, new logins go only to the KDCs the new one names.
func TestConfigGainsAndLosesKDC(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	one, two := twoKDCs(t, r)
	opt := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opt)
	f := newConfFiles(t, r, one.Addr())
	c, notes := watchingClient(t, r, f)
	defer c.Close()

	// Each worker reports every login it finishes on done, which holds
	// more than the logins of the slowest step.
	done := make(chan error, 4096)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := c.Login(ctx)
				done <- err
				if err != nil {
					return
				}
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	logins := 0
	next := func() {
		t.Helper()
		select {
		case err := <-done:
			require.NoError(t, err, "a login failed")
			logins++
		case <-ctx.Done():
			t.Fatal("logins stopped")
		}
	}

	// settled waits, as logins finish, until no call pins an older
	// configuration, then checks that the next logins went only to
	// want.
	settled := func(step string, want *faultproxy.Proxy) {
		t.Helper()
		for {
			v := clientConfigs(c.PrincipalString())
			if v != nil && len(v.Versions) == 1 {
				break
			}
			next()
		}
		for len(done) > 0 {
			next()
		}
		before := map[*faultproxy.Proxy]int64{one: one.Requests(),
			two: two.Requests()}
		for range 6 {
			next()
		}
		for _, p := range []*faultproxy.Proxy{one, two} {
			grew := p.Requests() > before[p]
			assert.Equal(t, p == want, grew, "%s: KDC %s", step, p.Addr())
		}
	}
	settled("first KDC only", one)

	f.setKDCs(two.Addr(), one.Addr())
	require.NoError(t, <-notes)
	settled("second KDC gained, listed first", two)

	f.setKDCs(two.Addr())
	require.NoError(t, <-notes)
	settled("first KDC lost", two)

	f.write("[realms]\n " + r.Name + " = {\n  kdc = " + one.Addr() +
		"\n  = nothing\n }\n")
	err := <-notes
	var re *krb5.ConfigReloadError
	require.ErrorAs(t, err, &re, "an unparsable file is reported")
	assert.Contains(t, err.Error(), f.realms+":4:")
	settled("broken file: the previous configuration stays", two)

	f.setKDCs(one.Addr())
	require.NoError(t, <-notes)
	settled("mended, first KDC back alone", one)

	t.Logf("%d logins checked; first KDC %d requests, second %d", logins,
		one.Requests(), two.Requests())
}

// TestConfigInFlightKeepsItsConfig: a login whose first exchange is held
// at the KDC when the configuration changes sends its second exchange
// (after MIT asks for pre-authentication) to the same KDC, and pins its
// configuration in the module's statistics until it returns; the login
// after it goes to the new KDC.
func TestConfigInFlightKeepsItsConfig(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	old, cur := twoKDCs(t, r)
	old.Set(faultproxy.Fault{Kind: faultproxy.Hold})
	f := newConfFiles(t, r, old.Addr())
	c, notes := watchingClient(t, r, f)
	defer c.Close()
	inFlight := make(chan error, 1)
	go func() { inFlight <- c.Login(ctx) }()
	require.NoError(t, old.WaitRequests(ctx, 1))
	f.setKDCs(cur.Addr())
	require.NoError(t, <-notes)

	v := clientConfigs(c.PrincipalString())
	require.NotNil(t, v)
	assert.Equal(t, uint64(2), v.Current)
	require.Len(t, v.Versions, 2)
	assert.Equal(t, 1, v.Versions[0].Pins, "the login in flight pins it")
	assert.False(t, v.Versions[0].Held)

	old.Release() // the first exchange's answer: pre-authentication
	require.NoError(t, old.WaitRequests(ctx, 2), "the second exchange "+
		"goes to the KDC of the configuration the login started with")
	old.Release()
	require.NoError(t, <-inFlight)
	assert.Equal(t, int64(2), old.Requests())

	v = clientConfigs(c.PrincipalString())
	require.NotNil(t, v)
	assert.Len(t, v.Versions, 1, "the old configuration is let go")
	require.NoError(t, c.Login(ctx))
	assert.Equal(t, int64(2), old.Requests(), "later logins use the new one")
	assert.Positive(t, cur.Requests())
}

// kinit runs MIT kinit for principal into the cache ccache with extra
// arguments.
func kinit(t *testing.T, r *testrealm.Realm, ccache, principal,
	password string, args ...string) {
	t.Helper()
	args = append(append([]string{"-c", ccache}, args...), principal)
	cmd := r.Command(ctxT(t), "kinit", args...)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "kinit: %s", out)
}

// TestCCacheRewrittenByKinit: a client made from a cache file picks up
// the TGT that MIT's kinit writes later, whether kinit rewrites the file
// itself or writes another that is renamed over it, and ignores a cache
// of another principal put there.
func TestCCacheRewrittenByKinit(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	otherUser := fmt.Sprintf("reload-other-%d", time.Now().UnixNano())
	require.NoError(t, r.AddPrincipal(ctx, otherUser, "other password"))
	for _, how := range []string{"in place", "by rename"} {
		t.Run(how, func(t *testing.T) {
			cc := filepath.Join(t.TempDir(), "cc")
			kinit(t, r, "FILE:"+cc, r.User, r.Password, "-l", "1h")
			c, err := krb5.NewFromCCache(cc, realmConfig(t, r))
			require.NoError(t, err)
			defer c.Close()
			first, err := c.TGT()
			require.NoError(t, err)

			rewrite := func(principal, password, life string) {
				target := cc
				if how == "by rename" {
					target = cc + ".new"
				}
				kinit(t, r, "FILE:"+target, principal, password, "-l", life)
				if how == "by rename" {
					require.NoError(t, os.Rename(target, cc))
				}
			}
			rewrite(r.User, r.Password, "2h")
			_, err = c.ServiceTicket(ctx, r.Service)
			require.NoError(t, err)
			second, err := c.TGT()
			require.NoError(t, err)
			assert.True(t, second.EndTime.After(first.EndTime),
				"the TGT kinit wrote was taken")

			rewrite(otherUser, "other password", "3h")
			require.NoError(t, c.Login(ctx))
			third, err := c.TGT()
			require.NoError(t, err)
			assert.Same(t, second, third, "another principal's cache is ignored")
			assert.Equal(t, r.UserPrincipal, c.PrincipalString())
		})
	}
}

// TestCCacheCollectionFollowsPrimary: a client made from a DIR
// collection by its primary follows a change of primary member, as
// kswitch makes, to the newer TGT kinit put in the other member.
func TestCCacheCollectionFollowsPrimary(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	kinit(t, r, "DIR::"+filepath.Join(dir, "tkt1"), r.User, r.Password,
		"-l", "1h")
	kinit(t, r, "DIR::"+filepath.Join(dir, "tkt2"), r.User, r.Password,
		"-l", "2h")
	primary := filepath.Join(dir, "primary")
	require.NoError(t, os.WriteFile(primary, []byte("tkt1\n"), 0o600))
	c, err := krb5.NewFromCCache("DIR:"+dir, realmConfig(t, r))
	require.NoError(t, err)
	defer c.Close()
	first, err := c.TGT()
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(primary+".new", []byte("tkt2\n"), 0o600))
	require.NoError(t, os.Rename(primary+".new", primary))
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	second, err := c.TGT()
	require.NoError(t, err)
	assert.True(t, second.EndTime.After(first.EndTime),
		"the new primary's TGT was taken")
}
