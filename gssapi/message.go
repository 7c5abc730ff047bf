package gssapi

import (
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"

	"github.com/safekrb5/safekrb5/errortables"
)

// Per-message token identifiers of RFC 4121 section 4.2.6.
const (
	tokMIC  = 0x0404
	tokWrap = 0x0504
)

// Flags of a per-message token (RFC 4121 section 4.2.2).
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// Key usage numbers of per-message tokens (RFC 4121 section 2).
const (
	usageAcceptorSeal  = 22
	usageAcceptorSign  = 23
	usageInitiatorSeal = 24
	usageInitiatorSign = 25
)

// cfxHeaderLen is the length of the header of an RFC 4121 token.
const cfxHeaderLen = 16

// Minor statuses of per-message failures, from MIT's tables.
var (
	errTokTrunc     = ggssErr("G_TOK_TRUNC")
	errWrongTokID   = ggssErr("G_WRONG_TOKID")
	errBadTokHeader = ggssErr("G_BAD_TOK_HEADER")
	errBadDirection = ggssErr("G_BAD_DIRECTION")
	errBadLength    = k5gErr("KG_BAD_LENGTH")
)

func ggssErr(name string) *errortables.Error {
	i, ok := errortables.GGSSTable.Index(name)
	if !ok {
		panic("gssapi: " + name + " missing from the ggss table")
	}
	return errortables.GGSSTable.Err(i)
}

func k5gErr(name string) *errortables.Error {
	i, ok := errortables.K5GTable.Index(name)
	if !ok {
		panic("gssapi: " + name + " missing from the k5g table")
	}
	return errortables.K5GTable.Err(i)
}

// defective reports a malformed per-message token.
func defective(minor *errortables.Error, detail string) error {
	return gssErr(errortables.GSSDefectiveToken, minor, detail, nil)
}

// badSig reports a per-message token that failed its integrity check.
func badSig(minor *errortables.Error, detail string) error {
	return gssErr(errortables.GSSBadSig, minor, detail, nil)
}

// Wrap protects msg for the peer in an RFC 4121 Wrap token (section
// 4.2.6.2): encrypted and integrity protected when conf is true, only
// integrity protected otherwise. Each call consumes one sequence number.
// msg is not changed. Wrap is safe for concurrent use; tokens are
// numbered in the order the calls take their sequence numbers.
//
// Errors: ErrClosed after Close, ErrFinalized after the gssapi module
// was torn down, ErrContextExpired once the ticket's end time has
// passed, and a *errortables.GSSError with GSS_S_UNAVAILABLE for a
// context key whose enctype has no per-message token format here.
func (sc *SecurityContext) Wrap(msg []byte, conf bool) ([]byte, error) {
	if err := sc.enterMessage(); err != nil {
		return nil, err
	}
	defer sc.obj.Leave()
	return sc.wrap(nil, msg, conf)
}

// WrapAppend is Wrap appending the token to dst: it returns dst extended
// by the token. The token is made in dst's array when its spare
// capacity holds it, which len(msg)+72 bytes do for every enctype of
// RFC 4121; a caller that reuses one buffer, as in
//
//	buf, err = sc.WrapAppend(buf[:0], msg, true)
//
// saves allocating a token per call. msg may lie anywhere, in dst's
// spare capacity too (the token then goes to a new array). On error
// WrapAppend returns dst as it was given. Sequence numbers, concurrency
// and errors are those of Wrap.
func (sc *SecurityContext) WrapAppend(dst, msg []byte, conf bool) ([]byte, error) {
	if err := sc.enterMessage(); err != nil {
		return dst, err
	}
	defer sc.obj.Leave()
	return sc.wrap(dst, msg, conf)
}

