package krb5conf

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/config"
)

// MIT krb5 1.20 defaults for the [libdefaults] relations that Config
// fills, used when the profile does not set them.
const (
	// DefaultClockskew is clockskew's default, 300 seconds.
	DefaultClockskew = 300 * time.Second
	// DefaultTicketLifetime is ticket_lifetime's default, one day.
	DefaultTicketLifetime = 24 * time.Hour
	// DefaultRenewLifetime is renew_lifetime's default: no renewal.
	DefaultRenewLifetime = time.Duration(0)
	// DefaultUDPPreferenceLimit is udp_preference_limit's default, 1465
	// bytes; messages at least this large go over TCP first.
	DefaultUDPPreferenceLimit = 1465
	// MaxUDPPreferenceLimit is the largest udp_preference_limit MIT uses;
	// larger values are lowered to it (HARD_UDP_LIMIT).
	MaxUDPPreferenceLimit = 32700
	// DefaultCCacheType is ccache_type's default, the version 4 format.
	DefaultCCacheType = 4
	// DefaultKDCTimeSync is kdc_timesync's default: correct the clock
	// offset from KDC replies.
	DefaultKDCTimeSync = 1
	// DefaultKDCOptions is kdc_default_options' default,
	// KDC_OPT_RENEWABLE_OK.
	DefaultKDCOptions = 0x00000010
	// DefaultRealmTryDomains is realm_try_domains' default: do not try
	// the host's domains.
	DefaultRealmTryDomains = -1
	// DefaultSafeChecksumType is safe_checksum_type's default, RSA-MD5-DES
	// (8); MIT ignores the setting since 1.8.
	DefaultSafeChecksumType = 8
	// DefaultKeytabName is default_keytab_name's default.
	DefaultKeytabName = "FILE:/etc/krb5.keytab"
	// DefaultClientKeytabName is default_client_keytab_name's default in
	// Debian's MIT build. The %{euid} token is left for the caller to
	// expand, as MIT expands it when the keytab is opened.
	DefaultClientKeytabName = "FILE:/etc/krb5/user/%{euid}/client.keytab"
	// DefaultKDCPort is the port added to a kdc or master_kdc entry that
	// names none (RFC 4120, section 7.2.3).
	DefaultKDCPort = "88"
	// DefaultKpasswdPort is the port added to admin_server hosts to form
	// kpasswd_server when that is not set (RFC 3244).
	DefaultKpasswdPort = "464"
)

// DefaultPreauthTypes is preferred_preauth_types' default, "17, 16, 15,
// 14".
var DefaultPreauthTypes = []int{17, 16, 15, 14}

// Config builds gokrb5's configuration struct from the profile. The
// result is a new value owned by the caller; the Profile is not changed.
//
// Config starts from config.New() and fills, from [libdefaults]:
// allow_weak_crypto (default false), canonicalize (false), ccache_type
// (4), clockskew (300s), default_client_keytab_name, default_keytab_name,
// default_realm, default_tgs_enctypes and default_tkt_enctypes (falling
// back to permitted_enctypes, then DEFAULT), dns_canonicalize_hostname
// (true; "fallback" is taken as true), dns_lookup_kdc (true, as in MIT
// built with DNS support; dns_fallback is consulted when it is unset),
// dns_lookup_realm (false, same fallback), extra_addresses (IP addresses
// only), forwardable (false), ignore_acceptor_hostname (false),
// k5login_authoritative (true), k5login_directory, kdc_default_options
// (0x10), kdc_timesync (1), noaddresses (true), permitted_enctypes
// (DEFAULT), preferred_preauth_types (17, 16, 15, 14), proxiable (false),
// rdns (true), realm_try_domains (-1), renew_lifetime (0),
// safe_checksum_type (8), ticket_lifetime (1 day), udp_preference_limit
// (1465, capped at 32700, negative means the default) and
// verify_ap_req_nofail (false). From [realms]: kdc and master_kdc (also
// spelled primary_kdc) with port 88 added where none is given,
// admin_server, kpasswd_server (admin_server's hosts on port 464 when
// unset) and default_domain. From [domain_realm]: every mapping, keys in
// lower case.
//
// A value that does not parse (a boolean, integer or duration) or an
// enctype list that leaves nothing usable returns a *ValueError; MIT
// fails in the same places, at context creation or first use.
func (p *Profile) Config() (*config.Config, error) {
	c := config.New()
	if err := p.libDefaults(&c.LibDefaults); err != nil {
		return nil, err
	}
	c.Realms = p.realms()
	for _, tag := range p.Relations("domain_realm") {
		key := strings.ToLower(tag)
		if _, dup := c.DomainRealm[key]; dup {
			continue
		}
		if v, ok := p.Value("domain_realm", tag); ok {
			c.DomainRealm[key] = v
		}
	}
	return c, nil
}

const libdefaults = "libdefaults"

