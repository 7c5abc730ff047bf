package krb5_test

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestCloseWipesKeys keeps, against the rules, the slices that
// UseSessionKey and UseKey hand out, closes their owners, and checks
// that the memory behind them was overwritten with zeros.
func TestCloseWipesKeys(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	kt, err := krb5.LoadKeytab(r.UserKeytab)
	require.NoError(t, err)
	c, err := krb5.NewWithKeytab(r.User, r.Name, kt, realmConfig(t, r))
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	st, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	tgt, err := c.TGT()
	require.NoError(t, err)

	var leaked [][]byte
	for _, tk := range []*krb5.ServiceTicket{st, tgt} {
		require.NoError(t, tk.UseSessionKey(func(k types.EncryptionKey) error {
			leaked = append(leaked, k.KeyValue)
			return nil
		}))
	}
	name := c.Principal()
	etypes, err := kt.ETypes(name, r.Name)
	require.NoError(t, err)
	for _, e := range etypes {
		require.NoError(t, kt.UseKey(name, r.Name, 0, e,
			func(k types.EncryptionKey, _ uint32) error {
				leaked = append(leaked, k.KeyValue)
				return nil
			}))
	}
	for _, b := range leaked {
		require.NotEqual(t, make([]byte, len(b)), b, "keys are not zero before Close")
	}

	require.NoError(t, c.Close())
	require.NoError(t, kt.Close())
	for i, b := range leaked {
		assert.True(t, bytes.Equal(b, make([]byte, len(b))), "key %d not wiped", i)
	}
	assert.ErrorIs(t, st.UseSessionKey(func(types.EncryptionKey) error { return nil }),
		krb5.ErrClosed)
}
