package errortables

// LifecycleTable is safekrb5's own table for lifecycle conditions. Its name,
// "sklf", collides with no table of MIT krb5 or Heimdal.
var LifecycleTable = NewTable("sklf", []Entry{
	{"SKLF_NOT_LOADED", "module is not loaded"},
	{"SKLF_SHUTTING_DOWN", "module is shutting down"},
	{"SKLF_FINALIZED", "library has been finalized"},
	{"SKLF_CLOSED", "object is closed"},
	{"SKLF_BUSY", "objects are still in use"},
})

// Lifecycle sentinels. Every lifecycle error of safekrb5 matches one of them
// with errors.Is.
var (
	// ErrNotLoaded reports a module that has not been loaded.
	ErrNotLoaded = LifecycleTable.Err(0)
	// ErrShuttingDown reports a call refused because its module is shutting
	// down.
	ErrShuttingDown = LifecycleTable.Err(1)
	// ErrFinalized reports a call on a module, or on an object of a module,
	// that has been torn down.
	ErrFinalized = LifecycleTable.Err(2)
	// ErrClosed reports a call on an object after its Close.
	ErrClosed = LifecycleTable.Err(3)
	// ErrBusy reports a shutdown whose deadline passed while objects were
	// still alive.
	ErrBusy = LifecycleTable.Err(4)
)
