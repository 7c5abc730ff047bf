package lifecycle

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeakTrackingFromEnvironment: SAFEKRB5_LEAKTRACK=1 turns creation
// sites on from the start of a process.
func TestLeakTrackingFromEnvironment(t *testing.T) {
	if os.Getenv("LIFECYCLE_LEAKENV_CHILD") == "1" {
		m := NewModule(Config{Name: "leakenv"})
		o, err := m.NewKind("obj").NewObject(nil)
		require.NoError(t, err)
		defer o.Close()
		require.True(t, LeakTracking())
		require.Contains(t, o.Info().Site, "leakenv_test.go:")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakTrackingFromEnvironment$", "-test.v")
	cmd.Env = append(os.Environ(), "LIFECYCLE_LEAKENV_CHILD=1", "SAFEKRB5_LEAKTRACK=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.True(t, strings.Contains(string(out), "PASS"), "%s", out)
}
