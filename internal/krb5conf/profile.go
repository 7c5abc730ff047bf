package krb5conf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
)

// DefaultPath is the configuration file read when KRB5_CONFIG is not set,
// as in MIT krb5 built for Linux.
const DefaultPath = "/etc/krb5.conf"

// Profile is a parsed krb5.conf: one tree per file, in precedence order.
// A Profile is immutable once Parse or Load has returned it, and safe for
// concurrent use by any number of goroutines. The zero value is an empty
// profile in which every lookup finds nothing.
type Profile struct {
	// files holds the root of each file's tree, most important first.
	// Included files are merged into the tree of their includer.
	files []*node
	// paths holds the names of the files that were read, in the same
	// order as files.
	paths []string
}

// Parse parses data as a krb5.conf file. name is used in error messages
// and to detect include cycles. Include and includedir directives in data
// read the file system, with relative paths taken from the current
// directory, as MIT does. Errors are *SyntaxError values.
func Parse(name string, data []byte) (*Profile, error) {
	return parseWith(osSource{}, name, data)
}

func parseWith(src source, name string, data []byte) (*Profile, error) {
	p := newParser(src)
	if err := p.parseData(name, src.id(name), data); err != nil {
		return nil, err
	}
	return &Profile{files: []*node{p.root}, paths: []string{name}}, nil
}

// Load parses the files named by paths; earlier files take precedence
// over later ones. As in MIT's profile library, a file that does not
// exist or cannot be read for lack of permission is skipped; if none
// could be read, Load returns ErrNoConfig (or a permission error wrapping
// fs.ErrPermission when some file exists but is unreadable). Any other
// error, including a syntax error in any file, fails the whole load. A
// path starting with "~/" is taken relative to $HOME.
func Load(paths ...string) (*Profile, error) {
	return loadWith(osSource{}, paths)
}

func loadWith(src source, paths []string) (*Profile, error) {
	prof := &Profile{}
	var accessErr error
	for _, path := range paths {
		name := expandHome(path)
		p := newParser(src)
		err := p.parseFile(name)
		switch {
		case err == nil:
			prof.files = append(prof.files, p.root)
			prof.paths = append(prof.paths, name)
		case isReadError(err) && errors.Is(err, fs.ErrNotExist):
			continue
		case isReadError(err) && errors.Is(err, fs.ErrPermission):
			accessErr = err
			continue
		case isReadError(err):
			return nil, readError(name, err)
		default:
			return nil, err
		}
	}
	if len(prof.files) == 0 {
		if accessErr != nil {
			return nil, accessErr
		}
		return nil, ErrNoConfig
	}
	return prof, nil
}

// readError names the file in err once: an *fs.PathError already does.
func readError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// isReadError reports whether err came from reading the top-level file
// itself rather than from parsing it.
func isReadError(err error) bool {
	var se *SyntaxError
	return !errors.As(err, &se)
}

func expandHome(path string) string {
	if !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return path
	}
	return home + path[1:]
}

// PathsFromEnv returns the configuration files MIT krb5 reads: the
// colon-separated list in KRB5_CONFIG if that variable is set, otherwise
// DefaultPath. As in MIT's profile library, an empty entry ends the list:
// "a::b" names a only, and an empty KRB5_CONFIG names no file.
func PathsFromEnv() []string {
	v, ok := os.LookupEnv("KRB5_CONFIG")
	if !ok {
		return []string{DefaultPath}
	}
	paths := strings.Split(v, ":")
	if i := slices.Index(paths, ""); i >= 0 {
		paths = paths[:i]
	}
	return paths
}

// LoadEnv loads the files named by PathsFromEnv. Like krb5_init_context,
// it returns an empty profile, not an error, when none of them exists;
// Files tells the caller whether anything was read.
func LoadEnv() (*Profile, error) {
	p, err := Load(PathsFromEnv()...)
	if errors.Is(err, ErrNoConfig) {
		return &Profile{}, nil
	}
	return p, err
}

