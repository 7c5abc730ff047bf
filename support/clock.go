package support

import "time"

// Clock tells the time. Tests replace it; the zero value of types that
// take a Clock uses SystemClock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// DefaultSkew is the clock skew Kerberos tolerates unless configured
// otherwise: five minutes (RFC 4120, section 1.7).
const DefaultSkew = 5 * time.Minute

// ClockOr returns c, or SystemClock if c is nil.
func ClockOr(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}

// WithinSkew reports whether t lies within skew of now.
func WithinSkew(t, now time.Time, skew time.Duration) bool {
	d := t.Sub(now)
	if d < 0 {
		d = -d
	}
	return d <= skew
}

// FixedClock is a Clock that returns a settable time. It is safe for
// concurrent use only if Set is not called concurrently with Now.
type FixedClock struct{ T time.Time }

// Now returns the fixed time.
func (c *FixedClock) Now() time.Time { return c.T }
