package kcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"unsafe"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// Errors. Integrity failures say nothing about the key or the data.
var (
	// ErrIntegrity: a ciphertext or checksum failed its integrity check.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrUnsupported: no implementation of the enctype here or in gokrb5.
	ErrUnsupported = errors.New("unsupported enctype")
	// ErrKeySize: the base key has the wrong length for its enctype.
	ErrKeySize = errors.New("wrong key length for the enctype")
	// ErrWiped: the key was wiped.
	ErrWiped = errors.New("key was wiped")
)

// profile describes one of the enctypes implemented here.
type profile struct {
	keyLen int              // base key and Ke length
	kiLen  int              // Ki length (RFC 8009); RFC 3962 uses keyLen
	kcLen  int              // Kc length (RFC 8009); RFC 3962 uses keyLen
	macLen int              // truncated HMAC length
	hash   func() hash.Hash // HMAC hash
	sha2   bool             // RFC 8009 rather than RFC 3962
}

func profileOf(et int32) (*profile, bool) {
	switch et {
	case etypeID.AES128_CTS_HMAC_SHA1_96:
		return &aes128sha1, true
	case etypeID.AES256_CTS_HMAC_SHA1_96:
		return &aes256sha1, true
	case etypeID.AES128_CTS_HMAC_SHA256_128:
		return &aes128sha256, true
	case etypeID.AES256_CTS_HMAC_SHA384_192:
		return &aes256sha384, true
	}
	return nil, false
}

var (
	aes128sha1   = profile{16, 16, 16, 12, sha1.New, false}
	aes256sha1   = profile{32, 32, 32, 12, sha1.New, false}
	aes128sha256 = profile{16, 16, 16, 16, sha256.New, true}
	aes256sha384 = profile{32, 24, 24, 24, sha512.New384, true}
)

// Kinds of derived key (RFC 3961 section 5.3).
const (
	kindChecksum   = 0x99
	kindEncryption = 0xAA
	kindIntegrity  = 0x55
)

// minBulk is the message length from which Encrypt and Decrypt make the
// round key schedules for encryptCBC and decryptCBC, kept with the
// usage's keys.
const minBulk = 512

// ConfounderLen is the random prefix of every encrypted message.
const ConfounderLen = aes.BlockSize

// usageKeys are the keys derived for one usage; each is made on first
// need.
type usageKeys struct {
	usage      uint32
	ke, ki, kc []byte
	ek, dk     []byte // Ke's round keys, for encryptCBC and decryptCBC
	nr         int    // their number of rounds

	// hi and hc are HMACs keyed with Ki and Kc with their pads hashed,
	// and block the AES cipher of Ke, made on a usage's second use.
	hi, hc *preparedMAC
	block  cipher.Block
	uses   int
}

// Key is a base key of one enctype and the keys derived from it, made
// when a usage first needs them and kept until Wipe. A Key is safe for
// concurrent use.
type Key struct {
	etype int32
	p     *profile    // nil: handled by gokrb5
	et    etype.EType // gokrb5's enctype, for the others

	// mu guards base and derived.
	mu      sync.Mutex
	base    []byte
	derived []usageKeys
	wiped   bool
}

// KeySize returns the length in bytes of a base key of enctype et, and
// false for an enctype neither this package nor gokrb5 implements.
func KeySize(et int32) (int, bool) {
	if p, ok := profileOf(et); ok {
		return p.keyLen, true
	}
	e, err := crypto.GetEtype(et)
	if err != nil {
		return 0, false
	}
	return e.GetKeyByteSize(), true
}

// NewKey returns a Key holding a copy of base. A base of the wrong
// length for et fails with ErrKeySize, whichever code implements et, so
// that a peer's key of the wrong size is refused when it arrives rather
// than when it is first used.
func NewKey(et int32, base []byte) (*Key, error) {
	k := &Key{etype: et}
	if p, ok := profileOf(et); ok {
		if len(base) != p.keyLen {
			return nil, fmt.Errorf("%w: %d bytes for enctype %d", ErrKeySize,
				len(base), et)
		}
		k.p = p
	} else {
		e, err := crypto.GetEtype(et)
		if err != nil {
			return nil, fmt.Errorf("%w %d", ErrUnsupported, et)
		}
		if len(base) != e.GetKeyByteSize() {
			return nil, fmt.Errorf("%w: %d bytes for enctype %d", ErrKeySize,
				len(base), et)
		}
		k.et = e
	}
	k.base = append([]byte(nil), base...)
	return k, nil
}

