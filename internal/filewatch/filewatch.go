// Package filewatch tells whether files changed since they were read, for
// the objects that reload a keytab, a configuration or a credential cache
// that other processes replace.
//
// A Snapshot records, for each file or directory, a stamp made of its
// device, inode, size, and modification and change times: a replacement
// by rename changes the inode, a rewrite in place the size or the times.
// File systems keep times with a granularity (a scheduler tick on Linux,
// a second or two on others), so two writes of the same size within it
// leave the same stamp. While a stamp is younger than RacyWindow the
// snapshot therefore also compares content, through a SHA-256 digest of
// each file (the sorted names of a directory): a digest, never the bytes,
// which may be keys.
//
// Snapshots poll; they need no file system notification, so they work
// the same on every file system, network ones included.
package filewatch

import (
	"crypto/sha256"
	"io"
	"os"
	"slices"
	"time"

	"github.com/safekrb5/safekrb5/internal/fileread"
)

// RacyWindow is how long after its modification a stamp is not trusted
// on its own.
const RacyWindow = 2 * time.Second

// MaxDigest bounds what is read of one file for its digest; a larger
// file is compared by its stamp alone.
const MaxDigest = 64 << 20

// stamp identifies one version of a file, or its absence.
type stamp struct {
	mtime, ctime time.Time
	size         int64
	dev, ino     uint64
	mode         os.FileMode
	ok           bool
}

func statOf(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	s := stamp{mtime: fi.ModTime(), size: fi.Size(), mode: fi.Mode(),
		ok: true}
	s.dev, s.ino, s.ctime = sysStamp(fi)
	return s
}

// young reports whether the stamp is too recent to be trusted alone.
func (s stamp) young(now time.Time) bool {
	return s.ok && (now.Sub(s.mtime) < RacyWindow ||
		now.Sub(s.ctime) < RacyWindow)
}

type entry struct {
	path   string
	stamp  stamp
	digest [sha256.Size]byte
}

// Snapshot is the state of a list of files and directories at one time.
// The zero value and nil describe no file and never change. A Snapshot is not
// safe for concurrent use; its owner serialises Take and Changed.
type Snapshot struct {
	entries []entry
	// racy is set while some stamp is younger than RacyWindow.
	racy bool
}

// Take records the state of paths, which may be files, directories, or
// names of nothing yet. Take it before reading the files, so that a
// change made while they are read shows in Changed.
func Take(paths ...string) *Snapshot {
	s := &Snapshot{}
	s.Add(paths...)
	return s
}

// Add records the state of the paths not recorded yet.
func (s *Snapshot) Add(paths ...string) {
	now := time.Now()
	for _, p := range paths {
		if slices.ContainsFunc(s.entries, func(e entry) bool {
			return e.path == p
		}) {
			continue
		}
		e := entry{path: p, stamp: statOf(p)}
		e.digest = digest(p, e.stamp)
		s.racy = s.racy || e.stamp.young(now)
		s.entries = append(s.entries, e)
	}
}

// Paths returns the names recorded, in order.
func (s *Snapshot) Paths() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.path)
	}
	return out
}

// Changed reports whether any recorded file or directory differs from
// its state at Take: it appeared, disappeared, or has another stamp, or
// while the stamps are young, another content. Once every stamp is old
// enough, content is no longer read.
func (s *Snapshot) Changed() bool {
	if s == nil {
		return false
	}
	now := time.Now()
	racy := false
	for _, e := range s.entries {
		st := statOf(e.path)
		if st != e.stamp {
			return true
		}
		if s.racy && digest(e.path, st) != e.digest {
			return true
		}
		racy = racy || st.young(now)
	}
	s.racy = racy
	return false
}

// Gone reports whether every recorded name is missing now, as while a
// file is being replaced by a writer that removes it first.
func (s *Snapshot) Gone() bool {
	if s == nil {
		return false
	}
	for _, e := range s.entries {
		if statOf(e.path).ok {
			return false
		}
	}
	return len(s.entries) > 0
}

// digest hashes a file's content or a directory's sorted names; the
// bytes read are cleared.
func digest(path string, st stamp) [sha256.Size]byte {
	if !st.ok {
		return [sha256.Size]byte{}
	}
	if st.mode.IsDir() {
		names, err := readNames(path)
		if err != nil {
			return [sha256.Size]byte{}
		}
		h := sha256.New()
		for _, n := range names {
			h.Write([]byte(n))
			h.Write([]byte{0})
		}
		return [sha256.Size]byte(h.Sum(nil))
	}
	f, err := fileread.Open(path)
	if err != nil {
		return [sha256.Size]byte{}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxDigest))
	defer clear(b)
	if err != nil {
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(b)
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

// Watch decides when files that changed may be read again: once they
// have stayed as they are across two looks, so that a file being
// rewritten in place is not read half-written (an empty or truncated
// krb5.conf would parse). A Watch is not safe for concurrent use.
type Watch struct {
	read *Snapshot // the state when the files were last read
	seen *Snapshot // a changed state seen at the last look, not settled
}

// Reset records s, taken before the files were read, as their state.
func (w *Watch) Reset(s *Snapshot) { w.read, w.seen = s, nil }

// Read returns the snapshot given to Reset.
func (w *Watch) Read() *Snapshot { return w.read }

// Due reports whether the files changed since they were read and have
// not changed since the previous call. While every file is missing
// nothing is due.
func (w *Watch) Due() bool {
	if w.seen != nil {
		if !w.seen.Gone() && !w.seen.Changed() {
			w.seen = nil
			return true
		}
		w.seen = Take(w.seen.Paths()...)
		return false
	}
	if w.read.Gone() || !w.read.Changed() {
		return false
	}
	w.seen = Take(w.read.Paths()...)
	return false
}
