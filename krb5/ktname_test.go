package krb5_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

func golden(name string) string {
	return filepath.Join("..", "testdata", "keytab", name)
}

func TestLoadKeytabNames(t *testing.T) {
	tests := []struct {
		name, in string
		entries  int
		err      error
	}{
		{"bare path", golden("ktutil.keytab"), 3, nil},
		{"FILE", "FILE:" + golden("ktutil.keytab"), 3, nil},
		{"WRFILE", "WRFILE:" + golden("host.keytab"), 0, nil},
		{"with holes", golden("hole.keytab"), 0, nil},
		{"missing", "FILE:" + filepath.Join(t.TempDir(), "none"), 0, os.ErrNotExist},
		{"MEMORY unknown", "MEMORY:never-written", 0, nil},
		{"KEYRING", "KEYRING:x", 0, krb5.ErrNotSupported},
		{"KDB", "KDB:", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kt, err := krb5.LoadKeytab(tc.in)
			switch {
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
				return
			case tc.name == "MEMORY unknown" || tc.name == "KDB":
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			defer kt.Close()
			entries, err := kt.Entries()
			require.NoError(t, err)
			if tc.entries > 0 {
				require.Len(t, entries, tc.entries)
			} else {
				require.NotEmpty(t, entries)
			}
		})
	}
}

// TestKeytabKVNO32 reads MIT ktutil's kvno 300, which lives in the 32-bit
// field, and lists entries like MIT's klist -k.
func TestKeytabKVNO32(t *testing.T) {
	entries, err := krb5.ListKeytab(golden("ktutil.keytab"))
	require.NoError(t, err)
	require.Len(t, entries, 3)
	assert.Equal(t, uint32(300), entries[0].KVNO)
	assert.Equal(t, " 300 alice@EXAMPLE.TEST (aes256-cts-hmac-sha1-96)",
		entries[0].String())
	assert.Equal(t, "   7 alice@EXAMPLE.TEST (aes128-cts-hmac-sha1-96)",
		entries[1].String())
}

// TestMalformedKeytabHidesBytes: a parse error names the field and offset
// but never the file's bytes.
func TestMalformedKeytabHidesBytes(t *testing.T) {
	good, err := os.ReadFile(golden("ktutil.keytab"))
	require.NoError(t, err)
	bad := append([]byte(nil), good[:len(good)-7]...)
	path := filepath.Join(t.TempDir(), "bad.keytab")
	require.NoError(t, os.WriteFile(path, bad, 0o600))
	_, err = krb5.LoadKeytab(path)
	require.ErrorIs(t, err, krb5.ErrKTFormat)
	assert.Contains(t, err.Error(), "offset")
	for i := 0; i+8 <= len(bad); i++ {
		chunk := bad[i : i+8]
		assert.NotContains(t, err.Error(), string(chunk))
		assert.NotContains(t, err.Error(), fmt.Sprintf("%x", chunk))
	}
}

// TestAddPasswordKeysSalt: an explicit salt, as Active Directory needs,
// gives the keys MIT's ktutil derives with -s; the default salt those of
// kadmin ktadd.
func TestAddPasswordKeysSalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kt")
	added, err := krb5.AddPasswordKeys("FILE:"+path, krb5.PasswordKeys{
		Principal: "alice@EXAMPLE.TEST", KVNO: 7,
		ETypes: []int32{17, 18}, Salt: "SALTYREALMalice",
	}, "alicepw")
	require.NoError(t, err)
	require.Len(t, added, 2)
	_, err = krb5.AddPasswordKeys(path, krb5.PasswordKeys{
		Principal: "alice@EXAMPLE.TEST", KVNO: 300, ETypes: []int32{18},
	}, "alicepw")
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	ours, err := krb5.LoadKeytab(path)
	require.NoError(t, err)
	defer ours.Close()
	mit, err := krb5.LoadKeytab(golden("ktutil.keytab"))
	require.NoError(t, err)
	defer mit.Close()
	alice := types.NewPrincipalName(1, "alice")
	for _, tc := range []struct {
		kvno  uint32
		etype int32
	}{{7, 17}, {7, 18}, {300, 18}} {
		t.Run(fmt.Sprintf("kvno %d etype %d", tc.kvno, tc.etype), func(t *testing.T) {
			a := keyBytes(t, ours, alice, "EXAMPLE.TEST", tc.kvno, tc.etype)
			b := keyBytes(t, mit, alice, "EXAMPLE.TEST", tc.kvno, tc.etype)
			assert.True(t, bytes.Equal(a, b), "keys differ")
		})
	}

	_, err = krb5.AddPasswordKeys(path, krb5.PasswordKeys{
		Principal: "noreal", KVNO: 1}, "secretpw")
	require.ErrorIs(t, err, krb5.ErrMalformedPrincipal)
	_, err = krb5.AddPasswordKeys(path, krb5.PasswordKeys{
		Principal: "a@B", KVNO: 1, ETypes: []int32{9999}}, "secretpw")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secretpw")
}

