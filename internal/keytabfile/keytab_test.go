package keytabfile

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goldenDir = "../../testdata/keytab"

var goldenFiles = []string{"alice-norandkey.keytab", "host.keytab",
	"ktutil.keytab", "hole.keytab"}

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	require.NoError(t, err)
	return b
}

var (
	alice = Principal{NameType: 1, Realm: "EXAMPLE.TEST",
		Components: []string{"alice"}}
	host = Principal{NameType: 1, Realm: "EXAMPLE.TEST",
		Components: []string{"host", "svc.example.test"}}
)

func TestParseGolden(t *testing.T) {
	type want struct {
		p     Principal
		kvno  uint32
		etype int32
	}
	sha1 := etypeID.AES256_CTS_HMAC_SHA1_96
	aes128 := etypeID.AES128_CTS_HMAC_SHA1_96
	sha384 := etypeID.AES256_CTS_HMAC_SHA384_192
	tests := []struct {
		file       string
		want       []want
		roundTrips bool
	}{
		{"alice-norandkey.keytab", []want{{alice, 1, sha1},
			{alice, 1, aes128}, {alice, 1, sha384}}, true},
		{"host.keytab", []want{{host, 1, sha1}, {host, 1, aes128},
			{host, 1, sha384}}, true},
		{"ktutil.keytab", []want{{alice, 300, sha1}, {alice, 7, aes128},
			{alice, 7, sha1}}, true},
		{"hole.keytab", []want{{host, 2, sha1}, {host, 2, aes128},
			{host, 2, sha384}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readGolden(t, tt.file)
			k, err := Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, 2, k.Version)
			require.Len(t, k.Entries, len(tt.want))
			for i, w := range tt.want {
				e := k.Entries[i]
				assert.True(t, e.Principal.Equal(w.p), "%v", e.Principal)
				assert.Equal(t, w.kvno, e.KVNO)
				assert.Equal(t, w.etype, e.Key.Type)
				assert.False(t, e.Timestamp.IsZero())
			}

			out, err := k.Marshal()
			require.NoError(t, err)
			if tt.roundTrips {
				assert.Equal(t, raw, out)
			} else {
				assert.Less(t, len(out), len(raw), "holes are dropped")
			}
			again, err := Parse(out)
			require.NoError(t, err)
			assert.Equal(t, k, again)
		})
	}
}

// TestListMatchesMIT compares List with the klist -k -t -e output that
// was saved next to each golden keytab (made with TZ=UTC).
func TestListMatchesMIT(t *testing.T) {
	for _, name := range goldenFiles {
		t.Run(name, func(t *testing.T) {
			k, err := Parse(readGolden(t, name))
			require.NoError(t, err)
			mit := string(readGolden(t, name+".klist"))
			_, body, ok := strings.Cut(mit, "\n")
			require.True(t, ok)
			assert.Equal(t, body, k.List(time.UTC))
		})
	}
}

// handMade builds a keytab in the given version with one entry for bob,
// optionally with a hole before it and a 32-bit kvno after it.
func handMade(ver byte, kvno32 uint32, hole int) []byte {
	var o binary.AppendByteOrder = binary.BigEndian
	if ver == 1 {
		o = binary.NativeEndian
	}
	var e []byte
	data := func(s string) {
		e = o.AppendUint16(e, uint16(len(s)))
		e = append(e, s...)
	}
	n := uint16(1)
	if ver == 1 {
		n++
	}
	e = o.AppendUint16(e, n)
	data("OLD.TEST")
	data("bob")
	if ver == 2 {
		e = o.AppendUint32(e, 1)
	}
	e = o.AppendUint32(e, 1000)
	e = append(e, 9)
	e = o.AppendUint16(e, 17)
	data("0123456789abcdef")
	if kvno32 != 0 {
		e = o.AppendUint32(e, kvno32)
	}
	b := []byte{5, ver}
	if hole > 0 {
		b = o.AppendUint32(b, uint32(-int32(hole)))
		b = append(b, make([]byte, hole)...)
	}
	b = o.AppendUint32(b, uint32(len(e)))
	return append(b, e...)
}

