package gssapi

import (
	"fmt"
	"net/netip"

	"github.com/jcmturner/gokrb5/v8/iana/addrtype"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
)

// ErrBadAddress matches the error of a ticket that carries network
// addresses none of which is the initiator's (KRB_AP_ERR_BADADDR, under
// GSS_S_FAILURE); see WithAddressCheck.
var ErrBadAddress = krb5Err("KRB5KRB_AP_ERR_BADADDR")

// WithAddressCheck makes the credential check the addresses a ticket
// carries against the initiator's (RFC 4120 section 3.2.3): a ticket
// issued with addresses (kinit -a, noaddresses = false,
// krb5.WithAddresses) is accepted only from one of them, and refused
// with an error matching ErrBadAddress otherwise, including when Accept
// is not told where the token came from (AcceptFrom). A ticket without
// addresses, as MIT's and Heimdal's clients ask for by default, is
// accepted from anywhere. The Middleware gives Accept the address of the
// request's peer, which behind a proxy is the proxy's.
func WithAddressCheck() AcceptorOption {
	return func(s *acceptorSettings) { s.checkAddresses = true }
}

// AcceptFrom tells Accept the network address the token came from, for
// the address check: with it, a ticket that carries addresses is
// accepted only when addr is among them, whether or not the credential
// was made WithAddressCheck.
func AcceptFrom(addr netip.Addr) AcceptOption {
	return func(p *acceptParams) { p.peer = addr }
}

// checkAddresses refuses a ticket whose addresses caddr do not include
// peer; an addressless ticket passes. IPv4 addresses match in either of
// their IPv6 forms.
func checkAddresses(caddr types.HostAddresses, peer netip.Addr) error {
	if len(caddr) == 0 {
		return nil
	}
	if !peer.IsValid() {
		return gssErr(errortables.GSSFailure, ErrBadAddress,
			"the ticket carries addresses and the initiator's is not known", nil)
	}
	peer = peer.Unmap().WithZone("")
	for _, h := range caddr {
		var a netip.Addr
		switch {
		case h.AddrType == addrtype.IPv4 && len(h.Address) == 4:
			a = netip.AddrFrom4([4]byte(h.Address))
		case h.AddrType == addrtype.IPv6 && len(h.Address) == 16:
			a = netip.AddrFrom16([16]byte(h.Address)).Unmap()
		default:
			continue // NetBIOS and other types name no IP peer
		}
		if a == peer {
			return nil
		}
	}
	return gssErr(errortables.GSSFailure, ErrBadAddress, fmt.Sprintf(
		"the ticket is not valid from %s (it names %d addresses)", peer, len(caddr)), nil)
}
