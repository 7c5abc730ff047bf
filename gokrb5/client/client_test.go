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
	cl.Destroy()
	_, _, err = cl.GetServiceTicket(r.Service)
	assert.ErrorIs(t, err, krb5.ErrClosed)

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
