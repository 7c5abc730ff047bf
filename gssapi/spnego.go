package gssapi

import (
	"errors"
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"

	"github.com/safekrb5/safekrb5/errortables"
)

// SPNEGO negotiation states (RFC 4178 section 4.2.2).
const (
	spnegoCompleted  = 0
	spnegoIncomplete = 1
	spnegoReject     = 2
)

// maxMechs bounds the mechanism list of a NegTokenInit; clients send
// four or five.
const maxMechs = 32

// Negotiation is the acceptor's memory of one SPNEGO negotiation (RFC
// 4178) between its legs: the initiator's mechanism list, which the
// mechListMIC covers, and a context established but waiting for the
// initiator's mechListMIC. A negotiation that takes more than one leg
// (a client that lists NTLM or NegoEx before Kerberos, or sends no
// optimistic token) needs one, passed to every Accept of the
// negotiation with WithNegotiation; without it Accept refuses the
// second leg, as it could not check the mechanism list. The zero value
// is ready to use. A Negotiation is not safe for concurrent use: a
// server keeps one per connection. Close releases a context it holds.
type Negotiation struct {
	mechTypes []byte                // DER of the initiator's MechTypeList
	mech      asn1.ObjectIdentifier // the Kerberos OID as the initiator listed it
	micNeeded bool                  // Kerberos was not the initiator's first choice
	pending   *SecurityContext      // established, waiting for the initiator's MIC
}

// WithNegotiation makes Accept continue the SPNEGO negotiation n: the
// first leg records into it, later legs read it.
func WithNegotiation(n *Negotiation) AcceptOption {
	return func(p *acceptParams) { p.neg = n }
}

// Close closes a context the negotiation holds and forgets the
// negotiation. It is safe to call on a nil or zero Negotiation and more
// than once.
func (n *Negotiation) Close() {
	if n == nil {
		return
	}
	if n.pending != nil {
		n.pending.Close()
	}
	*n = Negotiation{}
}

// started reports whether a first leg was recorded.
func (n *Negotiation) started() bool { return n != nil && n.mechTypes != nil }

// negInit is a decoded NegTokenInit (RFC 4178 section 4.2.1).
type negInit struct {
	mechTypes []byte // DER of the MechTypeList, as the MIC covers it
	mechs     []asn1.ObjectIdentifier
	mechToken []byte
	mic       []byte
}

// negRespIn is a decoded NegTokenResp (RFC 4178 section 4.2.2), whose
// negState is optional after the first leg.
type negRespIn struct {
	state     int                   // -1 when absent
	mech      asn1.ObjectIdentifier // supportedMech, from an acceptor
	mechToken []byte
	mic       []byte
}

var errSPNEGO = errors.New("malformed SPNEGO token")

// spnegoFields walks the context-tagged fields [0]..[3] of a SPNEGO
// sequence wrapped in the CHOICE tag want, in increasing order.
func spnegoFields(b []byte, want byte, f func(tag byte, content []byte) error) error {
	tag, choice, rest, err := derHeader(b)
	if err != nil || tag != want || len(rest) != 0 {
		return fmt.Errorf("%w: not a NegotiationToken of the expected kind", errSPNEGO)
	}
	tag, body, rest, err := derHeader(choice)
	if err != nil || tag != 0x30 || len(rest) != 0 {
		return fmt.Errorf("%w: no sequence", errSPNEGO)
	}
	last := -1
	for len(body) > 0 {
		var content []byte
		tag, content, body, err = derHeader(body)
		if err != nil {
			return fmt.Errorf("%w: %w", errSPNEGO, err)
		}
		n := int(tag) - 0xa0
		if n < 0 || n > 3 || n <= last {
			return fmt.Errorf("%w: unexpected field tag %#x", errSPNEGO, tag)
		}
		last = n
		if err := f(tag, content); err != nil {
			return err
		}
	}
	return nil
}

// octets decodes an OCTET STRING that fills b.
func octets(b []byte) ([]byte, error) {
	tag, v, rest, err := derHeader(b)
	if err != nil || tag != 0x04 || len(rest) != 0 {
		return nil, fmt.Errorf("%w: not an OCTET STRING", errSPNEGO)
	}
	return v, nil
}

