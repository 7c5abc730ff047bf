//go:build unix

package krb5

import (
	"errors"
	"os"
	"syscall"
)

// lockShared takes a shared fcntl lock on the whole file without
// waiting, as MIT's FILE cache readers lock it against kinit's exclusive
// lock; it is released when f is closed. A lock held by a writer gives
// errCCacheBusy.
func lockShared(f *os.File) error {
	lk := syscall.Flock_t{Type: syscall.F_RDLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
			return errCCacheBusy
		}
		return err
	}
	return nil
}
