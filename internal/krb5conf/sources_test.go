package krb5conf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadSources(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.d")
	require.NoError(t, os.Mkdir(inc, 0o700))
	main := filepath.Join(dir, "krb5.conf")
	require.NoError(t, os.WriteFile(main, []byte("includedir "+inc+
		"\n[libdefaults]\n default_realm = A.TEST\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(inc, "b.conf"),
		[]byte("[libdefaults]\n dns_lookup_kdc = false\n"), 0o600))
	missing := filepath.Join(dir, "missing.conf")

	p, names, err := LoadSources(missing, main)
	require.NoError(t, err)
	assert.Equal(t, []string{main}, p.Files())
	assert.Equal(t, []string{missing, main, inc, filepath.Join(inc, "b.conf")},
		names)

	require.NoError(t, os.WriteFile(filepath.Join(inc, "c.conf"),
		[]byte("[libdefaults\n"), 0o600))
	_, names, err = LoadSources(main)
	require.Error(t, err)
	assert.Contains(t, names, filepath.Join(inc, "c.conf"),
		"a failed load still names what it read")
}
