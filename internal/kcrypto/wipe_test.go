package kcrypto

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWipeReachesKeptHashStates: the hash states a key keeps between
// messages for its prepared HMACs hold the states after the padded key
// blocks again; Wipe overwrites every one of them, block buffer
// included, and a prepared HMAC gives no run after it.
func TestWipeReachesKeptHashStates(t *testing.T) {
	for _, et := range allETypes[:4] {
		t.Run(fmt.Sprint(et), func(t *testing.T) {
			p, _ := profileOf(et)
			k, err := NewKey(et, bytes.Repeat([]byte{0x5a}, p.keyLen))
			require.NoError(t, err)
			msg := bytes.Repeat([]byte("m"), 700)
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 20 {
						ct, err := k.Encrypt(nil, 3, msg)
						assert.NoError(t, err)
						_, err = k.Decrypt(3, ct)
						assert.NoError(t, err)
						_, err = k.Checksum(nil, 4, msg[:10])
						assert.NoError(t, err)
					}
				}()
			}
			wg.Wait()
			var prepared []*preparedMAC
			for _, d := range k.derived {
				for _, m := range []*preparedMAC{d.hi, d.hc} {
					if m != nil {
						prepared = append(prepared, m)
					}
				}
			}
			require.Len(t, prepared, 2, "Ki of usage 3 and Kc of usage 4")
			var runs []*preparedRun
			for _, m := range prepared {
				require.NotEmpty(t, m.runs)
				runs = append(runs, m.runs...)
				// A kept run holds the saved outer state.
				st, err := m.runs[0].outer.MarshalBinary()
				require.NoError(t, err)
				require.NotEqual(t, m.blank, st[:len(m.blank)])
			}
			k.Wipe()
			for _, m := range prepared {
				assert.Nil(t, m.start(), "a run after Wipe")
			}
			for i, r := range runs {
				for _, h := range []stateHash{r.inner, r.outer} {
					st, err := h.MarshalBinary()
					require.NoError(t, err)
					assert.Equal(t, r.p.blank, st, "run %d: state", i)
					assert.True(t, zeroBuffer(t, h), "run %d: block buffer", i)
				}
				assert.Equal(t, [sha1StateLen]byte{}, r.state, "run %d", i)
				assert.Equal(t, [64]byte{}, r.sum, "run %d", i)
			}
		})
	}
}

// zeroBuffer reports whether the block buffer of the standard library's
// hash h (its array field x) is all zeros.
func zeroBuffer(t *testing.T, h stateHash) bool {
	v := reflect.ValueOf(h)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	x := v.FieldByName("x")
	if !x.IsValid() {
		// crypto/sha256 and sha512 wrap the digest of
		// crypto/internal/fips140.
		for i := 0; i < v.NumField() && !x.IsValid(); i++ {
			f := v.Field(i)
			for f.Kind() == reflect.Pointer || f.Kind() == reflect.Interface {
				f = f.Elem()
			}
			if f.Kind() == reflect.Struct {
				x = f.FieldByName("x")
			}
		}
	}
	require.True(t, x.IsValid(), "no block buffer in %T", h)
	for i := range x.Len() {
		if x.Index(i).Uint() != 0 {
			return false
		}
	}
	return true
}

// recordingHash is a hash of the standard library that prepareHMAC may
// use, each instance recorded.
type recordingHash struct{ stateHash }

// prepareHMAC leaves no hash it made holding a saved state: the one
// that hashed the padded keys is overwritten before it returns.
func TestPrepareHMACLeavesNoState(t *testing.T) {
	for _, newHash := range []func() hash.Hash{sha1.New, sha256.New, sha512.New384} {
		var made []*recordingHash
		rec := func() hash.Hash {
			h := &recordingHash{newHash().(stateHash)}
			made = append(made, h)
			return h
		}
		p := prepareHMAC(rec, bytes.Repeat([]byte{0x42}, 32))
		require.NotNil(t, p)
		require.NotEmpty(t, made)
		for i, h := range made {
			st, err := h.MarshalBinary()
			require.NoError(t, err)
			assert.NotEqual(t, p.inner, st, "hash %d holds the inner state", i)
			assert.NotEqual(t, p.outer, st, "hash %d holds the outer state", i)
			assert.True(t, zeroBuffer(t, h.stateHash), "hash %d: block buffer", i)
		}
	}
}
