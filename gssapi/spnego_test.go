package gssapi_test

import (
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

// frame wraps an inner token in the GSS initial-token header, as
// RFC 2743 section 3.1 lays it out.
func frame(t *testing.T, oid asn1.ObjectIdentifier, inner []byte) []byte {
	t.Helper()
	o, err := asn1.Marshal(oid)
	require.NoError(t, err)
	body := append(o, inner...)
	out := []byte{0x60}
	switch n := len(body); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, body...)
}

// rawKRB5 returns a bare Kerberos AP-REQ token for HTTP/localhost.
func rawKRB5(t *testing.T) []byte {
	t.Helper()
	r := testRealm(t)
	in, tok, err := gssapi.Initiate(ctxT(t), client(t, r), "HTTP/localhost", gssapi.RawKerberos())
	require.NoError(t, err)
	t.Cleanup(func() { in.Close() })
	return tok
}

func negInit(t *testing.T, mechs []asn1.ObjectIdentifier, mechTok []byte) []byte {
	t.Helper()
	b, err := (&spnego.NegTokenInit{MechTypes: mechs, MechTokenBytes: mechTok}).Marshal()
	require.NoError(t, err)
	return frame(t, gssapi.OIDSPNEGO, b)
}

func TestSPNEGOAsClientsSendIt(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)

	t.Run("raw Kerberos", func(t *testing.T) {
		sc, out, err := cred.Accept(rawKRB5(t))
		require.NoError(t, err)
		defer sc.Close()
		assert.NotEmpty(t, out, "mutual authentication was asked for")
		assert.Equal(t, r.UserPrincipal, sc.ClientName())
	})

	t.Run("Microsoft's Kerberos OID first", func(t *testing.T) {
		tok := negInit(t, []asn1.ObjectIdentifier{gssapi.OIDMSKRB5, gssapi.OIDKRB5}, rawKRB5(t))
		sc, out, err := cred.Accept(tok)
		require.NoError(t, err)
		defer sc.Close()
		isInit, v, err := spnego.UnmarshalNegToken(out)
		require.NoError(t, err)
		require.False(t, isInit)
		resp := v.(spnego.NegTokenResp)
		assert.EqualValues(t, 0, resp.NegState, "accept-completed")
		assert.True(t, resp.SupportedMech.Equal(gssapi.OIDMSKRB5))
		assert.NotEmpty(t, resp.ResponseToken)
	})

	t.Run("no optimistic token, then a second leg", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		tok := negInit(t, []asn1.ObjectIdentifier{gssapi.OIDKRB5}, nil)
		sc, out, err := cred.Accept(tok, gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		require.Nil(t, sc)
		_, v, err := spnego.UnmarshalNegToken(out)
		require.NoError(t, err)
		resp := v.(spnego.NegTokenResp)
		assert.EqualValues(t, 1, resp.NegState, "accept-incomplete")
		assert.True(t, resp.SupportedMech.Equal(gssapi.OIDKRB5))

		// Kerberos was the first choice: no mechListMIC is needed.
		second, err := (&spnego.NegTokenResp{NegState: 1, ResponseToken: rawKRB5(t)}).Marshal()
		require.NoError(t, err)
		sc, out, err = cred.Accept(second, gssapi.WithNegotiation(&neg))
		require.NoError(t, err)
		defer sc.Close()
		assert.NotEmpty(t, out)
		assert.Equal(t, r.UserPrincipal, sc.ClientName())
	})

	t.Run("no Kerberos at all", func(t *testing.T) {
		tok := negInit(t, []asn1.ObjectIdentifier{gssapi.OIDNTLM}, []byte("NTLMSSP\x00"))
		_, _, err := cred.Accept(tok)
		assert.ErrorIs(t, err, gssapi.ErrBadMech)
	})
}

// FuzzAccept feeds arbitrary tokens to an acceptor whose keytab has no
// key for anything the fuzzer can make: every token must be refused
// with an error, without a panic.
func FuzzAccept(f *testing.F) {
	f.Add([]byte{0x60, 0x03, 0x06, 0x01, 0x00})
	f.Add([]byte{0xa1, 0x03, 0x30, 0x01, 0x00})
	f.Add(append([]byte{0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01,
		0x02, 0x02, 0x01, 0x00}, 0x6e, 0x00))
	f.Add(append([]byte{0x60, 0x10, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02},
		0xa0, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x30, 0x00))
	kt := emptyKeytab(f)
	cred, err := gssapi.NewAcceptorCredential(kt)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { cred.Close() })
	f.Fuzz(func(t *testing.T, tok []byte) {
		sc, _, err := cred.Accept(tok)
		if err == nil {
			sc.Close()
			t.Fatalf("token accepted without a key")
		}
	})
}
