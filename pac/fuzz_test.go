package pac

import (
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"
)

// FuzzPAC feeds bytes to the PAC decoder, and to the search for a PAC in
// authorization data, then uses whatever decoded: every accessor, every
// signature check with keys of several enctypes, the client check. None
// may panic; every failure must be an error matching a sentinel. The
// seeds are the golden PACs and the malformed variants of TestMalformed.
func FuzzPAC(f *testing.F) {
	for _, g := range loadGoldens(f) {
		f.Add(g.bytes(f))
	}
	base := goldenPAC(f, "samba-s4u2proxy.json")
	for _, c := range malformedCases(f) {
		f.Add(c.change(append([]byte(nil), base...)))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0,
		0xff, 0, 0, 0, 0, 0, 0, 0})
	keys := []types.EncryptionKey{
		{KeyType: 17, KeyValue: make([]byte, 16)},
		{KeyType: 18, KeyValue: make([]byte, 32)},
		{KeyType: 20, KeyValue: make([]byte, 32)},
		{KeyType: 23, KeyValue: make([]byte, 16)},
	}
	client := types.PrincipalName{NameType: 1, NameString: []string{"alice"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		fromAuthorizationData(t, b)
		p, err := Parse(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		use(p)
		for _, k := range keys {
			checkSentinel(t, p.VerifyServerChecksum(k))
			checkSentinel(t, p.VerifyKDCChecksum(k))
		}
		err = p.VerifyClient(client, time.Unix(1700000000, 0))
		if err != nil && !errorsIs(err, ErrClientMismatch, ErrMalformed) {
			t.Fatalf("VerifyClient: unexpected error %v", err)
		}
		again, err := Parse(p.Bytes())
		require.NoError(t, err, "a PAC that parsed parses again")
		require.Equal(t, len(p.Buffers), len(again.Buffers))
	})
}

// fromAuthorizationData runs the search through authorization data with
// b as the content of an AD-IF-RELEVANT element, and as a PAC inside one.
func fromAuthorizationData(t *testing.T, b []byte) {
	for _, ad := range []types.AuthorizationData{
		{{ADType: adIfRelevant, ADData: b}},
		{{ADType: adIfRelevant, ADData: mustMarshal(t,
			types.AuthorizationData{{ADType: adWin2kPAC, ADData: b}})}},
	} {
		p, err := FromAuthorizationData(ad)
		if err != nil {
			if !errorsIs(err, ErrNoPAC, ErrMalformed) {
				t.Fatalf("FromAuthorizationData: unexpected error %v", err)
			}
			continue
		}
		use(p)
	}
}

func mustMarshal(t *testing.T, ad types.AuthorizationData) []byte {
	b, err := asn1.Marshal(ad)
	require.NoError(t, err)
	return b
}

// use calls every accessor of a decoded PAC.
func use(p *PAC) {
	for _, b := range p.Buffers {
		_ = b.Type.String()
	}
	if l := p.LogonInfo; l != nil {
		_ = l.GroupSIDs()
		if s := l.UserSID(); s != nil {
			_ = s.String()
		}
		_ = l.LogonTime.Time()
		_ = l.LogoffTime.Time()
	}
	if u := p.UPNDNSInfo; u != nil && u.SID != nil {
		_ = u.SID.String()
	}
	if p.Requestor != nil {
		_ = p.Requestor.String()
	}
	for _, s := range []*Signature{p.ServerChecksum, p.KDCChecksum,
		p.TicketChecksum, p.FullChecksum} {
		if s != nil {
			_ = s.KeyType()
		}
	}
	if c := p.ClientInfo; c != nil {
		_ = c.ClientID.Time()
	}
}

func checkSentinel(t *testing.T, err error) {
	if err != nil && !errorsIs(err, ErrBadChecksum, ErrMissingChecksum,
		ErrChecksumType) {
		t.Fatalf("unexpected error %v", err)
	}
}

func errorsIs(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
