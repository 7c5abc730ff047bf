package krb5

import (
	"testing"
	"time"
)

// SetKDCRetryAfterForTest changes how long a KDC that failed is tried
// last, until t ends.
func SetKDCRetryAfterForTest(t testing.TB, d time.Duration) {
	old := kdcRetryAfter.Swap(int64(d))
	t.Cleanup(func() { kdcRetryAfter.Store(old) })
}
