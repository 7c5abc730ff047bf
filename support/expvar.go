package support

import (
	"errors"
	"expvar"
	"fmt"
	"sync"

	"github.com/safekrb5/safekrb5/internal/modules"
)

// ErrPublished is returned by PublishExpvar for a name the expvar
// registry already holds.
var ErrPublished = errors.New("support: expvar name is already published")

// publishMu serialises PublishExpvar's check of a name and its
// publication, so that two calls with one name cannot both pass the
// check and make expvar.Publish panic.
var publishMu sync.Mutex

// PublishExpvar publishes the lifecycle statistics of the support, krb5
// and gssapi modules under name in the expvar registry (and so on
// /debug/vars for services that serve it), as a JSON object keyed by
// module name. The statistics are read afresh on every request. The
// registry cannot take a name back, so a name is published once per
// process: a second call with it, or a name something else published,
// fails with an error wrapping ErrPublished rather than panicking as
// expvar.Publish does. It is safe for concurrent use.
func PublishExpvar(name string) error {
	publishMu.Lock()
	defer publishMu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("%w: %q", ErrPublished, name)
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
