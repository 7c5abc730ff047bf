package krbmsg

import (
	"errors"
	"fmt"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
)

// ErrMalformed is matched by errors.Is for every decoding failure.
var ErrMalformed = errors.New("malformed message")

// DecodeError says which field of which message did not decode.
type DecodeError struct {
	Field  string // "Ticket.sname", "EncTicketPart.authtime"
	Detail string
}

func (e *DecodeError) Error() string {
	return "malformed " + e.Field + ": " + e.Detail
}

// Unwrap returns ErrMalformed.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

// where names a field for errors: a field of a type, possibly inside a
// field of an outer type. The parts are joined only when an error is
// built, so that decoding a good message builds no strings.
type where struct{ outerTyp, outerField, typ, field string }

func (w where) String() string {
	s := ""
	for _, p := range []string{w.outerTyp, w.outerField, w.typ, w.field} {
		if p != "" && s != "" {
			s += "."
		}
		s += p
	}
	return s
}

func at(typ string) where { return where{typ: typ} }

// in names field within w. Beyond two levels the outermost is dropped.
func in(w where, field string) where {
	if w.field != "" {
		return where{outerTyp: w.typ, outerField: w.field, field: field}
	}
	w.field = field
	return w
}

func malformed(w where, format string, args ...any) error {
	return &DecodeError{Field: w.String(), Detail: fmt.Sprintf(format, args...)}
}

// Universal tags.
const (
	tagInteger         = 0x02
	tagBitString       = 0x03
	tagOctetString     = 0x04
	tagGeneralizedTime = 0x18
	tagGeneralString   = 0x1b
	tagSequence        = 0x30
)

// appTag is the constructed [APPLICATION n] tag; ctxTag the constructed
// context tag [n]. Kerberos numbers stay below 31, in one byte.
func appTag(n int) byte { return 0x60 | byte(n) }
func ctxTag(n int) byte { return 0xa0 | byte(n) }

// maxLengthBytes bounds the length of one element's length.
const maxLengthBytes = 4

// element reads one DER element of b: its tag, its content and what
// follows it.
func element(b []byte, field where) (byte, []byte, []byte, error) {
	if len(b) < 2 {
		return 0, nil, nil, malformed(field, "truncated element header")
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, malformed(field, "multi-byte tag")
	}
	n, off := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 {
			return 0, nil, nil, malformed(field, "indefinite length")
		}
		if k > maxLengthBytes {
			return 0, nil, nil, malformed(field, "length of %d bytes", k)
		}
		if len(b) < 2+k {
			return 0, nil, nil, malformed(field, "truncated length")
		}
		if b[2] == 0 {
			return 0, nil, nil, malformed(field, "non-minimal length")
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		if n < 0x80 {
			return 0, nil, nil, malformed(field, "non-minimal length")
		}
		off += k
	}
	if n > len(b)-off {
		return 0, nil, nil, malformed(field, "length %d, only %d bytes follow",
			n, len(b)-off)
	}
	return tag, b[off : off+n], b[off+n:], nil
}

// expect reads one element of b that must carry tag and returns its
// content and the rest.
func expect(b []byte, tag byte, field where) ([]byte, []byte, error) {
	t, content, rest, err := element(b, field)
	if err != nil {
		return nil, nil, err
	}
	if t != tag {
		return nil, nil, malformed(field, "tag 0x%02x, want 0x%02x", t, tag)
	}
	return content, rest, nil
}

// only reads b as exactly one element with tag.
func only(b []byte, tag byte, field where) ([]byte, error) {
	content, rest, err := expect(b, tag, field)
	if err == nil && len(rest) != 0 {
		err = malformed(field, "%d bytes after the element", len(rest))
	}
	return content, err
}

