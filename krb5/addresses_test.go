package krb5_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/addrtype"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestTicketAddresses: the client asks the MIT KDC for tickets bound to
// addresses given by WithAddresses, or by noaddresses = false and
// extra_addresses as MIT's kinit -a does; the KDC copies them into the
// service tickets, the cache we write keeps them, and MIT's klist shows
// them. Without either, tickets carry none.
func TestTicketAddresses(t *testing.T) {
	r := testRealm(t)
	loopback := types.HostAddress{AddrType: addrtype.IPv4, Address: []byte{127, 0, 0, 1}}
	base, err := os.ReadFile(r.ConfPath)
	require.NoError(t, err)
	withAddrs := filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(withAddrs, []byte(strings.Replace(string(base),
		"[libdefaults]", "[libdefaults]\n\tnoaddresses = false\n\textra_addresses = 127.0.0.1",
		1)), 0o600))
	cases := []struct {
		name string
		conf string
		opts []krb5.Option
		want func(t *testing.T, got types.HostAddresses)
	}{
		{"none", r.ConfPath, nil, func(t *testing.T, got types.HostAddresses) {
			assert.Empty(t, got)
		}},
		{"WithAddresses", r.ConfPath, []krb5.Option{krb5.WithAddresses(
			netip.MustParseAddr("127.0.0.1"))}, func(t *testing.T, got types.HostAddresses) {
			assert.Equal(t, types.HostAddresses{loopback}, got)
		}},
		{"noaddresses = false", withAddrs, nil, func(t *testing.T, got types.HostAddresses) {
			assert.Contains(t, got, loopback, "the extra address")
			for _, a := range got {
				if a.AddrType == addrtype.IPv4 && a.Address[0] == 127 {
					assert.Equal(t, loopback, a, "no loopback address but the extra one")
				}
			}
		}},
		{"WithAddresses() overrides", withAddrs, []krb5.Option{krb5.WithAddresses()},
			func(t *testing.T, got types.HostAddresses) { assert.Empty(t, got) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			cfg, err := krb5.LoadConfigFile(tc.conf)
			require.NoError(t, err)
			c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
				append(tc.opts, krb5.DisableAutoRenew())...)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.Login(ctx))
			tgt, err := c.TGT()
			require.NoError(t, err)
			tc.want(t, tgt.Addresses)
			st, err := c.ServiceTicket(ctx, r.Service)
			require.NoError(t, err)
			assert.Equal(t, tgt.Addresses, st.Addresses, "copied by the KDC")

			cc := filepath.Join(t.TempDir(), "cc")
			require.NoError(t, c.WriteCCache(cc))
			out, err := r.Command(ctx, "klist", "-a", "-n", "-c", cc).CombinedOutput()
			require.NoError(t, err, "%s", out)
			if len(tgt.Addresses) == 0 {
				assert.Contains(t, string(out), "(none)")
			} else {
				assert.Contains(t, string(out), "127.0.0.1")
			}
			back, err := krb5.NewFromCCache(cc, cfg, krb5.DisableAutoRenew())
			require.NoError(t, err)
			defer back.Close()
			again, err := back.TGT()
			require.NoError(t, err)
			assert.Equal(t, tgt.Addresses, again.Addresses, "read back from the cache")
		})
	}
}
