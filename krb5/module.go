package krb5

import (
	"context"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// Lifecycle sentinels. errors.Is matches them against every lifecycle
// error the krb5 package returns.
var (
	ErrNotLoaded    = errortables.ErrNotLoaded
	ErrShuttingDown = errortables.ErrShuttingDown
	ErrFinalized    = errortables.ErrFinalized
	ErrClosed       = errortables.ErrClosed
	ErrBusy         = errortables.ErrBusy
)

// Object kinds of the krb5 module, as they appear in statistics and in
// shutdown reports.
var (
	clientKind = modules.KRB5.NewKind("client")
	keytabKind = modules.KRB5.NewKind("keytab")
	ccacheKind = modules.KRB5.NewKind("ccache")
)

// state is one generation of the krb5 module.
type state struct {
	tables []*errortables.Table
	// mem holds the MEMORY credential caches; teardown wipes them.
	mem *memCCaches
	// memKT holds the MEMORY keytabs; teardown wipes them.
	memKT *memKeytabs
	// kdcs remembers the KDCs that failed lately.
	kdcs *kdcHealth
}

func init() {
	modules.KRB5.SetHooks(load, teardown)
}

func load(g *lifecycle.Generation) error {
	st := &state{tables: moduleTables, mem: newMemCCaches(),
		memKT: newMemKeytabs(), kdcs: &kdcHealth{}}
	errortables.Register(st.tables...)
	g.Value = st
	support.Tracer(nil).Debug("krb5: loaded", "generation", g.ID())
	return nil
}

func teardown(g *lifecycle.Generation) {
	st := g.Value.(*state)
	support.Tracer(nil).Debug("krb5: tearing down", "generation", g.ID())
	st.mem.wipe()
	st.memKT.wipe()
	errortables.Release(st.tables...)
}

// moduleTables lists the error tables the krb5 module holds while loaded.
// It is never modified.
var moduleTables = []*errortables.Table{errortables.LifecycleTable,
	errortables.KRB5Table, errortables.KV5MTable, errortables.ASN1Table}

// Library is an explicit reference on the krb5 module, the analogue of a
// handle returned by dlopen: while it is open the module stays loaded, and
// so does support beneath it. It is safe for concurrent use.
type Library struct{ h *lifecycle.Handle }

// Open loads the krb5 module if needed and returns a reference on it.
// Creating a client, a keytab or a ccache loads the module too; Open is
// for programs that want to keep it loaded between objects.
func Open() (*Library, error) {
	h, err := modules.KRB5.Open()
	if err != nil {
		return nil, err
	}
	return &Library{h: h}, nil
}

// Close releases the reference. A second Close returns ErrClosed.
func (l *Library) Close() error { return l.h.Close() }

// Shutdown shuts down krb5 and, before it, gssapi above it: it refuses new
// objects at once and waits for every live object to be closed, then tears
// the modules down. It is final for the process. If ctx ends first it
// returns an error listing the objects still alive (see
// lifecycle.ShutdownError) that matches ErrBusy and ctx.Err().
func Shutdown(ctx context.Context) error {
	return modules.KRB5.Shutdown(ctx)
}

// Close tears krb5 and gssapi down now, for good. It waits only for calls
// in flight; objects still alive are released (their keys wiped, their
// goroutines stopped) and their later calls return ErrFinalized.
func Close() error { return modules.KRB5.Close() }

// ModuleStats returns the lifecycle statistics of the krb5 module.
func ModuleStats() support.Stats { return modules.KRB5.Stats() }
