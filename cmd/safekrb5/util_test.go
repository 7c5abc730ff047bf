package main

import (
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadLine reads passwords as kinit takes them from standard input:
// one line, without its line ending, never cut short.
func TestReadLine(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"line", "secret\nnext\n", "secret", ""},
		{"CRLF", "secret\r\n", "secret", ""},
		{"no newline", "secret", "secret", ""},
		{"at the limit", strings.Repeat("p", maxPasswordLine) + "\n",
			strings.Repeat("p", maxPasswordLine), ""},
		{"over the limit", strings.Repeat("p", maxPasswordLine+1) + "\n", "",
			"longer than 4096 bytes"},
		{"empty", "", "", "no password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := readLine(strings.NewReader(tt.in))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.NotContains(t, err.Error(), "ppp", "no password in the error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
		})
	}
}

// TestSplitPrincipal reads kinit's principal as krb5_parse_name does.
func TestSplitPrincipal(t *testing.T) {
	cfg := config.New()
	cfg.LibDefaults.DefaultRealm = "DEF.TEST"
	tests := []struct{ in, name, realm, err string }{
		{in: "alice", name: "alice", realm: "DEF.TEST"},
		{in: "alice@R", name: "alice", realm: "R"},
		{in: "host/a.test@R", name: "host/a.test", realm: "R"},
		{in: `bob\@corp@R`, name: "bob@corp", realm: "R"},
		{in: `a@R\@S`, name: "a", realm: "R@S"},
		{in: "a@b@c", err: "second unescaped @"},
		{in: "a@R/S", err: "unescaped / in the realm"},
		{in: "a@", err: "cannot tell the principal and realm"},
		{in: "@R", err: "cannot tell the principal and realm"},
		{in: `a\/b@R`, err: `a component holding "/" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, realm, err := splitPrincipal(tt.in, cfg)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.realm, realm)
			// What the prompts show reads back as the same principal.
			back, _, err := splitPrincipal(unparsed(name, realm), cfg)
			require.NoError(t, err)
			assert.Equal(t, name, back)
		})
	}
	assert.Equal(t, `bob\@corp@R\@S`, unparsed("bob@corp", "R@S"))
	assert.Equal(t, "host/a.test@R", unparsed("host/a.test", "R"))
}
