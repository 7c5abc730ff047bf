package pac

import (
	"encoding/json"
	"io"
	"log"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	gokrb5pac "github.com/jcmturner/gokrb5/v8/pac"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFileTime(t *testing.T) {
	tests := []struct {
		name  string
		ft    FileTime
		want  time.Time
		never bool
	}{
		{"not set", 0, time.Time{}, false},
		{"unix epoch", unixEpoch, time.Unix(0, 0).UTC(), false},
		{"2024", FileTime(133485408000000000),
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"100ns", unixEpoch + 1, time.Unix(0, 100).UTC(), false},
		{"before 1970", unixEpoch - 10000000, time.Unix(-1, 0).UTC(), false},
		{"never", Never, time.Time{}, true},
		{"above never", 0xffffffffffffffff, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, tt.want.Equal(tt.ft.Time()), "%v", tt.ft.Time())
			assert.Equal(t, tt.never, tt.ft.IsNever())
			_, err := json.Marshal(tt.ft.Time())
			assert.NoError(t, err, "the time encodes as JSON")
		})
	}
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	assert.True(t, now.Equal(fileTimeOf(now).Time()))
}

func TestSIDString(t *testing.T) {
	tests := []struct {
		sid  SID
		want string
	}{
		{SID{Revision: 1, Authority: 5, SubAuthorities: []uint32{
			21, 1, 2, 3, 1104}}, "S-1-5-21-1-2-3-1104"},
		{SID{Revision: 1, Authority: 18, SubAuthorities: []uint32{1}},
			"S-1-18-1"},
		{SID{Revision: 1, Authority: 0}, "S-1-0"},
		{SID{Revision: 1, Authority: 1 << 40, SubAuthorities: []uint32{
			4294967295}}, "S-1-0x10000000000-4294967295"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.sid.String())
	}
	d := SID{Revision: 1, Authority: 5, SubAuthorities: []uint32{21, 9}}
	u := d.Append(500)
	assert.Equal(t, "S-1-5-21-9-500", u.String())
	assert.Equal(t, "S-1-5-21-9", d.String(), "Append leaves d alone")
}

// wrapIfRelevant wraps elements in AD-IF-RELEVANT.
func wrapIfRelevant(t *testing.T,
	inner types.AuthorizationData) types.AuthorizationDataEntry {
	b, err := asn1.Marshal(inner)
	require.NoError(t, err)
	return types.AuthorizationDataEntry{ADType: adIfRelevant, ADData: b}
}

func TestFromAuthorizationData(t *testing.T) {
	raw := goldenPAC(t, "mit.json")
	pacEntry := types.AuthorizationDataEntry{ADType: adWin2kPAC, ADData: raw}
	other := types.AuthorizationDataEntry{ADType: 141, ADData: []byte{1}}
	nested := wrapIfRelevant(t, types.AuthorizationData{pacEntry})
	for i := 0; i < maxADDepth; i++ {
		nested = wrapIfRelevant(t, types.AuthorizationData{nested})
	}
	tests := []struct {
		name string
		ad   types.AuthorizationData
		err  error
	}{
		{"none", nil, ErrNoPAC},
		{"other data", types.AuthorizationData{other}, ErrNoPAC},
		{"wrapped", types.AuthorizationData{other,
			wrapIfRelevant(t, types.AuthorizationData{other, pacEntry})}, nil},
		{"bare PAC ignored", types.AuthorizationData{pacEntry}, ErrNoPAC},
		{"two PACs", types.AuthorizationData{
			wrapIfRelevant(t, types.AuthorizationData{pacEntry}),
			wrapIfRelevant(t, types.AuthorizationData{pacEntry})}, ErrMalformed},
		{"nested too deep", types.AuthorizationData{nested}, ErrMalformed},
		{"bad AD-IF-RELEVANT", types.AuthorizationData{{ADType: adIfRelevant,
			ADData: []byte{0x30, 0x05}}}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := FromAuthorizationData(tt.ad)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, p)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, raw, p.Bytes())
		})
	}
}

// TestAgreesWithGokrb5 decodes the golden PACs, which are well formed,
// with gokrb5's decoder too and compares the logon information. gokrb5's
// decoder panics on malformed PACs, so it serves here only as a second
// opinion on real ones.
func TestAgreesWithGokrb5(t *testing.T) {
	for _, g := range loadGoldens(t) {
		if g.DomainSID == "" {
			continue // gokrb5 refuses PACs without logon info
		}
		t.Run(g.file, func(t *testing.T) {
			raw := g.bytes(t)
			var theirs gokrb5pac.PACType
			require.NoError(t, theirs.Unmarshal(raw))
			require.NoError(t, theirs.ProcessPACInfoBuffers(g.ServerKey.key(t),
				log.New(io.Discard, "", 0)))
			ours, err := Parse(raw)
			require.NoError(t, err)
			k, l := theirs.KerbValidationInfo, ours.LogonInfo
			assert.Equal(t, k.EffectiveName.Value, l.EffectiveName)
			assert.Equal(t, k.LogonDomainName.Value, l.LogonDomainName)
			assert.Equal(t, k.LogonDomainID.String(), l.LogonDomainID.String())
			assert.Equal(t, k.UserID, l.UserID)
			assert.Equal(t, k.GetGroupMembershipSIDs(), l.GroupSIDs())
			assert.Equal(t, k.UserAccountControl, l.UserAccountControl)
			assert.Equal(t, theirs.ClientInfo.Name, ours.ClientInfo.Name)
			assert.Equal(t, theirs.UPNDNSInfo.UPN, ours.UPNDNSInfo.UPN)
			if d := theirs.S4UDelegationInfo; d != nil {
				assert.Equal(t, d.S4U2proxyTarget.Value,
					ours.DelegationInfo.ProxyTarget)
			}
		})
	}
}
