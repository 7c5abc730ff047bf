package errortables

import (
	"fmt"
	"strings"
)

// GSSMajor is a GSS-API major status code (RFC 2744 section 3.9.1). It
// packs three fields: a calling error in bits 24 to 31, a routine error in
// bits 16 to 23, and supplementary information bits in bits 0 to 15. Zero
// is GSSComplete.
type GSSMajor uint32

// Field layout of a major status (RFC 2744 section 3.9.1).
const (
	gssCallingOffset = 24
	gssRoutineOffset = 16
	gssCallingMask   = GSSMajor(0xff) << gssCallingOffset
	gssRoutineMask   = GSSMajor(0xff) << gssRoutineOffset
	gssSuppMask      = GSSMajor(0xffff)
)

// GSSComplete is the successful major status.
const GSSComplete GSSMajor = 0

// Calling errors (RFC 2744 section 3.9.1, table 3-1).
const (
	// GSSCallInaccessibleRead: a required input parameter could not be
	// read.
	GSSCallInaccessibleRead GSSMajor = 1 << gssCallingOffset
	// GSSCallInaccessibleWrite: a required output parameter could not be
	// written.
	GSSCallInaccessibleWrite GSSMajor = 2 << gssCallingOffset
	// GSSCallBadStructure: a parameter was malformed.
	GSSCallBadStructure GSSMajor = 3 << gssCallingOffset
)

// Routine errors (RFC 2744 section 3.9.1, table 3-2; values 17 to 19 from
// RFC 2744 and RFC 5587 as MIT defines them).
const (
	// GSSBadMech: unsupported mechanism.
	GSSBadMech GSSMajor = 1 << gssRoutineOffset

	// GSSBadName: invalid name.
	GSSBadName GSSMajor = 2 << gssRoutineOffset

	// GSSBadNameType: unsupported name type.
	GSSBadNameType GSSMajor = 3 << gssRoutineOffset

	// GSSBadBindings: channel bindings differ.
	GSSBadBindings GSSMajor = 4 << gssRoutineOffset

	// GSSBadStatus: invalid status code.
	GSSBadStatus GSSMajor = 5 << gssRoutineOffset

	// GSSBadSig: token has an invalid MIC.
	GSSBadSig GSSMajor = 6 << gssRoutineOffset

	// GSSNoCred: no usable credentials.
	GSSNoCred GSSMajor = 7 << gssRoutineOffset

	// GSSNoContext: no valid context.
	GSSNoContext GSSMajor = 8 << gssRoutineOffset

	// GSSDefectiveToken: token is invalid.
	GSSDefectiveToken GSSMajor = 9 << gssRoutineOffset

	// GSSDefectiveCredential: credential is invalid.
	GSSDefectiveCredential GSSMajor = 10 << gssRoutineOffset

	// GSSCredentialsExpired: credentials expired.
	GSSCredentialsExpired GSSMajor = 11 << gssRoutineOffset

	// GSSContextExpired: context expired.
	GSSContextExpired GSSMajor = 12 << gssRoutineOffset

	// GSSFailure: failure given by the minor status.
	GSSFailure GSSMajor = 13 << gssRoutineOffset

	// GSSBadQOP: unsupported quality of protection.
	GSSBadQOP GSSMajor = 14 << gssRoutineOffset

	// GSSUnauthorized: operation not authorized.
	GSSUnauthorized GSSMajor = 15 << gssRoutineOffset

	// GSSUnavailable: operation unavailable.
	GSSUnavailable GSSMajor = 16 << gssRoutineOffset

	// GSSDuplicateElement: element exists already.
	GSSDuplicateElement GSSMajor = 17 << gssRoutineOffset

	// GSSNameNotMN: name is not a mechanism name.
	GSSNameNotMN GSSMajor = 18 << gssRoutineOffset

	// GSSBadMechAttr: unknown mechanism attribute.
	GSSBadMechAttr GSSMajor = 19 << gssRoutineOffset

	// GSSBadMIC is RFC 2744's second name for GSSBadSig.
	GSSBadMIC = GSSBadSig
	// GSSCredUnavail is MIT's alias of GSSFailure (GSS_S_CRED_UNAVAIL).
	GSSCredUnavail = GSSFailure
)

// Supplementary information bits (RFC 2744 section 3.9.1, table 3-3).
const (
	// GSSContinueNeeded: the context needs another token exchange.
	GSSContinueNeeded GSSMajor = 1 << 0
	// GSSDuplicateToken: the token duplicates an earlier one.
	GSSDuplicateToken GSSMajor = 1 << 1
	// GSSOldToken: the token is too old to check for duplication.
	GSSOldToken GSSMajor = 1 << 2
	// GSSUnseqToken: a later token has already been processed.
	GSSUnseqToken GSSMajor = 1 << 3
	// GSSGapToken: an expected earlier token has not arrived.
	GSSGapToken GSSMajor = 1 << 4
)

// gssPart names one value of one field of a major status.
type gssPart struct {
	code    GSSMajor
	name    string // as in RFC 2744 and MIT's gssapi.h
	message string
}

