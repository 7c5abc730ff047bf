package gssapi

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// negResp encodes what gokrb5 encodes, for every combination of fields
// and lengths on both sides of the DER length forms.
func TestNegRespMatchesGokrb5(t *testing.T) {
	for _, state := range []int{spnegoCompleted, spnegoIncomplete, spnegoReject} {
		for _, mech := range []asn1.ObjectIdentifier{nil, OIDKRB5, OIDMSKRB5} {
			for _, n := range []int{0, 1, 100, 127, 128, 255, 256, 70000} {
				for _, m := range []int{0, 28} {
					t.Run(fmt.Sprintf("%d-%v-%d-%d", state, mech, n, m), func(t *testing.T) {
						tok := bytes.Repeat([]byte{7}, n)
						mic := bytes.Repeat([]byte{9}, m)
						want, err := (&spnego.NegTokenResp{NegState: asn1.Enumerated(state),
							SupportedMech: mech, ResponseToken: tok, MechListMIC: mic}).Marshal()
						require.NoError(t, err)
						got, err := negResp(state, mech, tok, mic)
						require.NoError(t, err)
						assert.Equal(t, want, got)
					})
				}
			}
		}
	}
}

func TestParseOID(t *testing.T) {
	for _, oid := range []asn1.ObjectIdentifier{OIDKRB5, OIDSPNEGO, {1, 2, 3, 4, 5}} {
		der, err := asn1.Marshal(oid)
		require.NoError(t, err)
		got, err := parseOID(der)
		require.NoError(t, err)
		assert.True(t, oid.Equal(got))
		_, err = parseOID(append(der, 0))
		assert.Error(t, err)
	}
	_, err := parseOID([]byte{0x06, 0x00})
	assert.Error(t, err)
}
