package gssapi

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
)

// cfxEnctypes are the enctypes whose contexts use RFC 4121 tokens.
var cfxEnctypes = []int32{17, 18, 19, 20}

// contextPair makes two ends of one context sharing a random key of
// keyType, as an initiator and an acceptor would after establishment.
func contextPair(t testing.TB, keyType int32, accSubkey bool, flags uint32) (ini, acc *SecurityContext) {
	t.Helper()
	et, err := crypto.GetEtype(keyType)
	require.NoError(t, err)
	k := make([]byte, keySize(et))
	_, err = rand.Read(k)
	require.NoError(t, err)
	key := types.EncryptionKey{KeyType: keyType, KeyValue: k}
	end := time.Now().Add(time.Hour)
	ini, err = newContext(&SecurityContext{Flags: flags, EndTime: end, initiator: true,
		sendSeq: 1000, recvSeq: 5000, acceptorSubkey: accSubkey}, key, nil)
	require.NoError(t, err)
	t.Cleanup(func() { ini.Close() })
	acc, err = newContext(&SecurityContext{Flags: flags, EndTime: end,
		sendSeq: 5000, recvSeq: 1000, acceptorSubkey: accSubkey}, key, nil)
	require.NoError(t, err)
	t.Cleanup(func() { acc.Close() })
	return ini, acc
}

func majorOf(t *testing.T, err error) errortables.GSSMajor {
	t.Helper()
	var ge *errortables.GSSError
	require.True(t, errors.As(err, &ge), "want a *GSSError, got %v", err)
	return ge.Major
}

func TestWrapRoundTrip(t *testing.T) {
	msgs := [][]byte{nil, []byte("x"), []byte("hello, world"), make([]byte, 4099)}
	for _, kt := range cfxEnctypes {
		for _, sub := range []bool{false, true} {
			t.Run(fmt.Sprintf("enctype %d acceptor subkey %v", kt, sub), func(t *testing.T) {
				ini, acc := contextPair(t, kt, sub, DefaultInitFlags)
				for _, m := range msgs {
					for _, conf := range []bool{false, true} {
						for _, dir := range [][2]*SecurityContext{{ini, acc}, {acc, ini}} {
							tok, err := dir[0].Wrap(m, conf)
							require.NoError(t, err)
							got, gotConf, err := dir[1].Unwrap(tok)
							require.NoError(t, err)
							assert.Equal(t, conf, gotConf)
							assert.Equal(t, len(m), len(got))
							assert.Equal(t, string(m), string(got))
						}
					}
					for _, dir := range [][2]*SecurityContext{{ini, acc}, {acc, ini}} {
						tok, err := dir[0].MIC(m)
						require.NoError(t, err)
						require.NoError(t, dir[1].VerifyMIC(m, tok))
					}
				}
			})
		}
	}
}

func TestWrapTokenLayout(t *testing.T) {
	ini, acc := contextPair(t, 18, true, DefaultInitFlags)
	tok, err := acc.Wrap([]byte("abc"), false)
	require.NoError(t, err)
	// RFC 4121 section 4.2.6.2: TOK_ID, flags, filler, EC, RRC, SND_SEQ.
	assert.Equal(t, []byte{0x05, 0x04}, tok[0:2])
	assert.Equal(t, byte(flagSentByAcceptor|flagAcceptorSubkey), tok[2])
	assert.Equal(t, byte(0xff), tok[3])
	assert.EqualValues(t, 12, binary.BigEndian.Uint16(tok[4:6]), "EC is the checksum length")
	assert.EqualValues(t, 0, binary.BigEndian.Uint16(tok[6:8]))
	assert.EqualValues(t, 5000, binary.BigEndian.Uint64(tok[8:16]))
	assert.Equal(t, "abc", string(tok[16:19]))

	mic, err := ini.MIC([]byte("abc"))
	require.NoError(t, err)
	// RFC 4121 section 4.2.6.1.
	assert.Equal(t, []byte{0x04, 0x04, flagAcceptorSubkey, 0xff, 0xff, 0xff, 0xff, 0xff},
		mic[0:8])
	assert.EqualValues(t, 1000, binary.BigEndian.Uint64(mic[8:16]))
	assert.Len(t, mic, 16+12)
}

// rotate rotates a Wrap token's body right by rrc bytes and records rrc
// in the header, as Windows sends tokens (RFC 4121 section 4.2.5).
func rotate(tok []byte, rrc int) []byte {
	out := append([]byte(nil), tok[:16]...)
	body := tok[16:]
	r := rrc % len(body)
	out = append(out, body[len(body)-r:]...)
	out = append(out, body[:len(body)-r]...)
	binary.BigEndian.PutUint16(out[6:8], uint16(rrc))
	return out
}

