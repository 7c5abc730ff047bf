package gssapi

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// These tests forge tickets with gokrb5 from keys they put in keytab
// files themselves, so that the key sets' bookkeeping is checked
// without a KDC; reload_test.go does the same against MIT's.

const (
	forgeRealm   = "RELOAD.TEST"
	forgeService = "HTTP/localhost"
	forgeEtype   = 18 // aes256-cts-hmac-sha1-96
)

// testClock is a settable clock safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *testClock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }

// forgeKeys is a keytab file with random-password keys by kvno.
type forgeKeys struct {
	t    testing.TB
	path string
	all  *keytab.Keytab // every key ever made, to forge tickets with
}

func newForgeKeys(t testing.TB) *forgeKeys {
	return &forgeKeys{t: t, path: filepath.Join(t.TempDir(), "service.keytab"),
		all: keytab.New()}
}

// write replaces the file atomically with the keys of kvnos, making
// those not made yet.
func (f *forgeKeys) write(kvnos ...int) {
	f.t.Helper()
	f.replace(f.marshal(kvnos...))
}

// marshal returns a keytab file with the keys of kvnos, making those not
// made yet.
func (f *forgeKeys) marshal(kvnos ...int) []byte {
	f.t.Helper()
	out := keytab.New()
	for _, v := range kvnos {
		if !f.has(v) {
			require.NoError(f.t, f.all.AddEntry(forgeService, forgeRealm,
				"pw-"+string(rune('a'+v)), time.Now(), uint8(v), forgeEtype))
		}
		for _, e := range f.all.Entries {
			if int(e.KVNO) == v {
				out.Entries = append(out.Entries, e)
			}
		}
	}
	b, err := out.Marshal()
	require.NoError(f.t, err)
	return b
}

func (f *forgeKeys) has(kvno int) bool {
	for _, e := range f.all.Entries {
		if int(e.KVNO) == kvno {
			return true
		}
	}
	return false
}

// replace writes b to a temporary file and renames it over the keytab.
func (f *forgeKeys) replace(b []byte) {
	f.t.Helper()
	tmp := f.path + ".tmp"
	require.NoError(f.t, os.WriteFile(tmp, b, 0o600))
	require.NoError(f.t, os.Rename(tmp, f.path))
}

// token forges a Kerberos AP-REQ token with a ticket under kvno's key,
// valid at now.
func (f *forgeKeys) token(kvno int, now time.Time) []byte {
	f.t.Helper()
	return f.tokens(kvno, 1, now)[0]
}

// tokens forges n AP-REQ tokens with one ticket under kvno's key, valid
// at now, whose authenticators differ in time, so that none replays
// another.
func (f *forgeKeys) tokens(kvno, n int, now time.Time) [][]byte {
	f.t.Helper()
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice")
	sname := types.NewPrincipalName(nametype.KRB_NT_SRV_HST, forgeService)
	now = now.UTC()
	tkt, skey, err := messages.NewTicket(cname, forgeRealm, sname, forgeRealm,
		types.NewKrbFlags(), f.all, forgeEtype, kvno, now, now,
		now.Add(time.Hour), now.Add(time.Hour))
	require.NoError(f.t, err)
	ck := make([]byte, 24)
	binary.LittleEndian.PutUint32(ck, 16)
	out := make([][]byte, 0, n)
	for i := range n {
		at := now.Add(-time.Duration(i) * time.Microsecond)
		auth := types.Authenticator{AVNO: 5, CRealm: forgeRealm, CName: cname,
			Cksum: types.Checksum{CksumType: gssChecksumType, Checksum: ck},
			CTime: at.Truncate(time.Second), Cusec: at.Nanosecond() / 1000}
		ap, err := messages.NewAPReq(tkt, skey, auth)
		require.NoError(f.t, err)
		b, err := ap.Marshal()
		require.NoError(f.t, err)
		tok, err := krb5Token(tokAPReq, b)
		require.NoError(f.t, err)
		out = append(out, tok)
	}
	return out
}

// accept accepts a token for kvno and returns the context.
func (f *forgeKeys) accept(ac *AcceptorCredential, kvno int) (*SecurityContext, error) {
	sc, _, err := ac.Accept(f.token(kvno, ac.clock.Now()))
	return sc, err
}

