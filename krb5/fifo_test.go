//go:build unix

package krb5_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestFilesThatAreNotFiles points every file name a caller gives at a
// FIFO nobody writes to, which an ordinary open waits on forever: each
// call returns at once, with an error where the empty content is not a
// cache or a keytab.
func TestFilesThatAreNotFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	tests := []struct {
		name    string
		call    func() error
		wantErr bool
	}{
		{"LoadKeytab", func() error {
			kt, err := krb5.LoadKeytab(fifo)
			if err == nil {
				kt.Close()
			}
			return err
		}, true},
		{"ListKeytab", func() error { _, err := krb5.ListKeytab(fifo); return err }, true},
		{"NewFromCCache", func() error {
			c, err := krb5.NewFromCCache("FILE:"+fifo, nil)
			if err == nil {
				c.Close()
			}
			return err
		}, true},
		{"LoadConfigFile", func() error { _, err := krb5.LoadConfigFile(fifo); return err }, false},
		{"DestroyCCache", func() error { return krb5.DestroyCCache("FILE:" + fifo) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- tt.call() }()
			select {
			case err := <-done:
				if tt.wantErr {
					assert.Error(t, err)
				} else {
					assert.NoError(t, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call waits on the FIFO")
			}
		})
	}
}

// TestDestroyCCacheLeavesALinkedFile destroys a cache name that is a
// symbolic link to some other file: the link goes, the file it points to
// keeps its content, as with MIT's kdestroy.
func TestDestroyCCacheLeavesALinkedFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious")
	require.NoError(t, os.WriteFile(target, []byte("not a cache"), 0o600))
	link := filepath.Join(dir, "ccache")
	require.NoError(t, os.Symlink(target, link))

	require.NoError(t, krb5.DestroyCCache("FILE:"+link))
	_, err := os.Lstat(link)
	assert.ErrorIs(t, err, os.ErrNotExist, "the link is removed")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "not a cache", string(b))
}
