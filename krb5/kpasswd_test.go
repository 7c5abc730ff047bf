package krb5_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestChangePasswordMIT changes passwords through MIT's kadmind over UDP
// and over TCP, and gets MIT's policy refusal as a typed error.
func TestChangePasswordMIT(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{Kadmind: true, Realm: "KPASSWD.TEST"})
	if r == nil {
		return
	}
	ctx := ctxT(t)
	udpCfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	tcpConf := filepath.Join(t.TempDir(), "tcp.conf")
	require.NoError(t, os.WriteFile(tcpConf,
		[]byte("[libdefaults]\n\tudp_preference_limit = 1\n"), 0o600))
	tcpCfg, err := krb5.LoadConfigFile(tcpConf, r.ConfPath)
	require.NoError(t, err)
	require.Equal(t, 1, tcpCfg.LibDefaults.UDPPreferenceLimit)

	for i, tc := range []struct {
		name string
		user string
	}{{"UDP", "udpuser"}, {"TCP", "tcpuser"}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := udpCfg
			if i == 1 {
				cfg = tcpCfg
			}
			const oldPW, newPW = "the old password 1", "the new password 2"
			require.NoError(t, r.AddPrincipal(ctx, tc.user, oldPW))
			c, err := krb5.NewWithPassword(tc.user, r.Name, oldPW, cfg,
				krb5.DisableAutoRenew())
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.ChangePassword(ctx, newPW))
			require.NoError(t, c.Login(ctx), "the client logs in with the new password")
			require.NoError(t, r.Kinit(ctx, "FILE:"+filepath.Join(t.TempDir(), "cc"),
				tc.user, newPW), "MIT's kinit takes the new password")
			require.Error(t, r.Kinit(ctx, "FILE:"+filepath.Join(t.TempDir(), "cc"),
				tc.user, oldPW))
		})
	}

	t.Run("policy refusal", func(t *testing.T) {
		_, err := r.KadminLocal(ctx, "addpol -minlength 20 strict")
		require.NoError(t, err)
		require.NoError(t, r.AddPrincipal(ctx, "carol", "a long enough password"))
		_, err = r.KadminLocal(ctx, "modprinc -policy strict carol")
		require.NoError(t, err)
		c, err := krb5.NewWithPassword("carol", r.Name, "a long enough password",
			udpCfg, krb5.DisableAutoRenew())
		require.NoError(t, err)
		defer c.Close()
		err = c.ChangePassword(ctx, "short")
		require.ErrorIs(t, err, krb5.ErrPasswordRejected)
		var pce *krb5.PasswordChangeError
		require.ErrorAs(t, err, &pce)
		assert.Equal(t, krb5.KpasswdSoftError, pce.Result)
		assert.Contains(t, pce.Text, "too short")
		assert.NotContains(t, err.Error(), "long enough")
	})

	t.Run("wrong current password", func(t *testing.T) {
		c, err := krb5.NewWithPassword(r.User, r.Name, "not the password", udpCfg,
			krb5.DisableAutoRenew())
		require.NoError(t, err)
		defer c.Close()
		err = c.ChangePassword(ctx, "whatever it is 12345")
		require.ErrorIs(t, err, krb5.ErrPreauthFailed)
		assert.NotContains(t, err.Error(), "not the password")
	})

	t.Run("client from a ccache cannot", func(t *testing.T) {
		cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
		require.NoError(t, r.Kinit(ctx, cc, r.User, r.Password))
		c, err := krb5.NewFromCCache(cc, udpCfg)
		require.NoError(t, err)
		defer c.Close()
		require.ErrorIs(t, c.ChangePassword(ctx, "x"), krb5.ErrCredNotFound)
	})
}
