package gssapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
)

// TestSPNForRequest names the service of a URL as MIT's GSS-API names
// the host-based service HTTP@host: no port, no final dot, lower case.
func TestSPNForRequest(t *testing.T) {
	tests := []struct{ url, spn string }{
		{"http://www.example.test/", "HTTP/www.example.test"},
		{"https://www.example.test:8443/x", "HTTP/www.example.test"},
		{"http://WWW.Example.Test./", "HTTP/www.example.test"},
		{"http://[::1]:8080/", "HTTP/::1"},
		{"http://127.0.0.1/", "HTTP/127.0.0.1"},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(http.MethodGet, tt.url, nil)
		require.NoError(t, err)
		assert.Equal(t, tt.spn, gssapi.SPNForRequest(r), tt.url)
	}
}

// TestTransportUpperCaseHost sends a request to a URL whose host is in
// upper case, which curl --negotiate serves: the ticket is asked for the
// lower-case principal the realm has.
func TestTransportUpperCaseHost(t *testing.T) {
	r := testRealm(t)
	url := strings.Replace(server(t, acceptor(t, r)), "localhost", "LOCALHOST", 1)
	hc := gssapi.NewClient(client(t, r), nil)
	resp, err := hc.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
}
