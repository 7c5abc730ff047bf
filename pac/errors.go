package pac

import (
	"errors"
	"fmt"
)

// Sentinels matched with errors.Is.
var (
	// ErrNoPAC is returned by FromAuthorizationData for a ticket that
	// carries no PAC, as tickets from Heimdal and from KDCs without
	// Windows support do.
	ErrNoPAC = errors.New("pac: ticket carries no PAC")
	// ErrMalformed matches every *FormatError.
	ErrMalformed = errors.New("pac: malformed PAC")
	// ErrBadChecksum is matched by a *ChecksumError whose checksum was
	// computed and differs: the PAC was altered, or the key is not the
	// one that signed it.
	ErrBadChecksum = errors.New("pac: checksum does not verify")
	// ErrMissingChecksum is matched by a *ChecksumError for a PAC that
	// lacks the signature buffer asked about.
	ErrMissingChecksum = errors.New("pac: signature buffer missing")
	// ErrChecksumType is matched by a *ChecksumError whose checksum type
	// is unknown, unkeyed, or does not go with the key's enctype.
	ErrChecksumType = errors.New("pac: checksum type unsupported or " +
		"not for this key")
	// ErrClientMismatch is returned by VerifyClient when the PAC's
	// client information names another client or authentication time
	// than the ticket.
	ErrClientMismatch = errors.New(
		"pac: client information does not match the ticket")
)

// FormatError reports a PAC that does not decode. It says where and what
// was wrong, never the bytes.
type FormatError struct {
	// Buffer is the type of the buffer that failed, or 0 for the PAC's
	// header and the authorization data around it.
	Buffer BufferType
	// Offset is the byte offset, within the buffer (within the PAC for
	// the header), where decoding stopped.
	Offset int
	// Detail says what was wrong.
	Detail string
}

// Error describes the failure.
func (e *FormatError) Error() string {
	where := "header"
	if e.Buffer != 0 {
		where = e.Buffer.String() + " buffer"
	}
	return fmt.Sprintf("pac: malformed PAC: %s at offset %d: %s", where,
		e.Offset, e.Detail)
}

// Unwrap returns ErrMalformed.
func (e *FormatError) Unwrap() error { return ErrMalformed }

// ChecksumError reports a PAC signature that could not be verified.
type ChecksumError struct {
	// Buffer names the signature: TypeServerChecksum or
	// TypeKDCChecksum.
	Buffer BufferType
	// Type is the checksum type the signature names, 0 when missing.
	Type int32
	// Err is ErrBadChecksum, ErrMissingChecksum or ErrChecksumType.
	Err error
	// Detail adds what was found, or "".
	Detail string
}

// Error describes the failure.
func (e *ChecksumError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Err.Error(), e.Buffer)
	if e.Type != 0 {
		s += fmt.Sprintf(" (checksum type %d)", e.Type)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (e *ChecksumError) Unwrap() error { return e.Err }
