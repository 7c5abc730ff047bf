package lifecycle

import "strconv"

// State is the state of a module.
type State int32

// Module states. A module moves NotLoaded -> Loading -> Loaded, back to
// NotLoaded through TearingDown when its references run out, and to
// Finalized through ShuttingDown and TearingDown when it is shut down.
const (
	NotLoaded State = iota
	Loading
	Loaded
	ShuttingDown
	TearingDown
	Finalized
)

var stateNames = [...]string{
	NotLoaded:    "not loaded",
	Loading:      "loading",
	Loaded:       "loaded",
	ShuttingDown: "shutting down",
	TearingDown:  "tearing down",
	Finalized:    "finalized",
}

// String returns the state's name, or its number if it has none.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
