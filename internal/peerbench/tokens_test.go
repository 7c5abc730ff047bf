package peerbench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	toks := [][]byte{{1}, bytes.Repeat([]byte{2}, 300), {3, 4}}
	require.NoError(t, WriteTokens(path, toks))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	got, err := ReadTokens(f)
	require.NoError(t, err)
	assert.Equal(t, toks, got)
}

func TestTokenFileMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"short length", []byte{0, 0}},
		{"zero length", []byte{0, 0, 0, 0}},
		{"huge length", []byte{0xff, 0, 0, 0}},
		{"truncated token", []byte{0, 0, 0, 5, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTokens(bytes.NewReader(tc.data))
			assert.ErrorIs(t, err, ErrTokenFile)
		})
	}
	assert.ErrorIs(t, WriteTokens(filepath.Join(t.TempDir(), "x"),
		[][]byte{nil}), ErrTokenFile)
}