func TestUnwrapRotated(t *testing.T) {
	for _, conf := range []bool{false, true} {
		for _, rrc := range []int{1, 16, 28, 60, 1000} {
			t.Run(fmt.Sprintf("conf %v rrc %d", conf, rrc), func(t *testing.T) {
				ini, acc := contextPair(t, 17, false, DefaultInitFlags)
				tok, err := ini.Wrap([]byte("rotated message"), conf)
				require.NoError(t, err)
				got, _, err := acc.Unwrap(rotate(tok, rrc))
				require.NoError(t, err)
				assert.Equal(t, "rotated message", string(got))
			})
		}
	}
}

func TestUnwrapRefusesBadTokens(t *testing.T) {
	ini, acc := contextPair(t, 18, false, DefaultInitFlags)
	wrap := func(conf bool) []byte {
		tok, err := ini.Wrap([]byte("a message of some length"), conf)
		require.NoError(t, err)
		return tok
	}
	flip := func(tok []byte, i int) []byte {
		out := append([]byte(nil), tok...)
		out[i] ^= 0x01
		return out
	}
	cases := []struct {
		name  string
		tok   func() []byte
		major errortables.GSSMajor
	}{
		{"empty", func() []byte { return nil }, errortables.GSSDefectiveToken},
		{"short header", func() []byte { return wrap(true)[:10] }, errortables.GSSDefectiveToken},
		{"header only", func() []byte { return wrap(true)[:16] }, errortables.GSSDefectiveToken},
		{"truncated sealed", func() []byte { t := wrap(true); return t[:len(t)-1] },
			errortables.GSSBadSig},
		{"truncated signed", func() []byte { t := wrap(false); return t[:len(t)-1] },
			errortables.GSSBadSig},
		{"sealed body bit", func() []byte { return flip(wrap(true), 40) }, errortables.GSSBadSig},
		{"signed body bit", func() []byte { return flip(wrap(false), 20) }, errortables.GSSBadSig},
		{"signed checksum bit", func() []byte { t := wrap(false); return flip(t, len(t)-1) },
			errortables.GSSBadSig},
		{"sealed sequence number", func() []byte { return flip(wrap(true), 15) },
			errortables.GSSDefectiveToken},
		{"signed sequence number", func() []byte { return flip(wrap(false), 15) },
			errortables.GSSBadSig},
		{"token ID", func() []byte { return flip(wrap(true), 1) }, errortables.GSSDefectiveToken},
		{"filler", func() []byte { return flip(wrap(true), 3) }, errortables.GSSDefectiveToken},
		{"signed EC", func() []byte { return flip(wrap(false), 5) }, errortables.GSSDefectiveToken},
		{"direction", func() []byte { return flip(wrap(true), 2) }, errortables.GSSBadSig},
		{"acceptor subkey flag", func() []byte { t := wrap(true); t[2] |= flagAcceptorSubkey; return t },
			errortables.GSSBadSig},
		{"sealed flag cleared", func() []byte { t := wrap(true); t[2] &^= flagSealed; return t },
			errortables.GSSDefectiveToken},
		{"MIC token", func() []byte { m, _ := ini.MIC([]byte("x")); return m },
			errortables.GSSDefectiveToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg, _, err := acc.Unwrap(c.tok())
			require.Error(t, err)
			assert.Nil(t, msg)
			assert.Equal(t, c.major, majorOf(t, err).RoutineError(), "%v", err)

			// UnwrapAppend refuses it alike, leaves dst as it was and
			// no plaintext in its spare capacity.
			dst := append(make([]byte, 0, 256), "prefix"...)
			got, _, err := acc.UnwrapAppend(dst, c.tok())
			require.Error(t, err)
			assert.Equal(t, "prefix", string(got))
			assert.Equal(t, c.major, majorOf(t, err).RoutineError(), "%v", err)
			assert.NotContains(t, string(dst[:cap(dst)]), "a message of some length")
		})
	}

	t.Run("own token reflected", func(t *testing.T) {
		_, _, err := ini.Unwrap(wrap(true))
		require.ErrorIs(t, err, ErrBadMIC)
	})
	t.Run("other key", func(t *testing.T) {
		other, _ := contextPair(t, 18, false, DefaultInitFlags)
		tok, err := other.Wrap([]byte("x"), true)
		require.NoError(t, err)
		_, _, err = acc.Unwrap(tok)
		require.ErrorIs(t, err, ErrBadMIC)
	})
}

