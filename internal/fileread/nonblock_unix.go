//go:build unix

package fileread

import "syscall"

// nonblock makes open(2) return at once on a FIFO.
const nonblock = syscall.O_NONBLOCK
