package main

import (
	"strings"
	"testing"

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
