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
var profiles sync.Map // weak.Pointer[config.Config] -> *krb5conf.Profile

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
	profiles.Store(key, p)
	runtime.AddCleanup(cfg, func(k weak.Pointer[config.Config]) {
		profiles.Delete(k)
	}, key)
	return nil
}

// profileOf returns the profile cfg was made from, or nil.
func profileOf(cfg *config.Config) *krb5conf.Profile {
	if v, ok := profiles.Load(weak.Make(cfg)); ok {
		return v.(*krb5conf.Profile)
	}
	return nil
}

// kdcTimeout is how long one exchange with one KDC of realm may take:
// WithKDCTimeout's, else kdc_timeout from the configuration (see
// krb5conf.Profile.KDCTimeout), else DefaultKDCTimeout.
func (c *Client) kdcTimeout(cfg *config.Config, realm string) time.Duration {
	if c.settings.kdcTimeout > 0 {
		return c.settings.kdcTimeout
	}
	if p := profileOf(cfg); p != nil {
		if d, err := p.KDCTimeout(realm); err == nil && d > 0 {
			return d
		}
	}
	return DefaultKDCTimeout
}
