package krb5conf

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors. A SyntaxError unwraps to one of the first group, so
// callers can tell the kind of failure with errors.Is.
//
// The texts of this package's errors carry no package prefix: they reach
// users only through the public packages, which add their own ("krb5: "),
// and a user is helped by the file and line, not by an internal name.
var (
	// ErrSectionNotTop reports a section header inside an open block
	// (MIT's PROF_SECTION_NOTOP).
	ErrSectionNotTop = errors.New("section header not at top level")
	// ErrSectionSyntax reports a malformed section header
	// (MIT's PROF_SECTION_SYNTAX).
	ErrSectionSyntax = errors.New("syntax error in section header")
	// ErrRelationSyntax reports a malformed relation
	// (MIT's PROF_RELATION_SYNTAX).
	ErrRelationSyntax = errors.New("syntax error in relation")
	// ErrExtraBrace reports a closing brace with no open block
	// (MIT's PROF_EXTRA_CBRACE).
	ErrExtraBrace = errors.New("extra closing brace")
	// ErrMissingBrace reports a "tag =" line not followed by a line
	// starting with an opening brace (MIT's PROF_MISSING_OBRACE).
	ErrMissingBrace = errors.New("missing opening brace")
	// ErrInclude reports an include or includedir directive whose
	// target could not be read (MIT's PROF_FAIL_INCLUDE_FILE and
	// PROF_FAIL_INCLUDE_DIR).
	ErrInclude = errors.New("included file could not be read")
	// ErrIncludeCycle reports a file that includes itself, directly or
	// through other files.
	ErrIncludeCycle = errors.New("include cycle")
	// ErrTooDeep reports blocks nested deeper than MaxNesting or
	// includes nested deeper than MaxIncludeDepth.
	ErrTooDeep = errors.New("nesting too deep")
	// ErrTooLarge reports a file larger than MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrModule reports a "module" directive, which loads a profile
	// plugin in MIT and is not supported here (MIT's PROF_MODULE).
	ErrModule = errors.New("module directive not supported")

	// ErrNoConfig is returned by Load when none of the files exists
	// (MIT's profile_init returns ENOENT in that case). It also matches
	// fs.ErrNotExist.
	ErrNoConfig = fmt.Errorf("no configuration file found: %w",
		fs.ErrNotExist)

	// ErrBadValue reports a value that does not parse as the type
	// asked for: a boolean, an integer or a duration.
	ErrBadValue = errors.New("invalid value")
	// ErrNoEnctypes reports an enctype list that resolves to no usable
	// encryption type (MIT's KRB5_CONFIG_ETYPE_NOSUPP).
	ErrNoEnctypes = errors.New("no supported encryption types")
)

// SyntaxError describes a file that could not be parsed: where, and why.
// It unwraps to the sentinel for its kind (ErrRelationSyntax,
// ErrInclude, ...) and, when there is one, to the underlying cause such
// as an *fs.PathError.
type SyntaxError struct {
	// File is the name of the file, as given to Load or Parse or as
	// written in the include directive.
	File string
	// Line is the 1-based line number.
	Line int
	// Msg says what is wrong, in lowercase, without the position.
	Msg string

	kind  error
	cause error
}

// Error returns "FILE:LINE: msg".
func (e *SyntaxError) Error() string {
	s := fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the sentinel for the kind of error and its cause.
func (e *SyntaxError) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// ValueError describes a value in the profile that could not be
// converted. It unwraps to ErrBadValue or ErrNoEnctypes and to the
// underlying cause, if any.
type ValueError struct {
	// Path names the relation, e.g. ["libdefaults", "clockskew"].
	Path []string
	// Value is the text that failed to convert.
	Value string
	// File and Line say where the value was written; File is empty for
	// a value that came from no file, such as a built-in default.
	File string
	Line int

	kind  error
	cause error
}

// Error returns a message naming the file and line, the relation and the
// value: "FILE:LINE: section.tag = "value": reason".
func (e *ValueError) Error() string {
	where := ""
	if e.File != "" {
		where = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	}
	s := fmt.Sprintf("%s%s = %q: %s", where, joinPath(e.Path), e.Value, e.kind)
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the sentinel for the kind of error and its cause.
func (e *ValueError) Unwrap() []error {
	errs := []error{e.kind}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

func joinPath(path []string) string {
	s := ""
	for i, p := range path {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}
