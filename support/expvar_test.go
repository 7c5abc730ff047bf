package support_test

import (
	"encoding/json"
	"expvar"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/support"
)

func TestPublishExpvar(t *testing.T) {
	require.NoError(t, support.PublishExpvar("safekrb5_test"))
	assert.Error(t, support.PublishExpvar("safekrb5_test"), "a name is published once")

	s, err := support.NewSecretString("x")
	require.NoError(t, err)
	defer s.Destroy()

	var got map[string]support.Stats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get("safekrb5_test").String()), &got))
	require.Contains(t, got, "support")
	require.Contains(t, got, "krb5")
	require.Contains(t, got, "gssapi")
	assert.Equal(t, "loaded", got["support"].State)
	assert.Equal(t, 1, got["support"].Objects["secret"])
}
