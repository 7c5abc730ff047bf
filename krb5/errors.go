package krb5

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/krbname"
)

// Sentinels for the failures callers test most. Each is a com_err error of
// the krb5 table, matched by code with errors.Is.
var (
	ErrPreauthFailed      = errortables.ErrPreauthFailed
	ErrClientNotFound     = errortables.ErrClientNotFound
	ErrServerNotFound     = errortables.ErrServerNotFound
	ErrClockSkew          = errortables.ErrClockSkew
	ErrReplay             = errortables.ErrReplay
	ErrTicketExpired      = errortables.ErrTicketExpired
	ErrKeyExpired         = errortables.ErrKeyExpired
	ErrBadIntegrity       = errortables.ErrBadIntegrity
	ErrResponseTooBig     = errortables.ErrResponseTooBig
	ErrNoKey              = errortables.ErrNoKey
	ErrKDCUnreachable     = errortables.ErrKDCUnreachable
	ErrRealmUnknown       = errortables.ErrRealmUnknown
	ErrCCNotFound         = errortables.ErrCCNotFound
	ErrCCFormat           = errortables.ErrCCFormat
	ErrKTFormat           = errortables.ErrKTFormat
	ErrConfigSyntax       = errortables.ErrConfigSyntax
	ErrNoDefaultRealm     = errortables.ErrNoDefaultRealm
	ErrCredNotFound       = errortables.ErrCredNotFound
	ErrNotSupported       = errortables.ErrNotSupported
	ErrWrongRealm         = errortables.ErrWrongRealm
	ErrPreauthRequired    = errortables.ErrPreauthRequired
	ErrReplyModified      = errortables.ErrKDCReplyModified
	ErrMalformedPrincipal = errortables.ErrMalformedPrincipal
	ErrMutualFailed       = errortables.ErrMutualFailed
	// ErrBadOption matches KDC_ERR_BADOPTION, which KDCs answer to a
	// delegation their policy does not allow.
	ErrBadOption = errortables.ErrBadOption
	// ErrPolicy matches KDC_ERR_POLICY.
	ErrPolicy = errortables.ErrPolicy
	// ErrASN1Parse matches a message from the network or a file that
	// failed to decode.
	ErrASN1Parse = asn1ParseError()
)

func asn1ParseError() *errortables.Error {
	i, ok := errortables.ASN1Table.Index("ASN1_PARSE_ERROR")
	if !ok {
		panic("krb5: ASN1_PARSE_ERROR missing from the asn1 table")
	}
	return errortables.ASN1Table.Err(i)
}

// KDCError is a KRB-ERROR message received from a KDC (RFC 4120, section
// 5.9.1). It keeps the protocol error code, the e-text and the e-data, and
// matches the sentinel for its code with errors.Is, so
// errors.Is(err, krb5.ErrPreauthFailed) holds for a wrong password.
type KDCError struct {
	// Code is the protocol error code, 0 to 127.
	Code int32
	// Realm and Server name who answered.
	Realm  string
	Server types.PrincipalName
	// EText is the KDC's free text, if any.
	EText string
	// EData is the KDC's e-data, if any, undecoded.
	EData []byte
	// Op says what was being done: "AS exchange", "TGS exchange".
	Op string

	err *errortables.Error
}

// newKDCError converts a gokrb5 KRB-ERROR at the boundary.
func newKDCError(op string, k *messages.KRBError) *KDCError {
	return &KDCError{
		Code:   k.ErrorCode,
		Realm:  k.Realm,
		Server: k.SName,
		EText:  k.EText,
		EData:  append([]byte(nil), k.EData...),
		Op:     op,
		err:    errortables.FromCode(errortables.KDCCode(k.ErrorCode)),
	}
}

// Error returns "krb5: OP: message (NAME)[: e-text]". An e-text that is
// not short printable text is quoted and cut (see peerText).
func (e *KDCError) Error() string {
	name := e.err.Name
	if name == "" {
		name = errorcode.Lookup(e.Code)
	}
	s := fmt.Sprintf("krb5: %s: %s (%s)", e.Op, e.err.Message, name)
	if e.EText != "" {
		s += ": " + peerText(e.EText)
	}
	return s
}

// peerText returns a KDC's e-text for an error message: as sent when it
// is short printable UTF-8, otherwise quoted and cut, so that a KDC, or
// whoever forged its unauthenticated KRB-ERROR, puts no control
// characters, false log lines or megabytes into the caller's errors.
func peerText(s string) string {
	if len(s) <= krbname.MaxQuoted && utf8.ValidString(s) &&
		strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return krbname.Quote(s)
}

// Unwrap returns the com_err error for the code.
func (e *KDCError) Unwrap() error { return e.err }

// ErrorCode returns the com_err code of the error.
func (e *KDCError) ErrorCode() errortables.Code { return e.err.Code }

func noKeyError(principal types.PrincipalName, realm string, kvno uint32,
	etype int32) error {
	what := fmt.Sprintf("no key for %s@%s with enctype %d",
		principal.PrincipalNameString(), realm, etype)
	if kvno != 0 {
		what += fmt.Sprintf(" and kvno %d", kvno)
	}
	return fmt.Errorf("krb5: keytab: %w", ErrNoKey.With(what, nil))
}

// lifecycleErr reports whether err comes from the lifecycle engine (an
// object closed or a module gone), which callers must see unchanged.
func lifecycleErr(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, ErrFinalized) ||
		errors.Is(err, ErrShuttingDown) || errors.Is(err, ErrNotLoaded)
}

// errorList is what errors.Join makes, printed on one line with "; "
// between the errors instead of a newline, so that an error naming
// every KDC tried stays one line in a log.
type errorList []error

func (l errorList) Error() string {
	msgs := make([]string, len(l))
	for i, err := range l {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l errorList) Unwrap() []error { return l }

// joinErrors is errors.Join for errors printed on one line: nil when
// every error is nil.
func joinErrors(errs ...error) error {
	var l errorList
	for _, err := range errs {
		if err != nil {
			l = append(l, err)
		}
	}
	if len(l) == 0 {
		return nil
	}
	return l
}
