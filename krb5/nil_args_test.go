package krb5_test

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// TestNilArguments passes nil where the constructors take a gokrb5 value
// or a configuration: each fails with an error naming what is missing,
// as a gokrb5 caller migrating code would want, never with a panic.
func TestNilArguments(t *testing.T) {
	tests := []struct {
		name, says string
		call       func() error
	}{
		{"NewKeytab", "nil keytab", func() error {
			_, err := krb5.NewKeytab(nil)
			return err
		}},
		{"NewWithKeytab", "nil keytab", func() error {
			_, err := krb5.NewWithKeytab("alice", "X.TEST", nil, nil)
			return err
		}},
		{"NewWithPassword", "nil configuration", func() error {
			_, err := krb5.NewWithPassword("alice", "X.TEST", "pw", nil)
			return err
		}},
		{"NewFromGokrb5CCache", "nil credential cache", func() error {
			_, err := krb5.NewFromGokrb5CCache(nil, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tt.call() })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.says)
		})
	}
}

// TestHandMadeServiceTicket uses a ServiceTicket built from its exported
// fields, which has no session key: UseSessionKey fails with
// ErrNoSessionKey and never calls f.
func TestHandMadeServiceTicket(t *testing.T) {
	tkt := &krb5.ServiceTicket{ServerRealm: "X.TEST"}
	var err error
	require.NotPanics(t, func() {
		err = tkt.UseSessionKey(func(types.EncryptionKey) error {
			t.Error("f ran without a key")
			return nil
		})
	})
	require.ErrorIs(t, err, krb5.ErrNoSessionKey)
}
