package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
)

var (
	realmOnce sync.Once
	shared    *testrealm.Realm
	realmErr  error
)

func TestMain(m *testing.M) {
	if os.Getenv("SAFEKRB5_CMD_CHILD") != "" {
		// Run as the command itself, for the tests that need a process
		// of their own (the demo shuts the library down for good).
		os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr},
			strings.Fields(os.Getenv("SAFEKRB5_CMD_CHILD"))))
	}
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			code = 1
		}
	}
	os.Exit(code)
}

func testRealm(t *testing.T) *testrealm.Realm {
	t.Helper()
	if !testrealm.RequirePrograms(t) {
		return nil
	}
	realmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shared, realmErr = testrealm.Start(ctx, testrealm.Options{LegacySessionKeys: true})
	})
	require.NoError(t, realmErr)
	return shared
}

// runCmd runs a subcommand in-process with the realm's configuration.
func runCmd(t *testing.T, r *testrealm.Realm, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("KRB5_CONFIG", r.ConfPath)
	var out, errOut bytes.Buffer
	code := run(&env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestKinitKlistKvnoKdestroy(t *testing.T) {
	r := testRealm(t)
	cc := filepath.Join(t.TempDir(), "cc")

	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", cc, "-l", "2h", "-r", "1d",
		r.UserPrincipal)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, r.Password)

	code, out, stderr := runCmd(t, r, "", "klist", "-c", cc)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Default principal: "+r.UserPrincipal)
	assert.Contains(t, out, "krbtgt/"+r.Name+"@"+r.Name)
	assert.Contains(t, out, "renew until")

	mit, err := r.Command(context.Background(), "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), "Default principal: "+r.UserPrincipal)

	code, out, stderr = runCmd(t, r, "", "kvno", "-c", cc, "HTTP/localhost")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "HTTP/localhost@"+r.Name+": kvno = 1\n", out)
	mit, err = r.Command(context.Background(), "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), "HTTP/localhost@"+r.Name, "kvno stored the ticket")

	code, _, stderr = runCmd(t, r, "", "kdestroy", "-c", cc)
	require.Equal(t, 0, code, stderr)
	_, err = os.Stat(cc)
	assert.True(t, os.IsNotExist(err))
	code, _, _ = runCmd(t, r, "", "klist", "-c", cc)
	assert.Equal(t, 1, code)
	// As MIT's kdestroy: no cache left is said but is no failure.
	code, _, stderr = runCmd(t, r, "", "kdestroy", "-c", cc)
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "no credentials cache found while destroying cache "+cc)
	mit, err = r.Command(context.Background(), "kdestroy", "-c", cc).CombinedOutput()
	require.NoError(t, err, "MIT's kdestroy of no cache: %s", mit)
	assert.Contains(t, string(mit), "No credentials cache found while destroying cache")
	code, _, stderr = runCmd(t, r, "", "kdestroy", "-q", "-c", cc)
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "no credentials cache found")
}

func TestKinitWrongPassword(t *testing.T) {
	r := testRealm(t)
	cc := filepath.Join(t.TempDir(), "cc")
	code, _, stderr := runCmd(t, r, "wrong\n", "kinit", "-c", cc, r.User)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "KRB5KDC_ERR_PREAUTH_FAILED")
	assert.NotContains(t, stderr, "wrong\n")
}

func TestKinitKeytabAndKlistK(t *testing.T) {
	r := testRealm(t)
	cc := filepath.Join(t.TempDir(), "cc")
	code, _, stderr := runCmd(t, r, "", "kinit", "-k", "-t", r.UserKeytab, "-c", cc, r.User)
	require.Equal(t, 0, code, stderr)
	code, out, stderr := runCmd(t, r, "", "klist", "-k", "-e", r.Keytab)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "HTTP/localhost@"+r.Name)
	assert.Contains(t, out, "aes256-cts-hmac-sha1-96")
}

func TestServeAndGet(t *testing.T) {
	r := testRealm(t)
	cc := filepath.Join(t.TempDir(), "cc")
	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", cc, r.User)
	require.Equal(t, 0, code, stderr)

	s, err := newNegotiateServer("127.0.0.1:0", r.Keytab)
	require.NoError(t, err)
	done := s.serveBackground()
	defer func() {
		s.srv.Close()
		<-done
		s.cred.Close()
		s.kt.Close()
	}()
	port := s.ln.Addr().String()[strings.LastIndexByte(s.ln.Addr().String(), ':')+1:]
	url := "http://localhost:" + port + "/"

	code, out, stderr := runCmd(t, r, "", "get", "-c", cc, url)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, r.UserPrincipal+"\n", out)
	assert.Contains(t, stderr, "200 OK")

	// Without credentials the server refuses, and get says so.
	code, _, stderr = runCmd(t, r, "", "get", "-c", filepath.Join(t.TempDir(), "none"), url)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "no credential cache was found")
}

