package krb5_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// forgedKDC answers every UDP datagram on a loopback port with reply, as
// a KDC would or anyone on the path may (a KRB-ERROR is not
// authenticated), until the test ends. It returns the address.
func forgedKDC(t *testing.T, reply []byte) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			_, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = conn.WriteTo(reply, from)
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return conn.LocalAddr().String()
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
			addr := forgedKDC(t, reply)
			cfg, err := krb5.ParseConfig("test", fmt.Appendf(nil, "[libdefaults]\n"+
				" default_realm = FORGED.TEST\n[realms]\n FORGED.TEST = {\n"+
				"  kdc = %s\n }\n", addr))
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
