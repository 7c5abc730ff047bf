package kcrypto

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// guarded returns a buffer of n bytes lying against an inaccessible
// page, at its end (atEnd) or its start, so that a read or write one
// byte past the data stops the process with a fault.
func guarded(t *testing.T, n int, atEnd bool) []byte {
	t.Helper()
	ps := syscall.Getpagesize()
	span := (n + ps - 1) / ps * ps
	mem, err := syscall.Mmap(-1, 0, span+2*ps, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Munmap(mem) })
	require.NoError(t, syscall.Mprotect(mem[:ps], syscall.PROT_NONE))
	require.NoError(t, syscall.Mprotect(mem[ps+span:], syscall.PROT_NONE))
	if atEnd {
		return mem[ps+span-n : ps+span : ps+span]
	}
	return mem[ps : ps+n : ps+n]
}

// Encrypt, Decrypt and DecryptAppend, on the paths of a key's first use
// and of its later ones (prepared HMACs, round keys, the stitched
// loops), touch no byte outside the buffers they are given: ciphertexts,
// plaintexts and destinations are put against an inaccessible page on
// either side, for every length to 300 bytes and around the bulk
// threshold and the 64-byte blocks above it.
func TestNoAccessOutsideBuffers(t *testing.T) {
	sizes := []int{}
	for n := 0; n <= 300; n++ {
		sizes = append(sizes, n)
	}
	for n := 430; n <= 1200; n++ {
		if n%64 < 3 || n%64 > 60 || n%16 == 0 || n%16 == 15 || n%16 == 1 {
			sizes = append(sizes, n)
		}
	}
	sizes = append(sizes, 4096-16-12, 4096-16-24, 4096, 65536)
	for _, et := range allETypes[:4] {
		for _, warm := range []bool{false, true} {
			p, _ := profileOf(et)
			base := make([]byte, p.keyLen)
			rand.Read(base)
			for _, n := range sizes {
				for _, atEnd := range []bool{true, false} {
					name := fmt.Sprintf("enctype %d, warm %v, %d bytes, at end %v",
						et, warm, n, atEnd)
					k, err := NewKey(et, base)
					require.NoError(t, err)
					if warm {
						_, err = k.Encrypt(nil, 6, nil)
						require.NoError(t, err)
						ct, err := k.Encrypt(nil, 6, nil)
						require.NoError(t, err)
						_, err = k.Decrypt(6, ct)
						require.NoError(t, err)
					}
					plain := guarded(t, n, atEnd)
					rand.Read(plain)
					ctLen := n + k.Overhead()
					dst := guarded(t, ctLen, atEnd)[:0]
					ct, err := k.Encrypt(dst, 6, plain)
					require.NoError(t, err, name)
					require.Same(t, &dst[:1][0], &ct[0], name)

					out := guarded(t, n, atEnd)[:0]
					got, err := k.DecryptAppend(out, 6, ct)
					require.NoError(t, err, name)
					require.True(t, bytes.Equal(plain, got), name)
					if n > 0 {
						require.Same(t, &out[:1][0], &got[0], name)
					}

					bad := guarded(t, ctLen, atEnd)
					copy(bad, ct)
					bad[ctLen/2] ^= 1
					clear(got)
					_, err = k.DecryptAppend(out, 6, bad)
					require.ErrorIs(t, err, ErrIntegrity, name)
					require.Equal(t, make([]byte, n), out[:n], name)
				}
			}
		}
	}
}
