package gssapi

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/internal/krbname"
)

// TestNamesUnparseAsMIT: ClientName and ServerName escape separators
// inside components as gss_display_name does, and read back to the
// same name.
func TestNamesUnparseAsMIT(t *testing.T) {
	tests := []struct {
		name  string
		cname []string
		realm string
		want  string
	}{
		{"user", []string{"alice"}, "EXAMPLE.ORG", "alice@EXAMPLE.ORG"},
		{"service", []string{"HTTP", "www.example.org"}, "EXAMPLE.ORG",
			"HTTP/www.example.org@EXAMPLE.ORG"},
		{"enterprise", []string{"bob@corp.test"}, "AD.TEST", `bob\@corp.test@AD.TEST`},
		{"slash and backslash", []string{`a/b\c`}, "R", `a\/b\\c@R`},
		{"control bytes", []string{"a\nb\tc\x00"}, "R", `a\nb\tc\0@R`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pn := types.PrincipalName{NameType: 1, NameString: tt.cname}
			sc := &SecurityContext{Client: pn, ClientRealm: tt.realm, Server: pn,
				ServerRealm: tt.realm}
			assert.Equal(t, tt.want, sc.ClientName())
			assert.Equal(t, tt.want, sc.ServerName())
			back, err := krbname.ParsePrincipal(sc.ClientName(), "")
			require.NoError(t, err)
			assert.Equal(t, tt.cname, back.Components)
			assert.Equal(t, tt.realm, back.Realm)
		})
	}
}

// TestSplitPrincipal reads WithPrincipal's names as krb5_parse_name
// does and refuses the malformed.
func TestSplitPrincipal(t *testing.T) {
	name, realm, err := splitPrincipal(`HTTP/www.example.org@EXAMPLE.ORG`)
	require.NoError(t, err)
	assert.Equal(t, []string{"HTTP", "www.example.org"}, name.NameString)
	assert.Equal(t, int32(3), name.NameType, "KRB_NT_SRV_HST")
	assert.Equal(t, "EXAMPLE.ORG", realm)

	name, realm, err = splitPrincipal(`svc\/x@R\@S`)
	require.NoError(t, err)
	assert.Equal(t, []string{"svc/x"}, name.NameString)
	assert.Equal(t, "R@S", realm)

	for _, bad := range []string{"a@b@c", "a@R/S", `a\`, "HTTP//host", ""} {
		_, _, err := splitPrincipal(bad)
		assert.ErrorIs(t, err, krbname.ErrBadName, bad)
		if bad == "" {
			continue // WithPrincipal("") restricts nothing
		}
		_, err = NewAcceptorCredentialFromFile("/nonexistent", WithPrincipal(bad))
		assert.ErrorIs(t, err, errortables.ErrGSSBadName, bad)
		assert.ErrorIs(t, err, krbname.ErrBadName, bad)
	}
}
