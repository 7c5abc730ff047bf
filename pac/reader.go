package pac

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// reader decodes little-endian data from one buffer. The first failure
// sticks: later reads return zero values, and err says where decoding
// stopped and why. Nothing it does can read out of bounds or allocate
// more than the data it was given could hold.
type reader struct {
	b    []byte
	off  int
	base int // where b starts in the buffer, for error offsets
	typ  BufferType
	err  error
}

func newReader(b []byte, t BufferType) *reader { return &reader{b: b, typ: t} }

// fail records the first failure at the current offset.
func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &FormatError{Buffer: r.typ, Offset: r.base + r.off,
			Detail: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) remaining() int { return len(r.b) - r.off }

// need reports whether n more bytes are there, failing otherwise.
func (r *reader) need(n int, what string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > r.remaining() {
		r.fail("%s needs %d bytes, %d left", what, n, r.remaining())
		return false
	}
	return true
}

// align skips to the next multiple of n from the start of the data; the
// padding must be there.
func (r *reader) align(n int) {
	if pad := (n - r.off%n) % n; pad > 0 && r.need(pad, "alignment") {
		r.off += pad
	}
}

func (r *reader) bytes(n int, what string) []byte {
	if !r.need(n, what) {
		return nil
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

func (r *reader) u8(what string) uint8 {
	if b := r.bytes(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16(what string) uint16 {
	if b := r.bytes(2, what); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if b := r.bytes(4, what); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// fileTime reads a FILETIME: two 32-bit halves, low first (MS-DTYP
// section 2.3.3).
func (r *reader) fileTime(what string) FileTime {
	lo := r.u32(what)
	hi := r.u32(what)
	return FileTime(uint64(hi)<<32 | uint64(lo))
}

// utf16 reads n bytes of UTF-16LE text. An odd n is malformed.
func (r *reader) utf16(n int, what string) string {
	if n%2 != 0 {
		r.fail("%s has an odd length of %d bytes", what, n)
		return ""
	}
	b := r.bytes(n, what)
	if b == nil {
		return ""
	}
	return decodeUTF16(b)
}

// decodeUTF16 turns UTF-16LE bytes into a string; unpaired surrogates
// become U+FFFD.
func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// validUTF16 reports whether b, UTF-16LE, has no unpaired surrogate.
func validUTF16(b []byte) bool {
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		switch {
		case u >= 0xd800 && u < 0xdc00:
			if i+3 >= len(b) {
				return false
			}
			next := rune(binary.LittleEndian.Uint16(b[i+2:]))
			if next < 0xdc00 || next >= 0xe000 {
				return false
			}
			i += 2
		case u >= 0xdc00 && u < 0xe000:
			return false
		}
	}
	return true
}
