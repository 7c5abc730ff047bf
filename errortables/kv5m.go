package errortables

// KV5MTable is the "kv5m" table of MIT kv5m_err.et. MIT gives each library
// structure a magic number from this table and reports a structure whose
// magic number is wrong with it; safekrb5 uses it only to name such codes
// when they come from MIT programs.
var KV5MTable = NewTable("kv5m", kv5mEntries())

// kv5mStructs pairs each kv5m name after KV5M_NONE with the structure it
// marks, in table order.
var kv5mStructs = [][2]string{
	{"KV5M_PRINCIPAL", "krb5_principal"},
	{"KV5M_DATA", "krb5_data"},
	{"KV5M_KEYBLOCK", "krb5_keyblock"},
	{"KV5M_CHECKSUM", "krb5_checksum"},
	{"KV5M_ENCRYPT_BLOCK", "krb5_encrypt_block"},
	{"KV5M_ENC_DATA", "krb5_enc_data"},
	{"KV5M_CRYPTOSYSTEM_ENTRY", "krb5_cryptosystem_entry"},
	{"KV5M_CS_TABLE_ENTRY", "krb5_cs_table_entry"},
	{"KV5M_CHECKSUM_ENTRY", "krb5_checksum_entry"},
	{"KV5M_AUTHDATA", "krb5_authdata"},
	{"KV5M_TRANSITED", "krb5_transited"},
	{"KV5M_ENC_TKT_PART", "krb5_enc_tkt_part"},
	{"KV5M_TICKET", "krb5_ticket"},
	{"KV5M_AUTHENTICATOR", "krb5_authenticator"},
	{"KV5M_TKT_AUTHENT", "krb5_tkt_authent"},
	{"KV5M_CREDS", "krb5_creds"},
	{"KV5M_LAST_REQ_ENTRY", "krb5_last_req_entry"},
	{"KV5M_PA_DATA", "krb5_pa_data"},
	{"KV5M_KDC_REQ", "krb5_kdc_req"},
	{"KV5M_ENC_KDC_REP_PART", "krb5_enc_kdc_rep_part"},
	{"KV5M_KDC_REP", "krb5_kdc_rep"},
	{"KV5M_ERROR", "krb5_error"},
	{"KV5M_AP_REQ", "krb5_ap_req"},
	{"KV5M_AP_REP", "krb5_ap_rep"},
	{"KV5M_AP_REP_ENC_PART", "krb5_ap_rep_enc_part"},
	{"KV5M_RESPONSE", "krb5_response"},
	{"KV5M_SAFE", "krb5_safe"},
	{"KV5M_PRIV", "krb5_priv"},
	{"KV5M_PRIV_ENC_PART", "krb5_priv_enc_part"},
	{"KV5M_CRED", "krb5_cred"},
	{"KV5M_CRED_INFO", "krb5_cred_info"},
	{"KV5M_CRED_ENC_PART", "krb5_cred_enc_part"},
	{"KV5M_PWD_DATA", "krb5_pwd_data"},
	{"KV5M_ADDRESS", "krb5_address"},
	{"KV5M_KEYTAB_ENTRY", "krb5_keytab_entry"},
	{"KV5M_CONTEXT", "krb5_context"},
	{"KV5M_OS_CONTEXT", "krb5_os_context"},
	{"KV5M_ALT_METHOD", "krb5_alt_method"},
	{"KV5M_ETYPE_INFO_ENTRY", "krb5_etype_info_entry"},
	{"KV5M_DB_CONTEXT", "krb5_db_context"},
	{"KV5M_AUTH_CONTEXT", "krb5_auth_context"},
	{"KV5M_KEYTAB", "krb5_keytab"},
	{"KV5M_RCACHE", "krb5_rcache"},
	{"KV5M_CCACHE", "krb5_ccache"},
	{"KV5M_PREAUTH_OPS", "krb5_preauth_ops"},
	{"KV5M_SAM_CHALLENGE", "krb5_sam_challenge"},
	{"KV5M_SAM_CHALLENGE_2", "krb5_sam_challenge_2"},
	{"KV5M_SAM_KEY", "krb5_sam_key"},
	{"KV5M_ENC_SAM_RESPONSE_ENC", "krb5_enc_sam_response_enc"},
	{"KV5M_ENC_SAM_RESPONSE_ENC_2", "krb5_enc_sam_response_enc_2"},
	{"KV5M_SAM_RESPONSE", "krb5_sam_response"},
	{"KV5M_SAM_RESPONSE_2", "krb5_sam_response_2"},
	{"KV5M_PREDICTED_SAM_RESPONSE", "krb5_predicted_sam_response"},
	{"KV5M_PASSWD_PHRASE_ELEMENT", "passwd_phrase_element"},
	{"KV5M_GSS_OID", "GSS-API OID"},
	{"KV5M_GSS_QUEUE", "GSS-API queue"},
	{"KV5M_FAST_ARMORED_REQ", "FAST armored request"},
	{"KV5M_FAST_REQ", "FAST request"},
	{"KV5M_FAST_RESPONSE", "FAST response"},
	{"KV5M_AUTHDATA_CONTEXT", "krb5_authdata_context"},
}

// kv5mEntries builds the kv5m table from kv5mStructs.
func kv5mEntries() []Entry {
	entries := []Entry{{"KV5M_NONE", "first code of the magic number table (not an error)"}}
	for _, s := range kv5mStructs {
		entries = append(entries, Entry{
			Name:    s[0],
			Message: "wrong magic number in " + s[1] + " structure",
		})
	}
	return entries
}
