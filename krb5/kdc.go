package krb5

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
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
			return nil, err
		}
		rep, err := c.exchangeOne(ctx, addr, req, tcp)
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
	var hdr [4]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("reading reply length: %w", err))
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n&0x80000000 != 0 {
		return nil, errors.New("reply length has the reserved high bit set")
	}
	if n == 0 || n > maxReply {
		return nil, fmt.Errorf("reply length %d out of bounds (1 to %d)", n, maxReply)
	}
	rep := make([]byte, n)
	if _, err := io.ReadFull(conn, rep); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("reading reply: %w", err))
	}
	return rep, nil
}

// closeOnDone closes conn when ctx ends, so a blocked read returns; the
// returned function stops the watch.
func closeOnDone(ctx context.Context, conn net.Conn) func() bool {
	return context.AfterFunc(ctx, func() { conn.Close() })
}

// ctxErr prefers the context's error, which says why a read failed.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
