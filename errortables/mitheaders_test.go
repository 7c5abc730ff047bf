package errortables

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests compare our tables with the ones MIT krb5 installs on this
// machine: the com_err-generated #define lines in the headers of Debian's
// libkrb5-dev, the GSS_S_* macros of gssapi.h, and, for the k5g and ggss
// tables whose headers MIT does not install, the compiled tables inside
// libgssapi_krb5.so.

const mitPackages = "libkrb5-dev (headers) and libgssapi-krb5-2, libkrb5-3 (libraries)"

// mitFile returns the first of paths that exists. If none does, the test
// fails naming the Debian packages, or is skipped when
// SAFEKRB5_SKIP_INTEGRATION=1.
func mitFile(t *testing.T, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SAFEKRB5_SKIP_INTEGRATION") == "1" {
		t.Skipf("none of %v exists; skipped by SAFEKRB5_SKIP_INTEGRATION", paths)
	}
	t.Fatalf("none of %v exists: install Debian's %s "+
		"(or set SAFEKRB5_SKIP_INTEGRATION=1)", paths, mitPackages)
	return ""
}

// cDefines reads the #define lines of a C header, joining continued lines.
// Function-like macros are left out.
func cDefines(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()

	defs := make(map[string]string)
	re := regexp.MustCompile(`^#\s*define\s+([A-Za-z_]\w*)(\(?)\s*(.*)$`)
	var line string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line += sc.Text()
		if strings.HasSuffix(line, `\`) {
			line = strings.TrimSuffix(line, `\`) + " "
			continue
		}
		if m := re.FindStringSubmatch(strings.TrimSpace(line)); m != nil && m[2] == "" {
			body := m[3]
			if i := strings.Index(body, "/*"); i >= 0 {
				body = body[:i]
			}
			defs[m[1]] = strings.TrimSpace(body)
		}
		line = ""
	}
	require.NoError(t, sc.Err())
	return defs
}

// cEval evaluates the constant expressions MIT's headers use: integers
// with u/l suffixes, casts to OM_uint32, parentheses, unary minus, +, -,
// << and |, and names of other object-like macros.
type cEval struct {
	defs  map[string]string
	depth int
}

var (
	castRE  = regexp.MustCompile(`\(\s*OM_uint32\s*\)`)
	tokenRE = regexp.MustCompile(`\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|[()+\-|])`)
)

func (ev *cEval) eval(expr string) (int64, error) {
	expr = castRE.ReplaceAllString(expr, "")
	var toks []string
	rest := strings.TrimSpace(expr)
	for rest != "" {
		m := tokenRE.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return 0, fmt.Errorf("cannot tokenize %q", rest)
		}
		toks = append(toks, rest[m[2]:m[3]])
		rest = strings.TrimSpace(rest[m[1]:])
	}
	p := &cParser{ev: ev, toks: toks}
	v, err := p.or()
	if err == nil && p.pos != len(toks) {
		err = fmt.Errorf("trailing tokens in %q", expr)
	}
	return v, err
}

// cParser is a recursive-descent parser over one expression's tokens.
type cParser struct {
	ev   *cEval
	toks []string
	pos  int
}

func (p *cParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *cParser) or() (int64, error) {
	v, err := p.shift()
	for err == nil && p.peek() == "|" {
		p.pos++
		var r int64
		r, err = p.shift()
		v |= r
	}
	return v, err
}

func (p *cParser) shift() (int64, error) {
	v, err := p.sum()
	for err == nil && p.peek() == "<<" {
		p.pos++
		var r int64
		r, err = p.sum()
		v <<= uint(r)
	}
	return v, err
}

func (p *cParser) sum() (int64, error) {
	v, err := p.unary()
	for err == nil && (p.peek() == "+" || p.peek() == "-") {
		op := p.peek()
		p.pos++
		var r int64
		r, err = p.unary()
		if op == "+" {
			v += r
		} else {
			v -= r
		}
	}
	return v, err
}

func (p *cParser) unary() (int64, error) {
	if p.peek() == "-" {
		p.pos++
		v, err := p.unary()
		return -v, err
	}
	return p.primary()
}

func (p *cParser) primary() (int64, error) {
	tok := p.peek()
	p.pos++
	switch {
	case tok == "(":
		v, err := p.or()
		if err != nil {
			return 0, err
		}
		if p.peek() != ")" {
			return 0, fmt.Errorf("missing )")
		}
		p.pos++
		return v, nil
	case tok != "" && unicode.IsDigit(rune(tok[0])):
		// Integer suffixes were split off as identifiers; skip them.
		if s := p.peek(); s != "" && strings.Trim(s, "uUlL") == "" {
			p.pos++
		}
		return strconv.ParseInt(tok, 0, 64)
	case tok != "" && (unicode.IsLetter(rune(tok[0])) || tok[0] == '_'):
		body, ok := p.ev.defs[tok]
		if !ok || p.ev.depth > 16 {
			return 0, fmt.Errorf("unknown name %s", tok)
		}
		p.ev.depth++
		defer func() { p.ev.depth-- }()
		return p.ev.eval(body)
	}
	return 0, fmt.Errorf("unexpected token %q", tok)
}

// mitTable is one com_err table as MIT's headers define it.
type mitTable struct {
	base  Code
	codes map[string]Code // symbolic name to code
}

// mitTables collects the com_err tables in defs: each ERROR_TABLE_BASE_x,
// and every upper-case macro whose value is a plain integer in that table's
// range, the form compile_et writes.
func mitTables(t *testing.T, defs map[string]string) map[string]*mitTable {
	t.Helper()
	tables := make(map[string]*mitTable)
	byBase := make(map[Code]*mitTable)
	numRE := regexp.MustCompile(`^\(?\s*(-?\d+)L?\s*\)?$`)
	for name, body := range defs {
		tab, ok := strings.CutPrefix(name, "ERROR_TABLE_BASE_")
		if !ok {
			continue
		}
		m := numRE.FindStringSubmatch(body)
		require.NotNil(t, m, "%s = %q", name, body)
		v, err := strconv.ParseInt(m[1], 10, 32)
		require.NoError(t, err)
		mt := &mitTable{base: Code(v), codes: make(map[string]Code)}
		tables[tab] = mt
		byBase[mt.base] = mt
	}
	upper := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	for name, body := range defs {
		m := numRE.FindStringSubmatch(body)
		if m == nil || !upper.MatchString(name) ||
			strings.HasPrefix(name, "ERROR_TABLE_BASE_") {
			continue
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v != int64(int32(v)) {
			continue
		}
		if mt, ok := byBase[tableBase(Code(v))]; ok {
			mt.codes[name] = Code(v)
		}
	}
	return tables
}

// compareTable checks ours against MIT's table both ways.
func compareTable(t *testing.T, ours *Table, mit *mitTable) {
	t.Helper()
	assert.Equal(t, mit.base, ours.Base(), "base of %s", ours.Name())
	for name, code := range mit.codes {
		i, ok := ours.Index(name)
		if assert.True(t, ok, "MIT's %s (%d) is missing from %s",
			name, code, ours.Name()) {
			assert.Equal(t, code, ours.Code(i), "code of %s", name)
		}
	}
	for i := 0; i < ours.Len(); i++ {
		e, _ := ours.Entry(ours.Code(i))
		code, ok := mit.codes[e.Name]
		if assert.True(t, ok, "our %s is not in MIT's %s table",
			e.Name, ours.Name()) {
			assert.Equal(t, ours.Code(i), code, "code of %s", e.Name)
		}
	}
	assert.Len(t, mit.codes, ours.Len(), "size of %s", ours.Name())
}

func TestMITKrb5Header(t *testing.T) {
	path := mitFile(t, "/usr/include/krb5/krb5.h",
		"/usr/include/mit-krb5/krb5/krb5.h")
	tables := mitTables(t, cDefines(t, path))
	for _, ours := range []*Table{KRB5Table, KV5MTable, ASN1Table} {
		t.Run(ours.Name(), func(t *testing.T) {
			mit, ok := tables[ours.Name()]
			require.True(t, ok, "%s defines no table %s", path, ours.Name())
			compareTable(t, ours, mit)
		})
	}
	t.Run("krb5-size", func(t *testing.T) {
		assert.Equal(t, 256, KRB5Table.Len())
	})
}

// gssAliases are the GSS_S_* names MIT defines as another status's name.
var gssAliases = map[string]GSSMajor{
	"GSS_S_COMPLETE":     GSSComplete,
	"GSS_S_BAD_MIC":      GSSBadMIC,
	"GSS_S_CRED_UNAVAIL": GSSCredUnavail,
}

func TestMITGSSAPIHeader(t *testing.T) {
	path := mitFile(t, "/usr/include/gssapi/gssapi.h",
		"/usr/include/mit-krb5/gssapi/gssapi.h")
	defs := cDefines(t, path)
	ev := &cEval{defs: defs}

	ours := make(map[string]GSSMajor)
	for name, v := range gssAliases {
		ours[name] = v
	}
	for _, list := range [][]gssPart{gssCalling, gssRoutine, gssSupplementary} {
		for _, p := range list {
			ours[p.name] = p.code
		}
	}

	mit := make(map[string]GSSMajor)
	for name, body := range defs {
		if !strings.HasPrefix(name, "GSS_S_") {
			continue
		}
		v, err := ev.eval(body)
		require.NoError(t, err, "%s = %q", name, body)
		mit[name] = GSSMajor(v)
	}
	require.NotEmpty(t, mit)
	for name, v := range mit {
		got, ok := ours[name]
		if assert.True(t, ok, "MIT's %s (%#x) is missing", name, uint32(v)) {
			assert.Equal(t, v, got, name)
		}
	}
	for name, v := range ours {
		got, ok := mit[name]
		if assert.True(t, ok, "our %s is not in gssapi.h", name) {
			assert.Equal(t, v, got, name)
		}
	}

	layout := []struct {
		name string
		want int64
	}{
		{"GSS_C_CALLING_ERROR_OFFSET", gssCallingOffset},
		{"GSS_C_ROUTINE_ERROR_OFFSET", gssRoutineOffset},
		{"GSS_C_SUPPLEMENTARY_OFFSET", 0},
		{"GSS_C_CALLING_ERROR_MASK", int64(gssCallingMask >> gssCallingOffset)},
		{"GSS_C_ROUTINE_ERROR_MASK", int64(gssRoutineMask >> gssRoutineOffset)},
		{"GSS_C_SUPPLEMENTARY_MASK", int64(gssSuppMask)},
	}
	for _, l := range layout {
		t.Run(l.name, func(t *testing.T) {
			v, err := ev.eval(defs[l.name])
			require.NoError(t, err)
			assert.Equal(t, l.want, v)
		})
	}
}

// TestMITGSSMinorTables checks k5g and ggss. MIT's compile_et headers for
// them (gssapi_err_krb5.h, gssapi_err_generic.h) are private: MIT 1.20
// installs gssapi.h, gssapi_krb5.h, gssapi_ext.h and gssapi_generic.h, none
// of which defines KG_* or G_* codes. So the names and codes are compared
// only if some installed header defines them, and the table sizes are
// always compared with the tables compiled into libgssapi_krb5.
func TestMITGSSMinorTables(t *testing.T) {
	dir := filepath.Dir(mitFile(t, "/usr/include/gssapi/gssapi_krb5.h",
		"/usr/include/mit-krb5/gssapi/gssapi_krb5.h"))
	defs := make(map[string]string)
	for _, h := range []string{"gssapi.h", "gssapi_krb5.h", "gssapi_ext.h",
		"gssapi_generic.h", "gssapi_err_krb5.h", "gssapi_err_generic.h"} {
		p := filepath.Join(dir, h)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		for k, v := range cDefines(t, p) {
			defs[k] = v
		}
	}
	tables := mitTables(t, defs)

	lib := mitFile(t, libPaths("libgssapi_krb5.so.2")...)
	for _, ours := range []*Table{K5GTable, GGSSTable} {
		t.Run(ours.Name(), func(t *testing.T) {
			if mit, ok := tables[ours.Name()]; ok {
				compareTable(t, ours, mit)
			} else {
				t.Logf("no installed header defines table %s; "+
					"comparing its size with %s only", ours.Name(), lib)
			}
			compareCompiled(t, lib, ours)
		})
	}
}

// TestMITCompiledKrb5Tables compares the sizes of the tables compiled into
// libkrb5 with ours.
func TestMITCompiledKrb5Tables(t *testing.T) {
	lib := mitFile(t, libPaths("libkrb5.so.3")...)
	for _, ours := range []*Table{KRB5Table, KV5MTable, ASN1Table} {
		t.Run(ours.Name(), func(t *testing.T) {
			compareCompiled(t, lib, ours)
		})
	}
}

// libPaths lists where Debian and other distributions put a library.
func libPaths(name string) []string {
	paths, _ := filepath.Glob("/usr/lib/*-linux-gnu*/" + name)
	return append(paths, "/usr/lib64/"+name, "/usr/lib/"+name, "/lib64/"+name)
}

// compareCompiled finds ours among the com_err tables compiled into lib
// and checks that MIT's has as many messages.
func compareCompiled(t *testing.T, lib string, ours *Table) {
	t.Helper()
	msgs, err := compiledTable(lib, ours.Base())
	require.NoError(t, err)
	require.Len(t, msgs, ours.Len(), "messages in MIT's %s table", ours.Name())
	for i, m := range msgs {
		e, _ := ours.Entry(ours.Code(i))
		t.Logf("%-32s ours %q, MIT %q", e.Name, e.Message, m)
	}
}

// compiledTable reads, from a 64-bit ELF shared library, the com_err
// struct error_table {const char *const *msgs; long base; unsigned int
// n_msgs;} whose base is base, and returns its messages (empty strings
// where a relocation cannot be followed). It finds the struct by its base
// followed by a plausible count, in the writable or relocated data.
func compiledTable(lib string, base Code) ([]string, error) {
	f, err := elf.Open(lib)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%s: only 64-bit libraries are read", lib)
	}
	bo := f.ByteOrder
	relocs := relativeRelocs(f)

	type hit struct {
		msgs uint64
		n    uint32
	}
	var hits []hit
	for _, name := range []string{".data.rel.ro", ".data"} {
		sec := f.Section(name)
		if sec == nil {
			continue
		}
		d, err := sec.Data()
		if err != nil {
			return nil, err
		}
		for off := 8; off+12 <= len(d); off += 8 {
			if int64(bo.Uint64(d[off:])) != int64(base) {
				continue
			}
			n := bo.Uint32(d[off+8:])
			slot := sec.Addr + uint64(off-8)
			ptr, ok := relocs[slot]
			if !ok {
				ptr = bo.Uint64(d[off-8:])
			}
			if n == 0 || n > codeRange || ptr == 0 {
				continue
			}
			hits = append(hits, hit{ptr, n})
		}
	}
	if len(hits) != 1 {
		return nil, fmt.Errorf("%s: found %d candidate tables with base %d",
			lib, len(hits), base)
	}

	msgs := make([]string, hits[0].n)
	for i := range msgs {
		slot := hits[0].msgs + 8*uint64(i)
		ptr, ok := relocs[slot]
		if !ok {
			b := readVA(f, slot, 8)
			if b == nil {
				continue
			}
			ptr = bo.Uint64(b)
		}
		msgs[i] = readCString(f, ptr)
	}
	return msgs, nil
}

// relativeRelocs maps the addresses that RELATIVE relocations fill in to
// the value they store there (the addend, for a library loaded at zero).
func relativeRelocs(f *elf.File) map[uint64]uint64 {
	relocs := make(map[uint64]uint64)
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_RELA {
			continue
		}
		d, err := sec.Data()
		if err != nil {
			continue
		}
		for i := 0; i+24 <= len(d); i += 24 {
			typ := uint32(f.ByteOrder.Uint64(d[i+8:]))
			relative := (f.Machine == elf.EM_X86_64 &&
				elf.R_X86_64(typ) == elf.R_X86_64_RELATIVE) ||
				(f.Machine == elf.EM_AARCH64 &&
					elf.R_AARCH64(typ) == elf.R_AARCH64_RELATIVE)
			if relative {
				relocs[f.ByteOrder.Uint64(d[i:])] = f.ByteOrder.Uint64(d[i+16:])
			}
		}
	}
	return relocs
}

// readVA reads n bytes at virtual address va from the file's loadable
// segments, or returns nil.
func readVA(f *elf.File, va uint64, n int) []byte {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || va < p.Vaddr || va+uint64(n) > p.Vaddr+p.Filesz {
			continue
		}
		b := make([]byte, n)
		if _, err := p.ReadAt(b, int64(va-p.Vaddr)); err != nil {
			return nil
		}
		return b
	}
	return nil
}

// readCString reads a NUL-terminated string of at most 1024 bytes at va.
func readCString(f *elf.File, va uint64) string {
	var s []byte
	for len(s) < 1024 {
		b := readVA(f, va+uint64(len(s)), 1)
		if b == nil || b[0] == 0 {
			break
		}
		s = append(s, b[0])
	}
	return string(s)
}
