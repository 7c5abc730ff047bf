package krb5conf

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseBool parses MIT's boolean spellings, ignoring case: y, yes, true,
// t, 1 and on are true; n, no, false, nil, 0 and off are false. Anything
// else is an error wrapping ErrBadValue.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "y", "yes", "true", "t", "1", "on":
		return true, nil
	case "n", "no", "false", "nil", "0", "off":
		return false, nil
	}
	return false, &ValueError{Value: s, kind: ErrBadValue}
}

// Bool returns the first value of the relation at path as a boolean, or
// def when the relation is absent or not one of MIT's spellings (see
// ParseBool).
func (p *Profile) Bool(def bool, path ...string) bool {
	b, err := p.boolE(def, path...)
	if err != nil {
		return def
	}
	return b
}

// boolE is Bool that reports a value it cannot parse.
func (p *Profile) boolE(def bool, path ...string) (bool, error) {
	s, ok := p.Value(path...)
	if !ok {
		return def, nil
	}
	b, err := ParseBool(s)
	if err != nil {
		return def, p.valueError(path, s, ErrBadValue, nil)
	}
	return b, nil
}

// Int returns the first value of the relation at path as a decimal
// integer of at most 32 bits, parsed as MIT's profile_get_integer does
// (leading white space and a sign allowed, nothing after the digits), or
// def when the relation is absent. An unparsable value returns def and a
// *ValueError.
func (p *Profile) Int(def int, path ...string) (int, error) {
	s, ok := p.Value(path...)
	if !ok {
		return def, nil
	}
	n, err := parseInt(s)
	if err != nil {
		return def, p.valueError(path, s, ErrBadValue, err)
	}
	return n, nil
}

func parseInt(s string) (int, error) {
	t := skipBlanks(s)
	t = strings.TrimPrefix(t, "+")
	n, err := strconv.ParseInt(t, 10, 32)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Duration returns the first value of the relation at path parsed as
// MIT's krb5_string_to_deltat does (see ParseDuration), or def when the
// relation is absent. An unparsable value returns def and a *ValueError.
func (p *Profile) Duration(def time.Duration,
	path ...string) (time.Duration, error) {
	s, ok := p.Value(path...)
	if !ok {
		return def, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return def, p.valueError(path, s, ErrBadValue, nil)
	}
	return d, nil
}

// ParseDuration parses a duration the way MIT's krb5_string_to_deltat
// does. The forms are:
//
//	3600          seconds
//	1d 2h 30m 15s  any of the units in this order, each optional after
//	              the first, white space allowed between them ("10h30m")
//	1:30[:15]     hours, minutes and optionally seconds
//	2-01:30:15    days, then hours, minutes and seconds
//
// Numbers after a ":" or "-" separator have at most two digits; a leading
// "-" makes a number negative; the total must fit in 32 bits of seconds.
// As in MIT, parsing stops at the first character that is none of digits,
// "d", "h", "m", "s", "-", ":" or white space, so "10x" is ten seconds.
// Errors wrap ErrBadValue.
func ParseDuration(s string) (time.Duration, error) {
	d := &deltat{toks: lexDeltat(s)}
	secs, ok := d.parse()
	if !ok {
		return 0, &ValueError{Value: s, kind: ErrBadValue}
	}
	return time.Duration(secs) * time.Second, nil
}

// Tokens of the deltat grammar.
const (
	tokEOF = iota
	tokNum
	tokLongNum // three digits or more
	tokOverflow
	tokWS
	tokChar // one of - : d h m s
)

type deltatToken struct {
	kind int
	val  int64
	ch   byte
}

func lexDeltat(s string) []deltatToken {
	var toks []deltatToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case strings.IndexByte("-:dhms", c) >= 0:
			toks = append(toks, deltatToken{kind: tokChar, ch: c})
			i++
		case c >= '0' && c <= '9':
			start := i
			var n int64
			over := false
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				n = n*10 + int64(s[i]-'0')
				if n > math.MaxInt32 {
					over = true
					n = math.MaxInt32
				}
				i++
			}
			switch {
			case over:
				toks = append(toks, deltatToken{kind: tokOverflow})
			case i-start > 2:
				toks = append(toks, deltatToken{kind: tokLongNum, val: n})
			default:
				toks = append(toks, deltatToken{kind: tokNum, val: n})
			}
		case c == ' ' || c == '\t' || c == '\n':
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			toks = append(toks, deltatToken{kind: tokWS})
		default:
			// MIT's lexer reports end of input here.
			return toks
		}
	}
	return toks
}