// libDefaults fills l; it stops at the first bad value.
func (p *Profile) libDefaults(l *config.LibDefaults) error {
	var err error
	b := func(dst *bool, def bool, tag string) {
		if err == nil {
			*dst, err = p.boolE(def, libdefaults, tag)
		}
	}
	i := func(dst *int, def int, tag string) {
		if err == nil {
			*dst, err = p.Int(def, libdefaults, tag)
		}
	}
	d := func(dst *time.Duration, def time.Duration, tag string) {
		if err == nil {
			*dst, err = p.Duration(def, libdefaults, tag)
		}
	}
	s := func(dst *string, def string, tag string) {
		*dst = def
		if v, ok := p.Value(libdefaults, tag); ok {
			*dst = v
		}
	}

	b(&l.AllowWeakCrypto, false, "allow_weak_crypto")
	b(&l.Canonicalize, false, "canonicalize")
	i(&l.CCacheType, DefaultCCacheType, "ccache_type")
	d(&l.Clockskew, DefaultClockskew, "clockskew")
	s(&l.DefaultClientKeytabName, DefaultClientKeytabName,
		"default_client_keytab_name")
	s(&l.DefaultKeytabName, DefaultKeytabName, "default_keytab_name")
	s(&l.DefaultRealm, "", "default_realm")
	b(&l.Forwardable, false, "forwardable")
	b(&l.IgnoreAcceptorHostname, false, "ignore_acceptor_hostname")
	b(&l.K5LoginAuthoritative, true, "k5login_authoritative")
	s(&l.K5LoginDirectory, l.K5LoginDirectory, "k5login_directory")
	i(&l.KDCTimeSync, DefaultKDCTimeSync, "kdc_timesync")
	b(&l.NoAddresses, true, "noaddresses")
	b(&l.Proxiable, false, "proxiable")
	b(&l.RDNS, true, "rdns")
	i(&l.RealmTryDomains, DefaultRealmTryDomains, "realm_try_domains")
	d(&l.RenewLifetime, DefaultRenewLifetime, "renew_lifetime")
	i(&l.SafeChecksumType, DefaultSafeChecksumType, "safe_checksum_type")
	d(&l.TicketLifetime, DefaultTicketLifetime, "ticket_lifetime")
	i(&l.UDPPreferenceLimit, DefaultUDPPreferenceLimit,
		"udp_preference_limit")
	b(&l.VerifyAPReqNofail, false, "verify_ap_req_nofail")
	if err != nil {
		return err
	}

	if l.UDPPreferenceLimit < 0 {
		l.UDPPreferenceLimit = DefaultUDPPreferenceLimit
	} else if l.UDPPreferenceLimit > MaxUDPPreferenceLimit {
		l.UDPPreferenceLimit = MaxUDPPreferenceLimit
	}
	l.DNSCanonicalizeHostname = p.dnsCanonicalize()
	l.DNSLookupKDC = p.dnsLookup("dns_lookup_kdc", true)
	l.DNSLookupRealm = p.dnsLookup("dns_lookup_realm", false)
	l.ExtraAddresses = p.extraAddresses()

	if err := p.kdcOptions(l); err != nil {
		return err
	}
	if err := p.preauthTypes(l); err != nil {
		return err
	}
	return p.enctypes(l)
}

// dnsCanonicalize reads dns_canonicalize_hostname, a tristate in MIT:
// true, false or "fallback" (try as given, then canonicalized). gokrb5
// has a boolean, so fallback becomes true; anything unparsable is the
// default, true.
func (p *Profile) dnsCanonicalize() bool {
	v, ok := p.Value(libdefaults, "dns_canonicalize_hostname")
	if !ok || strings.EqualFold(v, "fallback") {
		return true
	}
	b, err := ParseBool(v)
	if err != nil {
		return true
	}
	return b
}

// dnsLookup reads dns_lookup_kdc or dns_lookup_realm as MIT's
// maybe_use_dns does: the relation, else dns_fallback, else def; a value
// that is not a true spelling counts as false.
func (p *Profile) dnsLookup(tag string, def bool) bool {
	v, ok := p.Value(libdefaults, tag)
	if !ok {
		v, ok = p.Value(libdefaults, "dns_fallback")
	}
	if !ok {
		return def
	}
	b, _ := ParseBool(v)
	return b
}

// extraAddresses reads extra_addresses, a list separated by commas or
// white space. MIT also resolves host names there; only literal IP
// addresses are kept here.
func (p *Profile) extraAddresses() []net.IP {
	var ips []net.IP
	for _, v := range p.Values(libdefaults, "extra_addresses") {
		for _, w := range enctypeWords(v) {
			if ip := net.ParseIP(w); ip != nil {
				ips = append(ips, ip)
			}
		}
	}
	return ips
}