// EType returns the key's enctype.
func (k *Key) EType() int32 { return k.etype }

// Native reports whether the enctype is implemented here rather than by
// gokrb5.
func Native(et int32) bool {
	_, ok := profileOf(et)
	return ok
}

// Wipe overwrites the base key and every derived key with zeros. Later
// calls fail with ErrWiped.
func (k *Key) Wipe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.base)
	for _, d := range k.derived {
		clear(d.ke)
		clear(d.ki)
		clear(d.kc)
		clear(d.ek)
		clear(d.dk)
		d.hi.wipe()
		d.hc.wipe()
		d.block = nil
	}
	k.derived = nil
	k.wiped = true
}

// What keys needs of a usage's keys.
const (
	needKe       = 1 << iota // the encryption key
	needKi                   // the integrity key
	needKc                   // the checksum key
	needEncSched             // Ke's round keys for encryptCBC
	needDecSched             // Ke's decryption round keys for decryptCBC
)

// keys returns the derived keys of usage, deriving those need asks for
// that are missing. The slices stay valid until Wipe; callers use them
// only during one call and Wipe is not called while calls are in
// flight. The round key schedules are made only where encryptCBC and
// decryptCBC run.
func (k *Key) keys(usage uint32, need int) (usageKeys, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.wiped {
		return usageKeys{}, ErrWiped
	}
	var u *usageKeys
	for i := range k.derived {
		if k.derived[i].usage == usage {
			u = &k.derived[i]
			break
		}
	}
	if u == nil {
		k.derived = append(k.derived, usageKeys{usage: usage})
		u = &k.derived[len(k.derived)-1]
	}
	var err error
	if need&(needKe|needEncSched|needDecSched) != 0 && u.ke == nil {
		u.ke, err = k.derive(usage, kindEncryption, k.p.keyLen)
	}
	if err == nil && need&needKi != 0 && u.ki == nil {
		u.ki, err = k.derive(usage, kindIntegrity, k.macKeyLen(k.p.kiLen))
	}
	if err == nil && need&needKc != 0 && u.kc == nil {
		u.kc, err = k.derive(usage, kindChecksum, k.macKeyLen(k.p.kcLen))
	}
	if u.uses++; err == nil && u.uses > 1 {
		if need&needKi != 0 && u.hi == nil {
			u.hi = k.prepareMAC(u.ki)
		}
		if need&needKe != 0 && u.block == nil {
			// A cipher.Block is safe for concurrent use.
			u.block, err = aes.NewCipher(u.ke)
		}
		if need&needKc != 0 && u.hc == nil {
			u.hc = k.prepareMAC(u.kc)
		}
	}
	if err == nil && haveAESDec && need&needEncSched != 0 && u.ek == nil {
		u.ek, u.nr = encryptionKeys(u.ke)
	}
	if err == nil && haveAESDec && need&needDecSched != 0 && u.dk == nil {
		u.dk, u.nr = decryptionKeys(u.ke)
	}
	return *u, err // a copy: a later append may move the slice's array
}

// cipher returns the AES cipher of Ke: the one kept for the usage, or a
// new one.
func (u *usageKeys) cipher() (cipher.Block, error) {
	if u.block != nil {
		return u.block, nil
	}
	return aes.NewCipher(u.ke)
}

// prepareMAC returns key's HMAC with its pads hashed, or nil when the
// hash cannot save its state.
func (k *Key) prepareMAC(key []byte) *preparedMAC {
	return prepareHMAC(k.p.hash, key)
}