// wipes records the generations whose keys were wiped, in order.
func wipes(ac *AcceptorCredential) <-chan uint64 {
	ch := make(chan uint64, 256)
	ac.keys.mu.Lock()
	ac.keys.onWipe = func(gen uint64, _ *krb5.Keytab) { ch <- gen }
	ac.keys.mu.Unlock()
	return ch
}

// leakKeys keeps, against the rules, the memory behind every key of
// every key set alive, by generation, so that a test can check it was
// zeroed.
func leakKeys(t testing.TB, ac *AcceptorCredential) map[uint64][][]byte {
	t.Helper()
	out := map[uint64][][]byte{}
	_, sets := ac.keys.sets.Snapshot()
	for _, v := range sets {
		kt := v.Value().kt
		entries, err := kt.Entries()
		require.NoError(t, err)
		for _, e := range entries {
			require.NoError(t, kt.UseKey(e.Principal, e.Realm, e.KVNO, e.EType,
				func(k types.EncryptionKey, _ uint32) error {
					out[v.ID()] = append(out[v.ID()], k.KeyValue)
					return nil
				}))
		}
	}
	return out
}

// zeroed reports whether every byte of every key is zero.
func zeroed(keys [][]byte) bool {
	for _, k := range keys {
		for _, b := range k {
			if b != 0 {
				return false
			}
		}
	}
	return len(keys) > 0
}

func generations(s AcceptorStats) []uint64 {
	var out []uint64
	for _, ks := range s.KeySets {
		out = append(out, ks.Generation)
	}
	return out
}

func TestReloadKeepsKVNOsInTheNewFile(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile("FILE:"+f.path,
		WithAcceptorClock(newTestClock()))
	require.NoError(t, err)
	defer ac.Close()
	wiped := wipes(ac)

	sc, err := f.accept(ac, 1)
	require.NoError(t, err)
	require.NoError(t, sc.Close())

	// ktadd into an existing keytab: the old kvno stays beside the new.
	f.write(1, 2)
	require.NoError(t, ac.Reload())
	assert.Equal(t, uint64(1), <-wiped, "nothing pinned the first set")
	for _, kvno := range []int{1, 2} {
		sc, err := f.accept(ac, kvno)
		require.NoError(t, err, "kvno %d", kvno)
		require.NoError(t, sc.Close())
	}

	// The old kvno removed, no grace: its tickets are refused.
	f.write(2)
	require.NoError(t, ac.Reload())
	_, err = f.accept(ac, 1)
	require.ErrorIs(t, err, ErrNoKey)
	sc, err = f.accept(ac, 2)
	require.NoError(t, err)
	require.NoError(t, sc.Close())

	s := ac.Stats()
	assert.Equal(t, uint64(3), s.Generation)
	assert.Equal(t, uint64(2), s.Reloads)
	assert.Equal(t, []uint64{3}, generations(s))
	assert.Equal(t, []uint32{2}, s.KeySets[0].KVNOs)
}

func TestReloadGracePeriod(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	clock := newTestClock()
	ac, err := NewAcceptorCredentialFromFile(f.path, WithAcceptorClock(clock),
		WithKeyGrace(time.Minute))
	require.NoError(t, err)
	defer ac.Close()
	wiped := wipes(ac)

	f.write(2)
	require.NoError(t, ac.Reload())
	s := ac.Stats()
	require.Len(t, s.KeySets, 2)
	assert.True(t, s.KeySets[0].Searched, "the old set is in its grace period")
	assert.Equal(t, clock.Now().Add(time.Minute), s.KeySets[0].GraceUntil)

	sc, err := f.accept(ac, 1)
	require.NoError(t, err, "an old ticket within the grace period")
	assert.Equal(t, 1, ac.Stats().KeySets[0].Pins)

	clock.advance(2 * time.Minute)
	_, err = f.accept(ac, 1)
	require.ErrorIs(t, err, ErrNoKey, "after the grace period")
	s = ac.Stats()
	require.Len(t, s.KeySets, 2, "the context still pins the old set")
	assert.False(t, s.KeySets[0].Searched)
	select {
	case g := <-wiped:
		t.Fatalf("generation %d wiped while a context uses it", g)
	default:
	}
	old := s.KeySets[0].Generation
	keys := leakKeys(t, ac)
	require.False(t, zeroed(keys[old]), "the pinned set's keys are intact")
	require.NoError(t, sc.Close())
	assert.Equal(t, old, <-wiped)
	assert.Equal(t, []uint64{2}, generations(ac.Stats()))
	assert.True(t, zeroed(keys[old]), "the old keys were zeroed")
	assert.False(t, zeroed(keys[2]), "the current keys are intact")
}

