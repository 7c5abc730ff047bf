package errortables

// Sentinels for the krb5 codes callers test most. Each matches, with
// errors.Is, every *Error with its code (whatever its detail or cause) and
// every *GSSError whose minor status is its code. Use With to attach detail
// and a cause; never change a sentinel.
var (
	// ErrClientNotFound: the KDC does not know the client principal
	// (KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN).
	ErrClientNotFound = mustErr(KRB5Table, "KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN")
	// ErrServerNotFound: the KDC does not know the service principal
	// (KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN).
	ErrServerNotFound = mustErr(KRB5Table, "KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN")
	// ErrPolicy: KDC policy refused the request (KRB5KDC_ERR_POLICY).
	ErrPolicy = mustErr(KRB5Table, "KRB5KDC_ERR_POLICY")
	// ErrBadOption: the KDC cannot grant a requested option
	// (KRB5KDC_ERR_BADOPTION).
	ErrBadOption = mustErr(KRB5Table, "KRB5KDC_ERR_BADOPTION")
	// ErrETypeNotSupported: the KDC supports none of the offered
	// encryption types (KRB5KDC_ERR_ETYPE_NOSUPP).
	ErrETypeNotSupported = mustErr(KRB5Table, "KRB5KDC_ERR_ETYPE_NOSUPP")
	// ErrClientRevoked: the client's credentials are revoked or the account
	// is locked (KRB5KDC_ERR_CLIENT_REVOKED).
	ErrClientRevoked = mustErr(KRB5Table, "KRB5KDC_ERR_CLIENT_REVOKED")
	// ErrKeyExpired: the password has expired (KRB5KDC_ERR_KEY_EXP).
	ErrKeyExpired = mustErr(KRB5Table, "KRB5KDC_ERR_KEY_EXP")
	// ErrPreauthFailed: pre-authentication failed, usually a wrong
	// password or key (KRB5KDC_ERR_PREAUTH_FAILED).
	ErrPreauthFailed = mustErr(KRB5Table, "KRB5KDC_ERR_PREAUTH_FAILED")
	// ErrPreauthRequired: the KDC wants pre-authentication
	// (KRB5KDC_ERR_PREAUTH_REQUIRED).
	ErrPreauthRequired = mustErr(KRB5Table, "KRB5KDC_ERR_PREAUTH_REQUIRED")
	// ErrBadIntegrity: decryption failed its integrity check, usually a
	// wrong key (KRB5KRB_AP_ERR_BAD_INTEGRITY).
	ErrBadIntegrity = mustErr(KRB5Table, "KRB5KRB_AP_ERR_BAD_INTEGRITY")
	// ErrTicketExpired: the ticket has expired (KRB5KRB_AP_ERR_TKT_EXPIRED).
	ErrTicketExpired = mustErr(KRB5Table, "KRB5KRB_AP_ERR_TKT_EXPIRED")
	// ErrTicketNotYetValid: the ticket's start time is in the future
	// (KRB5KRB_AP_ERR_TKT_NYV).
	ErrTicketNotYetValid = mustErr(KRB5Table, "KRB5KRB_AP_ERR_TKT_NYV")
	// ErrReplay: the request is a replay (KRB5KRB_AP_ERR_REPEAT).
	ErrReplay = mustErr(KRB5Table, "KRB5KRB_AP_ERR_REPEAT")
	// ErrNotUs: the ticket is for another service (KRB5KRB_AP_ERR_NOT_US).
	ErrNotUs = mustErr(KRB5Table, "KRB5KRB_AP_ERR_NOT_US")
	// ErrClockSkew: the clocks differ by more than the allowed skew
	// (KRB5KRB_AP_ERR_SKEW).
	ErrClockSkew = mustErr(KRB5Table, "KRB5KRB_AP_ERR_SKEW")
	// ErrModified: a message failed its checksum (KRB5KRB_AP_ERR_MODIFIED).
	ErrModified = mustErr(KRB5Table, "KRB5KRB_AP_ERR_MODIFIED")
	// ErrBadKeyVersion: the key version the ticket names is not available
	// (KRB5KRB_AP_ERR_BADKEYVER).
	ErrBadKeyVersion = mustErr(KRB5Table, "KRB5KRB_AP_ERR_BADKEYVER")
	// ErrResponseTooBig: the reply did not fit in UDP; retry over TCP
	// (KRB5KRB_ERR_RESPONSE_TOO_BIG).
	ErrResponseTooBig = mustErr(KRB5Table, "KRB5KRB_ERR_RESPONSE_TOO_BIG")
	// ErrGeneric: an error the KDC describes only in its e-text
	// (KRB5KRB_ERR_GENERIC).
	ErrGeneric = mustErr(KRB5Table, "KRB5KRB_ERR_GENERIC")
	// ErrWrongRealm: the realm is not served by the KDC asked
	// (KRB5KDC_ERR_WRONG_REALM).
	ErrWrongRealm = mustErr(KRB5Table, "KRB5KDC_ERR_WRONG_REALM")

	// ErrMalformedPrincipal: a principal name cannot be parsed
	// (KRB5_PARSE_MALFORMED).
	ErrMalformedPrincipal = mustErr(KRB5Table, "KRB5_PARSE_MALFORMED")
	// ErrConfigNotFound: the configuration file cannot be opened
	// (KRB5_CONFIG_CANTOPEN).
	ErrConfigNotFound = mustErr(KRB5Table, "KRB5_CONFIG_CANTOPEN")
	// ErrConfigSyntax: the configuration file is badly formatted
	// (KRB5_CONFIG_BADFORMAT).
	ErrConfigSyntax = mustErr(KRB5Table, "KRB5_CONFIG_BADFORMAT")
	// ErrNoDefaultRealm: the configuration names no default realm
	// (KRB5_CONFIG_NODEFREALM).
	ErrNoDefaultRealm = mustErr(KRB5Table, "KRB5_CONFIG_NODEFREALM")
	// ErrCredNotFound: the credential cache holds no matching credential
	// (KRB5_CC_NOTFOUND).
	ErrCredNotFound = mustErr(KRB5Table, "KRB5_CC_NOTFOUND")
	// ErrCCNotFound: the credential cache does not exist (KRB5_FCC_NOFILE).
	ErrCCNotFound = mustErr(KRB5Table, "KRB5_FCC_NOFILE")
	// ErrCCFormat: the credential cache is badly formatted (KRB5_CC_FORMAT).
	ErrCCFormat = mustErr(KRB5Table, "KRB5_CC_FORMAT")
	// ErrCCVersion: the credential cache format version is not supported
	// (KRB5_CCACHE_BADVNO).
	ErrCCVersion = mustErr(KRB5Table, "KRB5_CCACHE_BADVNO")
	// ErrNotSupported: safekrb5 does not support what was asked, a
	// credential cache or keytab type, a KDC proxy, an enctype for an
	// operation, a TGT that cannot be forwarded (KRB5_CC_NOSUPP). MIT's
	// text for the code speaks of credential caches alone; this sentinel
	// says "operation not supported", and its detail says what.
	ErrNotSupported = withMessage(mustErr(KRB5Table, "KRB5_CC_NOSUPP"),
		"operation not supported")
	// ErrNoKey: the keytab has no matching entry (KRB5_KT_NOTFOUND).
	ErrNoKey = mustErr(KRB5Table, "KRB5_KT_NOTFOUND")
	// ErrKeyVersionNotFound: the keytab has the principal but not the key
	// version asked for (KRB5_KT_KVNONOTFOUND).
	ErrKeyVersionNotFound = mustErr(KRB5Table, "KRB5_KT_KVNONOTFOUND")
	// ErrKTFormat: the keytab is badly formatted (KRB5_KT_FORMAT).
	ErrKTFormat = mustErr(KRB5Table, "KRB5_KT_FORMAT")
	// ErrKTVersion: the keytab format version is not supported
	// (KRB5_KEYTAB_BADVNO).
	ErrKTVersion = mustErr(KRB5Table, "KRB5_KEYTAB_BADVNO")
	// ErrRealmUnknown: no KDC is known for the realm (KRB5_REALM_UNKNOWN).
	ErrRealmUnknown = mustErr(KRB5Table, "KRB5_REALM_UNKNOWN")
	// ErrKDCUnreachable: no KDC of the realm answered (KRB5_KDC_UNREACH).
	ErrKDCUnreachable = mustErr(KRB5Table, "KRB5_KDC_UNREACH")
	// ErrKDCReplyModified: the KDC reply does not match the request
	// (KRB5_KDCREP_MODIFIED).
	ErrKDCReplyModified = mustErr(KRB5Table, "KRB5_KDCREP_MODIFIED")
	// ErrProgETypeNotSupported: safekrb5 does not support the encryption
	// type (KRB5_PROG_ETYPE_NOSUPP).
	ErrProgETypeNotSupported = mustErr(KRB5Table, "KRB5_PROG_ETYPE_NOSUPP")
	// ErrMutualFailed: mutual authentication failed (KRB5_MUTUAL_FAILED).
	ErrMutualFailed = mustErr(KRB5Table, "KRB5_MUTUAL_FAILED")
)
