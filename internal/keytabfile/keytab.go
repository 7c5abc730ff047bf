package keytabfile

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/safekrb5/safekrb5/internal/krbname"
)

// Limits on what Parse accepts.
const (
	MaxComponents = 64
	MaxEntries    = 65536
)

// Principal is a principal name as stored in a keytab.
type Principal = krbname.Principal

// Keyblock is a long-term key; its value never prints.
type Keyblock = krbname.Keyblock

// Entry is one key in a keytab. Timestamp is when the key was written,
// the zero time where the file holds 0.
type Entry struct {
	Principal Principal
	Timestamp time.Time
	KVNO      uint32
	Key       Keyblock
}

// Keytab is the content of a keytab file, in file order.
type Keytab struct {
	// Version is the format version read, 1 or 2; Marshal writes 2.
	Version int
	Entries []Entry
}

// reader walks the input with bounds checks; base is the offset of b in
// the whole file, so errors report file offsets.
type reader struct {
	b     []byte
	off   int
	base  int
	order binary.ByteOrder
	ctx   string
}

func (r *reader) fail(off int, what string, err error) error {
	if r.ctx != "" {
		what = r.ctx + " " + what
	}
	return &FormatError{Offset: r.base + off, What: what, Err: err}
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

// data reads a 16-bit length and that many bytes, copied.
func (r *reader) data(what string) ([]byte, error) {
	start := r.off
	n, err := r.u16(what + " length")
	if err != nil {
		return nil, err
	}
	if int(n) > r.left() {
		return nil, r.fail(start, what+" length "+strconv.Itoa(int(n)),
			ErrTruncated)
	}
	p, _ := r.take(int(n), what)
	return append([]byte{}, p...), nil
}

// Parse decodes a keytab file. It returns a *FormatError wrapping
// ErrTruncated, ErrVersion, ErrLimit or ErrMalformed when the data is not
// a valid keytab. A record length of 0 ends the file, as in MIT. The
// result shares no memory with b.
func Parse(b []byte) (*Keytab, error) {
	r := &reader{b: b, order: binary.BigEndian}
	tag, err := r.u8("file format tag")
	if err != nil {
		return nil, err
	}
	ver, err := r.u8("file format version")
	if err != nil {
		return nil, err
	}
	if tag != 5 || (ver != 1 && ver != 2) {
		return nil, r.fail(0, "file format version", ErrVersion)
	}
	k := &Keytab{Version: int(ver)}
	if ver == 1 {
		r.order = binary.NativeEndian
	}

	for rec := 1; r.left() > 0; rec++ {
		r.ctx = "record " + strconv.Itoa(rec)
		start := r.off
		v, err := r.u32("length")
		if err != nil {
			return nil, err
		}
		size := int64(int32(v))
		switch {
		case size == 0:
			return k, nil
		case size < 0:
			if -size > int64(r.left()) {
				return nil, r.fail(start, "hole length "+
					strconv.FormatInt(-size, 10), ErrTruncated)
			}
			r.off += int(-size)
			continue
		case size > int64(r.left()):
			return nil, r.fail(start, "length "+
				strconv.FormatInt(size, 10), ErrTruncated)
		}
		if len(k.Entries) == MaxEntries {
			return nil, r.fail(start, "entry count", ErrLimit)
		}
		er := &reader{b: r.b[r.off : r.off+int(size)], base: r.off,
			order: r.order, ctx: r.ctx}
		e, err := readEntry(er, k.Version)
		if err != nil {
			return nil, err
		}
		r.off += int(size)
		k.Entries = append(k.Entries, e)
	}
	return k, nil
}

func readEntry(r *reader, ver int) (Entry, error) {
	var e Entry
	start := r.off
	n, err := r.u16("component count")
	if err != nil {
		return e, err
	}
	count := int(n)
	if ver == 1 {
		// Version 1 counts the realm as a component.
		if count == 0 {
			return e, r.fail(start, "component count 0", ErrMalformed)
		}
		count--
	}
	if count > MaxComponents {
		return e, r.fail(start, "component count "+strconv.Itoa(count)+
			" above limit "+strconv.Itoa(MaxComponents), ErrLimit)
	}
	realm, err := r.data("realm")
	if err != nil {
		return e, err
	}
	e.Principal.Realm = string(realm)
	for i := range count {
		s, err := r.data("component " + strconv.Itoa(i+1))
		if err != nil {
			return e, err
		}
		e.Principal.Components = append(e.Principal.Components, string(s))
	}
	if ver != 1 {
		t, err := r.u32("name type")
		if err != nil {
			return e, err
		}
		e.Principal.NameType = int32(t)
	}

	ts, err := r.u32("timestamp")
	if err != nil {
		return e, err
	}
	if ts != 0 {
		e.Timestamp = time.Unix(int64(ts), 0)
	}
	kvno8, err := r.u8("key version")
	if err != nil {
		return e, err
	}
	e.KVNO = uint32(kvno8)
	et, err := r.u16("key enctype")
	if err != nil {
		return e, err
	}
	e.Key.Type = int32(int16(et))
	if e.Key.Value, err = r.data("key"); err != nil {
		return e, err
	}

	// MIT's extension: a 32-bit key version in the rest of the record,
	// used when present and not zero.
	if r.left() >= 4 {
		v, _ := r.u32("32-bit key version")
		if v != 0 {
			e.KVNO = v
		}
	}
	return e, nil
}

// Add appends e to the keytab. The keytab takes ownership of e's key
// value; Wipe clears it.
func (k *Keytab) Add(e Entry) {
	k.Entries = append(k.Entries, e)
}

// Wipe overwrites every key value in the keytab with zeros in place.
func (k *Keytab) Wipe() {
	for i := range k.Entries {
		k.Entries[i].Key.Wipe()
	}
}
