package gssapi

import (
	"context"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// Lifecycle sentinels. errors.Is matches them against every lifecycle
// error the package returns.
var (
	ErrNotLoaded    = errortables.ErrNotLoaded
	ErrShuttingDown = errortables.ErrShuttingDown
	ErrFinalized    = errortables.ErrFinalized
	ErrClosed       = errortables.ErrClosed
	ErrBusy         = errortables.ErrBusy
)

// Object kinds of the gssapi module, as statistics and shutdown reports
// name them.
var (
	acceptorKind  = modules.GSSAPI.NewKind("acceptor-credential")
	initiatorKind = modules.GSSAPI.NewKind("initiator")
	contextKind   = modules.GSSAPI.NewKind("security-context")
)

// moduleTables lists the error tables the gssapi module holds while
// loaded. It is never modified.
var moduleTables = []*errortables.Table{errortables.GGSSTable, errortables.K5GTable}

// state is one generation of the gssapi module.
type state struct {
	tables []*errortables.Table
}

func init() {
	modules.GSSAPI.SetHooks(load, teardown)
}

func load(g *lifecycle.Generation) error {
	st := &state{tables: moduleTables}
	errortables.Register(st.tables...)
	g.Value = st
	support.Tracer(nil).Debug("gssapi: loaded", "generation", g.ID())
	return nil
}

func teardown(g *lifecycle.Generation) {
	st := g.Value.(*state)
	support.Tracer(nil).Debug("gssapi: tearing down", "generation", g.ID())
	errortables.Release(st.tables...)
}

// Library is an explicit reference on the gssapi module: while it is
// open the module stays loaded, and krb5 and support beneath it.
type Library struct{ h *lifecycle.Handle }

// Open loads the gssapi module if needed and returns a reference on it.
// Creating a credential or a context loads it too.
func Open() (*Library, error) {
	h, err := modules.GSSAPI.Open()
	if err != nil {
		return nil, err
	}
	return &Library{h: h}, nil
}

// Close releases the reference. A second Close returns ErrClosed.
func (l *Library) Close() error { return l.h.Close() }

// Shutdown refuses new gssapi objects at once, waits for the live ones
// to be closed and tears the module down, for good. krb5 and support stay
// loaded. If ctx ends first the error lists the objects still alive.
func Shutdown(ctx context.Context) error { return modules.GSSAPI.Shutdown(ctx) }

// Close tears gssapi down now, for good: calls in flight finish, live
// objects are released and their later calls fail with ErrFinalized.
// krb5 and support stay loaded.
func Close() error { return modules.GSSAPI.Close() }

// ModuleStats returns the lifecycle statistics of the gssapi module.
func ModuleStats() support.Stats { return modules.GSSAPI.Stats() }
