package pac

// NDR as the PAC uses it: the Type Serialization Version 1 of MS-RPCE
// section 2.2.6, little-endian, 32-bit unique pointers whose referents
// follow the structure that holds them, in the order of the pointers
// (C706 chapter 14).

// ndrStream checks the common and private headers of a serialized type
// and returns a reader positioned at its top-level pointer, bounded by
// the object buffer length the private header gives.
func ndrStream(b []byte, t BufferType) *reader {
	r := newReader(b, t)
	version := r.u8("serialization version")
	endian := r.u8("endianness")
	hdrLen := r.u16("common header length")
	r.u32("common header filler")
	objLen := r.u32("object buffer length")
	r.u32("private header filler")
	switch {
	case r.err != nil:
		return r
	case version != 1:
		r.fail("serialization version %d, not 1", version)
	case endian != 0x10:
		r.fail("NDR stream is not little-endian (0x%02x)", endian)
	case hdrLen != 8:
		r.fail("common header length %d, not 8", hdrLen)
	case int64(objLen) > int64(r.remaining()):
		r.fail("object buffer of %d bytes, %d left", objLen, r.remaining())
	}
	if r.err != nil {
		return r
	}
	// Alignment counts from the start of the object buffer, which is
	// itself at a multiple of 8.
	body := newReader(r.b[r.off:r.off+int(objLen)], t)
	body.base = r.off
	return body
}

// pointer reads a unique pointer's referent ID: 0 for a null pointer.
func (r *reader) pointer(what string) uint32 {
	r.align(4)
	return r.u32(what)
}

// unicodeString is an RPC_UNICODE_STRING (MS-DTYP section 2.3.10) whose
// characters are deferred.
type unicodeString struct {
	length, max uint16 // in bytes
	ptr         uint32
	what        string
}

// unicodeString reads the fixed part of an RPC_UNICODE_STRING.
func (r *reader) unicodeString(what string) unicodeString {
	r.align(4)
	return unicodeString{length: r.u16(what), max: r.u16(what),
		ptr: r.u32(what), what: what}
}

// deferredString reads the characters of s: a conformant varying array
// of WCHAR with its maximum count, offset and actual count.
func (r *reader) deferredString(s unicodeString) string {
	if s.ptr == 0 {
		if s.length != 0 {
			r.fail("%s has %d bytes and no data", s.what, s.length)
		}
		return ""
	}
	r.align(4)
	maxCount := r.u32(s.what)
	offset := r.u32(s.what)
	actual := r.u32(s.what)
	switch {
	case r.err != nil:
		return ""
	case offset != 0:
		r.fail("%s has array offset %d", s.what, offset)
	case actual > maxCount:
		r.fail("%s has %d characters, more than its maximum %d", s.what,
			actual, maxCount)
	case uint64(actual)*2 != uint64(s.length) || s.length > s.max:
		r.fail("%s has %d characters for a length of %d bytes (maximum %d)",
			s.what, actual, s.length, s.max)
	}
	if r.err != nil {
		return ""
	}
	return r.utf16(int(actual)*2, s.what)
}

// conformantCount reads the maximum count of a conformant array whose
// elements take size bytes each, and checks it against the count the
// structure gave and against the data left.
func (r *reader) conformantCount(want uint32, size int, what string) int {
	r.align(4)
	n := r.u32(what)
	switch {
	case r.err != nil:
		return 0
	case n != want:
		r.fail("%s holds %d elements, the structure says %d", what, n, want)
		return 0
	case uint64(n)*uint64(size) > uint64(r.remaining()):
		r.fail("%s of %d elements does not fit in %d bytes", what, n,
			r.remaining())
		return 0
	}
	return int(n)
}

// ndrSID reads an RPC_SID (MS-DTYP section 2.4.2.3): a conformant
// structure whose sub-authority count comes first.
func (r *reader) ndrSID(what string) *SID {
	r.align(4)
	n := r.u32(what)
	rev := r.u8(what)
	count := r.u8(what)
	auth := r.bytes(6, what)
	switch {
	case r.err != nil:
		return nil
	case uint32(count) != n || count > maxSubAuthorities:
		r.fail("%s has %d sub-authorities, its array %d", what, count, n)
		return nil
	}
	s := &SID{Revision: rev, Authority: sidAuthority(auth),
		SubAuthorities: make([]uint32, 0, min(int(count), r.remaining()/4))}
	for i := 0; i < int(count) && r.err == nil; i++ {
		s.SubAuthorities = append(s.SubAuthorities, r.u32(what))
	}
	if r.err != nil {
		return nil
	}
	return s
}

// deferredSID reads the referent of a SID pointer, nil for a null one.
func (r *reader) deferredSID(ptr uint32, what string) *SID {
	if ptr == 0 {
		return nil
	}
	return r.ndrSID(what)
}
