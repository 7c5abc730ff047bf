package krb5

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
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

// DefaultKDCTimeout bounds one exchange with one KDC when neither
// WithKDCTimeout nor the configuration's kdc_timeout gives another bound.
const DefaultKDCTimeout = 5 * time.Second

// hardUDPLimit is the largest udp_preference_limit honoured, as in MIT
// (HARD_UDP_LIMIT); defaultUDPLimit is used for a negative one.
const (
	hardUDPLimit    = 32700
	defaultUDPLimit = 1465
)

// transport is how one request reaches a KDC.
type transport uint8

const (
	anyTransport transport = iota // a configured KDC: UDP and TCP
	udp
	tcp
)

func (t transport) String() string {
	switch t {
	case udp:
		return "udp"
	case tcp:
		return "tcp"
	}
	return "any"
}

// kdcServer is one KDC of a realm: a kdc relation, which takes UDP and
// TCP, or a DNS SRV record, which names one transport.
type kdcServer struct {
	addr      string // host:port
	transport transport
}

// kdcAttempt is one way to reach a KDC: an address and a transport.
type kdcAttempt struct {
	addr      string
	transport transport
}

func (a kdcAttempt) String() string { return a.transport.String() + "/" + a.addr }

// locateKDCs returns the KDCs of realm in configuration order: the kdc
// relations of the realm or, when it has none and dns_lookup_kdc is on,
// the DNS SRV records _kerberos._udp.REALM and _kerberos._tcp.REALM (RFC
// 4120 section 7.2.3.2), as MIT does. The configuration is not modified.
func (c *Client) locateKDCs(ctx context.Context, cfg *config.Config,
	realm string) ([]kdcServer, error) {
	var out []kdcServer
	var proxies []string
	for _, r := range cfg.Realms {
		if r.Realm != realm {
			continue
		}
		for _, k := range r.KDC {
			k = strings.TrimSpace(k)
			if strings.Contains(k, "://") {
				proxies = append(proxies, k)
				continue
			}
			out = append(out, kdcServer{addr: withPort(k, "88")})
		}
	}
	switch {
	case len(out) > 0:
		return out, nil
	case len(proxies) > 0:
		return nil, fmt.Errorf("krb5: realm %s: %w", realm, ErrNotSupported.With(
			"KDC proxies (MS-KKDCP) such as "+proxies[0], nil))
	case !cfg.LibDefaults.DNSLookupKDC:
		return nil, fmt.Errorf("krb5: %w", ErrRealmUnknown.With(
			"no KDC for realm "+realm+" in the configuration", nil))
	}
	return c.lookupKDCs(ctx, cfg, realm)
}

// withPort adds the default port to an address that has none, keeping
// bracketed IPv6 literals intact.
func withPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(strings.Trim(addr, "[]"), port)
}

// lookupKDCs finds the KDCs of realm in DNS: the UDP records, then the
// TCP ones, each in the order of RFC 2782 (priority, then weight). A
// record whose target is "." says the service is not offered there. The
// lookups are bounded by the KDC timeout.
func (c *Client) lookupKDCs(ctx context.Context, cfg *config.Config,
	realm string) ([]kdcServer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.kdcTimeout(cfg, realm))
	defer cancel()
	r := c.settings.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	var out []kdcServer
	var errs []error
	for _, t := range []transport{udp, tcp} {
		// LookupSRV may return the valid records with an error
		// about the others; they are used.
		_, srvs, err := r.LookupSRV(ctx, "kerberos", t.String(), realm)
		if err != nil {
			errs = append(errs, err)
		}
		for _, s := range srvs {
			host := strings.TrimSuffix(s.Target, ".")
			if host == "" {
				continue
			}
			out = append(out, kdcServer{transport: t,
				addr: net.JoinHostPort(host, strconv.Itoa(int(s.Port)))})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("krb5: %w", ErrRealmUnknown.With(
			"no KDC for realm "+realm+" in the configuration or in DNS",
			joinErrors(errs...)))
	}
	c.trace(ctx, "KDCs found in DNS", "realm", realm, "count", len(out))
	return out, nil
}

// udpPreferenceLimit is the largest request sent over UDP first, as MIT
// reads udp_preference_limit: a negative value is the default and a
// value over hardUDPLimit is lowered to it; 0 and 1 send everything over
// TCP first.
func udpPreferenceLimit(cfg *config.Config) int {
	limit := cfg.LibDefaults.UDPPreferenceLimit
	switch {
	case limit < 0:
		return defaultUDPLimit
	case limit > hardUDPLimit:
		return hardUDPLimit
	}
	return limit
}

// plan lists the attempts of one exchange as MIT orders them: every KDC
// over the preferred transport, in order, then every KDC over the other
// one. An SRV record of the other transport waits for the second round.
func plan(servers []kdcServer, preferTCP bool) []kdcAttempt {
	first, second := udp, tcp
	if preferTCP {
		first, second = tcp, udp
	}
	var out []kdcAttempt
	for _, round := range []transport{first, second} {
		for _, s := range servers {
			if s.transport == anyTransport || s.transport == round {
				out = append(out, kdcAttempt{addr: s.addr, transport: round})
			}
		}
	}
	return out
}

