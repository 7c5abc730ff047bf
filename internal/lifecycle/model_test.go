package lifecycle

// An exhaustive check of the engine's protocol for two and three actors.
//
// The model below restates the engine's steps at the granularity at which
// they are atomic in the code: a section under the module's mutex, one
// atomic operation on an object's state word, or a wait that blocks until
// its condition holds. The checker explores every interleaving of the
// actors' steps from the initial state (breadth first, over distinct
// states) and checks in every state reached:
//
//   - no call is inside an object while its generation's state is torn
//     down, and no teardown starts while an object or call is live;
//   - no reference is granted after a shutdown began;
//   - every object's release runs at most once, and exactly once when it
//     was closed or finalized;
//   - no interleaving gets stuck: in every state where no actor can move,
//     every actor has finished, a shutdown that was asked for has
//     finished, and a module with no references left is not loaded.
//
// Keep it in step with module.go and object.go.

import (
	"fmt"
	"strings"
	"testing"
)

const (
	mNotLoaded uint8 = iota
	mLoading
	mLoaded
	mShuttingDown
	mTearingDown
	mFinalized
)

const done uint8 = 255

type mObj struct {
	exists   bool  // made and not yet unlinked by its own Close
	count    uint8 // calls in flight
	closed   bool  // closedBit
	final    bool  // finalBit
	released uint8 // times its release ran
	gen      uint8 // generation it belongs to
	owned    bool  // a forceful Close took over its release
}

type mState struct {
	mod       uint8
	final     bool // the module's final flag: shutdown asked for
	objects   int8
	handles   int8
	gen       uint8
	keys      bool // the current generation's state is intact
	teardowns uint8
	obj       [2]mObj
	pc        [3]uint8
	aux       [3]uint8 // per actor: the generation it holds, for handles
}

type actor struct {
	name string
	obj  int // object the actor works on, if any
	step func(s *mState, a *actor, i int) (ok bool, err string)
}

// acquire is Module.acquire: one section under the mutex, or a block
// while another actor loads or tears down.
func acquire(s *mState) (granted, blocked bool, err string) {
	switch s.mod {
	case mLoading, mTearingDown:
		return false, true, ""
	case mShuttingDown, mFinalized:
		return false, false, ""
	case mNotLoaded:
		// loadLocked: Loading, then (after the load function) Loaded.
		// The load function runs unlocked, but no other actor can get
		// past Loading meanwhile, so it is one step here.
		s.gen++
		s.keys = true
		s.mod = mLoaded
	}
	if s.final {
		return false, false, "a reference was granted after the shutdown began"
	}
	return true, false, ""
}

// idle is Module.idleLocked.
func idle(s *mState) bool {
	switch s.mod {
	case mLoaded:
		return s.objects == 0 && s.handles == 0
	case mShuttingDown:
		return s.objects == 0
	}
	return false
}

// beginTeardown is the locked first half of teardownLocked.
func beginTeardown(s *mState) string {
	for i := range s.obj {
		o := &s.obj[i]
		if o.gen == s.gen && o.exists && o.released == 0 && !o.final {
			return fmt.Sprintf("teardown began while object %d is alive", i)
		}
		if o.gen == s.gen && o.count > 0 && !o.closed && !o.final {
			return fmt.Sprintf("teardown began while a call is inside object %d", i)
		}
	}
	s.mod = mTearingDown
	return ""
}

// The object programs. pc values are local to each program.

// enterLeave runs Enter, a check inside the call, and Leave; it returns
// the pc to go to after the call, or after a refused Enter.
func enterLeave(s *mState, o *mObj, pc *uint8, base, next uint8) (bool, string) {
	switch *pc - base {
	case 0: // Enter: one atomic add, then the flag test
		o.count++
		if o.closed || o.final {
			*pc = base + 1
		} else {
			*pc = base + 2
		}
	case 1: // refused: undo
		o.count--
		*pc = next
	case 2: // inside the call
		if !s.keys || s.gen != o.gen || s.mod == mTearingDown {
			return true, "a call ran inside a torn-down generation"
		}
		*pc = base + 3
	case 3: // Leave
		o.count--
		*pc = next
	}
	return true, ""
}

