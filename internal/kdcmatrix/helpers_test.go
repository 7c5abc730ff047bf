package kdcmatrix

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// ctxT is a context bounded for one scenario.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// passwordClient makes a client for name with password, closed with the
// test.
func (k *kdc) passwordClient(t *testing.T, name, password string,
	opts ...krb5.Option) *krb5.Client {
	t.Helper()
	c, err := krb5.NewWithPassword(name, k.realm, password, k.config(t),
		opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// userClient makes a password client for the KDC's user.
func (k *kdc) userClient(t *testing.T, opts ...krb5.Option) *krb5.Client {
	return k.passwordClient(t, k.user, k.password, opts...)
}

// loadKeytab reads a keytab file, closed with the test.
func loadKeytab(t *testing.T, path string) *krb5.Keytab {
	t.Helper()
	kt, err := krb5.LoadKeytab(path)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	return kt
}

// acceptor makes an acceptor credential from a keytab file, closed with
// the test. It verifies PACs' KDC signatures when the KDC has a krbtgt
// keytab.
func (k *kdc) acceptor(t *testing.T, keytab string,
	opts ...gssapi.AcceptorOption) *gssapi.AcceptorCredential {
	t.Helper()
	if k.krbtgtKeytab != "" {
		opts = append(opts, gssapi.WithKrbtgtKeytab(
			loadKeytab(t, k.krbtgtKeytab)))
	}
	cred, err := gssapi.NewAcceptorCredentialFromFile(keytab, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { cred.Close() })
	return cred
}

// establish runs one context establishment from c to cred for spn and
// returns the acceptor's context, closed with the test, or the accept
// error.
func establish(t *testing.T, c *krb5.Client, cred *gssapi.AcceptorCredential,
	spn string) (*gssapi.SecurityContext, error) {
	t.Helper()
	in, tok, err := gssapi.Initiate(ctxT(t), c, spn)
	require.NoError(t, err)
	sc, out, err := cred.Accept(tok)
	if err != nil {
		in.Close()
		return nil, err
	}
	t.Cleanup(func() { sc.Close() })
	isc, err := in.Finish(out)
	require.NoError(t, err)
	isc.Close()
	return sc, nil
}

// traceBuffer collects a client's trace messages.
type traceBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *traceBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *traceBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *traceBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b,
		&slog.HandlerOptions{Level: slog.LevelDebug}))
}