func TestReloadFailureKeepsKeys(t *testing.T) {
	tests := []struct {
		name    string
		content func(f *forgeKeys) []byte
		is      error
		text    string
	}{
		{"garbage", func(*forgeKeys) []byte { return []byte("not a keytab") },
			krb5.ErrKTFormat, "keytab is badly formatted: reading file format version " +
				"at offset 0: unsupported file format version"},
		{"truncated", func(f *forgeKeys) []byte {
			b, err := os.ReadFile(f.path)
			require.NoError(t, err)
			return b[:len(b)-7]
		}, krb5.ErrKTFormat, "keytab is badly formatted: reading "},
		{"no keys", func(*forgeKeys) []byte {
			b, err := keytab.New().Marshal()
			require.NoError(t, err)
			return b
		}, ErrNoCred, "holds no keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newForgeKeys(t)
			f.write(1)
			ac, err := NewAcceptorCredentialFromFile(f.path,
				WithAcceptorClock(newTestClock()))
			require.NoError(t, err)
			defer ac.Close()

			f.replace(tc.content(f))
			err = ac.Reload()
			reloadErr := err
			var re *ReloadError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, f.path, re.Path)
			require.ErrorIs(t, err, tc.is)
			assert.Contains(t, err.Error(), f.path)
			assert.Contains(t, err.Error(), tc.text)
			assert.Contains(t, err.Error(), "previous keys stay in force")

			sc, err := f.accept(ac, 1)
			require.NoError(t, err, "the old keys are still in force")
			require.NoError(t, sc.Close())
			s := ac.Stats()
			assert.Equal(t, uint64(1), s.Generation)
			assert.Equal(t, uint64(1), s.ReloadFailures)
			assert.Equal(t, reloadErr.Error(), s.LastError)
		})
	}
}

func TestReloadRefusesKeytabWithoutThePrincipal(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile(f.path,
		WithPrincipal(forgeService+"@"+forgeRealm))
	require.NoError(t, err)
	defer ac.Close()
	other := keytab.New()
	require.NoError(t, other.AddEntry("HTTP/elsewhere", forgeRealm, "x",
		time.Now(), 3, forgeEtype))
	b, err := other.Marshal()
	require.NoError(t, err)
	f.replace(b)
	err = ac.Reload()
	require.ErrorIs(t, err, ErrNoCred)
	assert.Contains(t, err.Error(), "no key for "+forgeService)
}

func TestReloadNeedsAFile(t *testing.T) {
	kt := emptyKeytabInternal(t)
	ac, err := NewAcceptorCredential(kt)
	require.NoError(t, err)
	defer ac.Close()
	require.ErrorIs(t, ac.Reload(), ErrNotReloadable)

	for name, opt := range map[string]AcceptorOption{
		"watch":  WithKeytabWatch(time.Second),
		"signal": WithReloadSignal(make(chan os.Signal)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewAcceptorCredential(kt, opt)
			require.ErrorIs(t, err, ErrNotReloadable)
		})
	}
	_, err = NewAcceptorCredentialFromFile(filepath.Join(t.TempDir(), "none"))
	var re *ReloadError
	require.ErrorAs(t, err, &re)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func emptyKeytabInternal(t *testing.T) *krb5.Keytab {
	g := keytab.New()
	require.NoError(t, g.AddEntry("HTTP/nowhere", "NOWHERE.TEST", "password",
		time.Now(), 1, forgeEtype))
	kt, err := krb5.NewKeytab(g)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	return kt
}

