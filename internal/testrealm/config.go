package testrealm

import (
	"fmt"
	"sort"
	"strings"
)

// supportedEnctypes are the key types every principal gets. The SHA-1 AES
// types come first so that they are the default session enctypes; the
// SHA-2 ones (RFC 8009) are there so tests can select them.
var supportedEnctypes = []string{
	"aes256-cts-hmac-sha1-96",
	"aes128-cts-hmac-sha1-96",
	"aes256-cts-hmac-sha384-192",
	"aes128-cts-hmac-sha256-128",
}

// Ticket lifetimes configured in the realm and requested by clients.
const (
	maxLife        = "10h"
	maxRenewLife   = "7d"
	kadminRenewArg = `"7 days"`
)

// kdcConf renders the KDC profile (KRB5_KDC_PROFILE). Every listener is on
// 127.0.0.1.
func (r *Realm) kdcConf() string { return r.kdcConfFor(r.KDCPort, "kdc.log") }

// kdcConfFor renders the profile of a KDC of the realm listening on port
// and logging to the file log in Dir.
func (r *Realm) kdcConfFor(port int, log string) string {
	var b strings.Builder
	kdcAddr := fmt.Sprintf("%s:%d", r.Host, port)
	fmt.Fprintf(&b, "[kdcdefaults]\n")
	fmt.Fprintf(&b, "\tkdc_ports = %s\n", kdcAddr)
	fmt.Fprintf(&b, "\tkdc_tcp_ports = %s\n", kdcAddr)
	for _, k := range sortedKeys(r.kdcDefaults) {
		fmt.Fprintf(&b, "\t%s = %s\n", k, r.kdcDefaults[k])
	}
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", r.Name)
	if r.LDAPURI != "" {
		fmt.Fprintf(&b, "\t\tdatabase_module = ldap\n")
	} else {
		fmt.Fprintf(&b, "\t\tdatabase_name = %s/principal\n", r.Dir)
	}
	fmt.Fprintf(&b, "\t\tkey_stash_file = %s/stash\n", r.Dir)
	fmt.Fprintf(&b, "\t\tacl_file = %s/kadm5.acl\n", r.Dir)
	if r.KadminPort != 0 {
		fmt.Fprintf(&b, "\t\tkadmind_listen = %s:%d\n", r.Host, r.KadminPort)
		fmt.Fprintf(&b, "\t\tkpasswd_listen = %s:%d\n", r.Host, r.KpasswdPort)
	}
	fmt.Fprintf(&b, "\t\tmax_life = %s\n", maxLife)
	fmt.Fprintf(&b, "\t\tmax_renewable_life = %s\n", maxRenewLife)
	fmt.Fprintf(&b, "\t\tmaster_key_type = %s\n", supportedEnctypes[0])
	fmt.Fprintf(&b, "\t\tsupported_enctypes =")
	for _, e := range supportedEnctypes {
		fmt.Fprintf(&b, " %s:normal", e)
	}
	fmt.Fprintf(&b, "\n\t}\n")
	if r.LDAPURI != "" {
		r.writeLDAPModule(&b)
	}
	if r.requireFAST {
		fmt.Fprintf(&b, "\n[plugins]\n\tkdcpreauth = {\n")
		fmt.Fprintf(&b, "\t\tdisable = encrypted_timestamp\n\t}\n")
	}
	fmt.Fprintf(&b, "\n[logging]\n")
	fmt.Fprintf(&b, "\tkdc = FILE:%s/%s\n", r.Dir, log)
	fmt.Fprintf(&b, "\tadmin_server = FILE:%s/kadmind.log\n", r.Dir)
	fmt.Fprintf(&b, "\tdefault = FILE:%s/krb5lib.log\n", r.Dir)
	return b.String()
}

// writeLDAPModule renders the [dbmodules] section of an LDAP realm: MIT's
// module binds to the realm's slapd as its administrator, whose password
// kdb5_ldap_util stashsrvpw stashed; two connections are plenty for
// tests.
func (r *Realm) writeLDAPModule(b *strings.Builder) {
	fmt.Fprintf(b, "\n[dbmodules]\n\tldap = {\n")
	fmt.Fprintf(b, "\t\tdb_library = kldap\n")
	fmt.Fprintf(b, "\t\tldap_servers = %s\n", r.LDAPURI)
	fmt.Fprintf(b, "\t\tldap_kerberos_container_dn = %s\n", ldapSuffix)
	fmt.Fprintf(b, "\t\tldap_kdc_dn = %s\n", ldapAdminDN)
	fmt.Fprintf(b, "\t\tldap_kadmind_dn = %s\n", ldapAdminDN)
	fmt.Fprintf(b, "\t\tldap_service_password_file = %s\n",
		r.ldapFiles().serviceStash)
	fmt.Fprintf(b, "\t\tldap_conns_per_server = 2\n")
	fmt.Fprintf(b, "\t}\n")
}

// kdcTimeout bounds one exchange of our clients with one of the realm's
// daemons.
const kdcTimeout = "30s"

// krb5Conf renders the client profile (KRB5_CONFIG). Against MIT 1.20:
// kdc takes host:port with no udp/ or tcp/ prefix, and DNS lookups and
// hostname canonicalisation are off so nothing stalls and service names
// stay as written. kdc_timeout, which MIT's tools ignore, gives our
// clients' exchanges with the realm's daemons more than the library's
// default bound of one attempt: on a loaded machine kadmind takes seconds
// to answer a password change (it derives keys and writes its database),
// and tests that want a timeout set their own.
func (r *Realm) krb5Conf() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n")
	fmt.Fprintf(&b, "\tdefault_realm = %s\n", r.Name)
	fmt.Fprintf(&b, "\tkdc_timeout = %s\n", kdcTimeout)
	fmt.Fprintf(&b, "\tdns_lookup_kdc = false\n")
	fmt.Fprintf(&b, "\tdns_lookup_realm = false\n")
	fmt.Fprintf(&b, "\trdns = false\n")
	fmt.Fprintf(&b, "\tdns_canonicalize_hostname = false\n")
	fmt.Fprintf(&b, "\tforwardable = true\n")
	fmt.Fprintf(&b, "\tticket_lifetime = %s\n", maxLife)
	fmt.Fprintf(&b, "\trenew_lifetime = %s\n", maxRenewLife)
	if r.legacyKeys {
		fmt.Fprintf(&b, "\tallow_rc4 = true\n")
		fmt.Fprintf(&b, "\tallow_des3 = true\n")
	}
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", r.Name)
	fmt.Fprintf(&b, "\t\tkdc = %s:%d\n", r.Host, r.KDCPort)
	if r.KadminPort != 0 {
		fmt.Fprintf(&b, "\t\tadmin_server = %s:%d\n", r.Host, r.KadminPort)
		fmt.Fprintf(&b, "\t\tkpasswd_server = %s:%d\n", r.Host, r.KpasswdPort)
	}
	fmt.Fprintf(&b, "\t}\n")
	fmt.Fprintf(&b, "\n[domain_realm]\n")
	fmt.Fprintf(&b, "\tlocalhost = %s\n", r.Name)
	fmt.Fprintf(&b, "\t.localhost = %s\n", r.Name)
	for _, h := range sortedKeys(r.domainRealm) {
		fmt.Fprintf(&b, "\t%s = %s\n", h, r.domainRealm[h])
	}
	return b.String()
}

// sortedKeys returns the keys of m in order, so configurations come out
// the same every run.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
