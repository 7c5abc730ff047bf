package kcrypto

import (
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
)

// FuzzDecrypt feeds arbitrary ciphertexts to every enctype: they must
// fail cleanly, never panic, and never decrypt unless they are genuine.
func FuzzDecrypt(f *testing.F) {
	for _, et := range allETypes {
		k, err := newFuzzKey(et)
		if err != nil {
			f.Fatal(err)
		}
		for _, m := range []string{"seed message", "seed message" + strings.Repeat(".", 2000)} {
			ct, err := k.Encrypt(nil, 3, []byte(m))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(et), ct)
		}
	}
	f.Fuzz(func(t *testing.T, et uint8, ct []byte) {
		k, err := newFuzzKey(int32(et))
		if err != nil {
			return
		}
		plain, err := k.Decrypt(3, ct)
		if err == nil && !strings.HasPrefix(string(plain), "seed message") {
			t.Fatalf("forged ciphertext decrypted to %q", plain)
		}
		// Used again, the key has its HMAC prepared, and the SHA-1
		// enctypes hash long messages as they decrypt them: the
		// outcome is the same.
		again, err2 := k.DecryptAppend([]byte("x"), 3, ct)
		if (err == nil) != (err2 == nil) || err == nil && string(again) != "x"+string(plain) {
			t.Fatalf("second decryption: %v, first: %v", err2, err)
		}
	})
}

// newFuzzKey returns a fixed key of enctype et.
func newFuzzKey(et int32) (*Key, error) {
	g, err := crypto.GetEtype(et)
	if err != nil {
		return nil, err
	}
	n := g.GetKeyByteSize()
	if p, ok := profileOf(et); ok {
		n = p.keyLen
	}
	base := make([]byte, n)
	for i := range base {
		base[i] = byte(i)
	}
	return NewKey(et, base)
}
