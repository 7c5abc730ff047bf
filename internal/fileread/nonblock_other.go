//go:build !unix

package fileread

// nonblock is nothing where FIFOs do not block open.
const nonblock = 0
