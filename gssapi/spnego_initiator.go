package gssapi

import (
	"errors"
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/support"
)

// SPNEGO's request-mic negotiation state (RFC 4178 section 4.2.2).
const spnegoRequestMIC = 3

// WithSPNEGOMechs sets the mechanism list of the initiator's SPNEGO
// token (by default OIDKRB5 alone, as MIT sends it). The list must name
// Kerberos, under OIDKRB5 or OIDMSKRB5; the Kerberos token goes with
// the first token only when Kerberos comes first, and otherwise when
// the acceptor asks for it. This package implements no other mechanism:
// one listed before Kerberos serves to meet acceptors as Windows and
// Firefox clients do, which list NTLM or NegoEx first, and an acceptor
// that chooses it fails the context with GSS_S_BAD_MECH. When the
// acceptor chooses another mechanism than the first, both sides must
// exchange mechListMICs (RFC 4178 section 5): see Initiator.Step.
func WithSPNEGOMechs(mechs ...asn1.ObjectIdentifier) InitOption {
	return func(s *initSettings) { s.mechs = append([]asn1.ObjectIdentifier(nil), mechs...) }
}

// WithInitiatorMIC makes an initiator without FlagMutual, whose
// Kerberos context is complete as soon as it sends the AP-REQ, send its
// mechListMIC with its first SPNEGO token, which binds the mechanism
// list at once; the acceptor must then answer with its own, which Step
// and Finish check (RFC 4178 section 5). With FlagMutual it has no
// effect: the initiator's context completes only with the acceptor's
// answer.
func WithInitiatorMIC() InitOption {
	return func(s *initSettings) { s.micFirst = true }
}

// initNegotiation is the initiator's side of a SPNEGO negotiation.
type initNegotiation struct {
	mechs     []asn1.ObjectIdentifier
	mechTypes []byte                // DER of mechs, which the mechListMICs cover
	apReq     []byte                // the Kerberos token
	answered  bool                  // the acceptor has answered at least once
	chosen    asn1.ObjectIdentifier // the mechanism the acceptor chose
	sent      bool                  // the acceptor has our Kerberos token
	// micReqd says the negotiation needs a mechListMIC from both sides;
	// micSent and micRcvd say which were exchanged.
	micReqd, micSent, micRcvd bool
	// sc is our established context while mechListMICs are exchanged.
	sc *SecurityContext
}

func (n *initNegotiation) close() {
	if n != nil && n.sc != nil {
		n.sc.Close()
		n.sc = nil
	}
}

// startSPNEGO wraps the Kerberos token krbTok into the initiator's first
// SPNEGO token, a NegTokenInit (RFC 4178 section 4.2.1).
func (in *Initiator) startSPNEGO(krbTok []byte, s *initSettings) ([]byte, error) {
	mechs := s.mechs
	if len(mechs) == 0 {
		mechs = []asn1.ObjectIdentifier{OIDKRB5}
	}
	kerberos := false
	for _, m := range mechs {
		kerberos = kerberos || isKRB5(m)
	}
	if !kerberos {
		return nil, gssErr(errortables.GSSBadMech, nil,
			"the SPNEGO mechanism list names no Kerberos mechanism", nil)
	}
	der, err := asn1.Marshal(mechs)
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "encoding the mechanism list", err)
	}
	n := &initNegotiation{mechs: mechs, mechTypes: der, apReq: krbTok}
	in.neg = n
	init := spnego.NegTokenInit{MechTypes: mechs}
	if isKRB5(mechs[0]) {
		init.MechTokenBytes, n.sent = krbTok, true
		if s.micFirst && in.flags&FlagMutual == 0 {
			if n.sc, err = in.established(in.base()); err != nil {
				return nil, err
			}
			if init.MechListMIC, err = n.sc.mic(der); err != nil {
				return nil, err
			}
			n.micReqd, n.micSent = true, true
		}
	}
	b, err := init.Marshal()
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "encoding SPNEGO", err)
	}
	return wrapGSS(OIDSPNEGO, b)
}

