package krb5

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/internal/krb5conf"
)

// profiles maps a configuration made by LoadConfig, LoadConfigFile or
// ParseConfig to the profile it was made from, for the relations
// gokrb5's Config has no field for (kdc_timeout). The key is a weak
// pointer: the entry goes when the configuration is garbage collected,
// and a configuration made otherwise has none.
var profiles sync.Map // weak.Pointer[config.Config] -> *attachedProfile

// attachedProfile is a profile with the KDC timeouts read from it so far,
// by realm: a profile does not change, and every exchange with a KDC
// asks.
type attachedProfile struct {
	p        *krb5conf.Profile
	timeouts sync.Map // realm -> time.Duration
}

// attachProfile records p as the profile cfg was made from, after
// checking the relations the library reads from it.
func attachProfile(cfg *config.Config, p *krb5conf.Profile) error {
	if _, err := p.KDCTimeout(""); err != nil {
		return fmt.Errorf("krb5: %w", err)
	}
	for _, r := range cfg.Realms {
		if _, err := p.KDCTimeout(r.Realm); err != nil {
			return fmt.Errorf("krb5: %w", err)
		}
	}
	key := weak.Make(cfg)
	profiles.Store(key, &attachedProfile{p: p})
	runtime.AddCleanup(cfg, func(k weak.Pointer[config.Config]) {
		profiles.Delete(k)
	}, key)
	return nil
}

// profileOf returns the profile cfg was made from, or nil.
func profileOf(cfg *config.Config) *attachedProfile {
	if v, ok := profiles.Load(weak.Make(cfg)); ok {
		return v.(*attachedProfile)
	}
	return nil
}

// kdcTimeout is the profile's kdc_timeout for realm, 0 if none or
// invalid.
func (a *attachedProfile) kdcTimeout(realm string) time.Duration {
	if v, ok := a.timeouts.Load(realm); ok {
		return v.(time.Duration)
	}
	d, err := a.p.KDCTimeout(realm)
	if err != nil || d < 0 {
		d = 0
	}
	a.timeouts.Store(realm, d)
	return d
}

// kdcTimeout is how long one exchange with one KDC of realm may take:
// WithKDCTimeout's, else kdc_timeout from the configuration (see
// krb5conf.Profile.KDCTimeout), else DefaultKDCTimeout.
func (c *Client) kdcTimeout(cfg *config.Config, realm string) time.Duration {
	if c.settings.kdcTimeout > 0 {
		return c.settings.kdcTimeout
	}
	if p := profileOf(cfg); p != nil {
		if d := p.kdcTimeout(realm); d > 0 {
			return d
		}
	}
	return DefaultKDCTimeout
}
