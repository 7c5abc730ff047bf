//go:build !linux

package testrealm

import "syscall"

// daemonSysProcAttr has nothing to add where there is no parent-death
// signal; a crashed test binary can leave its daemons running there.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
