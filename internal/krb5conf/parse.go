package krb5conf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safekrb5/safekrb5/internal/fileread"
)

// Limits that keep a hostile or broken file from exhausting the stack or
// memory. MIT's parser has none of them.
const (
	// MaxNesting is the deepest block nesting accepted, counting the
	// section as level 1: "[realms]" then "EXAMPLE.COM = {" is level 2.
	MaxNesting = 64
	// MaxIncludeDepth is how many include or includedir directives may
	// be nested inside each other.
	MaxIncludeDepth = 16
	// MaxFileSize is the largest file, top-level or included, that is
	// read.
	MaxFileSize = 64 << 20
)

// Parser states, as in MIT's prof_parse.c.
const (
	stateInitComment = iota // before the first section header
	stateStdLine            // ordinary lines
	stateGetOBrace          // after "tag =", expecting "{"
)

// source reads files and directories for include processing. The real one
// is the file system; tests and the fuzz target use fakes.
type source interface {
	// readFile returns the contents of name and an identity used to
	// detect include cycles.
	readFile(name string) (data []byte, id string, err error)
	// readDir returns the names of the non-directory entries of name.
	readDir(name string) ([]string, error)
	// id returns the identity of the named file without reading it.
	id(name string) string
}

// osSource reads the real file system.
type osSource struct{}

func (osSource) readFile(name string) ([]byte, string, error) {
	data, err := fileread.ReadFile(name, MaxFileSize)
	if errors.Is(err, fileread.ErrTooLarge) {
		return nil, "", ErrTooLarge
	}
	if err != nil {
		return nil, "", err
	}
	return data, fileID(name), nil
}

// fileID names a file independently of how the path to it was spelled, so
// that "a" including "./a" is seen as a cycle.
func fileID(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		name = abs
	}
	if real, err := filepath.EvalSymlinks(name); err == nil {
		name = real
	}
	return name
}

func (osSource) id(name string) string { return fileID(name) }

func (osSource) readDir(name string) ([]string, error) {
	entries, err := os.ReadDir(name)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			// Follow the link to see what it names.
			st, err := os.Stat(filepath.Join(name, e.Name()))
			if err == nil && st.IsDir() {
				continue
			}
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// parser builds the tree of one top-level file and everything it includes.
type parser struct {
	src  source
	root *node
	// stack holds the identities of the files being parsed, outermost
	// first, for cycle detection.
	stack []string
}

// parseState is the per-file state; included files start afresh but add
// to the same root, as in MIT.
type parseState struct {
	file    string
	state   int
	level   int // group_level in MIT: 1 inside a section
	discard int // level of a final node whose additions are ignored
	cur     *node
}

func newParser(src source) *parser {
	return &parser{src: src, root: newNode(nil)}
}

// parseFile reads and parses the named file as a top-level file.
func (p *parser) parseFile(name string) error {
	data, id, err := p.src.readFile(name)
	if err != nil {
		return err
	}
	return p.parseData(name, id, data)
}

func (p *parser) parseData(name, id string, data []byte) error {
	for _, s := range p.stack {
		if s == id {
			return &SyntaxError{File: name, Line: 0,
				Msg: "file includes itself", kind: ErrIncludeCycle}
		}
	}
	p.stack = append(p.stack, id)
	defer func() { p.stack = p.stack[:len(p.stack)-1] }()

	st := &parseState{file: name, state: stateInitComment}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		terminated := false
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
			terminated = true
		} else {
			line, data = data, nil
		}
		// C strings end at the first NUL; MIT sees nothing after it.
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if err := p.parseLine(st, lineNo, string(line), terminated); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) errorf(st *parseState, line int, kind error,
	format string, args ...any) error {
	return &SyntaxError{File: st.file, Line: line,
		Msg: fmt.Sprintf(format, args...), kind: kind}
}

// hasDirective reports whether line starts with keyword followed by white
// space, as MIT tests it on the raw line (the newline counts as space).
func hasDirective(line, keyword string, terminated bool) bool {
	if !strings.HasPrefix(line, keyword) {
		return false
	}
	if len(line) == len(keyword) {
		return terminated
	}
	return isSpace(line[len(keyword)])
}

func (p *parser) parseLine(st *parseState, lineNo int, line string,
	terminated bool) error {
	if hasDirective(line, "include", terminated) {
		arg := stripLine(skipBlanks(line[len("include"):]))
		return p.include(st, lineNo, arg)
	}
	if hasDirective(line, "includedir", terminated) {
		arg := stripLine(skipBlanks(line[len("includedir"):]))
		return p.includeDir(st, lineNo, arg)
	}

	switch st.state {
	case stateInitComment:
		if hasDirective(line, "module", terminated) {
			return p.errorf(st, lineNo, ErrModule,
				"module directive not supported")
		}
		if !strings.HasPrefix(line, "[") {
			return nil
		}
		st.state = stateStdLine
		return p.parseStdLine(st, lineNo, line)
	case stateGetOBrace:
		if !strings.HasPrefix(skipBlanks(line), "{") {
			return p.errorf(st, lineNo, ErrMissingBrace,
				"expected \"{\" after relation with empty value")
		}
		st.state = stateStdLine
		return nil
	default:
		return p.parseStdLine(st, lineNo, line)
	}
}

func (p *parser) parseStdLine(st *parseState, lineNo int, line string) error {
	cp := skipBlanks(line)
	if cp == "" || cp[0] == ';' || cp[0] == '#' {
		return nil
	}
	cp = stripLine(cp)
	if cp == "" {
		return nil
	}

	switch cp[0] {
	case '[':
		return p.sectionHeader(st, lineNo, cp)
	case '}':
		return p.closeBrace(st, lineNo, cp)
	}
	return p.relation(st, lineNo, cp)
}

