package krb5conf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapSource is an in-memory file system: file name to contents. A
// directory is every name with the directory and a slash as prefix.
type mapSource map[string]string

func (m mapSource) readFile(name string) ([]byte, string, error) {
	data, ok := m[name]
	if !ok {
		return nil, "", &fs.PathError{Op: "open", Path: name,
			Err: fs.ErrNotExist}
	}
	return []byte(data), name, nil
}

func (m mapSource) id(name string) string { return name }

func (m mapSource) readDir(name string) ([]string, error) {
	prefix := name + "/"
	var names []string
	found := false
	for k := range m {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			found = true
			if !strings.Contains(rest, "/") {
				names = append(names, rest)
			}
		}
	}
	if !found {
		return nil, &fs.PathError{Op: "open", Path: name,
			Err: fs.ErrNotExist}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names))) // order must not matter
	return names, nil
}

type query struct {
	path []string
	want []string
}

func q(want []string, path ...string) query { return query{path, want} }

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		name    string
		files   mapSource // "main" is parsed
		queries []query
	}{
		{
			name: "relations and sections",
			files: mapSource{"main": `
[libdefaults]
	default_realm = EXAMPLE.COM
	dns_lookup_kdc=false
[realms]
	EXAMPLE.COM = {
		kdc = kdc1.example.com
		kdc = kdc2.example.com:88
	}
`},
			queries: []query{
				q([]string{"EXAMPLE.COM"}, "libdefaults", "default_realm"),
				q([]string{"false"}, "libdefaults", "dns_lookup_kdc"),
				q([]string{"kdc1.example.com", "kdc2.example.com:88"},
					"realms", "EXAMPLE.COM", "kdc"),
				q(nil, "realms", "EXAMPLE.COM", "admin_server"),
				q(nil, "libdefaults"),
			},
		},
		{
			name: "nested blocks and brace on next line",
			files: mapSource{"main": `[a]
x = {
  y =
  {
    z = {
      v = deep
    }
  }
  w = 1
}
`},
			queries: []query{
				q([]string{"deep"}, "a", "x", "y", "z", "v"),
				q([]string{"1"}, "a", "x", "w"),
			},
		},
		{
			name: "comments and text before the first section",
			files: mapSource{"main": `this is ignored = x
  # so is this
[s]
# comment
   ; comment
a = 1 # not a comment
b = 2 ;not either
`},
			queries: []query{
				q([]string{"1 # not a comment"}, "s", "a"),
				q([]string{"2 ;not either"}, "s", "b"),
				q(nil, "s", "#"),
			},
		},
		{
			name: "white space and CRLF",
			files: mapSource{"main": "[s]\r\n  a   =   spaced value \t\r\n" +
				"b=\r\n{\r\nc=d\r\n}\r\n"},
			queries: []query{
				q([]string{"spaced value"}, "s", "a"),
				q([]string{"d"}, "s", "b", "c"),
			},
		},
		{
			name: "quoted values",
			files: mapSource{"main": `[s]
a = "  padded  "
b = "tab\there\nnew \"q\" back\\slash \x"
c = "unterminated
d = "x" trailing text ignored
e = "ends in backslash\`},
			queries: []query{
				q([]string{"  padded  "}, "s", "a"),
				q([]string{"tab\there\nnew \"q\" back\\slash x"}, "s", "b"),
				q([]string{"unterminated"}, "s", "c"),
				q([]string{"x"}, "s", "d"),
				q([]string{"ends in backslash\\"}, "s", "e"),
			},
		},
		{
			name: "repeated sections and blocks merge",
			files: mapSource{"main": `[s]
a = 1
b = { x = 1 }
[t]
[s]
a = 2
b = {
x = 2
}
`},
			queries: []query{
				q([]string{"1", "2"}, "s", "a"),
				// "b = { x = 1 }" is a relation: "{" is not alone.
				q([]string{"{ x = 1 }"}, "s", "b"),
				q([]string{"2"}, "s", "b", "x"),
			},
		},
		{
			name: "final relation within one file",
			files: mapSource{"main": `[s]
a* = first
a = second
b = 1
b* = 2
b = 3
`},
			queries: []query{
				q([]string{"first"}, "s", "a"),
				q([]string{"1", "2"}, "s", "b"),
			},
		},
		{
			name: "final section within one file",
			files: mapSource{"main": `[s]*
a = 1
[s]
a = 2
x = {
 y = 1
}
[t]
a = 3
`},
			queries: []query{
				q([]string{"1"}, "s", "a"),
				q(nil, "s", "x", "y"),
				q([]string{"3"}, "t", "a"),
			},
		},
		{
			name: "final block within one file",
			files: mapSource{"main": `[s]
x* = {
 y = 1
}
x = {
 y = 2
 z = { w = 1 }
}
a = after
z = {
 q = 1
}*
z = {
 q = 2
}
`},
			queries: []query{
				q([]string{"1"}, "s", "x", "y"),
				q([]string{"after"}, "s", "a"),
				q([]string{"1"}, "s", "z", "q"),
			},
		},
		{
			name:  "tag star in the middle truncates",
			files: mapSource{"main": "[s]\nab*cd = v\n"},
			queries: []query{
				q([]string{"v"}, "s", "ab"),
			},
		},
		{
			name:  "section names keep their spaces",
			files: mapSource{"main": "[ spaced ]  \na = 1\n[]\nb = 2\n"},
			queries: []query{
				q([]string{"1"}, " spaced ", "a"),
				q([]string{"2"}, "", "b"),
			},
		},
		{
			name:  "value with equals and braces",
			files: mapSource{"main": "[s]\na = b = c\nd = {x\n"},
			queries: []query{
				q([]string{"b = c"}, "s", "a"),
				q([]string{"{x"}, "s", "d"),
			},
		},
		{
			name:  "NUL ends the line as in C",
			files: mapSource{"main": "[s]\na = 1\x00junk\n"},
			queries: []query{
				q([]string{"1"}, "s", "a"),
			},
		},
		{
			name: "include",
			files: mapSource{
				"main": "[s]\na = main\ninclude inc\n[t]\nb = main\n",
				"inc":  "[s]\na = inc\n[t]\nb = inc\n",
			},
			queries: []query{
				q([]string{"main", "inc"}, "s", "a"),
				// The included file's state does not leak: "[t]" of
				// main continues after the include.
				q([]string{"inc", "main"}, "t", "b"),
			},
		},
		{
			name: "include inside a block ends nothing",
			files: mapSource{
				"main": "[s]\nx = {\ninclude inc\ny = 1\n}\n",
				"inc":  "[u]\nz = 1\n",
			},
			queries: []query{
				q([]string{"1"}, "s", "x", "y"),
				q([]string{"1"}, "u", "z"),
			},
		},
		{
			name: "includedir order and name filter",
			files: mapSource{
				"main":             "includedir d\n[s]\nv = main\n",
				"d/b.conf":         "[s]\nv = b.conf\n",
				"d/a_1-x":          "[s]\nv = a_1-x\n",
				"d/c.conf.rpmsave": "[s]\nv = rpmsave\n",
				"d/.hidden.conf":   "[s]\nv = hidden\n",
				"d/z~":             "[s]\nv = backup\n",
				"d/Z9":             "[s]\nv = Z9\n",
			},
			queries: []query{
				q([]string{"Z9", "a_1-x", "b.conf", "main"}, "s", "v"),
			},
		},
		{
			name: "include with a final section",
			files: mapSource{
				"main": "include inc\n[s]\na = main\n",
				"inc":  "[s]*\na = inc\n",
			},
			queries: []query{
				q([]string{"inc"}, "s", "a"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prof, err := parseWith(tt.files, "main", []byte(tt.files["main"]))
			require.NoError(t, err)
			for _, qq := range tt.queries {
				assert.Equal(t, qq.want, prof.Values(qq.path...),
					"Values(%q)", qq.path)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		files mapSource
		kind  error
		pos   string // "file:line"
	}{
		{"relation without equals", mapSource{"main": "[s]\na = 1\nbogus\n"},
			ErrRelationSyntax, "main:3"},
		{"relation without tag", mapSource{"main": "[s]\n = 1\n"},
			ErrRelationSyntax, "main:2"},
		{"space inside tag", mapSource{"main": "[s]\nmy tag = 1\n"},
			ErrRelationSyntax, "main:2"},
		{"unterminated header", mapSource{"main": "[s\n"},
			ErrSectionSyntax, "main:1"},
		{"text after header", mapSource{"main": "[s]\n[t] x\n"},
			ErrSectionSyntax, "main:2"},
		{"header in block", mapSource{"main": "[s]\nx = {\n[t]\n}\n"},
			ErrSectionNotTop, "main:3"},
		{"extra brace", mapSource{"main": "[s]\nx = {\n}\n}\n"},
			ErrExtraBrace, "main:4"},
		{"missing brace", mapSource{"main": "[s]\nx =\ny = 1\n"},
			ErrMissingBrace, "main:3"},
		{"missing brace blank line", mapSource{"main": "[s]\nx =\n\n{\n"},
			ErrMissingBrace, "main:3"},
		{"module", mapSource{"main": "module foo:bar\n[s]\n"},
			ErrModule, "main:1"},
		{"include missing", mapSource{"main": "[s]\n\ninclude nope\n"},
			ErrInclude, "main:3"},
		{"include keeps trailing blanks as MIT does",
			mapSource{"main": "include inc\t\n", "inc": ""},
			ErrInclude, "main:1"},
		{"includedir missing", mapSource{"main": "includedir nope\n"},
			ErrInclude, "main:1"},
		{"error inside include names the included file",
			mapSource{"main": "[s]\ninclude inc\n", "inc": "[t]\n\n}\n"},
			ErrExtraBrace, "inc:3"},
		{"include cycle", mapSource{
			"main": "[s]\ninclude a\n",
			"a":    "[s]\ninclude b\n",
			"b":    "\n\ninclude main\n"},
			ErrIncludeCycle, "b:3"},
		{"self include", mapSource{"main": "include main\n"},
			ErrIncludeCycle, "main:1"},
		{"too deep", mapSource{"main": "[s]\n" +
			strings.Repeat("x = {\n", MaxNesting) + "\n"},
			ErrTooDeep, "main:" + itoa(MaxNesting+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseWith(tt.files, "main", []byte(tt.files["main"]))
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.kind)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.pos, se.File+":"+itoa(se.Line))
			assert.True(t, strings.HasPrefix(err.Error(),
				tt.pos+": "), err.Error())
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestIncludeDepth(t *testing.T) {
	// A chain of distinct files deeper than the limit.
	files := mapSource{}
	for i := 0; i <= MaxIncludeDepth+1; i++ {
		files["f"+itoa(i)] = "include f" + itoa(i+1) + "\n"
	}
	files["f"+itoa(MaxIncludeDepth+2)] = "[s]\n"
	_, err := parseWith(files, "f0", []byte(files["f0"]))
	require.ErrorIs(t, err, ErrTooDeep)
}

func TestLongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	data := "[s]\na = " + long + "\nb = after\n"
	prof, err := Parse("long", []byte(data))
	require.NoError(t, err)
	v, ok := prof.Value("s", "a")
	require.True(t, ok)
	assert.Len(t, v, 1<<20)
	v, _ = prof.Value("s", "b")
	assert.Equal(t, "after", v)
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first.conf", `[libdefaults]
	default_realm = FIRST.COM
	ticket_lifetime = 10h
[realms]
	A.COM = {
		kdc = a1
	}
	B.COM* = {
		kdc = b1
	}
[domain_realm]*
	.first.com = FIRST.COM
`)
	second := writeFile(t, dir, "second.conf", `[libdefaults]
	default_realm = SECOND.COM
	forwardable = true
[realms]
	A.COM = {
		kdc = a2
	}
	B.COM = {
		kdc = b2
	}
	C.COM = {
		kdc = c2
	}
[domain_realm]
	.second.com = SECOND.COM
`)
	missing := filepath.Join(dir, "missing.conf")

	prof, err := Load(missing, first, "", second)
	require.NoError(t, err)
	assert.Equal(t, []string{first, second}, prof.Files())

	tests := []query{
		q([]string{"FIRST.COM", "SECOND.COM"}, "libdefaults",
			"default_realm"),
		q([]string{"true"}, "libdefaults", "forwardable"),
		q([]string{"a1", "a2"}, "realms", "A.COM", "kdc"),
		q([]string{"b1"}, "realms", "B.COM", "kdc"),
		q([]string{"c2"}, "realms", "C.COM", "kdc"),
		q([]string{"FIRST.COM"}, "domain_realm", ".first.com"),
		q(nil, "domain_realm", ".second.com"),
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, prof.Values(tt.path...), "%q", tt.path)
	}
	v, ok := prof.Value("libdefaults", "default_realm")
	assert.True(t, ok)
	assert.Equal(t, "FIRST.COM", v)
	// As in MIT, the final block B.COM ends the listing after the
	// first file; C.COM is still reachable by name.
	assert.Equal(t, []string{"A.COM", "B.COM"}, prof.Subsections("realms"))
	assert.Equal(t, []string{"domain_realm", "libdefaults", "realms"},
		prof.Subsections())
	assert.Equal(t, []string{".first.com"}, prof.Relations("domain_realm"))
	assert.Equal(t, []string{"default_realm", "ticket_lifetime",
		"forwardable"}, prof.Relations("libdefaults"))

	// Reversed order: the second file's values come first and the
	// final markers of the first no longer hide anything.
	prof, err = Load(second, first)
	require.NoError(t, err)
	assert.Equal(t, []string{"b2", "b1"}, prof.Values("realms", "B.COM",
		"kdc"))
	assert.Equal(t, []string{"SECOND.COM", "FIRST.COM"},
		prof.Values("libdefaults", "default_realm"))
}

func TestLoadFinalSectionStopsLaterFiles(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "a", "[libdefaults]*\nx = 1\n")
	second := writeFile(t, dir, "b", "[libdefaults]\nx = 2\ny = 2\n")
	prof, err := Load(first, second)
	require.NoError(t, err)
	assert.Equal(t, []string{"1"}, prof.Values("libdefaults", "x"))
	// The final section hides the later file even for tags it lacks.
	assert.Nil(t, prof.Values("libdefaults", "y"))
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	require.ErrorIs(t, err, ErrNoConfig)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = Load()
	require.ErrorIs(t, err, ErrNoConfig)

	bad := writeFile(t, dir, "bad.conf", "[s]\n\nnot a relation\n")
	good := writeFile(t, dir, "good.conf", "[s]\na = 1\n")
	_, err = Load(good, bad)
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, bad, se.File)
	assert.Equal(t, 3, se.Line)

	_, err = Load(dir) // a directory is not a file
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNoConfig)

	if os.Geteuid() != 0 {
		locked := writeFile(t, dir, "locked.conf", "[s]\n")
		require.NoError(t, os.Chmod(locked, 0))
		_, err = Load(locked)
		require.ErrorIs(t, err, fs.ErrPermission)
		prof, err := Load(locked, good)
		require.NoError(t, err)
		assert.Equal(t, []string{good}, prof.Files())
	}
}

func TestLoadRealIncludes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "conf.d/10-realm.conf",
		"[realms]\nEXAMPLE.COM = {\n kdc = k1\n}\n")
	writeFile(t, dir, "conf.d/20-realm", "[realms]\nEXAMPLE.COM = {\n"+
		" kdc = k2\n}\n")
	writeFile(t, dir, "conf.d/skip.bak", "[realms]\nEXAMPLE.COM = {\n"+
		" kdc = bak\n}\n")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "conf.d", "subdir"),
		0o755))
	inc := writeFile(t, dir, "inc.conf", "[libdefaults]\nx = inc\n")
	main := writeFile(t, dir, "krb5.conf", "include "+inc+"\nincludedir "+
		filepath.Join(dir, "conf.d")+"\n[libdefaults]\nx = main\n")
	prof, err := Load(main)
	require.NoError(t, err)
	assert.Equal(t, []string{"inc", "main"}, prof.Values("libdefaults", "x"))
	assert.Equal(t, []string{"k1", "k2"},
		prof.Values("realms", "EXAMPLE.COM", "kdc"))

	// A cycle through a symbolic link is caught as well.
	cyc := writeFile(t, dir, "cyc.conf", "")
	link := filepath.Join(dir, "link.conf")
	require.NoError(t, os.Symlink(cyc, link))
	require.NoError(t, os.WriteFile(cyc, []byte("include "+link+"\n"),
		0o644))
	_, err = Load(cyc)
	require.ErrorIs(t, err, ErrIncludeCycle)
}

func TestPathsFromEnv(t *testing.T) {
	t.Setenv("KRB5_CONFIG", "/a:/b::/c")
	assert.Equal(t, []string{"/a", "/b"}, PathsFromEnv(),
		"an empty entry ends the list, as in MIT")
	t.Setenv("KRB5_CONFIG", ":/a")
	assert.Empty(t, PathsFromEnv())
	t.Setenv("KRB5_CONFIG", "")
	assert.Empty(t, PathsFromEnv())
	require.NoError(t, os.Unsetenv("KRB5_CONFIG"))
	assert.Equal(t, []string{DefaultPath}, PathsFromEnv())

	dir := t.TempDir()
	t.Setenv("KRB5_CONFIG", filepath.Join(dir, "none"))
	prof, err := LoadEnv()
	require.NoError(t, err, "no file at all gives an empty profile, as MIT")
	assert.Empty(t, prof.Files())
	assert.Nil(t, prof.Values("libdefaults", "default_realm"))

	f := writeFile(t, dir, "k.conf", "[libdefaults]\ndefault_realm = R\n")
	t.Setenv("KRB5_CONFIG", filepath.Join(dir, "none")+":"+f)
	prof, err = LoadEnv()
	require.NoError(t, err)
	v, _ := prof.Value("libdefaults", "default_realm")
	assert.Equal(t, "R", v)
}

func TestZeroAndNilProfile(t *testing.T) {
	var nilProf *Profile
	assert.Nil(t, nilProf.Values("a", "b"))
	assert.Nil(t, nilProf.Subsections())
	assert.Nil(t, nilProf.Files())
	var zero Profile
	_, ok := zero.Value("libdefaults", "default_realm")
	assert.False(t, ok)
	assert.True(t, zero.Bool(true, "libdefaults", "x"))
	_, err := zero.Config()
	require.NoError(t, err)
}

func TestErrorUnwrap(t *testing.T) {
	_, err := parseWith(mapSource{"main": "include gone\n"}, "main",
		[]byte("include gone\n"))
	require.ErrorIs(t, err, ErrInclude)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.False(t, errors.Is(err, ErrRelationSyntax))
}
