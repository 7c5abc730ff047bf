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
// fails with ErrTooLarge. On failure the bytes read are cleared, and so
// is every smaller buffer it outgrew: the files it reads hold keys.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	return readAll(r, limit, 0)
}

// readAll is ReadAll with a guess of the size, which makes one buffer
// enough for a file that does not change while it is read.
func readAll(r io.Reader, limit, size int64) ([]byte, error) {
	// One byte more than the content, to see its end without growing.
	c := max(size+1, 512)
	b := make([]byte, 0, min(c, limit+1))
	for {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(2*int64(cap(b)), limit+1))
			copy(nb, b)
			clear(b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			err = ErrTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			clear(b)
			return nil, err
		}
	}
}

// ReadFile opens name with Open and reads it as ReadAll does. A regular
// file larger than limit fails with ErrTooLarge before any of it is read.
func ReadFile(name string, limit int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if size = fi.Size(); size > limit {
			return nil, ErrTooLarge
		}
	}
	return readAll(f, limit, size)
}
