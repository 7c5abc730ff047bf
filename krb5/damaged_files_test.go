package krb5_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/keytabfile"
	"github.com/safekrb5/safekrb5/krb5"
)

// damagedCopies calls f with every damaged copy of raw: each prefix, and
// raw with each byte inverted, which turns the high byte of every length
// field into a huge one and every small count into a large one.
func damagedCopies(raw []byte, f func(what string, b []byte)) {
	for n := 0; n < len(raw); n++ {
		f("prefix of "+strconv.Itoa(n)+" bytes", raw[:n])
	}
	b := make([]byte, len(raw))
	for i := range raw {
		copy(b, raw)
		b[i] ^= 0xff
		f("byte "+strconv.Itoa(i)+" inverted", b)
	}
}

// leaks reports which of the keys appears in s: as raw bytes, in hex, in
// base64 or as Go prints a byte slice.
func leaks(s string, keys [][]byte) bool {
	for _, k := range keys {
		if len(k) < 8 {
			continue
		}
		for _, form := range []string{string(k), hex.EncodeToString(k),
			strings.ToUpper(hex.EncodeToString(k)), base64.StdEncoding.EncodeToString(k),
			fmt.Sprint(k)[1 : len(fmt.Sprint(k))-1]} {
			if strings.Contains(s, form) {
				return true
			}
		}
	}
	return false
}

// checkDamaged runs open on a file holding each damaged copy of a golden
// file: it must return within a second, without a panic, and an error
// must name the file and carry none of the keys.
func checkDamaged(t *testing.T, golden string, keys [][]byte,
	open func(path string) (func(), error)) {
	raw, err := os.ReadFile(golden)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), filepath.Base(golden))
	failures, opened := 0, 0
	damagedCopies(raw, func(what string, b []byte) {
		require.NoError(t, os.WriteFile(path, b, 0o600))
		begin := time.Now()
		var closeIt func()
		require.NotPanics(t, func() { closeIt, err = open(path) }, what)
		if d := time.Since(begin); d > time.Second {
			t.Errorf("%s: took %v", what, d)
		}
		if err == nil {
			opened++
			closeIt()
			return
		}
		failures++
		msg := err.Error()
		if !strings.Contains(msg, path) {
			t.Errorf("%s: the error does not name the file: %v", what, err)
		}
		if leaks(msg, keys) {
			t.Errorf("%s: the error carries a key", what)
		}
	})
	require.Positive(t, failures)
	t.Logf("%s: %d damaged copies refused, %d still readable", filepath.Base(golden),
		failures, opened)
}

// TestDamagedCCaches opens every damaged copy of the credential caches
// MIT's kinit and kvno wrote (testdata/ccache) with NewFromCCache.
func TestDamagedCCaches(t *testing.T) {
	cfg, err := krb5.ParseConfig("test", []byte("[libdefaults]\n default_realm = EXAMPLE.TEST\n"))
	require.NoError(t, err)
	for _, name := range []string{"v4-tgt.ccache", "v4-tgt-svc.ccache", "v3-tgt.ccache"} {
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("..", "testdata", "ccache", name)
			cc, err := ccachefile.ReadFile(golden)
			require.NoError(t, err)
			var keys [][]byte
			for _, c := range cc.Credentials {
				keys = append(keys, append([]byte(nil), c.Key.Value...))
			}
			checkDamaged(t, golden, keys, func(path string) (func(), error) {
				c, err := krb5.NewFromCCache("FILE:"+path, cfg, krb5.DisableAutoRenew())
				if err != nil {
					return nil, err
				}
				return func() { c.Close() }, nil
			})
		})
	}
}

// TestDamagedKeytabs loads every damaged copy of the keytabs MIT's
// kadmin and ktutil wrote (testdata/keytab) with LoadKeytab.
func TestDamagedKeytabs(t *testing.T) {
	for _, name := range []string{"host.keytab", "alice-norandkey.keytab", "ktutil.keytab",
		"hole.keytab"} {
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("..", "testdata", "keytab", name)
			kt, err := keytabfile.ReadFile(golden)
			require.NoError(t, err)
			var keys [][]byte
			for _, e := range kt.Entries {
				keys = append(keys, append([]byte(nil), e.Key.Value...))
			}
			checkDamaged(t, golden, keys, func(path string) (func(), error) {
				k, err := krb5.LoadKeytab(path)
				if err != nil {
					return nil, err
				}
				return func() { k.Close() }, nil
			})
		})
	}
}
