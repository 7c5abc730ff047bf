package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mitKinit gets a TGT for the realm's user into a cache of its own with
// MIT's kinit.
func mitKinit(t *testing.T, r *testrealm.Realm) string {
	t.Helper()
	cc := filepath.Join(t.TempDir(), "cc")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.UserPrincipal, r.Password))
	return cc
}

// startSampleServer runs our gss-server on a loopback port until the test
// ends, and returns its port and output.
func startSampleServer(t *testing.T, keytab, service string) (string, *lockedBuffer,
	*lockedBuffer) {
	t.Helper()
	var out, errOut lockedBuffer
	s, err := newSampleServer("127.0.0.1:0", keytab, service, &out, &errOut)
	require.NoError(t, err)
	s.verbose = true
	runSampleServer(t, s)
	_, port, err := net.SplitHostPort(s.ln.Addr().String())
	require.NoError(t, err)
	return port, &out, &errOut
}

// runSampleServer serves s until the test ends, then stops it and checks
// that it ended without an error.
func runSampleServer(t *testing.T, s *sampleServer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx, false) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
		s.close()
	})
}

// TestGSSSampleMITClient runs MIT's gss-client against our gss-server:
// MIT wraps, we unwrap, we sign and MIT verifies our MIC.
func TestGSSSampleMITClient(t *testing.T) {
	r := testRealm(t)
	cc := mitKinit(t, r)
	port, out, errOut := startSampleServer(t, r.Keytab, "HTTP@localhost")

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"sealed", nil, []string{"Signature verified.", "context flag: GSS_C_MUTUAL_FLAG"}},
		{"integrity only", []string{"-nx"}, []string{"Signature verified."}},
		{"not wrapped", []string{"-nw"}, []string{"Signature verified."}},
		{"no MIC", []string{"-nm"}, []string{"Response received."}},
		{"sequence, many messages", []string{"-seq", "-mcount", "5"},
			[]string{"Signature verified.", "context flag: GSS_C_SEQUENCE_FLAG"}},
		{"no mutual authentication", []string{"-nomutual"}, []string{"Signature verified."}},
		{"SPNEGO", []string{"-spnego"}, []string{"Signature verified."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			msg := "hello from MIT " + strings.ReplaceAll(c.name, " ", "-")
			args := append([]string{"-port", port}, c.args...)
			args = append(args, "127.0.0.1", "HTTP@localhost", msg)
			cmd := r.Command(ctx, "gss-client", args...)
			cmd.Env = append(cmd.Env, "KRB5CCNAME=FILE:"+cc)
			b, err := cmd.CombinedOutput()
			require.NoError(t, err, "gss-client: %s\nour server: %s", b, errOut)
			for _, w := range c.want {
				assert.Contains(t, string(b), w)
			}
			assert.Contains(t, out.String(), "Received message: \""+msg+"\"")
		})
	}
	assert.Contains(t, out.String(), "Accepted connection: \""+r.UserPrincipal+"\"")
	assert.Contains(t, out.String(), "context flag: GSS_C_MUTUAL_FLAG",
		"the acceptor saw the initiator ask for mutual authentication")
	assert.Empty(t, errOut.String())
}

// mitSampleServer serves one connection with MIT's gss-server in inetd
// mode, so that nothing but our loopback listener binds a port. It
// returns the listener's port and a function that waits for the server
// and returns its log.
func mitSampleServer(t *testing.T, r *testrealm.Realm, keytab, service string) (string,
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
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	return port, func() string {
		err := <-done
		b, rerr := os.ReadFile(logPath)
		require.NoError(t, rerr)
		require.NoError(t, err, "MIT gss-server: %s", b)
		return string(b)
	}
}

// TestGSSSampleMITServer runs our gss-client against MIT's gss-server:
// we wrap, MIT unwraps and signs, we verify MIT's MIC, which MIT makes
// with the acceptor subkey it sent in the AP-REP.
func TestGSSSampleMITServer(t *testing.T) {
	r := testRealm(t)
	cc := mitKinit(t, r)
	cases := []struct {
		name string
		args []string
		log  []string
	}{
		{"sealed", nil, []string{"context flag: GSS_C_MUTUAL_FLAG"}},
		{"integrity only", []string{"-nx"}, nil},
		{"not wrapped", []string{"-nw"}, nil},
		{"sequence, many messages", []string{"-seq", "-mcount", "4"},
			[]string{"context flag: GSS_C_SEQUENCE_FLAG"}},
		{"no mutual authentication", []string{"-nomutual"}, nil},
		{"SPNEGO", []string{"-spnego"}, nil},
		{"SPNEGO, NTLM listed first: mechListMICs", []string{"-mechs", "ntlm,krb5"}, nil},
		{"SPNEGO, NegoEx first, no mutual", []string{"-nomutual", "-mechs", "negoex,krb5"},
			nil},
		{"SPNEGO, our MIC first", []string{"-spnego", "-nomutual", "-mic"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			port, wait := mitSampleServer(t, r, r.Keytab, "HTTP@localhost")
			msg := "hello from safekrb5 " + strings.ReplaceAll(c.name, " ", "-")
			args := append([]string{"gss-client", "-c", cc, "-port", port}, c.args...)
			args = append(args, "127.0.0.1", "HTTP@localhost", msg)
			code, out, stderr := runCmd(t, r, "", args...)
			log := wait()
			require.Equal(t, 0, code, "stderr: %s\nMIT log: %s", stderr, log)
			assert.Contains(t, out, "Signature verified.")
			assert.Contains(t, log, "Received message: \""+msg+"\"")
			for _, w := range c.log {
				assert.Contains(t, log, w)
			}
			if !strings.Contains(strings.Join(c.args, " "), "-nomutual") {
				assert.Contains(t, out, "context flag: GSS_C_MUTUAL_FLAG")
			}
		})
	}
}

