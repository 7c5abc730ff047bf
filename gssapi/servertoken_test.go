package gssapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// serverToken says why an answer has no usable token, and says it right:
// a token that decodes to nothing is empty, not invalid base64.
func TestServerTokenReasons(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		tok     string
		why     string
	}{
		{"none", nil, "", "the server's answer carries no Negotiate token"},
		{"other scheme", []string{"Basic realm=x"}, "",
			"the server's answer carries no Negotiate token"},
		{"bare Negotiate", []string{"Negotiate"}, "",
			"the server's answer carries no Negotiate token"},
		{"bad base64", []string{"Negotiate !!!"}, "",
			"the server's Negotiate token is not valid base64"},
		{"empty after decoding", []string{"Negotiate ="}, "",
			"the server's Negotiate token is not valid base64"},
		{"too long", []string{"Negotiate " + strings.Repeat("A", maxHeader+4)}, "",
			fmt.Sprintf("the server's Negotiate token of %d bytes is over the "+
				"limit of %d", maxHeader+4, maxHeader)},
		{"valid", []string{"Negotiate YWJj"}, "abc", ""},
		{"valid after a bad one", []string{"Negotiate !!!", "Negotiate YWJj"},
			"abc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Header: http.Header{}}
			for _, h := range tt.headers {
				resp.Header.Add("WWW-Authenticate", h)
			}
			tok, why := serverToken(resp)
			assert.Equal(t, tt.tok, string(tok))
			assert.Equal(t, tt.why, why)
		})
	}
}
