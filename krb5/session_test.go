package krb5_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/faultproxy"
	"github.com/safekrb5/safekrb5/krb5"
)

// stepClock is the system clock moved ahead by a step the test sets.
type stepClock struct{ ahead atomic.Int64 }

func (c *stepClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.ahead.Load()))
}

// TestServiceTicketCacheExpiry: a cached ticket is handed out while it is
// valid and replaced by a new one from the KDC once the client's clock
// says it has expired; the KDC, whose clock did not move, reports the
// skew and the client follows its time.
func TestServiceTicketCacheExpiry(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	clock := &stepClock{}
	c := passwordClient(t, r, krb5.WithClock(clock), krb5.WithLifetime(time.Hour),
		krb5.DisableAutoRenew())
	require.NoError(t, c.Login(ctx))
	first, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	again, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Same(t, first, again, "valid: from the cache")

	clock.ahead.Store(int64(first.EndTime.Sub(time.Now()) + time.Minute))
	renewed, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.NotSame(t, first, renewed, "expired: a new ticket")
	assert.True(t, renewed.EndTime.After(time.Now()))
	cached, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Same(t, renewed, cached)
}

// TestCloseDuringRenewal: Close while the renewal goroutine waits on a
// KDC that does not answer returns at once, stops that goroutine, and no
// TGT comes back afterwards.
func TestCloseDuringRenewal(t *testing.T) {
	r := testRealm(t)
	noLeaks(t)
	p := startProxy(t, r, faultproxy.Fault{})
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password,
		kdcConfig(t, r, false, p.Addr()), krb5.WithKDCTimeout(time.Hour),
		krb5.WithLifetime(4*time.Second), krb5.WithRenewableLifetime(time.Hour))
	require.NoError(t, err)
	ctx := ctxT(t)
	require.NoError(t, c.Login(ctx))
	p.Set(faultproxy.Fault{Kind: faultproxy.Drop})
	n := p.Requests()
	// The renewal, due three seconds into the TGT's four, reaches the
	// silent KDC.
	require.NoError(t, p.WaitRequests(ctx, n+1))

	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(faultSlack):
		t.Fatal("Close did not return while a renewal was in flight")
	}
	_, err = c.TGT()
	assert.ErrorIs(t, err, krb5.ErrClosed)
	assert.ErrorIs(t, c.Login(ctx), krb5.ErrClosed)
}
