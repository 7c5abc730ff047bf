package ccachefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goldenDir = "../../testdata/ccache"

var goldenFiles = []string{"v4-tgt.ccache", "v4-tgt-svc.ccache",
	"v3-tgt.ccache"}

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	require.NoError(t, err)
	return b
}

func TestParseGolden(t *testing.T) {
	alice := Principal{NameType: 1, Realm: "EXAMPLE.TEST",
		Components: []string{"alice"}}
	tests := []struct {
		file       string
		version    int
		offset     bool
		servers    []string // non-config entries in order
		roundTrips bool
	}{
		{"v4-tgt.ccache", 4, true,
			[]string{"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"}, true},
		{"v4-tgt-svc.ccache", 4, true, []string{
			"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST",
			"host/svc.example.test@EXAMPLE.TEST"}, true},
		{"v3-tgt.ccache", 3, false, []string{
			"krbtgt/EXAMPLE.TEST@EXAMPLE.TEST",
			"host/svc.example.test@EXAMPLE.TEST"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readGolden(t, tt.file)
			c, err := Parse(raw)
			require.NoError(t, err)
			assert.Equal(t, tt.version, c.Version)
			assert.True(t, c.DefaultPrincipal.Equal(alice))
			if tt.offset {
				require.NotNil(t, c.TimeOffset)
				assert.Zero(t, *c.TimeOffset)
			} else {
				assert.Nil(t, c.TimeOffset)
			}

			var servers []string
			for _, cr := range c.Credentials {
				if cr.IsConfig() {
					continue
				}
				servers = append(servers, cr.Server.String())
				assert.True(t, cr.Client.Equal(alice))
				assert.Equal(t, int32(18), cr.Key.Type)
				assert.Len(t, cr.Key.Value, 32)
				assert.False(t, cr.AuthTime.IsZero())
				assert.True(t, cr.EndTime.After(cr.StartTime))
				assert.NotEmpty(t, cr.Ticket)
				assert.Equal(t, byte(0x61), cr.Ticket[0]) // [APPLICATION 1]
			}
			assert.Equal(t, tt.servers, servers)

			out, err := c.Marshal()
			require.NoError(t, err)
			if tt.roundTrips {
				assert.Equal(t, raw, out)
			}
			again, err := Parse(out)
			require.NoError(t, err)
			again.Version = c.Version
			if !tt.offset {
				again.TimeOffset = nil
			}
			assert.Equal(t, c, again)
		})
	}
}

func TestConfigGolden(t *testing.T) {
	c, err := Parse(readGolden(t, "v4-tgt.ccache"))
	require.NoError(t, err)
	tgs := Principal{NameType: 2, Realm: "EXAMPLE.TEST",
		Components: []string{"krbtgt", "EXAMPLE.TEST"}}
	v, ok := c.Config("fast_avail", &tgs)
	require.True(t, ok)
	assert.Equal(t, "yes", string(v))
	_, ok = c.Config("fast_avail", nil)
	assert.False(t, ok)

	// Replacing the value in place keeps the bytes MIT would write.
	raw := readGolden(t, "v4-tgt.ccache")
	c.SetConfig("fast_avail", &tgs, []byte("yes"))
	out, err := c.Marshal()
	require.NoError(t, err)
	assert.Equal(t, raw, out)

	c.SetConfig("refresh_time", nil, []byte("1700000000"))
	v, ok = c.Config("refresh_time", nil)
	require.True(t, ok)
	assert.Equal(t, "1700000000", string(v))
	n := len(c.Credentials)
	c.SetConfig("refresh_time", nil, nil)
	assert.Len(t, c.Credentials, n-1)
}

// handMade builds a version 1 or 2 cache in host byte order with one
// credential, following MIT's format document.
func handMade(ver byte) []byte {
	o := binary.NativeEndian
	b := []byte{5, ver}
	u32 := func(v uint32) { b = o.AppendUint32(b, v) }
	u16 := func(v uint16) { b = o.AppendUint16(b, v) }
	data := func(s string) { u32(uint32(len(s))); b = append(b, s...) }
	princ := func(comps ...string) {
		if ver == 1 {
			u32(uint32(len(comps) + 1))
		} else {
			u32(1)
			u32(uint32(len(comps)))
		}
		data("OLD.TEST")
		for _, c := range comps {
			data(c)
		}
	}
	princ("bob")
	princ("bob")
	princ("krbtgt", "OLD.TEST")
	u16(17)
	data("0123456789abcdef")
	for _, v := range []uint32{1000, 0, 2000, 3000} {
		u32(v)
	}
	b = append(b, 1)
	u32(0x40e00000)
	u32(1)
	u16(2)
	data("\x7f\x00\x00\x01")
	u32(1)
	u16(1)
	data("ad")
	data("\x61\x03tkt")
	data("")
	return b
}

