package krb5conf

import (
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := (&Profile{}).Config()
	require.NoError(t, err)
	l := cfg.LibDefaults
	assert.True(t, l.DNSLookupKDC, "MIT looks KDCs up in DNS by default")
	assert.False(t, l.DNSLookupRealm)
	assert.Equal(t, DefaultUDPPreferenceLimit, l.UDPPreferenceLimit)
	assert.Equal(t, DefaultClockskew, l.Clockskew)
	assert.Equal(t, DefaultTicketLifetime, l.TicketLifetime)
	assert.Zero(t, l.RenewLifetime)
	assert.Equal(t, DefaultEnctypes, l.DefaultTktEnctypeIDs)
	assert.Equal(t, DefaultEnctypes, l.DefaultTGSEnctypeIDs)
	assert.Equal(t, DefaultEnctypes, l.PermittedEnctypeIDs)
	assert.Equal(t, DefaultKeytabName, l.DefaultKeytabName)
	assert.True(t, l.NoAddresses)
	assert.Empty(t, cfg.Realms)
}

func TestConfigValues(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		check func(t *testing.T, c *config.Config)
	}{
		{"udp_preference_limit above MIT's hard limit",
			"[libdefaults]\nudp_preference_limit = 99999\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, MaxUDPPreferenceLimit, c.LibDefaults.UDPPreferenceLimit)
			}},
		{"negative udp_preference_limit is the default",
			"[libdefaults]\nudp_preference_limit = -5\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, DefaultUDPPreferenceLimit, c.LibDefaults.UDPPreferenceLimit)
			}},
		{"udp_preference_limit 1 forces TCP",
			"[libdefaults]\nudp_preference_limit = 1\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, 1, c.LibDefaults.UDPPreferenceLimit)
			}},
		{"dns_fallback stands in for dns_lookup_kdc",
			"[libdefaults]\ndns_fallback = no\n",
			func(t *testing.T, c *config.Config) {
				assert.False(t, c.LibDefaults.DNSLookupKDC)
			}},
		{"dns_lookup_kdc wins over dns_fallback",
			"[libdefaults]\ndns_fallback = no\ndns_lookup_kdc = true\n",
			func(t *testing.T, c *config.Config) {
				assert.True(t, c.LibDefaults.DNSLookupKDC)
			}},
		{"durations and booleans",
			"[libdefaults]\nclockskew = 1m30s\nticket_lifetime = 2-00:00:00\n" +
				"renew_lifetime = 7d\nforwardable = yes\nrdns = false\n",
			func(t *testing.T, c *config.Config) {
				l := c.LibDefaults
				assert.Equal(t, 90*time.Second, l.Clockskew)
				assert.Equal(t, 48*time.Hour, l.TicketLifetime)
				assert.Equal(t, 7*24*time.Hour, l.RenewLifetime)
				assert.True(t, l.Forwardable)
				assert.False(t, l.RDNS)
			}},
		{"realm servers get their default ports",
			"[realms]\nR = {\n kdc = k1\n kdc = k2:750\n kdc = [::1]\n" +
				" kdc = https://proxy.example/KdcProxy\n primary_kdc = p1\n" +
				" admin_server = adm:749\n}\n",
			func(t *testing.T, c *config.Config) {
				require.Len(t, c.Realms, 1)
				r := c.Realms[0]
				assert.Equal(t, []string{"k1:88", "k2:750", "[::1]:88",
					"https://proxy.example/KdcProxy"}, r.KDC)
				assert.Equal(t, []string{"p1:88"}, r.MasterKDC)
				assert.Equal(t, []string{"adm:464"}, r.KPasswdServer)
			}},
		{"domain_realm keys in lower case, first file first",
			"[domain_realm]\n.Example.COM = R\nhost.example.com = S\n",
			func(t *testing.T, c *config.Config) {
				assert.Equal(t, "R", c.DomainRealm[".example.com"])
				assert.Equal(t, "S", c.ResolveRealm("host.example.com"))
				assert.Equal(t, "R", c.ResolveRealm("other.example.com"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("test.conf", []byte(tt.text))
			require.NoError(t, err)
			c, err := p.Config()
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

// TestValueErrorNamesFileAndLine: a value that does not convert names the
// file, included or not, and the line it was written on.
func TestValueErrorNamesFileAndLine(t *testing.T) {
	tests := []struct {
		name  string
		files mapSource
		kind  error
		pos   string
	}{
		{"bad duration",
			mapSource{"main": "[libdefaults]\n\nclockskew = soon\n"},
			ErrBadValue, "main:3"},
		{"bad boolean in an included file",
			mapSource{"main": "[libdefaults]\ninclude inc\n",
				"inc": "[libdefaults]\nx = 1\nforwardable = perhaps\n"},
			ErrBadValue, "inc:3"},
		{"bad integer, the first file's value",
			mapSource{"main": "[libdefaults]\nudp_preference_limit = lots\n" +
				"udp_preference_limit = 1\n"},
			ErrBadValue, "main:2"},
		{"enctype list with nothing usable",
			mapSource{"main": "[libdefaults]\n default_tkt_enctypes = des-cbc-crc\n"},
			ErrNoEnctypes, "main:2"},
		{"enctype list falling back to permitted_enctypes",
			mapSource{"main": "[libdefaults]\n\n\n permitted_enctypes = nothing\n"},
			ErrNoEnctypes, "main:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseWith(tt.files, "main", []byte(tt.files["main"]))
			require.NoError(t, err)
			_, err = p.Config()
			require.ErrorIs(t, err, tt.kind)
			var ve *ValueError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.pos, ve.File+":"+itoa(ve.Line))
			assert.True(t, strings.HasPrefix(err.Error(), tt.pos+": "),
				err.Error())
		})
	}
}

func TestParseEnctypes(t *testing.T) {
	tests := []struct {
		in        string
		allowWeak bool
		want      []int32
	}{
		{"DEFAULT", false, DefaultEnctypes},
		{"aes", false, []int32{18, 17, 20, 19}},
		{"aes -aes-sha2 rc4 -des", false, []int32{18, 17, 20, 19, 23}},
		{"DEFAULT -rc4 -des3 -camellia", false, []int32{18, 17, 20, 19}},
		{"-aes aes128-cts", false, []int32{17}},
		{"AES256-CTS,+aes128-SHA2", false, []int32{18, 19}},
		{"rc4-hmac arcfour-hmac arcfour-hmac-md5", false, []int32{23}},
		{"des3-cbc-raw arcfour-hmac-exp aes256-cts", false, []int32{18}},
		{"des3-cbc-raw arcfour-hmac-exp", true, []int32{6, 24}},
		{"des-cbc-crc des 17 bogus", false, []int32{}},
		{"", false, []int32{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, ParseEnctypes(tt.in, tt.allowWeak))
		})
	}
}
