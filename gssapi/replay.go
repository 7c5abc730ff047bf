package gssapi

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"
)

// replayShards spreads the replay cache over independent locks so that
// concurrent accepts rarely contend.
const replayShards = 32

// DefaultReplayCapacity bounds the entries a replay cache holds. With the
// default five-minute skew it covers about 3,000 new authenticators per
// second, sustained; beyond it new authenticators are refused rather
// than let an old one replay.
const DefaultReplayCapacity = 1 << 20

// replayKey identifies one authenticator: the full client principal with
// its realm, the server, the client's timestamp, and a digest of the
// authenticator's ciphertext, so that two authenticators a client made in
// the same microsecond are told apart.
type replayKey [32]byte

func newReplayKey(client, server string, ctime time.Time, cusec int, cipher []byte) replayKey {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], uint32(len(client)))
	h.Write(b[:4])
	h.Write([]byte(client))
	binary.BigEndian.PutUint32(b[:4], uint32(len(server)))
	h.Write(b[:4])
	h.Write([]byte(server))
	binary.BigEndian.PutUint64(b[:], uint64(ctime.Unix()))
	h.Write(b[:])
	binary.BigEndian.PutUint32(b[:4], uint32(cusec))
	h.Write(b[:4])
	h.Write(cipher)
	var k replayKey
	h.Sum(k[:0])
	return k
}

type replayShard struct {
	mu      sync.Mutex
	entries map[replayKey]int64 // expiry, unix nanoseconds
}

// replayCache remembers authenticators until their timestamps fall out
// of the skew window. It belongs to one acceptor credential.
type replayCache struct {
	seed     maphash.Seed
	shards   [replayShards]replayShard
	perShard int
}

func newReplayCache(capacity int) *replayCache {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	r := &replayCache{seed: maphash.MakeSeed(), perShard: max(capacity/replayShards, 1)}
	for i := range r.shards {
		r.shards[i].entries = make(map[replayKey]int64)
	}
	return r
}

// replayResult says what checkAndInsert found.
type replayResult int

const (
	replayFresh replayResult = iota
	replaySeen
	replayFull
)

// checkAndInsert records k until expires and reports whether it was
// already there, in one step under the shard's lock.
func (r *replayCache) checkAndInsert(k replayKey, now, expires time.Time) replayResult {
	s := &r.shards[maphash.Bytes(r.seed, k[:])%replayShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.entries[k]; ok && exp > now.UnixNano() {
		return replaySeen
	}
	if len(s.entries) >= r.perShard {
		s.purgeLocked(now)
		if len(s.entries) >= r.perShard {
			return replayFull
		}
	}
	s.entries[k] = expires.UnixNano()
	return replayFresh
}

func (s *replayShard) purgeLocked(now time.Time) {
	n := now.UnixNano()
	for k, exp := range s.entries {
		if exp <= n {
			delete(s.entries, k)
		}
	}
}

// purge drops expired entries from every shard.
func (r *replayCache) purge(now time.Time) {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		s.purgeLocked(now)
		s.mu.Unlock()
	}
}

// len returns the number of entries, expired or not.
func (r *replayCache) len() int {
	n := 0
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		n += len(s.entries)
		s.mu.Unlock()
	}
	return n
}