func TestParseOldVersions(t *testing.T) {
	for _, ver := range []byte{1, 2} {
		t.Run(fmt.Sprintf("v%d", ver), func(t *testing.T) {
			c, err := Parse(handMade(ver))
			require.NoError(t, err)
			assert.Equal(t, int(ver), c.Version)
			wantType := int32(1)
			if ver == 1 {
				wantType = 0
			}
			assert.Equal(t, Principal{NameType: wantType, Realm: "OLD.TEST",
				Components: []string{"bob"}}, c.DefaultPrincipal)
			require.Len(t, c.Credentials, 1)
			cr := c.Credentials[0]
			assert.Equal(t, "krbtgt/OLD.TEST@OLD.TEST", cr.Server.String())
			assert.Equal(t, int32(17), cr.Key.Type)
			assert.Equal(t, "0123456789abcdef", string(cr.Key.Value))
			assert.Equal(t, time.Unix(1000, 0), cr.AuthTime)
			assert.True(t, cr.StartTime.IsZero())
			assert.Equal(t, time.Unix(3000, 0), cr.RenewTill)
			assert.True(t, cr.IsSKey)
			assert.Equal(t, uint32(0x40e00000), cr.Flags)
			assert.Equal(t, []Address{{2, []byte{127, 0, 0, 1}}},
				cr.Addresses)
			assert.Equal(t, []AuthData{{1, []byte("ad")}}, cr.AuthData)
			assert.Equal(t, "\x61\x03tkt", string(cr.Ticket))
			assert.Empty(t, cr.SecondTicket)

			out, err := c.Marshal()
			require.NoError(t, err)
			again, err := Parse(out)
			require.NoError(t, err)
			assert.Equal(t, 4, again.Version)
			assert.Equal(t, c.Credentials, again.Credentials)
		})
	}
}

// TestTruncation checks that every prefix of a golden file either fails
// with a FormatError naming the field, or, when it ends exactly between
// credentials, parses to the leading credentials.
func TestTruncation(t *testing.T) {
	for _, name := range goldenFiles {
		t.Run(name, func(t *testing.T) {
			raw := readGolden(t, name)
			full, err := Parse(raw)
			require.NoError(t, err)
			for n := 0; n < len(raw); n++ {
				c, err := Parse(raw[:n])
				if err == nil {
					k := len(c.Credentials)
					require.Less(t, k, len(full.Credentials), "prefix %d", n)
					if k > 0 {
						assert.Equal(t, full.Credentials[:k], c.Credentials)
					}
					continue
				}
				var fe *FormatError
				require.True(t, errors.As(err, &fe), "prefix %d: %v", n, err)
				assert.NotEmpty(t, fe.What)
				assert.LessOrEqual(t, fe.Offset, n)
				assert.ErrorIs(t, err, ErrTruncated, "prefix %d", n)
				assert.Contains(t, err.Error(), fe.What)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	v4 := func(rest ...byte) []byte {
		return append([]byte{5, 4, 0, 0}, rest...)
	}
	be := func(v uint32) []byte {
		return binary.BigEndian.AppendUint32(nil, v)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		in   []byte
		err  error
		what string
	}{
		{"empty", nil, ErrTruncated, "file format tag"},
		{"keytab magic", []byte{5, 2, 0, 0}, nil, ""},
		{"version 5", []byte{5, 5}, ErrVersion, "file format version"},
		{"not krb5", []byte{4, 4}, ErrVersion, "file format version"},
		{"header past end", []byte{5, 4, 0, 20, 0, 1}, ErrTruncated,
			"header fields"},
		{"bad offset length", []byte{5, 4, 0, 6, 0, 1, 0, 2, 0, 0},
			ErrMalformed, "time offset field length"},
		{"huge realm", v4(cat(be(1), be(1), be(0xFFFFFFFF))...),
			ErrTruncated, "default principal realm length 4294967295"},
		{"many components", v4(cat(be(1), be(0xFFFFFFFF))...),
			ErrLimit, "default principal component count"},
		{"components past end", v4(cat(be(1), be(40))...),
			ErrTruncated, "default principal component count 40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if tt.err == nil {
				// 0x0502 is a valid version 2 prefix that is then
				// truncated.
				require.ErrorIs(t, err, ErrTruncated)
				return
			}
			require.ErrorIs(t, err, tt.err)
			var fe *FormatError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, fe.What, tt.what)
		})
	}
}

func TestHugeCountsInCredential(t *testing.T) {
	raw := readGolden(t, "v4-tgt-svc.ccache")
	c, err := Parse(raw)
	require.NoError(t, err)
	c.Credentials = c.Credentials[len(c.Credentials)-1:]
	c.Credentials[0].Addresses = nil
	c.Credentials[0].AuthData = nil
	c.Credentials[0].Ticket = nil
	c.Credentials[0].SecondTicket = nil
	b, err := c.Marshal()
	require.NoError(t, err)
	// The last 16 bytes are: address count, authdata count, two empty
	// tickets.
	tail := len(b) - 16
	for _, tt := range []struct {
		name string
		at   int
		err  error
		what string
	}{
		{"addresses", tail, ErrLimit, "address count"},
		{"authdata", tail + 4, ErrLimit, "authdata count"},
		{"ticket", tail + 8, ErrTruncated, "ticket length"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Clone(b)
			binary.BigEndian.PutUint32(bad[tt.at:], 0xFFFFFFFF)
			_, err := Parse(bad)
			require.ErrorIs(t, err, tt.err)
			var fe *FormatError
			require.True(t, errors.As(err, &fe))
			assert.Contains(t, fe.What, "credential 1 "+tt.what)
			assert.Equal(t, tt.at, fe.Offset)
		})
	}
}