func TestVerifyMICRefusesBadTokens(t *testing.T) {
	ini, acc := contextPair(t, 20, false, DefaultInitFlags)
	msg := []byte("signed text")
	good := func() []byte {
		tok, err := ini.MIC(msg)
		require.NoError(t, err)
		return tok
	}
	cases := []struct {
		name  string
		msg   []byte
		tok   func() []byte
		major errortables.GSSMajor
	}{
		{"other message", []byte("signed text!"), good, errortables.GSSBadSig},
		{"checksum bit", msg, func() []byte { t := good(); t[len(t)-1] ^= 1; return t },
			errortables.GSSBadSig},
		{"sequence bit", msg, func() []byte { t := good(); t[12] ^= 1; return t },
			errortables.GSSBadSig},
		{"truncated", msg, func() []byte { t := good(); return t[:len(t)-1] },
			errortables.GSSDefectiveToken},
		{"extended", msg, func() []byte { return append(good(), 0) },
			errortables.GSSDefectiveToken},
		{"header only", msg, func() []byte { return good()[:16] }, errortables.GSSDefectiveToken},
		{"short", msg, func() []byte { return good()[:3] }, errortables.GSSDefectiveToken},
		{"filler", msg, func() []byte { t := good(); t[5] = 0; return t },
			errortables.GSSDefectiveToken},
		{"wrap token", msg, func() []byte { t, _ := ini.Wrap(msg, false); return t },
			errortables.GSSDefectiveToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := acc.VerifyMIC(c.msg, c.tok())
			require.Error(t, err)
			assert.Equal(t, c.major, majorOf(t, err).RoutineError(), "%v", err)
		})
	}
}

func TestSequenceDetection(t *testing.T) {
	ini, acc := contextPair(t, 17, false, DefaultInitFlags)
	var toks [][]byte
	for i := 0; i < 5; i++ {
		tok, err := ini.Wrap([]byte{byte(i)}, true)
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	unwrap := func(i int) ([]byte, error) {
		msg, _, err := acc.Unwrap(toks[i])
		return msg, err
	}

	msg, err := unwrap(0)
	require.NoError(t, err)
	assert.Equal(t, []byte{0}, msg)

	msg, err = unwrap(0)
	require.ErrorIs(t, err, ErrDuplicateToken)
	assert.True(t, IsSequenceError(err))
	assert.Nil(t, msg, "a replayed message is not delivered")

	msg, err = unwrap(2)
	require.ErrorIs(t, err, ErrGapToken)
	assert.Equal(t, []byte{2}, msg, "a message after a gap is delivered")

	msg, err = unwrap(1)
	require.ErrorIs(t, err, ErrUnseqToken)
	assert.Equal(t, []byte{1}, msg)

	_, err = unwrap(1)
	require.ErrorIs(t, err, ErrDuplicateToken)

	msg, err = unwrap(3)
	require.NoError(t, err)
	assert.Equal(t, []byte{3}, msg)

	// MIC tokens share the counter.
	mic, err := ini.MIC([]byte("m"))
	require.NoError(t, err)
	require.ErrorIs(t, acc.VerifyMIC([]byte("m"), mic), ErrGapToken)
	require.ErrorIs(t, acc.VerifyMIC([]byte("m"), mic), ErrDuplicateToken)
	_, err = unwrap(4)
	require.ErrorIs(t, err, ErrUnseqToken)
}

func TestSequenceOldToken(t *testing.T) {
	ini, acc := contextPair(t, 17, false, FlagReplay)
	first, err := ini.MIC(nil)
	require.NoError(t, err)
	for i := 0; i < replayWindow; i++ {
		tok, err := ini.MIC(nil)
		require.NoError(t, err)
		require.NoError(t, acc.VerifyMIC(nil, tok), "without FlagSequence a gap is fine")
	}
	err = acc.VerifyMIC(nil, first)
	require.ErrorIs(t, err, ErrOldToken)
	assert.False(t, majorOf(t, err).IsError())
}

func TestSequenceWithoutDetection(t *testing.T) {
	ini, acc := contextPair(t, 17, false, FlagMutual|FlagConf|FlagInteg)
	tok, err := ini.Wrap([]byte("again"), true)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		msg, _, err := acc.Unwrap(tok)
		require.NoError(t, err, "no replay detection was negotiated")
		assert.Equal(t, "again", string(msg))
	}
}

