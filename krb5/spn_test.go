package krb5_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestMalformedSPNs asks for tickets for names that are not service
// principals: each fails before any KDC is asked (there is none), with
// an error that matches ErrMalformedPrincipal and quotes a bounded part
// of the name.
func TestMalformedSPNs(t *testing.T) {
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = X.TEST\n"))
	require.NoError(t, err)
	c, err := krb5.NewWithPassword("alice", "X.TEST", "pw", cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	tests := []struct{ name, spn, says string }{
		{"empty", "", `service name ""`},
		{"empty component", "HTTP/", "empty component"},
		{"empty service", "/host", "empty component"},
		{"realm alone", "@X.TEST", "empty component"},
		{"NUL byte", "HTTP/\x00", `"HTTP/\x00"`},
		{"huge", "HTTP/" + strings.Repeat("b/", 50000), "(100005 bytes)"},
		{"two realms", "HTTP/host@A@B", "second unescaped @"},
		{"slash in the realm", "HTTP/host@A/B", "unescaped / in the realm"},
		{"trailing backslash", `HTTP/host\`, "trailing backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ServiceTicket(context.Background(), tt.spn)
			require.ErrorIs(t, err, krb5.ErrMalformedPrincipal)
			assert.Contains(t, err.Error(), tt.says)
			assert.Less(t, len(err.Error()), 400)
		})
	}
}
