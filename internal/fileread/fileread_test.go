//go:build unix

package fileread

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNeverWaitsOnAFIFO opens a FIFO that nobody else has open: reading
// it gives no bytes and writing it fails, both at once.
func TestNeverWaitsOnAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan struct{})
	go func() {
		defer close(done)
		b, err := ReadFile(fifo, 1<<10)
		assert.NoError(t, err)
		assert.Empty(t, b)
		_, err = OpenWrite(fifo, os.O_WRONLY|os.O_APPEND, 0)
		assert.ErrorIs(t, err, syscall.ENXIO)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO blocked")
	}
}

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		size int
		err  error
	}{
		{"empty", 0, nil},
		{"below the limit", 99, nil},
		{"at the limit", 100, nil},
		{"one byte over", 101, ErrTooLarge},
		{"far over", 10000, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			want := bytes.Repeat([]byte{'k'}, tt.size)
			require.NoError(t, os.WriteFile(path, want, 0o600))
			b, err := ReadFile(path, 100)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, b)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want, b)
		})
	}
	_, err := ReadFile(filepath.Join(dir, "missing"), 100)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
