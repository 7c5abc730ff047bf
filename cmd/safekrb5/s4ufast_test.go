package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testheimdal"
	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// mit runs an MIT program against the realm and returns its exit code and
// combined output.
func mit(t *testing.T, r *testrealm.Realm, stdin string, name string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kinitTimeout)
	defer cancel()
	cmd := r.Command(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		require.NoError(t, err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// TestKinitArmor logs in to a realm whose KDC requires FAST: kinit
// without -T fails, as MIT's does; kinit -T with an armor cache made by
// MIT's kinit -k works, and MIT's klist reads the result.
func TestKinitArmor(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{RequireFAST: true})
	dir := t.TempDir()
	armor, cc := filepath.Join(dir, "armor"), filepath.Join(dir, "cc")
	code, out := mit(t, r, "", "kinit", "-k", "-t", r.Keytab, "-c", armor, r.ServicePrincipal)
	require.Equal(t, 0, code, out)

	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", cc, r.User)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "FAST")
	mitCode, _ := mit(t, r, r.Password+"\n", "kinit", "-c", cc, r.User)
	assert.NotEqual(t, 0, mitCode, "MIT's kinit fails without armor too")

	code, _, stderr = runCmd(t, r, r.Password+"\n", "kinit", "-T", armor, "-c", cc, r.User)
	require.Equal(t, 0, code, stderr)
	code, out = mit(t, r, "", "klist", "-c", cc)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "krbtgt/"+r.Name+"@"+r.Name)
}

// TestKvnoS4U runs kvno -I and -U, with and without -P, beside MIT's
// kvno on an MIT realm on LDAP, where the service may impersonate users
// and delegate to one target: both print the same and fail the same,
// each from a cache of its own made by its own kinit.
func TestKvnoS4U(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{LDAP: true})
	ctx := context.Background()
	_, err := r.KadminLocal(ctx, "modprinc +ok_to_auth_as_delegate "+r.Service)
	require.NoError(t, err)
	target, other := "HTTP/target.localhost", "HTTP/other.localhost"
	for _, p := range []string{target, other} {
		require.NoError(t, r.AddPrincipal(ctx, p, ""))
	}
	require.NoError(t, r.AllowDelegation(ctx, r.Service, target))

	tests := []struct {
		name string
		args []string
		want string // the ticket's server, or "" when the KDC refuses
	}{
		{"S4U2Self", []string{"-I", r.User, r.Service}, r.ServicePrincipal},
		{"S4U2Proxy", []string{"-I", r.User, "-P", target}, target + "@" + r.Name},
		{"S4U2Proxy by enterprise name", []string{"-U", r.User, "-P", target},
			target + "@" + r.Name},
		{"S4U2Proxy to a service not allowed", []string{"-I", r.User, "-P", other}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cc, mitCC := filepath.Join(dir, "svc"), filepath.Join(dir, "mit")
			code, _, stderr := runCmd(t, r, "", "kinit", "-k", "-t", r.Keytab, "-c", cc, r.Service)
			require.Equal(t, 0, code, stderr)
			mitCode, mitOut := mit(t, r, "", "kinit", "-k", "-t", r.Keytab, "-c", mitCC, r.Service)
			require.Equal(t, 0, mitCode, mitOut)

			args := append([]string{"kvno", "-c", cc}, tc.args...)
			code, out, stderr := runCmd(t, r, "", args...)
			mitCode, mitOut = mit(t, r, "", "kvno", append([]string{"-c", mitCC}, tc.args...)...)
			if tc.want == "" {
				assert.Equal(t, 1, code)
				assert.NotEqual(t, 0, mitCode, mitOut)
				assert.Contains(t, stderr, "KDC_ERR_BADOPTION")
				assert.Contains(t, mitOut, "constrained delegation failed")
				return
			}
			require.Equal(t, 0, code, stderr)
			require.Equal(t, 0, mitCode, mitOut)
			assert.Equal(t, tc.want+": kvno = 1\n", out)
			assert.Equal(t, out, mitOut)
		})
	}
	cc := filepath.Join(t.TempDir(), "svc")
	code, _, stderr := runCmd(t, r, "", "kinit", "-k", "-t", r.Keytab, "-c", cc, r.Service)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCmd(t, r, "", "kvno", "-c", cc, "-I", r.User, target)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "must be the cache's principal")
}

// TestKvnoS4UProxyHeimdal runs kvno -I -P against Heimdal, which grants
// constrained delegation.
func TestKvnoS4UProxyHeimdal(t *testing.T) {
	h := testheimdal.ForTest(t, testheimdal.Options{})
	ctx := context.Background()
	_, err := h.Kadmin(ctx, "add", "--random-key", "--use-defaults", "HTTP/target.localhost")
	require.NoError(t, err)
	_, err = h.Kadmin(ctx, "modify", "--attributes=trusted-for-delegation",
		"--constrained-delegation=HTTP/target.localhost@"+h.Name, h.Service)
	require.NoError(t, err)
	t.Setenv("KRB5_CONFIG", h.ConfPath)
	cc := filepath.Join(t.TempDir(), "svc")
	code, _, stderr := runHeimdal(t, "kinit", "-k", "-t", h.Keytab, "-c", cc, h.Service)
	require.Equal(t, 0, code, stderr)
	for _, user := range [][]string{{"-I", h.User}, {"-U", h.UserPrincipal}} {
		t.Run(user[0], func(t *testing.T) {
			args := append([]string{"kvno", "-c", cc}, user...)
			code, out, stderr := runHeimdal(t, append(args, "-P", "HTTP/target.localhost")...)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, "HTTP/target.localhost@"+h.Name+": kvno = 1\n", out)
		})
	}
}

func runHeimdal(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}
