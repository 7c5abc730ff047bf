package krb5conf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safekrb5/safekrb5/internal/mitc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The differential tests below hand the same krb5.conf files to MIT's own
// profile library, through testdata/mitprofile.c, and to this package,
// and require the same answers: every value of a relation, the blocks and
// relations of a section, the enctype lists a context builds, and the
// kind of syntax error. Where the two knowingly differ the case says so
// and the test checks what MIT does, so that the package's BUG notes stay
// true.

// mitProfile compiles testdata/mitprofile.c against Debian's libkrb5 and
// returns the program's path.
func mitProfile(t *testing.T) string {
	t.Helper()
	return mitc.Build(t, t.TempDir(), filepath.Join("testdata", "mitprofile.c"), "krb5")
}

// mitQuery is one question for both libraries: a verb of mitprofile.c
// and its operand, a profile path with "|" between names for values,
// subsections and relations.
type mitQuery struct{ verb, arg string }

func (q mitQuery) String() string { return q.verb + " " + q.arg }

func values(path string) mitQuery      { return mitQuery{"values", path} }
func subsections(path string) mitQuery { return mitQuery{"subsections", path} }
func relations(path string) mitQuery   { return mitQuery{"relations", path} }
func parseList(s string) mitQuery      { return mitQuery{"parse", s} }
func boolean(path string) mitQuery     { return mitQuery{"boolean", path} }
func integer(path string) mitQuery     { return mitQuery{"integer", path} }
func deltaTime(s string) mitQuery      { return mitQuery{"deltat", s} }

// enctypeQueries ask for the three lists a context builds.
var enctypeQueries = []mitQuery{{"enctypes", "tkt"}, {"enctypes", "tgs"},
	{"enctypes", "permitted"}}

// mitAnswers are the results of each query: lines, or "!" when the call
// failed.
type mitAnswers map[string][]string

// askMIT runs mitprofile with KRB5_CONFIG set to paths.
func askMIT(t *testing.T, bin string, paths []string,
	queries []mitQuery) (mitAnswers, string) {
	t.Helper()
	var args []string
	for _, q := range queries {
		args = append(args, q.verb, q.arg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+strings.Join(paths, ":"),
		"KRB5_TRACE=/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := out.String()
	if rest, ok := strings.CutPrefix(text, "! init "); ok {
		return nil, strings.TrimSpace(rest)
	}
	require.NoError(t, err, "mitprofile: %s", text)

	answers := mitAnswers{}
	var cur string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "= "):
			cur = line[2:]
			answers[cur] = nil
		case strings.HasPrefix(line, "! "):
			answers[cur] = []string{"!"}
		case strings.HasPrefix(line, "  "):
			answers[cur] = append(answers[cur], unescapeMIT(t, line[2:]))
		default:
			t.Fatalf("mitprofile printed %q", line)
		}
	}
	return answers, ""
}

// unescapeMIT undoes mitprofile.c's \xNN escapes.
func unescapeMIT(t *testing.T, s string) string {
	u, err := mitc.Unescape(s)
	require.NoError(t, err)
	return u
}

// askOurs answers the queries with this package, reading the files as
// KRB5_CONFIG names them, or returns the load error.
func askOurs(t *testing.T, paths []string,
	queries []mitQuery) (mitAnswers, error) {
	t.Setenv("KRB5_CONFIG", strings.Join(paths, ":"))
	prof, err := LoadEnv()
	if err != nil {
		return nil, err
	}
	cfg, cfgErr := prof.Config()
	answers := mitAnswers{}
	for _, q := range queries {
		var got []string
		path := strings.Split(q.arg, "|")
		if q.arg == "" {
			path = nil
		}
		switch q.verb {
		case "values":
			got = prof.Values(path...)
		case "subsections":
			got = prof.Subsections(path...)
		case "relations":
			got = prof.Relations(path...)
		case "boolean", "integer":
			if _, ok := prof.Value(path...); !ok {
				break // MIT prints nothing for an absent relation
			}
			if q.verb == "boolean" {
				got = typedAnswer(prof.boolE(false, path...))
			} else {
				got = typedAnswer(prof.Int(0, path...))
			}
		case "deltat":
			d, err := ParseDuration(q.arg)
			got = typedAnswer(int(d/time.Second), err)
		case "parse":
			allowWeak := cfgErr == nil && cfg.LibDefaults.AllowWeakCrypto
			got = enctypeStrings(ParseEnctypes(q.arg, allowWeak))
			if len(got) == 0 {
				got = []string{"!"}
			}
		case "enctypes":
			got = []string{"!"}
			if cfgErr == nil {
				ids := map[string][]int32{
					"tkt":       cfg.LibDefaults.DefaultTktEnctypeIDs,
					"tgs":       cfg.LibDefaults.DefaultTGSEnctypeIDs,
					"permitted": cfg.LibDefaults.PermittedEnctypeIDs,
				}[q.arg]
				got = enctypeStrings(ids)
			}
		}
		answers[q.String()] = got
	}
	return answers, nil
}