// exchange sends req to the KDCs of realm and returns the first reply.
// Requests no larger than udp_preference_limit go over UDP first, others
// over TCP first; after every KDC was tried over the preferred transport,
// each is tried over the other one, and a KDC that answers
// KRB_ERR_RESPONSE_TOO_BIG over UDP is asked again over TCP at once. Each
// attempt costs at most the KDC timeout. A KDC that failed is tried after
// the others for a while (kdcRetryAfter), by every client of the module,
// so that a silent KDC costs its timeout once rather than on every
// exchange.
func (c *Client) exchange(ctx context.Context, realm string, req []byte) ([]byte, error) {
	cfg := c.conf(ctx)
	servers, err := c.locateKDCs(ctx, cfg, realm)
	if err != nil {
		return nil, err
	}
	health := currentKDCHealth()
	attempts := health.order(plan(servers, len(req) > udpPreferenceLimit(cfg)),
		time.Now())
	timeout := c.kdcTimeout(cfg, realm)
	tried := make(map[kdcAttempt]bool, len(attempts))
	var errs []error
	for _, a := range attempts {
		if tried[a] {
			continue
		}
		if err := ctx.Err(); err != nil {
			// The caller's deadline or cancellation, not a KDC's fault;
			// the KDCs tried so far say what happened before it.
			return nil, fmt.Errorf("krb5: realm %s: %w", realm,
				joinErrors(append([]error{err}, errs...)...))
		}
		rep, used, err := c.exchangeOne(ctx, a, req, timeout)
		tried[used] = true
		if err == nil {
			err = checkReply(rep)
		}
		if err == nil {
			health.answered(used)
			return rep, nil
		}
		if ctx.Err() == nil {
			health.fail(used, time.Now())
		}
		c.trace(ctx, "kdc exchange failed", "kdc", used.String(), "err", err.Error())
		errs = append(errs, fmt.Errorf("%s: %w", used, err))
	}
	return nil, fmt.Errorf("krb5: %w", ErrKDCUnreachable.With(
		"realm "+realm, joinErrors(errs...)))
}

// exchangeOne makes one attempt, within timeout, switching from UDP to
// TCP if the reply was too big for UDP. It returns the attempt that gave
// the result.
func (c *Client) exchangeOne(ctx context.Context, a kdcAttempt, req []byte,
	timeout time.Duration) ([]byte, kdcAttempt, error) {
	// The UDP attempt holds the timeout as its socket's deadline rather
	// than in a derived context: no timer and no context of its own, for
	// what is most exchanges. The TCP retry after a reply too big for UDP
	// shares the same deadline.
	deadline := time.Now().Add(timeout)
	d := &net.Dialer{Resolver: c.settings.resolver}
	if a.transport == udp {
		rep, err := exchangeUDP(ctx, d, a.addr, req, deadline)
		if err != nil || !isTooBig(rep) {
			return rep, a, err
		}
		c.trace(ctx, "kdc reply too big for UDP, retrying over TCP", "kdc", a.addr)
		a.transport = tcp
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rep, err := exchangeTCP(ctx, d, a.addr, req)
	return rep, a, err
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

// exchangeUDP sends req in one datagram and reads one reply, by the
// earlier of ctx's deadline and deadline (none if zero); the end of ctx
// closes the socket at once. A reply that fills the largest datagram is
// refused as possibly cut.
func exchangeUDP(ctx context.Context, d *net.Dialer, addr string,
	req []byte, deadline time.Time) ([]byte, error) {
	if dl, ok := ctx.Deadline(); ok && (deadline.IsZero() || dl.Before(deadline)) {
		deadline = dl
	}
	conn, err := dialUDP(ctx, d, addr, deadline)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	defer conn.Close()
	if ctx.Done() != nil {
		// A context that can never end needs no watch.
		stop := closeOnDone(ctx, conn)
		defer stop()
	}
	if !deadline.IsZero() {
		conn.SetDeadline(deadline)
	}
	if _, err := conn.Write(req); err != nil {
		return nil, ctxErr(ctx, err)
	}
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	n, err := conn.Read(*bp)
	if err == io.EOF {
		// An empty datagram, as a file reads it; checkReply refuses it.
		err = nil
	}
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	if n > maxUDPReply {
		return nil, errors.New("UDP reply truncated")
	}
	return bytes.Clone((*bp)[:n]), nil
}

// dialUDP connects a UDP socket to addr. An IP address with a port, as
// KDC addresses in configurations usually are, is connected directly,
// without the dialer's parsing and resolution, which for a datagram
// socket cost more than the connect itself. A name is resolved by
// deadline (none if zero).
func dialUDP(ctx context.Context, d *net.Dialer, addr string,
	deadline time.Time) (udpConn, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return dialUDPAddr(ap)
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return d.DialContext(ctx, "udp", addr)
}

// udpConn is a connected datagram socket.
type udpConn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// udpBufs holds buffers for UDP replies. One must hold the largest
// datagram and one byte more, to tell a full one from a truncated one:
// too much to allocate, and zero, for every exchange. A reply is copied
// out of it; what stays behind is ciphertext and public fields.
var udpBufs = sync.Pool{New: func() any {
	b := make([]byte, maxUDPReply+1)
	return &b
}}

// exchangeTCP sends req with its length prefix and reads one framed
// reply (RFC 4120 section 7.2.2).
func exchangeTCP(ctx context.Context, d *net.Dialer, addr string,
	req []byte) ([]byte, error) {
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
func closeOnDone(ctx context.Context, conn io.Closer) func() bool {
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