// longSampleMessage writes a text message of n bytes to a file for the
// sample clients' -f and returns its path and text.
func longSampleMessage(t *testing.T, n int) (string, string) {
	t.Helper()
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d of a long message; ", i)
	}
	msg := b.String()[:n]
	path := filepath.Join(t.TempDir(), "message")
	require.NoError(t, os.WriteFile(path, []byte(msg), 0o600))
	return path, msg
}

// Long messages, sent several times so that the context's keys are
// reused, take the paths that hash as they encrypt and decrypt (with an
// aes256-cts-hmac-sha1-96 session key), both ways with MIT: MIT's
// gss-client wraps, our gss-server unwraps; our gss-client wraps, MIT's
// gss-server unwraps; each side checks the other's MICs over them.
func TestGSSSampleLongMessagesWithMIT(t *testing.T) {
	r := testRealm(t)
	cc := mitKinit(t, r)
	for _, n := range []int{4099, 70001} {
		for _, sealed := range []bool{true, false} {
			var mode []string
			if !sealed {
				mode = []string{"-nx"}
			}
			path, msg := longSampleMessage(t, n)
			t.Run(fmt.Sprintf("MIT client, %d bytes, sealed %v", n, sealed), func(t *testing.T) {
				port, out, errOut := startSampleServer(t, r.Keytab, "HTTP@localhost")
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				args := append([]string{"-port", port, "-f", "-mcount", "3"}, mode...)
				args = append(args, "127.0.0.1", "HTTP@localhost", path)
				cmd := r.Command(ctx, "gss-client", args...)
				cmd.Env = append(cmd.Env, "KRB5CCNAME=FILE:"+cc)
				b, err := cmd.CombinedOutput()
				require.NoError(t, err, "gss-client: %s\nour server: %s", b, errOut)
				assert.Equal(t, 3, strings.Count(string(b), "Signature verified."))
				assert.Equal(t, 3, strings.Count(out.String(), msg))
			})
			t.Run(fmt.Sprintf("MIT server, %d bytes, sealed %v", n, sealed), func(t *testing.T) {
				port, wait := mitSampleServer(t, r, r.Keytab, "HTTP@localhost")
				args := append([]string{"gss-client", "-c", cc, "-port", port, "-f",
					"-mcount", "3"}, mode...)
				args = append(args, "127.0.0.1", "HTTP@localhost", path)
				code, out, stderr := runCmd(t, r, "", args...)
				log := wait()
				require.Equal(t, 0, code, "stderr: %s\nMIT log: %.2000s", stderr, log)
				assert.Equal(t, 3, strings.Count(out, "Signature verified."))
				assert.Equal(t, 3, strings.Count(log, msg))
			})
		}
	}
}

// TestGSSSampleOurselves runs our gss-client against our gss-server.
func TestGSSSampleOurselves(t *testing.T) {
	r := testRealm(t)
	cc := mitKinit(t, r)
	port, out, _ := startSampleServer(t, r.Keytab, "HTTP@localhost")
	for _, args := range [][]string{{"-q"}, {"-nx"}, {"-spnego", "-seq", "-mcount", "3"},
		{"-mechs", "ntlm,mskrb5,krb5"}, {"-nomutual", "-mechs", "negoex,krb5"},
		{"-nomutual", "-spnego", "-mic"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			all := append([]string{"gss-client", "-c", cc, "-port", port}, args...)
			all = append(all, "127.0.0.1", "HTTP@localhost", "ourselves")
			code, stdout, stderr := runCmd(t, r, "", all...)
			require.Equal(t, 0, code, stderr)
			if args[0] == "-q" {
				assert.Empty(t, stdout)
			} else {
				assert.Contains(t, stdout, "Signature verified.")
			}
		})
	}
	assert.Contains(t, out.String(), `Received message: "ourselves"`)
}

