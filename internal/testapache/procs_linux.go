package testapache

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childPIDs returns the processes whose parent is pid, from /proc.
func childPIDs(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(child); ok && ppid == pid {
			pids = append(pids, child)
		}
	}
	return pids
}

// procStat returns a process's parent PID and state letter.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name is in parentheses and may contain spaces; the
	// fields after the last ')' are state and ppid.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	if err != nil {
		return 0, 0, false
	}
	return ppid, fields[0][0], true
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != 'Z' && state != 'X'
}

// waitGone waits up to a bounded time for pids to exit, then kills the
// ones left. apache2 ends its workers itself on SIGTERM; this only
// catches stragglers.
func waitGone(pids []int) error {
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		left := pids[:0:0]
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			var errs []error
			for _, p := range left {
				err := syscall.Kill(p, syscall.SIGKILL)
				if err != nil && !errors.Is(err, syscall.ESRCH) {
					errs = append(errs, fmt.Errorf(
						"testapache: kill worker %d: %w", p, err))
				}
			}
			return errors.Join(errs...)
		}
		pids = left
		<-tick.C
	}
}
