//go:build unix

package support

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/modules"
)

// TestTraceFileThatCannotBeOpened loads the module with KRB5_TRACE naming
// files that cannot be appended to: each load succeeds at once, with
// tracing off, as MIT does. A FIFO without a reader would block an
// ordinary open forever.
func TestTraceFileThatCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	good := filepath.Join(dir, "trace")
	tests := []struct {
		name, path string
		traced     bool
	}{
		{"missing directory", filepath.Join(dir, "missing", "trace"), false},
		{"a directory", dir, false},
		{"FIFO without a reader", fifo, false},
		{"FILE: prefix", "FILE:" + good, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, "not loaded", modules.Support.Stats().State)
			t.Setenv("KRB5_TRACE", tt.path)
			s, err := NewSecretString("k")
			require.NoError(t, err, "the module loads whatever KRB5_TRACE names")
			Trace(t.Context(), Tracer(nil), "probe")
			require.NoError(t, s.Destroy())
			b, err := os.ReadFile(good)
			if !tt.traced {
				assert.ErrorIs(t, err, os.ErrNotExist)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, string(b), "msg=probe")
		})
	}
}

// TestTracerFollowsGeneration keeps one logger from Tracer across a
// teardown and a reload of the support module: records go to the trace
// file of the generation loaded when they are logged, nowhere while no
// generation is loaded, and the attributes and groups of a derived
// logger survive the reload.
func TestTracerFollowsGeneration(t *testing.T) {
	require.Equal(t, "not loaded", modules.Support.Stats().State)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	l := Tracer(nil)
	derived := l.WithGroup("krb5").With("client", "alice@EXAMPLE.ORG")
	Trace(t.Context(), l, "before any load")

	t.Setenv("KRB5_TRACE", first)
	s, err := NewSecretString("k")
	require.NoError(t, err)
	Trace(t.Context(), l, "in the first generation")
	require.NoError(t, s.Destroy())
	Trace(t.Context(), l, "between generations")

	t.Setenv("KRB5_TRACE", second)
	s, err = NewSecretString("k")
	require.NoError(t, err)
	Trace(t.Context(), l, "in the second generation")
	Trace(t.Context(), derived, "derived")
	require.NoError(t, s.Destroy())

	b1, err := os.ReadFile(first)
	require.NoError(t, err)
	b2, err := os.ReadFile(second)
	require.NoError(t, err)
	assert.Contains(t, string(b1), `msg="in the first generation"`)
	assert.NotContains(t, string(b1), "second generation")
	assert.Contains(t, string(b2), `msg="in the second generation"`)
	assert.Contains(t, string(b2), `msg=derived krb5.client=alice@EXAMPLE.ORG`)
	assert.Contains(t, string(b2), "msg=\"support: tearing down\"")
	for _, b := range [][]byte{b1, b2} {
		assert.NotContains(t, string(b), "before any load")
		assert.NotContains(t, string(b), "between generations")
	}
}

// TestTracerDuringTeardown traces on several goroutines while the module
// is loaded and torn down over and over: under the race detector no
// record touches a torn-down generation's file, and every record logged
// while the writer held a generation is in that generation's file.
func TestTracerDuringTeardown(t *testing.T) {
	require.Equal(t, "not loaded", modules.Support.Stats().State)
	trace := filepath.Join(t.TempDir(), "trace")
	t.Setenv("KRB5_TRACE", trace)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					Trace(context.Background(), Tracer(nil), "racing")
				}
			}
		}()
	}
	for range 200 {
		s, err := NewSecretString("k")
		require.NoError(t, err)
		Trace(t.Context(), Tracer(nil), "held")
		require.NoError(t, s.Destroy())
	}
	close(stop)
	wg.Wait()
	b, err := os.ReadFile(trace)
	require.NoError(t, err)
	assert.Equal(t, 200, strings.Count(string(b), "msg=held"))
	assert.Equal(t, 200, strings.Count(string(b), `msg="support: loaded"`))
}