func TestMarshalInvalid(t *testing.T) {
	big := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cr   Credential
	}{
		{"time after 2106", Credential{EndTime: big}},
		{"time before 1970", Credential{AuthTime: time.Unix(-5, 0)}},
		{"enctype beyond 16 bits", Credential{Key: Keyblock{Type: 70000}}},
		{"address type", Credential{Addresses: []Address{{Type: -70000}}}},
		{"too many components", Credential{Server: Principal{
			Components: make([]string, MaxComponents+1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cache{Credentials: []Credential{tt.cr}}
			_, err := c.Marshal()
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	c, err := Parse(readGolden(t, "v4-tgt.ccache"))
	require.NoError(t, err)
	var key []byte
	for _, cr := range c.Credentials {
		if !cr.IsConfig() {
			key = cr.Key.Value
		}
	}
	require.Len(t, key, 32)
	hexKey := fmt.Sprintf("%x", key)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X",
		"%q", "%d"} {
		t.Run(verb, func(t *testing.T) {
			for _, v := range []any{c, *c, c.Credentials,
				c.Credentials[1].Key, &c.Credentials[1].Key} {
				out := fmt.Sprintf(verb, v)
				assert.NotContains(t, strings.ToLower(out), hexKey[:16])
				assert.NotContains(t, out, string(key))
				assert.NotContains(t, out, fmt.Sprint([]byte(key[:8]))[1:12])
			}
		})
	}
	assert.Contains(t, c.Credentials[1].Key.String(),
		"aes256-cts-hmac-sha1-96")

	c.Wipe()
	assert.Equal(t, make([]byte, 32), key)
}

func TestWriteFileMode(t *testing.T) {
	c, err := Parse(readGolden(t, "v4-tgt-svc.ccache"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	require.NoError(t, WriteFile(path, c))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	again, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, c, again)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	_, err = ReadFile(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// requireMIT returns the path of an MIT program, failing the test when it
// is missing unless SAFEKRB5_SKIP_INTEGRATION=1.
func requireMIT(t *testing.T, prog string) string {
	t.Helper()
	if os.Getenv("SAFEKRB5_SKIP_INTEGRATION") == "1" {
		t.Skip("SAFEKRB5_SKIP_INTEGRATION=1")
	}
	p, err := exec.LookPath(prog)
	require.NoError(t, err, "MIT %s is missing: install the Debian "+
		"package krb5-user", prog)
	return p
}

// TestMITReadsOurCache writes a cache built by this package and lists
// it with MIT's klist.
func TestMITReadsOurCache(t *testing.T) {
	klist := requireMIT(t, "klist")
	src, err := Parse(readGolden(t, "v3-tgt.ccache"))
	require.NoError(t, err)
	off := 3*time.Second + 5*time.Microsecond
	c := &Cache{
		TimeOffset:       &off,
		DefaultPrincipal: src.DefaultPrincipal,
	}
	for _, cr := range src.Credentials {
		if !cr.IsConfig() {
			c.Credentials = append(c.Credentials, cr)
		}
	}
	tgs := c.Credentials[0].Server
	c.SetConfig("pa_type", &tgs, []byte("2"))

	path := filepath.Join(t.TempDir(), "cc")
	require.NoError(t, WriteFile(path, c))
	cmd := exec.Command(klist, "-e", "-c", "FILE:"+path)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG=/dev/null", "TZ=UTC")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := string(out)
	assert.Contains(t, s, "Default principal: alice@EXAMPLE.TEST")
	assert.Contains(t, s, "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST")
	assert.Contains(t, s, "host/svc.example.test@EXAMPLE.TEST")
	assert.Contains(t, s, "aes256-cts-hmac-sha1-96")
	assert.NotContains(t, s, "X-CACHECONF")

	// The time offset header written above survives a read back.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	again, err := Parse(raw)
	require.NoError(t, err)
	require.NotNil(t, again.TimeOffset)
	assert.Equal(t, off, *again.TimeOffset)
}

func FuzzParse(f *testing.F) {
	for _, name := range goldenFiles {
		f.Add(readGolden(f, name))
	}
	f.Add(handMade(1))
	f.Add(handMade(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FormatError: %v", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			// Only values a version 4 file cannot hold may fail.
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("marshal: %v", err)
			}
			return
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of marshalled cache: %v", err)
		}
		out2, err := again.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("marshal is not stable across a round trip: %v", err)
		}
		if len(again.Credentials) != len(c.Credentials) {
			t.Fatalf("credential count changed")
		}
	})
}