// onlyPadded is only for the decrypted part of an encrypted message:
// enctypes whose cipher works in blocks (des3-cbc-sha1-kd) pad the
// plaintext with zeros to a whole block, so fewer than a block of zero
// bytes may follow the element.
func onlyPadded(b []byte, tag byte, field where) ([]byte, error) {
	content, rest, err := expect(b, tag, field)
	if err != nil {
		return nil, err
	}
	if len(rest) >= 16 {
		return nil, malformed(field, "%d bytes after the element", len(rest))
	}
	for _, c := range rest {
		if c != 0 {
			return nil, malformed(field, "bytes after the element")
		}
	}
	return content, nil
}

// fields walks the context-tagged fields of a SEQUENCE in order.
type fields struct {
	b    []byte
	name where // the type, for errors
	last int   // the last tag read, -1 before the first
	err  error
}

// sequence opens the SEQUENCE that is the whole of b.
func sequence(b []byte, name where) *fields {
	content, err := only(b, tagSequence, name)
	return &fields{b: content, name: name, last: -1, err: err}
}

// field returns the element inside the EXPLICIT [n] field if that field
// comes next; ok is false when it does not (an absent OPTIONAL field).
func (f *fields) field(n int, what string) (inner []byte, ok bool) {
	if f.err != nil || len(f.b) == 0 {
		return nil, false
	}
	t := f.b[0]
	if t&0xe0 != 0xa0 || int(t&0x1f) != n {
		return nil, false
	}
	_, content, rest, err := element(f.b, in(f.name, what))
	if err != nil {
		f.err = err
		return nil, false
	}
	f.b, f.last = rest, n
	return content, true
}

// need is field for a field that must be there.
func (f *fields) need(n int, what string) []byte {
	inner, _ := f.maybe(n, what, true)
	return inner
}

// maybe is field for a field that must be there when required is set.
func (f *fields) maybe(n int, what string, required bool) ([]byte, bool) {
	inner, ok := f.field(n, what)
	if !ok && required && f.err == nil {
		f.err = malformed(in(f.name, what), "missing")
	}
	return inner, ok
}

// done skips trailing fields with tags above the last one read (later
// extensions) and reports the first error met.
func (f *fields) done() error {
	for f.err == nil && len(f.b) > 0 {
		t, _, rest, err := element(f.b, f.name)
		if err != nil {
			return err
		}
		if t&0xe0 != 0xa0 || int(t&0x1f) <= f.last {
			return malformed(f.name, "unexpected element with tag 0x%02x", t)
		}
		f.b, f.last = rest, int(t&0x1f)
	}
	return f.err
}

// Primitive decoders. Each takes the element inside an EXPLICIT tag.

func (f *fields) int64(n int, what string, need bool) int64 {
	inner, ok := f.maybe(n, what, need)
	if !ok {
		return 0
	}
	v, err := parseInt(inner, in(f.name, what))
	if err != nil {
		f.err = err
	}
	return v
}