// typedAnswer prints a converted value as mitprofile.c does: the number
// (a boolean as 0 or 1), or "!" for a value that does not convert.
func typedAnswer[T bool | int](v T, err error) []string {
	if err != nil {
		return []string{"!"}
	}
	switch x := any(v).(type) {
	case bool:
		if x {
			return []string{"1"}
		}
		return []string{"0"}
	case int:
		return []string{strconv.Itoa(x)}
	}
	return nil
}

func enctypeStrings(ids []int32) []string {
	var out []string
	for _, id := range ids {
		out = append(out, strconv.Itoa(int(id)))
	}
	return out
}

// dedup keeps the first of repeated names: MIT's name listings repeat a
// block once per file that has it, where Subsections and Relations list
// it once.
func dedup(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// mitErrors maps MIT's profile error codes (prof_err.et) to this
// package's sentinels.
var mitErrors = map[int64]error{
	-1429577715: ErrSectionNotTop,
	-1429577714: ErrSectionSyntax,
	-1429577713: ErrRelationSyntax,
	-1429577712: ErrExtraBrace,
	-1429577711: ErrMissingBrace,
	-1429577697: ErrInclude,
	-1429577696: ErrInclude,
	-1429577693: ErrModule,
}

// mitCase is a set of files, the order KRB5_CONFIG names them in, and the
// queries to compare. Files are written to a temporary directory, and
// "$DIR" in their text stands for it.
type mitCase struct {
	name    string
	files   map[string]string
	load    []string
	queries []mitQuery
	// initErr, when set, is the error both must fail with.
	initErr error
	// differs lists the queries MIT 1.20 answers differently, on
	// purpose: the query, then MIT's answer and ours.
	differs map[string]knownDiff
	// mitOnlyErr, when set, is the syntax error MIT 1.20 fails with
	// where this package reads the files, on purpose.
	mitOnlyErr error
}

// knownDiff is a query that MIT 1.20 and this package answer differently
// by design, with both answers.
type knownDiff struct{ mit, ours []string }

func mitCases() []mitCase {
	return []mitCase{
		{
			name: "sections, nested blocks, finals",
			files: map[string]string{"a": `# before any section: ignored
junk that is not a relation
[libdefaults]
	default_realm = A.TEST
	clockskew = 5m
	ticket_lifetime* = 10h
[realms]
	A.TEST = {
		kdc = a1.test:88
		kdc = a2.test
		auth_to_local_names = {
			alice = root
			bob = {
				deeper = yes
			}
		}
		auth_to_local = RULE:[1:$1]
		auth_to_local = DEFAULT
	}
	B.TEST = {
		kdc = b1
	}*
	C.TEST =
	{
		kdc = c1
	}
; a comment
[domain_realm]
	.a.test = A.TEST
[libdefaults]
	forwardable = true
`},
			load: []string{"a"},
			queries: []mitQuery{
				values("libdefaults|default_realm"),
				values("libdefaults|ticket_lifetime"),
				values("libdefaults|forwardable"),
				values("realms|A.TEST|kdc"),
				values("realms|A.TEST|auth_to_local_names|alice"),
				values("realms|A.TEST|auth_to_local_names|bob|deeper"),
				values("realms|A.TEST|auth_to_local"),
				values("realms|B.TEST|kdc"),
				values("realms|C.TEST|kdc"),
				values("domain_realm|.a.test"),
				subsections(""), subsections("realms"),
				relations("libdefaults"), relations("realms|A.TEST"),
			},
		},
		{
			// MIT 1.22 made a final relation or block take no more
			// values from the rest of its own file; 1.20 keeps them.
			// This package does as 1.22.
			name: "final markers within one file",
			files: map[string]string{"a": `[libdefaults]
	ticket_lifetime* = 10h
	ticket_lifetime = 11h
[realms]
	B.TEST = {
		kdc = b1
	}*
	B.TEST = {
		kdc = b-ignored
	}
`},
			load: []string{"a"},
			queries: []mitQuery{values("libdefaults|ticket_lifetime"),
				values("realms|B.TEST|kdc")},
			differs: map[string]knownDiff{
				"values libdefaults|ticket_lifetime": {
					mit: []string{"10h", "11h"}, ours: []string{"10h"}},
				"values realms|B.TEST|kdc": {
					mit: []string{"b1", "b-ignored"}, ours: []string{"b1"}},
			},
		},
		{
			// MIT reads a file in chunks of 2047 bytes and parses each
			// chunk as a line; this package reads lines whole.
			name: "a line longer than MIT's buffer",
			files: map[string]string{"a": "[s]\na = " +
				strings.Repeat("x", 3000) + "\nb = after\n"},
			load:       []string{"a"},
			queries:    []mitQuery{values("s|b")},
			mitOnlyErr: ErrRelationSyntax,
		},
		{
			name: "KRB5_CONFIG list with a missing file and finals",
			files: map[string]string{
				"first": `[libdefaults]
	default_realm = FIRST.TEST
[realms]
	A.TEST = {
		kdc = a1
	}
	B.TEST* = {
		kdc = b1
	}
[domain_realm]*
	.first.test = FIRST.TEST
`,
				"second": `[libdefaults]
	default_realm = SECOND.TEST
	forwardable = true
[realms]
	A.TEST = {
		kdc = a2
	}
	B.TEST = {
		kdc = b2
	}
	C.TEST = {
		kdc = c2
	}
[domain_realm]
	.second.test = SECOND.TEST
`},
			load: []string{"first", "missing", "second"},
			queries: []mitQuery{
				values("libdefaults|default_realm"),
				values("libdefaults|forwardable"),
				values("realms|A.TEST|kdc"), values("realms|B.TEST|kdc"),
				values("realms|C.TEST|kdc"),
				values("domain_realm|.first.test"),
				values("domain_realm|.second.test"),
				subsections(""), subsections("realms"),
				relations("domain_realm"), relations("libdefaults"),
			},
			// As in MIT 1.22, a final block ends a listing after its
			// file; MIT 1.20 lists the later files' blocks too.
			differs: map[string]knownDiff{"subsections realms": {
				mit:  []string{"A.TEST", "B.TEST", "C.TEST"},
				ours: []string{"A.TEST", "B.TEST"}}},
		},
		{
			// As in MIT 1.22, a final relation hides the later files'
			// values of that relation; MIT 1.20 honours the marker on
			// sections and blocks only.
			name: "final relation across files",
			files: map[string]string{
				"a": "[libdefaults]\nx* = 1\ny = 1\n",
				"b": "[libdefaults]\nx = 2\ny = 2\n",
			},
			load:    []string{"a", "b"},
			queries: []mitQuery{values("libdefaults|x"), values("libdefaults|y")},
			differs: map[string]knownDiff{"values libdefaults|x": {
				mit: []string{"1", "2"}, ours: []string{"1"}}},
		},
		{
			name: "an empty KRB5_CONFIG entry ends the list",
			files: map[string]string{
				"a": "[libdefaults]\nx = a\n",
				"b": "[libdefaults]\nx = b\n",
			},
			load:    []string{"a", "", "b"},
			queries: []mitQuery{values("libdefaults|x")},
		},
		{
			name: "final section hides later files",
			files: map[string]string{
				"a": "[libdefaults]*\nx = 1\n",
				"b": "[libdefaults]\nx = 2\ny = 2\n[realms]\nR = {\nkdc = r\n}\n",
			},
			load: []string{"a", "b"},
			queries: []mitQuery{values("libdefaults|x"),
				values("libdefaults|y"), values("realms|R|kdc")},
		},
		{
			name: "include and includedir",
			files: map[string]string{
				"main": `include $DIR/inc.conf
includedir $DIR/conf.d
[libdefaults]
	x = main
	include_is_a_tag_here = 1
`,
				"inc.conf":              "[libdefaults]\n x = inc\n",
				"conf.d/10-realm.conf":  "[realms]\nR = {\n kdc = k10\n}\n",
				"conf.d/20realm":        "[realms]\nR = {\n kdc = k20\n}\n",
				"conf.d/05_under-score": "[realms]\nR = {\n kdc = k05\n}\n",
				"conf.d/skip.bak":       "[realms]\nR = {\n kdc = bak\n}\n",
				"conf.d/.hidden.conf":   "[realms]\nR = {\n kdc = hidden\n}\n",
				"conf.d/skip~":          "[realms]\nR = {\n kdc = tilde\n}\n",
			},
			load: []string{"main"},
			queries: []mitQuery{values("libdefaults|x"),
				values("libdefaults|include_is_a_tag_here"),
				values("realms|R|kdc")},
		},
		{
			name: "include inside a block",
			files: map[string]string{
				"main": "[realms]\nR = {\n kdc = before\ninclude $DIR/inc\n kdc = after\n}\n",
				"inc":  "[realms]\nS = {\n kdc = s\n}\n",
			},
			load: []string{"main"},
			queries: []mitQuery{values("realms|R|kdc"),
				values("realms|S|kdc")},
		},
		{
			name: "quotes, escapes, white space and CRLF",
			files: map[string]string{"main": "[s]\r\n" +
				"  a   =   spaced value   \r\n" +
				"\tb = \"quoted \\\"inner\\\" \\t tab\\n nl \\\\ bs\" trailing\r\n" +
				"c=\"unterminated\r\n" +
				"d = x = y\r\n" +
				"e = {x}\r\n" +
				"f = before\x00after\r\n" +
				"ab*cd = star\r\n" +
				"g = \"\"\r\n"},
			load: []string{"main"},
			queries: []mitQuery{values("s|a"), values("s|b"),
				values("s|c"), values("s|d"), values("s|e"),
				values("s|f"), values("s|ab"), values("s|g"),
				relations("s")},
		},
		{
			name: "enctype lists",
			files: map[string]string{"main": `[libdefaults]
	default_tkt_enctypes = aes -aes-sha2 rc4 -des
	default_tgs_enctypes = DEFAULT -rc4, +camellia128-cts -des3
	permitted_enctypes = aes256-sha2,aes128-CTS-hmac-sha1-96 des3
`},
			load: []string{"main"},
			queries: append(slices.Clone(enctypeQueries),
				parseList("DEFAULT"), parseList("aes"),
				parseList("-aes DEFAULT"), parseList("DEFAULT -aes"),
				parseList("rc4 arcfour-hmac-md5 RC4-HMAC"),
				parseList("des3-cbc-raw arcfour-hmac-exp"),
				parseList("des-cbc-crc des-cbc-md5 des"),
				parseList("AES256-CTS,AES128-SHA2"),
				parseList("aes-sha1 aes-sha2"), parseList("camellia"),
				parseList("+aes256-cts-hmac-sha384-192 -aes256-sha2"),
				parseList("des3 des3-hmac-sha1 des3-cbc-sha1-kd"),
				parseList("17 18 23"), parseList("")),
		},
		{
			name: "booleans, integers and durations",
			files: map[string]string{"main": `[libdefaults]
	b1 = yes
	b2 = On
	b3 = nil
	b4 = T
	b5 = 0
	b6 = maybe
	b7 = "false"
	i1 = 1465
	i2 =   -12
	i3 = +7
	i4 = 12abc
	i5 = 99999999999
	i6 = 0x10
[realms]
	R = {
		b = y
		i = 3
	}
`},
			load: []string{"main"},
			queries: []mitQuery{
				boolean("libdefaults|b1"), boolean("libdefaults|b2"),
				boolean("libdefaults|b3"), boolean("libdefaults|b4"),
				boolean("libdefaults|b5"), boolean("libdefaults|b6"),
				boolean("libdefaults|b7"), boolean("libdefaults|absent"),
				boolean("realms|R|b"),
				integer("libdefaults|i1"), integer("libdefaults|i2"),
				integer("libdefaults|i3"), integer("libdefaults|i4"),
				integer("libdefaults|i5"), integer("libdefaults|i6"),
				integer("realms|R|i"), integer("libdefaults|absent"),
				deltaTime("3600"), deltaTime("10h"), deltaTime("7d"), deltaTime("1d 2h"),
				deltaTime("1d2h30m15s"), deltaTime("1:30"), deltaTime("1:30:15"),
				deltaTime("2-01:30:15"), deltaTime("90m"), deltaTime("-5m"),
				deltaTime("10x"), deltaTime("1h 30"), deltaTime("h"), deltaTime(""),
				deltaTime("1:5"), deltaTime("1:300"), deltaTime("99999999999"),
				deltaTime("  10 h  "), deltaTime("5s 3m"),
			},
		},
		{
			name: "enctype lists fall back to permitted_enctypes",
			files: map[string]string{"main": `[libdefaults]
	permitted_enctypes = aes128-sha2 aes256-cts
`},
			load:    []string{"main"},
			queries: enctypeQueries,
		},
		{
			name: "weak enctypes allowed",
			files: map[string]string{"main": `[libdefaults]
	allow_weak_crypto = true
	default_tkt_enctypes = des3-cbc-raw arcfour-hmac-exp aes
`},
			load: []string{"main"},
			queries: append(slices.Clone(enctypeQueries),
				parseList("des3-cbc-raw rc4-hmac-exp DEFAULT")),
		},
		{
			name: "no files at all",
			load: []string{"none1", "none2"},
			queries: append(slices.Clone(enctypeQueries),
				values("libdefaults|default_realm"), subsections("")),
		},
		{
			name:    "relation without equals",
			files:   map[string]string{"main": "[s]\na = 1\nbogus\n"},
			load:    []string{"main"},
			initErr: ErrRelationSyntax,
		},
		{
			name:    "extra closing brace",
			files:   map[string]string{"main": "[s]\nx = {\n}\n}\n"},
			load:    []string{"main"},
			initErr: ErrExtraBrace,
		},
		{
			name:    "missing opening brace",
			files:   map[string]string{"main": "[s]\nx =\ny = 1\n"},
			load:    []string{"main"},
			initErr: ErrMissingBrace,
		},
		{
			name:    "section header inside a block",
			files:   map[string]string{"main": "[s]\nx = {\n[t]\n}\n"},
			load:    []string{"main"},
			initErr: ErrSectionNotTop,
		},
		{
			name:    "unterminated section header",
			files:   map[string]string{"main": "[s\n"},
			load:    []string{"main"},
			initErr: ErrSectionSyntax,
		},
		{
			name:    "include of a missing file",
			files:   map[string]string{"main": "[s]\ninclude $DIR/gone\n"},
			load:    []string{"main"},
			initErr: ErrInclude,
		},
		{
			name:    "includedir of a missing directory",
			files:   map[string]string{"main": "includedir $DIR/gone\n"},
			load:    []string{"main"},
			initErr: ErrInclude,
		},
		{
			name:    "syntax error in the second file",
			files:   map[string]string{"ok": "[s]\na = 1\n", "bad": "[s]\n}\n"},
			load:    []string{"ok", "bad"},
			initErr: ErrExtraBrace,
		},
	}
}

// writeCase writes c's files into a new directory and returns the paths
// KRB5_CONFIG names, in order.
func writeCase(t *testing.T, c mitCase) []string {
	dir := t.TempDir()
	for name, text := range c.files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		text = strings.ReplaceAll(text, "$DIR", dir)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	var paths []string
	for _, name := range c.load {
		if name == "" {
			paths = append(paths, "")
			continue
		}
		paths = append(paths, filepath.Join(dir, name))
	}
	return paths
}

// TestMITProfileAgrees: for each case, MIT's profile library and this
// package give the same values, listings and enctype lists, or fail with
// the same kind of syntax error.
func TestMITProfileAgrees(t *testing.T) {
	bin := mitProfile(t)
	for _, c := range mitCases() {
		t.Run(c.name, func(t *testing.T) {
			paths := writeCase(t, c)
			mit, mitInit := askMIT(t, bin, paths, c.queries)
			ours, err := askOurs(t, paths, c.queries)
			if c.initErr != nil {
				require.NotEmpty(t, mitInit, "MIT accepted the files")
				code, err2 := strconv.ParseInt(strings.Fields(mitInit)[0], 10, 64)
				require.NoError(t, err2)
				assert.Equal(t, c.initErr, mitErrors[code], "MIT: %s", mitInit)
				require.Error(t, err, "we accepted the files")
				assert.ErrorIs(t, err, c.initErr)
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				assert.NotZero(t, se.Line, "the error names a line: %v", err)
				return
			}
			if c.mitOnlyErr != nil {
				require.NotEmpty(t, mitInit, "MIT accepted the files")
				code, err2 := strconv.ParseInt(strings.Fields(mitInit)[0], 10, 64)
				require.NoError(t, err2)
				assert.Equal(t, c.mitOnlyErr, mitErrors[code], "MIT: %s", mitInit)
				require.NoError(t, err)
				assert.Equal(t, []string{"after"}, ours[c.queries[0].String()])
				return
			}
			require.Empty(t, mitInit, "MIT refused the files")
			require.NoError(t, err)
			for _, q := range c.queries {
				want, got := mit[q.String()], ours[q.String()]
				if q.verb == "subsections" || q.verb == "relations" {
					want = dedup(want)
				}
				if d, ok := c.differs[q.String()]; ok {
					assert.Equal(t, d.mit, want, "MIT: %s", q)
					assert.Equal(t, d.ours, got, "ours: %s", q)
					continue
				}
				assert.Equal(t, want, got, "%s", q)
			}
		})
	}
}
