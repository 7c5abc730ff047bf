package krb5_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestConfigErrorTexts checks what a user reads about a bad krb5.conf:
// the file and line once, after the package's own prefix, and no name of
// an internal package.
func TestConfigErrorTexts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	syntax := write("syntax.conf", "[libdefaults]\n foo\n")
	value := write("value.conf", "[libdefaults]\n clockskew = abc\n")
	include := write("include.conf", "include "+dir+"/missing.conf\n")
	tests := []struct {
		name string
		path string
		want string
	}{
		{"syntax", syntax, "krb5: " + syntax + `:2: relation without "="`},
		{"value", value, "krb5: " + value +
			`:2: libdefaults.clockskew = "abc": invalid value`},
		{"include", include, "krb5: " + include + `:1: include "` + dir +
			`/missing.conf": open ` + dir + "/missing.conf: no such file or directory"},
		{"directory", dir, "krb5: read " + dir + ": is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := krb5.LoadConfigFile(tt.path)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
	_, err := krb5.LoadConfigFile(filepath.Join(dir, "none.conf"))
	assert.Equal(t, "krb5: no configuration file found: file does not exist",
		err.Error())
}