// TestKeytabInteropMIT: a keytab we write is listed by MIT's klist -k and
// used by MIT's kinit -k; one MIT's ktutil writes is used by us; kvno 300
// survives in the 32-bit field.
func TestKeytabInteropMIT(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	dir := t.TempDir()

	ours := filepath.Join(dir, "ours.keytab")
	_, err := krb5.AddPasswordKeys(ours, krb5.PasswordKeys{
		Principal: r.UserPrincipal, KVNO: 1}, r.Password)
	require.NoError(t, err)
	_, err = krb5.AddPasswordKeys(ours, krb5.PasswordKeys{
		Principal: "bob@" + r.Name, KVNO: 300, ETypes: []int32{18}}, "bobpw")
	require.NoError(t, err)
	out, err := r.Command(ctx, "klist", "-k", "-e", "FILE:"+ours).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "   1 "+r.UserPrincipal+" (aes256-cts-hmac-sha1-96)")
	assert.Contains(t, string(out), " 300 bob@"+r.Name+" (aes256-cts-hmac-sha1-96)")

	cc := filepath.Join(dir, "cc")
	out, err = r.Command(ctx, "kinit", "-k", "-t", ours, "-c", cc,
		r.UserPrincipal).CombinedOutput()
	require.NoError(t, err, "MIT kinit -k with our keytab: %s", out)

	mitKT := filepath.Join(dir, "mit.keytab")
	script := fmt.Sprintf("addent -password -p %s -k 1 -e aes256-cts-hmac-sha1-96\n%s\nwkt %s\nquit\n",
		r.UserPrincipal, r.Password, mitKT)
	cmd := r.Command(ctx, "ktutil")
	cmd.Stdin = strings.NewReader(script)
	_, err = cmd.Output()
	require.NoError(t, err, "MIT ktutil")
	kt, err := krb5.LoadKeytab(mitKT)
	require.NoError(t, err)
	defer kt.Close()
	c, err := krb5.NewWithKeytab(r.User, r.Name, kt, realmConfig(t, r),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx), "login with MIT ktutil's keytab")
}

// TestDefaultKeytabNames: KRB5_KTNAME names the acceptor keytab and
// KRB5_CLIENT_KTNAME the client's, in the library API; MEMORY keytabs
// work as both.
func TestDefaultKeytabNames(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)

	t.Setenv("KRB5_KTNAME", "FILE:"+r.Keytab)
	assert.Equal(t, "FILE:"+r.Keytab, krb5.DefaultKeytabName(cfg))
	kt, err := krb5.LoadKeytab("")
	require.NoError(t, err)
	ps, err := kt.Principals()
	require.NoError(t, err)
	assert.Equal(t, []string{r.ServicePrincipal}, ps)
	require.NoError(t, kt.Close())

	t.Setenv("KRB5_CLIENT_KTNAME", r.UserKeytab)
	c, err := krb5.NewWithClientKeytab(r.User, r.Name, cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	require.NoError(t, c.Close())

	t.Setenv("KRB5_CLIENT_KTNAME", filepath.Join(t.TempDir(), "none"))
	_, err = krb5.NewWithClientKeytab(r.User, r.Name, cfg)
	require.ErrorIs(t, err, os.ErrNotExist)

	// A MEMORY keytab, filled from a file keytab.
	lib, err := krb5.Open()
	require.NoError(t, err)
	defer lib.Close()
	file, err := krb5.LoadKeytab(r.UserKeytab)
	require.NoError(t, err)
	require.NoError(t, file.Save("MEMORY:alice"))
	require.NoError(t, file.Close())
	t.Setenv("KRB5_CLIENT_KTNAME", "MEMORY:alice")
	c, err = krb5.NewWithClientKeytab(r.User, r.Name, cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
}

// TestKeytabRoundTripsThroughMIT: MIT's kadmin.local ktadd appends to a
// keytab we wrote and we read both its entries and ours; MIT's ktutil
// reads that keytab (rkt) and writes it anew (wkt), and the copy holds
// the same entries and keys.
func TestKeytabRoundTripsThroughMIT(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.keytab")
	_, err := krb5.AddPasswordKeys(ours, krb5.PasswordKeys{
		Principal: "bob@" + r.Name, KVNO: 300, ETypes: []int32{18, 17},
		Salt: "OTHERSALTbob"}, "bobpw")
	require.NoError(t, err)
	_, err = r.KadminLocal(ctx, "ktadd -norandkey -k "+ours+" "+r.User)
	require.NoError(t, err)

	kt, err := krb5.LoadKeytab(ours)
	require.NoError(t, err)
	defer kt.Close()
	ps, err := kt.Principals()
	require.NoError(t, err)
	assert.Equal(t, []string{r.UserPrincipal, "bob@" + r.Name}, ps)
	c, err := krb5.NewWithKeytab(r.User, r.Name, kt, realmConfig(t, r),
		krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx), "login with the key kadmin appended")

	copied := filepath.Join(dir, "copy.keytab")
	cmd := r.Command(ctx, "ktutil")
	cmd.Stdin = strings.NewReader("rkt " + ours + "\nwkt " + copied + "\nquit\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "MIT ktutil: %s", out)
	again, err := krb5.LoadKeytab(copied)
	require.NoError(t, err)
	defer again.Close()
	want, err := kt.Entries()
	require.NoError(t, err)
	got, err := again.Entries()
	require.NoError(t, err)
	require.Equal(t, len(want), len(got))
	for i := range want {
		e := want[i]
		assert.Equal(t, e.String(), got[i].String())
		a := keyBytes(t, kt, e.Principal, e.Realm, e.KVNO, e.EType)
		b := keyBytes(t, again, e.Principal, e.Realm, e.KVNO, e.EType)
		assert.True(t, bytes.Equal(a, b), "key of %s", e)
	}
}

// keyBytes returns a copy of the key kt holds for the principal, kvno and
// enctype.
func keyBytes(t *testing.T, kt *krb5.Keytab, p types.PrincipalName,
	realm string, kvno uint32, etype int32) []byte {
	t.Helper()
	var out []byte
	require.NoError(t, kt.UseKey(p, realm, kvno, etype,
		func(k types.EncryptionKey, _ uint32) error {
			out = append([]byte(nil), k.KeyValue...)
			return nil
		}))
	return out
}
