package krbname

import (
	"errors"
	"fmt"
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

// ParsePrincipal parses MIT's string form of a principal, the inverse of
// String. A name without "@realm" gets defaultRealm. The name type is
// NameTypeSrvInst for "krbtgt/REALM" names, as MIT infers it, and
// NameTypePrincipal otherwise. Errors wrap ErrBadName.
func ParsePrincipal(s, defaultRealm string) (Principal, error) {
	var (
		p        Principal
		cur      strings.Builder
		inRealm  bool
		hasRealm bool
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
		case c == '/' && !inRealm:
			p.Components = append(p.Components, cur.String())
			cur.Reset()
		case c == '@':
			if inRealm {
				return Principal{}, fmt.Errorf("%w: second unescaped @",
					ErrBadName)
			}
			p.Components = append(p.Components, cur.String())
			cur.Reset()
			inRealm, hasRealm = true, true
		default:
			cur.WriteByte(c)
		}
	}
	if inRealm {
		p.Realm = cur.String()
	} else {
		p.Components = append(p.Components, cur.String())
		p.Realm = defaultRealm
	}
	if hasRealm && p.Realm == "" {
		return Principal{}, fmt.Errorf("%w: empty realm", ErrBadName)
	}
	if len(p.Components) == 1 && p.Components[0] == "" {
		return Principal{}, fmt.Errorf("%w: empty name", ErrBadName)
	}
	p.NameType = NameTypePrincipal
	if len(p.Components) == 2 && p.Components[0] == "krbtgt" {
		p.NameType = NameTypeSrvInst
	}
	return p, nil
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
