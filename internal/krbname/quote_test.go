package krbname

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	long := "HTTP/" + strings.Repeat("b/", 50000)
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"plain", "HTTP/www.example.com", `"HTTP/www.example.com"`},
		{"control bytes", "HTTP/\x00\n", `"HTTP/\x00\n"`},
		{"at the limit", strings.Repeat("a", MaxQuoted), `"` + strings.Repeat("a", MaxQuoted) + `"`},
		{"over the limit", long, `"` + long[:MaxQuoted] + `"... (100005 bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Quote(tt.in))
		})
	}
}
