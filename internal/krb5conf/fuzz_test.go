package krb5conf

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser, with an include and an
// includedir that resolve in memory, and converts what parses to
// gokrb5's configuration. Neither may panic or hang; a syntax error must
// be a *SyntaxError.
func FuzzParse(f *testing.F) {
	f.Add([]byte("[libdefaults]\n\tdefault_realm = EXAMPLE.COM\n"))
	f.Add([]byte("[realms]\n EXAMPLE.COM = {\n  kdc = k1:88\n  kdc = k2\n" +
		"  sub = {\n   deep = 1\n  }\n }\n[domain_realm]\n .example.com = EXAMPLE.COM\n"))
	f.Add([]byte("include /inc/a.conf\nincludedir /inc/d\n[libdefaults]*\n" +
		" ticket_lifetime* = 10h\n renew_lifetime = \"7d\\t\"\n"))
	f.Add([]byte("[capaths]\n A = {\n  B = C\n }\n}*\n; comment\n# comment\n"))
	f.Add([]byte("[libdefaults]\r\n default_tkt_enctypes = aes256-cts DEFAULT -des\r\n" +
		" clockskew = 1m30s\n udp_preference_limit = 1\n dns_lookup_kdc = yes\n"))
	files := mapSource{
		"/inc/a.conf":   "[libdefaults]\n forwardable = true\ninclude /inc/a.conf\n",
		"/inc/d/x.conf": "[realms]\n B = {\n  kdc = b:88\n }\n",
		"/inc/d/y~":     "ignored",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseWith(files, "fuzz.conf", data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("parse error is not a *SyntaxError: %v", err)
			}
			return
		}
		_, _ = p.Config()
		_, _ = p.KDCTimeout("EXAMPLE.COM")
		_ = p.Values("libdefaults", "default_realm")
		_ = p.Values("realms", "EXAMPLE.COM", "kdc")
	})
}
