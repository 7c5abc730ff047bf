package krb5_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// forgedKDC answers every UDP request on 127.0.0.1 with reply, as anyone
// on the path may, since a KRB-ERROR is not authenticated. It returns
// the port; the listener stops when the test ends.
func forgedKDC(t *testing.T, reply []byte) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1<<16)
		for {
			_, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(reply, addr)
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestKDCErrorTextIsTamed logs in against a KDC whose KRB-ERROR carries
// hostile e-text: the error keeps the text in EText but prints it quoted
// and cut when it holds control characters or is long.
func TestKDCErrorTextIsTamed(t *testing.T) {
	long := strings.Repeat("x", 60000)
	tests := []struct {
		name, etext, says, never string
	}{
		{"plain", "PREAUTH_FAILED", "(KRB5KDC_ERR_PREAUTH_FAILED): PREAUTH_FAILED", ""},
		{"escape sequences", "\x1b[31mEVIL\x1b[0m", `"\x1b[31mEVIL\x1b[0m"`, "\x1b"},
		{"false log line", "ok\nlevel=INFO msg=forged", `"ok\nlevel=INFO msg=forged"`, "\n"},
		{"invalid UTF-8", "bad \xff byte", `"bad \xff byte"`, "\xff"},
		{"huge", long, "... (60000 bytes)", long[:1000]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ke := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_INST,
				"krbtgt/FORGED.TEST"), "FORGED.TEST", 24, tt.etext)
			reply, err := ke.Marshal()
			require.NoError(t, err)
			port := forgedKDC(t, reply)
			cfg, err := krb5.ParseConfig("test", fmt.Appendf(nil, "[libdefaults]\n"+
				" default_realm = FORGED.TEST\n[realms]\n FORGED.TEST = {\n"+
				"  kdc = 127.0.0.1:%d\n }\n", port))
			require.NoError(t, err)
			c, err := krb5.NewWithPassword("alice", "FORGED.TEST", "pw", cfg,
				krb5.DisableAutoRenew())
			require.NoError(t, err)
			defer c.Close()

			err = c.Login(context.Background())
			require.ErrorIs(t, err, krb5.ErrPreauthFailed)
			var kerr *krb5.KDCError
			require.ErrorAs(t, err, &kerr)
			assert.Equal(t, tt.etext, kerr.EText, "the field keeps what was sent")
			assert.Contains(t, err.Error(), tt.says)
			if tt.never != "" {
				assert.NotContains(t, err.Error(), tt.never)
			}
			assert.Less(t, len(err.Error()), 400)
		})
	}
}
