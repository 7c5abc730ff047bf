package gssapi_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

func TestHostBasedService(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	for in, want := range map[string]string{
		"HTTP@www.Example.COM": "HTTP/www.example.com",
		"host@localhost":       "host/localhost",
		"nfs":                  "nfs/" + strings.ToLower(host),
	} {
		got, err := gssapi.HostBasedService(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"", "@host", "HTTP@", "a/b@host", "HTTP@h@x",
		"HTTP@" + strings.Repeat("h/", 50000)} {
		_, err := gssapi.HostBasedService(bad)
		require.Error(t, err, "%.40q", bad)
		assert.Less(t, len(err.Error()), 300, "the error shows a bounded part of the name")
	}
}
