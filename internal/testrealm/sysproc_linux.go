package testrealm

import "syscall"

// daemonSysProcAttr puts the daemon in a process group of its own, since
// some daemons signal their whole group on shutdown (apache2's prefork
// MPM sends SIGTERM to it, which would otherwise reach the test binary),
// and asks the kernel to kill the daemon when the process that started it
// dies, so a crashed test binary does not leave it behind.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
