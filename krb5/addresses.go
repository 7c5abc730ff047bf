package krb5

import (
	"net"
	"net/netip"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/addrtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
)

// WithAddresses asks for tickets bound to the network addresses addrs
// (the addresses of an AS request, RFC 4120 section 5.4.1): an acceptor
// that checks addresses takes them only from one of those, and the KDC
// copies them into the service tickets the TGT gets. A KDC may check
// them too: MIT's refuses a TGS request that comes from an address the
// TGT does not name, so addrs must include the one the client reaches
// its KDCs from. Given with no address, WithAddresses asks for
// addressless tickets whatever the configuration says. Without it,
// tickets carry addresses only when the configuration sets noaddresses
// = false: then, as MIT's kinit -a, the host's addresses other than
// loopback and link-local ones, and the extra_addresses.
func WithAddresses(addrs ...netip.Addr) Option {
	return func(s *settings) {
		s.addresses = make([]netip.Addr, 0, len(addrs))
		for _, a := range addrs {
			if a.IsValid() {
				s.addresses = append(s.addresses, a.Unmap())
			}
		}
	}
}

// requestAddresses returns the addresses of an AS request: those of
// WithAddresses, else, with noaddresses = false, the host's and the
// extra_addresses.
func (c *Client) requestAddresses(cfg *config.Config) types.HostAddresses {
	addrs := c.settings.addresses
	if addrs == nil {
		if cfg.LibDefaults.NoAddresses {
			return nil
		}
		addrs = localAddresses()
		for _, ip := range cfg.LibDefaults.ExtraAddresses {
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a.Unmap())
			}
		}
	}
	var out types.HostAddresses
	for _, a := range addrs {
		if h, ok := hostAddress(a); ok {
			out = append(out, h)
		}
	}
	return out
}

// localAddresses lists the host's IP addresses that can name it to
// another host: neither loopback nor link-local. A host whose interfaces
// cannot be listed has none.
func localAddresses() []netip.Addr {
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, ia := range ifaddrs {
		p, ok := ia.(*net.IPNet)
		if !ok {
			continue
		}
		a, ok := netip.AddrFromSlice(p.IP)
		if !ok {
			continue
		}
		a = a.Unmap()
		if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
			continue
		}
		out = append(out, a)
	}
	return out
}

// hostAddress encodes a as a HostAddress of type IPv4 or IPv6 (RFC 4120
// section 7.5.3).
func hostAddress(a netip.Addr) (types.HostAddress, bool) {
	a = a.Unmap()
	switch {
	case a.Is4():
		b := a.As4()
		return types.HostAddress{AddrType: addrtype.IPv4, Address: b[:]}, true
	case a.Is6():
		b := a.As16()
		return types.HostAddress{AddrType: addrtype.IPv6, Address: b[:]}, true
	}
	return types.HostAddress{}, false
}

// inheritAddresses gives t, from a TGS exchange with tgt, the addresses
// of tgt when the reply named none: the KDC copies them into the ticket
// (RFC 4120 section 3.3.3) without repeating them in its reply, as MIT's
// does, unless the request was for a forwarded or proxy ticket, whose
// addresses are the request's.
func inheritAddresses(t, tgt *ServiceTicket, req *messages.KDCReqBody) {
	if len(t.Addresses) > 0 || types.IsFlagSet(&req.KDCOptions, flags.Forwarded) ||
		types.IsFlagSet(&req.KDCOptions, flags.Proxy) {
		return
	}
	t.Addresses = copyAddresses(tgt.Addresses)
}

// copyAddresses copies addresses out of a buffer that is about to be
// wiped.
func copyAddresses(in types.HostAddresses) types.HostAddresses {
	if len(in) == 0 {
		return nil
	}
	out := make(types.HostAddresses, len(in))
	for i, a := range in {
		out[i] = types.HostAddress{AddrType: a.AddrType,
			Address: append([]byte(nil), a.Address...)}
	}
	return out
}

// cacheAddresses and addressesFromCache convert between a ticket's
// addresses and a credential cache's.
func cacheAddresses(in types.HostAddresses) []ccachefile.Address {
	var out []ccachefile.Address
	for _, a := range in {
		out = append(out, ccachefile.Address{Type: a.AddrType,
			Data: append([]byte(nil), a.Address...)})
	}
	return out
}

func addressesFromCache(in []ccachefile.Address) types.HostAddresses {
	var out types.HostAddresses
	for _, a := range in {
		out = append(out, types.HostAddress{AddrType: a.Type,
			Address: append([]byte(nil), a.Data...)})
	}
	return out
}
