package krb5_test

import (
	"bytes"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/krb5"
)

// TestCCacheSessionKeyLength reads caches whose TGT entry holds a
// session key of the wrong length for its enctype: each is refused when
// read, with an error naming the cache and the entry and not the key.
// An entry with a key of the right length gets past that check (and
// fails on its ticket, which here is no ticket).
func TestCCacheSessionKeyLength(t *testing.T) {
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = X.TEST\n"))
	require.NoError(t, err)
	tests := []struct {
		name  string
		etype int32
		key   []byte
		says  string
	}{
		{"aes256 short", 18, bytes.Repeat([]byte{0xa7}, 5),
			"the credential for krbtgt/X.TEST@X.TEST has a session key of 5 bytes, " +
				"but its enctype aes256-cts-hmac-sha1-96 takes 32"},
		{"aes128 long", 17, bytes.Repeat([]byte{0xa7}, 32),
			"has a session key of 32 bytes, but its enctype " +
				"aes128-cts-hmac-sha1-96 takes 16"},
		{"rc4 empty", 23, nil,
			"has a session key of 0 bytes, but its enctype arcfour-hmac takes 16"},
		{"aes256-sha384 short", 20, bytes.Repeat([]byte{0xa7}, 16),
			"has a session key of 16 bytes, but its enctype " +
				"aes256-cts-hmac-sha384-192 takes 32"},
		{"right length", 18, bytes.Repeat([]byte{0xa7}, 32),
			"a ticket for krbtgt/X.TEST@X.TEST does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cc")
			alice := ccachefile.Principal{NameType: 1, Realm: "X.TEST",
				Components: []string{"alice"}}
			now := time.Now()
			cc := &ccachefile.Cache{DefaultPrincipal: alice,
				Credentials: []ccachefile.Credential{{
					Client: alice,
					Server: ccachefile.Principal{NameType: 2, Realm: "X.TEST",
						Components: []string{"krbtgt", "X.TEST"}},
					Key:      ccachefile.Keyblock{Type: tt.etype, Value: tt.key},
					AuthTime: now, StartTime: now, EndTime: now.Add(time.Hour),
					Ticket: []byte{0x61, 0x03, 0x02, 0x01, 0x05},
				}}}
			require.NoError(t, ccachefile.WriteFile(path, cc))

			c, err := krb5.NewFromCCache(path, cfg, krb5.DisableAutoRenew())
			if c != nil {
				c.Close()
			}
			require.ErrorIs(t, err, krb5.ErrCCFormat)
			msg := err.Error()
			assert.Contains(t, msg, tt.says)
			assert.Contains(t, msg, "FILE:"+path)
			assert.NotContains(t, msg, hex.EncodeToString(bytes.Repeat([]byte{0xa7}, 4)))
			assert.NotContains(t, msg, string(bytes.Repeat([]byte{0xa7}, 4)))
		})
	}
}

// TestMITCCacheWithCutKey takes a cache MIT's kinit wrote and cuts its
// TGT's session key short: the cache is refused when read, rather than
// loaded and failing at the first request that uses the key.
func TestMITCCacheWithCutKey(t *testing.T) {
	r := testRealm(t)
	ctx := ctxT(t)
	cfg := realmConfig(t, r)
	path := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, "FILE:"+path, r.User, r.Password))
	c, err := krb5.NewFromCCache(path, cfg, krb5.DisableAutoRenew())
	require.NoError(t, err, "MIT's cache as written reads")
	c.Close()

	cc, err := ccachefile.ReadFile(path)
	require.NoError(t, err)
	defer cc.Wipe()
	cut := false
	for i := range cc.Credentials {
		cred := &cc.Credentials[i]
		if !cred.IsConfig() && cred.Server.Components[0] == "krbtgt" {
			cred.Key.Value = cred.Key.Value[:len(cred.Key.Value)-1]
			cut = true
		}
	}
	require.True(t, cut, "the cache holds a TGT")
	require.NoError(t, ccachefile.WriteFile(path, cc))

	c, err = krb5.NewFromCCache(path, cfg, krb5.DisableAutoRenew())
	if c != nil {
		c.Close()
	}
	require.ErrorIs(t, err, krb5.ErrCCFormat)
	assert.Contains(t, err.Error(), "FILE:"+path)
	assert.Contains(t, err.Error(), "the credential for krbtgt/"+r.Name+"@"+r.Name+
		" has a session key of")
}
