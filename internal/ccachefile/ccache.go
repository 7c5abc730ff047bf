package ccachefile

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/safekrb5/safekrb5/internal/krbname"
)

// Limits on counts read from a file. A file beyond them is rejected with
// ErrLimit rather than allocating without bound.
const (
	MaxComponents  = 64
	MaxAddresses   = 256
	MaxAuthData    = 256
	MaxCredentials = 65536
)

// headerTagTimeOffset is the version 4 header field holding the KDC time
// offset: 32-bit seconds and 32-bit microseconds.
const headerTagTimeOffset = 1

// Principal is a principal name as stored in a cache.
type Principal = krbname.Principal

// ParsePrincipal parses MIT's string form of a principal name, the
// inverse of Principal.String; see krbname.ParsePrincipal.
func ParsePrincipal(s, defaultRealm string) (Principal, error) {
	return krbname.ParsePrincipal(s, defaultRealm)
}

// Keyblock is a session key; its value never prints.
type Keyblock = krbname.Keyblock

// Address is a host address attached to a ticket (RFC 4120 section 5.2.5).
type Address struct {
	Type int32
	Data []byte
}

// AuthData is one authorization data element (RFC 4120 section 5.2.6).
type AuthData struct {
	Type int32
	Data []byte
}

// Credential is one cache entry: a ticket with its session key and the
// fields of the KDC reply, or a configuration entry (see IsConfig).
// Times are the zero time.Time where the file holds 0.
type Credential struct {
	Client, Server Principal
	Key            Keyblock
	AuthTime       time.Time
	StartTime      time.Time
	EndTime        time.Time
	RenewTill      time.Time
	IsSKey         bool
	// Flags holds the ticket flags as stored: bit 31 of the integer is
	// RFC 4120 flag 0.
	Flags        uint32
	Addresses    []Address
	AuthData     []AuthData
	Ticket       []byte // DER encoded Ticket, or a configuration value
	SecondTicket []byte // DER encoded Ticket for user-to-user, or empty
}

// Cache is the content of a credential cache file.
type Cache struct {
	// Version is the format version read, 1 to 4. Marshal ignores it and
	// writes version 4.
	Version int
	// TimeOffset is the KDC time offset from the version 4 header, or nil
	// when the file has none.
	TimeOffset       *time.Duration
	DefaultPrincipal Principal
	Credentials      []Credential
}

// Parse decodes a credential cache file. It returns a *FormatError
// wrapping ErrTruncated, ErrVersion, ErrLimit or ErrMalformed when the
// data is not a valid cache. The result shares no memory with b.
func Parse(b []byte) (*Cache, error) {
	r := &reader{b: b, order: binary.BigEndian}
	tag, err := r.u8("file format tag")
	if err != nil {
		return nil, err
	}
	ver, err := r.u8("file format version")
	if err != nil {
		return nil, err
	}
	if tag != 5 || ver < 1 || ver > 4 {
		return nil, r.fail(0, "file format version", ErrVersion)
	}
	c := &Cache{Version: int(ver)}
	if ver < 3 {
		r.order = binary.NativeEndian
	}
	if ver == 4 {
		if err := c.parseHeader(r); err != nil {
			return nil, err
		}
	}

	r.ctx = "default principal"
	c.DefaultPrincipal, err = readPrincipal(r, c.Version)
	if err != nil {
		return nil, err
	}
	for r.left() > 0 {
		n := len(c.Credentials)
		r.ctx = "credential " + strconv.Itoa(n+1)
		if n == MaxCredentials {
			return nil, r.fail(r.off, "", ErrLimit)
		}
		cred, err := readCredential(r, c.Version)
		if err != nil {
			return nil, err
		}
		c.Credentials = append(c.Credentials, cred)
	}
	return c, nil
}

func (c *Cache) parseHeader(r *reader) error {
	r.ctx = "header"
	hlen, err := r.u16("length")
	if err != nil {
		return err
	}
	hdr, err := r.take(int(hlen), "fields")
	if err != nil {
		return err
	}
	h := &reader{b: hdr, order: r.order, ctx: "header"}
	base := r.off - len(hdr)
	for h.left() > 0 {
		start := h.off
		t, err := h.u16("field tag")
		if err == nil {
			var n uint16
			n, err = h.u16("field length")
			if err == nil {
				var v []byte
				v, err = h.take(int(n), "field value")
				if err == nil && t == headerTagTimeOffset {
					err = c.setTimeOffset(h, start, v)
				}
			}
		}
		if fe, ok := err.(*FormatError); ok {
			fe.Offset += base
			return fe
		}
	}
	return nil
}

