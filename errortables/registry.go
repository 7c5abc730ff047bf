package errortables

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
)

// registration is one registered table and how many holders it has.
type registration struct {
	table *Table
	holds int
}

// registry is the set of registered tables. Readers load the current
// snapshot without locking; writers copy it under mu and publish the copy.
var registry struct {
	// mu serialises writers and guards holds.
	mu    sync.Mutex
	holds map[Code]*registration

	// tables is the published snapshot: base to table.
	tables atomic.Pointer[map[Code]*Table]
}

// Register adds each table to the registry, or counts one more holder of
// a table whose base is registered already. Each table registered must be
// released once. The tables of one call are published together.
func Register(ts ...*Table) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.holds == nil {
		registry.holds = make(map[Code]*registration)
	}
	changed := false
	for _, t := range ts {
		if r, ok := registry.holds[t.base]; ok {
			r.holds++
			continue
		}
		registry.holds[t.base] = &registration{table: t, holds: 1}
		changed = true
	}
	if changed {
		publishLocked()
	}
}

// Release drops one holder of each table's base, and removes a table from
// the registry when no holder is left. Releasing a table that is not
// registered does nothing.
func Release(ts ...*Table) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	changed := false
	for _, t := range ts {
		r, ok := registry.holds[t.base]
		if !ok {
			continue
		}
		r.holds--
		if r.holds == 0 {
			delete(registry.holds, t.base)
			changed = true
		}
	}
	if changed {
		publishLocked()
	}
}

// Registered reports how many holders the table with t's base has.
func Registered(t *Table) int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if r, ok := registry.holds[t.base]; ok {
		return r.holds
	}
	return 0
}

// publishLocked publishes a fresh snapshot of the registry. The caller
// holds registry.mu.
func publishLocked() {
	m := make(map[Code]*Table, len(registry.holds))
	for base, r := range registry.holds {
		m[base] = r.table
	}
	registry.tables.Store(&m)
}

// Lookup returns the entry for code and its table, if a table holding code
// is registered. It takes no lock.
func Lookup(code Code) (Entry, *Table, bool) {
	p := registry.tables.Load()
	if p == nil {
		return Entry{}, nil, false
	}
	t, ok := (*p)[tableBase(code)]
	if !ok {
		return Entry{}, nil, false
	}
	e, ok := t.Entry(code)
	return e, t, ok
}

// Message returns the text for code, as com_err's error_message does: the
// registered table's message, the operating system's message for codes in
// the errno range, or "Unknown code NAME N" naming the table and index.
func Message(code Code) string {
	if e, _, ok := Lookup(code); ok {
		return e.Message
	}
	if code > 0 && code < codeRange {
		return syscall.Errno(code).Error()
	}
	return unknown(code)
}

// unknown renders a code no registered table holds.
func unknown(code Code) string {
	base := tableBase(code)
	index := int32(code - base)
	if base == 0 {
		return fmt.Sprintf("Unknown code %d", index)
	}
	return fmt.Sprintf("Unknown code %s %d", tableName(base), index)
}

// FromCode returns an Error for code with its text resolved now, so that it
// prints the same after the table is released.
func FromCode(code Code) *Error {
	e, t, ok := Lookup(code)
	if !ok {
		return &Error{Code: code, Message: Message(code)}
	}
	return &Error{Code: code, Table: t.name, Name: e.Name, Message: e.Message}
}