// mac returns an HMAC keyed with key for one message, from the prepared
// one when there is one.
func (k *Key) mac(prepared *preparedMAC, key []byte) macWriter {
	if m := prepared.start(); m != nil {
		return m
	}
	return hmac.New(k.p.hash, key)
}

// tag returns mac's truncated sum, in a buffer of the caller's, and
// releases mac.
func (k *Key) tag(mac macWriter, buf *[64]byte) []byte {
	if r, ok := mac.(*preparedRun); ok {
		sum := r.sumInto(buf)[:k.p.macLen]
		r.done()
		return sum
	}
	// Not buf: an interface call would move it to the heap.
	return buf[:copy(buf[:], mac.Sum(nil)[:k.p.macLen])]
}

// bulk returns sched when a message of n bytes is long enough to be
// worth a round key schedule, else 0.
func bulk(n, sched int) int {
	if n >= minBulk {
		return sched
	}
	return 0
}

func (k *Key) macKeyLen(sha2Len int) int {
	if k.p.sha2 {
		return sha2Len
	}
	return k.p.keyLen
}

// derive makes one derived key of n bytes with k.mu held.
func (k *Key) derive(usage uint32, kind byte, n int) ([]byte, error) {
	c := usageConstant(usage, kind)
	if k.p.sha2 {
		return kdfHMACSHA2(k.p.hash, k.base, c[:], n), nil
	}
	return dkAES(k.base, c, n)
}

// dkAES is DK(base, constant) of RFC 3961 section 5.1 for AES, whose
// random-to-key is the identity: AES-CBC with a zero IV, in effect
// repeated ECB encryption, of n-fold(constant) until n bytes are made.
func dkAES(base []byte, c [5]byte, n int) ([]byte, error) {
	b, err := aes.NewCipher(base)
	if err != nil {
		return nil, err
	}
	blk := foldedConstant(c)
	out := make([]byte, 0, n+aes.BlockSize)
	for len(out) < n {
		b.Encrypt(blk[:], blk[:])
		out = append(out, blk[:]...)
	}
	clear(blk[:])
	clear(out[n:cap(out)])
	return out[:n], nil
}

// kdfHMACSHA2 is KDF-HMAC-SHA2 of RFC 8009 section 3: the first n bytes
// of HMAC(base, 00000001 | label | 00 | bits as 32-bit big-endian).
func kdfHMACSHA2(h func() hash.Hash, base, label []byte, n int) []byte {
	m := hmac.New(h, base)
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], 1)
	m.Write(buf[:])
	m.Write(label)
	m.Write([]byte{0})
	binary.BigEndian.PutUint32(buf[:], uint32(8*n))
	m.Write(buf[:])
	sum := m.Sum(nil)
	out := append([]byte(nil), sum[:n]...)
	clear(sum)
	return out
}

// Overhead returns how many bytes Encrypt adds to a plaintext.
func (k *Key) Overhead() int {
	if k.p == nil {
		return k.et.GetConfounderByteSize() + k.et.GetHMACBitLength()/8
	}
	return ConfounderLen + k.p.macLen
}

// ChecksumLen returns the length of the key's checksums.
func (k *Key) ChecksumLen() int {
	if k.p == nil {
		return k.et.GetHMACBitLength() / 8
	}
	return k.p.macLen
}

// Encrypt appends to dst the encryption of the concatenated parts under
// usage: a random confounder and the parts, encrypted, and the integrity
// tag (RFC 3962 section 6 or RFC 8009 section 5). The parts may lie in
// dst's spare capacity: Encrypt then writes to a new array.
func (k *Key) Encrypt(dst []byte, usage uint32, parts ...[]byte) ([]byte, error) {
	var conf [ConfounderLen]byte
	if _, err := rand.Read(conf[:]); err != nil {
		return nil, err
	}
	return k.encryptWith(dst, usage, conf[:], parts...)
}

