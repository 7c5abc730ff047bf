package testheimdal

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStartIssuesTickets(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	begin := time.Now()
	r := ForTest(t, Options{Kpasswdd: true, Log: &log})
	t.Logf("realm started in %v\n%s", time.Since(begin), log.String())

	assert.Equal(t, DefaultRealm, r.Name)
	assert.Equal(t, "127.0.0.1", r.Host)
	assert.NotZero(t, r.KDCPort)
	assert.NotZero(t, r.KpasswdPort)
	assert.FileExists(t, r.Keytab)
	assert.NotContains(t, log.String(), r.Password)
	assert.NotContains(t, log.String(), r.SaltPassword)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, r.Kinit(ctx, "", r.UserPrincipal, r.Password))
	out, err := r.Command(ctx, kgetcredPath, r.ServicePrincipal).
		CombinedOutput()
	require.NoError(t, err, "kgetcred: %s", out)

	err = r.Kinit(ctx, "", r.UserPrincipal, "wrong-"+r.Password)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), r.Password)

	keys, err := r.Kadmin(ctx, "get", "-o", "keytypes", r.SaltUser)
	require.NoError(t, err)
	assert.Contains(t, keys, r.Salt)
}

func TestStopEndsDaemons(t *testing.T) {
	t.Parallel()
	r := ForTest(t, Options{})
	pids := r.PIDs()
	require.Len(t, pids, 1)
	require.NoError(t, r.Stop())
	require.NoError(t, r.Stop())
	_, err := os.Stat(r.Dir)
	assert.True(t, os.IsNotExist(err))
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pids[0]) + "/cmdline")
	if err == nil {
		assert.False(t, strings.Contains(string(b), "kdc"),
			"kdc still running")
	}
}

func TestMissingPrefix(t *testing.T) {
	t.Setenv(PrefixEnv, t.TempDir())
	_, err := FindPrefix()
	var missing *MissingProgramsError
	require.ErrorAs(t, err, &missing)
	assert.ErrorIs(t, err, ErrMissingPrograms)
	assert.Contains(t, err.Error(), "heimdal-kdc")
	assert.Contains(t, err.Error(), "scripts/heimdal.sh")
}
