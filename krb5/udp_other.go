//go:build !linux

package krb5

import (
	"net"
	"net/netip"
)

// dialUDPAddr connects a datagram socket to ap.
func dialUDPAddr(ap netip.AddrPort) (udpConn, error) {
	return net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
}
