package keytabfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/safekrb5/safekrb5/internal/fileread"
)

// MaxFileSize is the largest file ReadFile accepts.
const MaxFileSize = 16 << 20

// ReadFile reads and parses the keytab file at path. The raw
// bytes are cleared before it returns.
func ReadFile(path string) (*Keytab, error) {
	b, err := fileread.ReadFile(path, MaxFileSize)
	if err != nil {
		if errors.Is(err, fileread.ErrTooLarge) {
			return nil, fmt.Errorf("%w: %s", ErrTooLarge, path)
		}
		return nil, err
	}
	defer clear(b)
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteFile writes k to path as a version 0x0502 file, atomically: it writes
// a temporary file with mode 0600 in the same directory, syncs it, and
// renames it over path, so readers see the old or the new keytab, never a
// mix. The encoded bytes are cleared afterwards.
func WriteFile(path string, k *Keytab) error {
	b, err := k.Marshal()
	if err != nil {
		return err
	}
	defer clear(b)
	if err := writeAtomic(path, b); err != nil {
		return err
	}
	return nil
}

func writeAtomic(path string, b []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		// Make the rename durable; a directory that cannot be synced
		// does not undo the write.
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
