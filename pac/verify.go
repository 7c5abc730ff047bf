package pac

import (
	"crypto/hmac"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
)

// Checksum types that sign PACs (MS-PAC section 2.8; RFC 3961, 3962,
// 4757 and 8009).
const (
	ChecksumHMACMD5          int32 = -138 // KERB_CHECKSUM_HMAC_MD5
	ChecksumHMACSHA1AES128   int32 = 15
	ChecksumHMACSHA1AES256   int32 = 16
	ChecksumHMACSHA256AES128 int32 = 19
	ChecksumHMACSHA384AES256 int32 = 20
)

// keyUsagePAC is KERB_NON_KERB_CKSUM_SALT, the key usage of PAC
// signatures (MS-PAC section 2.8.1).
const keyUsagePAC = 17

// checksumSpec gives a checksum type's length and the enctype of the key
// that computes it; etype 0 means any key, as HMAC-MD5 is applied to
// whatever key the ticket used (MS-PAC section 2.8.1).
type checksumSpec struct {
	size  int
	etype int32
}

var checksumSpecs = map[int32]checksumSpec{
	ChecksumHMACMD5:          {16, 0},
	ChecksumHMACSHA1AES128:   {12, 17},
	ChecksumHMACSHA1AES256:   {12, 18},
	ChecksumHMACSHA256AES128: {16, 19},
	ChecksumHMACSHA384AES256: {24, 20},
}

// Signature is a PAC_SIGNATURE_DATA (MS-PAC section 2.8).
type Signature struct {
	// Type is the checksum type.
	Type int32
	// Value is the checksum; for a type this package does not know, it
	// is the rest of the buffer.
	Value []byte
	// RODCIdentifier names the read-only DC's krbtgt key that made a KDC
	// signature, 0 for a writable DC.
	RODCIdentifier uint16

	buf *Buffer
}

// KeyType returns the enctype of the key the signature needs: the one
// its checksum type belongs to, rc4-hmac (23) for HMAC-MD5, or 0 for an
// unknown checksum type.
func (s *Signature) KeyType() int32 {
	spec, ok := checksumSpecs[s.Type]
	switch {
	case !ok:
		return 0
	case spec.etype == 0:
		return 23
	}
	return spec.etype
}

func parseSignature(b *Buffer) (*Signature, error) {
	r := newReader(b.Data, b.Type)
	s := &Signature{Type: int32(r.u32("SignatureType")), buf: b}
	if spec, ok := checksumSpecs[s.Type]; ok {
		s.Value = r.bytes(spec.size, "Signature")
		if r.remaining() >= 2 {
			s.RODCIdentifier = r.u16("RODCIdentifier")
		}
	} else {
		s.Value = r.bytes(r.remaining(), "Signature")
	}
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}

// VerifyServerChecksum checks the server signature with key, the key of
// the service the ticket was issued to (the key that decrypted it): a
// checksum over the whole PAC with the server and KDC signatures zeroed
// (MS-PAC section 2.8.1). The key's bytes are not kept.
func (p *PAC) VerifyServerChecksum(key types.EncryptionKey) error {
	sig := p.ServerChecksum
	if sig == nil {
		return &ChecksumError{Buffer: TypeServerChecksum,
			Err: ErrMissingChecksum}
	}
	if p.KDCChecksum == nil {
		return &ChecksumError{Buffer: TypeKDCChecksum, Err: ErrMissingChecksum,
			Detail: "the server checksum covers it"}
	}
	data := append([]byte(nil), p.raw...)
	for _, s := range []*Signature{sig, p.KDCChecksum} {
		clear(data[s.buf.Offset+4 : s.buf.Offset+len(s.buf.Data)])
	}
	return verifyChecksum(TypeServerChecksum, sig, key, data)
}

// VerifyKDCChecksum checks the KDC signature with key, the KDC's
// krbtgt key of the signature's enctype (see Signature.KeyType): a
// checksum over the server signature (MS-PAC section 2.8.2). A service
// has that key only when it runs beside the KDC; elsewhere it would ask
// a domain controller to verify the PAC.
func (p *PAC) VerifyKDCChecksum(key types.EncryptionKey) error {
	sig := p.KDCChecksum
	if sig == nil {
		return &ChecksumError{Buffer: TypeKDCChecksum, Err: ErrMissingChecksum}
	}
	if p.ServerChecksum == nil {
		return &ChecksumError{Buffer: TypeServerChecksum,
			Err: ErrMissingChecksum, Detail: "the KDC checksum covers it"}
	}
	return verifyChecksum(TypeKDCChecksum, sig, key,
		p.ServerChecksum.buf.Data[4:])
}

func verifyChecksum(which BufferType, sig *Signature, key types.EncryptionKey,
	data []byte) error {
	fail := func(err error, detail string) error {
		return &ChecksumError{Buffer: which, Type: sig.Type, Err: err,
			Detail: detail}
	}
	spec, ok := checksumSpecs[sig.Type]
	if !ok {
		return fail(ErrChecksumType, "unknown checksum type")
	}
	if spec.etype != 0 && spec.etype != key.KeyType {
		return fail(ErrChecksumType, fmt.Sprintf(
			"the checksum needs a key of enctype %d, not %d", spec.etype,
			key.KeyType))
	}
	if spec.etype == 0 {
		// HMAC-MD5 (RFC 4757 section 4) over whatever key it is given.
		var rc4 crypto.RC4HMAC
		sum, err := rc4.GetChecksumHash(key.KeyValue, data, keyUsagePAC)
		if err != nil || !hmac.Equal(sum[:min(len(sum), spec.size)], sig.Value) {
			return fail(ErrBadChecksum, "")
		}
		return nil
	}
	k, err := kcrypto.NewKey(spec.etype, key.KeyValue)
	if err != nil {
		return fail(ErrChecksumType, fmt.Sprintf("a key of %d bytes for "+
			"enctype %d", len(key.KeyValue), key.KeyType))
	}
	defer k.Wipe()
	if good, err := k.VerifyChecksum(sig.Value, keyUsagePAC, data); err != nil ||
		!good {
		return fail(ErrBadChecksum, "")
	}
	return nil
}

// VerifyClient checks the client information against the ticket the PAC
// came from, as MIT and Heimdal do: the same authentication time, and
// the client's name without realm (components joined by "/") equal to
// the one the KDC wrote. It fails with ErrClientMismatch, or with a
// *FormatError when the PAC has no client information.
func (p *PAC) VerifyClient(cname types.PrincipalName, authTime time.Time) error {
	c := p.ClientInfo
	if c == nil {
		return &FormatError{Buffer: TypeClientInfo,
			Detail: "the PAC has no client information"}
	}
	if want := fileTimeOf(authTime); c.ClientID != want {
		return fmt.Errorf("%w: authentication time %s, the ticket's %s",
			ErrClientMismatch, c.ClientID.Time().Format(time.RFC3339),
			authTime.UTC().Format(time.RFC3339))
	}
	name := strings.Join(cname.NameString, "/")
	if !c.validName || c.Name != name {
		return fmt.Errorf("%w: the PAC names %q, the ticket %q",
			ErrClientMismatch, c.Name, name)
	}
	return nil
}
