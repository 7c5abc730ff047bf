package krb5

import (
	"log/slog"
	"net"
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
