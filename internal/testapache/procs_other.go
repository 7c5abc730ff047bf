//go:build !linux

package testapache

// childPIDs cannot list workers without /proc; apache2 ends them itself.
func childPIDs(pid int) []int { return nil }

// alive is unknown without /proc; workers are assumed gone.
func alive(pid int) bool { return false }

// waitGone has nothing to wait for without /proc.
func waitGone(pids []int) error { return nil }
