package krb5_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// traceLog collects a client's trace events, for tests that check which
// path an exchange took.
type traceLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *traceLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *traceLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *traceLog) option() krb5.Option {
	return krb5.WithLogger(slog.New(slog.NewTextHandler(l,
		&slog.HandlerOptions{Level: slog.LevelDebug})))
}

// serviceArmor logs the realm's service in with its keytab, for its TGT
// to armor other logins.
func serviceArmor(t *testing.T, ctx context.Context, r *testrealm.Realm) *krb5.Client {
	t.Helper()
	kt, err := krb5.LoadKeytab(r.Keytab)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	c, err := krb5.NewWithKeytab(r.Service, r.Name, kt, realmConfig(t, r))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Login(ctx))
	return c
}

func TestFASTMITRequired(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{RequireFAST: true})
	ctx := ctxT(t)
	armor := serviceArmor(t, ctx, r)

	plain := passwordClient(t, r)
	err := plain.Login(ctx)
	require.ErrorIs(t, err, krb5.ErrFASTRequired)

	var log traceLog
	c := passwordClient(t, r, krb5.WithArmor(armor), log.option())
	require.NoError(t, c.Login(ctx))
	tkt, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	assert.Equal(t, r.UserPrincipal, tkt.ClientName())
	t.Log(log.String())
	assert.True(t, strings.Contains(log.String(), "fast=true"))
}
