package testrealm

import "syscall"

// daemonSysProcAttr asks the kernel to kill the daemon when the process
// that started it dies, so a crashed test binary does not leave a KDC
// behind.
func daemonSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