// closeObject is Object.Close from pc base on.
func closeObject(s *mState, o *mObj, pc *uint8, base uint8) (bool, string) {
	switch *pc - base {
	case 0: // the CAS loop on the state word
		switch {
		case o.closed:
			*pc = done // ErrClosed
		case o.final:
			o.closed = true
			*pc = done
		default:
			o.closed = true
			*pc = base + 1
		}
	case 1: // wait for calls in flight
		if o.count != 0 {
			return false, ""
		}
		*pc = base + 2
	case 2: // release
		o.released++
		if o.released > 1 {
			return true, "a release ran twice"
		}
		*pc = base + 3
	case 3: // under the mutex: unlink, drop the reference
		o.exists = false
		s.objects--
		if idle(s) {
			if e := beginTeardown(s); e != "" {
				return true, e
			}
			*pc = base + 4
		} else {
			*pc = done
		}
	case 4:
		return finishTeardown(s, pc)
	}
	return true, ""
}

// finishTeardown is the unlocked teardown function and the locked
// second half of teardownLocked.
func finishTeardown(s *mState, pc *uint8) (bool, string) {
	s.keys = false
	s.teardowns++
	s.handles = 0
	if s.final {
		s.mod = mFinalized
	} else {
		s.mod = mNotLoaded
	}
	*pc = done
	return true, ""
}

// user makes object a.obj, calls it once, and closes it.
func user(s *mState, a *actor, i int) (bool, string) {
	o := &s.obj[a.obj]
	pc := &s.pc[i]
	switch {
	case *pc == 0:
		granted, blocked, err := acquire(s)
		if blocked {
			return false, ""
		}
		if err != "" {
			return true, err
		}
		if !granted {
			*pc = done
			return true, ""
		}
		s.objects++
		*o = mObj{exists: true, gen: s.gen}
		*pc = 1
		return true, ""
	case *pc < 5:
		return enterLeave(s, o, pc, 1, 5)
	default:
		return closeObject(s, o, pc, 5)
	}
}

// caller calls a pre-made object twice and does not close it.
func caller(s *mState, a *actor, i int) (bool, string) {
	o := &s.obj[a.obj]
	pc := &s.pc[i]
	if *pc < 4 {
		return enterLeave(s, o, pc, 0, 4)
	}
	return enterLeave(s, o, pc, 4, done)
}

// closer closes a pre-made object.
func closer(s *mState, a *actor, i int) (bool, string) {
	return closeObject(s, &s.obj[a.obj], &s.pc[i], 0)
}

// handle opens a library handle and closes it.
func handle(s *mState, a *actor, i int) (bool, string) {
	pc := &s.pc[i]
	switch *pc {
	case 0:
		granted, blocked, err := acquire(s)
		if blocked {
			return false, ""
		}
		if err != "" {
			return true, err
		}
		if !granted {
			*pc = done
			return true, ""
		}
		s.handles++
		s.aux[i] = s.gen
		*pc = 1
	case 1: // Handle.Close: nothing if its generation is gone
		if s.aux[i] != s.gen || s.mod == mFinalized || s.mod == mNotLoaded ||
			s.mod == mTearingDown {
			*pc = done
			return true, ""
		}
		s.handles--
		if idle(s) {
			if e := beginTeardown(s); e != "" {
				return true, e
			}
			*pc = 2
		} else {
			*pc = done
		}
	case 2:
		return finishTeardown(s, pc)
	}
	return true, ""
}

// shutdown is Module.Shutdown: mark final, then wait for the finalized
// state that the last release brings.
func shutdown(s *mState, a *actor, i int) (bool, string) {
	pc := &s.pc[i]
	switch *pc {
	case 0: // markFinal under the mutex
		s.final = true
		switch s.mod {
		case mNotLoaded:
			s.mod = mFinalized
			*pc = done
		case mLoaded:
			s.mod = mShuttingDown
			if idle(s) {
				if e := beginTeardown(s); e != "" {
					return true, e
				}
				*pc = 2
				return true, ""
			}
			*pc = 1
		case mLoading, mTearingDown:
			s.final = false
			return false, "" // waits on the condition variable
		default:
			*pc = 1
		}
	case 1: // waitFinal
		if s.mod != mFinalized {
			return false, ""
		}
		*pc = done
	case 2:
		return finishTeardown(s, pc)
	}
	return true, ""
}