// deltat is a recursive-descent parser for MIT's deltat grammar.
type deltat struct {
	toks []deltatToken
	pos  int
}

func (d *deltat) peek() deltatToken {
	if d.pos < len(d.toks) {
		return d.toks[d.pos]
	}
	return deltatToken{kind: tokEOF}
}

func (d *deltat) isChar(c byte) bool {
	t := d.peek()
	return t.kind == tokChar && t.ch == c
}

func (d *deltat) skipWS() {
	if d.peek().kind == tokWS {
		d.pos++
	}
}

// wsnum parses optional white space, then an optionally negated number.
func (d *deltat) wsnum() (int64, bool) {
	d.skipWS()
	neg := false
	if d.isChar('-') {
		neg = true
		d.pos++
	}
	t := d.peek()
	if t.kind != tokNum && t.kind != tokLongNum {
		return 0, false
	}
	d.pos++
	if neg {
		return -t.val, true
	}
	return t.val, true
}

// shortNum parses a number of at most two digits.
func (d *deltat) shortNum() (int64, bool) {
	t := d.peek()
	if t.kind != tokNum {
		return 0, false
	}
	d.pos++
	return t.val, true
}

func (d *deltat) expectChar(c byte) bool {
	if !d.isChar(c) {
		return false
	}
	d.pos++
	return true
}

func (d *deltat) atEnd() bool { return d.peek().kind == tokEOF }

func (d *deltat) parse() (int64, bool) {
	n, ok := d.wsnum()
	if !ok {
		return 0, false
	}
	var days, hours, mins, secs int64
	switch {
	case d.expectChar('d'):
		days = n
		if hours, mins, secs, ok = d.rest("hms"); !ok {
			return 0, false
		}
	case d.expectChar('h'):
		hours = n
		if _, mins, secs, ok = d.rest("ms"); !ok {
			return 0, false
		}
	case d.expectChar('m'):
		mins = n
		if _, _, secs, ok = d.rest("s"); !ok {
			return 0, false
		}
	case d.expectChar('s'):
		secs = n
	case d.expectChar('-'):
		days = n
		if hours, mins, secs, ok = d.clock(true); !ok {
			return 0, false
		}
	case d.expectChar(':'):
		hours = n
		if mins, secs, _, ok = d.clock(false); !ok {
			return 0, false
		}
	default:
		secs = n
	}
	if !d.atEnd() {
		return 0, false
	}
	return combine(days, hours, mins, secs)
}

// clock parses the two-digit fields after "d-" (all three of hh:mm:ss
// required) or after "h:" (mm, then optionally :ss).
func (d *deltat) clock(full bool) (a, b, c int64, ok bool) {
	if a, ok = d.shortNum(); !ok {
		return 0, 0, 0, false
	}
	if !d.expectChar(':') {
		return a, 0, 0, !full
	}
	if b, ok = d.shortNum(); !ok {
		return 0, 0, 0, false
	}
	if !full {
		return a, b, 0, true
	}
	if !d.expectChar(':') {
		return 0, 0, 0, false
	}
	if c, ok = d.shortNum(); !ok {
		return 0, 0, 0, false
	}
	return a, b, c, true
}

// rest parses the optional "number unit" pairs that may follow the first
// unit; units lists the units still allowed, in order. White space may
// end the string unless the last unit was "s", as in MIT's grammar.
func (d *deltat) rest(units string) (h, m, s int64, ok bool) {
	for units != "" {
		save := d.pos
		d.skipWS()
		if d.atEnd() {
			return h, m, s, true
		}
		d.pos = save
		n, ok := d.wsnum()
		if !ok {
			return 0, 0, 0, false
		}
		t := d.peek()
		i := -1
		if t.kind == tokChar {
			i = strings.IndexByte(units, t.ch)
		}
		if i < 0 {
			return 0, 0, 0, false
		}
		d.pos++
		switch units[i] {
		case 'h':
			h = n
		case 'm':
			m = n
		case 's':
			s = n
		}
		units = units[i+1:]
	}
	return h, m, s, true
}

// combine adds the parts up, failing where MIT's 32-bit arithmetic would.
func combine(days, hours, mins, secs int64) (int64, bool) {
	const day, hour = 24 * 3600, 3600
	if days > math.MaxInt32/day || days < math.MinInt32/day ||
		hours > math.MaxInt32/hour || hours < math.MinInt32/hour ||
		mins > math.MaxInt32/60 || mins < math.MinInt32/60 {
		return 0, false
	}
	total := days*day + hours*hour + mins*60 + secs
	if total > math.MaxInt32 || total < math.MinInt32 {
		return 0, false
	}
	return total, true
}
