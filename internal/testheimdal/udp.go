package testheimdal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// Bounds for waiting on a UDP-only daemon.
const (
	udpReadyTimeout = 10 * time.Second
	udpReadyPoll    = 5 * time.Millisecond
)

// errExited reports that a daemon ended before it was ready.
var errExited = errors.New("testheimdal: daemon exited during startup")

// waitUDPBound waits until something has bound UDP port on 127.0.0.1, as
// /proc/net/udp shows, or d exits, ctx ends or a bounded time passes.
// Probing by binding the port ourselves would race with the daemon.
func waitUDPBound(ctx context.Context, d *testrealm.Daemon,
	port int) error {
	ctx, cancel := context.WithTimeout(ctx, udpReadyTimeout)
	defer cancel()
	tick := time.NewTicker(udpReadyPoll)
	defer tick.Stop()

	// Local addresses in /proc/net/udp are hex, the IPv4 address in host
	// byte order: 127.0.0.1 reads 0100007F on little-endian machines.
	want := []string{
		fmt.Sprintf("0100007F:%04X", port),
		fmt.Sprintf("7F000001:%04X", port),
	}
	for {
		b, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			return fmt.Errorf("testheimdal: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && (f[1] == want[0] || f[1] == want[1]) {
				return nil
			}
		}
		select {
		case <-d.Done():
			return fmt.Errorf("%w: %s (see %s)", errExited, d.Name,
				d.OutPath)
		case <-ctx.Done():
			return fmt.Errorf("testheimdal: %s not bound to udp port %d: %w",
				d.Name, port, ctx.Err())
		case <-tick.C:
		}
	}
}