// TestKeytabWatchAndSignal reloads on a file change seen by polling and
// on a signal, reports failures to the notify function, and stops its
// goroutine on Close.
func TestKeytabWatchAndSignal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newForgeKeys(t)
	f.write(1)
	notes := make(chan error, 4)
	sig := make(chan os.Signal, 1)
	ac, err := NewAcceptorCredentialFromFile(f.path,
		WithKeytabWatch(5*time.Millisecond), WithReloadSignal(sig),
		WithReloadNotify(func(err error) { notes <- err }))
	require.NoError(t, err)

	f.write(1, 2)
	require.NoError(t, <-notes, "the watcher saw the new file")
	assert.Equal(t, uint64(2), ac.Stats().Generation)
	sc, err := f.accept(ac, 2)
	require.NoError(t, err)
	require.NoError(t, sc.Close())

	f.replace([]byte("garbage"))
	err = <-notes
	require.ErrorIs(t, err, krb5.ErrKTFormat, "a broken file is reported")
	assert.Equal(t, uint64(2), ac.Stats().Generation)

	f.write(2, 3)
	require.NoError(t, <-notes)
	sig <- syscall.SIGHUP
	require.NoError(t, <-notes, "the signal reloads even an unchanged file")
	assert.Equal(t, uint64(4), ac.Stats().Generation)
	close(sig)
	require.NoError(t, ac.Close())
	assert.Empty(t, ac.Stats().KeySets, "Close wipes every unpinned set")
}

// TestAcceptsDuringReloads accepts from several goroutines while the
// file is replaced over and over; the race detector watches the key
// sets' references, and every set is wiped in the end.
func TestAcceptsDuringReloads(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile(f.path, WithKeyGrace(time.Hour))
	require.NoError(t, err)
	wiped := wipes(ac)
	const workers, each, reloads = 4, 25, 20
	toks := make([][][]byte, workers)
	for w := range toks {
		for range each {
			toks[w] = append(toks[w], f.token(1, time.Now()))
		}
	}
	var wg sync.WaitGroup
	var held sync.Map
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, tok := range toks[w] {
				sc, _, err := ac.Accept(tok)
				if !assert.NoError(t, err) {
					return
				}
				if i%2 == 0 {
					held.Store(sc, true) // closed after the credential
				} else {
					assert.NoError(t, sc.Close())
				}
			}
		}()
	}
	for i := range reloads {
		if i%2 == 0 {
			f.write(1, 2)
		} else {
			f.write(1)
		}
		require.NoError(t, ac.Reload())
	}
	wg.Wait()
	require.NoError(t, ac.Close())
	held.Range(func(k, _ any) bool {
		assert.NoError(t, k.(*SecurityContext).Close())
		return true
	})
	assert.Empty(t, ac.Stats().KeySets)
	assert.Len(t, wiped, reloads+1, "every generation was wiped once")
}

// TestKeytabWatchSeesRewrites rewrites the file many times in quick
// succession, by rename and in place, each time with the keys of one new
// kvno alone, so every version has the same size; in place, every
// version also gets the same modification time, as on a file system
// that keeps whole seconds. The watch alone, and a ticket under the new
// kvno arriving at once (the eager look), each see every version.
func TestKeytabWatchSeesRewrites(t *testing.T) {
	stamp := time.Now().Truncate(time.Second)
	inPlace := func(f *forgeKeys, b []byte) {
		fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_TRUNC, 0)
		require.NoError(t, err)
		_, err = fh.Write(b)
		require.NoError(t, err)
		require.NoError(t, fh.Close())
		require.NoError(t, os.Chtimes(f.path, stamp, stamp))
	}
	ways := []struct {
		name    string
		replace func(f *forgeKeys, b []byte)
	}{
		{"renamed", (*forgeKeys).replace},
		{"rewritten in place", inPlace},
	}
	const versions = 8
	for _, way := range ways {
		for _, eager := range []bool{false, true} {
			name := way.name + map[bool]string{false: ", watch",
				true: ", eager"}[eager]
			t.Run(name, func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				f := newForgeKeys(t)
				f.write(1)
				size := len(f.marshal(1))
				interval := 2 * time.Millisecond
				if eager {
					interval = time.Hour // the watch never looks
				}
				notes := make(chan error, 64)
				ac, err := NewAcceptorCredentialFromFile(f.path,
					WithKeytabWatch(interval),
					WithReloadNotify(func(err error) { notes <- err }))
				require.NoError(t, err)
				defer ac.Close()
				before := inode(t, f.path)

				for kvno := 2; kvno <= versions; kvno++ {
					b := f.marshal(kvno)
					require.Len(t, b, size, "every version has one size")
					way.replace(f, b)
					if !eager {
						waitForKVNO(t, ac, notes, uint32(kvno))
					}
					sc, err := f.accept(ac, kvno)
					require.NoError(t, err, "kvno %d", kvno)
					require.NoError(t, sc.Close())
					s := ac.Stats()
					assert.Equal(t, []uint32{uint32(kvno)},
						s.KeySets[len(s.KeySets)-1].KVNOs)
				}
				if way.name == "rewritten in place" {
					assert.Equal(t, before, inode(t, f.path), "the same file")
				}
			})
		}
	}
}

