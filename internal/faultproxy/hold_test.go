package faultproxy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHold: replies wait for Release, on both transports, and Close
// drops those still held.
func TestHold(t *testing.T) {
	p := start(t, Fault{Kind: Hold})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	udp := make(chan [][]byte, 1)
	go func() { udp <- udpExchange(t, p) }()
	type tcpResult struct {
		got []byte
		err error
	}
	tcp := make(chan tcpResult, 1)
	go func() {
		got, err := tcpExchange(t, p, 5*time.Second)
		tcp <- tcpResult{got, err}
	}()
	require.NoError(t, p.WaitRequests(ctx, 2))
	select {
	case <-udp:
		t.Fatal("a held UDP reply went out before Release")
	default:
	}
	p.Release()
	assert.Equal(t, [][]byte{reply()}, <-udp)
	r := <-tcp
	assert.Equal(t, frame(reply()), r.got)

	go func() { udp <- udpExchange(t, p) }()
	require.NoError(t, p.WaitRequests(ctx, 3))
	require.NoError(t, p.Close())
	assert.Empty(t, <-udp, "Close drops what is still held")
	assert.Equal(t, "hold", Hold.String())
}
