package filewatch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
}

// rename replaces path by a new file renamed over it.
func rename(t *testing.T, path, text string) {
	t.Helper()
	write(t, path+".tmp", text)
	require.NoError(t, os.Rename(path+".tmp", path))
}

func TestChanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   bool
	}{
		{"nothing", func(*testing.T, string) {}, false},
		{"rewritten in place, longer", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a"), "version two")
		}, true},
		{"rewritten in place, same size", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "a"), "version 2")
		}, true},
		{"replaced by rename, same content", func(t *testing.T, dir string) {
			rename(t, filepath.Join(dir, "a"), "version 1")
		}, true},
		{"removed", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "a")))
		}, true},
		{"a missing file appears", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "missing"), "x")
		}, true},
		{"a file added to the directory", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "d", "new.conf"), "x")
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "a"), "version 1")
			require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o700))
			s := Take(filepath.Join(dir, "a"), filepath.Join(dir, "missing"),
				filepath.Join(dir, "d"), filepath.Join(dir, "a"))
			assert.Len(t, s.Paths(), 3, "names are recorded once")
			tc.change(t, dir)
			assert.Equal(t, tc.want, s.Changed())
		})
	}
}

// TestYoungStampComparesContent: a rewrite that leaves the stamp as it
// was, as one within the file system's time granularity does, is seen
// by content while the stamp is young, and a stamp old enough is trusted.
func TestYoungStampComparesContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a")
	write(t, path, "version 1")
	s := Take(path)
	assert.True(t, s.racy, "a file written just now has a young stamp")
	assert.False(t, s.Changed())

	write(t, path, "version 2")
	s.entries[0].stamp = statOf(path) // as if the clock had not moved
	assert.True(t, s.Changed(), "the content changed under the same stamp")

	s = Take(path)
	s.racy = false // as if the stamp were old
	write(t, path, "version 3")
	s.entries[0].stamp = statOf(path)
	assert.False(t, s.Changed(), "an old stamp is not second-guessed")
}

func TestGone(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, "x")
	s := Take(a, b)
	assert.False(t, s.Gone())
	require.NoError(t, os.Remove(a))
	assert.True(t, s.Gone())
	assert.False(t, Take().Gone(), "no name is not gone")
	var none *Snapshot
	assert.False(t, none.Changed())
	assert.False(t, none.Gone())
}
