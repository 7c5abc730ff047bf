package gssapi_test

import (
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/safekrb5/safekrb5/krb5"
)

// emptyKeytab returns a keytab with one entry for a principal no token
// names, so that every accept fails at the key lookup or before.
func emptyKeytab(tb testing.TB) *krb5.Keytab {
	tb.Helper()
	g := keytab.New()
	if err := g.AddEntry("HTTP/nowhere", "NOWHERE.TEST", "password",
		time.Now(), 1, 18); err != nil {
		tb.Fatal(err)
	}
	kt, err := krb5.NewKeytab(g)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { kt.Close() })
	return kt
}
