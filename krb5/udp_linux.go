//go:build linux

package krb5

import (
	"net"
	"net/netip"
	"os"
	"syscall"
)

// dialUDPAddr connects a datagram socket to ap with the two system calls
// it takes and hands it to the runtime's poller as a file, which reads,
// writes, keeps deadlines and closes as a net.Conn does. net.DialUDP
// also sets SO_BROADCAST and asks the socket's two addresses back: three
// more system calls, and their allocations, for every exchange. A zoned
// IPv6 address, whose zone needs an interface lookup, goes through
// net.DialUDP.
func dialUDPAddr(ap netip.AddrPort) (udpConn, error) {
	addr := ap.Addr().Unmap()
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	switch {
	case addr.Is4():
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: addr.As4()}
	case addr.Zone() == "":
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: addr.As16()}
	default:
		return net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ap))
	}
	fd, err := syscall.Socket(family,
		syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	for {
		err = syscall.Connect(fd, sa)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, &net.OpError{Op: "dial", Net: "udp",
			Addr: net.UDPAddrFromAddrPort(ap), Err: os.NewSyscallError("connect", err)}
	}
	return os.NewFile(uintptr(fd), "udp "+ap.String()), nil
}
