package krb5

import (
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/safekrb5/safekrb5/support"
)

// Option changes a client's settings.
type Option func(*settings)

type settings struct {
	logger        *slog.Logger
	clock         support.Clock
	kdcTimeout    time.Duration // 0: from the configuration
	resolver      *net.Resolver // nil: net.DefaultResolver
	autoRenew     bool
	lifetime      time.Duration // 0: from the configuration
	renewLifetime time.Duration // 0: from the configuration; <0: none
	forwardable   *bool
	configReload  *ConfigReload // see WithConfigReload
	armor         armorSource   // nil: AS exchanges are not armored
	fast          bool          // TGS exchanges use FAST
	enterprise    bool          // the user name is an enterprise name
	canonicalize  *bool         // nil: from the configuration
	addresses     []netip.Addr  // nil: from the configuration; see WithAddresses
}

func defaultSettings() settings {
	return settings{
		clock:     support.SystemClock{},
		autoRenew: true,
	}
}

// WithLogger sends the client's trace events to l. Without it the client
// is silent unless KRB5_TRACE names a file.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithClock replaces the clock, for tests.
func WithClock(c support.Clock) Option {
	return func(s *settings) { s.clock = support.ClockOr(c) }
}

// WithKDCTimeout bounds one exchange with one KDC; the next KDC of the
// realm is tried after it. Without it the bound is kdc_timeout from the
// realm's block in [realms] or from [libdefaults] (Heimdal's relation;
// MIT has none), else DefaultKDCTimeout. A configuration gives it only
// when it was read by LoadConfig, LoadConfigFile or ParseConfig.
func WithKDCTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.kdcTimeout = d
		}
	}
}

// WithResolver makes the client look up KDCs (DNS SRV records, when
// dns_lookup_kdc is on) and resolve their host names with r instead of
// net.DefaultResolver.
func WithResolver(r *net.Resolver) Option { return func(s *settings) { s.resolver = r } }

// DisableAutoRenew stops the client from renewing its TGT, or logging in
// again, before it expires. By default a client that logged in keeps its
// TGT fresh with one goroutine, which Close stops.
func DisableAutoRenew() Option { return func(s *settings) { s.autoRenew = false } }

// WithLifetime asks for tickets of lifetime d, like kinit -l.
func WithLifetime(d time.Duration) Option { return func(s *settings) { s.lifetime = d } }

// WithRenewableLifetime asks for renewable tickets renewable for d, like
// kinit -r. A negative d asks for tickets that are not renewable, whatever
// the configuration says.
func WithRenewableLifetime(d time.Duration) Option {
	return func(s *settings) { s.renewLifetime = d }
}

// Forwardable asks for forwardable tickets (kinit -f) or not (kinit -F),
// overriding the configuration.
func Forwardable(on bool) Option { return func(s *settings) { s.forwardable = &on } }

// Enterprise makes the client's name an enterprise name (RFC 6806
// section 5), such as the user principal name alice@example.com of an
// Active Directory account, like kinit -E: it is sent as a single
// KRB5-NT-ENTERPRISE-PRINCIPAL component with the canonicalize option,
// and the TGT names the principal the KDC found. The realm the client
// is made with is where the search starts; the KDC may refer the client
// to another. Principal and PrincipalString keep returning the name as
// given; the TGT's Client and ClientRealm name the canonical principal.
func Enterprise() Option { return func(s *settings) { s.enterprise = true } }

// Canonicalize asks the KDC to canonicalize the client's name (RFC 6806
// section 4), like kinit -C, overriding the configuration's canonicalize
// setting: a KDC such as Active Directory then answers a login as
// "ALICE" with a TGT for "alice". Enterprise names are always
// canonicalized.
func Canonicalize(on bool) Option {
	return func(s *settings) { s.canonicalize = &on }
}
