package krb5_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// TestPreauthWithTheClientsEnctype: the MIT KDC prefers aes256 for
// alice, yet a keytab MIT's ktutil made with only another of her keys
// logs in with that one, a password client limited to one enctype by its configuration
// logs in with it, and a keytab whose only key the KDC does not hold
// fails with the KDC's refusal, not a crash or a wrong key.
func TestPreauthWithTheClientsEnctype(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	for _, etype := range []string{"aes128-cts-hmac-sha1-96",
		"aes128-cts-hmac-sha256-128", "aes256-cts-hmac-sha384-192"} {
		t.Run("keytab with only "+etype, func(t *testing.T) {
			// MIT's ktutil derives the one key from alice's password.
			path := filepath.Join(t.TempDir(), "kt")
			cmd := r.Command(ctx, "ktutil")
			cmd.Stdin = strings.NewReader(fmt.Sprintf(
				"addent -password -p %s -k 1 -e %s\n%s\nwkt %s\nquit\n",
				r.UserPrincipal, etype, r.Password, path))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "MIT ktutil: %s", out)
			kt, err := krb5.LoadKeytab(path)
			require.NoError(t, err)
			defer kt.Close()
			entries, err := kt.Entries()
			require.NoError(t, err)
			require.Len(t, entries, 1)
			c, err := krb5.NewWithKeytab(r.User, r.Name, kt, cfg, krb5.DisableAutoRenew())
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Login(ctx))
			_, err = c.ServiceTicket(ctx, r.Service)
			require.NoError(t, err)
		})
	}

	t.Run("password with one configured enctype", func(t *testing.T) {
		text, err := os.ReadFile(r.ConfPath)
		require.NoError(t, err)
		conf := strings.Replace(string(text), "[libdefaults]\n",
			"[libdefaults]\n\tdefault_tkt_enctypes = aes128-sha2\n", 1)
		cfg, err := krb5.ParseConfig("one-enctype.conf", []byte(conf))
		require.NoError(t, err)
		c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
			krb5.DisableAutoRenew())
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.Login(ctx))
		tgt, err := c.TGT()
		require.NoError(t, err)
		assert.EqualValues(t, 19, tgt.KeyType, "aes128-cts-hmac-sha256-128")
	})

	t.Run("keytab with a key the KDC lacks", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kt")
		_, err := krb5.AddPasswordKeys(path, krb5.PasswordKeys{
			Principal: r.UserPrincipal, KVNO: 1, ETypes: []int32{23}}, r.Password)
		require.NoError(t, err)
		kt, err := krb5.LoadKeytab(path)
		require.NoError(t, err)
		defer kt.Close()
		text, err := os.ReadFile(r.ConfPath)
		require.NoError(t, err)
		conf := strings.Replace(string(text), "[libdefaults]\n",
			"[libdefaults]\n\tallow_weak_crypto = true\n", 1)
		cfg, err := krb5.ParseConfig("rc4.conf", []byte(conf))
		require.NoError(t, err)
		c, err := krb5.NewWithKeytab(r.User, r.Name, kt, cfg, krb5.DisableAutoRenew())
		require.NoError(t, err)
		defer c.Close()
		err = c.Login(ctx)
		var kerr *krb5.KDCError
		require.ErrorAs(t, err, &kerr)
		assert.EqualValues(t, 14, kerr.Code, "KDC_ERR_ETYPE_NOSUPP: %v", err)
	})
}

// skewedClock runs an hour ahead of the system clock.
type skewedClock struct{ support.SystemClock }

func (c skewedClock) Now() time.Time { return time.Now().Add(time.Hour) }

// TestClockSkewCorrected: a client whose clock is an hour ahead is told
// so by the MIT KDC (KRB_AP_ERR_SKEW with the KDC's time), logs in on the
// second try, stamps its TGS requests with the KDC's time, and writes the
// offset into the cache it writes, where MIT's klist reads it and a
// client made from that cache uses it.
func TestClockSkewCorrected(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	var trace syncBuffer
	log := slog.New(slog.NewTextHandler(&trace, &slog.HandlerOptions{
		Level: slog.LevelDebug}))
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithClock(skewedClock{}), krb5.WithLogger(log),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
	assert.Contains(t, trace.String(), "KDC reports clock skew")
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), tgt.AuthTime, time.Minute,
		"the KDC's time, not the client's")
	_, err = c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err, "the TGS-REQ carries the corrected time")

	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, c.WriteCCache(cc))
	out, err := r.Command(ctx, "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), r.ServicePrincipal)

	again, err := krb5.NewFromCCache(cc, cfg, krb5.WithClock(skewedClock{}),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer again.Close()
	require.NoError(t, again.Login(ctx), "the cached TGT is valid by the KDC's time")
	st, err := again.ServiceTicket(ctx, "krbtgt/"+r.Name)
	require.NoError(t, err)
	assert.Equal(t, "krbtgt/"+r.Name+"@"+r.Name, st.ServerName())
}
