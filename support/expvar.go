package support

import (
	"expvar"
	"fmt"

	"github.com/safekrb5/safekrb5/internal/modules"
)

// PublishExpvar publishes the lifecycle statistics of the support, krb5
// and gssapi modules under name in the expvar registry (and so on
// /debug/vars for services that serve it), as a JSON object keyed by
// module name. The statistics are read afresh on every request. It fails
// if name is already published.
func PublishExpvar(name string) error {
	if expvar.Get(name) != nil {
		return fmt.Errorf("support: expvar %q is already published", name)
	}
	expvar.Publish(name, expvar.Func(func() any {
		out := make(map[string]Stats)
		for _, m := range modules.All() {
			out[m.Name()] = m.Stats()
		}
		return out
	}))
	return nil
}
