package kcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// macWriter is what an HMAC computation needs: hmac.New's result, or a
// preparedMAC's.
type macWriter interface {
	Write(p []byte) (int, error)
	Sum(b []byte) []byte
}

// preparedMAC is HMAC (RFC 2104) with the hash states after the padded
// key blocks saved, as FIPS 198-1 section 6 allows: a message then costs
// its own blocks and the outer hash, not the two pad blocks and the
// setup of crypto/hmac. The saved states are as secret as the key and
// are wiped with it.
type preparedMAC struct {
	newHash      func() hash.Hash
	inner, outer []byte // marshaled states after K^ipad and K^opad
	blank        []byte // marshaled state of a new hash, to wipe runs
	stitch       bool   // hashEncrypt runs encryptCBCSHA1 (canStitch)

	// mu guards runs, free and wiped. Every run made is kept in runs
	// so that wipe reaches the hash states of each, which hold the
	// saved states again (and a message's at the end); a sync.Pool
	// would drop them unwiped.
	mu    sync.Mutex
	runs  []*preparedRun // every run made
	free  []*preparedRun // those not in use
	wiped bool
}

type stateHash interface {
	hash.Hash
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// prepareHMAC returns the prepared HMAC of key, no longer than the
// hash's block, or nil when the hash cannot save its state.
func prepareHMAC(newHash func() hash.Hash, key []byte) *preparedMAC {
	h, ok := newHash().(stateHash)
	if !ok || len(key) > h.BlockSize() {
		return nil
	}
	blank, err := h.MarshalBinary()
	if err != nil {
		return nil
	}
	// h ends holding a state as secret as the key: overwritten on
	// return, as are the saved states when they are not kept.
	defer h.UnmarshalBinary(blank)
	pad := make([]byte, h.BlockSize())
	defer clear(pad)
	p := &preparedMAC{newHash: newHash, blank: blank}
	for _, x := range []struct {
		b   byte
		out *[]byte
	}{{0x36, &p.inner}, {0x5c, &p.outer}} {
		clear(pad)
		copy(pad, key)
		for i := range pad {
			pad[i] ^= x.b
		}
		h.Reset()
		h.Write(pad)
		st, err := h.MarshalBinary()
		if err != nil {
			p.wipe()
			return nil
		}
		*x.out = st
	}
	p.stitch = canStitch(newHash(), p.inner)
	return p
}

// start returns an HMAC computation for one message, nil for a nil p
// or when a saved state does not restore. The caller may call done when
// the sum is taken, to let the hash states serve another message.
func (p *preparedMAC) start() *preparedRun {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wiped {
		return nil
	}
	var r *preparedRun
	if n := len(p.free); n > 0 {
		r = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		inner, ok1 := p.newHash().(stateHash)
		outer, ok2 := p.newHash().(stateHash)
		if !ok1 || !ok2 {
			return nil
		}
		r = &preparedRun{p: p, inner: inner, outer: outer}
		p.runs = append(p.runs, r)
	}
	if r.inner.UnmarshalBinary(p.inner) != nil ||
		r.outer.UnmarshalBinary(p.outer) != nil {
		p.free = append(p.free, r)
		return nil
	}
	return r
}

// wipe overwrites the saved states and those of every run, which must
// not be in use, and makes start return nil.
func (p *preparedMAC) wipe() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.inner)
	clear(p.outer)
	for _, r := range p.runs {
		r.wipe(p.blank)
	}
	p.runs, p.free = nil, nil
	p.wiped = true
}

// preparedRun is one message's HMAC from a preparedMAC: the inner and
// outer hashes restored to their states after the pads.
type preparedRun struct {
	p            *preparedMAC
	inner, outer stateHash
	state        [sha1StateLen]byte // for hashEncrypt
	sum          [64]byte           // for sumInto
}

// The marshaled state of crypto/sha1: a magic number, the five words of
// the chaining state, the buffered block, the length hashed so far,
// big-endian. hashEncrypt goes through it to hand crypto/sha1 the state
// encryptCBCSHA1 leaves.
const (
	sha1Magic    = "sha\x01"
	sha1StateLen = len(sha1Magic) + 5*4 + 64 + 8
)

// hashEncrypt writes to r, which must have nothing written yet, the
// plaintext of the whole 64-byte blocks at the start of body short of
// its last two AES blocks, and CBC-encrypts them from the zero IV with
// the round keys ek of nr rounds, in one pass through encryptCBCSHA1.
// It returns how many bytes it took: none when encryptCBCSHA1 cannot
// run, r's hash is not SHA-1, or body is too short.
func (r *preparedRun) hashEncrypt(ek []byte, nr int, body []byte) (int, error) {
	n := (len(body) - 2*aes.BlockSize) / 64 * 64
	if !r.p.stitch || n <= 0 {
		return 0, nil
	}
	st := r.p.inner
	var h [5]uint32
	for i := range h {
		h[i] = binary.BigEndian.Uint32(st[len(sha1Magic)+4*i:])
	}
	encryptCBCSHA1(&ek[0], nr, &body[0], n, &zeroIV[0], &h)
	putSHA1State(r.state[:], &h, uint64(64+n))
	err := r.inner.UnmarshalBinary(r.state[:])
	clear(h[:])
	if err != nil {
		// prepareHMAC saw crypto/sha1 take such a state, so this
		// does not happen; body is encrypted and the tag is lost.
		return 0, fmt.Errorf("kcrypto: SHA-1 state refused: %w", err)
	}
	return n, nil
}

