// Package modules wires safekrb5's three modules together: gssapi depends
// on krb5, krb5 on support. Each public package installs its own load and
// teardown functions from its init function.
package modules

import "github.com/safekrb5/safekrb5/internal/lifecycle"

// The modules, in dependency order.
var (
	Support = lifecycle.NewModule(lifecycle.Config{Name: "support"})
	KRB5    = lifecycle.NewModule(lifecycle.Config{
		Name: "krb5",
		Deps: []*lifecycle.Module{Support},
	})
	GSSAPI = lifecycle.NewModule(lifecycle.Config{
		Name: "gssapi",
		Deps: []*lifecycle.Module{KRB5},
	})
)

// All returns the modules, dependents first.
func All() []*lifecycle.Module {
	return []*lifecycle.Module{GSSAPI, KRB5, Support}
}
