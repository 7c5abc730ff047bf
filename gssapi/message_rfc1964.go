package gssapi

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"fmt"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/support"
)

// Per-message tokens in the format of RFC 1964 section 1.2, which
// contexts keep when their key's enctype predates RFC 4121 (section 4.1
// there): rc4-hmac, whose algorithms RFC 4757 section 7 defines, and
// des3-cbc-sha1-kd, whose algorithms MIT krb5 defined. Unlike RFC 4121
// tokens they carry the mechanism's GSS framing (RFC 2743 section 3.1),
// a 32-bit sequence number encrypted under a key made from the token's
// checksum, and the sender's direction inside that encrypted field.

// Token identifiers of RFC 1964 section 1.2.
const (
	tokMICv1  = 0x0101
	tokWrapV1 = 0x0201
)

// Signing and sealing algorithm numbers, sent little-endian.
const (
	sgnHMACMD5       = 0x0011 // RFC 4757 section 7.1
	sgnHMACSHA1DES3  = 0x0004
	sealRC4          = 0x0010 // RFC 4757 section 7.1
	sealDES3         = 0x0002
	sealNone         = 0xffff
	usageV1Sign      = 23 // KG_USAGE_SIGN of MIT krb5
	rc4UsageV1Wrap   = 13 // RFC 4757 section 7.3, Wrap tokens
	rc4UsageV1MIC    = 15 // RFC 4757 section 7.3, MIC tokens
	v1Head           = 16 // TOK_ID through SND_SEQ
	v1ConfounderSize = 8
)

// Direction markers filling the last four bytes of a token's plain
// sequence number field (RFC 1964 section 1.2.1.2).
const (
	v1FromInitiator = 0x00
	v1FromAcceptor  = 0xff
)

// errBadSeq is the minor status of a sequence number field whose
// direction bytes disagree.
var errBadSeq = k5gErr("KG_BAD_SEQ")

// v1Suite is the cryptography of one RFC 1964 profile.
type v1Suite struct {
	sgnAlg, sealAlg uint16
	cksumLen        int
	blockLen        int // the plaintext of a Wrap token is padded to this
	// sign returns the token checksum over the token's first eight
	// bytes and the data, truncated to cksumLen.
	sign func(key []byte, wrap bool, hdr, data []byte) ([]byte, error)
	// seqNum lays out a plain sequence number field.
	seqNum func(seq uint32, dir byte) []byte
	// seqCrypt encrypts or decrypts the 8-byte sequence number field
	// under a key or IV made from the checksum.
	seqCrypt func(key, cksum, field []byte, encrypt bool) ([]byte, error)
	// seal encrypts or decrypts the confounder, message and padding of
	// a sealed Wrap token in place.
	seal func(key []byte, seq uint32, b []byte, encrypt bool) error
}

// rc4Suite is RFC 4757 section 7.3.
var rc4Suite = v1Suite{
	sgnAlg: sgnHMACMD5, sealAlg: sealRC4, cksumLen: 8, blockLen: 1,
	sign: func(key []byte, wrap bool, hdr, data []byte) ([]byte, error) {
		usage := uint32(rc4UsageV1MIC)
		if wrap {
			usage = rc4UsageV1Wrap
		}
		ksign := hmacMD5(key, []byte("signaturekey\x00"))
		h := md5.New()
		h.Write(binary.LittleEndian.AppendUint32(nil, usage))
		h.Write(hdr)
		h.Write(data)
		return hmacMD5(ksign, h.Sum(nil))[:8], nil
	},
	seqNum: func(seq uint32, dir byte) []byte {
		b := binary.BigEndian.AppendUint32(make([]byte, 0, 8), seq)
		return append(b, dir, dir, dir, dir)
	},
	seqCrypt: func(key, cksum, field []byte, _ bool) ([]byte, error) {
		out := make([]byte, len(field))
		rc4XOR(rc4Key(key, cksum[:8]), out, field)
		return out, nil
	},
	seal: func(key []byte, seq uint32, b []byte, _ bool) error {
		local := make([]byte, len(key))
		for i, c := range key {
			local[i] = c ^ 0xf0
		}
		k := rc4Key(local, binary.BigEndian.AppendUint32(nil, seq))
		support.Wipe(local)
		rc4XOR(k, b, b)
		return nil
	},
}

// rc4Key derives the RC4 key of RFC 4757 section 7.3 for the usage
// number 0 and salt: HMAC-MD5(HMAC-MD5(key, 0), salt).
func rc4Key(key, salt []byte) []byte {
	k := hmacMD5(key, []byte{0, 0, 0, 0})
	out := hmacMD5(k, salt)
	support.Wipe(k)
	return out
}

