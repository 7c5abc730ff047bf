//go:build unix

package fileread

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
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

// TestReadFileHugeSparse reads a regular file far larger than the limit
// but with no data, as a mistaken or hostile KRB5CCNAME could name: it
// fails with ErrTooLarge without reading up to the limit first.
func TestReadFileHugeSparse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<40))
	require.NoError(t, f.Close())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := ReadFile(path, 64<<20)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Nil(t, b)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20),
		"bytes allocated to refuse the file")
}

// chunks reads its content a few bytes at a time.
type chunks struct {
	b []byte
	n int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.n, len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// TestReadAllGrows reads contents of sizes around the buffer's growth
// steps and the limit, in small pieces.
func TestReadAllGrows(t *testing.T) {
	const limit = 5000
	for _, size := range []int{0, 1, 511, 512, 513, 1023, 1024, 1025, 4999, 5000, 5001, 9000} {
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i * 7)
		}
		b, err := ReadAll(&chunks{b: want, n: 300}, limit)
		if size > limit {
			require.ErrorIs(t, err, ErrTooLarge, "size %d", size)
			continue
		}
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, want, b, "size %d", size)
	}
}
