package krb5

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silentUDP returns the address of a UDP socket that reads and never
// answers.
func silentUDP(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// TestExchangeUDPDeadline: a UDP exchange with a context that never ends
// (no watch on it) still ends at its deadline, with the context's
// deadline error.
func TestExchangeUDPDeadline(t *testing.T) {
	addr := silentUDP(t)
	begin := time.Now()
	_, err := exchangeUDP(context.Background(), &net.Dialer{}, addr, []byte{0x6c, 0},
		begin.Add(100*time.Millisecond))
	cost := time.Since(begin)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.GreaterOrEqual(t, cost, 100*time.Millisecond)
	assert.Less(t, cost, time.Second)
}

// TestExchangeUDPCancel: cancelling the context ends a UDP exchange that
// waits for a reply at once, however far its deadline, and
// the context's own deadline bounds it when earlier than the given one.
func TestExchangeUDPCancel(t *testing.T) {
	addr := silentUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := exchangeUDP(ctx, &net.Dialer{}, addr, []byte{0x6c, 0},
			time.Now().Add(time.Hour))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	begin := time.Now()
	cancel()
	select {
	case err := <-done:
		cost := time.Since(begin)
		t.Logf("returned %v after the cancellation", cost)
		// Milliseconds on an idle machine; the bound leaves room for a
		// loaded one under the race detector.
		assert.Less(t, cost, 200*time.Millisecond)
		assert.True(t, errors.Is(err, context.Canceled), "error: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("exchangeUDP did not return after its context was cancelled")
	}

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin = time.Now()
	_, err := exchangeUDP(ctx, &net.Dialer{}, addr, []byte{0x6c, 0},
		time.Now().Add(time.Hour))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(begin), time.Second)
}

// TestExchangeUDPReplies: the reply datagram comes back whole, the
// largest one too, and an empty one comes back empty (for checkReply to
// refuse).
func TestExchangeUDPReplies(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	replies := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 100)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(<-replies, from)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	exchange := func(rep []byte) ([]byte, error) {
		replies <- rep
		return exchangeUDP(ctx, &net.Dialer{}, pc.LocalAddr().String(), []byte{0x6c, 0},
			time.Time{})
	}
	rep, err := exchange([]byte{0x7e, 0})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x7e, 0}, rep)
	rep, err = exchange([]byte{})
	require.NoError(t, err)
	assert.Empty(t, rep)
	assert.Error(t, checkReply(rep))
	big := make([]byte, maxUDPReply)
	big[0] = 0x7e
	rep, err = exchange(big)
	require.NoError(t, err)
	assert.Equal(t, big, rep)
}
