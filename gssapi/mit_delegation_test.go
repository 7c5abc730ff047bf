package gssapi_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// Token flags of MIT's gss-sample protocol: each frame is one flag
// byte, a 4-byte big-endian length and the body.
const (
	sampleNoop        = 0x01
	sampleContext     = 0x02
	sampleData        = 0x04
	sampleContextNext = 0x10
)

func sampleFrame(t *testing.T, w io.Writer, flags byte, body []byte) {
	t.Helper()
	b := make([]byte, 5, 5+len(body))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)))
	_, err := w.Write(append(b, body...))
	require.NoError(t, err)
}

func readSampleFrame(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	var h [5]byte
	_, err := io.ReadFull(r, h[:])
	require.NoError(t, err)
	n := binary.BigEndian.Uint32(h[1:])
	require.Less(t, n, uint32(1<<20))
	body := make([]byte, n)
	_, err = io.ReadFull(r, body)
	require.NoError(t, err)
	return h[0], body
}

// mitGSSServer serves one connection with MIT's gss-server in inetd
// mode, accepting service (service@host) with keytab's keys, and
// returns the address to dial and a function that waits for the server
// and returns its log.
func mitGSSServer(t *testing.T, r *testrealm.Realm, keytab, service string) (string,
	func() string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	logPath := filepath.Join(t.TempDir(), "gss-server.log")
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		f, err := conn.(*net.TCPConn).File()
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := r.Command(ctx, "gss-server", "-inetd", "-verbose", "-logfile", logPath,
			"-keytab", keytab, service)
		cmd.Stdin = f
		done <- cmd.Run()
	}()
	return ln.Addr().String(), func() string {
		t.Helper()
		err := <-done
		log, rerr := os.ReadFile(logPath)
		require.NoError(t, rerr)
		require.NoError(t, err, "MIT gss-server: %s", log)
		return string(log)
	}
}

// TestDelegationToMIT: MIT's acceptor, in gss-server, decodes the
// KRB-CRED our initiator sends (it refuses the whole context when it
// cannot) and reports the delegation flag.
func TestDelegationToMIT(t *testing.T) {
	r := testRealm(t)
	addr, wait := mitGSSServer(t, r, r.Keytab, "HTTP@localhost")
	in, tok, err := gssapi.Initiate(ctxT(t), client(t, r), "HTTP/localhost",
		gssapi.RawKerberos(), gssapi.WithFlags(gssapi.DefaultInitFlags|gssapi.FlagDeleg))
	require.NoError(t, err)
	defer in.Close()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	sampleFrame(t, conn, sampleNoop|sampleContextNext, nil)
	sampleFrame(t, conn, sampleContext, tok)
	flags, rep := readSampleFrame(t, conn)
	require.Equal(t, byte(sampleContext), flags)
	sc, err := in.Finish(rep)
	require.NoError(t, err)
	defer sc.Close()
	sampleFrame(t, conn, sampleData, []byte("delegated"))
	flags, _ = readSampleFrame(t, conn) // a no-op: no MIC was asked for
	assert.Equal(t, byte(sampleNoop), flags)
	conn.Close()

	log := wait()
	assert.Contains(t, log, "context flag: GSS_C_DELEG_FLAG", "%s", log)
	assert.Contains(t, log, `Received message: "delegated"`)
}
