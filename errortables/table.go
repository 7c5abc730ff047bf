package errortables

import (
	"fmt"
	"strings"
)

// Code is a com_err error code: a table base plus an index.
type Code int32

// codeRange is the number of codes in one table (com_err's ERRCODE_RANGE is
// eight bits).
const codeRange = 256

// charset is com_err's table-name alphabet; a character's value is its
// position here plus one.
const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

// Entry is one code of a table: its symbolic name (as in MIT's headers) and
// its message text.
type Entry struct {
	Name    string
	Message string
}

// Table is a numbered error table. A Table is immutable after NewTable and
// safe for concurrent use.
type Table struct {
	name    string
	base    Code
	entries []Entry
}

// Base returns the base com_err assigns to a table called name. It fails if
// name is empty, longer than four characters, or has a character outside
// com_err's alphabet.
func Base(name string) (Code, error) {
	if name == "" || len(name) > 4 {
		return 0, fmt.Errorf("errortables: table name %q must have 1 to 4 characters", name)
	}
	var n uint32
	for i := 0; i < len(name); i++ {
		pos := strings.IndexByte(charset, name[i])
		if pos < 0 {
			return 0, fmt.Errorf(
				"errortables: table name %q has a character com_err cannot encode",
				name)
		}
		n = n<<6 | uint32(pos+1)
	}
	return Code(int32(n << 8)), nil
}

// NewTable makes a table called name holding entries in order: the first
// entry has index zero. It panics if the name cannot be encoded or there are
// more than 256 entries, since tables are built by the program itself.
func NewTable(name string, entries []Entry) *Table {
	base, err := Base(name)
	if err != nil {
		panic(err)
	}
	if len(entries) > codeRange {
		panic(fmt.Sprintf("errortables: table %q has %d entries, more than %d",
			name, len(entries), codeRange))
	}
	return &Table{name: name, base: base, entries: entries}
}

// Name returns the table's name.
func (t *Table) Name() string { return t.name }

// Base returns the table's first code.
func (t *Table) Base() Code { return t.base }

// Len returns the number of codes in the table.
func (t *Table) Len() int { return len(t.entries) }

// Code returns the code of the entry at index i.
func (t *Table) Code(i int) Code { return t.base + Code(i) }

// Entry returns the entry for code, and false if code is not in the table.
func (t *Table) Entry(code Code) (Entry, bool) {
	i := int64(code) - int64(t.base)
	if i < 0 || i >= int64(len(t.entries)) {
		return Entry{}, false
	}
	return t.entries[i], true
}

// Contains reports whether code lies in the table's range of 256 codes,
// whether or not the table defines it.
func (t *Table) Contains(code Code) bool {
	return tableBase(code) == t.base
}

// Err returns an error for the entry at index i. It panics if i is out of
// range, since indexes come from the program itself.
func (t *Table) Err(i int) *Error {
	e := t.entries[i]
	return &Error{
		Code:    t.Code(i),
		Table:   t.name,
		Name:    e.Name,
		Message: e.Message,
	}
}

// tableBase returns the base of the table range code falls in.
func tableBase(code Code) Code {
	return Code(int32(uint32(code) &^ (codeRange - 1)))
}

// tableName decodes a base back into com_err's table name, as error_message
// does for codes of unknown tables.
func tableName(base Code) string {
	n := uint32(base) >> 8
	var b [4]byte
	i := len(b)
	for n != 0 && i > 0 {
		c := n & 0x3f
		n >>= 6
		if c == 0 {
			// error_table_name skips characters that encode as zero.
			continue
		}
		i--
		b[i] = charset[c-1]
	}
	return string(b[i:])
}
