package support_test

import (
	"encoding/json"
	"expvar"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/support"
)

// expvarRuns numbers the names the tests publish: the expvar registry
// keeps a name for the life of the process, and tests may run repeatedly
// in one (go test -count).
var expvarRuns atomic.Int64

func expvarName(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, expvarRuns.Add(1))
}

func TestPublishExpvar(t *testing.T) {
	name := expvarName("safekrb5_test")
	require.NoError(t, support.PublishExpvar(name))
	assert.ErrorIs(t, support.PublishExpvar(name), support.ErrPublished,
		"a name is published once")

	var got map[string]support.Stats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &got))
	require.Contains(t, got, "support")
	before := got["support"].Objects["secret"]

	s, err := support.NewSecretString("x")
	require.NoError(t, err)
	defer s.Destroy()

	got = nil
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &got))
	require.Contains(t, got, "support")
	require.Contains(t, got, "krb5")
	require.Contains(t, got, "gssapi")
	assert.Equal(t, "loaded", got["support"].State)
	assert.Equal(t, before+1, got["support"].Objects["secret"],
		"the statistics are read afresh")
}

// TestPublishExpvarConcurrent: calls racing to publish one name never
// panic; exactly one succeeds.
func TestPublishExpvarConcurrent(t *testing.T) {
	name := expvarName("safekrb5_race")
	const n = 8
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = support.PublishExpvar(name)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, support.ErrPublished)
	}
	assert.Equal(t, 1, ok)
}

// TestPublishExpvarForeignName: a name published by other code is
// refused with an error, not a panic.
func TestPublishExpvarForeignName(t *testing.T) {
	name := expvarName("safekrb5_foreign")
	expvar.NewInt(name)
	err := support.PublishExpvar(name)
	require.ErrorIs(t, err, support.ErrPublished)
	assert.Contains(t, err.Error(), name)
}