// Step processes the acceptor's answer and says what comes next, for
// negotiations of several legs:
//
//   - a context and no token: established, nothing more to send;
//   - a context and a token: established here; send the token (our
//     mechListMIC), the last of the negotiation, and ignore any answer;
//   - no context, a token and an error matching ErrContinueNeeded: send
//     the token and call Step with the acceptor's answer.
//
// tok is the acceptor's SPNEGO NegTokenResp, or its bare Kerberos token
// with RawKerberos. Step checks the AP-REP as Finish does and, when the
// acceptor chose another mechanism than our first, asked for it
// (request-mic) or sent one, exchanges the mechListMICs of RFC 4178
// section 5: the acceptor's must verify over our mechanism list, which
// detects a list an attacker changed. Any other error ends the
// negotiation. Once the negotiation ends, with a context or an error,
// the initiator's keys are wiped.
func (in *Initiator) Step(tok []byte) (*SecurityContext, []byte, error) {
	if err := in.obj.Enter(); err != nil {
		return nil, nil, err
	}
	sc, out, err := in.step(tok)
	in.obj.Leave()
	if !errors.Is(err, ErrContinueNeeded) {
		in.obj.Close() // the negotiation is over
	}
	return sc, out, err
}

// step is Step inside the lifecycle guard.
func (in *Initiator) step(tok []byte) (*SecurityContext, []byte, error) {
	if in.neg == nil {
		sc, err := in.finishKRB5(tok)
		return sc, nil, err
	}
	sc, out, err := in.neg.step(in, tok)
	if err == nil {
		in.neg.sc = nil // the caller's now
	}
	return sc, out, err
}

// step is Step for a SPNEGO negotiation.
func (n *initNegotiation) step(in *Initiator, tok []byte) (*SecurityContext, []byte, error) {
	if len(tok) == 0 {
		if n.sc == nil && n.sent && !n.micReqd && in.flags&FlagMutual == 0 {
			sc, err := in.established(in.base())
			return sc, nil, err
		}
		return nil, nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrMutualFailed,
			"the acceptor sent no SPNEGO answer", nil)
	}
	resp, err := parseNegResp(tok)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "the acceptor's NegTokenResp", err)
	}
	if resp.state == spnegoReject {
		if len(resp.mechToken) > 0 {
			if _, err := in.finishKRB5(resp.mechToken); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, gssErr(errortables.GSSFailure, nil,
			"the acceptor rejected the negotiation", nil)
	}
	if err := n.choice(resp); err != nil {
		return nil, nil, err
	}
	if n.sc == nil {
		out, err := n.kerberos(in, resp)
		if out != nil || err != nil {
			return nil, out, err
		}
	} else if len(resp.mechToken) > 0 {
		if err := n.lateAPRep(in, resp.mechToken); err != nil {
			return nil, nil, err
		}
	}
	return n.mics(resp)
}

// choice checks the mechanism the acceptor names in its first answer:
// one we listed, and Kerberos. When it is not our first choice, both
// sides must send mechListMICs.
func (n *initNegotiation) choice(resp *negRespIn) error {
	first := !n.answered
	n.answered = true
	if resp.state == spnegoRequestMIC {
		n.micReqd = true
	}
	if resp.mech == nil {
		if first && !isKRB5(n.mechs[0]) {
			return gssErr(errortables.GSSDefectiveToken, nil,
				"the acceptor's first answer names no mechanism", nil)
		}
		return nil
	}
	if !first {
		// RFC 4178 section 4.2.2 has it in the first answer alone; MIT
		// and we repeat it later, which changes nothing.
		if !resp.mech.Equal(n.chosen) {
			return gssErr(errortables.GSSDefectiveToken, nil,
				"the acceptor names another mechanism after its first answer", nil)
		}
		return nil
	}
	n.chosen = resp.mech
	listed := false
	for _, m := range n.mechs {
		listed = listed || m.Equal(resp.mech)
	}
	switch {
	case !listed:
		return gssErr(errortables.GSSDefectiveToken, nil,
			"the acceptor chose "+resp.mech.String()+", which we did not offer", nil)
	case !isKRB5(resp.mech):
		return gssErr(errortables.GSSBadMech, nil,
			"the acceptor chose "+resp.mech.String()+", which is not implemented", nil)
	case !resp.mech.Equal(n.mechs[0]):
		n.micReqd = true
	}
	return nil
}

