package ccachefile

import (
	"encoding/binary"
	"strconv"
)

// reader walks the input with bounds checks. ctx names the structure
// being read (for example "credential 2 server") and is prefixed to the
// field name in errors.
type reader struct {
	b     []byte
	off   int
	order binary.ByteOrder
	ctx   string
}

func (r *reader) fail(off int, what string, err error) error {
	if r.ctx != "" {
		what = r.ctx + " " + what
	}
	return &FormatError{Offset: off, What: what, Err: err}
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, r.fail(r.off, what, ErrTruncated)
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *reader) u8(what string) (uint8, error) {
	p, err := r.take(1, what)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (r *reader) u16(what string) (uint16, error) {
	p, err := r.take(2, what)
	if err != nil {
		return 0, err
	}
	return r.order.Uint16(p), nil
}

func (r *reader) u32(what string) (uint32, error) {
	p, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return r.order.Uint32(p), nil
}

// data reads a 32-bit length and that many bytes, copied out of the
// input. The length is checked against the data left before allocating.
func (r *reader) data(what string) ([]byte, error) {
	start := r.off
	n, err := r.u32(what + " length")
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(r.left()) {
		return nil, r.fail(start, what+" length "+
			strconv.FormatUint(uint64(n), 10), ErrTruncated)
	}
	p, err := r.take(int(n), what)
	if err != nil {
		return nil, err
	}
	return append([]byte{}, p...), nil
}

// count reads a 32-bit element count, capped at limit and at the number
// of elements of at least min bytes each that fit in the data left.
func (r *reader) count(what string, limit, min int) (int, error) {
	start := r.off
	n, err := r.u32(what)
	if err != nil {
		return 0, err
	}
	if uint64(n) > uint64(limit) {
		return 0, r.fail(start, what+" "+strconv.FormatUint(uint64(n), 10)+
			" above limit "+strconv.Itoa(limit), ErrLimit)
	}
	if uint64(n)*uint64(min) > uint64(r.left()) {
		return 0, r.fail(start, what+" "+strconv.FormatUint(uint64(n), 10),
			ErrTruncated)
	}
	return int(n), nil
}
