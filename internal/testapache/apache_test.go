package testapache

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// curl runs curl --negotiate against url with the realm's environment and
// the given credential cache, returning the status code and body.
func curl(t *testing.T, r *testrealm.Realm, ccache, url string) (int,
	string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl not found (install with: apt-get install curl)")
	}
	cmd := r.Command(testContext(t), "curl", "--silent", "--show-error",
		"--negotiate", "-u", ":", "--write-out", "\n%{http_code}", url)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+ccache)
	out, err := cmd.Output()
	require.NoError(t, err, "curl: %s", out)

	text := string(out)
	i := strings.LastIndexByte(text, '\n')
	require.GreaterOrEqual(t, i, 0, "curl output %q", out)
	body, code := strings.TrimSpace(text[:i]), text[i+1:]
	var status int
	_, err = fmt.Sscanf(code, "%d", &status)
	require.NoError(t, err, "curl output %q", out)
	return status, body
}

func TestApacheNegotiate(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{})
	ctx := testContext(t)
	s := ForTest(t, r)
	require.Equal(t, fmt.Sprintf("http://localhost:%d/", s.Port), s.URL)

	t.Run("no credentials gives 401 Negotiate", func(t *testing.T) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			s.URL, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, "Negotiate", resp.Header.Get("WWW-Authenticate"))
	})

	t.Run("curl without a ticket gets 401", func(t *testing.T) {
		cc := "FILE:" + filepath.Join(r.Dir, "empty.ccache")
		status, _ := curl(t, r, cc, s.URL)
		assert.Equal(t, http.StatusUnauthorized, status)
	})

	cc := "FILE:" + filepath.Join(r.Dir, "alice.ccache")
	require.NoError(t, r.Kinit(ctx, cc, r.UserPrincipal, r.Password))

	tests := []struct{ name, path string }{
		{"root", ""},
		{"sub path", "some/where?x=1"},
	}
	for _, tc := range tests {
		t.Run("curl --negotiate gets 200 at "+tc.name, func(t *testing.T) {
			status, body := curl(t, r, cc, s.URL+tc.path)
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, r.UserPrincipal, body)
		})
	}
}

func TestStopLeavesNothing(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{})
	s := ForTest(t, r)

	pid := s.PID()
	require.NotZero(t, pid)
	// A request is answered by a worker, so afterwards one exists.
	resp, err := http.Get(s.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	workers := childPIDs(pid)
	require.NotEmpty(t, workers, "apache2 should have forked workers")

	begin := time.Now()
	require.NoError(t, s.Stop())
	t.Logf("apache2 stopped in %v", time.Since(begin))
	assert.False(t, alive(pid), "apache2 parent %d still running", pid)
	for _, w := range workers {
		assert.False(t, alive(w), "apache2 worker %d still running", w)
	}
	assert.NoDirExists(t, s.Dir)
	_, err = http.Get(s.URL)
	assert.Error(t, err, "port still answers")
	assert.NoError(t, s.Stop(), "second Stop")
}
