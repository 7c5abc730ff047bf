package krb5

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeErrorTexts: a message that does not decode is named with
// its source, and the decoder's complaint is cut before gofork's dump of
// struct tags and pointer values.
func TestDecodeErrorTexts(t *testing.T) {
	bad := []byte{0x61, 0x03, 0x02, 0x01, 0x05}
	var tkt messages.Ticket
	err := decodeSafe(bad, tkt.Unmarshal)
	require.ErrorIs(t, err, ErrASN1Parse)
	assert.Equal(t, "ASN.1 cannot be parsed: asn1: structure error: tags don't match",
		err.Error())

	err = unmarshalSafe("AS-REP", bad, tkt.Unmarshal)
	require.ErrorIs(t, err, ErrASN1Parse)
	assert.Equal(t, "malformed AS-REP from the KDC: ASN.1 cannot be parsed: "+
		"asn1: structure error: tags don't match", err.Error())

	err = decodeSafe(nil, tkt.Unmarshal)
	assert.Equal(t, "ASN.1 cannot be parsed: empty message", err.Error())
}
