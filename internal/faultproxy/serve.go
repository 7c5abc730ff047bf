package faultproxy

import (
	"context"
	"encoding/binary"
	"io"
	"net"
)

// serveUDP reads datagrams until Close, handing each to its own goroutine
// so that a delayed reply does not hold up the next request.
func (p *Proxy) serveUDP() {
	defer p.wg.Done()
	buf := make([]byte, maxUDPPayload)
	for {
		n, addr, err := p.udp.ReadFrom(buf)
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			continue // a stray ICMP error on an unconnected socket
		}
		gate := p.received("udp")
		f := p.fault.Load().over("udp")
		if !p.acquire() {
			continue
		}
		req := append([]byte(nil), buf[:n]...)
		p.wg.Add(1)
		go p.handleUDP(req, addr, f, gate)
	}
}

// handleUDP answers one datagram according to f; a held reply waits for
// gate.
func (p *Proxy) handleUDP(req []byte, addr net.Addr, f Fault,
	gate <-chan struct{}) {
	defer p.wg.Done()
	defer p.release()
	var out [][]byte
	switch f.Kind {
	case Drop, Reset:
		return
	case Garbage:
		out = [][]byte{garbage(GarbageSize)}
	case OversizedLength:
		out = [][]byte{garbage(maxUDPPayload)}
	default:
		rep, err := p.upstream("udp", req)
		if err != nil {
			return
		}
		out = udpReplies(f, rep)
	}
	if f.Kind == Delay && !p.wait(f.Delay) {
		return
	}
	if f.Kind == Hold && !p.held(gate) {
		return
	}
	for _, b := range out {
		if _, err := p.udp.WriteTo(b, addr); err != nil {
			return
		}
	}
}

// udpReplies returns the datagrams f makes of the KDC's reply rep.
func udpReplies(f Fault, rep []byte) [][]byte {
	switch f.Kind {
	case Duplicate:
		return [][]byte{rep, rep}
	case Truncate, CloseMidReply:
		return [][]byte{rep[:len(rep)/2]}
	case Corrupt:
		return [][]byte{corrupt(rep)}
	default: // Pass, Delay, Hold
		return [][]byte{rep}
	}
}

// serveTCP accepts connections until Close. A connection beyond
// MaxInFlight is closed at once.
func (p *Proxy) serveTCP() {
	defer p.wg.Done()
	for {
		conn, err := p.tcp.Accept()
		if err != nil {
			return // closed, or the listener is unusable
		}
		if !p.acquire() {
			conn.Close()
			continue
		}
		p.wg.Add(1)
		go p.handleTCP(conn)
	}
}

// handleTCP serves the requests of one connection, each forwarded on a
// new upstream connection, until the client closes it, a fault ends it,
// or the proxy closes.
func (p *Proxy) handleTCP(conn net.Conn) {
	defer p.wg.Done()
	defer p.release()
	defer conn.Close()
	stop := context.AfterFunc(p.ctx, func() { conn.Close() })
	defer stop()
	for {
		req, err := readFrame(conn)
		if err != nil {
			return
		}
		gate := p.received("tcp")
		if !p.answerTCP(conn, req, p.fault.Load().over("tcp"), gate) {
			return
		}
	}
}

// answerTCP answers one request according to f and reports whether the
// connection may carry another one; a held reply waits for gate.
func (p *Proxy) answerTCP(conn net.Conn, req []byte, f Fault,
	gate <-chan struct{}) bool {
	switch f.Kind {
	case Drop:
		hold(conn)
		return false
	case Reset:
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // the close that follows sends RST
		}
		return false
	case Garbage:
		return write(conn, frame(garbage(GarbageSize)))
	case OversizedLength:
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], OversizedPrefix)
		if write(conn, hdr[:]) {
			hold(conn)
		}
		return false
	}

	rep, err := p.upstream("tcp", req)
	if err != nil {
		return false
	}
	switch f.Kind {
	case Delay:
		return p.wait(f.Delay) && write(conn, frame(rep))
	case Hold:
		return p.held(gate) && write(conn, frame(rep))
	case Duplicate:
		return write(conn, append(frame(rep), frame(rep)...))
	case Truncate:
		return write(conn, frame(rep[:len(rep)/2]))
	case Corrupt:
		return write(conn, frame(corrupt(rep)))
	case CloseMidReply:
		write(conn, frame(rep)[:4+len(rep)/2])
		return false
	default: // Pass
		return write(conn, frame(rep))
	}
}

// write sends b and reports success.
func write(conn net.Conn, b []byte) bool {
	_, err := conn.Write(b)
	return err == nil
}

// hold keeps conn open, discarding what the client sends, until the client
// closes it or the proxy's Close does.
func hold(conn net.Conn) { io.Copy(io.Discard, conn) }
