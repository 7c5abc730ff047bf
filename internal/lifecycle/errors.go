package lifecycle

import (
	"fmt"
	"strings"

	"github.com/safekrb5/safekrb5/errortables"
)

// Error is a lifecycle error about one module or one object. It unwraps to
// one of the lifecycle sentinels of package errortables.
type Error struct {
	Module string // module name, e.g. "krb5"
	Kind   string // object kind, e.g. "client"; "" for the module itself
	Err    *errortables.Error
}

// Error returns "module: kind: message".
func (e *Error) Error() string {
	if e.Kind == "" {
		return e.Module + ": " + e.Err.Error()
	}
	return e.Module + ": " + e.Kind + ": " + e.Err.Error()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// ObjectInfo describes a live object.
type ObjectInfo struct {
	Module     string
	Kind       string
	Generation uint64
	// Site is the file and line that created the object, or "" when leak
	// tracking was off at the time.
	Site string
}

// String renders the object as "krb5 client (generation 3) created at
// file:line".
func (o ObjectInfo) String() string {
	s := fmt.Sprintf("%s %s (generation %d)", o.Module, o.Kind, o.Generation)
	if o.Site != "" {
		s += " created at " + o.Site
	}
	return s
}

// ShutdownError reports a graceful shutdown whose context ended while
// objects were still alive. It matches errortables.ErrBusy and the
// context's error with errors.Is.
type ShutdownError struct {
	Module string
	Live   []ObjectInfo
	Cause  error // the context's error
}

// Error lists the live objects.
func (e *ShutdownError) Error() string {
	var b strings.Builder
	noun := "objects"
	if len(e.Live) == 1 {
		noun = "object"
	}
	fmt.Fprintf(&b, "%s: shutdown: %v with %d live %s", e.Module,
		e.Cause, len(e.Live), noun)
	const most = 20
	for i, o := range e.Live {
		if i == most {
			fmt.Fprintf(&b, "; and %d more", len(e.Live)-most)
			break
		}
		b.WriteString("; ")
		b.WriteString(o.String())
	}
	return b.String()
}

// Unwrap returns ErrBusy and the context's error.
func (e *ShutdownError) Unwrap() []error {
	return []error{errortables.ErrBusy, e.Cause}
}
