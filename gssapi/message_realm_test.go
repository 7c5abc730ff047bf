package gssapi_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// establish runs our initiator against our acceptor and returns both
// ends of the context.
func establish(t *testing.T, c *krb5.Client, cred *gssapi.AcceptorCredential, spn string,
	opts ...gssapi.InitOption) (ini, acc *gssapi.SecurityContext) {
	t.Helper()
	in, tok, err := gssapi.Initiate(ctxT(t), c, spn, opts...)
	require.NoError(t, err)
	acc, rep, err := cred.Accept(tok)
	require.NoError(t, err)
	t.Cleanup(func() { acc.Close() })
	ini, err = in.Finish(rep)
	require.NoError(t, err)
	t.Cleanup(func() { ini.Close() })
	return ini, acc
}

// exchange checks Wrap, Unwrap, MIC and VerifyMIC both ways.
func exchange(t *testing.T, ini, acc *gssapi.SecurityContext) {
	t.Helper()
	for i, dir := range [][2]*gssapi.SecurityContext{{ini, acc}, {acc, ini}, {ini, acc}} {
		msg := []byte(fmt.Sprintf("message %d", i))
		for _, conf := range []bool{true, false} {
			tok, err := dir[0].Wrap(msg, conf)
			require.NoError(t, err)
			got, gotConf, err := dir[1].Unwrap(tok)
			require.NoError(t, err)
			assert.Equal(t, msg, got)
			assert.Equal(t, conf, gotConf)
		}
		mic, err := dir[0].MIC(msg)
		require.NoError(t, err)
		require.NoError(t, dir[1].VerifyMIC(msg, mic))
	}
}

func TestMessagesInitiatorToAcceptor(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cred := acceptor(t, r)
	cases := []struct {
		name string
		opts []gssapi.InitOption
	}{
		{"SPNEGO, default flags", nil},
		{"raw Kerberos", []gssapi.InitOption{gssapi.RawKerberos()}},
		{"raw Kerberos without mutual authentication", []gssapi.InitOption{
			gssapi.RawKerberos(), gssapi.WithFlags(gssapi.FlagReplay | gssapi.FlagSequence)}},
		{"no replay or sequence detection", []gssapi.InitOption{
			gssapi.WithFlags(gssapi.FlagMutual | gssapi.FlagConf | gssapi.FlagInteg)}},
	}
	for _, c2 := range cases {
		t.Run(c2.name, func(t *testing.T) {
			ini, acc := establish(t, c, cred, "HTTP/localhost", c2.opts...)
			exchange(t, ini, acc)
		})
	}

	t.Run("replayed and reordered tokens", func(t *testing.T) {
		ini, acc := establish(t, c, cred, "HTTP/localhost")
		t1, err := ini.Wrap([]byte("one"), true)
		require.NoError(t, err)
		t2, err := ini.Wrap([]byte("two"), true)
		require.NoError(t, err)
		_, _, err = acc.Unwrap(t2)
		require.ErrorIs(t, err, gssapi.ErrGapToken)
		msg, _, err := acc.Unwrap(t1)
		require.ErrorIs(t, err, gssapi.ErrUnseqToken)
		assert.Equal(t, "one", string(msg))
		msg, _, err = acc.Unwrap(t2)
		require.ErrorIs(t, err, gssapi.ErrDuplicateToken)
		assert.Nil(t, msg)
	})
}

// sessionEnctypePrincipal adds a service principal whose tickets carry
// session keys of enctype name only, and returns a credential for it.
func sessionEnctypePrincipal(t *testing.T, r *testrealm.Realm, host, enctype string) (string,
	*gssapi.AcceptorCredential) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	spn := "HTTP/" + host
	require.NoError(t, r.AddPrincipal(ctx, spn, ""))
	_, err := r.KadminLocal(ctx, "setstr "+spn+" session_enctypes "+enctype)
	require.NoError(t, err)
	ktPath := filepath.Join(t.TempDir(), "kt")
	require.NoError(t, r.ExportKeytab(ctx, spn, ktPath))
	kt, err := krb5.LoadKeytab(ktPath)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	cred, err := gssapi.NewAcceptorCredential(kt)
	require.NoError(t, err)
	t.Cleanup(func() { cred.Close() })
	return spn, cred
}

// TestMessagesSessionEnctypes protects messages with session keys of
// each enctype, chosen on the KDC with session_enctypes: RFC 4121 tokens
// for AES, RFC 1964 tokens for rc4-hmac and des3.
func TestMessagesSessionEnctypes(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cases := []struct {
		enctype string
		id      int32
	}{
		{"aes128-cts-hmac-sha1-96", 17},
		{"aes256-cts-hmac-sha1-96", 18},
		{"aes128-cts-hmac-sha256-128", 19},
		{"aes256-cts-hmac-sha384-192", 20},
		{"arcfour-hmac", 23},
		{"des3-cbc-sha1", 16},
	}
	for _, tc := range cases {
		t.Run(tc.enctype, func(t *testing.T) {
			host := fmt.Sprintf("e%d-%d.localhost", tc.id, time.Now().UnixNano())
			spn, cred := sessionEnctypePrincipal(t, r, host, tc.enctype)
			ini, acc := establish(t, c, cred, spn)
			require.Equal(t, tc.id, gssapi.ContextKeyType(acc), "session enctype")
			require.Equal(t, tc.id, gssapi.ContextKeyType(ini))
			exchange(t, ini, acc)
		})
	}
}
