package errortables

// ASN1Table is the "asn1" table of MIT asn1_err.et: failures of MIT's DER
// encoder and decoder for Kerberos messages.
var ASN1Table = NewTable("asn1", []Entry{
	{"ASN1_BAD_TIMEFORMAT", "ASN.1 time could not be converted by the system time library"},
	{"ASN1_MISSING_FIELD", "ASN.1 structure lacks a required field"},
	{"ASN1_MISPLACED_FIELD", "ASN.1 field number is not expected here"},
	{"ASN1_TYPE_MISMATCH", "ASN.1 type numbers disagree"},
	{"ASN1_OVERFLOW", "ASN.1 value is too large"},
	{"ASN1_OVERRUN", "ASN.1 encoding is truncated"},
	{"ASN1_BAD_ID", "ASN.1 identifier is not the expected one"},
	{"ASN1_BAD_LENGTH", "ASN.1 length is not the expected one"},
	{"ASN1_BAD_FORMAT", "ASN.1 encoding is badly formatted"},
	{"ASN1_PARSE_ERROR", "ASN.1 cannot be parsed"},
	{"ASN1_BAD_GMTIME", "ASN.1 time conversion returned a bad value"},
	{"ASN1_INDEF", "ASN.1 uses an indefinite-length encoding"},
	{"ASN1_MISSING_EOC", "ASN.1 end-of-contents marker is missing"},
	{"ASN1_OMITTED", "ASN.1 sequence omits an object"},
})
