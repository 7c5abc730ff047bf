package krb5

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
)

// Services whose components or realm hold "/" or "@" have ticket cache
// keys of their own, so a ticket for one is never handed out for
// another; the keys are MIT's unparsed names.
func TestCacheKeyKeepsNamesApart(t *testing.T) {
	pn := func(c ...string) types.PrincipalName {
		return types.PrincipalName{NameType: 2, NameString: c}
	}
	for _, pair := range [][2]string{
		{cacheKey(pn("a/b"), "R"), cacheKey(pn("a", "b"), "R")},
		{cacheKey(pn("x@y"), "R"), cacheKey(pn("x"), "y@R")},
		{cacheKey(pn("a", "b@R"), "S"), cacheKey(pn("a", "b"), "R@S")},
	} {
		assert.NotEqual(t, pair[0], pair[1])
	}
	assert.Equal(t, "HTTP/web.test@EXAMPLE.TEST", cacheKey(pn("HTTP", "web.test"),
		"EXAMPLE.TEST"))
	assert.Equal(t, `a\/b@R`, cacheKey(pn("a/b"), "R"))
}