func (c *Cache) setTimeOffset(h *reader, start int, v []byte) error {
	if len(v) != 8 {
		return h.fail(start, "time offset field length "+
			strconv.Itoa(len(v)), ErrMalformed)
	}
	sec := int32(h.order.Uint32(v))
	usec := int32(h.order.Uint32(v[4:]))
	d := time.Duration(sec)*time.Second +
		time.Duration(usec)*time.Microsecond
	c.TimeOffset = &d
	return nil
}

func readPrincipal(r *reader, ver int) (Principal, error) {
	var p Principal
	if ver != 1 {
		t, err := r.u32("name type")
		if err != nil {
			return p, err
		}
		p.NameType = int32(t)
	}
	start := r.off
	n, err := r.count("component count", MaxComponents+1, 4)
	if err != nil {
		return p, err
	}
	if ver == 1 {
		// Version 1 counts the realm as a component.
		if n == 0 {
			return p, r.fail(start, "component count 0", ErrMalformed)
		}
		n--
	} else if n > MaxComponents {
		return p, r.fail(start, "component count "+strconv.Itoa(n)+
			" above limit "+strconv.Itoa(MaxComponents), ErrLimit)
	}
	realm, err := r.data("realm")
	if err != nil {
		return p, err
	}
	p.Realm = string(realm)
	if n > 0 {
		p.Components = make([]string, n)
	}
	for i := range n {
		s, err := r.data("component " + strconv.Itoa(i+1))
		if err != nil {
			return p, err
		}
		p.Components[i] = string(s)
	}
	return p, nil
}

func readCredential(r *reader, ver int) (Credential, error) {
	var c Credential
	var err error
	ctx := r.ctx
	r.ctx = ctx + " client"
	if c.Client, err = readPrincipal(r, ver); err != nil {
		return c, err
	}
	r.ctx = ctx + " server"
	if c.Server, err = readPrincipal(r, ver); err != nil {
		return c, err
	}
	r.ctx = ctx
	et, err := r.u16("key enctype")
	if err != nil {
		return c, err
	}
	if ver == 3 {
		// Version 3 stores the enctype a second time.
		if _, err := r.u16("key enctype copy"); err != nil {
			return c, err
		}
	}
	// Enctypes are signed 16-bit on disk; local enctypes are negative.
	c.Key.Type = int32(int16(et))
	if c.Key.Value, err = r.data("key value"); err != nil {
		return c, err
	}

	times := []*time.Time{&c.AuthTime, &c.StartTime, &c.EndTime,
		&c.RenewTill}
	names := []string{"auth time", "start time", "end time", "renew till"}
	for i, t := range times {
		v, err := r.u32(names[i])
		if err != nil {
			return c, err
		}
		if v != 0 {
			*t = time.Unix(int64(v), 0)
		}
	}
	skey, err := r.u8("is_skey")
	if err != nil {
		return c, err
	}
	c.IsSKey = skey != 0
	if c.Flags, err = r.u32("ticket flags"); err != nil {
		return c, err
	}

	n, err := r.count("address count", MaxAddresses, 6)
	if err != nil {
		return c, err
	}
	for i := range n {
		w := "address " + strconv.Itoa(i+1)
		t, err := r.u16(w + " type")
		if err != nil {
			return c, err
		}
		d, err := r.data(w)
		if err != nil {
			return c, err
		}
		c.Addresses = append(c.Addresses, Address{int32(t), d})
	}
	n, err = r.count("authdata count", MaxAuthData, 6)
	if err != nil {
		return c, err
	}
	for i := range n {
		w := "authdata " + strconv.Itoa(i+1)
		t, err := r.u16(w + " type")
		if err != nil {
			return c, err
		}
		d, err := r.data(w)
		if err != nil {
			return c, err
		}
		c.AuthData = append(c.AuthData, AuthData{int32(t), d})
	}

	if c.Ticket, err = r.data("ticket"); err != nil {
		return c, err
	}
	if c.SecondTicket, err = r.data("second ticket"); err != nil {
		return c, err
	}
	return c, nil
}

// Wipe overwrites every session key value in the cache with zeros.
func (c *Cache) Wipe() {
	for i := range c.Credentials {
		c.Credentials[i].Key.Wipe()
	}
}
