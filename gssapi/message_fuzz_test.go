package gssapi

import (
	"bytes"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
)

// fuzzKey is the fixed context key of the fuzz targets, so that the
// seed tokens in testdata/fuzz, made with it, pass the integrity check
// and the fuzzer explores what follows.
var fuzzKey = bytes.Repeat([]byte{0x5a}, 32)

// fuzzContexts returns an initiator and an acceptor sharing fuzzKey
// (aes256-cts-hmac-sha1-96), with replay and sequence detection.
func fuzzContexts(tb testing.TB) (ini, acc *SecurityContext) {
	tb.Helper()
	mk := func(initiator bool) *SecurityContext {
		key := types.EncryptionKey{KeyType: 18, KeyValue: append([]byte(nil), fuzzKey...)}
		sc, err := newContext(&SecurityContext{Flags: DefaultInitFlags,
			initiator: initiator, sendSeq: 7, recvSeq: 7}, key, nil)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { sc.Close() })
		return sc
	}
	return mk(true), mk(false)
}

// FuzzUnwrap feeds arbitrary Wrap tokens to an acceptor: each must be
// refused with an error or give a message, never panic.
func FuzzUnwrap(f *testing.F) {
	ini, acc := fuzzContexts(f)
	for _, conf := range []bool{false, true} {
		tok, err := ini.Wrap([]byte("seed message"), conf)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		msg, conf, err := acc.Unwrap(tok)
		if err != nil {
			if msg != nil && !IsSequenceError(err) {
				t.Fatalf("message returned with error %v", err)
			}
			return
		}
		if conf != (tok[2]&flagSealed != 0) {
			t.Fatalf("conf %v for flags %#x", conf, tok[2])
		}
	})
}

// FuzzVerifyMIC feeds arbitrary MIC tokens and messages to an acceptor.
func FuzzVerifyMIC(f *testing.F) {
	ini, acc := fuzzContexts(f)
	tok, err := ini.MIC([]byte("seed message"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("seed message"), tok)
	f.Fuzz(func(t *testing.T, msg, tok []byte) {
		if err := acc.VerifyMIC(msg, tok); err == nil && len(tok) < cfxHeaderLen {
			t.Fatalf("a %d-byte token verified", len(tok))
		}
	})
}
