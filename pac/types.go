package pac

import (
	"strconv"
	"strings"
	"time"
)

// FileTime is a Windows FILETIME: 100-nanosecond intervals since
// 1601-01-01 UTC (MS-DTYP section 2.3.3).
type FileTime uint64

// Never is the FILETIME Windows uses for "no limit", as in an account
// that never expires.
const Never FileTime = 0x7fffffffffffffff

// unixEpoch is 1970-01-01 as a FILETIME.
const unixEpoch = 116444736000000000

// IsNever reports whether t means "no limit": Never or anything above.
func (t FileTime) IsNever() bool { return t >= Never }

// Time converts t to a time.Time in UTC. Zero ("not set") and Never ("no
// limit") both give the zero time.Time, which is what a caller that
// checks IsZero before comparing expects, and which, unlike the year
// 30828 Never stands for, encodes as JSON; IsNever tells them apart.
func (t FileTime) Time() time.Time {
	if t == 0 || t.IsNever() {
		return time.Time{}
	}
	d := int64(t) - unixEpoch
	sec, rem := d/10000000, d%10000000
	if rem < 0 {
		sec, rem = sec-1, rem+10000000
	}
	return time.Unix(sec, rem*100).UTC()
}

// fileTimeOf converts a time to a FILETIME, at second precision as the
// KDC writes authentication times.
func fileTimeOf(t time.Time) FileTime {
	return FileTime(t.Unix()*10000000 + unixEpoch)
}

// maxSubAuthorities is SID_MAX_SUB_AUTHORITIES (MS-DTYP section 2.4.2).
const maxSubAuthorities = 15

// SID is a Windows security identifier (MS-DTYP section 2.4.2).
type SID struct {
	Revision uint8
	// Authority is the 48-bit identifier authority, 5 for NT.
	Authority uint64
	// SubAuthorities ends with the relative identifier (RID) for an
	// account's SID.
	SubAuthorities []uint32
}

// String formats the SID as "S-1-5-21-...", the authority in hex when
// it does not fit 32 bits (MS-DTYP section 2.4.2.1).
func (s SID) String() string {
	var b strings.Builder
	b.WriteString("S-")
	b.WriteString(strconv.Itoa(int(s.Revision)))
	b.WriteByte('-')
	if s.Authority >= 1<<32 {
		b.WriteString("0x")
		b.WriteString(strings.ToUpper(strconv.FormatUint(s.Authority, 16)))
	} else {
		b.WriteString(strconv.FormatUint(s.Authority, 10))
	}
	for _, sa := range s.SubAuthorities {
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(uint64(sa), 10))
	}
	return b.String()
}

// Append returns the SID with rid appended, as a domain SID and a
// relative identifier make an account's or group's SID.
func (s SID) Append(rid uint32) SID {
	subs := make([]uint32, len(s.SubAuthorities), len(s.SubAuthorities)+1)
	copy(subs, s.SubAuthorities)
	return SID{Revision: s.Revision, Authority: s.Authority,
		SubAuthorities: append(subs, rid)}
}

// sidAuthority reads the 48-bit big-endian identifier authority.
func sidAuthority(b []byte) uint64 {
	var a uint64
	for _, c := range b[:6] {
		a = a<<8 | uint64(c)
	}
	return a
}

// binarySID reads a SID in its packed form (MS-DTYP section 2.4.2.2),
// which must fill the n bytes given.
func (r *reader) binarySID(n int, what string) *SID {
	if n < 8 {
		r.fail("%s of %d bytes is too short for a SID", what, n)
		return nil
	}
	b := r.bytes(n, what)
	if b == nil {
		return nil
	}
	count := int(b[1])
	if count > maxSubAuthorities || n != 8+4*count {
		r.fail("%s has %d sub-authorities in %d bytes", what, count, n)
		return nil
	}
	s := &SID{Revision: b[0], Authority: sidAuthority(b[2:8]),
		SubAuthorities: make([]uint32, count)}
	sub := newReader(b[8:], r.typ)
	for i := range s.SubAuthorities {
		s.SubAuthorities[i] = sub.u32(what)
	}
	return s
}
