package gssapi

import (
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/support"
)

// FuzzParseSPNEGO feeds arbitrary bytes to the NegTokenInit and
// NegTokenResp decoders: they must return a value or an error, never
// panic, and a decoded NegTokenInit always has a mechanism.
func FuzzParseSPNEGO(f *testing.F) {
	init, err := (&spnego.NegTokenInit{MechTypes: []asn1.ObjectIdentifier{OIDNegoEx,
		OIDKRB5, OIDNTLM}, MechTokenBytes: []byte{1, 2}, MechListMIC: []byte{3}}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	resp, err := (&spnego.NegTokenResp{NegState: 1, ResponseToken: []byte{1},
		MechListMIC: []byte{2}}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	chosen, err := (&spnego.NegTokenResp{NegState: 3, SupportedMech: OIDKRB5,
		ResponseToken: []byte{1}, MechListMIC: []byte{2}}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(init)
	f.Add(resp)
	f.Add(chosen)
	f.Add([]byte{0xa1, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte{0xa0, 0x04, 0x30, 0x02, 0xa0, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseNegInit(b); err == nil && len(n.mechs) == 0 {
			t.Fatal("a NegTokenInit without mechanisms decoded")
		}
		_, _ = parseNegResp(b)
	})
}

// testCredKey is the session key of the credentials FuzzOpenCred makes.
var testCredKey = types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}

// sampleCred makes a KRB-CRED with one ticket for krbtgt/R@R, as our
// initiator sends it, encrypted in testCredKey.
func sampleCred(tb testing.TB) []byte {
	tb.Helper()
	tgt := types.NewPrincipalName(2, "krbtgt/R")
	tkt := messages.Ticket{TktVNO: 5, Realm: "R", SName: tgt,
		EncPart: types.EncryptedData{EType: 18, KVNO: 1, Cipher: []byte{1, 2, 3}}}
	tktDER, err := tkt.Marshal()
	require.NoError(tb, err)
	now := time.Now().UTC().Truncate(time.Second)
	part, err := asn1.Marshal(encCredPart{TicketInfo: []credInfo{{
		Key:    types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
		PRealm: "R", PName: types.NewPrincipalName(1, "alice"),
		Flags:    asn1.BitString{Bytes: []byte{0x60, 0, 0, 0}, BitLength: 32},
		AuthTime: now, StartTime: now, EndTime: now.Add(time.Hour),
		SRealm: "R", SName: tgt,
	}}, Timestamp: now})
	require.NoError(tb, err)
	s, err := support.NewSecret(appTag(part, asnAppTag.EncKrbCredPart))
	require.NoError(tb, err)
	defer s.Destroy()
	b, err := sealCred(s, tktDER, testCredKey)
	require.NoError(tb, err)
	return b
}

func TestKRBCredReadByGokrb5(t *testing.T) {
	// gokrb5's decoder, written apart from ours, reads what we send.
	var kc messages.KRBCred
	require.NoError(t, kc.Unmarshal(sampleCred(t)))
	require.Len(t, kc.Tickets, 1)
	require.Equal(t, "R", kc.Tickets[0].Realm)
	require.NoError(t, kc.DecryptEncPart(testCredKey))
	require.Equal(t, "alice", kc.DecryptedEncPart.TicketInfo[0].PName.PrincipalNameString())
}

// FuzzOpenCred feeds arbitrary delegation fields to the acceptor's
// KRB-CRED decoder: an error or a credential, never a panic.
func FuzzOpenCred(f *testing.F) {
	f.Add(sampleCred(f))
	f.Add([]byte{0x76, 0x03, 0x30, 0x01, 0x00})
	f.Add([]byte{0x76, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		a := &accepted{client: types.NewPrincipalName(1, "alice"), clientRealm: "R",
			sessionKey: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
			delegation: append([]byte(nil), b...)}
		_, _ = openCred(a)
	})
}