// parseNegInit decodes the NegotiationToken of an initial SPNEGO token,
// keeping the mechanism list's DER for the mechListMIC.
func parseNegInit(b []byte) (*negInit, error) {
	var out negInit
	err := spnegoFields(b, 0xa0, func(tag byte, c []byte) error {
		var err error
		switch tag {
		case 0xa0:
			out.mechTypes = c
			out.mechs, err = parseMechTypes(c)
		case 0xa2:
			out.mechToken, err = octets(c)
		case 0xa3:
			out.mic, err = octets(c)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.mechTypes == nil {
		return nil, fmt.Errorf("%w: no mechanism list", errSPNEGO)
	}
	return &out, nil
}

// parseMechTypes decodes MechTypeList, a SEQUENCE OF OBJECT IDENTIFIER.
func parseMechTypes(b []byte) ([]asn1.ObjectIdentifier, error) {
	tag, body, rest, err := derHeader(b)
	if err != nil || tag != 0x30 || len(rest) != 0 {
		return nil, fmt.Errorf("%w: mechanism list is not a sequence", errSPNEGO)
	}
	var out []asn1.ObjectIdentifier
	for len(body) > 0 {
		if len(out) == maxMechs {
			return nil, fmt.Errorf("%w: more than %d mechanisms", errSPNEGO, maxMechs)
		}
		tag, _, next, err := derHeader(body)
		if err != nil || tag != 0x06 {
			return nil, fmt.Errorf("%w: mechanism is not an OID", errSPNEGO)
		}
		oid, err := parseOID(body[:len(body)-len(next)])
		if err != nil {
			return nil, fmt.Errorf("%w: bad mechanism OID", errSPNEGO)
		}
		out = append(out, oid)
		body = next
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty mechanism list", errSPNEGO)
	}
	return out, nil
}

// parseNegResp decodes a NegTokenResp.
func parseNegResp(b []byte) (*negRespIn, error) {
	out := negRespIn{state: -1}
	err := spnegoFields(b, 0xa1, func(tag byte, c []byte) error {
		switch tag {
		case 0xa0:
			t, v, rest, err := derHeader(c)
			if err != nil || t != 0x0a || len(v) != 1 || len(rest) != 0 {
				return fmt.Errorf("%w: bad negState", errSPNEGO)
			}
			out.state = int(v[0])
		case 0xa1:
			t, _, rest, err := derHeader(c)
			if err != nil || t != 0x06 || len(rest) != 0 {
				return fmt.Errorf("%w: bad supportedMech", errSPNEGO)
			}
			if out.mech, err = parseOID(c); err != nil {
				return fmt.Errorf("%w: bad supportedMech", errSPNEGO)
			}
		case 0xa2:
			var err error
			out.mechToken, err = octets(c)
			return err
		case 0xa3:
			var err error
			out.mic, err = octets(c)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// acceptNegInit handles a SPNEGO NegTokenInit. When Kerberos (under
// either OID) is the initiator's first choice and its optimistic token
// is there, it accepts that token at once. Otherwise it answers
// accept-incomplete naming Kerberos, as the OID the initiator listed,
// and records the negotiation for the next leg (RFC 4178 section 3.2).
func (ac *AcceptorCredential) acceptNegInit(inner []byte, p *acceptParams) (*SecurityContext, []byte, error) {
	init, err := parseNegInit(inner)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "NegTokenInit", err)
	}
	pos := -1
	for i, m := range init.mechs {
		if isKRB5(m) {
			pos = i
			break
		}
	}
	if pos < 0 {
		tok, _ := negResp(spnegoReject, nil, nil, nil)
		return nil, tok, gssErr(errortables.GSSBadMech, nil,
			"the initiator offers no Kerberos mechanism", nil)
	}
	st := &Negotiation{mechTypes: append([]byte(nil), init.mechTypes...),
		mech: init.mechs[pos], micNeeded: pos > 0}
	if pos == 0 && len(init.mechToken) > 0 {
		return ac.finishSPNEGO(st, init.mechToken, init.mic, p)
	}
	tok, err := negResp(spnegoIncomplete, st.mech, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	if p.neg != nil {
		p.neg.Close()
		*p.neg = *st
	}
	return nil, tok, ErrContinueNeeded
}

// acceptNegResp handles a later SPNEGO leg: a NegTokenResp carrying the
// Kerberos token the first answer asked for, or the initiator's
// mechListMIC for a context already established.
func (ac *AcceptorCredential) acceptNegResp(tok []byte, p *acceptParams) (*SecurityContext, []byte, error) {
	resp, err := parseNegResp(tok)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "NegTokenResp", err)
	}
	n := p.neg
	if !n.started() {
		return nil, nil, gssErr(errortables.GSSNoContext, nil,
			"a SPNEGO continuation without its negotiation (see WithNegotiation)", nil)
	}
	if resp.state == spnegoReject {
		n.Close()
		return nil, nil, gssErr(errortables.GSSFailure, nil,
			"the initiator rejected the negotiation", nil)
	}
	if sc := n.pending; sc != nil {
		n.pending = nil
		defer n.Close()
		if len(resp.mechToken) > 0 || len(resp.mic) == 0 {
			sc.Close()
			return nil, nil, gssErr(errortables.GSSDefectiveToken, nil,
				"SPNEGO leg without the initiator's mechListMIC", nil)
		}
		if err := verifyMechListMIC(sc, n.mechTypes, resp.mic); err != nil {
			sc.Close()
			return nil, nil, err
		}
		out, err := negResp(spnegoCompleted, nil, nil, nil)
		if err != nil {
			sc.Close()
			return nil, nil, err
		}
		return sc, out, nil
	}
	if len(resp.mechToken) == 0 {
		n.Close()
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil,
			"SPNEGO response carries no mechanism token", nil)
	}
	sc, out, err := ac.finishSPNEGO(n, resp.mechToken, resp.mic, p)
	if err != nil && !errors.Is(err, ErrContinueNeeded) {
		n.Close()
	}
	return sc, out, err
}

// finishSPNEGO accepts the Kerberos token inside SPNEGO and answers
// with the AP-REP in a NegTokenResp. The mechListMIC follows RFC 4178
// section 5: when Kerberos was not the initiator's first choice, or the
// initiator sent a MIC, the initiator's MIC over the mechanism list
// must verify and the acceptor sends its own. If the initiator's MIC
// is still to come (its context completes only with our AP-REP), the
// answer is accept-incomplete with our MIC, and the context waits in
// the negotiation for the next leg.
func (ac *AcceptorCredential) finishSPNEGO(n *Negotiation, mechTok, mic []byte,
	p *acceptParams) (*SecurityContext, []byte, error) {
	oid, inner, err := unwrapGSS(mechTok)
	if err != nil {
		return nil, nil, gssErr(errortables.GSSDefectiveToken, nil, "inside SPNEGO", err)
	}
	if !isKRB5(oid) {
		return nil, nil, gssErr(errortables.GSSBadMech, nil, "mechanism "+oid.String(), nil)
	}
	sc, rep, err := ac.acceptKRB5(inner, true, p)
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			sc.Close()
		}
	}()
	if !n.micNeeded && len(mic) == 0 {
		tok, err := negResp(spnegoCompleted, n.mech, rep, nil)
		if err != nil {
			return nil, nil, err
		}
		if p.neg != nil {
			p.neg.Close()
		}
		ok = true
		return sc, tok, nil
	}
	if len(mic) > 0 {
		if err := verifyMechListMIC(sc, n.mechTypes, mic); err != nil {
			return nil, nil, err
		}
	}
	ours, err := sc.MIC(n.mechTypes)
	if err != nil {
		return nil, nil, err
	}
	if len(mic) > 0 {
		tok, err := negResp(spnegoCompleted, n.mech, rep, ours)
		if err != nil {
			return nil, nil, err
		}
		if p.neg != nil {
			p.neg.Close()
		}
		ok = true
		return sc, tok, nil
	}
	if p.neg == nil || p.neg != n {
		return nil, nil, gssErr(errortables.GSSFailure, nil,
			"the initiator's mechListMIC is needed, and no negotiation "+
				"keeps the context for it (see WithNegotiation)", nil)
	}
	tok, err := negResp(spnegoIncomplete, n.mech, rep, ours)
	if err != nil {
		return nil, nil, err
	}
	n.pending = sc
	ok = true
	return nil, tok, ErrContinueNeeded
}

// verifyMechListMIC checks the initiator's mechListMIC (RFC 4178
// section 5) with the context's key.
func verifyMechListMIC(sc *SecurityContext, mechTypes, mic []byte) error {
	if err := sc.VerifyMIC(mechTypes, mic); err != nil {
		return gssErr(errortables.GSSBadMIC, nil,
			"the initiator's mechListMIC does not verify: the mechanism list "+
				"may have been tampered with", err)
	}
	return nil
}

// negResp encodes a NegTokenResp.
func negResp(state int, mech asn1.ObjectIdentifier, respTok, mic []byte) ([]byte, error) {
	var oid []byte
	if len(mech) > 0 {
		var err error
		if oid, err = asn1.Marshal(mech); err != nil {
			return nil, gssErr(errortables.GSSFailure, nil, "encoding the SPNEGO answer", err)
		}
	}
	// NegTokenResp (RFC 4178 section 4.2.2) inside [1], the form gokrb5
	// encodes: negState always, the other fields when not empty.
	body := []byte{0xa0, 3, 0x0a, 1, byte(state)}
	if len(oid) > 0 {
		body = append(body, 0xa1)
		body = appendDERLength(body, len(oid))
		body = append(body, oid...)
	}
	body = appendOctetsField(body, 0xa2, respTok)
	body = appendOctetsField(body, 0xa3, mic)
	seq := append([]byte{0x30}, appendDERLength(nil, len(body))...)
	out := append([]byte{0xa1}, appendDERLength(nil, len(seq)+len(body))...)
	return append(append(out, seq...), body...), nil
}

// appendOctetsField appends [tag] OCTET STRING v, nothing for an empty v.
func appendOctetsField(b []byte, tag byte, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	inner := append([]byte{0x04}, appendDERLength(nil, len(v))...)
	b = append(b, tag)
	b = appendDERLength(b, len(inner)+len(v))
	return append(append(b, inner...), v...)
}
