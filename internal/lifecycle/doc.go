// Package lifecycle is the module engine under safekrb5. It knows nothing
// about Kerberos: it counts references, loads and tears down module state,
// guards calls in flight, and shuts modules down.
//
// A [Module] is a layer of the library with state of its own. Its state is
// built by its load function the first time something references it, and
// lives in a [Generation]. References are library handles ([Module.Open]),
// live objects ([Module.NewObject]), module-level calls ([Module.Enter]) and
// loaded modules that depend on it. When the last reference goes, the
// generation is torn down; a later reference loads a fresh generation.
//
// An [Object] guards the calls made on it: [Object.Enter] and
// [Object.Leave] bracket a call, [Object.Close] refuses new calls, waits for
// those in flight, and releases the object. The fast path of Enter and Leave
// is one atomic add each.
//
// [Module.Shutdown] is graceful: it refuses new references, shuts down the
// modules that depend on this one, and waits for objects to be closed.
// [Module.Close] is forceful: it waits only for calls in flight and leaves
// remaining objects returning [errortables.ErrFinalized]. Both are final for
// the process: the module never loads again.
//
// Every error this package returns matches one of the lifecycle sentinels of
// package errortables with errors.Is.
package lifecycle
