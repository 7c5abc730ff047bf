package testheimdal

import (
	"fmt"
	"strings"
)

// Ticket lifetimes configured in the realm.
const (
	maxLife      = "10h"
	maxRenewLife = "7d"
)

// defaultKeys are the key types every principal gets: AES with SHA-1
// (Heimdal 7.8 has no RFC 8009 types) and RC4, so tests can select an
// older enctype on the acceptor side.
const defaultKeys = "aes256-cts-hmac-sha1-96:pw-salt " +
	"aes128-cts-hmac-sha1-96:pw-salt arcfour-hmac-md5:pw-salt"

// krb5Conf renders the one profile Heimdal's KDC, kadmin and kinit and
// our clients read. Every path points into Dir. With salt set, new AES
// keys use it as their salt string instead of the principal's name.
func (r *Realm) krb5Conf(salt string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[libdefaults]\n")
	fmt.Fprintf(&b, "\tdefault_realm = %s\n", r.Name)
	fmt.Fprintf(&b, "\tdns_lookup_kdc = false\n")
	fmt.Fprintf(&b, "\tdns_lookup_realm = false\n")
	fmt.Fprintf(&b, "\trdns = false\n")
	fmt.Fprintf(&b, "\tdns_canonicalize_hostname = false\n")
	fmt.Fprintf(&b, "\tforwardable = true\n")
	fmt.Fprintf(&b, "\tallow_weak_crypto = true\n")
	fmt.Fprintf(&b, "\n[realms]\n\t%s = {\n", r.Name)
	fmt.Fprintf(&b, "\t\tkdc = %s:%d\n", r.Host, r.KDCPort)
	if r.KpasswdPort != 0 {
		fmt.Fprintf(&b, "\t\tkpasswd_server = %s:%d\n", r.Host,
			r.KpasswdPort)
	}
	fmt.Fprintf(&b, "\t}\n")
	fmt.Fprintf(&b, "\n[domain_realm]\n")
	fmt.Fprintf(&b, "\tlocalhost = %s\n", r.Name)
	fmt.Fprintf(&b, "\t.localhost = %s\n", r.Name)

	fmt.Fprintf(&b, "\n[kadmin]\n")
	if salt == "" {
		fmt.Fprintf(&b, "\tdefault_keys = %s\n", defaultKeys)
	} else {
		fmt.Fprintf(&b, "\tdefault_keys = "+
			"aes256-cts-hmac-sha1-96:pw-salt:%s "+
			"aes128-cts-hmac-sha1-96:pw-salt:%s\n", salt, salt)
	}
	fmt.Fprintf(&b, "\n[kdc]\n")
	fmt.Fprintf(&b, "\tdatabase = {\n")
	fmt.Fprintf(&b, "\t\tdbname = %s/heimdal\n", r.Dir)
	fmt.Fprintf(&b, "\t\trealm = %s\n", r.Name)
	fmt.Fprintf(&b, "\t\tmkey_file = %s/m-key\n", r.Dir)
	fmt.Fprintf(&b, "\t\tacl_file = %s/kadmind.acl\n", r.Dir)
	fmt.Fprintf(&b, "\t\tlog_file = %s/iprop.log\n", r.Dir)
	fmt.Fprintf(&b, "\t}\n")
	fmt.Fprintf(&b, "\tkey-file = %s/m-key\n", r.Dir)
	fmt.Fprintf(&b, "\tenable-kerberos4 = false\n")
	if r.maxDgram > 0 {
		fmt.Fprintf(&b, "\tmax-kdc-datagram-reply-length = %d\n", r.maxDgram)
	}
	fmt.Fprintf(&b, "\n[password_quality]\n")
	fmt.Fprintf(&b, "\tmin_length = 6\n")
	fmt.Fprintf(&b, "\n[logging]\n")
	fmt.Fprintf(&b, "\tkdc = FILE:%s/kdc.log\n", r.Dir)
	fmt.Fprintf(&b, "\tkpasswdd = FILE:%s/kpasswdd.log\n", r.Dir)
	fmt.Fprintf(&b, "\tdefault = FILE:%s/krb5lib.log\n", r.Dir)
	return b.String()
}
