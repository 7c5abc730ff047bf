package gssapi_test

import (
	"testing"

	"github.com/safekrb5/safekrb5/gssapi"
)

// BenchmarkModuleCycle loads gssapi, and krb5 and support beneath it,
// and tears all three down again, once per iteration.
func BenchmarkModuleCycle(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l, err := gssapi.Open()
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
