package lifecycle

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// releases records the values released, in order.
type releases struct {
	mu  sync.Mutex
	got []string
}

func (r *releases) release(v *Version[string]) {
	r.mu.Lock()
	r.got = append(r.got, v.Value())
	r.mu.Unlock()
}

func (r *releases) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

func versionIDs(s VersionsStats) []uint64 {
	var out []uint64
	for _, v := range s.Versions {
		out = append(out, v.Version)
	}
	return out
}

func TestVersionsPinAndRelease(t *testing.T) {
	m := NewModule(Config{Name: "versions-pin"})
	s := NewVersions[string](m, "file", "a")
	var rel releases
	now := time.Unix(1000, 0)
	assert.Nil(t, s.Current(), "nothing installed yet")

	v1, old := s.Install("one", rel.release, now)
	assert.Nil(t, old)
	assert.Equal(t, uint64(1), v1.ID())
	p := s.Current()
	require.Same(t, v1, p)
	assert.Equal(t, "one", p.Value())

	v2, old := s.Install("two", rel.release, now.Add(time.Second))
	assert.Same(t, v1, old, "Install returns the version it replaced")
	st := s.Stats()
	assert.Equal(t, uint64(2), st.Current)
	require.Len(t, st.Versions, 2)
	assert.Equal(t, VersionStats{Version: 1, Held: true, Pins: 1,
		Loaded: now, Retired: now.Add(time.Second)}, st.Versions[0])
	assert.Equal(t, VersionStats{Version: 2, Current: true, Held: true,
		Loaded: now.Add(time.Second)}, st.Versions[1])

	s.Drop(func(*Version[string]) bool { return true })
	assert.Empty(t, rel.take(), "a pinned version outlives Drop")
	assert.Equal(t, []uint64{1, 2}, versionIDs(s.Stats()))
	p.Unpin()
	assert.Equal(t, []string{"one"}, rel.take(), "the last pin releases")
	assert.False(t, v1.Pin(), "a released version cannot be pinned again")

	s.Drop(func(*Version[string]) bool { return true })
	assert.Empty(t, rel.take(), "Drop never lets the current version go")
	assert.Same(t, v2, s.Current())
	v2.Unpin()
	s.Close()
	assert.Equal(t, []string{"two"}, rel.take())
	assert.Nil(t, s.Current())
	assert.Equal(t, "two", s.Latest(), "Latest survives Close")

	v, old := s.Install("three", rel.release, now)
	assert.Nil(t, v)
	assert.Nil(t, old)
	assert.Equal(t, []string{"three"}, rel.take(),
		"Install after Close releases at once")
	s.Close()
	assert.Empty(t, rel.take(), "Close twice")
}

func TestVersionsRetired(t *testing.T) {
	m := NewModule(Config{Name: "versions-retired"})
	s := NewVersions[string](m, "file", "b")
	base := time.Unix(1000, 0)
	for i, v := range []string{"one", "two", "three"} {
		s.Install(v, nil, base.Add(time.Duration(i)*time.Minute))
	}
	got := s.Retired(func(v *Version[string]) bool {
		return v.RetiredLocked().After(base.Add(time.Minute))
	})
	require.Len(t, got, 1, "only two was retired after the first minute")
	assert.Equal(t, "two", got[0].Value())
	got[0].Unpin()

	got = s.Retired(func(*Version[string]) bool { return true })
	require.Len(t, got, 2)
	assert.Equal(t, []string{"two", "one"},
		[]string{got[0].Value(), got[1].Value()}, "newest first")
	for _, v := range got {
		v.Unpin()
	}
	s.Drop(func(v *Version[string]) bool { return v.Value() == "one" })
	assert.Equal(t, []uint64{2, 3}, versionIDs(s.Stats()))
	assert.Empty(t, s.Retired(func(v *Version[string]) bool {
		return v.Value() == "one"
	}))
	s.Close()
	assert.Empty(t, s.Stats().Versions)
}

func TestVersionsInModuleStats(t *testing.T) {
	m := NewModule(Config{Name: "versions-stats"})
	hidden := NewVersions[int](m, "config", "hidden")
	hidden.Install(1, nil, time.Time{})
	s := NewVersions[int](m, "keytab", "/etc/krb5.keytab")
	s.Install(1, nil, time.Time{})
	s.Show()
	s.Show()
	assert.Empty(t, NewVersions[int](m, "x", "y").Stats().Versions)

	st := m.Stats()
	require.Len(t, st.Versions, 1, "only shown series are listed")
	assert.Equal(t, "keytab", st.Versions[0].Kind)
	assert.Equal(t, "/etc/krb5.keytab", st.Versions[0].Name)

	p := s.Current()
	s.Install(2, nil, time.Time{})
	s.Close()
	st = m.Stats()
	require.Len(t, st.Versions, 1, "listed while a version is pinned")
	assert.Equal(t, uint64(0), st.Versions[0].Current)
	assert.Equal(t, []VersionStats{{Version: 1, Pins: 1}},
		st.Versions[0].Versions)
	p.Unpin()
	assert.Empty(t, m.Stats().Versions, "unlisted once all are released")
	hidden.Close()
}

// TestVersionsConcurrent pins and unpins from several goroutines while
// versions are installed and dropped; every version is released exactly
// once, never while pinned.
func TestVersionsConcurrent(t *testing.T) {
	m := NewModule(Config{Name: "versions-race"})
	s := NewVersions[*int](m, "file", "c")
	const installs, workers = 200, 4
	var mu sync.Mutex
	released := map[int]int{}
	pinned := map[*int]int{}
	release := func(v *Version[*int]) {
		p := v.Value()
		mu.Lock()
		defer mu.Unlock()
		released[*p]++
		assert.Zero(t, pinned[p], "released while pinned")
	}
	n := 0
	s.Install(&n, release, time.Time{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				v := s.Current()
				if v == nil {
					return
				}
				mu.Lock()
				pinned[v.Value()]++
				mu.Unlock()
				_ = *v.Value()
				mu.Lock()
				pinned[v.Value()]--
				mu.Unlock()
				v.Unpin()
			}
		}()
	}
	for i := 1; i <= installs; i++ {
		x := i
		s.Install(&x, release, time.Time{})
		s.Drop(func(*Version[*int]) bool { return true })
	}
	close(stop)
	wg.Wait()
	s.Close()
	assert.Len(t, released, installs+1)
	for v, n := range released {
		assert.Equal(t, 1, n, "version %d released %d times", v, n)
	}
	assert.Empty(t, s.Stats().Versions)
}
