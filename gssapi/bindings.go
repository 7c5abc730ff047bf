package gssapi

import (
	"crypto"
	"crypto/md5"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	// The hashes a certificate signature may name must be linked in
	// for crypto.Hash.New to work.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/safekrb5/safekrb5/errortables"
)

// ChannelBindings are the GSS-API channel bindings of RFC 2744 section
// 3.11 (gss_channel_bindings_struct): they tie a security context to
// the channel it is established over, so that a token relayed through
// another channel is refused. Address types are the GSS_C_AF values;
// for TLS (RFC 5929) both addresses are empty and the application data
// carries the binding. A ChannelBindings is not modified by this
// package and may be shared between goroutines.
type ChannelBindings struct {
	InitiatorAddrType uint32
	InitiatorAddress  []byte
	AcceptorAddrType  uint32
	AcceptorAddress   []byte
	ApplicationData   []byte
}

// ErrNoChannelBindings is returned when channel bindings cannot be
// derived from a connection: no TLS, no certificate, or a certificate
// whose signature names no single hash (RFC 5929 section 4.1).
var ErrNoChannelBindings = errors.New("gssapi: no channel bindings for this connection")

// bndLen is the size of the Bnd field of the authenticator checksum.
const bndLen = md5.Size

// Hash returns the Bnd value of the authenticator checksum for cb: the
// MD5 hash of the bindings laid out as RFC 4121 section 4.1.1.2 says,
// every integer 4 octets little-endian, each address and the
// application data preceded by its length. A nil cb hashes to the
// all-zero Bnd of "no bindings".
func (cb *ChannelBindings) Hash() [bndLen]byte {
	var out [bndLen]byte
	if cb == nil {
		return out
	}
	n := 5*4 + len(cb.InitiatorAddress) + len(cb.AcceptorAddress) +
		len(cb.ApplicationData)
	b := make([]byte, 0, n)
	b = binary.LittleEndian.AppendUint32(b, cb.InitiatorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.InitiatorAddress)))
	b = append(b, cb.InitiatorAddress...)
	b = binary.LittleEndian.AppendUint32(b, cb.AcceptorAddrType)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.AcceptorAddress)))
	b = append(b, cb.AcceptorAddress...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(cb.ApplicationData)))
	b = append(b, cb.ApplicationData...)
	return md5.Sum(b)
}

// tlsServerEndPointPrefix starts the application data of the
// tls-server-end-point binding (RFC 5929 section 4).
const tlsServerEndPointPrefix = "tls-server-end-point:"

// TLSServerEndPoint returns the tls-server-end-point channel bindings
// (RFC 5929 section 4) of a connection seen from the client: those of
// the server's certificate, cs.PeerCertificates[0]. It fails with
// ErrNoChannelBindings when cs is nil or holds no certificate.
func TLSServerEndPoint(cs *tls.ConnectionState) (*ChannelBindings, error) {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return nil, fmt.Errorf("%w: no server certificate", ErrNoChannelBindings)
	}
	return TLSServerEndPointOf(cs.PeerCertificates[0])
}

// TLSServerEndPointOf returns the tls-server-end-point channel bindings
// of a server certificate, as a server computes them for its own
// certificate. The hash is the one the certificate's signature uses,
// SHA-256 when that is MD5 or SHA-1 (RFC 5929 section 4.1); a signature
// without a single hash (Ed25519) gives ErrNoChannelBindings.
func TLSServerEndPointOf(cert *x509.Certificate) (*ChannelBindings, error) {
	if cert == nil || len(cert.Raw) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrNoChannelBindings)
	}
	h, ok := endPointHash(cert.SignatureAlgorithm)
	if !ok {
		return nil, fmt.Errorf("%w: certificate signature %v names no single hash",
			ErrNoChannelBindings, cert.SignatureAlgorithm)
	}
	d := h.New()
	d.Write(cert.Raw)
	data := append([]byte(tlsServerEndPointPrefix), d.Sum(nil)...)
	return &ChannelBindings{ApplicationData: data}, nil
}

// endPointHash maps a certificate signature algorithm to the hash of
// RFC 5929 section 4.1.
func endPointHash(a x509.SignatureAlgorithm) (crypto.Hash, bool) {
	switch a {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256,
		x509.ECDSAWithSHA256:
		return crypto.SHA256, true
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return crypto.SHA384, true
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// checkBindings compares the initiator's Bnd with the acceptor's
// bindings (RFC 4121 section 4.1.1.2). Without acceptor bindings the
// Bnd is not looked at, as MIT does. An all-zero Bnd means the
// initiator sent none: accepted unless required is set, again as MIT
// does by default. Any one of several acceptor bindings may match: a
// server with several certificates offers the bindings of each. It
// reports whether the context is bound to the channel.
func checkBindings(bnd [bndLen]byte, cbs []*ChannelBindings, required bool) (bool, error) {
	if len(cbs) == 0 {
		return false, nil
	}
	if bnd == ([bndLen]byte{}) {
		if required {
			return false, gssErr(errortables.GSSBadBindings, nil,
				"the initiator sent no channel bindings, and they are required", nil)
		}
		return false, nil
	}
	for _, cb := range cbs {
		h := cb.Hash()
		if subtle.ConstantTimeCompare(h[:], bnd[:]) == 1 {
			return true, nil
		}
	}
	return false, gssErr(errortables.GSSBadBindings, nil,
		"the initiator's channel bindings do not match this channel", nil)
}

// ErrBadBindings matches the error of a context whose channel bindings
// do not match the acceptor's (GSS_S_BAD_BINDINGS).
var ErrBadBindings = errortables.ErrGSSBadBindings

// AcceptOption changes how Accept treats one token.
type AcceptOption func(*acceptParams)

type acceptParams struct {
	bindings        []*ChannelBindings
	requireBindings bool
	neg             *Negotiation
	peer            netip.Addr // see AcceptFrom
}

// AcceptBindings gives Accept the channel bindings of the channel the
// token came over; a context whose initiator sent other bindings fails
// with an error matching ErrBadBindings. With several, any one may
// match: a server with several certificates passes the bindings of
// each. An initiator that sent no bindings (an all-zero hash, as curl
// and most browsers send over TLS) is accepted, unbound, unless
// RequireBindings is given too; this is MIT's default.
func AcceptBindings(cbs ...*ChannelBindings) AcceptOption {
	return func(p *acceptParams) {
		for _, cb := range cbs {
			if cb != nil {
				p.bindings = append(p.bindings, cb)
			}
		}
	}
}

// RequireBindings makes Accept refuse, with an error matching
// ErrBadBindings, an initiator that sent no channel bindings when
// AcceptBindings gave some.
func RequireBindings() AcceptOption {
	return func(p *acceptParams) { p.requireBindings = true }
}