// force is Module.Close: finalize every object, release those not being
// closed by their owners, wait until idle, tear down.
func force(s *mState, a *actor, i int) (bool, string) {
	pc := &s.pc[i]
	switch *pc {
	case 0:
		switch s.mod {
		case mFinalized:
			*pc = done
			return true, ""
		case mLoading, mTearingDown:
			return false, ""
		case mNotLoaded:
			s.final = true
			s.mod = mFinalized
			*pc = done
			return true, ""
		}
		s.final = true
		s.mod = mShuttingDown
		for j := range s.obj {
			o := &s.obj[j]
			if o.exists && o.gen == s.gen && !o.final {
				o.final = true
				if !o.closed {
					o.owned = true
				}
			}
		}
		*pc = 1
	case 1: // wait for the calls in flight on the objects it took over
		for j := range s.obj {
			if o := &s.obj[j]; o.owned && o.count != 0 {
				return false, ""
			}
		}
		*pc = 2
	case 2: // release them, then drop their references under the mutex
		for j := range s.obj {
			if o := &s.obj[j]; o.owned {
				o.owned = false
				o.released++
				if o.released > 1 {
					return true, "a release ran twice"
				}
				o.exists = false
				s.objects--
			}
		}
		*pc = 3
	case 3: // wait until idle (owners' Closes finishing), then tear down
		if s.mod != mShuttingDown {
			if s.mod == mFinalized {
				*pc = done
				return true, ""
			}
			return false, ""
		}
		if !idle(s) {
			return false, ""
		}
		if e := beginTeardown(s); e != "" {
			return true, e
		}
		*pc = 4
	case 4:
		return finishTeardown(s, pc)
	}
	return true, ""
}

type scenario struct {
	name   string
	actors []actor
	pre    []int // objects made before the actors start
}

// explore checks every interleaving of sc's actors and returns the number
// of distinct states reached, or the first violation found.
func explore(sc scenario) (int, string) {
	var init mState
	if len(sc.pre) > 0 {
		init.mod, init.gen, init.keys = mLoaded, 1, true
		for _, j := range sc.pre {
			init.obj[j] = mObj{exists: true, gen: 1}
			init.objects++
		}
	}
	for i := len(sc.actors); i < len(init.pc); i++ {
		init.pc[i] = done
	}
	seen := map[mState]bool{init: true}
	queue := []mState{init}
	parent := map[mState]string{}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		moved := false
		for i := range sc.actors {
			if s.pc[i] == done {
				continue
			}
			next := s
			a := &sc.actors[i]
			ok, err := a.step(&next, a, i)
			if err != "" {
				return 0, fmt.Sprintf("%s: %s (after %s, moving %s)", sc.name, err,
					trace(parent, s), a.name)
			}
			if !ok {
				continue
			}
			moved = true
			if !seen[next] {
				seen[next] = true
				parent[next] = fmt.Sprintf("%s|%s", parent[s], a.name)
				queue = append(queue, next)
			}
		}
		if !moved {
			if e := checkTerminal(sc, s, parent); e != "" {
				return 0, e
			}
		}
	}
	return len(seen), ""
}

func trace(parent map[mState]string, s mState) string {
	return strings.TrimPrefix(parent[s], "|")
}

// checkTerminal checks a state where no actor can move.
func checkTerminal(sc scenario, s mState, parent map[mState]string) string {
	for i := range sc.actors {
		if s.pc[i] != done {
			return fmt.Sprintf("%s: stuck with %s at step %d (after %s)", sc.name,
				sc.actors[i].name, s.pc[i], trace(parent, s))
		}
	}
	if s.final && s.mod != mFinalized && s.objects == 0 {
		return fmt.Sprintf("%s: a shutdown with nothing left did not finalize (after %s)",
			sc.name, trace(parent, s))
	}
	if !s.final && s.objects == 0 && s.handles == 0 && s.mod != mNotLoaded {
		return fmt.Sprintf("%s: unreferenced module left in state %d (after %s)", sc.name,
			s.mod, trace(parent, s))
	}
	for j, o := range s.obj {
		if (o.closed || o.final) && o.gen != 0 && o.released != 1 && !o.exists {
			return fmt.Sprintf("%s: object %d released %d times (after %s)", sc.name, j,
				o.released, trace(parent, s))
		}
	}
	return ""
}

