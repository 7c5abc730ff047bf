package testsamba

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := RemoveTemplate(); err != nil {
		code = 1
	}
	os.Exit(code)
}

func TestDCIssuesTickets(t *testing.T) {
	var log bytes.Buffer
	begin := time.Now()
	d := ForTest(t, Options{Log: &log})
	t.Logf("DC started in %v\n%s", time.Since(begin), log.String())
	assert.NotContains(t, log.String(), d.Password)
	assert.True(t, strings.HasPrefix(d.DomainSID, "S-1-5-21-"), d.DomainSID)
	for _, p := range []string{d.Keytab, d.AESKeytab, d.KrbtgtKeytab} {
		assert.FileExists(t, p)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kinit := run(ctx, d, d.Password+"\n", "kinit", d.UserPrincipal)
	require.NoError(t, kinit.err, "kinit: %s", kinit.out)
	kvno := run(ctx, d, "", "kvno", d.Service, d.AESService)
	require.NoError(t, kvno.err, "kvno: %s", kvno.out)

	// A second DC from the same template starts without provisioning.
	begin = time.Now()
	d2 := ForTest(t, Options{})
	t.Logf("second DC started in %v", time.Since(begin))
	assert.NotEqual(t, d.KDCPort, d2.KDCPort)
	require.NoError(t, d2.Stop())
	_, err := os.Stat(d2.Dir)
	assert.True(t, os.IsNotExist(err))
}