// TestServeSubprocess runs serve as a process and stops it with SIGTERM,
// as a service manager would.
func TestServeSubprocess(t *testing.T) {
	r := testRealm(t)
	port, err := testrealm.FreePort()
	require.NoError(t, err)
	addr := "127.0.0.1:" + itoa(port)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SAFEKRB5_CMD_CHILD=serve -addr "+addr+" -k "+r.Keytab,
		"KRB5_CONFIG="+r.ConfPath)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(outString(&out), "serving") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cc := filepath.Join(t.TempDir(), "cc")
	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", cc, r.User)
	require.Equal(t, 0, code, stderr)
	code, body, stderr := runCmd(t, r, "", "get", "-c", cc, "http://localhost:"+itoa(port)+"/")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, r.UserPrincipal+"\n", body)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait(), outString(&out))
	assert.Contains(t, outString(&out), "shutting down")
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func outString(s *syncBuffer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestDemo runs the whole demonstration in a process of its own.
func TestDemo(t *testing.T) {
	if !testrealm.RequirePrograms(t) {
		return
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SAFEKRB5_CMD_CHILD=demo")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "demo: every step succeeded")
	assert.Contains(t, string(out), "4 of 4 requests in flight finished with 200 OK")
	assert.Contains(t, string(out), "library has been finalized")
}

// TestKlistMatchesMIT: our klist and MIT's print the same text for the
// same credential cache and the same keytab (klist -k -t -e).
func TestKlistMatchesMIT(t *testing.T) {
	r := testRealm(t)
	ctx := context.Background()
	cc := filepath.Join(t.TempDir(), "cc")
	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-c", cc, "-r", "1d",
		r.UserPrincipal)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCmd(t, r, "", "kvno", "-c", cc, r.Service)
	require.Equal(t, 0, code, stderr)

	code, ours, stderr := runCmd(t, r, "", "klist", "-c", cc)
	require.Equal(t, 0, code, stderr)
	mit, err := r.Command(ctx, "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Equal(t, string(mit), ours)

	for _, flags := range [][]string{{"-k"}, {"-k", "-t"}, {"-k", "-e"}, {"-k", "-t", "-e"},
		{"-ket"}} {
		args := append(append([]string{}, flags...), r.UserKeytab)
		code, ours, stderr = runCmd(t, r, "", append([]string{"klist"}, args...)...)
		require.Equal(t, 0, code, stderr)
		mit, err = r.Command(ctx, "klist", args...).CombinedOutput()
		require.NoError(t, err, "%s", mit)
		assert.Equal(t, string(mit), ours, "klist %v", flags)
	}
}

// TestKinitOptions: kinit -l and -r set the lifetimes and -f and -F the
// forwardable flag, as MIT's klist -f shows them.
func TestKinitOptions(t *testing.T) {
	r := testRealm(t)
	ctx := context.Background()
	tests := []struct {
		args        []string
		life, renew time.Duration
		flags       string // MIT klist -f flags of the TGT: A is pre-authenticated
	}{
		{[]string{"-l", "2h", "-r", "1d", "-F"}, 2 * time.Hour, 24 * time.Hour, "RIA"},
		{[]string{"-l", "90m", "-f"}, 90 * time.Minute, 7 * 24 * time.Hour, "FRIA"},
		{[]string{"-l", "1:00:00", "-r", "3h"}, time.Hour, 3 * time.Hour, "FRIA"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cc := filepath.Join(t.TempDir(), "cc")
			args := append([]string{"kinit", "-c", cc}, tt.args...)
			code, _, stderr := runCmd(t, r, r.Password+"\n", append(args, r.User)...)
			require.Equal(t, 0, code, stderr)
			raw, err := ccachefile.ReadFile(cc)
			require.NoError(t, err)
			defer raw.Wipe()
			tgt := raw.Credentials[0]
			assert.InDelta(t, tt.life.Seconds(), tgt.EndTime.Sub(tgt.StartTime).Seconds(), 5)
			assert.InDelta(t, tt.renew.Seconds(), tgt.RenewTill.Sub(tgt.StartTime).Seconds(), 5)
			mit, err := r.Command(ctx, "klist", "-f", "-c", cc).CombinedOutput()
			require.NoError(t, err, "%s", mit)
			assert.Contains(t, string(mit), "Flags: "+tt.flags+"\n")
		})
	}
	code, _, stderr := runCmd(t, r, r.Password+"\n", "kinit", "-l", "soon", r.User)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "soon")
}

// TestKvnoKeepsMITCache: our kvno on a cache MIT's kinit made adds its
// ticket and keeps MIT's configuration entries.
func TestKvnoKeepsMITCache(t *testing.T) {
	r := testRealm(t)
	ctx := context.Background()
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	code, out, stderr := runCmd(t, r, "", "kvno", "-c", cc, r.Service)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, r.ServicePrincipal+": kvno = 1\n", out)
	raw, err := ccachefile.ReadFile(cc)
	require.NoError(t, err)
	defer raw.Wipe()
	var servers, config []string
	for _, c := range raw.Credentials {
		if c.IsConfig() {
			config = append(config, c.Server.Components[1])
			continue
		}
		servers = append(servers, c.Server.String())
	}
	assert.Contains(t, config, "pa_type", "MIT's configuration entry is kept")
	assert.Contains(t, servers, r.ServicePrincipal)
	mit, err := r.Command(ctx, "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", mit)
	assert.Contains(t, string(mit), r.ServicePrincipal)
}

// TestDemoAD runs the demonstration against a Samba AD domain controller
// in a process of its own.
func TestDemoAD(t *testing.T) {
	if !testsamba.RequirePrograms(t) {
		return
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SAFEKRB5_CMD_CHILD=demo -kdc ad")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, want := range []string{
		"demo: every step succeeded",
		"canonicalized it to alice@AD.TEST",
		"(Domain Users)",
		"UPN alice@ad.test",
		"KDC signature (hmac-sha1-96-aes256) with the krbtgt key",
		"curl: HTTP 200",
		"4 of 4 requests in flight finished with 200 OK",
	} {
		assert.Contains(t, string(out), want)
	}
}
