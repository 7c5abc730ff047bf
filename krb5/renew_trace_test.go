package krb5_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestRenewalKeepsTGTFresh asks for a short-lived renewable TGT and
// watches the client's goroutine replace it before it expires; Close
// stops that goroutine.
func TestRenewalKeepsTGTFresh(t *testing.T) {
	r := testRealm(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := ctxT(t)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, realmConfig(t, r),
		krb5.WithLifetime(4*time.Second), krb5.WithRenewableLifetime(time.Hour))
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	first, err := c.TGT()
	require.NoError(t, err)
	require.True(t, first.Renewable())

	deadline := time.Now().Add(15 * time.Second)
	var renewed *krb5.ServiceTicket
	for time.Now().Before(deadline) {
		if t2, err := c.TGT(); err == nil && t2 != first {
			renewed = t2
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NotNil(t, renewed, "the TGT was not renewed")
	assert.Equal(t, first.AuthTime, renewed.AuthTime, "renewed, not a new login")
	assert.True(t, renewed.EndTime.After(first.EndTime))
	require.NoError(t, c.Close())
}

// TestReloginWithoutRenewable: a TGT that is not renewable is replaced by
// a new login with the password.
func TestReloginWithoutRenewable(t *testing.T) {
	r := testRealm(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg,
		krb5.WithLifetime(3*time.Second), krb5.WithRenewableLifetime(-1))
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	first, err := c.TGT()
	require.NoError(t, err)
	require.False(t, first.Renewable())
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if t2, err := c.TGT(); err == nil && t2 != first {
			assert.True(t, t2.AuthTime.After(first.AuthTime), "a new login")
			require.NoError(t, c.Close())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Close()
	t.Fatal("the TGT was not replaced")
}

// TestConcurrentLoginsOneRenewer: many concurrent logins leave exactly
// one renewal goroutine, which Close stops (goleak checks).
func TestConcurrentLoginsOneRenewer(t *testing.T) {
	r := testRealm(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := ctxT(t)
	c := passwordClient(t, r)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, c.Login(ctx))
		}()
	}
	wg.Wait()
	require.NoError(t, c.Close())
}

// syncBuffer is a bytes.Buffer safe for the renewal goroutine's logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTraceHasNoSecrets traces a full login and a service ticket and
// checks the trace for the password and the session keys in every
// encoding a logger might use.
func TestTraceHasNoSecrets(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	c, buf := tracedClient(t, r)
	require.NoError(t, c.Login(ctx))
	st, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	tgt, err := c.TGT()
	require.NoError(t, err)

	trace := buf.String()
	for _, want := range []string{"AS-REQ", "KRB-ERROR", "AS-REP", "TGS-REQ", "TGS-REP"} {
		assert.Contains(t, trace, want)
	}
	assert.NotContains(t, trace, r.Password)
	for _, tk := range []*krb5.ServiceTicket{st, tgt} {
		require.NoError(t, tk.UseSessionKey(func(k types.EncryptionKey) error {
			for _, enc := range []string{
				hex.EncodeToString(k.KeyValue),
				strings.ToUpper(hex.EncodeToString(k.KeyValue)),
				base64.StdEncoding.EncodeToString(k.KeyValue),
				string(k.KeyValue),
			} {
				assert.NotContains(t, trace, enc)
			}
			return nil
		}))
	}
}

// TestKRB5TraceFile runs a login in a child process with KRB5_TRACE set,
// as a user would, and reads the file it wrote.
func TestKRB5TraceFile(t *testing.T) {
	if os.Getenv("SAFEKRB5_TRACE_CHILD") == "1" {
		traceChild(t)
		return
	}
	r := testRealm(t)
	file := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKRB5TraceFile$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SAFEKRB5_TRACE_CHILD=1", "KRB5_TRACE="+file,
		"KRB5_CONFIG="+r.ConfPath, "TRACE_USER="+r.User, "TRACE_REALM="+r.Name,
		"TRACE_PASSWORD="+r.Password, "TRACE_SERVICE="+r.Service)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	trace := string(b)
	for _, want := range []string{"support: loaded", "krb5: loaded", "AS-REQ", "AS-REP",
		"TGS-REP", "service ticket cache hit", "krb5: tearing down"} {
		assert.Contains(t, trace, want)
	}
	assert.NotContains(t, trace, r.Password)
}

func traceChild(t *testing.T) {
	ctx := ctxT(t)
	cfg, err := krb5.LoadConfig()
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(os.Getenv("TRACE_USER"), os.Getenv("TRACE_REALM"),
		os.Getenv("TRACE_PASSWORD"), cfg)
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	for i := 0; i < 2; i++ {
		_, err = c.ServiceTicket(ctx, os.Getenv("TRACE_SERVICE"))
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())
	require.NoError(t, krb5.Shutdown(ctx))
}

// TestOneStringToKeyPerLogin counts the string-to-key runs of a password
// login, which the KDC makes a pre-authenticated one: the key derived to
// answer PREAUTH_REQUIRED also opens the AS-REP.
func TestOneStringToKeyPerLogin(t *testing.T) {
	r := testRealm(t)
	c, buf := tracedClient(t, r)
	require.NoError(t, c.Login(ctxT(t)))
	trace := buf.String()
	require.Contains(t, trace, "KRB-ERROR", "the KDC asked for pre-authentication")
	assert.Equal(t, 1, strings.Count(trace, "msg=string-to-key"), trace)
}

// tracedClient is a password client whose debug trace goes to the
// returned buffer.
func tracedClient(t *testing.T, r *testrealm.Realm) (*krb5.Client, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return passwordClient(t, r, krb5.WithLogger(log)), buf
}
