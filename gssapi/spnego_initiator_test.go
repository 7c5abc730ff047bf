package gssapi_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// acceptorPeer answers an initiator's tokens, one leg per call, and
// reports the context once its side is established.
type acceptorPeer func(t *testing.T, tok []byte) (sc *gssapi.SecurityContext, out []byte,
	err error)

// ourAcceptor is our acceptor credential behind one Negotiation.
func ourAcceptor(t *testing.T, cred *gssapi.AcceptorCredential) acceptorPeer {
	var neg gssapi.Negotiation
	t.Cleanup(neg.Close)
	return func(t *testing.T, tok []byte) (*gssapi.SecurityContext, []byte, error) {
		sc, out, err := cred.Accept(tok, gssapi.WithNegotiation(&neg))
		if sc != nil {
			t.Cleanup(func() { sc.Close() })
		}
		return sc, out, err
	}
}

// negotiate runs an initiator against peer until the initiator is done,
// sending the initiator's last token too, and returns the initiator's
// context, the acceptor's, and the number of tokens the initiator sent.
func negotiate(t *testing.T, c *krb5.Client, spn string, peer acceptorPeer,
	opts ...gssapi.InitOption) (ini, acc *gssapi.SecurityContext, legs int) {
	t.Helper()
	in, tok, err := gssapi.Initiate(ctxT(t), c, spn, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { in.Close() })
	for legs = 1; ; legs++ {
		require.Less(t, legs, 5, "the negotiation does not end")
		sc, out, err := peer(t, tok)
		if sc != nil {
			acc = sc
		}
		if err != nil && !errors.Is(err, gssapi.ErrContinueNeeded) {
			require.NoError(t, err, "the acceptor, leg %d", legs)
		}
		ini, tok, err = in.Step(out)
		if ini != nil {
			t.Cleanup(func() { ini.Close() })
		}
		if errors.Is(err, gssapi.ErrContinueNeeded) {
			continue
		}
		require.NoError(t, err, "the initiator, after leg %d", legs)
		if len(tok) > 0 {
			legs++
			sc, _, err := peer(t, tok)
			require.NoError(t, err, "the acceptor, last leg")
			acc = sc
		}
		require.NotNil(t, acc, "the acceptor's context")
		return ini, acc, legs
	}
}

// negRespMech is an acceptor's first answer choosing mech.
func negRespMech(t *testing.T, state int, mech asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := (&spnego.NegTokenResp{NegState: asn1.Enumerated(state),
		SupportedMech: mech}).Marshal()
	require.NoError(t, err)
	return b
}

// The mechanism lists of initiators that put Kerberos second.
var (
	ntlmFirst   = []asn1.ObjectIdentifier{gssapi.OIDNTLM, gssapi.OIDKRB5}
	negoExFirst = []asn1.ObjectIdentifier{gssapi.OIDNegoEx, gssapi.OIDKRB5}
)

// TestSPNEGOInitiatorWithOurAcceptor negotiates with our acceptor in
// every shape RFC 4178 allows our initiator, and exchanges messages
// over the result.
func TestSPNEGOInitiatorWithOurAcceptor(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cred := acceptor(t, r)
	noMutualFlags := gssapi.WithFlags(noMutual)
	cases := []struct {
		name string
		opts []gssapi.InitOption
		legs int
	}{
		{"Kerberos alone", nil, 1},
		{"Windows' list: both Kerberos OIDs", []gssapi.InitOption{
			gssapi.WithSPNEGOMechs(gssapi.OIDMSKRB5, gssapi.OIDKRB5)}, 1},
		{"no mutual authentication, MIC first", []gssapi.InitOption{noMutualFlags,
			gssapi.WithInitiatorMIC()}, 1},
		{"NTLM first, mutual: three legs", []gssapi.InitOption{
			gssapi.WithSPNEGOMechs(ntlmFirst...)}, 3},
		{"NegoEx first, no mutual: AP-REQ and MIC together", []gssapi.InitOption{
			noMutualFlags, gssapi.WithSPNEGOMechs(negoExFirst...)}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ini, acc, legs := negotiate(t, c, "HTTP/localhost", ourAcceptor(t, cred),
				tc.opts...)
			assert.Equal(t, tc.legs, legs, "tokens the initiator sent")
			assert.Equal(t, r.UserPrincipal, acc.ClientName())
			exchange(t, ini, acc)
		})
	}
}