// gssCalling, gssRoutine and gssSupplementary list the named values of each
// field. Aliases are not listed.
var (
	gssCalling = []gssPart{
		{GSSCallInaccessibleRead,
			"GSS_S_CALL_INACCESSIBLE_READ", "a required input parameter could not be read"},
		{GSSCallInaccessibleWrite,
			"GSS_S_CALL_INACCESSIBLE_WRITE", "a required output parameter could not be written"},
		{GSSCallBadStructure, "GSS_S_CALL_BAD_STRUCTURE", "a parameter was malformed"},
	}
	gssRoutine = []gssPart{
		{GSSBadMech, "GSS_S_BAD_MECH", "requested mechanism is not supported"},
		{GSSBadName, "GSS_S_BAD_NAME", "name is invalid"},
		{GSSBadNameType, "GSS_S_BAD_NAMETYPE", "name type is not supported"},
		{GSSBadBindings, "GSS_S_BAD_BINDINGS", "channel bindings do not match"},
		{GSSBadStatus, "GSS_S_BAD_STATUS", "status code is invalid"},
		{GSSBadSig, "GSS_S_BAD_SIG", "token has an invalid integrity check"},
		{GSSNoCred, "GSS_S_NO_CRED", "no usable credentials were supplied"},
		{GSSNoContext, "GSS_S_NO_CONTEXT", "no valid security context was supplied"},
		{GSSDefectiveToken, "GSS_S_DEFECTIVE_TOKEN", "token is invalid"},
		{GSSDefectiveCredential, "GSS_S_DEFECTIVE_CREDENTIAL", "credential is invalid"},
		{GSSCredentialsExpired, "GSS_S_CREDENTIALS_EXPIRED", "credentials have expired"},
		{GSSContextExpired, "GSS_S_CONTEXT_EXPIRED", "security context has expired"},
		{GSSFailure, "GSS_S_FAILURE", "unspecified failure (the minor status says more)"},
		{GSSBadQOP, "GSS_S_BAD_QOP", "quality of protection is not supported"},
		{GSSUnauthorized, "GSS_S_UNAUTHORIZED", "operation is not authorized"},
		{GSSUnavailable, "GSS_S_UNAVAILABLE", "operation is not available"},
		{GSSDuplicateElement, "GSS_S_DUPLICATE_ELEMENT", "credential element exists already"},
		{GSSNameNotMN, "GSS_S_NAME_NOT_MN", "name is not a mechanism name"},
		{GSSBadMechAttr, "GSS_S_BAD_MECH_ATTR", "mechanism attribute is unknown"},
	}
	gssSupplementary = []gssPart{
		{GSSContinueNeeded, "GSS_S_CONTINUE_NEEDED", "another token exchange is needed"},
		{GSSDuplicateToken, "GSS_S_DUPLICATE_TOKEN", "token is a duplicate"},
		{GSSOldToken, "GSS_S_OLD_TOKEN", "token is too old to check for duplicates"},
		{GSSUnseqToken, "GSS_S_UNSEQ_TOKEN", "a later token was processed already"},
		{GSSGapToken, "GSS_S_GAP_TOKEN", "an earlier token is missing"},
	}
)

// CallingError returns the calling error field, in place (as RFC 2744's
// GSS_CALLING_ERROR does).
func (m GSSMajor) CallingError() GSSMajor { return m & gssCallingMask }

// RoutineError returns the routine error field, in place (as
// GSS_ROUTINE_ERROR does).
func (m GSSMajor) RoutineError() GSSMajor { return m & gssRoutineMask }

// Supplementary returns the supplementary information bits (as
// GSS_SUPPLEMENTARY_INFO does).
func (m GSSMajor) Supplementary() GSSMajor { return m & gssSuppMask }

// IsError reports whether m has a calling or routine error (as GSS_ERROR
// does). Supplementary bits alone are not an error.
func (m GSSMajor) IsError() bool { return m&(gssCallingMask|gssRoutineMask) != 0 }

// String returns the RFC 2744 names of every part set in m, joined by "|",
// such as "GSS_S_BAD_MECH|GSS_S_CONTINUE_NEEDED", or "GSS_S_COMPLETE" for
// zero. A part without a name is shown as a hexadecimal number.
func (m GSSMajor) String() string {
	return m.render(func(p gssPart) string { return p.name }, "|")
}

// Message returns a short description of every part set in m, joined by
// "; ", or "" for GSSComplete.
func (m GSSMajor) Message() string {
	if m == GSSComplete {
		return ""
	}
	return m.render(func(p gssPart) string { return p.message }, "; ")
}

// render shows each part of m with show, unknown parts as numbers.
func (m GSSMajor) render(show func(gssPart) string, sep string) string {
	if m == GSSComplete {
		return "GSS_S_COMPLETE"
	}
	var parts []string
	field := func(v GSSMajor, known []gssPart) {
		if v == 0 {
			return
		}
		for _, p := range known {
			if p.code == v {
				parts = append(parts, show(p))
				return
			}
		}
		parts = append(parts, fmt.Sprintf("%#x", uint32(v)))
	}
	field(m.CallingError(), gssCalling)
	field(m.RoutineError(), gssRoutine)

	supp := m.Supplementary()
	for _, p := range gssSupplementary {
		if supp&p.code != 0 {
			parts = append(parts, show(p))
			supp &^= p.code
		}
	}
	if supp != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(supp)))
	}
	return strings.Join(parts, sep)
}
