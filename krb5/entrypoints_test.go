package krb5_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// entryPointsChild names the environment variable that makes
// TestEntryPointsAfterTeardown run its body, which finalizes krb5 for
// good, in a child process of its own.
const entryPointsChild = "SAFEKRB5_KRB5_ENTRY_POINTS_CHILD"

// TestEntryPointsAfterTeardown finalizes krb5 and then calls each
// package function that makes a client, reads keys or changes a cache or
// keytab file: each fails with ErrFinalized before it reads or writes
// anything, so the files are left as they were and a missing file is not
// what the error reports.
func TestEntryPointsAfterTeardown(t *testing.T) {
	if os.Getenv(entryPointsChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEntryPointsAfterTeardown$",
			"-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), entryPointsChild+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "every entry point refused")
		return
	}
	dir := t.TempDir()
	golden, err := os.ReadFile("../testdata/ccache/v4-tgt.ccache")
	require.NoError(t, err)
	cc := filepath.Join(dir, "ccache")
	require.NoError(t, os.WriteFile(cc, golden, 0o600))
	ktGolden, err := os.ReadFile("../testdata/keytab/host.keytab")
	require.NoError(t, err)
	kt := filepath.Join(dir, "keytab")
	require.NoError(t, os.WriteFile(kt, ktGolden, 0o600))
	t.Setenv("KRB5_CLIENT_KTNAME", "FILE:"+filepath.Join(dir, "missing.keytab"))
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"))
	require.NoError(t, err)

	require.NoError(t, krb5.Close())
	tgt := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST,
		NameString: []string{"krbtgt", "EXAMPLE.TEST"}}
	calls := []struct {
		name string
		call func() error
	}{
		{"NewWithPassword", func() error {
			_, err := krb5.NewWithPassword("alice", "EXAMPLE.TEST", "pw", cfg)
			return err
		}},
		{"NewWithClientKeytab", func() error {
			_, err := krb5.NewWithClientKeytab("alice", "EXAMPLE.TEST", cfg)
			return err
		}},
		{"NewFromCCache", func() error {
			_, err := krb5.NewFromCCache("FILE:"+cc, cfg)
			return err
		}},
		{"NewFromCredential", func() error {
			_, err := krb5.NewFromCredential(messages.Ticket{}, messages.KrbCredInfo{
				Key:    types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
				PRealm: "EXAMPLE.TEST", PName: types.NewPrincipalName(1, "alice"),
				SRealm: "EXAMPLE.TEST", SName: tgt}, cfg)
			return err
		}},
		{"LoadKeytab", func() error {
			_, err := krb5.LoadKeytab(kt)
			return err
		}},
		{"ListKeytab", func() error {
			_, err := krb5.ListKeytab(kt)
			return err
		}},
		{"AddPasswordKeys", func() error {
			_, err := krb5.AddPasswordKeys(kt, krb5.PasswordKeys{
				Principal: "bob@EXAMPLE.TEST", KVNO: 1}, "pw")
			return err
		}},
		{"DestroyCCache", func() error { return krb5.DestroyCCache("FILE:" + cc) }},
		{"Open", func() error {
			_, err := krb5.Open()
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.call(), krb5.ErrFinalized)
		})
	}
	after, err := os.ReadFile(cc)
	require.NoError(t, err, "the cache is still there")
	assert.True(t, bytes.Equal(golden, after), "the cache is unchanged")
	after, err = os.ReadFile(kt)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(ktGolden, after), "the keytab is unchanged")
	if !t.Failed() {
		t.Log("every entry point refused")
	}
}
