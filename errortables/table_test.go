package errortables

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBase(t *testing.T) {
	tests := []struct {
		name string
		want Code
	}{
		// Values from MIT's generated krb5_err.h, gssapi_err_krb5.h and
		// gssapi_err_generic.h.
		{"krb5", -1765328384},
		{"k5g", 39756032},
		{"ggss", -2045022976},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Base(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.name, tableName(got))
		})
	}
}

func TestBaseRejects(t *testing.T) {
	for _, name := range []string{"", "toolong", "k-5", "é"} {
		t.Run(name, func(t *testing.T) {
			_, err := Base(name)
			require.Error(t, err)
		})
	}
}

func TestRegistryCounts(t *testing.T) {
	tab := NewTable("tst1", []Entry{{"TST_A", "first"}, {"TST_B", "second"}})
	code := tab.Code(1)
	assert.Equal(t, "Unknown code tst1 1", Message(code))

	Register(tab)
	Register(tab)
	assert.Equal(t, "second", Message(code))
	Release(tab)
	assert.Equal(t, "second", Message(code), "one holder is left")
	Release(tab)
	assert.Equal(t, "Unknown code tst1 1", Message(code))
	Release(tab) // releasing an unregistered table does nothing
	assert.Equal(t, 0, Registered(tab))
}

// TestRegistryBatch registers and releases several tables in one call,
// one of them twice: each counts as if registered alone.
func TestRegistryBatch(t *testing.T) {
	a := NewTable("tst3", []Entry{{"TST3_A", "from a"}})
	b := NewTable("tst4", []Entry{{"TST4_B", "from b"}})
	Register(a, b, a)
	assert.Equal(t, 2, Registered(a))
	assert.Equal(t, 1, Registered(b))
	assert.Equal(t, "from a", Message(a.Code(0)))
	assert.Equal(t, "from b", Message(b.Code(0)))
	Release(a, b)
	assert.Equal(t, "from a", Message(a.Code(0)), "one holder of a is left")
	assert.Equal(t, "Unknown code tst4 0", Message(b.Code(0)))
	Release(a, b) // b is not registered any more: nothing happens to it
	assert.Equal(t, 0, Registered(a))
	assert.Equal(t, "Unknown code tst3 0", Message(a.Code(0)))
	Register()
	Release()
}

func TestMessageErrno(t *testing.T) {
	assert.Equal(t, "no such file or directory", Message(2))
}

func TestErrorOutlivesTable(t *testing.T) {
	tab := NewTable("tst2", []Entry{{"TST_GONE", "gone soon"}})
	Register(tab)
	err := FromCode(tab.Code(0)).With("reading x", errors.New("cause"))
	Release(tab)
	assert.Equal(t, "gone soon: reading x: cause", err.Error())
	assert.True(t, errors.Is(err, tab.Err(0)))
	assert.False(t, errors.Is(err, ErrClosed))
}

func TestSentinelsMatchWrapped(t *testing.T) {
	err := fmt.Errorf("krb5: client: %w", ErrFinalized.With("", nil))
	assert.ErrorIs(t, err, ErrFinalized)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "SKLF_FINALIZED", e.Name)
}

// TestLookupWhileRegistering runs lookups against concurrent registration
// and release; run under -race.
func TestLookupWhileRegistering(t *testing.T) {
	tab := NewTable("tst3", []Entry{{"TST_X", "x"}})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
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
	for i := 0; i < 10000; i++ {
		m := Message(tab.Code(0))
		if m != "x" && m != "Unknown code tst3 0" {
			t.Fatalf("unexpected message %q", m)
		}
	}
	close(stop)
	wg.Wait()
}
