package krbname

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrincipalString(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		s    string
	}{
		{"user", Principal{1, "EXAMPLE.TEST", []string{"alice"}},
			"alice@EXAMPLE.TEST"},
		{"service", Principal{1, "EXAMPLE.TEST",
			[]string{"host", "svc.example.test"}},
			"host/svc.example.test@EXAMPLE.TEST"},
		{"tgs", Principal{2, "EXAMPLE.TEST",
			[]string{"krbtgt", "EXAMPLE.TEST"}},
			"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"},
		{"escapes", Principal{1, "R@ALM", []string{"a/b@c\\d", "\t\n\b\x00"}},
			`a\/b\@c\\d/\t\n\b\0@R\@ALM`},
		{"enterprise", Principal{1, "AD.TEST", []string{"bob@corp.test"}},
			`bob\@corp.test@AD.TEST`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.s, tt.p.String())
			got, err := ParsePrincipal(tt.s, "")
			require.NoError(t, err)
			assert.True(t, got.Equal(tt.p), "%#v", got)
		})
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		name, in, realm string
		want            Principal
		err             bool
	}{
		{"default realm", "alice", "DEF.TEST",
			Principal{1, "DEF.TEST", []string{"alice"}}, false},
		{"no default", "alice", "", Principal{1, "", []string{"alice"}},
			false},
		{"realm with slash", "a@R/S", "", Principal{}, true},
		{"realm with escaped slash", `a@R\/S`, "", Principal{1, "R/S",
			[]string{"a"}}, false},
		{"escaped other", `a\x`, "R", Principal{1, "R", []string{"ax"}},
			false},
		{"empty", "", "R", Principal{1, "R", []string{""}}, false},
		{"empty realm", "a@", "R", Principal{1, "", []string{"a"}}, false},
		{"empty components", "/a//", "R", Principal{1, "R",
			[]string{"", "a", "", ""}}, false},
		{"two at", "a@b@c", "", Principal{}, true},
		{"trailing backslash", `a\`, "R", Principal{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrincipal(tt.in, tt.realm)
			if tt.err {
				require.ErrorIs(t, err, ErrBadName)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestKeyblockHidesValue(t *testing.T) {
	k := Keyblock{Type: 18, Value: []byte("0123456789abcdef")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		t.Run(verb, func(t *testing.T) {
			out := fmt.Sprintf(verb, k)
			assert.NotContains(t, out, "0123")
			assert.NotContains(t, out, "3031")
			assert.Contains(t, out, "aes256-cts-hmac-sha1-96")
		})
	}
	c := k.Clone()
	k.Wipe()
	assert.Equal(t, make([]byte, 16), k.Value)
	assert.Equal(t, "0123456789abcdef", string(c.Value))
	assert.Equal(t, "etype 99", EnctypeName(99))
}

func FuzzParsePrincipal(f *testing.F) {
	f.Add(`a\/b@R`)
	f.Add("host/svc@EXAMPLE.TEST")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrincipal(s, "D")
		if err != nil {
			return
		}
		again, err := ParsePrincipal(p.String(), "")
		if err != nil || !again.SameName(p) {
			t.Fatalf("%q -> %q does not round trip", s, p.String())
		}
	})
}
