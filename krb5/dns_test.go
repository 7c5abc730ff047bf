package krb5_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer is a small authoritative DNS server on 127.0.0.1 for the
// tests that look KDCs up in DNS: it answers the SRV and A records it was
// given and "no such name" for anything else. A net.Resolver whose Dial
// reaches it (Resolver) lets a client use it without touching the
// system's resolver configuration.
type dnsServer struct {
	conn net.PacketConn
	wg   sync.WaitGroup

	// records maps a lower-case name and a type to the answers.
	records map[dnsKey][]dnsmessage.Resource
	queries atomic.Int64
}

type dnsKey struct {
	name string
	typ  dnsmessage.Type
}

// startDNS serves records until the test ends.
func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &dnsServer{conn: conn, records: map[dnsKey][]dnsmessage.Resource{}}
	t.Cleanup(func() {
		conn.Close()
		s.wg.Wait()
	})
	return s
}

// srv adds an SRV record; call before serve.
func (s *dnsServer) srv(t *testing.T, name string, priority, weight,
	port uint16, target string) {
	s.add(t, name, dnsmessage.TypeSRV, &dnsmessage.SRVResource{
		Priority: priority, Weight: weight, Port: port,
		Target: dnsmessage.MustNewName(target)})
}

// a adds an A record for 127.0.0.1; call before serve.
func (s *dnsServer) a(t *testing.T, name string) {
	s.add(t, name, dnsmessage.TypeA, &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}})
}

func (s *dnsServer) add(t *testing.T, name string, typ dnsmessage.Type,
	body dnsmessage.ResourceBody) {
	t.Helper()
	n, err := dnsmessage.NewName(name)
	require.NoError(t, err)
	k := dnsKey{strings.ToLower(name), typ}
	s.records[k] = append(s.records[k], dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: n, Type: typ,
			Class: dnsmessage.ClassINET, TTL: 60},
		Body: body})
}

// serve starts answering; the records must not change afterwards.
func (s *dnsServer) serve() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, addr, err := s.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if rep, ok := s.answer(buf[:n]); ok {
				s.conn.WriteTo(rep, addr)
			}
		}
	}()
}

// answer builds the reply to one query.
func (s *dnsServer) answer(query []byte) ([]byte, bool) {
	var m dnsmessage.Message
	if err := m.Unpack(query); err != nil || len(m.Questions) != 1 {
		return nil, false
	}
	s.queries.Add(1)
	q := m.Questions[0]
	rep := dnsmessage.Message{
		Header: dnsmessage.Header{ID: m.ID, Response: true,
			Authoritative: true, RecursionDesired: m.RecursionDesired},
		Questions: m.Questions,
	}
	name := strings.ToLower(q.Name.String())
	found := false
	for k, rrs := range s.records {
		if k.name != name {
			continue
		}
		found = true
		if k.typ == q.Type {
			rep.Answers = append(rep.Answers, rrs...)
		}
	}
	if !found {
		rep.RCode = dnsmessage.RCodeNameError
	}
	b, err := rep.Pack()
	return b, err == nil
}

// Resolver returns a resolver that sends every query to s.
func (s *dnsServer) Resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}
