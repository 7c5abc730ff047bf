package gssapi

import "github.com/safekrb5/safekrb5/errortables"

// Errors callers test with errors.Is. GSS errors match the sentinels of
// their routine error, and the krb5 sentinels of their minor status:
// errors.Is(err, ErrReplay) holds for a replayed authenticator.
var (
	ErrDefectiveToken  = errortables.ErrGSSDefectiveToken
	ErrNoCred          = errortables.ErrGSSNoCred
	ErrBadMech         = errortables.ErrGSSBadMech
	ErrFailure         = errortables.ErrGSSFailure
	ErrBadMIC          = errortables.ErrGSSBadMIC
	ErrContextExpired  = errortables.ErrGSSContextExpired
	ErrCredExpired     = errortables.ErrGSSCredentialsExpired
	ErrReplay          = errortables.ErrReplay
	ErrClockSkew       = errortables.ErrClockSkew
	ErrNoKey           = errortables.ErrNoKey
	ErrMutualFailed    = errortables.ErrMutualFailed
	errBadMatch        = krb5Err("KRB5KRB_AP_ERR_BADMATCH")
	errInappropriateCk = krb5Err("KRB5KRB_AP_ERR_INAPP_CKSUM")
	errWrongPrinc      = krb5Err("KRB5KRB_AP_WRONG_PRINC")
)

func krb5Err(name string) *errortables.Error {
	i, ok := errortables.KRB5Table.Index(name)
	if !ok {
		panic("gssapi: " + name + " missing from the krb5 table")
	}
	return errortables.KRB5Table.Err(i)
}
