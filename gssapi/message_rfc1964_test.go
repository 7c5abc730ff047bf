package gssapi

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
)

// v1Enctypes are the enctypes whose contexts use RFC 1964 tokens here:
// rc4-hmac and des3-cbc-sha1-kd.
var v1Enctypes = []int32{23, 16}

// gssFraming is the GSS framing of a per-message token with n bytes
// after the Kerberos OID: [APPLICATION 0], its length, the OID.
func gssFraming(n int) []byte {
	b := appendDERLength([]byte{0x60}, len(krb5OIDDER)+n)
	return append(b, krb5OIDDER...)
}

func TestWrapV1RoundTrip(t *testing.T) {
	msgs := [][]byte{nil, []byte("x"), []byte("eight by"), []byte("hello, world"),
		make([]byte, 70000)}
	for _, kt := range v1Enctypes {
		t.Run(fmt.Sprintf("enctype %d", kt), func(t *testing.T) {
			ini, acc := contextPair(t, kt, false, DefaultInitFlags)
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
						if conf && len(m) > 8 {
							assert.NotContains(t, string(tok), string(m))
						}
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

// TestWrapV1TokenLayout checks the fields of RFC 1964 section 1.2 with
// the algorithm numbers of RFC 4757 section 7.1 and of MIT's des3.
func TestWrapV1TokenLayout(t *testing.T) {
	cases := []struct {
		keyType          int32
		sgn, seal        []byte
		cksum, plainSize int
	}{
		{23, []byte{0x11, 0x00}, []byte{0x10, 0x00}, 8, 8 + 3 + 1},
		{16, []byte{0x04, 0x00}, []byte{0x02, 0x00}, 20, 8 + 8},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("enctype %d", c.keyType), func(t *testing.T) {
			ini, _ := contextPair(t, c.keyType, false, DefaultInitFlags)
			for _, conf := range []bool{false, true} {
				tok, err := ini.Wrap([]byte("abc"), conf)
				require.NoError(t, err)
				n := 16 + c.cksum + c.plainSize
				head := gssFraming(n)
				require.Equal(t, head, tok[:len(head)], "GSS framing")
				inner := tok[len(head):]
				require.Len(t, inner, n)
				assert.Equal(t, []byte{0x02, 0x01}, inner[0:2], "TOK_ID")
				assert.Equal(t, c.sgn, inner[2:4], "SGN_ALG")
				seal := []byte{0xff, 0xff}
				if conf {
					seal = c.seal
				}
				assert.Equal(t, seal, inner[4:6], "SEAL_ALG")
				assert.Equal(t, []byte{0xff, 0xff}, inner[6:8], "filler")
				if !conf {
					body := inner[16+c.cksum+8:]
					pad := c.plainSize - 8 - 3
					assert.Equal(t, "abc", string(body[:3]))
					for _, b := range body[3:] {
						assert.EqualValues(t, pad, b, "padding")
					}
				}
			}
			mic, err := ini.MIC([]byte("abc"))
			require.NoError(t, err)
			head := gssFraming(16 + c.cksum)
			require.Equal(t, head, mic[:len(head)])
			inner := mic[len(head):]
			assert.Equal(t, append(append([]byte{0x01, 0x01}, c.sgn...), 0xff, 0xff, 0xff,
				0xff), inner[0:8])
			assert.Len(t, inner, 16+c.cksum)
		})
	}
}

// TestSeqV1Field decrypts the sequence number field of tokens and
// checks its layout (RFC 4757 section 7.3 for rc4, big-endian; RFC 1964
// section 1.2.1.2, little-endian, for des3) and the direction bytes.
func TestSeqV1Field(t *testing.T) {
	for _, kt := range v1Enctypes {
		ini, acc := contextPair(t, kt, false, DefaultInitFlags)
		s, err := ini.v1Suite()
		require.NoError(t, err)
		for _, sender := range []*SecurityContext{ini, acc} {
			tok, err := sender.MIC([]byte("m"))
			require.NoError(t, err)
			inner := tok[len(gssFraming(16+s.cksumLen)):]
			seq, dir, err := sender.seqV1(s, inner)
			require.NoError(t, err)
			want, mark := uint32(1000), byte(0x00)
			if sender == acc {
				want, mark = 5000, 0xff
			}
			assert.Equal(t, want, seq, "enctype %d", kt)
			assert.Equal(t, []byte{mark, mark, mark, mark}, dir)
		}
	}
}

// buildWrapV1 makes a Wrap token from sc whose plaintext (confounder,
// message, padding) is plain, so that tests can make authentic tokens
// with any confounder and padding.
func buildWrapV1(t *testing.T, sc *SecurityContext, plain []byte, conf bool) []byte {
	t.Helper()
	s, err := sc.v1Suite()
	require.NoError(t, err)
	off := v1Head + s.cksumLen
	inner := make([]byte, off+len(plain))
	binary.BigEndian.PutUint16(inner[0:2], tokWrapV1)
	binary.LittleEndian.PutUint16(inner[2:4], s.sgnAlg)
	binary.LittleEndian.PutUint16(inner[4:6], sealNone)
	if conf {
		binary.LittleEndian.PutUint16(inner[4:6], s.sealAlg)
	}
	inner[6], inner[7] = 0xff, 0xff
	copy(inner[off:], plain)
	seq := uint32(sc.seq.nextSend())
	require.NoError(t, sc.signV1(s, inner, inner[off:], true, seq))
	if conf {
		require.NoError(t, sc.key.Use(func(k []byte) error {
			return s.seal(k, seq, inner[off:], true)
		}))
	}
	tok, err := wrapGSS(OIDKRB5, inner)
	require.NoError(t, err)
	return tok
}

// forgeWrapV1 makes a Wrap token from sc with body, padding included,
// after a zero confounder.
func forgeWrapV1(t *testing.T, sc *SecurityContext, body []byte, conf bool) []byte {
	t.Helper()
	return buildWrapV1(t, sc, append(make([]byte, v1ConfounderSize), body...), conf)
}

func TestUnwrapV1RefusesBadTokens(t *testing.T) {
	for _, kt := range v1Enctypes {
		t.Run(fmt.Sprintf("enctype %d", kt), func(t *testing.T) {
			ini, acc := contextPair(t, kt, false, DefaultInitFlags)
			s, err := ini.v1Suite()
			require.NoError(t, err)
			head := len(gssFraming(0))
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
			bs := s.blockLen
			cases := []struct {
				name  string
				tok   func() []byte
				major errortables.GSSMajor
			}{
				{"empty", func() []byte { return nil }, errortables.GSSDefectiveToken},
				{"framing only", func() []byte { return gssFraming(0) },
					errortables.GSSDefectiveToken},
				{"truncated", func() []byte { t := wrap(true); return t[:len(t)-1] },
					errortables.GSSDefectiveToken},
				{"extended", func() []byte { return append(wrap(true), 0) },
					errortables.GSSDefectiveToken},
				{"wrong OID", func() []byte { return flip(wrap(true), 5) },
					errortables.GSSDefectiveToken},
				{"framing length", func() []byte { return flip(wrap(true), 1) },
					errortables.GSSDefectiveToken},
				{"token ID", func() []byte { return flip(wrap(true), head+1) },
					errortables.GSSDefectiveToken},
				{"signing algorithm", func() []byte { return flip(wrap(true), head+2) },
					errortables.GSSDefectiveToken},
				{"sealing algorithm", func() []byte { return flip(wrap(true), head+4) },
					errortables.GSSDefectiveToken},
				{"sealed flag cleared", func() []byte {
					t := wrap(true)
					t[head+4], t[head+5] = 0xff, 0xff
					return t
				}, errortables.GSSBadSig},
				{"filler", func() []byte { return flip(wrap(true), head+7) },
					errortables.GSSDefectiveToken},
				{"sequence number", func() []byte { return flip(wrap(true), head+9) },
					errortables.GSSBadSig},
				{"checksum", func() []byte { return flip(wrap(true), head+16) },
					errortables.GSSBadSig},
				{"sealed body", func() []byte { t := wrap(true); return flip(t, len(t)-3) },
					errortables.GSSBadSig},
				{"signed body", func() []byte { t := wrap(false); return flip(t, len(t)-3) },
					errortables.GSSBadSig},
				{"MIC token", func() []byte { m, _ := ini.MIC([]byte("x")); return m },
					errortables.GSSDefectiveToken},
				{"zero padding", func() []byte {
					return forgeWrapV1(t, ini, append(make([]byte, 2*bs-1), 0), true)
				}, errortables.GSSDefectiveToken},
				{"padding longer than the data", func() []byte {
					return forgeWrapV1(t, ini, []byte{9}, false)
				}, errortables.GSSDefectiveToken},
				{"padding bytes differ", func() []byte {
					b := make([]byte, 8)
					b[6], b[7] = 3, 2
					return forgeWrapV1(t, ini, b, true)
				}, errortables.GSSDefectiveToken},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					msg, _, err := acc.Unwrap(c.tok())
					require.Error(t, err)
					assert.Nil(t, msg)
					assert.Equal(t, c.major, majorOf(t, err).RoutineError(), "%v", err)
				})
			}

			t.Run("own token reflected", func(t *testing.T) {
				_, _, err := ini.Unwrap(wrap(true))
				require.ErrorIs(t, err, ErrBadMIC)
				assert.Contains(t, err.Error(), "own direction")
			})
			t.Run("other key", func(t *testing.T) {
				other, _ := contextPair(t, kt, false, DefaultInitFlags)
				tok, err := other.Wrap([]byte("x"), true)
				require.NoError(t, err)
				_, _, err = acc.Unwrap(tok)
				require.ErrorIs(t, err, ErrBadMIC)
			})
			t.Run("longest padding", func(t *testing.T) {
				b := append(make([]byte, bs), make([]byte, 8)...)
				for i := len(b) - 8; i < len(b); i++ {
					b[i] = 8
				}
				ini, acc := contextPair(t, kt, false, DefaultInitFlags)
				msg, _, err := acc.Unwrap(forgeWrapV1(t, ini, b, true))
				require.NoError(t, err)
				assert.Len(t, msg, bs)
			})
		})
	}
}

func TestVerifyMICV1RefusesBadTokens(t *testing.T) {
	for _, kt := range v1Enctypes {
		t.Run(fmt.Sprintf("enctype %d", kt), func(t *testing.T) {
			ini, acc := contextPair(t, kt, false, DefaultInitFlags)
			msg := []byte("signed text")
			head := len(gssFraming(0))
			good := func() []byte {
				tok, err := ini.MIC(msg)
				require.NoError(t, err)
				return tok
			}
			at := func(i int) func() []byte {
				return func() []byte { t := good(); t[i] ^= 1; return t }
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
				{"direction byte", msg, at(head + 13), errortables.GSSBadSig},
				{"filler", msg, at(head + 5), errortables.GSSDefectiveToken},
				{"sealing algorithm in a MIC", msg, func() []byte {
					t := good()
					t[head+4], t[head+5] = 0x10, 0x00
					return t
				}, errortables.GSSDefectiveToken},
				{"truncated", msg, func() []byte { t := good(); return t[:len(t)-1] },
					errortables.GSSDefectiveToken},
				{"short", msg, func() []byte { return good()[:3] },
					errortables.GSSDefectiveToken},
				{"wrap token", msg, func() []byte { t, _ := ini.Wrap(msg, false); return t },
					errortables.GSSDefectiveToken},
				{"RFC 4121 MIC token", msg, func() []byte {
					return []byte{0x04, 0x04, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
						0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
				}, errortables.GSSDefectiveToken},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					err := acc.VerifyMIC(c.msg, c.tok())
					require.Error(t, err)
					assert.Equal(t, c.major, majorOf(t, err).RoutineError(), "%v", err)
				})
			}
		})
	}
}

