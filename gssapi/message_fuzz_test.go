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
// refused with an error or give a message, never panic. A second
// acceptor takes the same tokens through UnwrapAppend, after a prefix,
// and must come to the same result.
func FuzzUnwrap(f *testing.F) {
	ini, acc := fuzzContexts(f)
	_, acc2 := fuzzContexts(f)
	long := bytes.Repeat([]byte("a longer seed message "), 100)
	for _, m := range [][]byte{[]byte("seed message"), long, long} {
		for _, conf := range []bool{false, true} {
			tok, err := ini.Wrap(m, conf)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(tok)
		}
	}
	var buf []byte
	f.Fuzz(func(t *testing.T, tok []byte) {
		msg, conf, err := acc.Unwrap(tok)
		buf = append(buf[:0], "prefix"...)
		got, conf2, err2 := acc2.UnwrapAppend(buf, tok)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("Unwrap: %v, UnwrapAppend: %v", err, err2)
		}
		if string(got) != "prefix"+string(msg) || conf2 != conf {
			t.Fatalf("UnwrapAppend gave %d bytes, conf %v; Unwrap %d bytes, conf %v",
				len(got), conf2, len(msg), conf)
		}
		if len(got) >= len(buf) {
			buf = got
		}
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
