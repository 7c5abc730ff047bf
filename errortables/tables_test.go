package errortables

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTablesWellFormed(t *testing.T) {
	tests := []struct {
		table *Table
		base  Code // from MIT's generated headers
		len   int
	}{
		{KRB5Table, -1765328384, 256},
		{K5GTable, 39756032, 17},
		{GGSSTable, -2045022976, 20},
		{KV5MTable, -1760647424, 61},
		{ASN1Table, 1859794432, 14},
		{LifecycleTable, 0, 5},
	}
	require.Len(t, Tables(), len(tests))
	bases := make(map[Code]string)
	for i, tt := range tests {
		t.Run(tt.table.Name(), func(t *testing.T) {
			assert.Same(t, tt.table, Tables()[i])
			if tt.base != 0 {
				assert.Equal(t, tt.base, tt.table.Base())
			}
			assert.Equal(t, tt.len, tt.table.Len())
			other, dup := bases[tt.table.Base()]
			assert.False(t, dup, "same base as %s", other)
			bases[tt.table.Base()] = tt.table.Name()

			names := make(map[string]bool)
			upper := strings.ToUpper
			for i := 0; i < tt.table.Len(); i++ {
				e, ok := tt.table.Entry(tt.table.Code(i))
				require.True(t, ok)
				assert.NotEmpty(t, e.Name, "index %d", i)
				assert.Equal(t, upper(e.Name), e.Name)
				assert.False(t, names[e.Name], "duplicate name %s", e.Name)
				names[e.Name] = true
				assert.NotEmpty(t, e.Message, e.Name)
				assert.NotEqual(t, ".", e.Message[len(e.Message)-1:], e.Name)
				assert.Equal(t, e.Message, tt.table.Err(i).Error())
				idx, ok := tt.table.Index(e.Name)
				assert.True(t, ok)
				assert.Equal(t, i, idx)
			}
		})
	}
}

// TestLifecycleTableName checks the lifecycle table against the names of
// every com_err table in MIT krb5 and Heimdal (their .et files' error_table
// lines, on both projects' main branches in 2025-2026).
func TestLifecycleTableName(t *testing.T) {
	taken := []string{
		// MIT krb5
		"krb5", "k5e1", "kdb5", "kv5m", "k524", "asn1", "prof", "k5g",
		"ggss", "ovk", "ovku", "adb", "imp", "ss", "lsh",
		// Heimdal
		"heim", "hdb", "hx", "gk5", "ngex", "krb", "kx59", "ntlm",
		"wind",
	}
	for _, name := range taken {
		b, err := Base(name)
		require.NoError(t, err)
		assert.NotEqual(t, b, LifecycleTable.Base(), name)
	}
}

func TestKDCCode(t *testing.T) {
	tests := []struct {
		name string
		in   int32
		want string
	}{
		{"none", 0, "KRB5KDC_ERR_NONE"},
		{"preauth", 24, "KRB5KDC_ERR_PREAUTH_FAILED"},
		{"skew", 37, "KRB5KRB_AP_ERR_SKEW"},
		{"unassigned", 127, "KRB5PLACEHOLD_127"},
		{"too big", 128, "KRB5KRB_ERR_GENERIC"},
		{"negative", -1, "KRB5KRB_ERR_GENERIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := KRB5Table.Entry(KDCCode(tt.in))
			require.True(t, ok)
			assert.Equal(t, tt.want, e.Name)
		})
	}
	assert.Equal(t, KRB5Table.Base()+68, KDCCode(68))
}

