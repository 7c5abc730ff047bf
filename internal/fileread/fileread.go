// Package fileread opens the files safekrb5 reads and writes for its
// callers (credential caches, keytabs, krb5.conf, the trace file) so that
// a name that points at a FIFO never blocks: opened for reading, a FIFO
// without a writer reads as empty; opened for writing, a FIFO without a
// reader fails at once. It also reads files with a size limit.
package fileread

import (
	"errors"
	"io"
	"os"
)

// ErrTooLarge means a file is larger than the limit it was read with.
var ErrTooLarge = errors.New("file too large")

// Open opens name for reading without waiting for a writer.
func Open(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|nonblock, 0)
}

// OpenWrite opens name for writing with flag (os.O_WRONLY or os.O_RDWR,
// with os.O_APPEND, os.O_CREATE and the like) and perm, without waiting
// for a reader.
func OpenWrite(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag|nonblock, perm)
}

// ReadAll reads r to its end, at most limit bytes: a longer content
// fails with ErrTooLarge. On failure the bytes read are cleared.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = ErrTooLarge
	}
	if err != nil {
		clear(b)
		return nil, err
	}
	return b, nil
}

// ReadFile opens name with Open and reads it with ReadAll.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}
