package kcrypto

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One key encrypting, decrypting and summing on several goroutines at
// once, over two usages and lengths on both sides of the bulk threshold
// (where the prepared HMACs, kept hash states and stitched loops run),
// gives what gokrb5 gives: its ciphertexts decrypt with gokrb5, it
// decrypts gokrb5's, and its checksums equal gokrb5's. Run with -race.
func TestConcurrentUseAgreesWithGokrb5(t *testing.T) {
	for _, et := range allETypes[:4] {
		t.Run(fmt.Sprint(et), func(t *testing.T) {
			g, err := crypto.GetEtype(et)
			require.NoError(t, err)
			p, _ := profileOf(et)
			base := make([]byte, p.keyLen)
			rand.Read(base)
			k, err := NewKey(et, base)
			require.NoError(t, err)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 12 {
						usage := uint32(3 + (w+i)%2)
						n := []int{0, 17, 64, 511, 512, 700, 1029, 4096}[(w*5+i)%8]
						msg := make([]byte, n)
						rand.Read(msg)
						ct, err := k.Encrypt(nil, usage, msg)
						if !assert.NoError(t, err) {
							return
						}
						plain, err := g.DecryptMessage(base, ct, usage)
						if !assert.NoError(t, err, "gokrb5 decrypting ours, %d bytes", n) ||
							!assert.True(t, bytes.Equal(msg, plain[:n])) {
							return
						}
						_, gct, err := g.EncryptMessage(base, msg, usage)
						if !assert.NoError(t, err) {
							return
						}
						got, err := k.DecryptAppend(nil, usage, gct)
						if !assert.NoError(t, err, "decrypting gokrb5's, %d bytes", n) ||
							!assert.True(t, bytes.Equal(msg, got)) {
							return
						}
						want, err := g.GetChecksumHash(base, msg, usage)
						if !assert.NoError(t, err) {
							return
						}
						sum, err := k.Checksum(nil, usage, msg)
						if !assert.NoError(t, err) || !assert.Equal(t, want, sum) {
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
