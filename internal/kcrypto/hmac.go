package kcrypto

import (
	"encoding"
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

	// runs keeps the hash states of finished messages for the next.
	runs sync.Pool
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
	pad := make([]byte, h.BlockSize())
	defer clear(pad)
	p := &preparedMAC{newHash: newHash}
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
			return nil
		}
		*x.out = st
	}
	return p
}

// start returns an HMAC computation for one message, nil for a nil p
// or when a saved state does not restore. The caller may call done when
// the sum is taken, to let the hash states serve another message.
func (p *preparedMAC) start() *preparedRun {
	if p == nil {
		return nil
	}
	r, _ := p.runs.Get().(*preparedRun)
	if r == nil {
		inner, ok1 := p.newHash().(stateHash)
		outer, ok2 := p.newHash().(stateHash)
		if !ok1 || !ok2 {
			return nil
		}
		r = &preparedRun{p: p, inner: inner, outer: outer}
	}
	if r.inner.UnmarshalBinary(p.inner) != nil ||
		r.outer.UnmarshalBinary(p.outer) != nil {
		return nil
	}
	return r
}

func (p *preparedMAC) wipe() {
	if p != nil {
		clear(p.inner)
		clear(p.outer)
	}
}

// preparedRun is one message's HMAC from a preparedMAC: the inner and
// outer hashes restored to their states after the pads.
type preparedRun struct {
	p            *preparedMAC
	inner, outer stateHash
}

func (r *preparedRun) Write(b []byte) (int, error) { return r.inner.Write(b) }

// Sum appends HMAC(K, message) to b: the outer hash over the inner one.
func (r *preparedRun) Sum(b []byte) []byte {
	var buf [64]byte
	r.outer.Write(r.inner.Sum(buf[:0]))
	return r.outer.Sum(b)
}

// done returns r's hash states to its preparedMAC's pool; r must not be
// used after. What they hold is overwritten by the next start, which
// restores a saved state into them.
func (r *preparedRun) done() { r.p.runs.Put(r) }

// release hands m's hash states back when m came from a preparedMAC.
func release(m macWriter) {
	if r, ok := m.(*preparedRun); ok {
		r.done()
	}
}
