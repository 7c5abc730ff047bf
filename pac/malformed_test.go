package pac

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenPAC returns the bytes of one golden PAC.
func goldenPAC(t testing.TB, file string) []byte {
	t.Helper()
	for _, g := range loadGoldens(t) {
		if g.file == file {
			return g.bytes(t)
		}
	}
	t.Fatalf("no golden %s", file)
	return nil
}

// header returns the offset of the info buffer entry of type bt.
func header(t testing.TB, raw []byte, bt BufferType) (entry, off int) {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(raw))
	for i := 0; i < n; i++ {
		e := 8 + 16*i
		if BufferType(binary.LittleEndian.Uint32(raw[e:])) == bt {
			return e, int(binary.LittleEndian.Uint64(raw[e+8:]))
		}
	}
	t.Fatalf("no %s buffer", bt)
	return 0, 0
}

func put32(b []byte, at int, v uint32) { binary.LittleEndian.PutUint32(b[at:], v) }

// malformedCase changes one field of a real PAC.
type malformedCase struct {
	name   string
	change func(b []byte) []byte
	buffer BufferType // the buffer the error names
	detail string     // a part of the error's text
}

// malformedCases are the cases of TestMalformed, also seeds of FuzzPAC.
func malformedCases(t testing.TB) []malformedCase {
	logon := func(b []byte) int { _, o := header(t, b, TypeLogonInfo); return o }
	return []malformedCase{
		{"empty", func([]byte) []byte { return nil }, 0, "too short"},
		{"version", func(b []byte) []byte { put32(b, 4, 1); return b }, 0,
			"version 1"},
		{"no buffers", func(b []byte) []byte { put32(b, 0, 0); return b }, 0,
			"no buffers"},
		{"too many buffers", func(b []byte) []byte {
			put32(b, 0, 0xffffffff)
			return b
		}, 0, "do not fit"},
		{"misaligned", func(b []byte) []byte {
			e, o := header(t, b, TypeClientInfo)
			put32(b, e+8, uint32(o+4))
			return b
		}, 0, "not a multiple of 8"},
		{"offset in header", func(b []byte) []byte {
			e, _ := header(t, b, TypeClientInfo)
			put32(b, e+8, 8)
			return b
		}, 0, "lies in the header"},
		{"past the end", func(b []byte) []byte {
			e, _ := header(t, b, TypeClientInfo)
			put32(b, e+4, uint32(len(b)))
			return b
		}, 0, "runs past"},
		{"high offset", func(b []byte) []byte {
			e, _ := header(t, b, TypeClientInfo)
			put32(b, e+12, 1)
			return b
		}, 0, "runs past"},
		{"overlap", func(b []byte) []byte {
			e, _ := header(t, b, TypeClientInfo)
			_, o := header(t, b, TypeUPNDNSInfo)
			put32(b, e+8, uint32(o))
			return b
		}, 0, "overlaps"},
		{"duplicate", func(b []byte) []byte {
			e, _ := header(t, b, TypeClientInfo)
			put32(b, e, uint32(TypeUPNDNSInfo))
			return b
		}, TypeUPNDNSInfo, "appears twice"},
		{"NDR version", func(b []byte) []byte { b[logon(b)] = 2; return b },
			TypeLogonInfo, "serialization version 2"},
		{"big-endian NDR", func(b []byte) []byte { b[logon(b)+1] = 0; return b },
			TypeLogonInfo, "not little-endian"},
		{"object buffer too long", func(b []byte) []byte {
			put32(b, logon(b)+8, 0xfffffff0)
			return b
		}, TypeLogonInfo, "object buffer"},
		{"null logon info", func(b []byte) []byte {
			put32(b, logon(b)+16, 0)
			return b
		}, TypeLogonInfo, "null logon info"},
		{"odd name length", func(b []byte) []byte {
			b[logon(b)+68] = 9 // EffectiveName.Length
			return b
		}, TypeLogonInfo, "EffectiveName"},
		{"group count", func(b []byte) []byte {
			put32(b, logon(b)+128, 1000) // GroupCount
			return b
		}, TypeLogonInfo, "GroupIds holds"},
		{"groups without array", func(b []byte) []byte {
			put32(b, logon(b)+132, 0) // GroupIds pointer
			return b
		}, TypeLogonInfo, "no array"},
		{"SID sub-authorities", func(b []byte) []byte {
			o := logon(b)
			i := bytes.Index(b[o:], []byte{1, 4, 0, 0, 0, 0, 0, 5})
			require.Positive(t, i)
			put32(b, o+i-4, 16)
			b[o+i+1] = 16
			return b
		}, TypeLogonInfo, "sub-authorities"},
		{"client name too long", func(b []byte) []byte {
			_, o := header(t, b, TypeClientInfo)
			b[o+8] = 200
			return b
		}, TypeClientInfo, "Name needs"},
		{"UPN past the buffer", func(b []byte) []byte {
			_, o := header(t, b, TypeUPNDNSInfo)
			b[o+2] = 0xf0 // UpnOffset
			return b
		}, TypeUPNDNSInfo, "runs past"},
		{"UPN SID length", func(b []byte) []byte {
			_, o := header(t, b, TypeUPNDNSInfo)
			b[o+16] = 12 // SidLength
			return b
		}, TypeUPNDNSInfo, "sub-authorities"},
		{"delegation count", func(b []byte) []byte {
			_, o := header(t, b, TypeDelegationInfo)
			put32(b, o+28, 5) // TransitedListSize
			return b
		}, TypeDelegationInfo, "S4UTransitedServices"},
		{"short signature", func(b []byte) []byte {
			e, _ := header(t, b, TypeServerChecksum)
			put32(b, e+4, 9)
			return b
		}, TypeServerChecksum, "Signature needs"},
	}
}

