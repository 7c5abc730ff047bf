package gssapi_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/safekrb5/safekrb5/gssapi"
)

// TestContextFlags: what each end reports for what the initiator asks.
func TestContextFlags(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cred := acceptor(t, r)
	const ci = gssapi.FlagConf | gssapi.FlagInteg
	cases := []struct {
		asked, got uint32
		raw        bool
	}{
		{gssapi.DefaultInitFlags, gssapi.DefaultInitFlags, false},
		{gssapi.FlagMutual, gssapi.FlagMutual | ci, false},
		{gssapi.FlagReplay | gssapi.FlagSequence, gssapi.FlagReplay | gssapi.FlagSequence | ci,
			true},
		{0, ci, true},
		// The policy flag alone, for a service that is not
		// OK-AS-DELEGATE, delegates nothing and goes.
		{gssapi.FlagMutual | gssapi.FlagDelegPolicy, gssapi.FlagMutual | ci, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%#x raw %v", tc.asked, tc.raw), func(t *testing.T) {
			opts := []gssapi.InitOption{gssapi.WithFlags(tc.asked)}
			if tc.raw {
				opts = append(opts, gssapi.RawKerberos())
			}
			ini, acc := establish(t, c, cred, "HTTP/localhost", opts...)
			assert.Equal(t, tc.got, ini.Flags, "initiator %#x", ini.Flags)
			assert.Equal(t, tc.got, acc.Flags, "acceptor %#x", acc.Flags)
		})
	}
}
