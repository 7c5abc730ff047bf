// Package peerbench holds benchmarks that compare safekrb5 with gokrb5 v8
// (in the same process) and MIT krb5 (internal/mitbench, a C program run
// as a child) on one throwaway MIT realm, one service keytab, one
// credential cache and the same pre-minted tokens.
//
// The benchmarks start the realm themselves, the first time one runs, so
// `go test ./...` without -bench starts nothing. The MIT ones need the
// path of a built mitbench in SAFEKRB5_MITBENCH and are skipped without
// it; scripts/bench.sh builds it, runs the benchmarks in interleaved
// rounds and has internal/benchratio turn them into the tables of
// BENCHMARKS.md.
//
// Token files hold tokens back to back, each as a 4-byte big-endian
// length followed by the token, and are read by both sides.
package peerbench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxToken bounds one token in a token file.
const maxToken = 1 << 20

// ErrTokenFile is matched by errors.Is when a token file is malformed.
var ErrTokenFile = errors.New("peerbench: malformed token file")

// WriteTokens writes toks to path in the token file format.
func WriteTokens(path string, toks [][]byte) error {
	var b []byte
	for _, t := range toks {
		if len(t) == 0 || len(t) > maxToken {
			return fmt.Errorf("%w: token of %d bytes", ErrTokenFile, len(t))
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(t)))
		b = append(b, t...)
	}
	return os.WriteFile(path, b, 0o600)
}

// ReadTokens reads a token file written by WriteTokens.
func ReadTokens(r io.Reader) ([][]byte, error) {
	var out [][]byte
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%w: truncated length", ErrTokenFile)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxToken {
			return nil, fmt.Errorf("%w: token length %d", ErrTokenFile, n)
		}
		t := make([]byte, n)
		if _, err := io.ReadFull(r, t); err != nil {
			return nil, fmt.Errorf("%w: truncated token", ErrTokenFile)
		}
		out = append(out, t)
	}
}
