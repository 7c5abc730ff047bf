package testrealm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAddKDC: a second KDC serves the same database on its own port; MIT
// kinit, configured with it alone, logs in through it, and a key changed
// with kadmin.local is seen by it at once.
func TestAddKDC(t *testing.T) {
	t.Parallel()
	r := ForTest(t, Options{})
	k, err := r.AddKDC(testContext(t))
	require.NoError(t, err)
	assert.NotEqual(t, r.KDCPort, k.Port)
	assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", k.Port), k.Addr)
	assert.Contains(t, r.PIDs(), k.PID())

	conf, err := os.ReadFile(r.ConfPath)
	require.NoError(t, err)
	only := strings.Replace(string(conf),
		fmt.Sprintf("kdc = 127.0.0.1:%d", r.KDCPort), "kdc = "+k.Addr, 1)
	confPath := filepath.Join(r.Dir, "second-only.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(only), 0o644))

	kinit := func() error {
		cmd := r.Command(testContext(t), "kinit", "-c",
			"FILE:"+filepath.Join(t.TempDir(), "cc"), r.User)
		cmd.Env = append(cmd.Env, "KRB5_CONFIG="+confPath)
		cmd.Stdin = strings.NewReader(r.Password + "\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	require.NoError(t, kinit())
	log, err := os.ReadFile(filepath.Join(r.Dir,
		fmt.Sprintf("kdc-%d.log", k.Port)))
	require.NoError(t, err)
	assert.Contains(t, string(log), "AS_REQ", "the second KDC answered")

	_, err = r.KadminLocal(testContext(t), "cpw -pw newpassword "+r.User)
	require.NoError(t, err)
	require.Error(t, kinit(), "the old password fails at the second KDC")

	require.NoError(t, k.Stop())
	require.NoError(t, k.Stop(), "Stop twice")
	assert.NotContains(t, r.PIDs(), k.PID())
}
