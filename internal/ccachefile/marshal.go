package ccachefile

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// writer appends big-endian fields to a buffer.
type writer struct {
	b   []byte
	err error
}

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }

func (w *writer) setErr(format string, a ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
	}
}

func (w *writer) data(what string, p []byte) {
	if uint64(len(p)) > math.MaxUint32 {
		w.setErr("%s longer than 4 GiB", what)
		return
	}
	w.u32(uint32(len(p)))
	w.b = append(w.b, p...)
}

func (w *writer) type16(what string, v int32) {
	if v < math.MinInt16 || v > math.MaxUint16 {
		w.setErr("%s %d does not fit in 16 bits", what, v)
		return
	}
	w.u16(uint16(v))
}

func (w *writer) time(what string, t time.Time) {
	if t.IsZero() {
		w.u32(0)
		return
	}
	s := t.Unix()
	if s < 0 || s > math.MaxUint32 {
		w.setErr("%s outside the 32-bit range of the format", what)
		return
	}
	w.u32(uint32(s))
}

func (w *writer) principal(what string, p Principal) {
	if len(p.Components) > MaxComponents {
		w.setErr("%s has more than %d components", what, MaxComponents)
		return
	}
	w.u32(uint32(p.NameType))
	w.u32(uint32(len(p.Components)))
	w.data(what+" realm", []byte(p.Realm))
	for _, s := range p.Components {
		w.data(what+" component", []byte(s))
	}
}

// Marshal encodes c as a version 4 credential cache file, whatever
// c.Version says. It fails with ErrInvalid when a value does not fit the
// format: a time outside 1970 to 2106, a type number beyond 16 bits, or a
// count above this package's limits. The result holds session keys;
// callers should clear it when done.
func (c *Cache) Marshal() ([]byte, error) {
	w := &writer{b: []byte{5, 4}}
	if c.TimeOffset == nil {
		w.u16(0)
	} else {
		d := *c.TimeOffset
		sec := d / time.Second
		usec := (d % time.Second) / time.Microsecond
		if sec < math.MinInt32 || sec > math.MaxInt32 {
			return nil, fmt.Errorf("%w: time offset out of range",
				ErrInvalid)
		}
		w.u16(12)
		w.u16(headerTagTimeOffset)
		w.u16(8)
		w.u32(uint32(int32(sec)))
		w.u32(uint32(int32(usec)))
	}
	w.principal("default principal", c.DefaultPrincipal)
	if len(c.Credentials) > MaxCredentials {
		return nil, fmt.Errorf("%w: more than %d credentials", ErrInvalid,
			MaxCredentials)
	}
	for i := range c.Credentials {
		w.credential(&c.Credentials[i])
	}
	if w.err != nil {
		clear(w.b)
		return nil, w.err
	}
	return w.b, nil
}

func (w *writer) credential(c *Credential) {
	w.principal("client", c.Client)
	w.principal("server", c.Server)
	w.type16("key enctype", c.Key.Type)
	w.data("key", c.Key.Value)
	w.time("auth time", c.AuthTime)
	w.time("start time", c.StartTime)
	w.time("end time", c.EndTime)
	w.time("renew till", c.RenewTill)
	if c.IsSKey {
		w.u8(1)
	} else {
		w.u8(0)
	}
	w.u32(c.Flags)

	if len(c.Addresses) > MaxAddresses {
		w.setErr("more than %d addresses", MaxAddresses)
		return
	}
	w.u32(uint32(len(c.Addresses)))
	for _, a := range c.Addresses {
		w.type16("address type", a.Type)
		w.data("address", a.Data)
	}
	if len(c.AuthData) > MaxAuthData {
		w.setErr("more than %d authdata elements", MaxAuthData)
		return
	}
	w.u32(uint32(len(c.AuthData)))
	for _, a := range c.AuthData {
		w.type16("authdata type", a.Type)
		w.data("authdata", a.Data)
	}
	w.data("ticket", c.Ticket)
	w.data("second ticket", c.SecondTicket)
}
