//go:build unix

package support

import (
	"os"
	"path/filepath"
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