func TestSeqStateWindow(t *testing.T) {
	type step struct {
		seq  uint64
		want errortables.GSSMajor
	}
	cases := []struct {
		name  string
		flags uint32
		wide  bool
		base  uint64
		steps []step
	}{
		{"replay only", FlagReplay, true, 10, []step{
			{10, 0}, {12, 0}, {11, 0}, {11, errortables.GSSDuplicateToken},
			{200, 0}, {137, 0}, {136, errortables.GSSOldToken},
		}},
		{"sequence only", FlagSequence, true, 10, []step{
			{10, 0}, {12, errortables.GSSGapToken}, {11, errortables.GSSUnseqToken},
			{11, errortables.GSSUnseqToken}, {500, errortables.GSSGapToken},
			{100, errortables.GSSUnseqToken},
		}},
		{"both, 32-bit wrap", FlagReplay | FlagSequence, false, 0xfffffffe, []step{
			{0xfffffffe, 0}, {0xffffffff, 0}, {0, 0}, {1, 0},
			{0xffffffff, errortables.GSSDuplicateToken}, {3, errortables.GSSGapToken},
			{2, errortables.GSSUnseqToken},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s seqState
			s.init(0, c.base, c.flags, c.wide)
			for i, st := range c.steps {
				assert.Equal(t, st.want.String(), s.check(st.seq).String(),
					"step %d, sequence number %d", i, st.seq)
			}
		})
	}
}

func TestMessagesLifecycle(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		ini, acc := contextPair(t, 17, false, DefaultInitFlags)
		tok, err := ini.Wrap([]byte("m"), true)
		require.NoError(t, err)
		mic, err := ini.MIC([]byte("m"))
		require.NoError(t, err)
		require.NoError(t, acc.Close())
		_, err = acc.Wrap([]byte("m"), true)
		assert.ErrorIs(t, err, ErrClosed)
		_, _, err = acc.Unwrap(tok)
		assert.ErrorIs(t, err, ErrClosed)
		_, err = acc.MIC([]byte("m"))
		assert.ErrorIs(t, err, ErrClosed)
		assert.ErrorIs(t, acc.VerifyMIC([]byte("m"), mic), ErrClosed)
	})

	t.Run("expired", func(t *testing.T) {
		ini, acc := contextPair(t, 18, false, DefaultInitFlags)
		tok, err := ini.Wrap([]byte("m"), true)
		require.NoError(t, err)
		acc.EndTime = time.Now().Add(-time.Second)
		_, _, err = acc.Unwrap(tok)
		require.ErrorIs(t, err, ErrContextExpired)
		assert.Equal(t, errortables.GSSContextExpired, majorOf(t, err))
		_, err = acc.Wrap([]byte("m"), false)
		assert.ErrorIs(t, err, ErrContextExpired)
		_, err = acc.MIC([]byte("m"))
		assert.ErrorIs(t, err, ErrContextExpired)
		assert.ErrorIs(t, acc.VerifyMIC(nil, nil), ErrContextExpired)
	})

	t.Run("unsupported enctype", func(t *testing.T) {
		// A key of an enctype without per-message tokens (single DES,
		// rc4-hmac-exp) fails the context at once, naming the enctype.
		for _, kt := range []int32{3, 24} {
			sc, err := newContext(&SecurityContext{Flags: DefaultInitFlags},
				types.EncryptionKey{KeyType: kt, KeyValue: make([]byte, 16)}, nil)
			require.Error(t, err)
			assert.Nil(t, sc)
			assert.Contains(t, err.Error(), fmt.Sprintf("enctype %d", kt))
			assert.Equal(t, errortables.GSSFailure, majorOf(t, err).RoutineError())
		}
	})
}

// finalizeChild names the environment variable that makes
// TestMessagesAfterTeardown run its body, which tears gssapi down for
// good, in a child process of its own.
const finalizeChild = "SAFEKRB5_GSSAPI_FINALIZE_CHILD"

// TestMessagesAfterTeardown checks that per-message calls on a context
// whose module was closed forcefully return ErrFinalized. The teardown
// is final for the process, so it runs in a child.
func TestMessagesAfterTeardown(t *testing.T) {
	if os.Getenv(finalizeChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMessagesAfterTeardown$",
			"-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), finalizeChild+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "finalized as expected")
		return
	}
	ini, acc := contextPair(t, 17, false, DefaultInitFlags)
	tok, err := ini.Wrap([]byte("m"), true)
	require.NoError(t, err)
	mic, err := ini.MIC([]byte("m"))
	require.NoError(t, err)
	require.NoError(t, Close())

	_, err = acc.Wrap([]byte("m"), true)
	require.ErrorIs(t, err, ErrFinalized)
	_, _, err = acc.Unwrap(tok)
	require.ErrorIs(t, err, ErrFinalized)
	_, err = acc.MIC([]byte("m"))
	require.ErrorIs(t, err, ErrFinalized)
	require.ErrorIs(t, acc.VerifyMIC([]byte("m"), mic), ErrFinalized)
	t.Log("finalized as expected")
}