// decryptHash decrypts body (a message's ciphertext without its tag)
// with the decryption round keys dk of nr rounds, the first block into
// conf and the rest into out (len(body)-16 bytes), and writes the whole
// plaintext to r, which must have nothing written yet. The first
// 64-byte block of plaintext is hashed on its own, as it does not lie
// in one piece; the following whole 64-byte blocks short of body's last
// two AES blocks are decrypted and hashed by decryptCBCSHA1, the rest by
// ctsDecrypt and crypto/sha1. It reports false, having done nothing,
// when decryptCBCSHA1 cannot run, r's hash is not SHA-1 or body is too
// short to gain from it.
func (r *preparedRun) decryptHash(b cipher.Block, dk []byte, nr int, conf *[aes.BlockSize]byte,
	out, body []byte) (bool, error) {
	const bs = aes.BlockSize
	n := (len(body) - 64 - 2*bs) / 64 * 64
	if !r.p.stitch || dk == nil || n <= 0 {
		return false, nil
	}
	st := r.p.inner
	var h [5]uint32
	for i := range h {
		h[i] = binary.BigEndian.Uint32(st[len(sha1Magic)+4*i:])
	}
	var first [64]byte
	decryptCBC(&dk[0], nr, &first[0], &body[0], 64, &zeroIV[0])
	sha1Blocks(&h, &first[0], 64)
	copy(conf[:], first[:bs])
	copy(out, first[bs:])
	clear(first[:])
	decryptCBCSHA1(&dk[0], nr, &out[64-bs], &body[64], n, &body[64-bs], &h)
	putSHA1State(r.state[:], &h, uint64(64+64+n))
	err := r.inner.UnmarshalBinary(r.state[:])
	clear(h[:])
	if err != nil {
		// prepareHMAC saw crypto/sha1 take such a state.
		return false, fmt.Errorf("kcrypto: SHA-1 state refused: %w", err)
	}
	done := 64 + n // bytes of body decrypted and hashed
	if err := ctsDecrypt(b, dk, nr, (*[bs]byte)(body[done-bs:done]), out[done-bs:],
		body[done:]); err != nil {
		return false, err
	}
	r.Write(out[done-bs:])
	return true, nil
}

// putSHA1State writes to out (sha1StateLen bytes) crypto/sha1's
// marshaled state with chaining words h after length bytes, a multiple
// of 64, with no bytes buffered.
func putSHA1State(out []byte, h *[5]uint32, length uint64) {
	copy(out, sha1Magic)
	for i, w := range h {
		binary.BigEndian.PutUint32(out[len(sha1Magic)+4*i:], w)
	}
	clear(out[len(sha1Magic)+20 : sha1StateLen-8])
	binary.BigEndian.PutUint64(out[sha1StateLen-8:], length)
}

// canStitch reports whether encryptCBCSHA1 can serve the HMAC whose
// inner state after its pad block is st: the processor runs it, the
// hash is crypto/sha1, and crypto/sha1 takes back a state made by
// putSHA1State and gives the same one back.
func canStitch(h hash.Hash, st []byte) bool {
	if !haveStitched || h.Size() != 20 || len(st) != sha1StateLen ||
		string(st[:len(sha1Magic)]) != sha1Magic ||
		binary.BigEndian.Uint64(st[sha1StateLen-8:]) != 64 {
		return false
	}
	sh, ok := h.(stateHash)
	if !ok {
		return false
	}
	probe := make([]byte, sha1StateLen)
	putSHA1State(probe, &[5]uint32{1, 2, 3, 4, 5}, 128)
	if sh.UnmarshalBinary(probe) != nil {
		return false
	}
	back, err := sh.MarshalBinary()
	return err == nil && string(back) == string(probe)
}

func (r *preparedRun) Write(b []byte) (int, error) { return r.inner.Write(b) }

// Sum appends HMAC(K, message) to b: the outer hash over the inner one.
func (r *preparedRun) Sum(b []byte) []byte {
	return append(b, r.sumInto(&r.sum)...)
}

// sumInto writes HMAC(K, message) to buf and returns it, cut to the
// hash's size. The sums go through r's own buffer, so that buf, which
// the hashes do not see, may live on the caller's stack.
func (r *preparedRun) sumInto(buf *[64]byte) []byte {
	r.outer.Write(r.inner.Sum(r.sum[:0]))
	return buf[:copy(buf[:], r.outer.Sum(r.sum[:0]))]
}

// done returns r's hash states to its preparedMAC for another message;
// r must not be used after. What they hold is overwritten by the next
// start, which restores a saved state into them, or by wipe.
func (r *preparedRun) done() {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wiped {
		r.wipe(p.blank)
		return
	}
	p.free = append(p.free, r)
}

// wipe overwrites r's hash states, buffered bytes included, with those
// of a new hash (blank, marshaled), and its buffers with zeros.
func (r *preparedRun) wipe(blank []byte) {
	// crypto/sha1, sha256 and sha512 restore the whole block buffer
	// from a marshaled state, where Reset leaves it as it was.
	r.inner.UnmarshalBinary(blank)
	r.outer.UnmarshalBinary(blank)
	clear(r.state[:])
	clear(r.sum[:])
}