func TestParseHandMade(t *testing.T) {
	tests := []struct {
		name     string
		in       []byte
		nameType int32
		kvno     uint32
	}{
		{"v1 host order", handMade(1, 0, 0), 0, 9},
		{"v2", handMade(2, 0, 0), 1, 9},
		{"v2 kvno32", handMade(2, 700, 0), 1, 700},
		{"v2 hole", handMade(2, 0, 30), 1, 9},
		{"v1 hole kvno32", handMade(1, 70000, 7), 0, 70000},
		{"end marker", append(handMade(2, 0, 0), 0, 0, 0, 0, 1, 2, 3),
			1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Parse(tt.in)
			require.NoError(t, err)
			require.Len(t, k.Entries, 1)
			e := k.Entries[0]
			assert.Equal(t, Principal{NameType: tt.nameType,
				Realm: "OLD.TEST", Components: []string{"bob"}}, e.Principal)
			assert.Equal(t, tt.kvno, e.KVNO)
			assert.Equal(t, time.Unix(1000, 0), e.Timestamp)
			assert.Equal(t, "0123456789abcdef", string(e.Key.Value))

			out, err := k.Marshal()
			require.NoError(t, err)
			again, err := Parse(out)
			require.NoError(t, err)
			assert.Equal(t, k.Entries, again.Entries)
		})
	}
}

// recordEnds returns the offsets at which a keytab may end: after the
// version and after every record or hole.
func recordEnds(b []byte) map[int]bool {
	ends := map[int]bool{2: true}
	for off := 2; off+4 <= len(b); {
		n := int(int32(binary.BigEndian.Uint32(b[off:])))
		if n < 0 {
			n = -n
		}
		off += 4 + n
		ends[off] = true
	}
	return ends
}

