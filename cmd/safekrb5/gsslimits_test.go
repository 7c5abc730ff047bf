package main

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedSampleServer runs our gss-server with limits and a keytab of
// its own (no KDC is needed to accept or refuse connections) until the
// test ends.
func limitedSampleServer(t *testing.T, limits sampleLimits) (string, *lockedBuffer,
	*lockedBuffer) {
	t.Helper()
	kt := filepath.Join(t.TempDir(), "keytab")
	var out, errOut strings.Builder
	code := run(&env{stdin: strings.NewReader("pw\n"), stdout: &out, stderr: &errOut},
		[]string{"ktutil", "-k", kt, "add", "-p", "HTTP/localhost@EXAMPLE.ORG"})
	require.Equal(t, 0, code, errOut.String())

	var stdout, stderr lockedBuffer
	s, err := newSampleServer("127.0.0.1:0", kt, "HTTP@localhost", &stdout, &stderr)
	require.NoError(t, err)
	s.limits = limits
	runSampleServer(t, s)
	return s.ln.Addr().String(), &stdout, &stderr
}

func dialSample(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer waits, at most 5 seconds, for the server to close c and
// reports whether it did.
func closedByServer(t *testing.T, c net.Conn) bool {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	var b [1]byte
	_, err := c.Read(b[:])
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		isReset(err)
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// TestGSSServerConnectionLimit fills every slot with idle connections:
// the next one is closed at once, one line says why, and a connection
// is served again as soon as a slot is free.
func TestGSSServerConnectionLimit(t *testing.T) {
	addr, stdout, stderr := limitedSampleServer(t, sampleLimits{conns: 2,
		timeout: time.Minute, idle: time.Minute})
	idle := []net.Conn{dialSample(t, addr), dialSample(t, addr)}
	// The server takes a slot when it accepts; a served exchange on a
	// third connection cannot happen before both idle ones hold theirs.
	for range 3 {
		assert.True(t, closedByServer(t, dialSample(t, addr)),
			"a connection over the limit is closed")
	}
	assert.Equal(t, 1, strings.Count(stderr.String(), "connections at once"),
		stderr.String())
	assert.Contains(t, stderr.String(),
		"gss-server: 2 connections at once, the limit (-threads); closing 127.0.0.1:")

	idle[0].Close()
	require.Eventually(t, func() bool {
		c := dialSample(t, addr)
		require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
		if err := writeFrame(c, sampleNoop, nil); err != nil {
			return false
		}
		if err := writeFrame(c, sampleData, []byte("hello")); err != nil {
			return false
		}
		flags, _, err := readFrame(c)
		if err != nil {
			return false
		}
		assert.Equal(t, byte(sampleNoop), flags)
		return assert.NoError(t, writeFrame(c, sampleNoop, nil))
	}, 10*time.Second, 20*time.Millisecond, "a freed slot serves again")
	assert.Contains(t, stdout.String(), `Received message: "hello"`)
}

// TestGSSServerIdleAndTotalTime drops a connection that sends nothing
// and one that keeps sending past the total time.
func TestGSSServerIdleAndTotalTime(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		addr, _, stderr := limitedSampleServer(t, sampleLimits{conns: 4,
			timeout: time.Minute, idle: 100 * time.Millisecond})
		start := time.Now()
		assert.True(t, closedByServer(t, dialSample(t, addr)))
		assert.Less(t, time.Since(start), 4*time.Second)
		require.Eventually(t, func() bool {
			return strings.Contains(stderr.String(), "no token for 100ms (-idle)")
		}, 5*time.Second, 10*time.Millisecond, stderr.String())
	})
	t.Run("total", func(t *testing.T) {
		addr, _, stderr := limitedSampleServer(t, sampleLimits{conns: 4,
			timeout: 300 * time.Millisecond, idle: time.Minute})
		c := dialSample(t, addr)
		require.NoError(t, writeFrame(c, sampleNoop, nil))
		start := time.Now()
		var err error
		for err == nil && time.Since(start) < 5*time.Second {
			if err = writeFrame(c, sampleData, []byte("x")); err == nil {
				_, _, err = readFrame(c)
			}
			time.Sleep(20 * time.Millisecond)
		}
		require.Error(t, err, "the server ends the connection")
		assert.Less(t, time.Since(start), 4*time.Second)
		require.Eventually(t, func() bool {
			return strings.Contains(stderr.String(),
				"connection open for longer than -timeout")
		}, 5*time.Second, 10*time.Millisecond, stderr.String())
	})
}

// TestGSSServerLimitFlags refuses limits that are not positive.
func TestGSSServerLimitFlags(t *testing.T) {
	for _, args := range [][]string{{"-threads", "0"}, {"-timeout", "0s"},
		{"-idle", "-1s"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut strings.Builder
			all := append([]string{"gss-server"}, args...)
			code := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut},
				append(all, "HTTP@localhost"))
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut.String(),
				"-threads, -timeout and -idle must be positive")
		})
	}
}
