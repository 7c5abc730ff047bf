package errortables

// GSSError is a GSS-API failure: a major status (RFC 2744 section 3.9.1)
// and a com_err minor status from the mechanism. The minor status's name and
// message are resolved when the error is made, so it prints the same after
// the minor table is released.
//
// errors.Is matches a GSSError target by its routine error (or, if the
// target has none, by its calling error), and by its minor code too when
// the target sets one; so [ErrGSSNoCred] matches every GSSError whose
// routine error is GSS_S_NO_CRED. An *[Error] target matches by minor code:
// errors.Is(err, ErrClockSkew) holds for a GSSError whose minor status is
// KRB5KRB_AP_ERR_SKEW.
type GSSError struct {
	Major GSSMajor // major status
	Minor Code     // minor status, 0 if none

	// MinorName and MinorMessage describe Minor: its symbolic name (empty
	// if unknown) and its message text.
	MinorName    string
	MinorMessage string

	// Detail, if set, says what was being done.
	Detail string
	// Err, if set, is the underlying cause.
	Err error
}

// NewGSSError returns a GSSError with minor's name and message resolved now:
// from the registered tables, else from the tables of this package, else as
// com_err prints an unknown code.
func NewGSSError(major GSSMajor, minor Code, detail string, cause error) *GSSError {
	e := &GSSError{Major: major, Minor: minor, Detail: detail, Err: cause}
	if minor != 0 {
		d := describe(minor)
		e.MinorName, e.MinorMessage = d.Name, d.Message
	}
	return e
}

// Error returns the major status's description, then the minor message,
// the detail and the cause, each if set.
func (e *GSSError) Error() string {
	s := e.Major.Message()
	if s == "" {
		s = e.Major.String()
	}
	for _, part := range []string{e.MinorMessage, e.Detail} {
		if part != "" {
			s += ": " + part
		}
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *GSSError) Unwrap() error { return e.Err }

// Is reports whether target is a GSSError sentinel e matches, or an *Error
// with e's minor code. See [GSSError] for the rules.
func (e *GSSError) Is(target error) bool {
	switch t := target.(type) {
	case *GSSError:
		if t.Minor != 0 && t.Minor != e.Minor {
			return false
		}
		if r := t.Major.RoutineError(); r != 0 {
			return r == e.Major.RoutineError()
		}
		if c := t.Major.CallingError(); c != 0 {
			return c == e.Major.CallingError()
		}
		return t.Minor != 0 || t.Major == e.Major
	case *Error:
		return e.Minor != 0 && t.Code == e.Minor
	}
	return false
}

// MinorError returns the minor status as an *Error, or nil if there is
// none.
func (e *GSSError) MinorError() *Error {
	if e.Minor == 0 {
		return nil
	}
	return &Error{Code: e.Minor, Table: tableName(tableBase(e.Minor)),
		Name: e.MinorName, Message: e.MinorMessage}
}

// GSS-API sentinels, one per routine error callers commonly test. Each
// matches, with errors.Is, every GSSError with that routine error whatever
// its minor status.
var (
	// ErrGSSBadMech matches GSS_S_BAD_MECH.
	ErrGSSBadMech = &GSSError{Major: GSSBadMech}
	// ErrGSSBadName matches GSS_S_BAD_NAME.
	ErrGSSBadName = &GSSError{Major: GSSBadName}
	// ErrGSSBadBindings matches GSS_S_BAD_BINDINGS.
	ErrGSSBadBindings = &GSSError{Major: GSSBadBindings}
	// ErrGSSBadMIC matches GSS_S_BAD_SIG (GSS_S_BAD_MIC).
	ErrGSSBadMIC = &GSSError{Major: GSSBadMIC}
	// ErrGSSNoCred matches GSS_S_NO_CRED.
	ErrGSSNoCred = &GSSError{Major: GSSNoCred}
	// ErrGSSNoContext matches GSS_S_NO_CONTEXT.
	ErrGSSNoContext = &GSSError{Major: GSSNoContext}
	// ErrGSSDefectiveToken matches GSS_S_DEFECTIVE_TOKEN.
	ErrGSSDefectiveToken = &GSSError{Major: GSSDefectiveToken}
	// ErrGSSDefectiveCredential matches GSS_S_DEFECTIVE_CREDENTIAL.
	ErrGSSDefectiveCredential = &GSSError{Major: GSSDefectiveCredential}
	// ErrGSSCredentialsExpired matches GSS_S_CREDENTIALS_EXPIRED.
	ErrGSSCredentialsExpired = &GSSError{Major: GSSCredentialsExpired}
	// ErrGSSContextExpired matches GSS_S_CONTEXT_EXPIRED.
	ErrGSSContextExpired = &GSSError{Major: GSSContextExpired}
	// ErrGSSFailure matches GSS_S_FAILURE.
	ErrGSSFailure = &GSSError{Major: GSSFailure}
	// ErrGSSUnauthorized matches GSS_S_UNAUTHORIZED.
	ErrGSSUnauthorized = &GSSError{Major: GSSUnauthorized}
	// ErrGSSUnavailable matches GSS_S_UNAVAILABLE.
	ErrGSSUnavailable = &GSSError{Major: GSSUnavailable}
)