func TestSequenceDetectionV1(t *testing.T) {
	for _, kt := range v1Enctypes {
		ini, acc := contextPair(t, kt, false, DefaultInitFlags)
		var toks [][]byte
		for i := 0; i < 3; i++ {
			tok, err := ini.Wrap([]byte{byte(i)}, true)
			require.NoError(t, err)
			toks = append(toks, tok)
		}
		_, _, err := acc.Unwrap(toks[0])
		require.NoError(t, err)
		msg, _, err := acc.Unwrap(toks[2])
		require.ErrorIs(t, err, ErrGapToken)
		assert.Equal(t, []byte{2}, msg)
		msg, _, err = acc.Unwrap(toks[1])
		require.ErrorIs(t, err, ErrUnseqToken)
		assert.Equal(t, []byte{1}, msg)
		msg, _, err = acc.Unwrap(toks[1])
		require.ErrorIs(t, err, ErrDuplicateToken)
		assert.Nil(t, msg)
	}
}

// TestSeqV1NumberNotSigned shows a property of RFC 4757's MIC tokens:
// the checksum does not cover the sequence number, which RC4 encrypts
// bit for bit, so a flipped bit gives another number. Sequence
// detection is what reports it.
func TestSeqV1NumberNotSigned(t *testing.T) {
	ini, acc := contextPair(t, 23, false, DefaultInitFlags)
	tok, err := ini.MIC([]byte("m"))
	require.NoError(t, err)
	tok[len(gssFraming(0))+11] ^= 0x04
	err = acc.VerifyMIC([]byte("m"), tok)
	require.ErrorIs(t, err, ErrGapToken)
	assert.Contains(t, err.Error(), "sequence number 1004")
}

// TestSeqV1Wraps checks that RFC 1964 sequence numbers are 32 bits
// wide and wrap to zero.
func TestSeqV1Wraps(t *testing.T) {
	ini, acc := contextPair(t, 23, false, DefaultInitFlags)
	ini.seq.init(0xffffffff, 0, DefaultInitFlags, false)
	acc.seq.init(0, 0xffffffff, DefaultInitFlags, false)
	for i := 0; i < 3; i++ {
		tok, err := ini.MIC([]byte("m"))
		require.NoError(t, err)
		require.NoError(t, acc.VerifyMIC([]byte("m"), tok), "token %d", i)
	}
}
