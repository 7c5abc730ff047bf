package gssapi_test

import (
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

var (
	loopback4 = netip.MustParseAddr("127.0.0.1")
	loopback6 = netip.MustParseAddr("::1")
	// other is a loopback address tickets are not bound to. The KDC
	// checks a TGT's addresses against the address a TGS request
	// comes from, so tickets are bound to the address the client
	// reaches the KDC from, and presented from this one.
	other = netip.MustParseAddr("127.0.0.2")
)

// addressClient logs in as the realm's user asking for tickets bound to
// addrs; with no addrs, for addressless tickets.
func addressClient(t *testing.T, r *testrealm.Realm, addrs ...netip.Addr) *krb5.Client {
	t.Helper()
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithAddresses(addrs...), krb5.DisableAutoRenew())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctxT(t)))
	return c
}

// TestAcceptAddressCheck: tickets from the MIT KDC bound to addresses
// are accepted only from one of them when the acceptor is asked to
// check, with KRB_AP_ERR_BADADDR under GSS_S_FAILURE otherwise;
// addressless tickets pass, and nothing is checked unless asked.
func TestAcceptAddressCheck(t *testing.T) {
	r := testRealm(t)
	clients := map[string]*krb5.Client{
		"none":  addressClient(t, r),
		"bound": addressClient(t, r, loopback4, loopback6),
	}
	tgt, err := clients["bound"].TGT()
	require.NoError(t, err)
	require.Len(t, tgt.Addresses, 2, "the KDC put the addresses in the TGT")
	checking := acceptor(t, r, gssapi.WithAddressCheck())
	plain := acceptor(t, r)
	cases := []struct {
		name   string
		ticket string
		cred   *gssapi.AcceptorCredential
		from   netip.Addr // zero: Accept is not told
		ok     bool
	}{
		{"addressless", "none", checking, other, true},
		{"addressless, peer unknown", "none", checking, netip.Addr{}, true},
		{"bound, from IPv4", "bound", checking, loopback4, true},
		{"bound, from IPv6", "bound", checking, loopback6, true},
		{"bound, from IPv4-mapped", "bound", checking,
			netip.MustParseAddr("::ffff:127.0.0.1"), true},
		{"bound, from elsewhere", "bound", checking, other, false},
		{"bound, peer unknown", "bound", checking, netip.Addr{}, false},
		{"bound, AcceptFrom alone", "bound", plain, other, false},
		{"bound, not asked", "bound", plain, netip.Addr{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, tok, err := gssapi.Initiate(ctxT(t), clients[tc.ticket], "HTTP/localhost")
			require.NoError(t, err)
			defer in.Close()
			var opts []gssapi.AcceptOption
			if tc.from.IsValid() {
				opts = append(opts, gssapi.AcceptFrom(tc.from))
			}
			sc, _, err := tc.cred.Accept(tok, opts...)
			if tc.ok {
				require.NoError(t, err)
				sc.Close()
				return
			}
			require.ErrorIs(t, err, gssapi.ErrBadAddress)
			require.ErrorIs(t, err, gssapi.ErrFailure)
			var ge *errortables.GSSError
			require.True(t, errors.As(err, &ge))
			assert.Equal(t, "KRB5KRB_AP_ERR_BADADDR", ge.MinorName)
		})
	}
}

// fromOther is an HTTP client transport whose connections come from
// the loopback address other.
func fromOther() *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: other.AsSlice()}}
	return &http.Transport{DialContext: d.DialContext}
}

// TestMiddlewareAddressCheck: the middleware made with an address-
// checking credential takes the peer address from the request. Our
// client and curl (MIT's library, after kinit with noaddresses = false)
// are let in with tickets bound to the address they connect from, or to
// none, and refused when they connect from another, unless the
// middleware was not asked to check.
func TestMiddlewareAddressCheck(t *testing.T) {
	r := testRealm(t)
	checked := server(t, acceptor(t, r, gssapi.WithAddressCheck()))
	unchecked := server(t, acceptor(t, r))
	ours := []struct {
		name      string
		addrs     []netip.Addr
		fromOther bool
		want      int
	}{
		{"addressless", nil, false, http.StatusOK},
		{"addressless, from elsewhere", nil, true, http.StatusOK},
		{"bound", []netip.Addr{loopback4}, false, http.StatusOK},
		{"bound, from elsewhere", []netip.Addr{loopback4}, true,
			http.StatusUnauthorized},
	}
	for _, tc := range ours {
		t.Run("ours "+tc.name, func(t *testing.T) {
			var base *http.Client
			if tc.fromOther {
				base = &http.Client{Transport: fromOther()}
			}
			hc := gssapi.NewClient(addressClient(t, r, tc.addrs...), base)
			code, _ := get(t, hc, checked)
			assert.Equal(t, tc.want, code)
			code, _ = get(t, hc, unchecked)
			assert.Equal(t, http.StatusOK, code, "not asked to check")
		})
	}

	// MIT binds tickets to the host's addresses, never the loopback
	// ones, and to the extra addresses.
	base, err := os.ReadFile(r.ConfPath)
	require.NoError(t, err)
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	text := strings.Replace(string(base), "[libdefaults]",
		"[libdefaults]\n\tnoaddresses = false\n\textra_addresses = 127.0.0.1", 1)
	require.NoError(t, os.WriteFile(conf, []byte(text), 0o600))
	cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
	kinit := r.Command(ctxT(t), "kinit", "-c", cc, r.User)
	kinit.Env = append(kinit.Env, "KRB5_CONFIG="+conf)
	kinit.Stdin = strings.NewReader(r.Password + "\n")
	out, err := kinit.CombinedOutput()
	require.NoError(t, err, "%s", out)
	klist := r.Command(ctxT(t), "klist", "-a", "-n", "-c", cc)
	out, err = klist.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Addresses: 127.0.0.1")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"curl bound", nil, "200"},
		{"curl bound, from elsewhere", []string{"--interface", other.String()}, "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := curlWith(t, conf, cc, checked, tc.args...)
			assert.True(t, strings.HasSuffix(body, tc.want), body)
			body = curlWith(t, conf, cc, unchecked, tc.args...)
			assert.True(t, strings.HasSuffix(body, "200"), body)
		})
	}
}

// TestMiddlewareAddressUnknownPeer: a peer whose RemoteAddr names no IP
// address cannot use a bound ticket.
func TestMiddlewareAddressUnknownPeer(t *testing.T) {
	r := testRealm(t)
	h := gssapi.Middleware(acceptor(t, r, gssapi.WithAddressCheck()))(whoami)
	for _, tc := range []struct {
		name  string
		addrs []netip.Addr
		want  int
	}{
		{"addressless", nil, http.StatusOK},
		{"bound", []netip.Addr{loopback4}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, tok, err := gssapi.Initiate(ctxT(t), addressClient(t, r, tc.addrs...),
				"HTTP/localhost")
			require.NoError(t, err)
			defer in.Close()
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = "@"
			req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, tc.want, rec.Code)
		})
	}
}
