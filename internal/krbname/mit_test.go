package krbname

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safekrb5/safekrb5/internal/mitc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The differential test below hands the same principal names to MIT's
// krb5_parse_name_flags and krb5_unparse_name, through
// testdata/mitparse.c, and to ParsePrincipalFlags and String, and
// requires the same answers: success or failure, name type, realm,
// components and the unparsed form.

// mitParse compiles testdata/mitparse.c against Debian's libkrb5 and
// returns the program's path.
func mitParse(t *testing.T) string {
	t.Helper()
	return mitc.Build(t, t.TempDir(), filepath.Join("testdata", "mitparse.c"), "krb5")
}

// unescapeMIT undoes mitparse's \xNN escapes.
func unescapeMIT(t *testing.T, s string) string {
	u, err := mitc.Unescape(s)
	require.NoError(t, err)
	return u
}

// mitResult is what mitparse printed for one name: failed, or the
// principal and its unparsed form.
type mitResult struct {
	failed   bool
	p        Principal
	unparsed string
}

// askMIT runs mitparse on the (flags, name) pairs, with DEF.TEST as the
// default realm.
func askMIT(t *testing.T, bin string, pairs [][2]string) []mitResult {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(conf,
		[]byte("[libdefaults]\n default_realm = DEF.TEST\n"), 0o600))
	var args []string
	for _, p := range pairs {
		args = append(args, p[0], mitc.Escape(p[1]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+conf, "KRB5_TRACE=/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "mitparse: %s", out.String())

	var results []mitResult
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		label, rest, _ := strings.Cut(strings.TrimPrefix(line, "  "), " ")
		if strings.HasPrefix(line, "= ") {
			results = append(results, mitResult{})
			continue
		}
		r := &results[len(results)-1]
		switch label {
		case "!":
			r.failed = true
		case "type":
			n, err := strconv.Atoi(rest)
			require.NoError(t, err)
			r.p.NameType = int32(n)
		case "realm":
			r.p.Realm = unescapeMIT(t, rest)
		case "comp":
			r.p.Components = append(r.p.Components, unescapeMIT(t, rest))
		case "unparsed":
			r.unparsed = unescapeMIT(t, rest)
		default:
			t.Fatalf("mitparse printed %q", line)
		}
	}
	require.Len(t, results, len(pairs), out.String())
	return results
}

func TestParsePrincipalAgreesWithMIT(t *testing.T) {
	bin := mitParse(t)
	names := []string{
		"alice", "alice@EXAMPLE.ORG", "a/b@R", "a/b/c/d@R", "a@b@c", "a@R@",
		"a@@", "a@", "@R", "@", "", "/", "a//b", "a/", "/a", "/a//",
		`a\/b\@c\\d@R`, `a\n\t\b\0x@R`, `a\x`, `a\`, `a\\`, `\@`, `\/`,
		"a@R/S", `a@R\/S`, `a@R\@S`, `a@R\\`, "a\tb@R", "a b@R",
		"krbtgt/R@R", "krbtgt/R", "krbtgt/A/B@R", "krbtgt@R", "KRBTGT/R@R",
		"bob@corp.test@AD.TEST", "bob@corp.test", "a/b@c@R", "a@b@c@R",
		`bob\@x@R`, "a@@R", "HTTP/host.example.org@EXAMPLE.ORG",
		"héllo/wörld@RÉALM", "a@b@R/S", "a/b@c@/",
		strings.Repeat("x/", 20) + "y@R",
	}
	flagSets := []struct {
		mit  string
		ours ParseFlags
	}{
		{"-", 0}, {"e", ParseEnterprise}, {"n", ParseNoRealm},
		{"r", ParseRequireRealm}, {"en", ParseEnterprise | ParseNoRealm},
	}
	var pairs [][2]string
	var ours []ParseFlags
	for _, f := range flagSets {
		for _, n := range names {
			pairs = append(pairs, [2]string{f.mit, n})
			ours = append(ours, f.ours)
		}
	}
	mit := askMIT(t, bin, pairs)
	for i, pair := range pairs {
		t.Run(pair[0]+" "+strconv.Quote(pair[1]), func(t *testing.T) {
			got, err := ParsePrincipalFlags(pair[1], "DEF.TEST", ours[i])
			if mit[i].failed {
				require.ErrorIs(t, err, ErrBadName, "MIT refuses it; we made %#v", got)
				return
			}
			require.NoError(t, err, "MIT reads %#v", mit[i].p)
			assert.Equal(t, mit[i].p, got)
			assert.Equal(t, mit[i].unparsed, got.String(), "unparsed")
			// The unparsed form escapes an enterprise name's "@", so it
			// reads back without ParseEnterprise, as in MIT.
			back, err := ParsePrincipal(got.String(), "")
			require.NoError(t, err)
			assert.True(t, back.SameName(got), "String round-trips: %#v", back)
		})
	}
}

// TestStringAgreesWithMIT builds principals MIT's parser cannot make
// from a string (separators and control bytes in the realm, zero
// components) and compares String with krb5_unparse_name.
func TestStringAgreesWithMIT(t *testing.T) {
	bin := mitParse(t)
	ps := []Principal{
		{Realm: "R/S", Components: []string{"a"}},
		{Realm: "R@S", Components: []string{"a"}},
		{Realm: `R\S`, Components: []string{"a"}},
		{Realm: "R\nS\tT\bU", Components: []string{"a/b", "c@d"}},
		{Realm: "", Components: []string{"a"}},
		{Realm: "R", Components: []string{""}},
		{Realm: "R", Components: []string{" ", "x y"}},
		{Realm: "R"},
	}
	var pairs [][2]string
	for _, p := range ps {
		pairs = append(pairs, [2]string{"u", strings.Join(append([]string{p.Realm},
			p.Components...), "|")})
	}
	mit := askMIT(t, bin, pairs)
	for i, p := range ps {
		t.Run(strconv.Quote(pairs[i][1]), func(t *testing.T) {
			require.False(t, mit[i].failed)
			assert.Equal(t, mit[i].unparsed, p.String())
			back, err := ParsePrincipal(p.String(), "")
			require.NoError(t, err)
			if len(p.Components) > 0 {
				assert.True(t, back.SameName(p), "String round-trips: %#v", back)
			}
		})
	}
}

// TestRandomNamesAgreeWithMIT hands MIT's parser and ours 3000 names of
// up to seven bytes drawn from the bytes the grammar gives a meaning to
// (separators, backslash, escape letters), under each set of flags.
func TestRandomNamesAgreeWithMIT(t *testing.T) {
	bin := mitParse(t)
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = `a/@\n0`
	seen := map[string]bool{}
	var names []string
	for len(names) < 3000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if !seen[string(b)] {
			seen[string(b)] = true
			names = append(names, string(b))
		}
	}
	for mitFlags, ours := range map[string]ParseFlags{"-": 0, "e": ParseEnterprise,
		"n": ParseNoRealm, "r": ParseRequireRealm, "en": ParseEnterprise | ParseNoRealm} {
		var pairs [][2]string
		for _, n := range names {
			pairs = append(pairs, [2]string{mitFlags, n})
		}
		mit := askMIT(t, bin, pairs)
		wrong := 0
		for i, n := range names {
			got, err := ParsePrincipalFlags(n, "DEF.TEST", ours)
			same := (err != nil) == mit[i].failed
			if same && err == nil {
				same = got.Equal(mit[i].p) && got.String() == mit[i].unparsed
			}
			if !same {
				t.Errorf("flags %s, name %q: MIT %+v; ours %+v, %v", mitFlags, n,
					mit[i], got, err)
				if wrong++; wrong == 10 {
					break
				}
			}
		}
	}
}
