package keytabfile

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Marshal encodes k as a version 0x0502 keytab, whatever k.Version says.
// Each entry carries the 32-bit key version after the 8-bit one (which
// holds the low byte), as MIT writes it. It fails with ErrInvalid when a
// value does not fit: a realm, component or key longer than 65535 bytes,
// more than MaxComponents components, an enctype beyond 16 bits, or a
// timestamp outside 1970 to 2106. The result holds keys; callers should
// clear it when done.
func (k *Keytab) Marshal() ([]byte, error) {
	if len(k.Entries) > MaxEntries {
		return nil, fmt.Errorf("%w: more than %d entries", ErrInvalid,
			MaxEntries)
	}
	b := []byte{5, 2}
	for i := range k.Entries {
		var err error
		b, err = appendEntry(b, &k.Entries[i])
		if err != nil {
			clear(b)
			return nil, fmt.Errorf("%w: entry %d: %w", ErrInvalid, i+1, err)
		}
	}
	return b, nil
}

func appendEntry(b []byte, e *Entry) ([]byte, error) {
	p := e.Principal
	if len(p.Components) > MaxComponents {
		return b, fmt.Errorf("more than %d components", MaxComponents)
	}
	if e.Key.Type < math.MinInt16 || e.Key.Type > math.MaxUint16 {
		return b, fmt.Errorf("enctype %d does not fit in 16 bits",
			e.Key.Type)
	}
	var ts uint32
	if !e.Timestamp.IsZero() {
		s := e.Timestamp.Unix()
		if s < 0 || s > math.MaxUint32 {
			return b, fmt.Errorf("timestamp outside the 32-bit range")
		}
		ts = uint32(s)
	}

	lenAt := len(b)
	b = append(b, 0, 0, 0, 0)
	be := binary.BigEndian
	b = be.AppendUint16(b, uint16(len(p.Components)))
	var err error
	if b, err = appendData(b, "realm", []byte(p.Realm)); err != nil {
		return b, err
	}
	for _, c := range p.Components {
		if b, err = appendData(b, "component", []byte(c)); err != nil {
			return b, err
		}
	}
	b = be.AppendUint32(b, uint32(p.NameType))
	b = be.AppendUint32(b, ts)
	b = append(b, byte(e.KVNO))
	b = be.AppendUint16(b, uint16(e.Key.Type))
	if b, err = appendData(b, "key", e.Key.Value); err != nil {
		return b, err
	}
	b = be.AppendUint32(b, e.KVNO)
	be.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
	return b, nil
}

func appendData(b []byte, what string, p []byte) ([]byte, error) {
	if len(p) > math.MaxUint16 {
		return b, fmt.Errorf("%s longer than 65535 bytes", what)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	return append(b, p...), nil
}
