package faultproxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// quiet is how long a test waits to see that nothing arrives. Absence
// cannot be observed otherwise; it is short because the proxy and the
// target are on loopback and a present answer comes in microseconds.
const quiet = 150 * time.Millisecond

// echo is the proxy's target in these tests: on one port it answers every
// UDP datagram and every framed TCP message m with "R" followed by m. The
// krb5 package's fault tests put a real MIT KDC behind the proxy; here the
// point is the exact bytes each fault produces.
func echo(t *testing.T) string {
	t.Helper()
	l, u, err := listenPair()
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, maxUDPPayload)
		for {
			n, addr, err := u.ReadFrom(buf)
			if err != nil {
				return
			}
			u.WriteTo(append([]byte("R"), buf[:n]...), addr)
		}
	}()
	go func() {
		defer wg.Done()
		var conns sync.WaitGroup
		defer conns.Wait()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				for {
					m, err := readFrame(c)
					if err != nil {
						return
					}
					c.Write(frame(append([]byte("R"), m...)))
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		u.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

func start(t *testing.T, f Fault) *Proxy {
	t.Helper()
	p, err := Start(echo(t), f)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

var request = []byte("0123456789abcdef0123456789abcdef")

// udpExchange sends request and collects the datagrams that arrive until
// the line has been quiet for a moment.
func udpExchange(t *testing.T, p *Proxy) [][]byte {
	t.Helper()
	c, err := net.Dial("udp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(request)
	require.NoError(t, err)
	var got [][]byte
	buf := make([]byte, maxUDPPayload+1)
	deadline := 5 * time.Second // the first answer; later ones are quick
	for {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(deadline)))
		n, err := c.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		require.NoError(t, err)
		got = append(got, append([]byte(nil), buf[:n]...))
		deadline = quiet
	}
}

func reply() []byte { return append([]byte("R"), request...) }

func TestUDPFaults(t *testing.T) {
	rep := reply()
	tests := []struct {
		fault Fault
		want  [][]byte
	}{
		{Fault{Kind: Pass}, [][]byte{rep}},
		{Fault{Kind: Delay, Delay: 20 * time.Millisecond}, [][]byte{rep}},
		{Fault{Kind: Duplicate}, [][]byte{rep, rep}},
		{Fault{Kind: Truncate}, [][]byte{rep[:len(rep)/2]}},
		{Fault{Kind: CloseMidReply}, [][]byte{rep[:len(rep)/2]}},
		{Fault{Kind: Corrupt}, [][]byte{corrupt(rep)}},
		{Fault{Kind: Garbage}, [][]byte{garbage(GarbageSize)}},
		{Fault{Kind: OversizedLength}, [][]byte{garbage(maxUDPPayload)}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			p := start(t, tt.fault)
			assert.Equal(t, tt.want, udpExchange(t, p))
			assert.EqualValues(t, 1, p.Requests())
		})
	}
}

func TestUDPSilentFaults(t *testing.T) {
	for _, k := range []Kind{Drop, Reset} {
		t.Run(k.String(), func(t *testing.T) {
			p := start(t, Fault{Kind: k})
			c, err := net.Dial("udp", p.Addr())
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write(request)
			require.NoError(t, err)
			require.NoError(t, c.SetReadDeadline(time.Now().Add(quiet)))
			_, err = c.Read(make([]byte, 64))
			assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		})
	}
}

// tcpExchange sends one framed request and returns everything the proxy
// sends until it closes the connection, resets it, or goes quiet; first
// is how long to wait for the first bytes.
func tcpExchange(t *testing.T, p *Proxy, first time.Duration) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(frame(request))
	require.NoError(t, err)
	var got bytes.Buffer
	buf := make([]byte, 4096)
	deadline := first
	for {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(deadline)))
		n, err := c.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			return got.Bytes(), err
		}
		deadline = quiet
	}
}

