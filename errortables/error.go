package errortables

// Error is an error with a com_err code. It carries its table's name, its
// symbolic name and its message, so it prints correctly whether or not its
// table is still registered.
//
// errors.Is matches two Errors by Code alone, so a sentinel such as
// [ErrFinalized] matches every error with that code, whatever its detail or
// cause.
type Error struct {
	Code    Code   // table base plus index
	Table   string // table name, "" if unknown
	Name    string // symbolic name, e.g. "KRB5KDC_ERR_PREAUTH_FAILED"
	Message string // message text

	// Detail, if set, is appended to the message: what was being done.
	Detail string
	// Err, if set, is the underlying cause.
	Err error
}

// Error returns the message, followed by the detail and the cause if they
// are set.
func (e *Error) Error() string {
	s := e.Message
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e with detail and cause set. Sentinels are shared,
// so callers use With rather than changing them.
func (e *Error) With(detail string, cause error) *Error {
	c := *e
	c.Detail = detail
	c.Err = cause
	return &c
}
