package krb5_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/krb5"
)

// referringKDC answers every datagram on a loopback UDP port with
// KDC_ERR_WRONG_REALM naming crealm, as a KDC that holds no such client
// would, until the test ends. No real KDC refers in circles or without
// end; this one plays such a KDC.
func referringKDC(t *testing.T, realm, crealm string) string {
	t.Helper()
	kerr := messages.NewKRBError(types.NewPrincipalName(nametype.KRB_NT_SRV_INST,
		"krbtgt/"+realm), realm, errorcode.KDC_ERR_WRONG_REALM, "")
	kerr.CRealm = crealm
	kerr.CName = types.NewPrincipalName(nametype.KRB_NT_ENTERPRISE, "carol@ext.test")
	reply, err := kerr.Marshal()
	require.NoError(t, err)
	return forgedKDC(t, reply)
}

// TestClientReferralBounds: client referrals that go round in a circle,
// or on for more realms than the client follows, or name no other realm,
// end the login at once with an error matching ErrWrongRealm, after one
// request to each realm on the way.
func TestClientReferralBounds(t *testing.T) {
	noLeaks(t)
	cases := []struct {
		name  string
		chain []string // realm i refers to realm i+1; the last to next
		next  string
		want  string
	}{
		{"circle", []string{"R0.TEST", "R1.TEST"}, "R0.TEST",
			"R0.TEST -> R1.TEST -> R0.TEST"},
		{"too far", []string{"R0.TEST", "R1.TEST", "R2.TEST", "R3.TEST",
			"R4.TEST", "R5.TEST", "R6.TEST"}, "R7.TEST", "R5.TEST -> R6.TEST"},
		{"same realm", []string{"R0.TEST"}, "R0.TEST", "WRONG_REALM"},
		{"no realm", []string{"R0.TEST"}, "", "WRONG_REALM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var conf strings.Builder
			fmt.Fprintf(&conf, "[libdefaults]\n default_realm = %s\n", tc.chain[0])
			conf.WriteString(" dns_lookup_kdc = false\n[realms]\n")
			for i, realm := range tc.chain {
				next := tc.next
				if i+1 < len(tc.chain) {
					next = tc.chain[i+1]
				}
				fmt.Fprintf(&conf, " %s = {\n  kdc = %s\n }\n", realm,
					referringKDC(t, realm, next))
			}
			cfg, err := krb5.ParseConfig("referrals", []byte(conf.String()))
			require.NoError(t, err)
			c, err := krb5.NewWithPassword("carol@ext.test", tc.chain[0], "pw", cfg,
				krb5.Enterprise(), krb5.DisableAutoRenew(),
				krb5.WithKDCTimeout(5*time.Second))
			require.NoError(t, err)
			defer c.Close()
			begin := time.Now()
			err = c.Login(ctxT(t))
			require.ErrorIs(t, err, krb5.ErrWrongRealm)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, time.Since(begin), 5*time.Second,
				"no KDC was waited for")
		})
	}
}
