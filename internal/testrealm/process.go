package testrealm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Bounds for starting and stopping daemons. Start's context can shorten
// the first; nothing lengthens them.
const (
	readyTimeout = 10 * time.Second
	readyPoll    = 5 * time.Millisecond
	termTimeout  = 5 * time.Second
	killTimeout  = 5 * time.Second
)

// errExited reports that a daemon ended before it was ready.
var errExited = errors.New("testrealm: daemon exited during startup")

// Daemon is a background process started by a harness, with its output
// in a file. It is exported for the sibling harness packages; tests should
// not need it.
type Daemon struct {
	// Name is a short label for messages, such as "krb5kdc".
	Name string
	// Cmd is the running command.
	Cmd *exec.Cmd
	// OutPath is the file that receives stdout and stderr.
	OutPath string

	done    chan struct{} // closed when Wait returns
	waitErr error         // set before done is closed
}

// StartDaemon runs cmd in the background with stdout and stderr appended
// to outPath and a parent-death signal where the platform has one. The
// caller must eventually call Stop.
func StartDaemon(name string, cmd *exec.Cmd, outPath string) (*Daemon, error) {
	out, err := os.OpenFile(outPath,
		os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("testrealm: %s output: %w", name, err)
	}
	defer out.Close() // the child keeps its own descriptor

	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = daemonSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testrealm: start %s: %w", name, err)
	}

	d := &Daemon{Name: name, Cmd: cmd, OutPath: outPath,
		done: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

// PID returns the process ID.
func (d *Daemon) PID() int { return d.Cmd.Process.Pid }

// Done is closed when the process has exited and been reaped.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// WaitTCP waits until every address accepts a TCP connection, the daemon
// exits, ctx ends, or readyTimeout passes, whichever comes first.
func (d *Daemon) WaitTCP(ctx context.Context, addrs ...string) error {
	return d.waitDial(ctx, "tcp", addrs)
}

// WaitUnix is WaitTCP for a Unix domain socket at path.
func (d *Daemon) WaitUnix(ctx context.Context, path string) error {
	return d.waitDial(ctx, "unix", []string{path})
}

// waitDial waits until every address accepts a connection on network.
func (d *Daemon) waitDial(ctx context.Context, network string,
	addrs []string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()

	tick := time.NewTicker(readyPoll)
	defer tick.Stop()

	var dialer net.Dialer
	for _, addr := range addrs {
		for {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-d.done:
				return fmt.Errorf("%w: %s (see %s)",
					errExited, d.Name, d.OutPath)
			case <-ctx.Done():
				return fmt.Errorf("testrealm: %s not listening on %s: %w",
					d.Name, addr, ctx.Err())
			case <-tick.C:
			}
		}
	}
	return nil
}

// Stop sends SIGTERM, waits up to a bounded time, then sends SIGKILL and
// waits again. It returns nil once the process is gone, whatever its exit
// status, and is safe to call more than once.
func (d *Daemon) Stop() error {
	select {
	case <-d.done:
		return nil
	default:
	}

	_ = d.Cmd.Process.Signal(syscall.SIGTERM)
	term := time.NewTimer(termTimeout)
	defer term.Stop()
	select {
	case <-d.done:
		return nil
	case <-term.C:
	}

	_ = d.Cmd.Process.Kill()
	kill := time.NewTimer(killTimeout)
	defer kill.Stop()
	select {
	case <-d.done:
		return nil
	case <-kill.C:
		return fmt.Errorf("testrealm: %s (pid %d) did not exit after SIGKILL",
			d.Name, d.PID())
	}
}

// FreePort returns a port on 127.0.0.1 that was free for both TCP and UDP
// a moment ago, skipping the ports in avoid. Another process may still
// take it before the caller binds it; callers retry on a bind failure.
func FreePort(avoid ...int) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testrealm: free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp",
			net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		if !containsInt(avoid, port) {
			return port, nil
		}
	}
	return 0, errors.New("testrealm: no free port for both TCP and UDP")
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
