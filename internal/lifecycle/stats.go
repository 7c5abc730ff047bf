package lifecycle

// Stats is a snapshot of a module's lifecycle counters.
type Stats struct {
	Module     string         `json:"module"`
	State      string         `json:"state"`
	Generation uint64         `json:"generation"` // current, or last loaded
	Handles    int            `json:"handles"`
	Objects    map[string]int `json:"objects"` // live objects by kind
	Calls      int            `json:"calls"`   // calls in flight
	Dependents int            `json:"dependents"`
	Teardowns  uint64         `json:"teardowns"`
	Leaked     uint64         `json:"leaked"` // objects dropped without Close
	// Versions lists the reloadable resources of the module's objects
	// (keytabs, configurations) that were shown, with the versions of
	// each still alive and how many users pin each.
	Versions []VersionsStats `json:"versions,omitempty"`
}

// Stats returns a snapshot of the module's counters. It walks the live
// objects to count calls in flight, so it costs time in their number.
func (m *Module) Stats() Stats {
	s := m.counters()
	if v := m.versionStats(); len(v) > 0 {
		s.Versions = v
	}
	return s
}

// counters is Stats without the versions.
func (m *Module) counters() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{
		Module:     m.name,
		State:      m.state.String(),
		Generation: m.generation,
		Handles:    m.handles,
		Objects:    make(map[string]int),
		Calls:      m.calls,
		Dependents: m.depRefs,
		Teardowns:  m.teardowns,
		Leaked:     m.leaked.Load(),
	}
	for k, n := range m.kinds {
		if n != 0 {
			s.Objects[k.name] += n
		}
	}
	if g := m.gen; g != nil {
		for o := g.head.next; o != &g.head; o = o.next {
			s.Calls += int(o.state.Load() & countMask)
		}
	}
	return s
}

// State returns the module's state.
func (m *Module) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// LiveObjects describes every object of the current generation that has
// not finished closing.
func (m *Module) LiveObjects() []ObjectInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.gen
	if g == nil {
		return nil
	}
	var out []ObjectInfo
	for o := g.head.next; o != &g.head; o = o.next {
		out = append(out, o.Info())
	}
	return out
}