func TestSentinels(t *testing.T) {
	tests := []struct {
		err  *Error
		name string
	}{
		{ErrClientNotFound, "KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN"},
		{ErrServerNotFound, "KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN"},
		{ErrPreauthFailed, "KRB5KDC_ERR_PREAUTH_FAILED"},
		{ErrKeyExpired, "KRB5KDC_ERR_KEY_EXP"},
		{ErrClockSkew, "KRB5KRB_AP_ERR_SKEW"},
		{ErrReplay, "KRB5KRB_AP_ERR_REPEAT"},
		{ErrModified, "KRB5KRB_AP_ERR_MODIFIED"},
		{ErrTicketExpired, "KRB5KRB_AP_ERR_TKT_EXPIRED"},
		{ErrResponseTooBig, "KRB5KRB_ERR_RESPONSE_TOO_BIG"},
		{ErrBadIntegrity, "KRB5KRB_AP_ERR_BAD_INTEGRITY"},
		{ErrNoKey, "KRB5_KT_NOTFOUND"},
		{ErrKDCUnreachable, "KRB5_KDC_UNREACH"},
		{ErrRealmUnknown, "KRB5_REALM_UNKNOWN"},
		{ErrCCNotFound, "KRB5_FCC_NOFILE"},
		{ErrCCFormat, "KRB5_CC_FORMAT"},
		{ErrKTFormat, "KRB5_KT_FORMAT"},
		{ErrConfigSyntax, "KRB5_CONFIG_BADFORMAT"},
		{ErrNotSupported, "KRB5_CC_NOSUPP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.name, tt.err.Name)
			assert.Equal(t, "krb5", tt.err.Table)
			e, ok := KRB5Table.Entry(tt.err.Code)
			require.True(t, ok)
			assert.Equal(t, tt.name, e.Name)

			// A wrapped copy with detail and cause still matches, and
			// no other sentinel does.
			wrapped := fmt.Errorf("krb5: doing it: %w",
				tt.err.With("detail", errors.New("cause")))
			assert.ErrorIs(t, wrapped, tt.err)
			assert.NotErrorIs(t, wrapped, ErrFinalized)
			for _, other := range tests {
				if other.err != tt.err {
					assert.NotErrorIs(t, wrapped, other.err, other.name)
				}
			}
			var got *Error
			require.ErrorAs(t, wrapped, &got)
			assert.Equal(t, tt.err.Code, got.Code)
			assert.Empty(t, tt.err.Detail, "With must not change the sentinel")
		})
	}
}

// TestNotSupportedSaysWhat checks that ErrNotSupported, used for much
// more than credential caches, does not print MIT's cache-only text,
// while the code still resolves to MIT's entry.
func TestNotSupportedSaysWhat(t *testing.T) {
	err := ErrNotSupported.With("KDC proxies (MS-KKDCP) such as https://kdc/", nil)
	assert.Equal(t, "operation not supported: KDC proxies (MS-KKDCP) such as https://kdc/",
		err.Error())
	e, ok := KRB5Table.Entry(ErrNotSupported.Code)
	require.True(t, ok)
	assert.Equal(t, "credential cache type does not support the operation", e.Message)
}

func TestFromCodeMatchesSentinel(t *testing.T) {
	Register(KRB5Table)
	t.Cleanup(func() { Release(KRB5Table) })
	err := FromCode(KDCCode(24)).With("AS exchange", nil)
	assert.ErrorIs(t, err, ErrPreauthFailed)
	assert.Equal(t, "pre-authentication failed: AS exchange", err.Error())
}

func TestErrorSurvivesRelease(t *testing.T) {
	for _, tab := range Tables() {
		t.Run(tab.Name(), func(t *testing.T) {
			code := tab.Code(tab.Len() - 1)
			Register(tab)
			err := fmt.Errorf("wrapped: %w", FromCode(code).With("x", nil))
			before := err.Error()
			e, _ := tab.Entry(code)
			assert.Equal(t, "wrapped: "+e.Message+": x", before)
			Release(tab)
			require.Equal(t, 0, Registered(tab))
			assert.Equal(t, before, err.Error())
			assert.NotEqual(t, e.Message, Message(code),
				"the table itself is gone")
		})
	}
}

