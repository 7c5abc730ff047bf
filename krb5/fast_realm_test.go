package krb5

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// TestFASTRequiredRealmLife runs a client's whole life in an MIT realm
// that requires FAST: an armored login, a TGT renewal inside FAST, and a
// password change, whose initial ticket for kadmin/changepw needs the
// armor too; then a login with the new password.
func TestFASTRequiredRealmLife(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{RequireFAST: true, Kadmind: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	kt, err := LoadKeytab(r.Keytab)
	require.NoError(t, err)
	defer kt.Close()
	armor, err := NewWithKeytab(r.Service, r.Name, kt, cfg, DisableAutoRenew())
	require.NoError(t, err)
	defer armor.Close()
	require.NoError(t, armor.Login(ctx))

	var log strings.Builder
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewWithPassword(r.User, r.Name, r.Password, cfg, WithArmor(armor),
		WithLogger(logger), DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))

	old := c.currentTGT()
	require.True(t, old.Renewable())
	require.NoError(t, c.refresh(ctx, old))
	assert.NotSame(t, old, c.currentTGT())
	assert.Contains(t, log.String(), "msg=TGS-REQ")
	assert.Contains(t, log.String(), "renew=true fast=true")

	newPassword := "renewed-" + r.Password
	require.NoError(t, c.ChangePassword(ctx, newPassword))
	again, err := NewWithPassword(r.User, r.Name, newPassword, cfg, WithArmor(armor),
		DisableAutoRenew())
	require.NoError(t, err)
	defer again.Close()
	require.NoError(t, again.Login(ctx))
}