func TestModelExhaustive(t *testing.T) {
	u := func(obj int) actor { return actor{name: fmt.Sprintf("user%d", obj), obj: obj, step: user} }
	c := func(obj int) actor {
		return actor{name: fmt.Sprintf("caller%d", obj), obj: obj, step: caller}
	}
	cl := func(obj int) actor {
		return actor{name: fmt.Sprintf("closer%d", obj), obj: obj, step: closer}
	}
	h := actor{name: "handle", step: handle}
	sd := actor{name: "shutdown", step: shutdown}
	fc := actor{name: "force", step: force}
	scenarios := []scenario{
		{name: "two users", actors: []actor{u(0), u(1)}},
		{name: "two users and a handle (reloads)", actors: []actor{u(0), u(1), h}},
		{name: "two users and a shutdown", actors: []actor{u(0), u(1), sd}},
		{name: "user, handle, shutdown", actors: []actor{u(0), h, sd}},
		{name: "two users and a forceful close", actors: []actor{u(0), u(1), fc}},
		{name: "user, handle, forceful close", actors: []actor{u(0), h, fc}},
		{name: "caller and closer race", actors: []actor{c(0), cl(0)}, pre: []int{0}},
		{name: "caller, closer, shutdown", actors: []actor{c(0), cl(0), sd}, pre: []int{0}},
		{name: "caller, closer, forceful close", actors: []actor{c(0), cl(0), fc},
			pre: []int{0}},
		{name: "two callers and a forceful close", actors: []actor{c(0), c(1), fc},
			pre: []int{0, 1}},
		{name: "shutdown and forceful close", actors: []actor{u(0), sd, fc}},
		{name: "two closers of one object", actors: []actor{cl(0), cl(0), c(0)}, pre: []int{0}},
	}
	total := 0
	for _, sc := range scenarios {
		n, violation := explore(sc)
		if violation != "" {
			t.Fatal(violation)
		}
		total += n
		t.Logf("%-36s %6d states", sc.name, n)
	}
	t.Logf("%d states in all", total)
}

// TestModelFindsBrokenProtocols checks the checker: variants of the
// protocol with a known flaw must each be caught.
func TestModelFindsBrokenProtocols(t *testing.T) {
	// Close that does not wait for calls in flight.
	noWait := func(s *mState, a *actor, i int) (bool, string) {
		if s.pc[i] == 1 {
			s.pc[i] = 2
			return true, ""
		}
		return closer(s, a, i)
	}
	// A shutdown that does not refuse new references.
	leaky := func(s *mState, a *actor, i int) (bool, string) {
		if s.pc[i] == 0 && s.mod == mLoaded {
			s.final = true
			s.pc[i] = 1
			return true, ""
		}
		return shutdown(s, a, i)
	}
	// A forceful close that releases objects their owners are closing.
	greedy := func(s *mState, a *actor, i int) (bool, string) {
		if s.pc[i] == 0 && s.mod == mLoaded {
			for j := range s.obj {
				if o := &s.obj[j]; o.exists && o.closed {
					o.owned = true
				}
			}
		}
		return force(s, a, i)
	}
	broken := []scenario{
		{name: "close without waiting", pre: []int{0}, actors: []actor{
			{name: "caller", step: caller}, {name: "closer", step: noWait}}},
		{name: "shutdown that grants references", pre: []int{0}, actors: []actor{
			{name: "shutdown", step: leaky}, {name: "user", obj: 1, step: user},
			{name: "closer", step: closer}}},
		{name: "close that steals releases", pre: []int{0}, actors: []actor{
			{name: "closer", step: closer}, {name: "force", step: greedy}}},
	}
	for _, sc := range broken {
		if _, violation := explore(sc); violation == "" {
			t.Errorf("%s: not caught", sc.name)
		} else {
			t.Logf("caught: %s", violation)
		}
	}
}