// kdcOptions reads kdc_default_options. MIT parses it as a decimal
// integer although its documentation writes it in hexadecimal; both are
// accepted here.
func (p *Profile) kdcOptions(l *config.LibDefaults) error {
	opts := uint32(DefaultKDCOptions)
	path := []string{libdefaults, "kdc_default_options"}
	if v, ok := p.Value(path...); ok {
		var n int64
		var err error
		if h, isHex := cutHexPrefix(v); isHex {
			n, err = strconv.ParseInt(h, 16, 64)
			if err == nil && n > 0xffffffff {
				err = strconv.ErrRange
			}
		} else {
			var m int
			m, err = parseInt(v)
			n = int64(uint32(m))
		}
		if err != nil {
			return p.valueError(path, v, ErrBadValue, err)
		}
		opts = uint32(n)
	}
	buf := make([]byte, 4)
	binary.BigEndian.PutUint32(buf, opts)
	l.KDCDefaultOptions = asn1.BitString{Bytes: buf, BitLength: 32}
	return nil
}

func cutHexPrefix(s string) (string, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return s, false
}

// preauthTypes reads preferred_preauth_types, numbers separated by
// commas or white space.
func (p *Profile) preauthTypes(l *config.LibDefaults) error {
	l.PreferredPreauthTypes = append([]int(nil), DefaultPreauthTypes...)
	path := []string{libdefaults, "preferred_preauth_types"}
	v, ok := p.Value(path...)
	if !ok {
		return nil
	}
	var types []int
	for _, w := range enctypeWords(v) {
		n, err := parseInt(w)
		if err != nil {
			return p.valueError(path, v, ErrBadValue, err)
		}
		types = append(types, n)
	}
	l.PreferredPreauthTypes = types
	return nil
}

// enctypes fills the three enctype lists. As in MIT, the ticket and TGS
// lists fall back to permitted_enctypes and then to DEFAULT.
func (p *Profile) enctypes(l *config.LibDefaults) error {
	permittedPath := []string{libdefaults, "permitted_enctypes"}
	permitted, ok := p.Value(permittedPath...)
	if !ok {
		permitted = "DEFAULT"
	}
	lists := []struct {
		tag   string
		words *[]string
		ids   *[]int32
	}{
		{"default_tkt_enctypes", &l.DefaultTktEnctypes,
			&l.DefaultTktEnctypeIDs},
		{"default_tgs_enctypes", &l.DefaultTGSEnctypes,
			&l.DefaultTGSEnctypeIDs},
		{"permitted_enctypes", &l.PermittedEnctypes,
			&l.PermittedEnctypeIDs},
	}
	for _, e := range lists {
		path := []string{libdefaults, e.tag}
		v, ok := p.Value(path...)
		if !ok {
			v, path = permitted, permittedPath
		}
		*e.words = enctypeWords(v)
		*e.ids = ParseEnctypes(v, l.AllowWeakCrypto)
		if len(*e.ids) == 0 {
			return p.valueError(path, v, ErrNoEnctypes, nil)
		}
	}
	return nil
}

// realms builds one config.Realm per block in [realms].
func (p *Profile) realms() []config.Realm {
	var realms []config.Realm
	// Every realm whose relations Values can reach: a final realm block
	// hides later files' values for that realm only.
	for _, name := range p.subsections([]string{"realms"}, false) {
		get := func(tag string) []string {
			return p.Values("realms", name, tag)
		}
		r := config.Realm{
			Realm:       name,
			AdminServer: get("admin_server"),
		}
		r.DefaultDomain, _ = p.Value("realms", name, "default_domain")
		for _, k := range get("kdc") {
			r.KDC = append(r.KDC, withPort(k, DefaultKDCPort))
		}
		primary := append(get("primary_kdc"), get("master_kdc")...)
		for _, k := range primary {
			r.MasterKDC = append(r.MasterKDC, withPort(k, DefaultKDCPort))
		}
		r.KPasswdServer = get("kpasswd_server")
		if len(r.KPasswdServer) == 0 {
			for _, a := range r.AdminServer {
				host := hostOnly(a)
				r.KPasswdServer = append(r.KPasswdServer,
					net.JoinHostPort(host, DefaultKpasswdPort))
			}
		}
		realms = append(realms, r)
	}
	return realms
}

// withPort adds port to a server entry that names none: "host",
// "[v6addr]" or a bare IPv6 address. URLs (MS-KKDCP "https://...") are
// left alone.
func withPort(s, port string) string {
	if strings.Contains(s, "://") {
		return s
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(hostOnly(s), port)
}

// hostOnly strips a port and IPv6 brackets from a server entry.
func hostOnly(s string) string {
	if h, _, err := net.SplitHostPort(s); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
}

// KDCTimeout returns how long one exchange with one KDC of realm may take:
// kdc_timeout in the realm's block of [realms], else in [libdefaults], or
// 0 when neither sets a positive duration. MIT has no such relation and
// waits on its own schedule; the name and form are Heimdal's
// ("kdc_timeout = 3s"). A value that is not a duration is a *ValueError.
func (p *Profile) KDCTimeout(realm string) (time.Duration, error) {
	d, err := p.Duration(0, "realms", realm, "kdc_timeout")
	if err != nil || d > 0 {
		return d, err
	}
	d, err = p.Duration(0, libdefaults, "kdc_timeout")
	return max(d, 0), err
}