// TestUnknownCodes checks the text com_err's error_message gives a code
// it has no message for: "Unknown code " followed by the table name
// decoded from the code, a space and the index in decimal, or just the
// number when the table part is zero (MIT src/util/et/error_message.c).
func TestUnknownCodes(t *testing.T) {
	k5gBase := K5GTable.Base()
	tests := []struct {
		name string
		code Code
		want string
	}{
		{"zero", 0, "Unknown code 0"},
		{"unregistered krb5", KRB5Table.Base() + 250, "Unknown code krb5 250"},
		{"past end of k5g", k5gBase + 200, "Unknown code k5g 200"},
		{"unknown table", mustBase(t, "zzz9") + 7, "Unknown code zzz9 7"},
		{"one char", mustBase(t, "A") + 1, "Unknown code A 1"},
	}
	Register(K5GTable)
	t.Cleanup(func() { Release(K5GTable) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Message(tt.code))
			assert.Equal(t, tt.want, FromCode(tt.code).Error())
		})
	}
}

func mustBase(t *testing.T, name string) Code {
	t.Helper()
	b, err := Base(name)
	require.NoError(t, err)
	return b
}

func TestTableNameSkipsZeroCharacters(t *testing.T) {
	// A code whose table number has a zero six-bit group in the middle
	// does not come from compile_et, but error_table_name skips the group.
	a := uint32(1) // 'A'
	b := uint32(2) // 'B'
	n := a<<12 | b // "A", zero, "B"
	assert.Equal(t, "AB", tableName(Code(int32(n<<8))))
}

func TestGSSMajorString(t *testing.T) {
	tests := []struct {
		m    GSSMajor
		want string
	}{
		{GSSComplete, "GSS_S_COMPLETE"},
		{GSSBadMech, "GSS_S_BAD_MECH"},
		{GSSFailure, "GSS_S_FAILURE"},
		{GSSBadMIC, "GSS_S_BAD_SIG"},
		{GSSContinueNeeded, "GSS_S_CONTINUE_NEEDED"},
		{GSSCallBadStructure | GSSNoCred,
			"GSS_S_CALL_BAD_STRUCTURE|GSS_S_NO_CRED"},
		{GSSDefectiveToken | GSSDuplicateToken | GSSGapToken,
			"GSS_S_DEFECTIVE_TOKEN|GSS_S_DUPLICATE_TOKEN|GSS_S_GAP_TOKEN"},
		{GSSOldToken | GSSUnseqToken, "GSS_S_OLD_TOKEN|GSS_S_UNSEQ_TOKEN"},
		{200 << 16, "0xc80000"},
		{GSSBadName | 1<<10, "GSS_S_BAD_NAME|0x400"},
		{9 << 24, "0x9000000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.m.String())
			assert.Equal(t, tt.want, fmt.Sprint(tt.m))
		})
	}
}

func TestGSSMajorFields(t *testing.T) {
	m := GSSCallInaccessibleRead | GSSContextExpired | GSSContinueNeeded |
		GSSOldToken
	assert.Equal(t, GSSCallInaccessibleRead, m.CallingError())
	assert.Equal(t, GSSContextExpired, m.RoutineError())
	assert.Equal(t, GSSContinueNeeded|GSSOldToken, m.Supplementary())
	assert.True(t, m.IsError())
	assert.False(t, GSSContinueNeeded.IsError())
	assert.False(t, GSSComplete.IsError())
	assert.True(t, GSSCallBadStructure.IsError())
	assert.Equal(t, GSSMajor(13<<16), GSSFailure)
	assert.Equal(t, GSSMajor(1<<16), GSSBadMech)
	assert.Equal(t, "", GSSComplete.Message())
	assert.Equal(t, "credentials have expired; token is a duplicate",
		(GSSCredentialsExpired | GSSDuplicateToken).Message())
}

