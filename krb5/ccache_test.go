package krb5_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestUpdateCCacheKeepsMITEntries: a cache made by MIT's kinit and kvno
// keeps, after our client stored a ticket into it, MIT's configuration
// entries, its TGT and its service ticket, each once, plus ours; MIT's
// klist lists them and MIT's kvno uses our ticket. A cache of another
// principal is left alone.
func TestUpdateCCacheKeepsMITEntries(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	// Names of their own each run, so that -count=N works.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	other := "HTTP/update-" + run + ".localhost"
	carol := "carol-" + run
	require.NoError(t, r.AddPrincipal(ctx, other, ""))
	cc := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+cc, r.User, r.Password))
	out, err := r.Command(ctx, "kvno", "-c", cc, r.Service).CombinedOutput()
	require.NoError(t, err, "%s", out)
	before, err := ccachefile.ReadFile(cc)
	require.NoError(t, err)
	defer before.Wipe()

	c, err := krb5.NewFromCCache(cc, cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ServiceTicket(ctx, other)
	require.NoError(t, err)
	require.NoError(t, c.UpdateCCache(cc))

	after, err := ccachefile.ReadFile(cc)
	require.NoError(t, err)
	defer after.Wipe()
	servers := map[string]int{}
	for _, cred := range after.Credentials {
		servers[cred.Server.String()]++
	}
	for _, cred := range before.Credentials {
		assert.Equal(t, 1, servers[cred.Server.String()], "%s once", cred.Server)
		if cred.IsConfig() {
			v, ok := after.Config(cred.Server.Components[1], nil)
			if len(cred.Server.Components) == 2 {
				assert.True(t, ok)
				assert.Equal(t, cred.Ticket, v, "%s kept", cred.Server)
			}
		}
	}
	assert.Equal(t, 1, servers[other+"@"+r.Name])
	assert.Len(t, after.Credentials, len(before.Credentials)+1)

	out, err = r.Command(ctx, "klist", "-c", cc).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), other+"@"+r.Name)
	assert.Contains(t, string(out), r.ServicePrincipal)
	out, err = r.Command(ctx, "kvno", "-c", cc, other).CombinedOutput()
	require.NoError(t, err, "%s", out)

	// Another principal's cache is not touched.
	theirs := filepath.Join(t.TempDir(), "theirs")
	require.NoError(t, r.AddPrincipal(ctx, carol, "carol's password"))
	require.NoError(t, r.Kinit(ctx, "FILE:"+theirs, carol, "carol's password"))
	err = c.UpdateCCache(theirs)
	require.ErrorIs(t, err, krb5.ErrCCFormat)
	assert.Contains(t, err.Error(), carol+"@"+r.Name)

	// A cache that does not exist is created.
	fresh := filepath.Join(t.TempDir(), "fresh")
	require.NoError(t, c.UpdateCCache(fresh))
	made, err := krb5.NewFromCCache(fresh, cfg, krb5.DisableAutoRenew())
	require.NoError(t, err)
	require.NoError(t, made.Close())
}
