package gssapi_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/pac"
)

// krbtgtKeytab exports the realm's krbtgt keys into a keytab file.
func krbtgtKeytab(t *testing.T, r *testrealm.Realm) *krb5.Keytab {
	t.Helper()
	path := filepath.Join(t.TempDir(), "krbtgt.keytab")
	require.NoError(t, r.ExportKeytab(ctxT(t), "krbtgt/"+r.Name, path))
	kt, err := krb5.LoadKeytab(path)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	return kt
}

// passwordKeytab makes a keytab whose key for principal, of enctype
// etype, comes from a password the KDC never saw.
func passwordKeytab(t *testing.T, principal, realm string, etype int32) *krb5.Keytab {
	t.Helper()
	g := keytab.New()
	require.NoError(t, g.AddEntry(principal, realm, "not the key", time.Now(), 1, etype))
	kt, err := krb5.NewKeytab(g)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	return kt
}

// TestPACOfMITTicket reads the minimal PAC MIT 1.20 puts in tickets:
// client info and signatures, no logon info, so no AD attributes.
func TestPACOfMITTicket(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	ini, acc := establish(t, c, acceptor(t, r,
		gssapi.WithKrbtgtKeytab(krbtgtKeytab(t, r))), r.Service)
	p, err := acc.PAC()
	require.NoError(t, err)
	require.NotNil(t, p.ClientInfo)
	assert.Equal(t, r.User, p.ClientInfo.Name)
	assert.Nil(t, p.LogonInfo)
	again, err := acc.PAC()
	require.NoError(t, err)
	assert.Same(t, p, again, "decoded once")
	assert.Empty(t, acc.Credentials().GetADCredentials().EffectiveName)

	_, err = ini.PAC()
	require.ErrorIs(t, err, pac.ErrNoPAC, "the initiator has no PAC")
	require.NoError(t, acc.Close())
	_, err = acc.PAC()
	require.ErrorIs(t, err, gssapi.ErrClosed)
}

// TestPACKDCSignature checks the KDC signature against krbtgt keytabs
// that hold the wrong key, or none of the signature's enctype.
func TestPACKDCSignature(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	tests := []struct {
		name  string
		etype int32
		err   error
	}{
		{"wrong key", 18, pac.ErrBadChecksum},
		{"no key of the enctype", 17, gssapi.ErrNoKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kt := passwordKeytab(t, "krbtgt/"+r.Name, r.Name, tt.etype)
			_, acc := establish(t, c, acceptor(t, r, gssapi.WithKrbtgtKeytab(kt)),
				r.Service)
			_, err := acc.PAC()
			require.ErrorIs(t, err, tt.err)

			in, tok, err := gssapi.Initiate(ctxT(t), c, r.Service)
			require.NoError(t, err)
			defer in.Close()
			cred := acceptor(t, r, gssapi.WithKrbtgtKeytab(kt), gssapi.VerifyPAC())
			_, _, err = cred.Accept(tok)
			require.ErrorIs(t, err, tt.err, "VerifyPAC refuses at accept time")
		})
	}
}

// TestMiddlewarePAC checks that the middleware refuses a request whose
// PAC does not verify, unless told not to look at PACs.
func TestMiddlewarePAC(t *testing.T) {
	r := testRealm(t)
	bad := passwordKeytab(t, "krbtgt/"+r.Name, r.Name, 18)
	tests := []struct {
		name string
		opts []gssapi.MiddlewareOption
		want int
	}{
		{"checked", nil, http.StatusUnauthorized},
		{"WithoutPAC", []gssapi.MiddlewareOption{gssapi.WithoutPAC()},
			http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred := acceptor(t, r, gssapi.WithKrbtgtKeytab(bad))
			url := serverWith(t, cred, tt.opts...)
			code, _ := get(t, gssapi.NewClient(client(t, r), nil), url)
			assert.Equal(t, tt.want, code)
		})
	}
}