// TestGSSSampleFraming checks the frame codec against bad input.
func TestGSSSampleFraming(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeFrame(&b, sampleData|sampleWrapped, []byte("tok")))
	assert.Equal(t, []byte{0x24, 0, 0, 0, 3, 't', 'o', 'k'}, b.Bytes())
	f, tok, err := readFrame(&b)
	require.NoError(t, err)
	assert.Equal(t, byte(0x24), f)
	assert.Equal(t, "tok", string(tok))

	for name, in := range map[string][]byte{
		"empty":     nil,
		"short":     {0x01, 0, 0},
		"v1 frame":  {0x00, 0, 0, 0, 1, 'x'},
		"too large": {0x04, 0x7f, 0xff, 0xff, 0xff},
		"truncated": {0x04, 0, 0, 0, 9, 'x'},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := readFrame(bytes.NewReader(in))
			require.ErrorIs(t, err, errSampleProtocol)
		})
	}

	t.Run("claims the limit, sends a byte", func(t *testing.T) {
		in := []byte{0x02, 0x01, 0, 0, 0, 'x'} // 16 MiB announced
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, _, err := readFrame(bytes.NewReader(in))
		runtime.ReadMemStats(&after)
		require.ErrorIs(t, err, errSampleProtocol)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20),
			"the buffer follows the bytes that came, not the length announced")
	})
}

// TestGSSSampleEnctypes runs both directions, sealed and integrity
// only, with session keys of each enctype, which the KDC picks from the
// service's session_enctypes: our RFC 4121 tokens with RFC 3962 and RFC
// 8009 arithmetic, and our RFC 1964 tokens for rc4-hmac (RFC 4757) and
// des3, against MIT's.
func TestGSSSampleEnctypes(t *testing.T) {
	r := testRealm(t)
	cc := mitKinit(t, r)
	for _, enctype := range []string{
		"aes128-cts-hmac-sha1-96",
		"aes128-cts-hmac-sha256-128",
		"aes256-cts-hmac-sha384-192",
		"arcfour-hmac",
		"des3-cbc-sha1",
	} {
		t.Run(enctype, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// A name of its own each run, so that -count=N works.
			host := fmt.Sprintf("%s-%d.localhost", strings.ReplaceAll(enctype, "-", ""),
				time.Now().UnixNano())
			spn := "HTTP/" + host
			require.NoError(t, r.AddPrincipal(ctx, spn, ""))
			_, err := r.KadminLocal(ctx, "setstr "+spn+" session_enctypes "+enctype)
			require.NoError(t, err)
			kt := filepath.Join(t.TempDir(), "kt")
			require.NoError(t, r.ExportKeytab(ctx, spn, kt))
			service := "HTTP@" + host

			port, out, errOut := startSampleServer(t, kt, service)
			for _, args := range [][]string{nil, {"-nx"}} {
				all := append([]string{"-port", port}, args...)
				all = append(all, "127.0.0.1", service, "to us")
				cmd := r.Command(ctx, "gss-client", all...)
				cmd.Env = append(cmd.Env, "KRB5CCNAME=FILE:"+cc)
				b, err := cmd.CombinedOutput()
				require.NoError(t, err, "gss-client: %s\nour server: %s", b, errOut)
				assert.Contains(t, string(b), "Signature verified.")
			}
			assert.Contains(t, out.String(), `Received message: "to us"`)
			assert.Contains(t, out.String(), "context enctype: "+enctype)
			assert.Empty(t, errOut.String())

			for _, args := range [][]string{nil, {"-nx"}} {
				port, wait := mitSampleServer(t, r, kt, service)
				all := append([]string{"gss-client", "-c", cc, "-port", port}, args...)
				all = append(all, "127.0.0.1", service, "to MIT")
				code, stdout, stderr := runCmd(t, r, "", all...)
				log := wait()
				require.Equal(t, 0, code, "stderr: %s\nMIT log: %s", stderr, log)
				assert.Contains(t, stdout, "Signature verified.")
				assert.Contains(t, stdout, "context enctype: "+enctype)
				assert.Contains(t, log, `Received message: "to MIT"`)
			}

			list, err := r.Command(ctx, "klist", "-e", "-c", cc).CombinedOutput()
			require.NoError(t, err, "%s", list)
			assert.Regexp(t, spn+`@\S+\n.*\n?.*Etype \(skey, tkt\): (DEPRECATED:)?`+enctype, string(list),
				"the session key has the enctype asked for")
		})
	}
}

func TestParseMechs(t *testing.T) {
	got, err := parseMechs("ntlm, KRB5,1.2.3.4")
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, "1.3.6.1.4.1.311.2.2.10", got[0].String())
	assert.Equal(t, "1.2.840.113554.1.2.2", got[1].String())
	assert.Equal(t, "1.2.3.4", got[2].String())
	for _, bad := range []string{"", "kerberos", "1", "1.x.3", "1.-2"} {
		_, err := parseMechs(bad)
		assert.Error(t, err, "%q", bad)
	}
}
