package support

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestSecretDestroyWipes(t *testing.T) {
	src := []byte("correct horse battery staple")
	s, err := NewSecret(src)
	require.NoError(t, err)
	Wipe(src)
	inner := s.b

	var seen string
	require.NoError(t, s.Use(func(b []byte) error {
		seen = string(b)
		return nil
	}))
	assert.Equal(t, "correct horse battery staple", seen)

	require.NoError(t, s.Destroy())
	assert.True(t, allZero(inner), "bytes are zero after Destroy")
	assert.ErrorIs(t, s.Use(func([]byte) error { return nil }), ErrClosed)
	assert.ErrorIs(t, s.Destroy(), ErrClosed)
}

func TestSecretNeverPrints(t *testing.T) {
	s, err := NewSecretString("hunter2")
	require.NoError(t, err)
	defer s.Destroy()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(verb, s)
		assert.NotContains(t, out, "hunter2", verb)
		assert.NotContains(t, out, "68756e74657232", verb)
	}
	type holder struct{ S *Secret }
	assert.NotContains(t, fmt.Sprintf("%+v", holder{s}), "hunter2")
}

func TestSecretDestroyWaitsForUse(t *testing.T) {
	s, err := NewSecretString("k")
	require.NoError(t, err)
	inUse := make(chan struct{})
	finish := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.Use(func(b []byte) error {
			close(inUse)
			<-finish
			assert.Equal(t, []byte("k"), b, "not wiped while in use")
			return nil
		})
	}()
	<-inUse
	destroyed := make(chan struct{})
	go func() {
		_ = s.Destroy()
		close(destroyed)
	}()
	close(finish)
	<-destroyed
	wg.Wait()
	assert.True(t, allZero(s.b))
}