func (p *parser) sectionHeader(st *parseState, lineNo int, cp string) error {
	if st.level > 1 {
		return p.errorf(st, lineNo, ErrSectionNotTop,
			"section header inside an open block")
	}
	end := strings.IndexByte(cp, ']')
	if end < 0 {
		return p.errorf(st, lineNo, ErrSectionSyntax,
			"section header without \"]\"")
	}
	st.cur = p.root.addSection(cp[1:end])
	st.level = 1
	// A section seen earlier with the final flag takes no more values
	// until the next section header.
	st.discard = 0
	if st.cur.final {
		st.discard = 1
	}

	rest := cp[end+1:]
	if strings.HasPrefix(rest, "*") {
		st.cur.final = true
		rest = rest[1:]
	}
	if skipBlanks(rest) != "" {
		return p.errorf(st, lineNo, ErrSectionSyntax,
			"text after section header")
	}
	return nil
}

func (p *parser) closeBrace(st *parseState, lineNo int, cp string) error {
	if st.level < 2 {
		return p.errorf(st, lineNo, ErrExtraBrace,
			"\"}\" without an open block")
	}
	if strings.HasPrefix(cp[1:], "*") {
		st.cur.final = true
	}
	st.level--
	if st.level < st.discard {
		st.discard = 0
	}
	// While discarding, the parser never descended into the block.
	if st.discard == 0 && st.cur.parent != nil {
		st.cur = st.cur.parent
	}
	return nil
}

func (p *parser) relation(st *parseState, lineNo int, cp string) error {
	eq := strings.IndexByte(cp, '=')
	if eq < 0 {
		return p.errorf(st, lineNo, ErrRelationSyntax,
			"relation without \"=\"")
	}
	if eq == 0 {
		return p.errorf(st, lineNo, ErrRelationSyntax,
			"relation without a tag")
	}
	tag := cp[:eq]
	if i := strings.IndexFunc(tag, isSpaceRune); i >= 0 {
		if skipBlanks(tag[i:]) != "" {
			return p.errorf(st, lineNo, ErrRelationSyntax,
				"white space inside tag %q", tag)
		}
		tag = tag[:i]
	}
	final := false
	if i := strings.IndexByte(tag, '*'); i >= 0 {
		tag, final = tag[:i], true
	}

	value := skipBlanks(cp[eq+1:])
	subsection := false
	switch {
	case strings.HasPrefix(value, "\""):
		value = parseQuoted(value[1:])
	case value == "":
		subsection = true
		st.state = stateGetOBrace
	case value[0] == '{' && skipBlanks(value[1:]) == "":
		subsection = true
	default:
		value = strings.TrimRightFunc(value, isSpaceRune)
	}

	if subsection {
		if st.level >= MaxNesting {
			return p.errorf(st, lineNo, ErrTooDeep,
				"blocks nested deeper than %d levels", MaxNesting)
		}
		st.level++
		if st.discard == 0 {
			st.cur = st.cur.addSection(tag)
			// A block seen earlier with the final flag takes no
			// more values until it is closed.
			if st.cur.final {
				st.discard = st.level
			}
			if final {
				st.cur.final = true
			}
		}
		return nil
	}
	if st.discard == 0 {
		st.cur.addRelation(tag, value, final,
			position{file: st.file, line: lineNo})
	}
	return nil
}

// parseQuoted decodes a quoted value up to the closing quote, as MIT
// does: \n, \t and \b are control characters, a backslash before any
// other character stands for that character, and text after the closing
// quote is ignored.
func parseQuoted(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			break
		}
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (p *parser) include(st *parseState, lineNo int, name string) error {
	if len(p.stack) > MaxIncludeDepth {
		return p.errorf(st, lineNo, ErrTooDeep,
			"includes nested deeper than %d levels", MaxIncludeDepth)
	}
	data, id, err := p.src.readFile(name)
	if err != nil {
		return &SyntaxError{File: st.file, Line: lineNo,
			Msg: fmt.Sprintf("include %q", name), kind: ErrInclude,
			cause: err}
	}
	if err := p.parseData(name, id, data); err != nil {
		if se, ok := err.(*SyntaxError); ok && se.Line == 0 {
			// A cycle is reported where the offending include is.
			se.File, se.Line = st.file, lineNo
			se.Msg = fmt.Sprintf("include %q: %s", name, se.Msg)
		}
		return err
	}
	return nil
}

// validIncludeName reports whether includedir reads a file of this name:
// names made only of alphanumerics, dashes and underscores, or ending in
// ".conf", and never dotfiles.
func validIncludeName(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	if strings.HasSuffix(name, ".conf") {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func (p *parser) includeDir(st *parseState, lineNo int, dir string) error {
	if len(p.stack) > MaxIncludeDepth {
		return p.errorf(st, lineNo, ErrTooDeep,
			"includes nested deeper than %d levels", MaxIncludeDepth)
	}
	names, err := p.src.readDir(dir)
	if err != nil {
		return &SyntaxError{File: st.file, Line: lineNo,
			Msg: fmt.Sprintf("includedir %q", dir), kind: ErrInclude,
			cause: err}
	}
	sort.Strings(names)
	for _, n := range names {
		if !validIncludeName(n) {
			continue
		}
		if err := p.include(st, lineNo, dir+"/"+n); err != nil {
			return err
		}
	}
	return nil
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isSpaceRune(r rune) bool { return r < 0x80 && isSpace(byte(r)) }

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' ||
		c >= 'A' && c <= 'Z'
}

func skipBlanks(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

// stripLine removes trailing line terminators, as MIT's strip_line.
func stripLine(s string) string {
	return strings.TrimRight(s, "\r\n")
}