func TestTruncation(t *testing.T) {
	for _, name := range goldenFiles {
		t.Run(name, func(t *testing.T) {
			raw := readGolden(t, name)
			full, err := Parse(raw)
			require.NoError(t, err)
			ends := recordEnds(raw)
			for n := 0; n < len(raw); n++ {
				k, err := Parse(raw[:n])
				if ends[n] {
					require.NoError(t, err, "prefix %d", n)
					c := len(k.Entries)
					if c > 0 {
						assert.Equal(t, full.Entries[:c], k.Entries)
					}
					continue
				}
				require.Error(t, err, "prefix %d", n)
				var fe *FormatError
				require.True(t, errors.As(err, &fe), "prefix %d", n)
				assert.NotEmpty(t, fe.What)
				assert.ErrorIs(t, err, ErrTruncated, "prefix %d", n)
				assert.Contains(t, err.Error(), fe.What)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	be := func(v uint32) []byte {
		return binary.BigEndian.AppendUint32(nil, v)
	}
	cat := func(p ...[]byte) []byte { return bytes.Join(p, nil) }
	tests := []struct {
		name string
		in   []byte
		err  error
		what string
	}{
		{"empty", nil, ErrTruncated, "file format tag"},
		{"ccache magic", []byte{5, 4}, ErrVersion, "file format version"},
		{"huge record", cat([]byte{5, 2}, be(0x7FFFFFFF)), ErrTruncated,
			"record 1 length 2147483647"},
		{"huge hole", cat([]byte{5, 2}, be(0x80000000)), ErrTruncated,
			"record 1 hole length 2147483648"},
		{"many components", cat([]byte{5, 2}, be(2), []byte{0xFF, 0xFF}),
			ErrLimit, "record 1 component count 65535"},
		{"realm past record", cat([]byte{5, 2}, be(4),
			[]byte{0, 1, 0xFF, 0xFF}, make([]byte, 100)),
			ErrTruncated, "record 1 realm length 65535"},
		{"v1 zero count", cat([]byte{5, 1}, be(2), []byte{0, 0}),
			ErrMalformed, "record 1 component count 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in != nil && tt.in[1] == 1 {
				// Version 1 is host order.
				binary.NativeEndian.PutUint32(tt.in[2:], 2)
			}
			_, err := Parse(tt.in)
			require.ErrorIs(t, err, tt.err)
			var fe *FormatError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, fe.What, tt.what)
		})
	}
}

func TestMarshalInvalid(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
	}{
		{"long realm", Entry{Principal: Principal{
			Realm: strings.Repeat("R", 70000)}}},
		{"many components", Entry{Principal: Principal{
			Components: make([]string, MaxComponents+1)}}},
		{"enctype", Entry{Key: Keyblock{Type: 1 << 20}}},
		{"timestamp", Entry{Timestamp: time.Unix(-1, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Keytab{}
			k.Add(tt.e)
			_, err := k.Marshal()
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

// TestDeriveEntriesMatchesMIT derives alice's keys from her password and
// compares them with the keys kadmin.local ktadd -norandkey exported,
// and with ktutil addent -password -s for an explicit salt.
func TestDeriveEntriesMatchesMIT(t *testing.T) {
	now := time.Unix(1700000000, 0)
	norand, err := Parse(readGolden(t, "alice-norandkey.keytab"))
	require.NoError(t, err)
	kt, err := Parse(readGolden(t, "ktutil.keytab"))
	require.NoError(t, err)
	tests := []struct {
		name string
		salt string
		kvno uint32
		mit  []Entry
	}{
		{"default salt", "", 1, norand.Entries},
		{"kvno 300", "", 300, kt.Entries[:1]},
		{"explicit salt", "SALTYREALMalice", 7, kt.Entries[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var types []int32
			for _, e := range tt.mit {
				types = append(types, e.Key.Type)
			}
			got, err := DeriveEntries(alice, "alicepw", tt.salt, types,
				tt.kvno, now)
			require.NoError(t, err)
			require.Len(t, got, len(tt.mit))
			for i, e := range got {
				assert.Equal(t, tt.mit[i].Key.Type, e.Key.Type)
				assert.Equal(t, tt.mit[i].Key.Value, e.Key.Value,
					"enctype %d", e.Key.Type)
				assert.Equal(t, tt.kvno, e.KVNO)
				assert.Equal(t, now, e.Timestamp)
				assert.True(t, e.Principal.Equal(alice))
			}
		})
	}

	_, err = DeriveEntries(alice, "alicepw", "", []int32{18, 9999}, 1, now)
	require.ErrorIs(t, err, ErrEnctype)
	assert.NotContains(t, err.Error(), "alicepw")
}

func TestDefaultSalt(t *testing.T) {
	// RFC 3962 appendix B uses this principal's default salt.
	p := Principal{NameType: 1, Realm: "ATHENA.MIT.EDU",
		Components: []string{"raeburn"}}
	assert.Equal(t, "ATHENA.MIT.EDUraeburn", DefaultSalt(p))
	assert.Equal(t, "EXAMPLE.TESThostsvc.example.test", DefaultSalt(host))
}

func TestKeyNeverPrinted(t *testing.T) {
	k, err := Parse(readGolden(t, "alice-norandkey.keytab"))
	require.NoError(t, err)
	key := k.Entries[0].Key.Value
	hexKey := hex.EncodeToString(key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		t.Run(verb, func(t *testing.T) {
			for _, v := range []any{k, *k, k.Entries, k.Entries[0]} {
				out := strings.ToLower(fmt.Sprintf(verb, v))
				assert.NotContains(t, out, hexKey[:16])
				assert.NotContains(t, out, string(key))
			}
		})
	}
	assert.NotContains(t, k.List(nil), hexKey[:16])

	k.Wipe()
	assert.Equal(t, make([]byte, 32), key)
}

func TestWriteFile(t *testing.T) {
	k, err := Parse(readGolden(t, "ktutil.keytab"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kt")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	require.NoError(t, WriteFile(path, k))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, k, again)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

// TestMITReadsOurKeytab writes a keytab built from DeriveEntries and
// lists it with MIT's klist -k -t -e.
func TestMITReadsOurKeytab(t *testing.T) {
	if os.Getenv("SAFEKRB5_SKIP_INTEGRATION") == "1" {
		t.Skip("SAFEKRB5_SKIP_INTEGRATION=1")
	}
	klist, err := exec.LookPath("klist")
	require.NoError(t, err, "MIT klist is missing: install the Debian "+
		"package krb5-user")

	bob := Principal{NameType: 1, Realm: "OUR.TEST",
		Components: []string{"HTTP", "web.our.test"}}
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	es, err := DeriveEntries(bob, "pw", "", []int32{17, 18, 20}, 1000,
		now)
	require.NoError(t, err)
	k := &Keytab{}
	for _, e := range es {
		k.Add(e)
	}
	path := filepath.Join(t.TempDir(), "kt")
	require.NoError(t, WriteFile(path, k))

	cmd := exec.Command(klist, "-k", "-t", "-e", "FILE:"+path)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG=/dev/null", "TZ=UTC")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, body, ok := strings.Cut(string(out), "\n")
	require.True(t, ok)
	assert.Equal(t, k.List(time.UTC), body)
	assert.Contains(t, body, "1000 05/06/24 07:08:09 "+
		"HTTP/web.our.test@OUR.TEST (aes256-cts-hmac-sha384-192)")
}

func FuzzParse(f *testing.F) {
	for _, name := range goldenFiles {
		f.Add(readGolden(f, name))
	}
	f.Add(handMade(1, 70000, 7))
	f.Add(handMade(2, 700, 30))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := Parse(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FormatError: %v", err)
			}
			return
		}
		out, err := k.Marshal()
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("marshal: %v", err)
			}
			return
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of marshalled keytab: %v", err)
		}
		out2, err := again.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("marshal is not stable across a round trip: %v", err)
		}
		if len(again.Entries) != len(k.Entries) {
			t.Fatalf("entry count changed")
		}
	})
}
