package errortables

// K5GTable is the "k5g" table of MIT gssapi_err_krb5.et: minor status codes
// of the Kerberos 5 GSS-API mechanism (RFC 4121).
var K5GTable = NewTable("k5g", []Entry{
	{"KG_CCACHE_NOMATCH", "credential cache principal differs from the desired name"},
	{"KG_KEYTAB_NOMATCH", "no keytab principal matches the desired name"},
	{"KG_TGT_MISSING", "credential cache holds no ticket-granting ticket"},
	{"KG_NO_SUBKEY", "authenticator carries no subkey"},
	{"KG_CONTEXT_ESTABLISHED", "security context is established already"},
	{"KG_BAD_SIGN_TYPE", "token has an unknown signature algorithm"},
	{"KG_BAD_LENGTH", "token has a field of invalid length"},
	{"KG_CTX_INCOMPLETE", "security context is not fully established yet"},
	{"KG_CONTEXT", "security context structure is invalid (bad magic number)"},
	{"KG_CRED", "credential structure is invalid (bad magic number)"},
	{"KG_ENC_DESC", "encryption descriptor is invalid (bad magic number)"},
	{"KG_BAD_SEQ", "token sequence number is corrupt"},
	{"KG_EMPTY_CCACHE", "credential cache is empty"},
	{"KG_NO_CTYPES", "initiator and acceptor have no checksum type in common"},
	{"KG_LUCID_VERSION", "requested lucid context version is not supported"},
	{"KG_INPUT_TOO_LONG", "pseudo-random function input is too long"},
	{"KG_IAKERB_CONTEXT", "IAKERB context structure is invalid (bad magic number)"},
})

// GGSSTable is the "ggss" table of MIT gssapi_err_generic.et: minor status
// codes shared by MIT's GSS-API mechanisms.
var GGSSTable = NewTable("ggss", []Entry{
	{"G_BAD_SERVICE_NAME", "service name string has no @"},
	{"G_BAD_STRING_UID", "string UID name has a character that is not a digit"},
	{"G_NOUSER", "UID does not map to a user name"},
	{"G_VALIDATE_FAILED", "validation failed"},
	{"G_BUFFER_ALLOC", "cannot allocate buffer data"},
	{"G_BAD_MSG_CTX", "message context is invalid"},
	{"G_WRONG_SIZE", "buffer has the wrong size"},
	{"G_BAD_USAGE", "credential usage is unknown"},
	{"G_UNKNOWN_QOP", "quality of protection is unknown"},
	{"G_NO_HOSTNAME", "local host name cannot be determined"},
	{"G_BAD_HOSTNAME", "host name in the service name cannot be canonicalized"},
	{"G_WRONG_MECH", "mechanism is wrong"},
	{"G_BAD_TOK_HEADER", "token header is malformed"},
	{"G_BAD_DIRECTION", "token was replayed in the wrong direction"},
	{"G_TOK_TRUNC", "token is truncated"},
	{"G_REFLECT", "token was reflected back"},
	{"G_WRONG_TOKID", "token ID is not the one expected"},
	{"G_CRED_USAGE_MISMATCH", "credential usage differs from the requested usage"},
	{"G_STORE_ACCEPTOR_CRED_NOSUPP", "mechanism cannot store acceptor credentials"},
	{"G_STORE_NON_DEFAULT_CRED_NOSUPP", "mechanism cannot store non-default credentials"},
})
