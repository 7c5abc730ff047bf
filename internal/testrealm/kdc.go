package testrealm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// KDC is an extra krb5kdc of a realm, started by AddKDC.
type KDC struct {
	// Port is the KDC's port, the same number for UDP and TCP.
	Port int
	// Addr is "127.0.0.1:Port", as a krb5.conf kdc relation takes it.
	Addr string

	d *Daemon
	r *Realm
}

// PID returns the KDC's process ID.
func (k *KDC) PID() int { return k.d.PID() }

// Stop stops the KDC by PID, as the realm's Stop would, and takes it off
// the realm's PIDs; it may be called more than once.
func (k *KDC) Stop() error {
	err := k.d.Stop()
	k.r.mu.Lock()
	defer k.r.mu.Unlock()
	k.r.daemons = slices.DeleteFunc(k.r.daemons,
		func(d *Daemon) bool { return d == k.d })
	return err
}

// AddKDC starts one more krb5kdc for the realm on a free port of its
// own, serving the same database as the first, as a replica KDC would:
// tickets from either decrypt with the same keys, and a key changed with
// kadmin.local is seen by both. Its profile is kdc-PORT.conf in Dir and
// its log kdc-PORT.log. The realm's krb5.conf does not name it; tests
// write configurations that do. Stop, of the KDC or of the realm, stops
// it.
func (r *Realm) AddKDC(ctx context.Context) (*KDC, error) {
	path, err := lookProgram("krb5kdc")
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		k, err := r.startKDC(ctx, path)
		if err == nil || !errors.Is(err, errExited) ||
			attempt == startAttempts {
			return k, err
		}
		// Another process most likely took the port: try another.
	}
}

// startKDC starts one extra KDC, on a fresh port.
func (r *Realm) startKDC(ctx context.Context, path string) (*KDC, error) {
	avoid := []int{r.KDCPort, r.KadminPort, r.KpasswdPort}
	port, err := FreePort(avoid...)
	if err != nil {
		return nil, err
	}
	name := "kdc-" + strconv.Itoa(port)
	profile := filepath.Join(r.Dir, name+".conf")
	err = os.WriteFile(profile, []byte(r.kdcConfFor(port, name+".log")), 0o644)
	if err != nil {
		return nil, fmt.Errorf("testrealm: %w", err)
	}
	cmd := exec.Command(path, "-n", "-r", r.Name)
	cmd.Env = append(r.Env(), "KRB5_KDC_PROFILE="+profile)
	cmd.Dir = r.Dir
	d, err := StartDaemon("krb5kdc", cmd, filepath.Join(r.Dir, name+".out"))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.daemons = append(r.daemons, d)
	r.mu.Unlock()
	k := &KDC{Port: port, Addr: fmt.Sprintf("%s:%d", r.Host, port), d: d,
		r: r}
	if err := d.WaitTCP(ctx, k.Addr); err != nil {
		_ = d.Stop()
		return nil, err
	}
	r.logf("extra krb5kdc pid %d listening on %s", d.PID(), k.Addr)
	return k, nil
}
