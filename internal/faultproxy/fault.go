package faultproxy

import (
	"fmt"
	"time"
)

// Kind names a way of damaging a KDC's answer.
type Kind int

// The faults. Where a fault has no meaning for UDP, which has no
// connection to reset or close, its documentation says what a datagram
// client gets instead.
const (
	// Pass forwards the reply unchanged.
	Pass Kind = iota
	// Drop reads the request and never answers; over TCP the connection
	// stays open until the client or Close ends it.
	Drop
	// Delay forwards the reply after Fault.Delay.
	Delay
	// Duplicate sends the reply twice (two datagrams, or two framed
	// messages on one connection).
	Duplicate
	// Truncate sends the first half of the reply: a short datagram, or
	// over TCP a well-framed message whose length prefix matches the cut.
	Truncate
	// Corrupt flips the last CorruptBytes bytes of the reply, which in a
	// KDC reply lie inside the final encrypted part or the e-data, so the
	// framing stays intact and only the content is wrong.
	Corrupt
	// Reset answers a TCP request with a reset (SO_LINGER 0, then close).
	// Over UDP it behaves as Drop.
	Reset
	// CloseMidReply sends the TCP length prefix and half the reply, then
	// closes the connection normally. Over UDP it behaves as Truncate.
	CloseMidReply
	// Garbage answers with GarbageSize bytes that are not a Kerberos
	// message (framed with a correct length prefix over TCP).
	Garbage
	// OversizedLength answers a TCP request with a length prefix of
	// OversizedPrefix and nothing after it, leaving the connection open.
	// Over UDP it sends a datagram of the largest possible size, 65507
	// bytes of garbage.
	OversizedLength
	// Hold forwards the reply once Proxy.Release is called (or drops it
	// when the proxy closes), so a test decides exactly when a client's
	// exchange ends.
	Hold
)

var kindNames = [...]string{
	Pass:            "pass",
	Drop:            "drop",
	Delay:           "delay",
	Duplicate:       "duplicate",
	Truncate:        "truncate",
	Corrupt:         "corrupt",
	Reset:           "reset",
	CloseMidReply:   "close-mid-reply",
	Garbage:         "garbage",
	OversizedLength: "oversized-length",
	Hold:            "hold",
}

// String returns the fault's name, or its number if it has none.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Sizes used by the faults.
const (
	// CorruptBytes is how many trailing bytes Corrupt flips.
	CorruptBytes = 8
	// GarbageSize is the length of a Garbage answer.
	GarbageSize = 200
	// OversizedPrefix is the TCP length prefix OversizedLength sends: the
	// largest value without the reserved high bit (RFC 4120, section
	// 7.2.2), about two gigabytes.
	OversizedPrefix = 0x7fffffff
	// maxUDPPayload is the largest UDP payload over IPv4.
	maxUDPPayload = 65507
)

// Fault is what the proxy does to the requests that arrive while it is in
// force. The zero value is Pass.
type Fault struct {
	// Kind is the damage.
	Kind Kind
	// Delay is how long Delay holds the reply back; other kinds ignore
	// it.
	Delay time.Duration
	// Transport limits the fault to requests over "udp" or "tcp"; the
	// other transport passes. Empty means both.
	Transport string
}

// String describes the fault, for test names.
func (f Fault) String() string {
	s := f.Kind.String()
	if f.Kind == Delay {
		s = fmt.Sprintf("%s-%s", f.Kind, f.Delay)
	}
	if f.Transport != "" {
		s += "-" + f.Transport + "-only"
	}
	return s
}

// over returns the fault that applies to a request over network: f, or
// Pass when f is limited to the other transport.
func (f Fault) over(network string) Fault {
	if f.Transport != "" && f.Transport != network {
		return Fault{}
	}
	return f
}

// garbage returns n bytes that no Kerberos decoder accepts: they start
// with a byte that is not the tag of any Kerberos message, followed by a
// deterministic pseudo-random pattern.
func garbage(n int) []byte {
	b := make([]byte, n)
	x := uint32(0x9e3779b9)
	for i := range b {
		// xorshift32: cheap, deterministic, no shared state.
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	if n > 0 {
		b[0] = 0xff
	}
	return b
}

// corrupt returns a copy of rep with its last CorruptBytes bytes (or all
// of them, if it is shorter) inverted.
func corrupt(rep []byte) []byte {
	out := append([]byte(nil), rep...)
	start := max(len(out)-CorruptBytes, 0)
	for i := start; i < len(out); i++ {
		out[i] ^= 0xff
	}
	return out
}
