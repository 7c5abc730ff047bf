package krb5

import (
	"context"
	"time"
)

// renewRetryMin and renewRetryMax bound the wait after a failed renewal.
const (
	renewRetryMin = time.Second
	renewRetryMax = time.Minute
)

// startRenewal starts the client's renewal goroutine unless it runs
// already or renewal is off. The caller holds loginMu; at most one
// goroutine exists per client, whatever the number of concurrent logins.
func (c *Client) startRenewal() {
	if !c.settings.autoRenew {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.renewDone != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.renewCancel, c.renewDone = cancel, done
	go func() {
		defer close(done)
		c.renewLoop(ctx)
	}()
}

// renewAt is when the TGT t should be refreshed: three quarters into its
// lifetime, as kinit -R users usually schedule it.
func renewAt(t *ServiceTicket) time.Time {
	life := t.EndTime.Sub(t.StartTime)
	return t.StartTime.Add(life * 3 / 4)
}

// renewLoop keeps the TGT fresh until ctx ends: by renewal while the TGT
// is renewable, otherwise by logging in again with the password or
// keytab. It stops when neither is possible.
func (c *Client) renewLoop(ctx context.Context) {
	retry := renewRetryMin
	for {
		tgt := c.currentTGT()
		if tgt == nil {
			return
		}
		wait := renewAt(tgt).Sub(c.now())
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		err := c.refresh(ctx, tgt)
		switch {
		case ctx.Err() != nil:
			return
		case err == errCannotRefresh:
			c.trace(ctx, "TGT cannot be renewed and there is no key to log in again")
			return
		case err != nil:
			c.trace(ctx, "TGT refresh failed; will retry", "err", err.Error(),
				"retry", retry.String())
			timer := time.NewTimer(retry)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			retry = min(retry*2, renewRetryMax)
		default:
			retry = renewRetryMin
		}
	}
}

type refreshError struct{}

func (refreshError) Error() string { return "krb5: the TGT cannot be refreshed" }

var errCannotRefresh error = refreshError{}

// refresh replaces old by a renewed TGT, or by a new login. It changes
// nothing once ctx has ended, so no session comes back after Close.
func (c *Client) refresh(ctx context.Context, old *ServiceTicket) error {
	ctx, unpin := c.pin(ctx)
	defer unpin()
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.currentTGT() != old {
		return nil // a login replaced it meanwhile
	}
	now := c.now()
	var tgt *ServiceTicket
	var err error
	switch {
	case old.Renewable() && now.Add(renewMargin).Before(old.RenewTill) &&
		now.Before(old.EndTime):
		tgt, err = c.tgsExchange(ctx, old, old.Server, old.ServerRealm, true)
		if err != nil && (c.password != nil || c.keytab != nil) {
			c.trace(ctx, "TGT renewal failed; logging in again", "err", err.Error())
			tgt, err = c.asExchange(ctx)
		}
	case c.password != nil || c.keytab != nil:
		tgt, err = c.asExchange(ctx)
	default:
		return errCannotRefresh
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		tgt.destroy()
		return ctx.Err()
	}
	c.setTGT(tgt)
	c.trace(ctx, "TGT refreshed", "endtime", tgt.EndTime)
	return nil
}