// waitForKVNO waits for reloads reported to notes until the current key
// set holds kvno. A reload may fail on the way, having read the file
// between its truncation and the write that fills it again.
func waitForKVNO(t *testing.T, ac *AcceptorCredential, notes <-chan error,
	kvno uint32) {
	t.Helper()
	timeout := time.After(time.Minute)
	for !currentHas(ac, kvno) {
		select {
		case err := <-notes:
			if err != nil {
				t.Logf("a reload failed on the way: %v", err)
			}
		case <-timeout:
			t.Fatalf("the watch did not see kvno %d", kvno)
		}
	}
}

// TestNewerKVNOConcurrentAccepts: tickets under a new kvno that arrive
// together, right after the file changed, are all accepted, although
// one accept's look at the file loads the new keys while the others
// wait for it and then find the file unchanged.
func TestNewerKVNOConcurrentAccepts(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile(f.path,
		WithKeytabWatch(time.Hour))
	require.NoError(t, err)
	defer ac.Close()
	const accepts, versions = 32, 10
	for kvno := 2; kvno <= versions; kvno++ {
		f.write(kvno)
		toks := f.tokens(kvno, accepts, time.Now())
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, tok := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				sc, _, err := ac.Accept(tok)
				if assert.NoError(t, err, "kvno %d", kvno) {
					assert.NoError(t, sc.Close())
				}
			}()
		}
		close(start)
		wg.Wait()
		assert.Equal(t, uint64(kvno), ac.Stats().Generation,
			"one reload per version of the file")
	}
}

// TestNewerKVNOLooksAreBounded: tickets under a kvno the file never
// holds, arriving while the file keeps changing, make the credential
// read the file once per eagerGap at most, not once per ticket; a
// ticket under a kvno it does hold is accepted all along.
func TestNewerKVNOLooksAreBounded(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile(f.path,
		WithKeytabWatch(time.Hour))
	require.NoError(t, err)
	defer ac.Close()
	const tickets = 12
	f.marshal(99) // a key the file never gets
	bogus := f.tokens(99, tickets, time.Now())
	good := f.tokens(1, tickets, time.Now())
	start := time.Now()
	for i := range tickets {
		f.write(1) // a new file, same keys
		_, _, err := ac.Accept(bogus[i])
		require.ErrorIs(t, err, ErrNoKey)
		sc, _, err := ac.Accept(good[i])
		require.NoError(t, err)
		require.NoError(t, sc.Close())
	}
	elapsed := time.Since(start)
	reloads := ac.Stats().Reloads
	assert.LessOrEqual(t, reloads, uint64(elapsed/eagerGap)+1,
		"%d reloads in %v", reloads, elapsed)
	assert.NotZero(t, reloads, "the looks see the new files")
}