// TestMalformed changes one field of a real PAC at a time; each must
// give a *FormatError naming the buffer and the problem, never a panic.
func TestMalformed(t *testing.T) {
	base := goldenPAC(t, "samba-s4u2proxy.json")
	for _, tt := range malformedCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.change(append([]byte(nil), base...))
			p, err := Parse(b)
			require.Error(t, err)
			assert.Nil(t, p)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, tt.buffer, fe.Buffer, "%v", err)
			assert.Contains(t, err.Error(), tt.detail)
		})
	}
}

// TestParseCopies checks that Parse keeps its own copy of the bytes.
func TestParseCopies(t *testing.T) {
	g := loadGoldens(t)[0]
	b := g.bytes(t)
	p, err := Parse(b)
	require.NoError(t, err)
	clear(b)
	require.NoError(t, p.VerifyServerChecksum(g.ServerKey.key(t)))
}

// TestMissingSignatures checks the errors for PACs without signatures.
func TestMissingSignatures(t *testing.T) {
	raw := goldenPAC(t, "mit.json")
	for _, bt := range []BufferType{TypeServerChecksum, TypeKDCChecksum} {
		t.Run(bt.String(), func(t *testing.T) {
			b := append([]byte(nil), raw...)
			e, _ := header(t, b, bt)
			put32(b, e, 99) // an unknown type
			p, err := Parse(b)
			require.NoError(t, err)
			key := types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
			for _, err := range []error{p.VerifyServerChecksum(key),
				p.VerifyKDCChecksum(key)} {
				require.ErrorIs(t, err, ErrMissingChecksum)
				var ce *ChecksumError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, bt, ce.Buffer)
			}
			assert.Nil(t, p.Buffer(bt))
			assert.NotNil(t, p.Buffer(99))
			assert.Equal(t, "type 99", BufferType(99).String())
		})
	}
}

func TestUnknownChecksumType(t *testing.T) {
	raw := goldenPAC(t, "mit.json")
	b := append([]byte(nil), raw...)
	_, o := header(t, b, TypeServerChecksum)
	put32(b, o, 1234)
	p, err := Parse(b)
	require.NoError(t, err)
	assert.Zero(t, p.ServerChecksum.KeyType())
	key := types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
	require.ErrorIs(t, p.VerifyServerChecksum(key), ErrChecksumType)
}
