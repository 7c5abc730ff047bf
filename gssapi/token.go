package gssapi

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/jcmturner/gofork/encoding/asn1"

	"github.com/safekrb5/safekrb5/internal/krbmsg"
)

// Mechanism OIDs.
var (
	// OIDKRB5 is the Kerberos 5 mechanism (RFC 1964, RFC 4121).
	OIDKRB5 = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}
	// OIDMSKRB5 is the OID Windows used for Kerberos 5 by mistake, still
	// sent first by many clients.
	OIDMSKRB5 = asn1.ObjectIdentifier{1, 2, 840, 48018, 1, 2, 2}
	// OIDSPNEGO is the SPNEGO pseudo-mechanism (RFC 4178).
	OIDSPNEGO = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 2}
	// OIDNTLM is NTLMSSP, which this package does not implement.
	OIDNTLM = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 10}
	// OIDNegoEx is NegoEx, which this package does not implement.
	OIDNegoEx = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 2, 30}
)

// Kerberos inner token identifiers (RFC 4121 section 4.1).
var (
	tokAPReq    = [2]byte{0x01, 0x00}
	tokAPRep    = [2]byte{0x02, 0x00}
	tokKRBError = [2]byte{0x03, 0x00}
)

// MaxTokenSize bounds a context token. Tickets with large Windows PACs
// stay well below it.
const MaxTokenSize = 64 << 10

var errToken = errors.New("malformed token")

// derHeader reads a DER tag and definite length at the start of b and
// returns the tag byte, the content and the rest. It accepts lengths up
// to MaxTokenSize and refuses indefinite and non-minimal forms.
func derHeader(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("%w: truncated header", errToken)
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, fmt.Errorf("%w: multi-byte tag", errToken)
	}
	n := int(b[1])
	off := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, fmt.Errorf("%w: unsupported length form", errToken)
		}
		if len(b) < 2+k {
			return 0, nil, nil, fmt.Errorf("%w: truncated length", errToken)
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || n < 1<<(8*(k-1)) {
			return 0, nil, nil, fmt.Errorf("%w: non-minimal length", errToken)
		}
		off += k
	}
	if n > MaxTokenSize {
		return 0, nil, nil, fmt.Errorf("%w: length %d over the %d limit", errToken, n, MaxTokenSize)
	}
	if len(b)-off < n {
		return 0, nil, nil, fmt.Errorf("%w: length %d, only %d bytes follow", errToken,
			n, len(b)-off)
	}
	return tag, b[off : off+n], b[off+n:], nil
}

// appendDERLength appends a DER definite length.
func appendDERLength(b []byte, n int) []byte { return krbmsg.AppendLength(b, n) }

// wrapGSS frames an inner token with its mechanism OID (RFC 2743 section
// 3.1): [APPLICATION 0] { OID, inner }.
func wrapGSS(oid asn1.ObjectIdentifier, inner []byte) ([]byte, error) {
	o, err := asn1.Marshal(oid)
	if err != nil {
		return nil, err
	}
	b := []byte{0x60}
	b = appendDERLength(b, len(o)+len(inner))
	b = append(b, o...)
	return append(b, inner...), nil
}

// unwrapGSS splits an initial context token into its mechanism OID and
// inner token. Trailing bytes after the token are refused.
func unwrapGSS(tok []byte) (asn1.ObjectIdentifier, []byte, error) {
	tag, content, rest, err := derHeader(tok)
	if err != nil {
		return nil, nil, err
	}
	if tag != 0x60 || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: not an initial context token", errToken)
	}
	otag, oidBytes, inner, err := derHeader(content)
	if err != nil || otag != 0x06 {
		return nil, nil, fmt.Errorf("%w: no mechanism OID", errToken)
	}
	oid, err := parseOID(content[:len(content)-len(inner)])
	if err != nil || len(oidBytes) == 0 {
		return nil, nil, fmt.Errorf("%w: bad mechanism OID", errToken)
	}
	return oid, inner, nil
}

// knownOIDs are the DER encodings of the mechanism OIDs, for parseOID.
var knownOIDs = func() map[string]asn1.ObjectIdentifier {
	m := map[string]asn1.ObjectIdentifier{}
	for _, oid := range []asn1.ObjectIdentifier{OIDKRB5, OIDMSKRB5, OIDSPNEGO,
		OIDNTLM, OIDNegoEx} {
		b, err := asn1.Marshal(oid)
		if err != nil {
			panic("gssapi: encoding a mechanism OID: " + err.Error())
		}
		m[string(b)] = oid
	}
	return m
}()

// parseOID decodes a DER OBJECT IDENTIFIER. The mechanism OIDs, nearly
// all a peer ever sends, are looked up by their bytes; the value returned
// for them is shared and must not be changed.
func parseOID(der []byte) (asn1.ObjectIdentifier, error) {
	if oid, ok := knownOIDs[string(der)]; ok {
		return oid, nil
	}
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(der, &oid)
	if err == nil && len(rest) != 0 {
		err = fmt.Errorf("%w: bytes after the OID", errToken)
	}
	return oid, err
}

// krb5Inner splits a Kerberos mechanism token into its token identifier
// and message.
func krb5Inner(inner []byte) ([2]byte, []byte, error) {
	if len(inner) < 3 {
		return [2]byte{}, nil, fmt.Errorf("%w: Kerberos token too short", errToken)
	}
	return [2]byte{inner[0], inner[1]}, inner[2:], nil
}

// isKRB5 reports whether oid names the Kerberos mechanism, under either
// OID.
func isKRB5(oid asn1.ObjectIdentifier) bool {
	return oid.Equal(OIDKRB5) || oid.Equal(OIDMSKRB5)
}

// krb5Token frames a Kerberos message as a mechanism token.
func krb5Token(id [2]byte, msg []byte) ([]byte, error) {
	inner := make([]byte, 0, 2+len(msg))
	inner = append(inner, id[:]...)
	inner = append(inner, msg...)
	return wrapGSS(OIDKRB5, inner)
}

func equalBytes(a, b []byte) bool { return bytes.Equal(a, b) }