// kerberos moves the Kerberos context on with the acceptor's answer: it
// checks the AP-REP, or sends the AP-REQ the acceptor asks for. It
// returns a token to send when the negotiation continues, and nil once
// n.sc is established.
func (n *initNegotiation) kerberos(in *Initiator, resp *negRespIn) ([]byte, error) {
	var err error
	switch {
	case len(resp.mechToken) > 0 && !n.sent:
		return nil, gssErr(errortables.GSSDefectiveToken, nil,
			"a Kerberos answer before our Kerberos token", nil)
	case len(resp.mechToken) > 0:
		n.sc, err = in.finishKRB5(resp.mechToken)
		return nil, err
	case !n.sent:
		// The acceptor chose Kerberos, which was not our first choice:
		// send the AP-REQ now.
		n.sent = true
		if in.flags&FlagMutual != 0 {
			out, err := negResp(spnegoIncomplete, nil, n.apReq, nil)
			if err != nil {
				return nil, err
			}
			return out, ErrContinueNeeded
		}
		// Without mutual authentication the context is complete once
		// the AP-REQ is out; our MIC goes with it.
		if n.sc, err = in.established(in.base()); err != nil {
			return nil, err
		}
		var mic []byte
		if n.micReqd {
			if mic, err = n.sc.mic(n.mechTypes); err != nil {
				return nil, err
			}
			n.micSent = true
		}
		out, err := negResp(spnegoIncomplete, nil, n.apReq, mic)
		if err != nil {
			return nil, err
		}
		return out, ErrContinueNeeded
	case in.flags&FlagMutual != 0:
		return nil, gssErr(errortables.GSSDefectiveToken, errortables.ErrMutualFailed,
			"the acceptor's SPNEGO answer has no AP-REP", nil)
	}
	n.sc, err = in.established(in.base())
	return nil, err
}

// lateAPRep checks an AP-REP that comes after our context was
// established without mutual authentication (acceptors send one inside
// SPNEGO all the same): it must be authentic and keep our key and
// sequence numbers.
func (n *initNegotiation) lateAPRep(in *Initiator, tok []byte) error {
	part, err := in.verifyAPRep(tok)
	if err != nil {
		return err
	}
	defer support.Wipe(part.Subkey.KeyValue)
	if len(part.Subkey.KeyValue) > 0 || uint32(part.SequenceNumber) != in.seq {
		return gssErr(errortables.GSSDefectiveToken, nil, "an AP-REP that changes "+
			"the key or sequence numbers of a context without mutual authentication", nil)
	}
	return nil
}

// mics exchanges the mechListMICs (RFC 4178 section 5) once the
// Kerberos context n.sc is established: the acceptor's must verify over
// our mechanism list, and ours goes out when the negotiation needs it.
func (n *initNegotiation) mics(resp *negRespIn) (*SecurityContext, []byte, error) {
	sc := n.sc
	if len(resp.mic) > 0 {
		if n.micRcvd {
			return nil, nil, gssErr(errortables.GSSDefectiveToken, nil,
				"a second mechListMIC from the acceptor", nil)
		}
		if err := sc.verifyMIC(n.mechTypes, resp.mic); err != nil {
			return nil, nil, gssErr(errortables.GSSBadMIC, nil,
				"the acceptor's mechListMIC does not verify: the mechanism list "+
					"may have been tampered with", err)
		}
		n.micRcvd, n.micReqd = true, true
	}
	// Ours goes out when the negotiation needs it, unless the acceptor
	// has completed without it, as it may after sending its own.
	var out []byte
	if n.micReqd && !n.micSent && resp.state != spnegoCompleted {
		mic, err := sc.mic(n.mechTypes)
		if err != nil {
			return nil, nil, err
		}
		state := spnegoIncomplete
		if n.micRcvd {
			state = spnegoCompleted
		}
		if out, err = negResp(state, nil, nil, mic); err != nil {
			return nil, nil, err
		}
		n.micSent = true
	}
	switch {
	case n.micReqd && n.micRcvd:
		return sc, out, nil
	case n.micReqd && out != nil:
		return nil, out, ErrContinueNeeded
	case n.micReqd:
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, fmt.Sprintf(
			"the negotiation needs the acceptor's mechListMIC, which its answer "+
				"(state %d) lacks: the mechanism list may have been tampered with",
			resp.state), nil)
	case resp.state != spnegoCompleted:
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, fmt.Sprintf(
			"the acceptor's state is %d with the Kerberos context established",
			resp.state), nil)
	}
	return sc, nil, nil
}
