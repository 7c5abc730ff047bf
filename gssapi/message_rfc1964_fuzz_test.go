package gssapi

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
)

// fuzzV1Contexts returns an initiator and an acceptor sharing a fixed
// key of keyType, an enctype with RFC 1964 tokens, with replay and
// sequence detection.
func fuzzV1Contexts(tb testing.TB, keyType int32) (ini, acc *SecurityContext) {
	tb.Helper()
	n := map[int32]int{23: 16, 16: 24}[keyType]
	mk := func(initiator bool) *SecurityContext {
		key := types.EncryptionKey{KeyType: keyType, KeyValue: bytes.Repeat([]byte{0x5b}, n)}
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

// FuzzUnwrapV1 feeds arbitrary tokens to the Unwrap of rc4-hmac and
// des3 contexts; the first byte of the input picks the context. Each
// token must be refused with an error or give a message, never panic.
func FuzzUnwrapV1(f *testing.F) {
	iniRC4, accRC4 := fuzzV1Contexts(f, 23)
	iniDES3, accDES3 := fuzzV1Contexts(f, 16)
	for i, ini := range []*SecurityContext{iniRC4, iniDES3} {
		for _, conf := range []bool{false, true} {
			tok, err := ini.Wrap([]byte("seed message"), conf)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(i), tok)
		}
	}
	f.Fuzz(func(t *testing.T, pick byte, tok []byte) {
		acc := accRC4
		if pick&1 == 1 {
			acc = accDES3
		}
		msg, conf, err := acc.Unwrap(tok)
		if err != nil {
			if msg != nil && !IsSequenceError(err) {
				t.Fatalf("message returned with error %v", err)
			}
			return
		}
		inner, ierr := v1Inner(tok)
		if ierr != nil {
			t.Fatalf("token accepted whose framing is refused: %v", ierr)
		}
		if conf != (binary.LittleEndian.Uint16(inner[4:6]) != sealNone) {
			t.Fatalf("conf %v for sealing algorithm %x", conf, inner[4:6])
		}
	})
}

// FuzzVerifyMICV1 feeds arbitrary MIC tokens and messages to rc4-hmac
// and des3 contexts.
func FuzzVerifyMICV1(f *testing.F) {
	iniRC4, accRC4 := fuzzV1Contexts(f, 23)
	iniDES3, accDES3 := fuzzV1Contexts(f, 16)
	for i, ini := range []*SecurityContext{iniRC4, iniDES3} {
		tok, err := ini.MIC([]byte("seed message"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(byte(i), []byte("seed message"), tok)
	}
	f.Fuzz(func(t *testing.T, pick byte, msg, tok []byte) {
		acc := accRC4
		if pick&1 == 1 {
			acc = accDES3
		}
		if err := acc.VerifyMIC(msg, tok); err == nil && len(tok) < 2+len(krb5OIDDER)+24 {
			t.Fatalf("a %d-byte token verified", len(tok))
		}
	})
}
