package gssapi

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WrapAppend and UnwrapAppend make and take the tokens of Wrap and
// Unwrap, for every enctype, both directions, with and without
// confidentiality, appended after what dst holds; reused buffers keep
// their arrays.
func TestWrapAppendRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 15, 16, 17, 100, 511, 512, 4099, 65536}
	for _, kt := range append(append([]int32(nil), cfxEnctypes...), v1Enctypes...) {
		t.Run(fmt.Sprintf("enctype %d", kt), func(t *testing.T) {
			ini, acc := contextPair(t, kt, kt == 18, DefaultInitFlags)
			var tokBuf, msgBuf []byte
			for _, n := range sizes {
				m := make([]byte, n)
				rand.Read(m)
				for _, conf := range []bool{false, true} {
					for _, dir := range [][2]*SecurityContext{{ini, acc}, {acc, ini}} {
						name := fmt.Sprintf("%d bytes, conf %v", n, conf)
						// Appended after a prefix, unwrapped by Unwrap.
						tok, err := dir[0].WrapAppend([]byte("head"), m, conf)
						require.NoError(t, err, name)
						require.Equal(t, "head", string(tok[:4]), name)
						got, gotConf, err := dir[1].Unwrap(tok[4:])
						require.NoError(t, err, name)
						assert.Equal(t, conf, gotConf, name)
						assert.Equal(t, m, append([]byte{}, got...), name)

						// Made by Wrap, unwrapped after a prefix.
						tok, err = dir[0].Wrap(m, conf)
						require.NoError(t, err, name)
						got, gotConf, err = dir[1].UnwrapAppend([]byte("head"), tok)
						require.NoError(t, err, name)
						assert.Equal(t, conf, gotConf, name)
						assert.Equal(t, append([]byte("head"), m...), got, name)

						// Buffers reused: the second round trip keeps
						// their arrays.
						for range 2 {
							oldTok, oldMsg := tokBuf, msgBuf
							tokBuf, err = dir[0].WrapAppend(tokBuf[:0], m, conf)
							require.NoError(t, err, name)
							msgBuf, gotConf, err = dir[1].UnwrapAppend(msgBuf[:0], tokBuf)
							require.NoError(t, err, name)
							assert.Equal(t, conf, gotConf, name)
							assert.Equal(t, m, append([]byte{}, msgBuf...), name)
							if kt != 16 && kt != 23 && cap(oldTok) >= len(tokBuf) &&
								cap(oldMsg) >= len(tokBuf) && len(tokBuf) > 0 && n > 0 {
								assert.Same(t, &oldTok[:1][0], &tokBuf[0], name)
								assert.Same(t, &oldMsg[:1][0], &msgBuf[0], name)
							}
						}
					}
				}
			}
		})
	}
}

// A round trip of 64 KiB through reused buffers allocates far less than
// the message: no token or message array per call.
func TestWrapAppendReusesBuffers(t *testing.T) {
	ini, acc := contextPair(t, 18, false, DefaultInitFlags)
	m := make([]byte, 64<<10)
	for _, conf := range []bool{false, true} {
		tok, err := ini.WrapAppend(nil, m, conf)
		require.NoError(t, err)
		out, _, err := acc.UnwrapAppend(nil, tok)
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 50
		for range runs {
			tok, err = ini.WrapAppend(tok[:0], m, conf)
			require.NoError(t, err)
			out, _, err = acc.UnwrapAppend(out[:0], tok)
			require.NoError(t, err)
		}
		runtime.ReadMemStats(&after)
		perRun := (after.TotalAlloc - before.TotalAlloc) / runs
		assert.Less(t, perRun, uint64(16<<10), "conf %v: %d bytes allocated per round trip",
			conf, perRun)
	}
}

// Rotated tokens (RRC other than zero) unwrap through UnwrapAppend too.
func TestUnwrapAppendRotated(t *testing.T) {
	for _, conf := range []bool{false, true} {
		for _, rrc := range []int{1, 16, 28, 60, 1000} {
			t.Run(fmt.Sprintf("conf %v rrc %d", conf, rrc), func(t *testing.T) {
				ini, acc := contextPair(t, 18, false, DefaultInitFlags)
				msg := bytes.Repeat([]byte("rotated message "), 40)
				tok, err := ini.WrapAppend(nil, msg, conf)
				require.NoError(t, err)
				dst := append(make([]byte, 0, 4096), "x"...)
				got, _, err := acc.UnwrapAppend(dst, rotate(tok, rrc))
				require.NoError(t, err)
				assert.Equal(t, append([]byte("x"), msg...), got)
			})
		}
	}
}

