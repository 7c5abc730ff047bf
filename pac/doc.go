// Package pac decodes and verifies the Privilege Attribute Certificate
// that Active Directory and Samba put in Kerberos tickets (MS-PAC), and
// the minimal one of MIT Kerberos 1.20 and later.
//
// A PAC travels in a ticket's authorization data, inside AD-IF-RELEVANT
// (RFC 4120 section 5.2.6.1) as AD-WIN2K-PAC (MS-PAC section 2.1).
// FromAuthorizationData finds it and Parse decodes it: the PACTYPE
// header and its buffers (MS-PAC section 2.3), the logon information
// with the user's groups and SIDs (KERB_VALIDATION_INFO, section 2.5,
// in NDR as MS-RPCE section 2.2.6 serializes it), the client
// information (section 2.7), the UPN and DNS information (section 2.10),
// the delegation information of tickets obtained with S4U2Proxy
// (section 2.9), the attributes and requestor of TGT PACs (sections
// 2.14 and 2.15), and the signatures (section 2.8). Buffers of other
// types stay available as bytes.
//
// The decoder is this package's own: every offset, length and count is
// checked against the data before use, so malformed input, from a KDC or
// from whoever holds a service key, gives a *FormatError matching
// ErrMalformed, never a panic or an allocation larger than the input.
// gokrb5's decoder, which panics on such input, is not used.
//
// An acceptor checks a PAC before trusting it: VerifyServerChecksum with
// the service key the ticket decrypted with, VerifyClient against the
// ticket's client and authentication time, and, where the krbtgt keys
// are at hand, VerifyKDCChecksum. Package gssapi does all three for the
// contexts it accepts (gssapi.SecurityContext.PAC).
//
// BUG(safekrb5): the ticket signature and the full PAC signature that
// current KDCs add (MS-PAC sections 2.8.3 and 2.8.5) are decoded but not
// verified: they serve the KDC, which checks them in the tickets it is
// given back; an acceptor relies on the server and KDC signatures.
//
// BUG(safekrb5): claims (client and device) and device information are
// not decoded; their buffers are left in PAC.Buffers as bytes. A PAC
// whose logon information uses NDR64 or big-endian NDR, which no KDC
// writes, is refused as malformed.
package pac
