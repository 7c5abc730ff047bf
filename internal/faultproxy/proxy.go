package faultproxy

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Limits that keep the proxy bounded.
const (
	// MaxMessage bounds a request and an upstream reply, in bytes.
	MaxMessage = 1 << 20
	// MaxInFlight bounds the requests served at once; a request beyond it
	// is dropped (a TCP connection beyond it is closed at once).
	MaxInFlight = 32
	// UpstreamTimeout bounds one exchange with the target KDC.
	UpstreamTimeout = 10 * time.Second
)

// Proxy is a running fault-injecting proxy. Its methods are safe for
// concurrent use.
type Proxy struct {
	target string // immutable after Start
	port   int    // immutable after Start
	tcp    net.Listener
	udp    net.PacketConn

	fault atomic.Pointer[Fault]

	// holdMu guards gate, which Release closes and replaces: the
	// replies held by Hold wait for it.
	holdMu sync.Mutex
	gate   chan struct{}

	// mu guards requests, perNetwork and arrived, which is closed and
	// replaced each time a request arrives.
	mu         sync.Mutex
	requests   int64
	perNetwork map[string]int64
	arrived    chan struct{}

	// ctx ends when Close is called; every goroutine watches it.
	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{} // one token per request in flight
	wg     sync.WaitGroup

	closeOnce sync.Once
}

// Start listens on 127.0.0.1, on one free port for both UDP and TCP, and
// forwards to target (host:port, the same port for both transports)
// applying f. The caller must Close the proxy.
func Start(target string, f Fault) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	tcp, udp, err := listenPair()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target:     target,
		port:       tcp.Addr().(*net.TCPAddr).Port,
		tcp:        tcp,
		udp:        udp,
		ctx:        ctx,
		cancel:     cancel,
		slots:      make(chan struct{}, MaxInFlight),
		arrived:    make(chan struct{}),
		perNetwork: make(map[string]int64),
		gate:       make(chan struct{}),
	}
	p.fault.Store(&f)
	p.wg.Add(2)
	go p.serveTCP()
	go p.serveUDP()
	return p, nil
}

// listenPair binds TCP and UDP listeners on the same free loopback port.
func listenPair() (net.Listener, net.PacketConn, error) {
	var last error
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("faultproxy: listen: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1",
			strconv.Itoa(port)))
		if err == nil {
			return l, u, nil
		}
		l.Close()
		last = err
	}
	return nil, nil, fmt.Errorf("faultproxy: no port free for TCP and UDP: %w",
		last)
}

// Addr returns the proxy's address, 127.0.0.1:port, valid for UDP and
// TCP.
func (p *Proxy) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
}

// Port returns the proxy's port number.
func (p *Proxy) Port() int { return p.port }

// Set replaces the fault for requests that arrive from now on.
func (p *Proxy) Set(f Fault) { p.fault.Store(&f) }

// Requests returns how many requests the proxy has received, so a test can
// tell that a client really went through it.
func (p *Proxy) Requests() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// RequestsOver returns how many requests arrived over network, "udp" or
// "tcp".
func (p *Proxy) RequestsOver(network string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.perNetwork[network]
}

// WaitRequests blocks until the proxy has received n requests in all, or
// ctx ends.
func (p *Proxy) WaitRequests(ctx context.Context, n int64) error {
	for {
		p.mu.Lock()
		got, ch := p.requests, p.arrived
		p.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("faultproxy: %d of %d requests: %w", got, n,
				ctx.Err())
		}
	}
}

// received counts one request over network, wakes WaitRequests, and
// returns the gate that the next Release opens.
func (p *Proxy) received(network string) <-chan struct{} {
	p.holdMu.Lock()
	gate := p.gate
	p.holdMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	p.perNetwork[network]++
	close(p.arrived)
	p.arrived = make(chan struct{})
	return gate
}

// Close stops the listeners, ends every exchange in progress and waits for
// all of the proxy's goroutines. It is idempotent and returns nil.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		p.tcp.Close()
		p.udp.Close()
	})
	p.wg.Wait()
	return nil
}

// acquire takes a slot for one request without waiting; false means the
// proxy is full or closing.
func (p *Proxy) acquire() bool {
	if p.ctx.Err() != nil {
		return false
	}
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (p *Proxy) release() { <-p.slots }

// Release lets the replies held by the Hold fault for every request
// received so far go to their clients. Replies to requests that arrive
// later are held until the next Release.
func (p *Proxy) Release() {
	p.holdMu.Lock()
	defer p.holdMu.Unlock()
	close(p.gate)
	p.gate = make(chan struct{})
}

// held blocks until gate, taken when the request arrived, is opened by
// Release, or until Close; it reports whether Release came.
func (p *Proxy) held(gate <-chan struct{}) bool {
	select {
	case <-gate:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// wait blocks for d or until Close, reporting whether d passed.
func (p *Proxy) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}

// upstream forwards one request to the target over network and returns
// the reply (without the TCP length prefix).
func (p *Proxy) upstream(network string, req []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(p.ctx, UpstreamTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, p.target)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if network == "udp" {
		if _, err := conn.Write(req); err != nil {
			return nil, err
		}
		buf := make([]byte, maxUDPPayload)
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	if _, err := conn.Write(frame(req)); err != nil {
		return nil, err
	}
	return readFrame(conn)
}

// frame prefixes msg with its four-byte big-endian length (RFC 4120,
// section 7.2.2).
func frame(msg []byte) []byte {
	out := make([]byte, 4+len(msg))
	binary.BigEndian.PutUint32(out, uint32(len(msg)))
	copy(out[4:], msg)
	return out
}

// readFrame reads one length-prefixed message of at most MaxMessage bytes.
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > MaxMessage {
		return nil, fmt.Errorf("faultproxy: message length %d out of bounds", n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}