func rc4XOR(key, dst, src []byte) {
	c, err := rc4.NewCipher(key)
	if err != nil {
		panic("gssapi: RC4 key of 16 bytes refused: " + err.Error())
	}
	c.XORKeyStream(dst, src)
	support.Wipe(key)
}

func hmacMD5(key, data []byte) []byte {
	m := hmac.New(md5.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// des3Suite is MIT krb5's profile for des3-cbc-sha1-kd: an HMAC-SHA1
// checksum under the key derived for usage 23, and raw triple DES in
// CBC mode for the sequence number (the checksum's first block as IV)
// and the sealed data (a zero IV).
var des3Suite = v1Suite{
	sgnAlg: sgnHMACSHA1DES3, sealAlg: sealDES3, cksumLen: 20, blockLen: 8,
	sign: func(key []byte, _ bool, hdr, data []byte) ([]byte, error) {
		return crypto.Des3CbcSha1Kd{}.GetChecksumHash(key, concat(hdr, data), usageV1Sign)
	},
	seqNum: func(seq uint32, dir byte) []byte {
		b := binary.LittleEndian.AppendUint32(make([]byte, 0, 8), seq)
		return append(b, dir, dir, dir, dir)
	},
	seqCrypt: func(key, cksum, field []byte, encrypt bool) ([]byte, error) {
		out := append([]byte(nil), field...)
		return out, des3CBC(key, cksum[:des.BlockSize], out, encrypt)
	},
	seal: func(key []byte, _ uint32, b []byte, encrypt bool) error {
		return des3CBC(key, make([]byte, des.BlockSize), b, encrypt)
	},
}

// des3CBC encrypts or decrypts b, a whole number of blocks, in place.
func des3CBC(key, iv, b []byte, encrypt bool) error {
	c, err := des.NewTripleDESCipher(key)
	if err != nil {
		return err
	}
	if len(b)%des.BlockSize != 0 {
		return fmt.Errorf("%d bytes are not whole DES blocks", len(b))
	}
	if encrypt {
		cipher.NewCBCEncrypter(c, iv).CryptBlocks(b, b)
	} else {
		cipher.NewCBCDecrypter(c, iv).CryptBlocks(b, b)
	}
	return nil
}

// v1Suite returns the profile of the context key, or an error naming an
// enctype that has none here (single DES, rc4-hmac-exp).
func (sc *SecurityContext) v1Suite() (*v1Suite, error) {
	switch sc.keyType {
	case etypeID.RC4_HMAC:
		return &rc4Suite, nil
	case etypeID.DES3_CBC_SHA1_KD:
		return &des3Suite, nil
	}
	return nil, gssErr(errortables.GSSUnavailable, nil, fmt.Sprintf(
		"per-message tokens for enctype %d are not implemented", sc.keyType), nil)
}

// v1Direction returns the direction marker of tokens we send (peer
// false) or receive (peer true).
func (sc *SecurityContext) v1Direction(peer bool) byte {
	if sc.initiator != peer {
		return v1FromInitiator
	}
	return v1FromAcceptor
}

// micV1 makes an RFC 1964 MIC token (section 1.2.1).
func (sc *SecurityContext) micV1(msg []byte) ([]byte, error) {
	s, err := sc.v1Suite()
	if err != nil {
		return nil, err
	}
	inner := make([]byte, v1Head+s.cksumLen)
	binary.BigEndian.PutUint16(inner[0:2], tokMICv1)
	binary.LittleEndian.PutUint16(inner[2:4], s.sgnAlg)
	copy(inner[4:8], []byte{0xff, 0xff, 0xff, 0xff})
	seq := uint32(sc.seq.nextSend())
	if err := sc.signV1(s, inner, msg, false, seq); err != nil {
		return nil, err
	}
	return wrapGSS(OIDKRB5, inner)
}

// signV1 fills in the checksum and the encrypted sequence number of
// inner, whose first eight bytes are set, over data.
func (sc *SecurityContext) signV1(s *v1Suite, inner, data []byte, wrap bool,
	seq uint32) error {
	return sc.key.Use(func(k []byte) error {
		sum, err := s.sign(k, wrap, inner[:8], data)
		if err != nil {
			return gssErr(errortables.GSSFailure, nil, "computing the checksum", err)
		}
		copy(inner[v1Head:], sum)
		field, err := s.seqCrypt(k, sum, s.seqNum(seq, sc.v1Direction(false)), true)
		if err != nil {
			return gssErr(errortables.GSSFailure, nil, "encrypting the sequence number", err)
		}
		copy(inner[8:v1Head], field)
		return nil
	})
}

// wrapV1 makes an RFC 1964 Wrap token (section 1.2.2): a random
// confounder, the message and its padding, sealed when conf is true.
func (sc *SecurityContext) wrapV1(msg []byte, conf bool) ([]byte, error) {
	s, err := sc.v1Suite()
	if err != nil {
		return nil, err
	}
	pad := s.blockLen - len(msg)%s.blockLen
	off := v1Head + s.cksumLen
	inner := make([]byte, off+v1ConfounderSize+len(msg)+pad)
	binary.BigEndian.PutUint16(inner[0:2], tokWrapV1)
	binary.LittleEndian.PutUint16(inner[2:4], s.sgnAlg)
	binary.LittleEndian.PutUint16(inner[4:6], sealNone)
	if conf {
		binary.LittleEndian.PutUint16(inner[4:6], s.sealAlg)
	}
	inner[6], inner[7] = 0xff, 0xff
	body := inner[off:]
	if _, err := rand.Read(body[:v1ConfounderSize]); err != nil {
		return nil, err
	}
	copy(body[v1ConfounderSize:], msg)
	for i := len(body) - pad; i < len(body); i++ {
		body[i] = byte(pad)
	}

	seq := uint32(sc.seq.nextSend())
	if err := sc.signV1(s, inner, body, true, seq); err != nil {
		return nil, err
	}
	if conf {
		err = sc.key.Use(func(k []byte) error { return s.seal(k, seq, body, true) })
		if err != nil {
			return nil, gssErr(errortables.GSSFailure, nil, "encrypting the message", err)
		}
	}
	return wrapGSS(OIDKRB5, inner)
}

// openV1 checks the GSS framing of an RFC 1964 token and its fixed
// fields, and returns the token without its framing.
func openV1(s *v1Suite, tok []byte, id uint16) ([]byte, error) {
	inner, err := v1Inner(tok)
	if err != nil {
		return nil, err
	}
	if len(inner) < v1Head+s.cksumLen {
		return nil, defective(errTokTrunc, "token shorter than its header")
	}
	if got := binary.BigEndian.Uint16(inner[0:2]); got != id {
		return nil, defective(errWrongTokID, fmt.Sprintf(
			"token ID %#04x, want %#04x", got, id))
	}
	if got := binary.LittleEndian.Uint16(inner[2:4]); got != s.sgnAlg {
		return nil, defective(errBadTokHeader, fmt.Sprintf(
			"signing algorithm %#04x, the context key uses %#04x", got, s.sgnAlg))
	}
	seal := binary.LittleEndian.Uint16(inner[4:6])
	if id == tokMICv1 && seal != sealNone || seal != sealNone && seal != s.sealAlg {
		return nil, defective(errBadTokHeader, fmt.Sprintf(
			"sealing algorithm %#04x does not suit the token", seal))
	}
	if inner[6] != 0xff || inner[7] != 0xff {
		return nil, defective(errBadTokHeader, "token filler is not 0xff")
	}
	return inner, nil
}

// v1Inner removes the GSS framing of a per-message token: the
// [APPLICATION 0] tag and length, which must cover the whole token, and
// the Kerberos mechanism OID. Unlike context tokens, per-message tokens
// may be as long as the messages they carry.
func v1Inner(tok []byte) ([]byte, error) {
	if len(tok) < 2 || tok[0] != 0x60 {
		return nil, defective(errBadTokHeader, "token has no GSS framing")
	}
	n, off := int(tok[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(tok) < 2+k {
			return nil, defective(errBadTokHeader, "bad GSS framing length")
		}
		n = 0
		for _, c := range tok[2 : 2+k] {
			n = n<<8 | int(c)
		}
		off += k
	}
	if n != len(tok)-off {
		return nil, defective(errBadLength, fmt.Sprintf(
			"GSS framing announces %d bytes, %d follow", n, len(tok)-off))
	}
	body := tok[off:]
	for _, oid := range [][]byte{krb5OIDDER, msKRB5OIDDER} {
		if len(body) >= len(oid) && equalBytes(body[:len(oid)], oid) {
			return body[len(oid):], nil
		}
	}
	return nil, defective(errBadTokHeader, "token is not for the Kerberos mechanism")
}

// The DER encodings of the Kerberos mechanism OIDs.
var (
	krb5OIDDER   = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	msKRB5OIDDER = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02}
)

// checkV1 verifies the checksum of an RFC 1964 token over data and
// decrypts its sequence number, refusing tokens sent in our own
// direction.
func (sc *SecurityContext) checkV1(s *v1Suite, inner, data []byte, wrap bool) error {
	return sc.key.Use(func(k []byte) error {
		want, err := s.sign(k, wrap, inner[:8], data)
		if err != nil {
			return gssErr(errortables.GSSFailure, nil, "computing the checksum", err)
		}
		if !hmac.Equal(want, inner[v1Head:v1Head+s.cksumLen]) {
			return badSig(nil, "token checksum does not match")
		}
		return nil
	})
}

// seqV1 decrypts the sequence number field of an RFC 1964 token. The
// field's direction is checked by checkDirection, once the checksum
// has shown the token authentic.
func (sc *SecurityContext) seqV1(s *v1Suite, inner []byte) (seq uint32, dir []byte,
	err error) {
	var plain []byte
	err = sc.key.Use(func(k []byte) error {
		var err error
		plain, err = s.seqCrypt(k, inner[v1Head:v1Head+s.cksumLen], inner[8:v1Head], false)
		return err
	})
	if err != nil {
		return 0, nil, gssErr(errortables.GSSFailure, nil,
			"decrypting the sequence number", err)
	}
	if s.sgnAlg == sgnHMACMD5 {
		return binary.BigEndian.Uint32(plain[:4]), plain[4:], nil
	}
	return binary.LittleEndian.Uint32(plain[:4]), plain[4:], nil
}

// checkDirection checks the direction bytes of a decrypted sequence
// number field: four equal bytes naming the peer.
func (sc *SecurityContext) checkDirection(dir []byte) error {
	if dir[0] != dir[1] || dir[0] != dir[2] || dir[0] != dir[3] {
		return badSig(errBadSeq, "sequence number field is corrupt")
	}
	if dir[0] != sc.v1Direction(true) {
		return badSig(errBadDirection, "token was sent in our own direction")
	}
	return nil
}

// verifyMICV1 checks an RFC 1964 MIC token over msg.
func (sc *SecurityContext) verifyMICV1(msg, tok []byte) error {
	s, err := sc.v1Suite()
	if err != nil {
		return err
	}
	inner, err := openV1(s, tok, tokMICv1)
	if err != nil {
		return err
	}
	if len(inner) != v1Head+s.cksumLen {
		return defective(errBadLength, fmt.Sprintf("MIC token of %d bytes, want %d",
			len(inner), v1Head+s.cksumLen))
	}
	if err := sc.checkV1(s, inner, msg, false); err != nil {
		return err
	}
	seq, dir, err := sc.seqV1(s, inner)
	if err != nil {
		return err
	}
	if err := sc.checkDirection(dir); err != nil {
		return err
	}
	return seqErr(sc.seq.check(uint64(seq)), uint64(seq))
}

// unwrapV1 checks an RFC 1964 Wrap token and returns its message.
func (sc *SecurityContext) unwrapV1(tok []byte) ([]byte, bool, error) {
	s, err := sc.v1Suite()
	if err != nil {
		return nil, false, err
	}
	inner, err := openV1(s, tok, tokWrapV1)
	if err != nil {
		return nil, false, err
	}
	off := v1Head + s.cksumLen
	n := len(inner) - off
	if n < v1ConfounderSize+1 || n%s.blockLen != 0 {
		return nil, false, defective(errBadLength, fmt.Sprintf(
			"Wrap token carries %d bytes, not a whole number of %d-byte blocks "+
				"after an %d-byte confounder", n, s.blockLen, v1ConfounderSize))
	}
	seq, dir, err := sc.seqV1(s, inner)
	if err != nil {
		return nil, false, err
	}
	body := append([]byte(nil), inner[off:]...)
	conf := binary.LittleEndian.Uint16(inner[4:6]) != sealNone
	if conf {
		err := sc.key.Use(func(k []byte) error { return s.seal(k, seq, body, false) })
		if err != nil {
			return nil, false, gssErr(errortables.GSSFailure, nil, "decrypting the message", err)
		}
	}
	if err := sc.checkV1(s, inner, body, true); err != nil {
		return nil, false, err
	}
	if err := sc.checkDirection(dir); err != nil {
		return nil, false, err
	}
	pad := int(body[len(body)-1])
	if pad == 0 || pad > 8 || pad > n-v1ConfounderSize {
		return nil, false, defective(errBadLength, fmt.Sprintf("padding of %d bytes", pad))
	}
	for _, c := range body[len(body)-pad:] {
		if int(c) != pad {
			return nil, false, defective(errBadLength, "padding bytes differ")
		}
	}
	msg := body[v1ConfounderSize : len(body)-pad]
	st := sc.seq.check(uint64(seq))
	if st == errortables.GSSDuplicateToken {
		return nil, conf, seqErr(st, uint64(seq))
	}
	return msg, conf, seqErr(st, uint64(seq))
}

// newSubkey makes a random key of et for an initiator's authenticator.
// Triple DES keys need their parity set; the other enctypes take random
// bytes as they are.
func newSubkey(et etype.EType) ([]byte, error) {
	if et.GetETypeID() == etypeID.DES3_CBC_SHA1_KD {
		seed := make([]byte, et.GetKeySeedBitLength()/8)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		defer support.Wipe(seed)
		return et.RandomToKey(seed), nil
	}
	k := make([]byte, keySize(et))
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}