func inode(t *testing.T, path string) uint64 {
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestWatchLooksAtTheFileForNewerKVNO: with a watch, a ticket under a
// kvno newer than any key in force makes the credential read the file at
// once; without one, only Reload does.
func TestWatchLooksAtTheFileForNewerKVNO(t *testing.T) {
	for _, watch := range []bool{true, false} {
		t.Run(fmt.Sprintf("watch=%v", watch), func(t *testing.T) {
			f := newForgeKeys(t)
			f.write(1)
			var opts []AcceptorOption
			if watch {
				opts = append(opts, WithKeytabWatch(time.Hour))
			}
			ac, err := NewAcceptorCredentialFromFile(f.path, opts...)
			require.NoError(t, err)
			defer ac.Close()

			f.write(2)
			sc, err := f.accept(ac, 2)
			if !watch {
				require.ErrorIs(t, err, ErrNoKey)
				assert.Equal(t, uint64(1), ac.Stats().Generation)
				return
			}
			require.NoError(t, err)
			require.NoError(t, sc.Close())
			assert.Equal(t, uint64(2), ac.Stats().Generation)

			f.marshal(3)
			_, err = f.accept(ac, 3)
			require.ErrorIs(t, err, ErrNoKey, "an unchanged file is not reread")
			assert.Equal(t, uint64(2), ac.Stats().Generation)
		})
	}
}

// TestReloadRacesClose: reloads and accepts race Close; each either
// finishes or fails with ErrClosed, and every key set is wiped once the
// last context closes.
func TestReloadRacesClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newForgeKeys(t)
	f.write(1)
	sig := make(chan os.Signal, 1)
	ac, err := NewAcceptorCredentialFromFile(f.path,
		WithKeytabWatch(time.Millisecond), WithReloadSignal(sig),
		WithKeyGrace(time.Hour))
	require.NoError(t, err)
	wiped := wipes(ac)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var contexts []*SecurityContext
	reloader := func() {
		for range 50 { // fewer than wipes' channel holds
			err := ac.Reload()
			if errors.Is(err, ErrClosed) {
				return
			}
			assert.NoError(t, err)
			select {
			case sig <- syscall.SIGHUP:
			default:
			}
		}
	}
	acceptor := func(toks [][]byte) {
		for _, tok := range toks {
			sc, _, err := ac.Accept(tok)
			if errors.Is(err, ErrClosed) {
				return
			}
			if assert.NoError(t, err) {
				mu.Lock()
				contexts = append(contexts, sc)
				mu.Unlock()
			}
		}
	}
	for w := range 4 {
		var toks [][]byte
		for range 20 {
			toks = append(toks, f.token(1, time.Now()))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if w%2 == 0 {
				reloader()
			} else {
				acceptor(toks)
			}
		}()
	}
	close(start)
	require.NoError(t, ac.Close())
	wg.Wait()
	s := ac.Stats()
	for _, ks := range s.KeySets {
		assert.Positive(t, ks.Pins, "only pinned sets outlive Close")
	}
	for _, sc := range contexts {
		require.NoError(t, sc.Close())
	}
	assert.Empty(t, ac.Stats().KeySets)
	seen := map[uint64]bool{}
	for len(wiped) > 0 {
		g := <-wiped
		assert.False(t, seen[g], "generation %d wiped twice", g)
		seen[g] = true
	}
	assert.Len(t, seen, int(s.Reloads)+1, "every generation was wiped")
}

// expvarRuns numbers the expvar names the tests publish.
var expvarRuns atomic.Int64

// TestKeytabInModuleStats: the gssapi module's statistics list the
// credential's keytab with its generations and their pins, until the
// last set is wiped.
func TestKeytabInModuleStats(t *testing.T) {
	f := newForgeKeys(t)
	f.write(1)
	ac, err := NewAcceptorCredentialFromFile(f.path)
	require.NoError(t, err)
	find := func() *lifecycle.VersionsStats {
		for _, v := range ModuleStats().Versions {
			if v.Name == f.path {
				return &v
			}
		}
		return nil
	}
	sc, err := f.accept(ac, 1)
	require.NoError(t, err)
	f.write(1, 2)
	require.NoError(t, ac.Reload())

	v := find()
	require.NotNil(t, v)
	assert.Equal(t, "keytab", v.Kind)

	// The same, as published for /debug/vars. The registry keeps a name
	// for the life of the process, which may run this test repeatedly.
	name := fmt.Sprintf("safekrb5_keyring_test_%d", expvarRuns.Add(1))
	require.NoError(t, support.PublishExpvar(name))
	var vars map[string]support.Stats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &vars))
	require.Contains(t, vars, "gssapi")
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var want lifecycle.VersionsStats
	require.NoError(t, json.Unmarshal(b, &want))
	assert.Contains(t, vars["gssapi"].Versions, want)
	assert.Equal(t, uint64(2), v.Current)
	require.Len(t, v.Versions, 2)
	assert.Equal(t, 1, v.Versions[0].Pins, "the context pins generation 1")
	assert.False(t, v.Versions[0].Held)
	assert.Equal(t, 0, v.Versions[1].Pins)

	require.NoError(t, ac.Close())
	require.NotNil(t, find(), "listed while a context pins a set")
	require.NoError(t, sc.Close())
	assert.Nil(t, find())
}
