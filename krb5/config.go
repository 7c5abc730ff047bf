package krb5

import (
	"fmt"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/internal/krb5conf"
)

// LoadConfig reads the configuration the way MIT's library does: the
// colon-separated files in KRB5_CONFIG, or /etc/krb5.conf when it is
// unset, with their include and includedir directives. Files that do not
// exist are skipped; a syntax error names the file and line. The result is
// a gokrb5 configuration, which the library never modifies.
func LoadConfig() (*config.Config, error) {
	p, err := krb5conf.LoadEnv()
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	return profileConfig(p)
}

// LoadConfigFile reads the named configuration files, in order, as
// LoadConfig reads those of KRB5_CONFIG.
func LoadConfigFile(paths ...string) (*config.Config, error) {
	p, err := krb5conf.Load(paths...)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	return profileConfig(p)
}

// ParseConfig parses configuration text, as found in a krb5.conf file;
// name is used in error messages. include directives are followed.
func ParseConfig(name string, text []byte) (*config.Config, error) {
	p, err := krb5conf.Parse(name, text)
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	return profileConfig(p)
}

func profileConfig(p *krb5conf.Profile) (*config.Config, error) {
	cfg, err := p.Config()
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", err)
	}
	if err := attachProfile(cfg, p); err != nil {
		return nil, err
	}
	return cfg, nil
}