// A message or token lying in dst's spare capacity is read whole before
// anything is written there.
func TestWrapAppendOverlap(t *testing.T) {
	for _, kt := range []int32{17, 18, 20, 23, 16} {
		ini, acc := contextPair(t, kt, false, DefaultInitFlags)
		for _, conf := range []bool{false, true} {
			name := fmt.Sprintf("enctype %d conf %v", kt, conf)
			msg := bytes.Repeat([]byte("overlapping "), 100)
			buf := make([]byte, 4096)
			copy(buf, msg)
			tok, err := ini.WrapAppend(buf[:0], buf[:len(msg)], conf)
			require.NoError(t, err, name)
			assert.Equal(t, msg, buf[:len(msg)], "%s: the message is left alone", name)
			got, _, err := acc.Unwrap(tok)
			require.NoError(t, err, name)
			assert.Equal(t, msg, got, name)

			tok, err = ini.Wrap(msg, conf)
			require.NoError(t, err, name)
			buf = make([]byte, 4096)
			copy(buf, tok)
			got, _, err = acc.UnwrapAppend(buf[:0], buf[:len(tok)])
			require.NoError(t, err, name)
			assert.Equal(t, msg, got, name)
			assert.Equal(t, tok, buf[:len(tok)], "%s: the token is left alone", name)
		}
	}
}

// UnwrapAppend checks sequence numbers as Unwrap does: a replay comes
// back without its message, which is not left in dst either, and dst as
// it was; a token after a gap or out of order comes with its message.
func TestUnwrapAppendSequence(t *testing.T) {
	for _, kt := range []int32{18, 23} {
		t.Run(fmt.Sprintf("enctype %d", kt), func(t *testing.T) {
			ini, acc := contextPair(t, kt, false, DefaultInitFlags)
			var toks [][]byte
			for i := range 4 {
				tok, err := ini.WrapAppend(nil, []byte(fmt.Sprintf("message %d", i)), true)
				require.NoError(t, err)
				toks = append(toks, tok)
			}
			unwrap := func(i int) (string, error) {
				msg, _, err := acc.UnwrapAppend([]byte("p "), toks[i])
				return string(msg), err
			}
			msg, err := unwrap(0)
			require.NoError(t, err)
			assert.Equal(t, "p message 0", msg)

			spare := append(make([]byte, 0, 256), "p "...)
			got, _, err := acc.UnwrapAppend(spare, toks[0])
			require.ErrorIs(t, err, ErrDuplicateToken)
			assert.Equal(t, "p ", string(got), "a replayed message is not delivered")
			assert.NotContains(t, string(spare[:256]), "message 0", "nor left in dst")

			msg, err = unwrap(2)
			require.ErrorIs(t, err, ErrGapToken)
			assert.Equal(t, "p message 2", msg, "a message after a gap is delivered")
			msg, err = unwrap(1)
			require.ErrorIs(t, err, ErrUnseqToken)
			assert.Equal(t, "p message 1", msg)
			msg, err = unwrap(3)
			require.NoError(t, err)
			assert.Equal(t, "p message 3", msg)

			// Wrap and WrapAppend share the counter.
			a, err := ini.Wrap([]byte("a"), false)
			require.NoError(t, err)
			b, err := ini.WrapAppend(nil, []byte("b"), false)
			require.NoError(t, err)
			_, _, err = acc.UnwrapAppend(nil, b)
			require.ErrorIs(t, err, ErrGapToken)
			_, _, err = acc.Unwrap(a)
			require.ErrorIs(t, err, ErrUnseqToken)
		})
	}
}

// After Close the append calls fail as Wrap and Unwrap do and hand dst
// back.
func TestAppendAfterClose(t *testing.T) {
	ini, acc := contextPair(t, 18, false, DefaultInitFlags)
	tok, err := ini.Wrap([]byte("m"), true)
	require.NoError(t, err)
	require.NoError(t, ini.Close())
	require.NoError(t, acc.Close())
	got, err := ini.WrapAppend([]byte("d"), []byte("m"), true)
	require.ErrorIs(t, err, ErrClosed)
	assert.Equal(t, "d", string(got))
	got, _, err = acc.UnwrapAppend([]byte("d"), tok)
	require.ErrorIs(t, err, ErrClosed)
	assert.Equal(t, "d", string(got))
}

