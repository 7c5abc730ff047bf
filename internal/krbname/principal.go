package krbname

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Name types from RFC 4120 section 6.2 that the parser assigns.
const (
	// NameTypeUnknown is KRB5_NT_UNKNOWN.
	NameTypeUnknown int32 = 0
	// NameTypePrincipal is KRB5_NT_PRINCIPAL, the default for users.
	NameTypePrincipal int32 = 1
	// NameTypeSrvInst is KRB5_NT_SRV_INST, used for krbtgt principals.
	NameTypeSrvInst int32 = 2
)

// ErrBadName is returned by ParsePrincipal for a string that is not a
// principal name.
var ErrBadName = errors.New("malformed principal name")

// Principal is a Kerberos principal name: a name type, a realm and the
// name components (RFC 4120 section 5.2.2). The zero value is the empty
// name with no realm.
type Principal struct {
	NameType   int32
	Realm      string
	Components []string
}

// String returns the principal in MIT's unparsed form: components joined
// by "/", then "@" and the realm. The separators "/" and "@", the
// backslash, and NUL, tab, newline and backspace are escaped with a
// backslash in components and realm alike, so ParsePrincipal reverses it.
func (p Principal) String() string {
	var b strings.Builder
	for i, c := range p.Components {
		if i > 0 {
			b.WriteByte('/')
		}
		quote(&b, c)
	}
	b.WriteByte('@')
	quote(&b, p.Realm)
	return b.String()
}

// Equal reports whether p and q have the same name type, realm and
// components.
func (p Principal) Equal(q Principal) bool {
	return p.NameType == q.NameType && p.SameName(q)
}

// SameName reports whether p and q have the same realm and components,
// ignoring the name type as RFC 4120 section 6.2 asks when comparing.
func (p Principal) SameName(q Principal) bool {
	if p.Realm != q.Realm || len(p.Components) != len(q.Components) {
		return false
	}
	for i := range p.Components {
		if p.Components[i] != q.Components[i] {
			return false
		}
	}
	return true
}

// Clone returns a deep copy of p.
func (p Principal) Clone() Principal {
	if p.Components != nil {
		p.Components = append([]string(nil), p.Components...)
	}
	return p
}

func quote(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '/', '@', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\b':
			b.WriteString(`\b`)
		default:
			b.WriteByte(c)
		}
	}
}

// ParseFlags change how ParsePrincipalFlags reads a name, as MIT's
// KRB5_PRINCIPAL_PARSE_* flags do.
type ParseFlags uint8

const (
	// ParseEnterprise reads an enterprise name (RFC 6806 section 5):
	// "/" separates nothing, the first unescaped "@" belongs to the
	// name, and the next one, if any, starts the realm. The name is one
	// component of type NameTypeEnterprise.
	ParseEnterprise ParseFlags = 1 << iota
	// ParseNoRealm refuses a name with a realm and leaves the realm of
	// one without it empty.
	ParseNoRealm
	// ParseRequireRealm refuses a name without a realm.
	ParseRequireRealm
)

// NameTypeEnterprise is KRB5_NT_ENTERPRISE_PRINCIPAL (RFC 6806).
const NameTypeEnterprise int32 = 10

// ParsePrincipal parses MIT's string form of a principal, the inverse of
// String, as krb5_parse_name does; see ParsePrincipalFlags.
func ParsePrincipal(s, defaultRealm string) (Principal, error) {
	return ParsePrincipalFlags(s, defaultRealm, 0)
}

// ParsePrincipalFlags parses a principal name by the rules of MIT's
// krb5_parse_name_flags. Components are separated by "/" and the realm
// follows the first unescaped "@"; a backslash escapes the next byte,
// with "\n", "\t", "\b" and "\0" standing for newline, tab, backspace and
// NUL. Empty components and an empty realm ("a//b", "@R", "a@") are
// valid, as in MIT. A second unescaped "@", an unescaped "/" in the
// realm (but for an enterprise name's, where MIT takes it as it is) and
// a trailing backslash are errors. A name without a realm gets
// defaultRealm. The name type is NameTypeSrvInst for "krbtgt/REALM",
// as MIT infers it, NameTypeEnterprise with ParseEnterprise, and
// NameTypePrincipal otherwise. Errors wrap ErrBadName.
func ParsePrincipalFlags(s, defaultRealm string, flags ParseFlags) (Principal, error) {
	enterprise := flags&ParseEnterprise != 0
	var (
		p       Principal
		cur     strings.Builder
		inRealm bool
		nameAt  bool // the enterprise name's own "@" was seen
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s) {
				return Principal{}, fmt.Errorf("%w: trailing backslash",
					ErrBadName)
			}
			cur.WriteByte(unescape(s[i]))
		case c == '/' && inRealm && !enterprise:
			// MIT refuses it in the realm of other names only.
			return Principal{}, fmt.Errorf("%w: unescaped / in the realm",
				ErrBadName)
		case c == '/' && !enterprise:
			p.Components = append(p.Components, cur.String())
			cur.Reset()
		case c == '@' && enterprise && !nameAt && !inRealm:
			nameAt = true
			cur.WriteByte(c)
		case c == '@':
			if inRealm {
				return Principal{}, fmt.Errorf("%w: second unescaped @",
					ErrBadName)
			}
			p.Components = append(p.Components, cur.String())
			cur.Reset()
			inRealm = true
		default:
			cur.WriteByte(c)
		}
	}
	switch {
	case inRealm && flags&ParseNoRealm != 0:
		return Principal{}, fmt.Errorf("%w: a realm where none may be given",
			ErrBadName)
	case inRealm:
		p.Realm = cur.String()
	case flags&ParseRequireRealm != 0:
		return Principal{}, fmt.Errorf("%w: no realm", ErrBadName)
	default:
		p.Components = append(p.Components, cur.String())
		if flags&ParseNoRealm == 0 {
			p.Realm = defaultRealm
		}
	}
	switch {
	case enterprise:
		p.NameType = NameTypeEnterprise
	case len(p.Components) == 2 && p.Components[0] == "krbtgt":
		p.NameType = NameTypeSrvInst
	default:
		p.NameType = NameTypePrincipal
	}
	return p, nil
}

// HasEmptyComponent reports whether p has no components or an empty
// one, which MIT's parser allows but no KDC issues tickets for.
func (p Principal) HasEmptyComponent() bool {
	return len(p.Components) == 0 || slices.Contains(p.Components, "")
}

func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'b':
		return '\b'
	default:
		return c
	}
}