// Files returns the names of the files that were read, in precedence
// order, not counting included files.
func (p *Profile) Files() []string {
	if p == nil {
		return nil
	}
	return append([]string(nil), p.paths...)
}

// Values returns every value of a relation, e.g.
// Values("realms", "EXAMPLE.COM", "kdc"). The last element of path is the
// relation's tag, the others name the section and blocks above it. Values
// come from the first file first, in file order; a final marker on the
// relation or on any block above it stops the search after the file that
// has it, as in MIT's profile library. Values returns nil when nothing
// matches.
func (p *Profile) Values(path ...string) []string {
	if p == nil || len(path) < 2 {
		return nil
	}
	sections, tag := path[:len(path)-1], path[len(path)-1]
	var out []string
	for _, root := range p.files {
		sec, final := walk(root, sections)
		if sec != nil {
			if r := sec.rels[tag]; r != nil {
				out = append(out, r.values...)
				final = final || r.final
			}
		}
		if final {
			break
		}
	}
	return out
}

// walk follows sections down from root. It returns the node found, or nil,
// and whether a final node was passed on the way.
func walk(root *node, sections []string) (*node, bool) {
	final := false
	n := root
	for _, s := range sections {
		n = n.subs[s]
		if n == nil {
			return nil, final
		}
		final = final || n.final
	}
	return n, final
}

// position returns where the value Value returns for path was written.
func (p *Profile) position(path ...string) (position, bool) {
	if p == nil || len(path) < 2 {
		return position{}, false
	}
	sections, tag := path[:len(path)-1], path[len(path)-1]
	for _, root := range p.files {
		sec, final := walk(root, sections)
		if sec != nil {
			if r := sec.rels[tag]; r != nil && len(r.where) > 0 {
				return r.where[0], true
			}
		}
		if final {
			break
		}
	}
	return position{}, false
}

// valueError reports the value of path that could not be converted,
// naming the file and line it was written on.
func (p *Profile) valueError(path []string, value string, kind,
	cause error) *ValueError {
	e := &ValueError{Path: path, Value: value, kind: kind, cause: cause}
	if at, ok := p.position(path...); ok {
		e.File, e.Line = at.file, at.line
	}
	return e
}

// Value returns the first value of a relation and whether there was one;
// this is how MIT resolves a relation that takes a single value, so the
// earliest file wins.
func (p *Profile) Value(path ...string) (string, bool) {
	v := p.Values(path...)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// Subsections returns the names of the blocks directly inside path, e.g.
// Subsections("realms") lists the realms and Subsections() the top-level
// sections. Each file's names come sorted, earlier files first, without
// duplicates. As in MIT, a final marker on path or on one of the listed
// blocks stops the search after the file that has it.
func (p *Profile) Subsections(path ...string) []string {
	return p.subsections(path, true)
}

// subsections lists blocks; childFinal says whether a final marker on a
// listed block stops the search, as it does in MIT's iterator.
func (p *Profile) subsections(path []string, childFinal bool) []string {
	return p.names(path, func(n *node) ([]string, bool) {
		var names []string
		final := false
		for name, s := range n.subs {
			names = append(names, name)
			final = final || childFinal && s.final
		}
		return names, final
	})
}

// Relations returns the tags of the relations directly inside path, e.g.
// Relations("domain_realm"), ordered and de-duplicated as for
// Subsections.
func (p *Profile) Relations(path ...string) []string {
	return p.names(path, func(n *node) ([]string, bool) {
		var names []string
		final := false
		for name, r := range n.rels {
			names = append(names, name)
			final = final || r.final
		}
		return names, final
	})
}

func (p *Profile) names(path []string,
	list func(*node) ([]string, bool)) []string {
	if p == nil {
		return nil
	}
	var out []string
	seen := make(map[string]bool)
	for _, root := range p.files {
		sec, final := walk(root, path)
		if sec != nil {
			names, f := list(sec)
			sort.Strings(names)
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
			final = final || f
		}
		if final {
			break
		}
	}
	return out
}
