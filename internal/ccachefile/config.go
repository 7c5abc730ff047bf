package ccachefile

import "github.com/safekrb5/safekrb5/internal/krbname"

// Configuration entries, as described in MIT's ccache format document:
// the server principal is krb5_ccache_conf_data/<key>[/<principal>] in the
// realm X-CACHECONF:, and the value is stored in the ticket field.
const (
	configRealm     = "X-CACHECONF:"
	configComponent = "krb5_ccache_conf_data"
)

// IsConfig reports whether c is a configuration entry rather than a
// ticket. Programs listing tickets should skip configuration entries.
func (c *Credential) IsConfig() bool {
	s := c.Server
	return s.Realm == configRealm && len(s.Components) >= 2 &&
		s.Components[0] == configComponent
}

func configServer(key string, principal *Principal) Principal {
	p := Principal{
		NameType:   krbname.NameTypePrincipal,
		Realm:      configRealm,
		Components: []string{configComponent, key},
	}
	if principal != nil {
		p.Components = append(p.Components, principal.String())
	}
	return p
}

func (c *Cache) configIndex(key string, principal *Principal) int {
	want := configServer(key, principal)
	for i := range c.Credentials {
		cr := &c.Credentials[i]
		if cr.IsConfig() && cr.Server.SameName(want) {
			return i
		}
	}
	return -1
}

// Config returns the value of the configuration entry for key, associated
// with principal when it is not nil, and whether the entry exists. The
// returned slice is the cache's own memory.
func (c *Cache) Config(key string, principal *Principal) ([]byte, bool) {
	i := c.configIndex(key, principal)
	if i < 0 {
		return nil, false
	}
	return c.Credentials[i].Ticket, true
}

// SetConfig stores value under key (associated with principal when it is
// not nil), replacing an existing entry in place or appending a new one
// the way MIT writes it: the client is the default principal and every
// other field is zero. A nil value removes the entry. The cache keeps a
// copy of value.
func (c *Cache) SetConfig(key string, principal *Principal, value []byte) {
	i := c.configIndex(key, principal)
	if value == nil {
		if i >= 0 {
			c.Credentials = append(c.Credentials[:i], c.Credentials[i+1:]...)
		}
		return
	}
	cred := Credential{
		Client: c.DefaultPrincipal.Clone(),
		Server: configServer(key, principal),
		Ticket: append([]byte{}, value...),
	}
	if i >= 0 {
		c.Credentials[i] = cred
		return
	}
	c.Credentials = append(c.Credentials, cred)
}