// BenchmarkWrapAppendRoundTrip is one WrapAppend and UnwrapAppend of a
// message with aes256-cts-hmac-sha1-96, through reused buffers.
func BenchmarkWrapAppendRoundTrip(b *testing.B) {
	for _, n := range []int{1 << 10, 64 << 10} {
		for _, conf := range []bool{false, true} {
			b.Run(fmt.Sprintf("%dB conf %v", n, conf), func(b *testing.B) {
				ini, acc := contextPair(b, 18, false, DefaultInitFlags)
				msg := make([]byte, n)
				var tok, out []byte
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					tok, err = ini.WrapAppend(tok[:0], msg, conf)
					if err != nil {
						b.Fatal(err)
					}
					if out, _, err = acc.UnwrapAppend(out[:0], tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// A token unwrapped into its own array, as in UnwrapAppend(tok[:0], tok),
// gives Unwrap's message whether or not it is rotated (RRC 28 is what
// Windows sends for sealed tokens), and so does a dst whose spare
// capacity covers the token's header but ends before its body.
func TestUnwrapAppendIntoOwnToken(t *testing.T) {
	for _, kt := range []int32{17, 18, 20} {
		for _, conf := range []bool{false, true} {
			for _, rrc := range []int{0, 12, 28, 1000} {
				name := fmt.Sprintf("enctype %d conf %v rrc %d", kt, conf, rrc)
				ini, acc := contextPair(t, kt, false, DefaultInitFlags)
				msg := bytes.Repeat([]byte("in place "), 70)
				tok, err := ini.Wrap(msg, conf)
				require.NoError(t, err, name)
				if rrc > 0 {
					tok = rotate(tok, rrc)
				}
				got, gotConf, err := acc.UnwrapAppend(tok[:0], tok)
				require.NoError(t, err, name)
				assert.Equal(t, conf, gotConf, name)
				assert.Equal(t, msg, got, name)

				// dst's spare capacity ends where the body begins.
				tok, err = ini.Wrap(msg, conf)
				require.NoError(t, err, name)
				if rrc > 0 {
					tok = rotate(tok, rrc)
				}
				buf := make([]byte, 2*len(tok))
				at := len(buf) - len(tok)
				copy(buf[at:], tok)
				got, _, err = acc.UnwrapAppend(buf[:0:at+16], buf[at:])
				require.NoError(t, err, name)
				assert.Equal(t, msg, got, name)
			}
		}
	}
}

// Sealed tokens with filler (EC other than zero), as RFC 4121 section
// 4.2.4 allows a peer to send, rotated or not (a DCE-style peer rotates
// by EC plus 28), unwrap through Unwrap and UnwrapAppend, into a fresh
// buffer and into the token's own array, to the message without its
// filler; a header copy whose EC differs is refused and leaves no
// plaintext in dst.
func TestUnwrapSealedWithFiller(t *testing.T) {
	for _, ec := range []int{1, 16, 100} {
		for _, rrc := range []int{0, ec + 28} {
			name := fmt.Sprintf("EC %d RRC %d", ec, rrc)
			ini, acc := contextPair(t, 18, false, DefaultInitFlags)
			msg := bytes.Repeat([]byte("filled "), 90)
			seal := func(copyEC int) []byte {
				hdr := make([]byte, 16)
				binary.BigEndian.PutUint16(hdr[0:2], tokWrap)
				hdr[2] = ini.sendFlags() | flagSealed
				hdr[3] = 0xff
				binary.BigEndian.PutUint16(hdr[4:6], uint16(ec))
				binary.BigEndian.PutUint64(hdr[8:16], ini.seq.nextSend())
				inner := bytes.Clone(hdr)
				binary.BigEndian.PutUint16(inner[4:6], uint16(copyEC))
				seal, _ := ini.usages(false)
				tok, err := ini.ck.Encrypt(hdr, seal, msg, bytes.Repeat([]byte{0xf1}, ec),
					inner)
				require.NoError(t, err, name)
				if rrc > 0 {
					tok = rotate(tok, rrc)
				}
				return tok
			}
			got, conf, err := acc.Unwrap(seal(ec))
			require.NoError(t, err, name)
			assert.True(t, conf, name)
			assert.Equal(t, msg, got, name)

			got, _, err = acc.UnwrapAppend([]byte("p"), seal(ec))
			require.NoError(t, err, name)
			assert.Equal(t, append([]byte("p"), msg...), got, name)

			tok := seal(ec)
			got, _, err = acc.UnwrapAppend(tok[:0], tok)
			require.NoError(t, err, name)
			assert.Equal(t, msg, got, name)

			spare := make([]byte, 0, 4096)
			_, _, err = acc.UnwrapAppend(spare, seal(ec+1))
			require.ErrorIs(t, err, ErrDefectiveToken, name)
			assert.False(t, bytes.Contains(spare[:cap(spare)], []byte("filled")),
				"%s: plaintext left in dst", name)
		}
	}
}
