package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
)

// demoKDC is the throwaway KDC a demonstration runs against: an MIT
// realm or a Samba Active Directory domain controller.
type demoKDC struct {
	kind     string // "MIT" or "AD"
	realm    string
	confPath string
	user     string
	password string
	// principal is user@realm.
	principal string
	// upn is the user's user principal name, "" where there is none.
	upn string
	// service is the SPN the demo's server holds keys for, keytab its
	// keys, and host the name clients reach it by.
	service, keytab, host string
	// krbtgtKeytab holds the krbtgt keys, for the PAC's KDC signature.
	krbtgtKeytab string
	// env is the environment for MIT's tools against the KDC.
	env  []string
	pids []int
	dirs []string
	stop func() error
}

// startDemoKDC starts the KDC of kind: "mit" or "ad".
func startDemoKDC(ctx context.Context, kind string) (*demoKDC, error) {
	switch kind {
	case "mit":
		return startDemoMIT(ctx)
	case "ad":
		return startDemoAD(ctx)
	}
	return nil, fmt.Errorf("unknown KDC %q: mit or ad", kind)
}

func startDemoMIT(ctx context.Context) (*demoKDC, error) {
	if err := testrealm.CheckPrograms(); err != nil {
		return nil, err
	}
	r, err := testrealm.Start(ctx, testrealm.Options{})
	if err != nil {
		return nil, err
	}
	k := &demoKDC{kind: "MIT", realm: r.Name, confPath: r.ConfPath,
		user: r.User, password: r.Password, principal: r.UserPrincipal,
		service: r.Service, keytab: r.Keytab, host: "localhost",
		env: r.Env(), pids: r.PIDs(), dirs: []string{r.Dir}, stop: r.Stop}
	k.krbtgtKeytab = filepath.Join(r.Dir, "krbtgt.keytab")
	if err := r.ExportKeytab(ctx, "krbtgt/"+r.Name, k.krbtgtKeytab); err != nil {
		return nil, errors.Join(err, r.Stop())
	}
	return k, nil
}

// startDemoAD provisions a Samba AD domain (which needs root and takes
// several seconds) and starts its KDC. The server's SPN is
// HTTP/aes.localhost, whose account asks for AES tickets.
func startDemoAD(ctx context.Context) (*demoKDC, error) {
	if err := testsamba.CheckPrograms(); err != nil {
		return nil, err
	}
	d, err := testsamba.Start(ctx, testsamba.Options{})
	if err != nil {
		return nil, errors.Join(err, testsamba.RemoveTemplate())
	}
	k := &demoKDC{kind: "AD", realm: d.Realm, confPath: d.ConfPath,
		user: d.User, password: d.Password, principal: d.UserPrincipal,
		upn: d.UPN, service: d.AESService, keytab: d.AESKeytab,
		host: "aes.localhost", krbtgtKeytab: d.KrbtgtKeytab,
		env: d.Env(), pids: []int{d.PID()}, dirs: []string{d.Dir},
		stop: func() error {
			return errors.Join(d.Stop(), testsamba.RemoveTemplate())
		}}
	return k, nil
}

// command runs one of MIT's tools against the KDC, with the credential
// cache cc.
func (k *demoKDC) command(ctx context.Context, cc, name string,
	args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append([]string(nil), k.env...), "KRB5CCNAME=FILE:"+cc)
	return cmd
}
