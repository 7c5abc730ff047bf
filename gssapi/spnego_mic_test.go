package gssapi_test

import (
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

// Mechanism lists as real clients send them: Windows SSPI with
// Kerberos unavailable at first lists NTLM first; Firefox on Windows 10
// and later lists NegoEx first.
var (
	windowsMechs = []asn1.ObjectIdentifier{gssapi.OIDNTLM, gssapi.OIDMSKRB5,
		gssapi.OIDKRB5}
	negoExMechs = []asn1.ObjectIdentifier{gssapi.OIDNegoEx, gssapi.OIDKRB5,
		gssapi.OIDNTLM}
)

// noMutual is what an initiator asks for without mutual authentication:
// its context is complete as soon as it sends the AP-REQ, so it can
// send its mechListMIC with it.
const noMutual = gssapi.FlagInteg | gssapi.FlagConf | gssapi.FlagSequence | gssapi.FlagReplay

// mechTypesDER is the DER of a MechTypeList, which the mechListMIC
// covers (RFC 4178 section 5).
func mechTypesDER(t *testing.T, mechs []asn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := asn1.Marshal(mechs)
	require.NoError(t, err)
	return b
}

// krbInitiator starts a raw Kerberos context as alice.
func krbInitiator(t *testing.T, flags uint32) (*gssapi.Initiator, []byte) {
	t.Helper()
	r := testRealm(t)
	in, tok, err := gssapi.Initiate(ctxT(t), client(t, r), "HTTP/localhost",
		gssapi.RawKerberos(), gssapi.WithFlags(flags))
	require.NoError(t, err)
	t.Cleanup(func() { in.Close() })
	return in, tok
}

func negRespTok(t *testing.T, state int, mechTok, mic []byte) []byte {
	t.Helper()
	b, err := (&spnego.NegTokenResp{NegState: asn1.Enumerated(state),
		ResponseToken: mechTok, MechListMIC: mic}).Marshal()
	require.NoError(t, err)
	return b
}

func decodeResp(t *testing.T, tok []byte) spnego.NegTokenResp {
	t.Helper()
	isInit, v, err := spnego.UnmarshalNegToken(tok)
	require.NoError(t, err)
	require.False(t, isInit)
	return v.(spnego.NegTokenResp)
}

// firstLeg sends a NegTokenInit with an NTLM or NegoEx token first and
// checks the accept-incomplete answer naming Kerberos.
func firstLeg(t *testing.T, cred *gssapi.AcceptorCredential, neg *gssapi.Negotiation,
	mechs []asn1.ObjectIdentifier, want asn1.ObjectIdentifier) {
	t.Helper()
	sc, out, err := cred.Accept(negInit(t, mechs, []byte("NTLMSSP\x00\x01\x00\x00\x00")),
		gssapi.WithNegotiation(neg))
	require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
	require.Nil(t, sc)
	resp := decodeResp(t, out)
	assert.EqualValues(t, 1, resp.NegState, "accept-incomplete")
	assert.True(t, resp.SupportedMech.Equal(want), "supportedMech %v", resp.SupportedMech)
	assert.Empty(t, resp.ResponseToken)
}

func TestSPNEGOMechListMIC(t *testing.T) {
	r := testRealm(t)
	cred := acceptor(t, r)

	t.Run("Windows: NTLM first, mutual, three legs", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		firstLeg(t, cred, &neg, windowsMechs, gssapi.OIDMSKRB5)
		in, apReq := krbInitiator(t, gssapi.DefaultInitFlags)

		// Second leg: the AP-REQ. The initiator cannot make its MIC
		// before it has our AP-REP, so we send ours and wait for it.
		sc, out, err := cred.Accept(negRespTok(t, 1, apReq, nil), gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		require.Nil(t, sc)
		resp := decodeResp(t, out)
		assert.EqualValues(t, 1, resp.NegState)
		require.NotEmpty(t, resp.ResponseToken)
		require.NotEmpty(t, resp.MechListMIC)
		isc, err := in.Finish(resp.ResponseToken)
		require.NoError(t, err)
		defer isc.Close()
		der := mechTypesDER(t, windowsMechs)
		require.NoError(t, isc.VerifyMIC(der, resp.MechListMIC), "the acceptor's MIC")
		mic, err := isc.MIC(der)
		require.NoError(t, err)

		// Third leg: the initiator's MIC.
		sc, out, err = cred.Accept(negRespTok(t, 1, nil, mic), gssapi.WithNegotiation(&neg))
		require.NoError(t, err)
		defer sc.Close()
		assert.Equal(t, r.UserPrincipal, sc.ClientName())
		assert.EqualValues(t, 0, decodeResp(t, out).NegState, "accept-completed")
	})

	t.Run("Firefox: NegoEx first, MIC with the AP-REQ", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		firstLeg(t, cred, &neg, negoExMechs, gssapi.OIDKRB5)
		in, apReq := krbInitiator(t, noMutual)
		isc, err := in.Finish(nil)
		require.NoError(t, err)
		defer isc.Close()
		der := mechTypesDER(t, negoExMechs)
		mic, err := isc.MIC(der)
		require.NoError(t, err)

		sc, out, err := cred.Accept(negRespTok(t, 1, apReq, mic), gssapi.WithNegotiation(&neg))
		require.NoError(t, err)
		defer sc.Close()
		resp := decodeResp(t, out)
		assert.EqualValues(t, 0, resp.NegState)
		require.NotEmpty(t, resp.MechListMIC)
		require.NoError(t, isc.VerifyMIC(der, resp.MechListMIC), "the acceptor's MIC")
	})

	t.Run("Kerberos first with a MIC in the optimistic leg", func(t *testing.T) {
		mechs := []asn1.ObjectIdentifier{gssapi.OIDKRB5, gssapi.OIDNTLM}
		in, apReq := krbInitiator(t, noMutual)
		isc, err := in.Finish(nil)
		require.NoError(t, err)
		defer isc.Close()
		der := mechTypesDER(t, mechs)
		mic, err := isc.MIC(der)
		require.NoError(t, err)
		b, err := (&spnego.NegTokenInit{MechTypes: mechs, MechTokenBytes: apReq,
			MechListMIC: mic}).Marshal()
		require.NoError(t, err)
		sc, out, err := cred.Accept(frame(t, gssapi.OIDSPNEGO, b))
		require.NoError(t, err)
		defer sc.Close()
		resp := decodeResp(t, out)
		assert.EqualValues(t, 0, resp.NegState)
		require.NoError(t, isc.VerifyMIC(der, resp.MechListMIC))
	})

	t.Run("a MIC over another list is refused", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		firstLeg(t, cred, &neg, negoExMechs, gssapi.OIDKRB5)
		in, apReq := krbInitiator(t, noMutual)
		isc, err := in.Finish(nil)
		require.NoError(t, err)
		defer isc.Close()
		// What a downgrade would leave: the initiator MICs the list it
		// sent, the acceptor saw another one.
		mic, err := isc.MIC(mechTypesDER(t, []asn1.ObjectIdentifier{gssapi.OIDKRB5}))
		require.NoError(t, err)
		_, _, err = cred.Accept(negRespTok(t, 1, apReq, mic), gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrBadMIC)
	})

	t.Run("a bad MIC on the third leg is refused", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		firstLeg(t, cred, &neg, windowsMechs, gssapi.OIDMSKRB5)
		_, apReq := krbInitiator(t, gssapi.DefaultInitFlags)
		_, _, err := cred.Accept(negRespTok(t, 1, apReq, nil), gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		garbage := make([]byte, 44)
		garbage[0], garbage[1] = 0x04, 0x04
		_, _, err = cred.Accept(negRespTok(t, 1, nil, garbage), gssapi.WithNegotiation(&neg))
		require.Error(t, err)
		require.ErrorIs(t, err, gssapi.ErrBadMIC)
	})

	t.Run("a third leg without the MIC is refused", func(t *testing.T) {
		var neg gssapi.Negotiation
		defer neg.Close()
		firstLeg(t, cred, &neg, windowsMechs, gssapi.OIDMSKRB5)
		_, apReq := krbInitiator(t, gssapi.DefaultInitFlags)
		_, _, err := cred.Accept(negRespTok(t, 1, apReq, nil), gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrContinueNeeded)
		_, _, err = cred.Accept(negRespTok(t, 1, []byte{0x60, 0x00}, nil),
			gssapi.WithNegotiation(&neg))
		require.ErrorIs(t, err, gssapi.ErrDefectiveToken)
	})

	t.Run("a continuation without its negotiation is refused", func(t *testing.T) {
		_, apReq := krbInitiator(t, gssapi.DefaultInitFlags)
		_, _, err := cred.Accept(negRespTok(t, 1, apReq, nil))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "negotiation")
	})
}
