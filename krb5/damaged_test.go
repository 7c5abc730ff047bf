package krb5_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestDamagedFileTexts: a keytab or credential cache that does not parse
// is named once, by the name it was opened with, followed by where in
// the file the damage is.
func TestDamagedFileTexts(t *testing.T) {
	dir := t.TempDir()
	kt := filepath.Join(dir, "kt")
	require.NoError(t, os.WriteFile(kt, []byte{0x05, 0x02, 0}, 0o600))
	cc := filepath.Join(dir, "cc")
	require.NoError(t, os.WriteFile(cc, []byte{0x05, 0x04, 0}, 0o600))
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = X.TEST\n"))
	require.NoError(t, err)

	_, err = krb5.LoadKeytab(kt)
	require.ErrorIs(t, err, krb5.ErrKTFormat)
	assert.Equal(t, "krb5: keytab FILE:"+kt+": keytab is badly formatted: "+
		"reading record 1 length at offset 2: unexpected end of data", err.Error())

	_, err = krb5.NewFromCCache(cc, cfg, krb5.DisableAutoRenew())
	require.ErrorIs(t, err, krb5.ErrCCFormat)
	assert.Equal(t, "krb5: credential cache is badly formatted: FILE:"+cc+
		": reading header length at offset 2: unexpected end of data", err.Error())
}