// encryptWith is Encrypt with a given confounder, for test vectors.
func (k *Key) encryptWith(dst []byte, usage uint32, conf []byte,
	parts ...[]byte) ([]byte, error) {
	if k.p == nil {
		return k.encryptGokrb5(dst, usage, parts)
	}
	n := len(conf)
	for _, p := range parts {
		n += len(p)
	}
	u, err := k.keys(usage, needKe|needKi|bulk(n, needEncSched))
	if err != nil {
		return nil, err
	}
	start := len(dst)
	dst = growApart(dst, n+k.p.macLen, parts...)
	body := dst[start : start+n]
	off := copy(body, conf)
	for _, p := range parts {
		off += copy(body[off:], p)
	}
	mac := k.mac(u.hi, u.ki)
	b, err := u.cipher()
	if err != nil {
		return nil, err
	}
	if k.p.sha2 {
		// RFC 8009: the tag covers the IV and the ciphertext.
		ctsEncrypt(b, u.ek, u.nr, body, 0)
		mac.Write(zeroIV[:])
		mac.Write(body)
	} else {
		// RFC 3962: the tag covers the plaintext. With a prepared
		// HMAC and the round keys, the whole SHA-1 blocks at the
		// start of body are hashed as they are encrypted.
		done := 0
		if r, ok := mac.(*preparedRun); ok && u.ek != nil {
			if done, err = r.hashEncrypt(u.ek, u.nr, body); err != nil {
				return nil, err
			}
		}
		mac.Write(body[done:])
		ctsEncrypt(b, u.ek, u.nr, body, done)
	}
	var sum [64]byte
	return append(dst[:start+n], k.tag(mac, &sum)...), nil
}

// grow returns b with room for n more bytes, its length extended by n,
// never nil.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n || b == nil {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

func (k *Key) encryptGokrb5(dst []byte, usage uint32, parts [][]byte) ([]byte, error) {
	var plain []byte
	for _, p := range parts {
		plain = append(plain, p...)
	}
	defer clear(plain)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.wiped {
		return nil, ErrWiped
	}
	_, ct, err := k.et.EncryptMessage(k.base, plain, usage)
	if err != nil {
		return nil, err
	}
	return append(dst, ct...), nil
}

// Decrypt checks and decrypts ct under usage and returns the plaintext
// without its confounder, in a new slice. A ciphertext that was altered,
// made under another key or usage, or too short fails with an error
// matching ErrIntegrity.
func (k *Key) Decrypt(usage uint32, ct []byte) ([]byte, error) {
	return k.DecryptAppend(nil, usage, ct)
}

// DecryptAppend is Decrypt appending the plaintext to dst: it returns
// dst extended by the plaintext, in dst's own array when its spare
// capacity holds the ciphertext's length less its overhead and does not
// overlap ct. On failure it returns nil and clears what it wrote into
// dst's spare capacity.
func (k *Key) DecryptAppend(dst []byte, usage uint32, ct []byte) ([]byte, error) {
	if k.p == nil {
		plain, err := k.decryptGokrb5(usage, ct)
		if err != nil {
			return nil, err
		}
		start := len(dst)
		dst = growApart(dst, len(plain), ct)
		copy(dst[start:], plain)
		clear(plain)
		return dst, nil
	}
	const bs = aes.BlockSize
	if len(ct) < ConfounderLen+k.p.macLen {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrIntegrity, len(ct))
	}
	u, err := k.keys(usage, needKe|needKi|bulk(len(ct), needDecSched))
	if err != nil {
		return nil, err
	}
	body, tag := ct[:len(ct)-k.p.macLen], ct[len(ct)-k.p.macLen:]
	mac := k.mac(u.hi, u.ki)
	if k.p.sha2 {
		mac.Write(zeroIV[:])
		mac.Write(body)
		var sum [64]byte
		if !hmac.Equal(k.tag(mac, &sum), tag) {
			return nil, ErrIntegrity
		}
	}
	b, err := u.cipher()
	if err != nil {
		return nil, err
	}
	start := len(dst)
	dst = growApart(dst, len(body)-ConfounderLen, ct)
	out := dst[start:]
	// The confounder (the first block) is decrypted aside, the rest
	// straight into dst, chained from the first block's ciphertext; a
	// body of two blocks or less, whose blocks are swapped, goes through
	// a buffer.
	var conf [bs]byte
	hashed := false
	if r, ok := mac.(*preparedRun); ok && !k.p.sha2 {
		// The SHA-1 enctypes hash the plaintext as they decrypt it.
		hashed, err = r.decryptHash(b, u.dk, u.nr, &conf, out, body)
	}
	switch {
	case err != nil || hashed:
	case len(body) > 2*bs:
		b.Decrypt(conf[:], body[:bs])
		err = ctsDecrypt(b, u.dk, u.nr, (*[bs]byte)(body[:bs]), out, body[bs:])
	default:
		var small [2 * bs]byte
		err = ctsDecrypt(b, nil, 0, nil, small[:len(body)], body)
		copy(conf[:], small[:bs])
		copy(out, small[bs:len(body)])
		clear(small[:])
	}
	if err != nil {
		clear(out)
		return nil, err
	}
	if !k.p.sha2 {
		if !hashed {
			mac.Write(conf[:])
			mac.Write(out)
		}
		var sum [64]byte
		if !hmac.Equal(k.tag(mac, &sum), tag) {
			clear(out)
			return nil, ErrIntegrity
		}
	}
	clear(conf[:])
	return dst, nil
}

