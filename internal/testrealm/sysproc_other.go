//go:build !linux

package testrealm

import "syscall"

// daemonSysProcAttr puts the daemon in a process group of its own (see
// the Linux variant). There is no parent-death signal here, so a crashed
// test binary can leave its daemons running.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
