package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// TestKtutilAddList: keys added by ktutil add are listed by our list and
// MIT's klist -k, and MIT's kinit -k logs in with them; kvno 300 and an
// explicit salt go through.
func TestKtutilAddList(t *testing.T) {
	r := testRealm(t)
	ctx := context.Background()
	kt := filepath.Join(t.TempDir(), "kt")

	code, _, stderr := runCmd(t, r, r.Password+"\n", "ktutil", "-k", "FILE:"+kt,
		"add", "-p", r.UserPrincipal, "-e", "aes256-cts-hmac-sha1-96", "-V", "1")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, r.Password)
	code, _, stderr = runCmd(t, r, "bobpw\n", "ktutil", "-k", kt,
		"add", "-p", "bob", "-e", "aes128-cts,aes256-cts", "-V", "300", "-s", "OTHERSALTbob")
	require.Equal(t, 0, code, stderr)

	code, out, stderr := runCmd(t, r, "", "ktutil", "-k", kt, "list")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 5, out)
	assert.Equal(t, "slot KVNO Principal", lines[0])
	assert.Regexp(t, `^   1    1 +`+r.UserPrincipal+` \(aes256-cts-hmac-sha1-96\) $`, lines[2])
	assert.Regexp(t, `^   3  300 +bob@`+r.Name+` \(aes256-cts-hmac-sha1-96\) $`, lines[4])

	mit, err := r.Command(ctx, "klist", "-k", "-e", kt).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), " 300 bob@"+r.Name+" (aes128-cts-hmac-sha1-96)")
	mit, err = r.Command(ctx, "kinit", "-k", "-t", kt, "-c",
		filepath.Join(t.TempDir(), "cc"), r.UserPrincipal).CombinedOutput()
	require.NoError(t, err, "MIT kinit -k: %s", mit)

	code, _, stderr = runCmd(t, r, "x\n", "ktutil", "-k", kt, "add", "-p", "a@B",
		"-e", "no-such-enctype")
	assert.Equal(t, 2, code, stderr)
	code, _, _ = runCmd(t, r, "", "ktutil", "-k", kt, "frobnicate")
	assert.Equal(t, 2, code)
}

// TestKinitDirAndMemoryNames: kinit -c and klist -c take DIR: names;
// kdestroy removes the member.
func TestKinitDirAndMemoryNames(t *testing.T) {
	r := testRealm(t)
	dir := filepath.Join(t.TempDir(), "coll")
	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", "DIR:"+dir, r.User)
	require.Equal(t, 0, code, stderr)
	code, out, stderr := runCmd(t, r, "", "klist", "-c", "DIR:"+dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Ticket cache: DIR::"+dir+"/tkt")
	mit, err := r.Command(context.Background(), "klist", "-c", "DIR:"+dir).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), "Ticket cache: DIR::"+dir+"/tkt")
	code, _, stderr = runCmd(t, r, "", "kdestroy", "-c", "DIR:"+dir)
	require.Equal(t, 0, code, stderr)
	code, _, _ = runCmd(t, r, "", "klist", "-c", "DIR:"+dir)
	assert.Equal(t, 1, code)

	code, _, stderr = runCmd(t, r, "", "klist", "-c", "KEYRING:persistent:0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not supported")
}

// TestKpasswdCommand changes a password through MIT's kadmind.
func TestKpasswdCommand(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{Kadmind: true, Realm: "CMDPW.TEST"})
	if r == nil {
		return
	}
	ctx := context.Background()
	require.NoError(t, r.AddPrincipal(ctx, "dave", "dave's first password"))
	code, out, stderr := runCmd(t, r, "dave's first password\nand a second one\nand a mismatch\n",
		"kpasswd", "dave")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "do not match")
	assert.Empty(t, out)

	code, out, stderr = runCmd(t, r, "dave's first password\nand a second one\nand a second one\n",
		"kpasswd", "dave")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "Password changed.\n", out)
	assert.NotContains(t, stderr, "second one")
	require.NoError(t, r.Kinit(ctx, "FILE:"+filepath.Join(t.TempDir(), "cc"), "dave",
		"and a second one"))

	code, _, stderr = runCmd(t, r, "wrong\nx1\nx1\n", "kpasswd", "dave")
	assert.Equal(t, 1, code)
	assert.NotContains(t, stderr, "wrong\n")
}

// TestKeytabNamesWithoutAFile gives klist -k and ktutil keytab names of
// types that name no file, and a damaged file: each fails with an error
// that names the problem once.
func TestKeytabNamesWithoutAFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.keytab")
	require.NoError(t, os.WriteFile(bad, []byte{0x05, 0x02, 0, 0, 0, 89}, 0o600))
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"klist MEMORY", []string{"klist", "-k", "MEMORY:x"}, "type MEMORY names no file"},
		{"klist ANY", []string{"klist", "-k", "ANY:FILE:/a,FILE:/b"}, "type ANY names no file"},
		{"ktutil list", []string{"ktutil", "-k", "MEMORY:x", "list"}, "type MEMORY names no file"},
		{"ktutil add", []string{"ktutil", "-k", "MEMORY:x", "add", "-p", "a@R"},
			"type MEMORY names no file"},
		{"klist truncated", []string{"klist", "-k", "file:" + bad}, "unexpected end of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(&env{stdin: strings.NewReader("pw\n"), stdout: &out,
				stderr: &errOut}, tt.args)
			assert.Equal(t, 1, code)
			assert.Contains(t, errOut.String(), tt.says)
			assert.LessOrEqual(t, strings.Count(errOut.String(), bad), 1,
				"the path is said once: %s", errOut.String())
		})
	}
}

// TestKtutilAddEscapedAt: a principal whose only "@" is escaped has no
// realm, as krb5_parse_name reads it, and takes the default realm; MIT's
// klist -k lists the entry under that name.
func TestKtutilAddEscapedAt(t *testing.T) {
	r := testRealm(t)
	kt := filepath.Join(t.TempDir(), "kt")
	code, _, stderr := runCmd(t, r, "pw\n", "ktutil", "-k", kt, "add", "-p", `svc\@corp`,
		"-e", "aes256-cts-hmac-sha1-96")
	require.Equal(t, 0, code, stderr)
	mit, err := r.Command(context.Background(), "klist", "-k", kt).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), `   1 svc\@corp@`+r.Name+"\n")
}