func parseInt(b []byte, field where) (int64, error) {
	c, err := only(b, tagInteger, field)
	if err != nil {
		return 0, err
	}
	if len(c) == 0 || len(c) > 8 {
		return 0, malformed(field, "integer of %d bytes", len(c))
	}
	if len(c) > 1 && (c[0] == 0 && c[1]&0x80 == 0 || c[0] == 0xff && c[1]&0x80 != 0) {
		return 0, malformed(field, "integer not minimally encoded")
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// int32 reads an Int32 field; a value out of its range is an error.
func (f *fields) int32(n int, what string, need bool) int32 {
	v := f.int64(n, what, need)
	if f.err == nil && (v < -1<<31 || v > 1<<31-1) {
		f.err = malformed(in(f.name, what), "%d out of the 32-bit range", v)
	}
	return int32(v)
}

// uint32 reads a UInt32 field (a nonce, a kvno, a sequence number). Some
// peers send such values as negative 32-bit numbers; they are taken
// modulo 2^32, as gokrb5 and MIT do.
func (f *fields) uint32(n int, what string, need bool) int64 {
	v := f.int64(n, what, need)
	if f.err == nil && (v < -1<<31 || v > 1<<32-1) {
		f.err = malformed(in(f.name, what), "%d out of the 32-bit range", v)
	}
	return v
}

func (f *fields) octets(n int, what string, need bool) []byte {
	inner, ok := f.maybe(n, what, need)
	if !ok {
		return nil
	}
	c, err := only(inner, tagOctetString, in(f.name, what))
	if err != nil {
		f.err = err
		return nil
	}
	return append([]byte(nil), c...)
}

func (f *fields) string(n int, what string) string {
	inner := f.need(n, what)
	if f.err != nil {
		return ""
	}
	s, err := parseString(inner, in(f.name, what))
	if err != nil {
		f.err = err
	}
	return s
}

func parseString(b []byte, field where) (string, error) {
	c, err := only(b, tagGeneralString, field)
	return string(c), err
}

func (f *fields) time(n int, what string, need bool) time.Time {
	inner, ok := f.maybe(n, what, need)
	if !ok {
		return time.Time{}
	}
	t, err := parseTime(inner, in(f.name, what))
	if err != nil {
		f.err = err
	}
	return t
}

// parseTime reads a KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ"
// (RFC 4120 section 5.2.3).
func parseTime(b []byte, field where) (time.Time, error) {
	c, err := only(b, tagGeneralizedTime, field)
	if err != nil {
		return time.Time{}, err
	}
	if len(c) != 15 || c[14] != 'Z' {
		return time.Time{}, malformed(field, "time %q is not YYYYMMDDHHMMSSZ", c)
	}
	var d [14]int
	for i := range d {
		if c[i] < '0' || c[i] > '9' {
			return time.Time{}, malformed(field, "time %q is not YYYYMMDDHHMMSSZ", c)
		}
		d[i] = int(c[i] - '0')
	}
	year := d[0]*1000 + d[1]*100 + d[2]*10 + d[3]
	month, day := d[4]*10+d[5], d[6]*10+d[7]
	hour, min, sec := d[8]*10+d[9], d[10]*10+d[11], d[12]*10+d[13]
	t := time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
	if t.Month() != time.Month(month) || t.Day() != day || t.Hour() != hour ||
		t.Minute() != min || t.Second() != sec {
		return time.Time{}, malformed(field, "time %q out of range", c)
	}
	return t, nil
}

func (f *fields) bits(n int, what string) asn1.BitString {
	inner := f.need(n, what)
	if f.err != nil {
		return asn1.BitString{}
	}
	bs, err := parseBits(inner, in(f.name, what))
	if err != nil {
		f.err = err
	}
	return bs
}

// parseBits reads a BIT STRING (KerberosFlags, APOptions).
func parseBits(b []byte, field where) (asn1.BitString, error) {
	c, err := only(b, tagBitString, field)
	if err != nil {
		return asn1.BitString{}, err
	}
	if len(c) == 0 {
		return asn1.BitString{}, malformed(field, "empty bit string")
	}
	unused := int(c[0])
	if unused > 7 || len(c) == 1 && unused != 0 ||
		len(c) > 1 && c[len(c)-1]&(1<<unused-1) != 0 {
		return asn1.BitString{}, malformed(field, "invalid bit string padding")
	}
	return asn1.BitString{Bytes: append([]byte(nil), c[1:]...),
		BitLength: 8*(len(c)-1) - unused}, nil
}

// seqOf calls each for every element of the SEQUENCE OF that is the
// whole of b.
func seqOf(b []byte, field where, each func(elem []byte) error) error {
	content, err := only(b, tagSequence, field)
	if err != nil {
		return err
	}
	for len(content) > 0 {
		_, _, rest, err := element(content, field)
		if err != nil {
			return err
		}
		if err := each(content[:len(content)-len(rest)]); err != nil {
			return err
		}
		content = rest
	}
	return nil
}
