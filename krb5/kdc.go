package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
)

// maxReply bounds a KDC reply over TCP. A length prefix above it is refused
// before anything is allocated. Replies carrying Windows PACs stay far
// below it.
const maxReply = 4 << 20

// maxUDPReply is the largest UDP payload; a datagram that fills the buffer
// is treated as truncated.
const maxUDPReply = 65507

// DefaultKDCTimeout bounds one exchange with one KDC unless the client is
// given another with WithKDCTimeout.
const DefaultKDCTimeout = 5 * time.Second

// kdcAddrs returns the KDCs of realm in configuration order: the kdc
// relations of the realm, then DNS SRV records when dns_lookup_kdc is on.
// The configuration is not modified.
func kdcAddrs(ctx context.Context, cfg *config.Config, realm string, tcp bool) ([]string, error) {
	var out []string
	for _, r := range cfg.Realms {
		if r.Realm != realm {
			continue
		}
		for _, k := range r.KDC {
			out = append(out, withPort(strings.TrimSpace(k), "88"))
		}
	}
	if len(out) == 0 && cfg.LibDefaults.DNSLookupKDC {
		proto := "udp"
		if tcp {
			proto = "tcp"
		}
		_, srvs, err := net.DefaultResolver.LookupSRV(ctx, "kerberos", proto, realm)
		if err == nil {
			for _, s := range srvs {
				host := strings.TrimSuffix(s.Target, ".")
				out = append(out, net.JoinHostPort(host, strconv.Itoa(int(s.Port))))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("krb5: %w", ErrRealmUnknown.With("no KDC for realm "+realm, nil))
	}
	return out, nil
}

// withPort adds the default port to an address that has none, keeping
// bracketed IPv6 literals intact.
func withPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), port)
}

// exchange sends req to the KDCs of realm, in order, and returns the first
// reply. It uses UDP when the request is no larger than
// udp_preference_limit, and TCP otherwise or when a KDC answers
// KRB_ERR_RESPONSE_TOO_BIG. Each KDC costs at most timeout.
func (c *Client) exchange(ctx context.Context, realm string, req []byte) ([]byte, error) {
	cfg := c.conf(ctx)
	limit := cfg.LibDefaults.UDPPreferenceLimit
	if limit <= 0 || limit > 32700 {
		limit = 1465
	}
	tcp := len(req) > limit || limit == 1
	addrs, err := kdcAddrs(ctx, cfg, realm, tcp)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, addr := range addrs {
		if err := ctx.Err(); err != nil {
			// The caller's deadline or cancellation, not a KDC's fault;
			// the KDCs tried so far say what happened before it.
			return nil, fmt.Errorf("krb5: realm %s: %w", realm,
				errors.Join(append([]error{err}, errs...)...))
		}
		rep, err := c.exchangeOne(ctx, addr, req, tcp)
		if err == nil {
			err = checkReply(rep)
		}
		if err == nil {
			return rep, nil
		}
		c.trace(ctx, "kdc exchange failed", "kdc", addr, "err", err.Error())
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, fmt.Errorf("krb5: %w", ErrKDCUnreachable.With(
		"realm "+realm, errors.Join(errs...)))
}

// exchangeOne talks to one KDC, switching from UDP to TCP if the reply was
// too big for UDP.
func (c *Client) exchangeOne(ctx context.Context, addr string, req []byte, tcp bool) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.kdcTimeout)
	defer cancel()
	if !tcp {
		rep, err := exchangeUDP(ctx, addr, req)
		if err != nil {
			return nil, err
		}
		if !isTooBig(rep) {
			return rep, nil
		}
		c.trace(ctx, "kdc reply too big for UDP, retrying over TCP", "kdc", addr)
	}
	return exchangeTCP(ctx, addr, req)
}

// isTooBig reports whether rep is a KRB-ERROR with code
// KRB_ERR_RESPONSE_TOO_BIG.
func isTooBig(rep []byte) bool {
	if len(rep) == 0 || rep[0] != 0x7e {
		return false
	}
	var k messages.KRBError
	if err := k.Unmarshal(rep); err != nil {
		return false
	}
	return k.ErrorCode == errorcode.KRB_ERR_RESPONSE_TOO_BIG
}

func exchangeUDP(ctx context.Context, addr string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := closeOnDone(ctx, conn)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write(req); err != nil {
		return nil, ctxErr(ctx, err)
	}
	buf := make([]byte, maxUDPReply+1)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	if n > maxUDPReply {
		return nil, errors.New("UDP reply truncated")
	}
	return buf[:n], nil
}

func exchangeTCP(ctx context.Context, addr string, req []byte) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := closeOnDone(ctx, conn)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	msg := make([]byte, 4+len(req))
	binary.BigEndian.PutUint32(msg, uint32(len(req)))
	copy(msg[4:], req)
	if _, err := conn.Write(msg); err != nil {
		return nil, ctxErr(ctx, err)
	}
	rep, err := readFramed(conn)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	return rep, nil
}

// readFramed reads one TCP reply: a 4-byte big-endian length, then that
// many bytes (RFC 4120 section 7.2.2). A length with the reserved high
// bit set, zero, or above maxReply is refused before anything is
// allocated.
func readFramed(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("reading reply length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n&0x80000000 != 0 {
		return nil, errors.New("reply length has the reserved high bit set")
	}
	if n == 0 || n > maxReply {
		return nil, fmt.Errorf("reply length %d out of bounds (1 to %d)", n, maxReply)
	}
	rep := make([]byte, n)
	if _, err := io.ReadFull(r, rep); err != nil {
		return nil, fmt.Errorf("reading reply: %w", err)
	}
	return rep, nil
}

// closeOnDone closes conn when ctx ends, so a blocked read returns; the
// returned function stops the watch.
func closeOnDone(ctx context.Context, conn net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { conn.Close() })
}

// ctxErr prefers the context's error, which says why a read failed. The
// socket deadline is the context's and may fire a moment before the
// context's own timer; that timeout is the context's deadline too, so it
// matches context.DeadlineExceeded.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// checkReply refuses a reply that is not one whole Kerberos message, so
// that a KDC answering garbage, a cut datagram or a stray packet counts as
// a failed KDC and the next one is tried. A reply must be a single DER
// value tagged AS-REP, TGS-REP or KRB-ERROR (RFC 4120, sections 5.4.2 and
// 5.9.1) whose length covers exactly the bytes received. The content is
// checked later by the decoder of the expected message.
func checkReply(rep []byte) error {
	bad := func(detail string) error {
		return &errMalformed{what: "reply", err: ErrASN1Parse.With(detail, nil)}
	}
	if len(rep) < 2 {
		return bad(fmt.Sprintf("%d bytes are too short for a message", len(rep)))
	}
	switch rep[0] {
	case 0x6b, 0x6d, 0x7e: // [APPLICATION 11], [APPLICATION 13], [APPLICATION 30]
	default:
		return bad(fmt.Sprintf("tag 0x%02x is not an AS-REP, TGS-REP or KRB-ERROR",
			rep[0]))
	}
	hdr, n := 2, uint64(rep[1])
	if rep[1] >= 0x80 {
		k := int(rep[1] & 0x7f)
		if k == 0 || k > 4 || len(rep) < 2+k {
			return bad("invalid DER length")
		}
		n = 0
		for _, b := range rep[2 : 2+k] {
			n = n<<8 | uint64(b)
		}
		hdr += k
	}
	if got := uint64(len(rep) - hdr); got != n {
		return bad(fmt.Sprintf("the message claims %d bytes but %d arrived", n, got))
	}
	return nil
}