func TestGSSError(t *testing.T) {
	cause := errors.New("read failed")
	skew := NewGSSError(GSSFailure, ErrClockSkew.Code, "accepting", cause)
	noCred := NewGSSError(GSSNoCred|GSSContinueNeeded, K5GTable.Code(2), "", nil)
	bare := NewGSSError(GSSBadMech, 0, "", nil)

	t.Run("text", func(t *testing.T) {
		assert.Equal(t, "unspecified failure (the minor status says more): "+
			"clocks differ by more than the allowed skew: accepting: read failed",
			skew.Error())
		assert.Equal(t, "KRB5KRB_AP_ERR_SKEW", skew.MinorName)
		assert.Equal(t, "requested mechanism is not supported", bare.Error())
		assert.Equal(t, "GSS_S_COMPLETE",
			NewGSSError(GSSComplete, 0, "", nil).Error())
	})
	t.Run("is", func(t *testing.T) {
		wrapped := fmt.Errorf("gssapi: %w", skew)
		assert.ErrorIs(t, wrapped, ErrGSSFailure)
		assert.ErrorIs(t, wrapped, ErrClockSkew, "matches its minor code")
		assert.ErrorIs(t, wrapped, cause)
		assert.NotErrorIs(t, wrapped, ErrGSSNoCred)
		assert.NotErrorIs(t, wrapped, ErrReplay)

		assert.ErrorIs(t, noCred, ErrGSSNoCred, "supplementary bits ignored")
		assert.ErrorIs(t, noCred, K5GTable.Err(2))
		assert.NotErrorIs(t, bare, ErrGSSFailure)
		assert.NotErrorIs(t, bare, &Error{Code: 0})

		byMinor := &GSSError{Major: GSSFailure, Minor: ErrReplay.Code}
		assert.NotErrorIs(t, skew, byMinor)
		assert.ErrorIs(t, NewGSSError(GSSFailure, ErrReplay.Code, "", nil),
			byMinor)
		calling := &GSSError{Major: GSSCallInaccessibleRead}
		assert.ErrorIs(t,
			NewGSSError(GSSCallInaccessibleRead|GSSBadName, 0, "", nil),
			calling)
	})
	t.Run("as", func(t *testing.T) {
		var g *GSSError
		require.ErrorAs(t, fmt.Errorf("x: %w", noCred), &g)
		assert.Equal(t, GSSNoCred, g.Major.RoutineError())
		assert.Equal(t, "KG_TGT_MISSING", g.MinorName)
		var e *Error
		assert.False(t, errors.As(skew, &e), "minor is not in the chain")
		m := skew.MinorError()
		require.NotNil(t, m)
		assert.Equal(t, "krb5", m.Table)
		assert.ErrorIs(t, m, ErrClockSkew)
		assert.Nil(t, bare.MinorError())
	})
	t.Run("unknown minor", func(t *testing.T) {
		g := NewGSSError(GSSFailure, mustBase(t, "zz")+3, "", nil)
		assert.Equal(t, "Unknown code zz 3", g.MinorMessage)
		assert.Empty(t, g.MinorName)
	})
}

// TestGSSErrorSurvivesRelease checks that the minor message is fixed when
// the error is made, from the registry while the table is registered.
func TestGSSErrorSurvivesRelease(t *testing.T) {
	tab := NewTable("tst4", []Entry{{"TST_MINOR", "minor text"}})
	Register(tab)
	g := NewGSSError(GSSDefectiveToken, tab.Code(0), "", nil)
	Release(tab)
	assert.Equal(t, "token is invalid: minor text", g.Error())
	later := NewGSSError(GSSDefectiveToken, tab.Code(0), "", nil)
	assert.Equal(t, "token is invalid: Unknown code tst4 0", later.Error())
}

// TestConcurrentTables registers and releases every table from several
// goroutines while others look codes up and build errors; run under -race.
func TestConcurrentTables(t *testing.T) {
	tables := Tables()
	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for _, tab := range tables {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					Register(tab)
					Release(tab)
				}
			}
		}()
	}
	for r := 0; r < 4; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; i < 2000; i++ {
				tab := tables[i%len(tables)]
				code := tab.Code(i % tab.Len())
				e, _ := tab.Entry(code)
				m := Message(code)
				if m != e.Message && !strings.HasPrefix(m, "Unknown code ") {
					t.Errorf("code %d: unexpected message %q", code, m)
					return
				}
				g := NewGSSError(GSSFailure, code, "", nil)
				if g.MinorMessage != e.Message {
					t.Errorf("code %d: minor message %q", code, g.MinorMessage)
					return
				}
			}
		}()
	}
	readers.Wait()
	close(stop)
	writers.Wait()
	for _, tab := range tables {
		assert.Equal(t, 0, Registered(tab), tab.Name())
	}
}
