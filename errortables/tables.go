package errortables

// Tables returns every table this package defines: MIT's krb5, k5g, ggss,
// kv5m and asn1 tables and safekrb5's lifecycle table. The slice is new on
// each call; the tables are shared and immutable.
func Tables() []*Table {
	return []*Table{
		KRB5Table, K5GTable, GGSSTable, KV5MTable, ASN1Table, LifecycleTable,
	}
}

// Index returns the index of the entry called name, and false if the table
// has none.
func (t *Table) Index(name string) (int, bool) {
	for i, e := range t.entries {
		if e.Name == name {
			return i, true
		}
	}
	return 0, false
}

// mustErr returns the error for the entry called name in t. It panics if
// there is none: sentinels are fixed by the program, and the tests load
// them all.
func mustErr(t *Table, name string) *Error {
	i, ok := t.Index(name)
	if !ok {
		panic("errortables: table " + t.name + " has no " + name)
	}
	return t.Err(i)
}

// withMessage replaces e's message, for a sentinel whose code MIT uses
// more narrowly than safekrb5 does.
func withMessage(e *Error, msg string) *Error {
	e.Message = msg
	return e
}

// describe resolves code to an Error without detail or cause: from the
// registered tables first, then from this package's tables whether or not
// they are registered, else with com_err's text for an unknown code.
func describe(code Code) *Error {
	// One lookup only: the table may be released between two.
	if e, t, ok := Lookup(code); ok {
		return &Error{Code: code, Table: t.name, Name: e.Name, Message: e.Message}
	}
	for _, t := range Tables() {
		if e, ok := t.Entry(code); ok {
			return &Error{Code: code, Table: t.name, Name: e.Name, Message: e.Message}
		}
	}
	return &Error{Code: code, Message: Message(code)}
}
