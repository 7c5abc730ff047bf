package client_test

import (
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/gokrb5/client"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestDropIn runs code written for gokrb5's client, with only the import
// changed, against a real MIT realm.
func TestDropIn(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	// Registered first, so it runs after the realm's cleanup.
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	r := testrealm.ForTest(t, testrealm.Options{})
	cfg, err := config.Load(r.ConfPath)
	require.NoError(t, err)

	cl := client.NewWithPassword(r.User, r.Name, r.Password, cfg, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	tkt, key, err := cl.GetServiceTicket(r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.Name, tkt.Realm)
	assert.NotEmpty(t, key.KeyValue)
	for _, spn := range []string{r.Service, r.ServicePrincipal} {
		ctkt, ckey, ok := cl.GetCachedTicket(spn)
		require.True(t, ok, spn)
		assert.Equal(t, tkt.EncPart.Cipher, ctkt.EncPart.Cipher, spn)
		assert.Equal(t, key, ckey, spn)
	}
	_, _, ok := cl.GetCachedTicket("HTTP/elsewhere")
	assert.False(t, ok, "a ticket the cache lacks is not fetched")
	cl.Destroy()
	_, _, err = cl.GetServiceTicket(r.Service)
	assert.ErrorIs(t, err, krb5.ErrClosed)
	_, _, ok = cl.GetCachedTicket(r.Service)
	assert.False(t, ok, "nothing is cached after Destroy")

	kt, err := keytab.Load(r.UserKeytab)
	require.NoError(t, err)
	kcl := client.NewWithKeytab(r.User, r.Name, kt, cfg)
	defer kcl.Destroy()
	require.NoError(t, kcl.AffirmLogin())
	_, _, err = kcl.GetServiceTicket(r.Service)
	require.NoError(t, err)

	bad := client.NewWithPassword(r.User, r.Name, "wrong", cfg)
	defer bad.Destroy()
	err = bad.Login()
	assert.True(t, errors.Is(err, krb5.ErrPreauthFailed), "%v", err)
}

// TestDropInChangePasswd changes a password through gokrb5's method and
// logs in with the new one.
func TestDropInChangePasswd(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	r := testrealm.ForTest(t, testrealm.Options{Kadmind: true})
	// Loaded by safekrb5, which keeps the relations gokrb5 drops: the
	// realm's kdc_timeout gives kadmind, slow to change a password on a
	// loaded machine, more than the default five seconds.
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)

	cl := client.NewWithPassword(r.User, r.Name, r.Password, cfg)
	defer cl.Destroy()
	ok, err := cl.ChangePasswd("a new password 42")
	require.NoError(t, err)
	assert.True(t, ok)

	again := client.NewWithPassword(r.User, r.Name, "a new password 42", cfg)
	defer again.Destroy()
	require.NoError(t, again.Login())
	old := client.NewWithPassword(r.User, r.Name, r.Password, cfg)
	defer old.Destroy()
	assert.ErrorIs(t, old.Login(), krb5.ErrPreauthFailed)
}