// Unwrap checks a Wrap token from the peer and returns the message it
// carries and whether it was encrypted. Rotated tokens (RRC other than
// zero, as Windows sends them) are accepted.
//
// Errors are *errortables.GSSError values: GSS_S_DEFECTIVE_TOKEN
// (ErrDefectiveToken) for a malformed token, GSS_S_BAD_SIG (ErrBadMIC)
// for one that fails its integrity check or comes from the wrong
// direction, GSS_S_CONTEXT_EXPIRED, and the lifecycle errors of Wrap.
// When replay or sequence detection was negotiated, an authentic token
// out of order yields a sequence error (see IsSequenceError):
// ErrGapToken, ErrUnseqToken and ErrOldToken come back together with the
// message, which the caller may use or drop; ErrDuplicateToken comes
// back without it.
func (sc *SecurityContext) Unwrap(tok []byte) (msg []byte, conf bool, err error) {
	if err := sc.enterMessage(); err != nil {
		return nil, false, err
	}
	defer sc.obj.Leave()
	return sc.unwrap(nil, tok)
}

// UnwrapAppend is Unwrap appending the message to dst: it returns dst
// extended by the message, or dst as it was given when no message comes
// back (every error but the sequence errors that come with the message,
// as in Unwrap). The message is decrypted in dst's array when its spare
// capacity holds len(tok) bytes, so that a caller that reuses one
// buffer, as in
//
//	buf, conf, err = sc.UnwrapAppend(buf[:0], tok)
//
// allocates nothing per call for unrotated tokens. Beyond the message,
// dst's spare capacity may be written (with the token's header copy,
// or with zeros when the token fails its checks or is a replay). tok
// may lie anywhere, in dst's spare capacity too (the message then goes
// to a new array). Errors and the checks of sequence and replay are
// those of Unwrap.
func (sc *SecurityContext) UnwrapAppend(dst, tok []byte) (msg []byte, conf bool, err error) {
	if err := sc.enterMessage(); err != nil {
		return dst, false, err
	}
	defer sc.obj.Leave()
	return sc.unwrap(dst, tok)
}

// MIC returns an RFC 4121 MIC token (section 4.2.6.1) over msg, for the
// peer to check with VerifyMIC. Each call consumes one sequence number.
// Errors are those of Wrap.
func (sc *SecurityContext) MIC(msg []byte) ([]byte, error) {
	if err := sc.enterMessage(); err != nil {
		return nil, err
	}
	defer sc.obj.Leave()
	return sc.mic(msg)
}

// VerifyMIC checks that tok is the peer's MIC token over msg. It returns
// nil for a good token, and the errors of Unwrap otherwise; a sequence
// error means the MIC itself was good.
func (sc *SecurityContext) VerifyMIC(msg, tok []byte) error {
	if err := sc.enterMessage(); err != nil {
		return err
	}
	defer sc.obj.Leave()
	return sc.verifyMIC(msg, tok)
}

// enterMessage is the lifecycle guard of the per-message calls: it
// enters the object and refuses an expired context. On success the
// caller must Leave.
func (sc *SecurityContext) enterMessage() error {
	if err := sc.obj.Enter(); err != nil {
		return err
	}
	if !sc.EndTime.IsZero() && time.Now().After(sc.EndTime) {
		sc.obj.Leave()
		return gssErr(errortables.GSSContextExpired, nil,
			"the ticket expired at "+sc.EndTime.UTC().Format(time.RFC3339), nil)
	}
	return nil
}

// cfx reports whether the context key uses the token format of RFC 4121
// section 4.2. The older enctypes that RFC 4121 section 4.1 excludes use
// RFC 1964's format instead.
func (sc *SecurityContext) cfx() bool {
	switch sc.keyType {
	case etypeID.DES_CBC_CRC, etypeID.DES_CBC_MD4, etypeID.DES_CBC_MD5,
		etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC, etypeID.RC4_HMAC_EXP:
		return false
	}
	return true
}

// cfxEtype returns the enctype of a context key that uses RFC 4121
// tokens, or an error naming what is missing.
func (sc *SecurityContext) cfxEtype() (etype.EType, error) {
	if !sc.cfx() {
		return nil, gssErr(errortables.GSSUnavailable, nil, fmt.Sprintf(
			"per-message tokens for enctype %d (RFC 1964 format) are not implemented",
			sc.keyType), nil)
	}
	et, err := crypto.GetEtype(sc.keyType)
	if err != nil || sc.ck == nil {
		return nil, gssErr(errortables.GSSUnavailable, nil,
			fmt.Sprintf("context key enctype %d", sc.keyType), nil)
	}
	return et, nil
}

