package krbname

import (
	"fmt"
	"strconv"
)

// MaxQuoted bounds how much of a caller's name Quote shows.
const MaxQuoted = 128

// Quote returns s quoted for an error message, as %q quotes it, cut after
// MaxQuoted bytes with the whole length said, so that a huge name makes
// a short error.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:MaxQuoted], len(s))
}