// growApart is grow, with a new array also when b's spare capacity
// overlaps one of the others, which the caller reads while it writes
// into b.
func growApart(b []byte, n int, others ...[]byte) []byte {
	spare := b[len(b):cap(b)]
	for _, o := range others {
		if overlap(spare, o) {
			nb := make([]byte, len(b), len(b)+n)
			copy(nb, b)
			return nb[:len(b)+n]
		}
	}
	return grow(b, n)
}

// overlap reports whether a and b share memory.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	pb := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}

func (k *Key) decryptGokrb5(usage uint32, ct []byte) ([]byte, error) {
	// gokrb5's decryption indexes the ciphertext without checking its
	// length (des3 panics on one shorter than its checksum) and hands
	// CBC a body that may not be whole blocks: check both first.
	mac := k.et.GetHMACBitLength() / 8
	body := len(ct) - mac
	bs := k.et.GetCypherBlockBitLength() / 8
	if body < k.et.GetConfounderByteSize() || bs > 1 && body%bs != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrIntegrity, len(ct))
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.wiped {
		return nil, ErrWiped
	}
	plain, err := k.et.DecryptMessage(k.base, ct, usage)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrIntegrity, firstWords(err.Error()))
	}
	return plain, nil
}

// firstWords shortens gokrb5's error text, which never holds key bytes.
func firstWords(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// Checksum appends to dst the keyed checksum of the concatenated parts
// under usage: HMAC with the usage's Kc, truncated (RFC 3962 section 7,
// RFC 8009 section 5).
func (k *Key) Checksum(dst []byte, usage uint32, parts ...[]byte) ([]byte, error) {
	if k.p == nil {
		return k.checksumGokrb5(dst, usage, parts)
	}
	u, err := k.keys(usage, needKc)
	if err != nil {
		return nil, err
	}
	mac := k.mac(u.hc, u.kc)
	for _, p := range parts {
		mac.Write(p)
	}
	var sum [64]byte
	return append(dst, k.tag(mac, &sum)...), nil
}

func (k *Key) checksumGokrb5(dst []byte, usage uint32, parts [][]byte) ([]byte, error) {
	var data []byte
	for _, p := range parts {
		data = append(data, p...)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.wiped {
		return nil, ErrWiped
	}
	sum, err := k.et.GetChecksumHash(k.base, data, usage)
	if err != nil {
		return nil, err
	}
	return append(dst, sum...), nil
}

// VerifyChecksum reports whether sum is the checksum of the parts under
// usage, in constant time.
func (k *Key) VerifyChecksum(sum []byte, usage uint32, parts ...[]byte) (bool, error) {
	var buf [64]byte
	want, err := k.Checksum(buf[:0], usage, parts...)
	if err != nil {
		return false, err
	}
	return hmac.Equal(want, sum), nil
}