// usages returns the seal and sign key usages of tokens we send (peer
// false) or receive (peer true).
func (sc *SecurityContext) usages(peer bool) (seal, sign uint32) {
	if sc.initiator != peer {
		return usageInitiatorSeal, usageInitiatorSign
	}
	return usageAcceptorSeal, usageAcceptorSign
}

// sendFlags returns the flags of a token we send.
func (sc *SecurityContext) sendFlags() byte {
	var f byte
	if !sc.initiator {
		f |= flagSentByAcceptor
	}
	if sc.acceptorSubkey {
		f |= flagAcceptorSubkey
	}
	return f
}

// checkFlags checks the direction and key flags of a received token
// (RFC 4121 section 4.2.2).
func (sc *SecurityContext) checkFlags(f byte) error {
	if (f&flagSentByAcceptor != 0) != sc.initiator {
		return badSig(errBadDirection, "token was sent in our own direction")
	}
	if (f&flagAcceptorSubkey != 0) != sc.acceptorSubkey {
		if sc.acceptorSubkey {
			return badSig(nil, "token is not protected with the acceptor subkey")
		}
		return badSig(nil, "token claims an acceptor subkey this context has not")
	}
	return nil
}

// mic makes a MIC token over msg without the lifecycle guard, for
// callers already inside a call on the context (SPNEGO's mechListMIC,
// RFC 4178 section 5).
func (sc *SecurityContext) mic(msg []byte) ([]byte, error) {
	if !sc.cfx() {
		return sc.micV1(msg)
	}
	et, err := sc.cfxEtype()
	if err != nil {
		return nil, err
	}
	_, usage := sc.usages(false)
	tok := make([]byte, cfxHeaderLen, cfxHeaderLen+et.GetHMACBitLength()/8)
	binary.BigEndian.PutUint16(tok[0:2], tokMIC)
	tok[2] = sc.sendFlags()
	copy(tok[3:8], []byte{0xff, 0xff, 0xff, 0xff, 0xff})
	binary.BigEndian.PutUint64(tok[8:16], sc.seq.nextSend())

	tok, err = sc.ck.Checksum(tok, usage, msg, tok[:cfxHeaderLen])
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "computing the MIC", err)
	}
	return tok, nil
}

// verifyMIC checks a MIC token without the lifecycle guard.
func (sc *SecurityContext) verifyMIC(msg, tok []byte) error {
	if !sc.cfx() {
		return sc.verifyMICV1(msg, tok)
	}
	et, err := sc.cfxEtype()
	if err != nil {
		return err
	}
	if len(tok) < cfxHeaderLen {
		return defective(errTokTrunc, "MIC token shorter than its header")
	}
	if binary.BigEndian.Uint16(tok[0:2]) != tokMIC {
		return defective(errWrongTokID, fmt.Sprintf("token ID %#04x is not a MIC token",
			binary.BigEndian.Uint16(tok[0:2])))
	}
	for _, b := range tok[3:8] {
		if b != 0xff {
			return defective(errBadTokHeader, "MIC token filler is not 0xff")
		}
	}
	if err := sc.checkFlags(tok[2]); err != nil {
		return err
	}
	n := et.GetHMACBitLength() / 8
	if len(tok) != cfxHeaderLen+n {
		return defective(errBadLength, fmt.Sprintf(
			"MIC token of %d bytes, want %d", len(tok), cfxHeaderLen+n))
	}

	_, usage := sc.usages(true)
	ok, err := sc.ck.VerifyChecksum(tok[cfxHeaderLen:], usage, msg, tok[:cfxHeaderLen])
	if err != nil {
		return gssErr(errortables.GSSFailure, nil, "computing the MIC", err)
	}
	if !ok {
		return badSig(nil, "MIC does not match the message")
	}
	seq := binary.BigEndian.Uint64(tok[8:16])
	return seqErr(sc.seq.check(seq), seq)
}