// TestSPNEGOInitiatorChecksTheAcceptor feeds the initiator answers it
// must refuse.
func TestSPNEGOInitiatorChecksTheAcceptor(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cred := acceptor(t, r)

	t.Run("a changed mechanism list", func(t *testing.T) {
		// A man in the middle turns NTLM into NegoEx, OIDs of one
		// length: the acceptor's MIC covers the list it saw.
		in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost",
			gssapi.WithSPNEGOMechs(ntlmFirst...))
		require.NoError(t, err)
		defer in.Close()
		ntlm, _ := asn1.Marshal(gssapi.OIDNTLM)
		negoEx, _ := asn1.Marshal(gssapi.OIDNegoEx)
		require.Equal(t, 1, bytes.Count(tok, ntlm))
		tok = bytes.Replace(tok, ntlm, negoEx, 1)
		peer := ourAcceptor(t, cred)
		_, out, err := peer(t, tok)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		_, tok, err = in.Step(out)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		_, out, err = peer(t, tok)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		require.NotEmpty(t, decodeResp(t, out).MechListMIC)
		sc, _, err := in.Step(out)
		require.ErrorIs(t, err, gssapi.ErrBadMIC)
		assert.Nil(t, sc)
		_, _, err = in.Step(out)
		require.ErrorIs(t, err, gssapi.ErrClosed, "the negotiation is over")
	})

	t.Run("a downgrade to Kerberos first", func(t *testing.T) {
		// The attacker removes NTLM: the acceptor sees Kerberos first
		// and sends no MIC, which our list requires.
		in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost",
			gssapi.WithSPNEGOMechs(ntlmFirst...))
		require.NoError(t, err)
		defer in.Close()
		both, err := asn1.Marshal(ntlmFirst)
		require.NoError(t, err)
		require.Equal(t, 1, bytes.Count(tok, both))
		tok = negInit(t, []asn1.ObjectIdentifier{gssapi.OIDKRB5}, nil)
		peer := ourAcceptor(t, cred)
		_, out, err := peer(t, tok)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		_, tok, err = in.Step(out)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		_, out, err = peer(t, tok)
		require.NoError(t, err, "the acceptor saw nothing wrong")
		sc, _, err := in.Step(out)
		require.ErrorIs(t, err, gssapi.ErrDefectiveToken,
			"the initiator needs the acceptor's MIC")
		assert.Contains(t, err.Error(), "tampered")
		assert.Nil(t, sc)
	})

	t.Run("an unasked MIC with accept-completed", func(t *testing.T) {
		// An acceptor may sign the list though the initiator's first
		// choice won: the initiator checks the MIC and sends nothing
		// more, so Finish works. Our acceptor's answer, with a MIC its
		// context makes added.
		krbList, err := asn1.Marshal([]asn1.ObjectIdentifier{gssapi.OIDKRB5})
		require.NoError(t, err)
		for _, good := range []bool{true, false} {
			in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost")
			require.NoError(t, err)
			defer in.Close()
			sc, out, err := cred.Accept(tok)
			require.NoError(t, err)
			defer sc.Close()
			signed := krbList
			if !good {
				signed = []byte("another list")
			}
			mic, err := sc.MIC(signed)
			require.NoError(t, err)
			isc, err := in.Finish(negRespTok(t, 0, decodeResp(t, out).ResponseToken, mic))
			if !good {
				require.ErrorIs(t, err, gssapi.ErrBadMIC)
				continue
			}
			require.NoError(t, err)
			defer isc.Close()
			exchange(t, isc, sc)
		}
	})

	t.Run("Finish refuses a negotiation of more legs", func(t *testing.T) {
		in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost",
			gssapi.WithSPNEGOMechs(negoExFirst...))
		require.NoError(t, err)
		peer := ourAcceptor(t, cred)
		_, out, err := peer(t, tok)
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		sc, err := in.Finish(out)
		require.Error(t, err)
		assert.Nil(t, sc)
		assert.Contains(t, err.Error(), "Step")
	})

	answers := []struct {
		name  string
		mechs []asn1.ObjectIdentifier
		resp  []byte
		match error
	}{
		{"reject", nil, negRespTok(t, 2, nil, nil), gssapi.ErrFailure},
		{"garbage", nil, []byte{0xa1, 0x03, 0x30, 0x01, 0x00}, gssapi.ErrDefectiveToken},
		{"NTLM chosen", ntlmFirst, negRespMech(t, 1, gssapi.OIDNTLM), gssapi.ErrBadMech},
		{"a mechanism not offered", nil, negRespMech(t, 1, gssapi.OIDMSKRB5),
			gssapi.ErrDefectiveToken},
		{"no mechanism named", ntlmFirst, negRespTok(t, 1, nil, nil),
			gssapi.ErrDefectiveToken},
		{"completed without the AP-REP", nil, negRespTok(t, 0, nil, nil),
			gssapi.ErrDefectiveToken},
		{"a MIC without the AP-REP", nil, negRespTok(t, 0, nil, make([]byte, 28)),
			gssapi.ErrDefectiveToken},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			var opts []gssapi.InitOption
			if a.mechs != nil {
				opts = append(opts, gssapi.WithSPNEGOMechs(a.mechs...))
			}
			in, _, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost", opts...)
			require.NoError(t, err)
			defer in.Close()
			sc, out, err := in.Step(a.resp)
			require.ErrorIs(t, err, a.match)
			assert.Nil(t, sc)
			assert.Nil(t, out)
		})
	}
}
