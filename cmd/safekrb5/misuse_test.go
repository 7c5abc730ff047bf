package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMisuse runs the commands with arguments MIT's tools refuse or take
// in another order, with no KDC: each answers at once with an exit status
// and a message that says what was wrong, and no command acts on another
// cache or keytab than the one named.
func TestMisuse(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	require.NoError(t, os.WriteFile(conf, []byte("[libdefaults]\n default_realm = X.TEST\n"+
		"[realms]\n X.TEST = {\n  kdc = 127.0.0.1:1\n }\n"), 0o600))
	golden, err := os.ReadFile("../../testdata/ccache/v4-tgt.ccache")
	require.NoError(t, err)
	def := filepath.Join(dir, "default.ccache")
	other := filepath.Join(dir, "other.ccache")
	t.Setenv("KRB5_CONFIG", conf)
	t.Setenv("KRB5CCNAME", "FILE:"+def)
	t.Setenv("KRB5_KTNAME", "FILE:"+filepath.Join(dir, "none.keytab"))

	tests := []struct {
		name string
		args []string
		code int
		out  string // in standard output
		err  string // in standard error
	}{
		{"help", []string{"-h"}, 0, "usage: safekrb5 kinit", ""},
		{"unknown command", []string{"kinti"}, 2, "", `unknown command "kinti"`},
		{"kdestroy operand", []string{"kdestroy", other}, 2, "",
			`extra arguments (starting with "` + other + `")`},
		{"klist two caches", []string{"klist", def, other}, 2, "",
			`extra arguments (starting with "` + other + `")`},
		{"klist -c and two operands", []string{"klist", "-c", def, other}, 2, "",
			`extra arguments (starting with "` + other + `")`},
		{"klist -c alone", []string{"klist", "-c"}, 0,
			"Default principal: alice@EXAMPLE.TEST", ""},
		{"klist -ce grouped", []string{"klist", "-ce", def}, 0,
			"Default principal: alice@EXAMPLE.TEST", ""},
		{"klist -c -- -e", []string{"klist", "-c", "--", "-e"}, 1, "",
			"(filename: -e)"},
		{"kinit -c value --", []string{"kinit", "-c", "--", "alice", "-l", "bogus"}, 1, "",
			`bad lifetime "bogus"`},
		{"kdestroy -c=x", []string{"kdestroy", "-c=" + other}, 0, "",
			"destroying cache =" + other},
		{"kinit --c", []string{"kinit", "--c", other, "alice"}, 2, "",
			`invalid option -- "-"`},
		{"klist -k=1", []string{"klist", "-k=1"}, 2, "", `invalid option -- "="`},
		{"klist -x", []string{"klist", "-x"}, 2, "", `invalid option -- "x"`},
		{"kdestroy -cx unknown", []string{"kdestroy", "-qx"}, 2, "",
			`invalid option -- "x"`},
		{"klist -c and -k", []string{"klist", "-k", "-c", def}, 2, "",
			"-c and -k exclude each other"},
		{"klist flag after operand", []string{"klist", def, "-e"}, 0,
			"Default principal: alice@EXAMPLE.TEST", ""},
		{"kinit two principals", []string{"kinit", "alice", "bob"}, 2, "",
			`extra arguments (starting with "bob")`},
		{"kinit flag after principal", []string{"kinit", "alice", "-l", "bogus"}, 1, "",
			`bad lifetime "bogus"`},
		{"kinit negative lifetime", []string{"kinit", "-l", "-5h", "alice"}, 1, "",
			`bad lifetime "-5h"`},
		{"kinit zero renewable lifetime", []string{"kinit", "-r", "0", "alice"}, 1, "",
			`bad lifetime "0"`},
		{"kinit principal after --", []string{"kinit", "-c", other, "--", "-l"}, 1, "",
			"no password on standard input"},
		{"kinit grouped -kt", []string{"kinit", "-kt", filepath.Join(dir, "k2.keytab"),
			"alice"}, 1, "", "k2.keytab"},
		{"klist grouped -ke", []string{"klist", "-ke", "../../testdata/keytab/host.keytab"},
			0, "(aes256-cts-hmac-sha1-96)", ""},
		{"klist -k without -t", []string{"klist", "-k", "../../testdata/keytab/host.keytab"},
			0, "KVNO Principal\n", ""},
		{"kpasswd two principals", []string{"kpasswd", "alice", "bob"}, 2, "",
			`extra arguments (starting with "bob")`},
		{"kvno no service", []string{"kvno"}, 2, "", "no service named"},
		{"kvno -P alone", []string{"kvno", "-P", "HTTP/x"}, 2, "", "-P needs -I or -U"},
		{"kvno -I and -U", []string{"kvno", "-I", "a", "-U", "b", "HTTP/x"}, 2, "",
			"-I and -U exclude each other"},
		{"ktutil no subcommand", []string{"ktutil"}, 2, "", "no subcommand: add or list"},
		{"ktutil unknown subcommand", []string{"ktutil", "rm"}, 2, "",
			`unknown subcommand "rm"`},
		{"serve operand", []string{"serve", "x"}, 2, "", `extra arguments (starting with "x")`},
		{"demo operand", []string{"demo", "mit"}, 2, "", `extra arguments (starting with "mit")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(def, golden, 0o600))
			var out, errOut bytes.Buffer
			code := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut},
				tt.args)
			assert.Equal(t, tt.code, code, "stdout %q, stderr %q", out.String(), errOut.String())
			if tt.out != "" {
				assert.Contains(t, out.String(), tt.out)
			}
			if tt.err != "" {
				assert.Contains(t, errOut.String(), tt.err)
			}
			_, err := os.Stat(def)
			assert.NoError(t, err, "the default cache is still there")
			_, err = os.Stat(other)
			assert.ErrorIs(t, err, os.ErrNotExist, "no other cache was written")
		})
	}
}

// TestUngroup splits grouped one-letter flags as getopt does, and leaves
// alone what is not such a group.
func TestUngroup(t *testing.T) {
	fs := newFlags(&env{stderr: &bytes.Buffer{}}, "test", "")
	fs.Bool("k", false, "")
	fs.Bool("e", false, "")
	fs.String("t", "", "")
	fs.String("l", "", "")
	fs.String("spn", "", "")
	tests := []struct{ in, want []string }{
		{[]string{"-kt", "kt", "p"}, []string{"-k", "-t", "kt", "p"}},
		{[]string{"-ket", "kt"}, []string{"-k", "-e", "-t", "kt"}},
		{[]string{"-ktFILE:x"}, []string{"-k", "-t", "FILE:x"}},
		{[]string{"-l1h", "p"}, []string{"-l", "1h", "p"}},
		{[]string{"-t", "-ke"}, []string{"-t", "-ke"}}, // a value, not a group
		{[]string{"-spn", "HTTP/x"}, []string{"-spn", "HTTP/x"}},
		{[]string{"-spn=HTTP/x", "-ke"}, []string{"-spn=HTTP/x", "-k", "-e"}},
		{[]string{"--spn", "HTTP/x"}, []string{"--spn", "HTTP/x"}},
		{[]string{"-t=x"}, []string{"-t", "=x"}}, // getopt's value "=x"
		{[]string{"-t", "--", "-k"}, []string{"-t", "--", "-k"}},
		{[]string{"--", "-ke"}, []string{"--", "-ke"}},
		{[]string{"-", "-k"}, []string{"-", "-k"}},
	}
	for _, tt := range tests {
		got, err := ungroup(fs, tt.in)
		require.NoError(t, err, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
	for _, in := range [][]string{{"-kx"}, {"-x"}, {"--k"}, {"--t", "v"}, {"-k=1"},
		{"-e-"}} {
		_, err := ungroup(fs, in)
		assert.ErrorContains(t, err, "invalid option", "%q", in)
	}
}