// wrap appends a Wrap token to dst without the lifecycle guard. The
// token is sent unrotated (RRC 0) and, when sealed, without filler (EC
// 0): AES in CTS mode needs no padding. On error it returns dst.
func (sc *SecurityContext) wrap(dst, msg []byte, conf bool) ([]byte, error) {
	if !sc.cfx() {
		tok, err := sc.wrapV1(msg, conf)
		switch {
		case err != nil:
			return dst, err
		case dst == nil:
			return tok, nil
		case overlap(dst[len(dst):cap(dst)], msg):
			dst = dst[:len(dst):len(dst)] // append to a new array
		}
		return append(dst, tok...), nil
	}
	et, err := sc.cfxEtype()
	if err != nil {
		return dst, err
	}
	seal, _ := sc.usages(false)
	start := len(dst)
	n := cfxHeaderLen + len(msg) + cfxHeaderLen + sc.ck.Overhead()
	out := dst
	if cap(out)-start < n || overlap(out[start:cap(out)], msg) {
		out = make([]byte, start, start+n)
		copy(out, dst)
	}
	out = out[:start+cfxHeaderLen]
	hdr := out[start:]
	binary.BigEndian.PutUint16(hdr[0:2], tokWrap)
	hdr[2] = sc.sendFlags()
	hdr[3] = 0xff
	binary.BigEndian.PutUint32(hdr[4:8], 0) // EC and RRC
	binary.BigEndian.PutUint64(hdr[8:16], sc.seq.nextSend())

	if conf {
		// RFC 4121 section 4.2.4: encrypt the message, the filler and
		// a copy of the header, whose EC and RRC are those sent.
		hdr[2] |= flagSealed
		out, err = sc.ck.Encrypt(out, seal, msg, hdr)
		if err != nil {
			return dst, gssErr(errortables.GSSFailure, nil, "encrypting the message", err)
		}
		return out, nil
	}

	// Integrity only: the checksum covers the message and the header with
	// EC and RRC zero; EC then says how long the checksum is.
	out = append(out, msg...)
	out, err = sc.ck.Checksum(out, seal, msg, out[start:start+cfxHeaderLen])
	if err != nil {
		return dst, gssErr(errortables.GSSFailure, nil, "computing the checksum", err)
	}
	binary.BigEndian.PutUint16(out[start+4:start+6], uint16(et.GetHMACBitLength()/8))
	return out, nil
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

// unwrap checks a Wrap token without the lifecycle guard and appends its
// message to dst; it returns dst when no message comes back.
func (sc *SecurityContext) unwrap(dst, tok []byte) ([]byte, bool, error) {
	if !sc.cfx() {
		msg, conf, err := sc.unwrapV1(tok)
		if dst == nil {
			return msg, conf, err
		}
		if overlap(dst[len(dst):cap(dst)], tok) {
			dst = dst[:len(dst):len(dst)] // append to a new array
		}
		return append(dst, msg...), conf, err
	}
	et, err := sc.cfxEtype()
	if err != nil {
		return dst, false, err
	}
	if len(tok) < cfxHeaderLen {
		return dst, false, defective(errTokTrunc, "Wrap token shorter than its header")
	}
	if id := binary.BigEndian.Uint16(tok[0:2]); id != tokWrap {
		return dst, false, defective(errWrongTokID,
			fmt.Sprintf("token ID %#04x is not a Wrap token", id))
	}
	if tok[3] != 0xff {
		return dst, false, defective(errBadTokHeader, "Wrap token filler is not 0xff")
	}
	if err := sc.checkFlags(tok[2]); err != nil {
		return dst, false, err
	}
	ec := int(binary.BigEndian.Uint16(tok[4:6]))
	rrc := int(binary.BigEndian.Uint16(tok[6:8]))
	seq := binary.BigEndian.Uint64(tok[8:16])
	// The header is compared after decryption, which may write over
	// tok when it lies in dst's spare capacity and the body does not
	// (a rotated body is a copy): it is read first.
	var hdrBuf [cfxHeaderLen]byte
	hdr := hdrBuf[:copy(hdrBuf[:], tok)]
	body := unrotate(tok[cfxHeaderLen:], rrc)
	seal, _ := sc.usages(true)

	var out []byte
	conf := tok[2]&flagSealed != 0
	if conf {
		out, err = sc.openSealed(dst, et, hdr, body, ec, seal)
	} else {
		out, err = sc.openSigned(dst, et, hdr, body, ec, seal)
	}
	if err != nil {
		return dst, false, err
	}
	// tok may have been overwritten by the message from here on, when
	// it lay in dst's spare capacity.
	st := sc.seq.check(seq)
	if st == errortables.GSSDuplicateToken {
		// A replay is not delivered, nor left in dst's spare capacity.
		clear(out[len(dst):])
		return dst, conf, seqErr(st, seq)
	}
	return out, conf, seqErr(st, seq)
}

// openSealed decrypts the body of a sealed Wrap token, checks the header
// copy inside it (RFC 4121 section 4.2.4) and appends the message to
// dst. Like MIT it compares every field but RRC.
func (sc *SecurityContext) openSealed(dst []byte, et etype.EType, hdr, body []byte, ec int,
	usage uint32) ([]byte, error) {
	least := et.GetConfounderByteSize() + ec + cfxHeaderLen + et.GetHMACBitLength()/8
	if len(body) < least {
		return nil, defective(errTokTrunc, fmt.Sprintf(
			"sealed Wrap token body of %d bytes, at least %d needed", len(body), least))
	}
	start := len(dst)
	out, err := sc.ck.DecryptAppend(dst, usage, body)
	if err != nil {
		return nil, badSig(nil, "Wrap token does not decrypt with the context key")
	}
	plain := out[start:]
	if len(plain) < ec+cfxHeaderLen {
		clear(plain)
		return nil, defective(errBadLength, "decrypted Wrap token too short")
	}
	cp := plain[len(plain)-cfxHeaderLen:]
	if !equalBytes(cp[0:6], hdr[0:6]) || !equalBytes(cp[8:16], hdr[8:16]) {
		clear(plain)
		return nil, defective(errBadTokHeader,
			"encrypted header copy differs from the Wrap token header")
	}
	return out[:len(out)-cfxHeaderLen-ec], nil
}

// openSigned checks the checksum of an integrity-only Wrap token, whose
// EC is the checksum length (RFC 4121 section 4.2.4), and appends the
// message to dst.
func (sc *SecurityContext) openSigned(dst []byte, et etype.EType, hdr, body []byte, ec int,
	usage uint32) ([]byte, error) {
	n := et.GetHMACBitLength() / 8
	if ec != n {
		return nil, defective(errBadLength, fmt.Sprintf(
			"Wrap token EC %d is not the checksum length %d", ec, n))
	}
	if len(body) < n {
		return nil, defective(errTokTrunc, "Wrap token shorter than its checksum")
	}
	msg, sum := body[:len(body)-n], body[len(body)-n:]
	var zero [cfxHeaderLen]byte
	copy(zero[:], hdr)
	binary.BigEndian.PutUint32(zero[4:8], 0) // EC and RRC are zero here
	ok, err := sc.ck.VerifyChecksum(sum, usage, msg, zero[:])
	if err != nil {
		return nil, gssErr(errortables.GSSFailure, nil, "computing the checksum", err)
	}
	if !ok {
		return nil, badSig(nil, "Wrap token checksum does not match")
	}
	if overlap(dst[len(dst):cap(dst)], msg) {
		dst = dst[:len(dst):len(dst)] // append to a new array
	}
	return append(dst, msg...), nil
}

// unrotate undoes the right rotation by rrc bytes of a Wrap token's body
// (RFC 4121 section 4.2.5). It returns a new slice when it rotates.
func unrotate(b []byte, rrc int) []byte {
	if len(b) == 0 {
		return b
	}
	rrc %= len(b)
	if rrc == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	return append(append(out, b[rrc:]...), b[:rrc]...)
}

// keySize returns the length of a protocol key of et. gokrb5 reports 24
// bytes for aes256-cts-hmac-sha384-192, whose keys are 32 bytes long
// (RFC 8009 section 3).
func keySize(et etype.EType) int {
	if et.GetETypeID() == etypeID.AES256_CTS_HMAC_SHA384_192 {
		return 32
	}
	return et.GetKeyByteSize()
}

// concat returns a new slice holding a then b.
func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