func TestTCPFaults(t *testing.T) {
	rep := reply()
	var huge [4]byte
	binary.BigEndian.PutUint32(huge[:], OversizedPrefix)
	tests := []struct {
		fault   Fault
		want    []byte
		wantErr error // how the read ended
	}{
		{Fault{Kind: Pass}, frame(rep), os.ErrDeadlineExceeded},
		{Fault{Kind: Delay, Delay: 20 * time.Millisecond}, frame(rep),
			os.ErrDeadlineExceeded},
		{Fault{Kind: Duplicate}, append(frame(rep), frame(rep)...),
			os.ErrDeadlineExceeded},
		{Fault{Kind: Truncate}, frame(rep[:len(rep)/2]), os.ErrDeadlineExceeded},
		{Fault{Kind: Corrupt}, frame(corrupt(rep)), os.ErrDeadlineExceeded},
		{Fault{Kind: Garbage}, frame(garbage(GarbageSize)), os.ErrDeadlineExceeded},
		{Fault{Kind: CloseMidReply}, frame(rep)[:4+len(rep)/2], io.EOF},
		{Fault{Kind: Reset}, nil, syscall.ECONNRESET},
		{Fault{Kind: OversizedLength}, huge[:], os.ErrDeadlineExceeded},
		{Fault{Kind: Drop}, nil, os.ErrDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			p := start(t, tt.fault)
			first := 5 * time.Second
			if tt.want == nil {
				first = quiet
			}
			got, err := tcpExchange(t, p, first)
			assert.Equal(t, tt.want, got)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.EqualValues(t, 1, p.Requests())
		})
	}
}

// TestSetChangesFault: the fault in force when a request arrives applies.
func TestSetChangesFault(t *testing.T) {
	p := start(t, Fault{Kind: Garbage})
	assert.Equal(t, [][]byte{garbage(GarbageSize)}, udpExchange(t, p))
	p.Set(Fault{})
	assert.Equal(t, [][]byte{reply()}, udpExchange(t, p))
}

// TestCloseEndsEverything: Close returns promptly while replies are held
// back for an hour and connections are held open, and leaves no goroutine
// (TestMain checks with goleak).
func TestCloseEndsEverything(t *testing.T) {
	for _, f := range []Fault{{Kind: Delay, Delay: time.Hour}, {Kind: Drop},
		{Kind: OversizedLength}} {
		t.Run(f.String(), func(t *testing.T) {
			p, err := Start(echo(t), f)
			require.NoError(t, err)
			tc, err := net.Dial("tcp", p.Addr())
			require.NoError(t, err)
			defer tc.Close()
			uc, err := net.Dial("udp", p.Addr())
			require.NoError(t, err)
			defer uc.Close()
			_, err = tc.Write(frame(request))
			require.NoError(t, err)
			_, err = uc.Write(request)
			require.NoError(t, err)

			ctx, cancel := context.WithTimeout(context.Background(),
				10*time.Second)
			defer cancel()
			require.NoError(t, p.WaitRequests(ctx, 2))
			begin := time.Now()
			require.NoError(t, p.Close())
			assert.Less(t, time.Since(begin), 5*time.Second)
			require.NoError(t, p.Close(), "Close is idempotent")

			// The client side sees the connection end.
			require.NoError(t, tc.SetReadDeadline(time.Now().Add(5*time.Second)))
			_, err = io.ReadAll(tc)
			assert.NoError(t, err)
		})
	}
}

// TestBounded: connections beyond MaxInFlight are refused at once rather
// than queued.
func TestBounded(t *testing.T) {
	p := start(t, Fault{Kind: Drop})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range MaxInFlight {
		c, err := net.Dial("tcp", p.Addr())
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = c.Write(frame(request))
		require.NoError(t, err)
	}
	extra, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer extra.Close()
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = extra.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "close-mid-reply", CloseMidReply.String())
	assert.Equal(t, "Kind(99)", Kind(99).String())
	assert.Equal(t, "delay-1s", Fault{Kind: Delay, Delay: time.Second}.String())
}

// TestFaultOneTransport: a fault limited to UDP drops datagrams while TCP
// passes, and the other way round; the proxy counts each transport.
func TestFaultOneTransport(t *testing.T) {
	p := start(t, Fault{Kind: Drop, Transport: "udp"})
	assert.Empty(t, udpExchange(t, p))
	got, err := tcpExchange(t, p, 5*time.Second)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Equal(t, frame(reply()), got)
	assert.EqualValues(t, 1, p.RequestsOver("udp"))
	assert.EqualValues(t, 1, p.RequestsOver("tcp"))

	p.Set(Fault{Kind: Garbage, Transport: "tcp"})
	assert.Equal(t, [][]byte{reply()}, udpExchange(t, p))
	got, _ = tcpExchange(t, p, 5*time.Second)
	assert.Equal(t, frame(garbage(GarbageSize)), got)
	assert.EqualValues(t, 4, p.Requests())
	assert.Equal(t, "drop-udp-only", Fault{Kind: Drop, Transport: "udp"}.String())
}
