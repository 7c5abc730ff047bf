package pac

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden is a file of testdata/, written by TestWriteGoldenPACs of
// internal/kdcmatrix (see testdata/README.md).
type golden struct {
	file        string
	Note        string    `json:"note"`
	KDC         string    `json:"kdc"`
	PAC         string    `json:"pac"`
	Client      string    `json:"client"`
	AuthTime    time.Time `json:"authtime"`
	ServerKey   keyJSON   `json:"server_key"`
	KDCKey      keyJSON   `json:"kdc_key"`
	DomainSID   string    `json:"domain_sid"`
	UPN         string    `json:"upn"`
	Groups      []string  `json:"groups"`
	ProxyTarget string    `json:"proxy_target"`
	Transited   []string  `json:"transited"`
}

type keyJSON struct {
	EType int32  `json:"etype"`
	Key   string `json:"key"`
}

func (k keyJSON) key(t testing.TB) types.EncryptionKey {
	b, err := hex.DecodeString(k.Key)
	require.NoError(t, err)
	return types.EncryptionKey{KeyType: k.EType, KeyValue: b}
}

func (g *golden) bytes(t testing.TB) []byte {
	b, err := base64.StdEncoding.DecodeString(g.PAC)
	require.NoError(t, err)
	return b
}

func (g *golden) clientName() types.PrincipalName {
	return types.PrincipalName{NameType: nametype.KRB_NT_PRINCIPAL,
		NameString: []string{g.Client}}
}

func loadGoldens(t testing.TB) []*golden {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var out []*golden
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		g := &golden{file: filepath.Base(f)}
		require.NoError(t, json.Unmarshal(b, g), f)
		out = append(out, g)
	}
	return out
}

// TestGoldenPACs decodes and verifies every PAC the real KDCs issued,
// and compares it with what the KDC was told when the accounts were
// made.
func TestGoldenPACs(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.file, func(t *testing.T) {
			p, err := Parse(g.bytes(t))
			require.NoError(t, err)
			require.NoError(t, p.VerifyServerChecksum(g.ServerKey.key(t)))
			require.NoError(t, p.VerifyKDCChecksum(g.KDCKey.key(t)))
			require.NoError(t, p.VerifyClient(g.clientName(), g.AuthTime))
			assert.Equal(t, g.KDCKey.EType, p.KDCChecksum.KeyType())

			if g.DomainSID == "" {
				// MIT's PAC: client info and signatures only.
				assert.Nil(t, p.LogonInfo)
				assert.Nil(t, p.UPNDNSInfo)
				assert.Equal(t, g.Client, p.ClientInfo.Name)
				return
			}
			checkADPAC(t, g, p)
		})
	}
}

func checkADPAC(t *testing.T, g *golden, p *PAC) {
	l := p.LogonInfo
	require.NotNil(t, l)
	assert.Equal(t, g.Client, l.EffectiveName)
	assert.Equal(t, "AD", l.LogonDomainName)
	assert.Equal(t, "DC", l.LogonServer)
	require.NotNil(t, l.LogonDomainID)
	assert.Equal(t, g.DomainSID, l.LogonDomainID.String())
	assert.EqualValues(t, 513, l.PrimaryGroupID)
	assert.True(t, l.LogoffTime.IsNever())
	assert.True(t, l.LogoffTime.Time().IsZero())
	assert.False(t, l.PasswordLastSet.Time().IsZero())
	sids := l.GroupSIDs()
	for _, want := range g.Groups {
		assert.Contains(t, sids, want)
	}
	// S-1-18-1: the KDC asserted the identity (a password login);
	// S-1-18-2: a service asserted it (S4U2Self).
	asserted := "S-1-18-1"
	if g.ProxyTarget != "" {
		asserted = "S-1-18-2"
	}
	assert.Contains(t, sids, asserted)

	u := p.UPNDNSInfo
	require.NotNil(t, u)
	assert.Equal(t, g.UPN, u.UPN)
	assert.Equal(t, "AD.TEST", u.DNSDomain)
	assert.Equal(t, g.Client, u.SAMName)
	require.NotNil(t, u.SID)
	assert.Equal(t, l.UserSID().String(), u.SID.String())

	if g.file == "samba-tgt.json" {
		// A TGT's PAC names who it was issued to, and whether a PAC
		// was asked for.
		require.NotNil(t, p.Requestor)
		assert.Equal(t, l.UserSID().String(), p.Requestor.String())
		require.NotNil(t, p.Attributes)
		assert.Equal(t, PACWasGivenImplicitly, p.Attributes.Flags)
	}
	if g.ProxyTarget == "" {
		assert.Nil(t, p.DelegationInfo)
		return
	}
	d := p.DelegationInfo
	require.NotNil(t, d)
	assert.Equal(t, g.ProxyTarget, d.ProxyTarget)
	assert.Equal(t, g.Transited, d.TransitedServices)
}

// TestGoldenWrongKeys checks that the signatures fail with other keys,
// and that a key of another enctype than the checksum's is refused.
func TestGoldenWrongKeys(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.file, func(t *testing.T) {
			p, err := Parse(g.bytes(t))
			require.NoError(t, err)
			server, kdc := g.ServerKey.key(t), g.KDCKey.key(t)
			if server.KeyType == kdc.KeyType &&
				!bytes.Equal(server.KeyValue, kdc.KeyValue) {
				err = p.VerifyServerChecksum(kdc)
				require.ErrorIs(t, err, ErrBadChecksum)
				var ce *ChecksumError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, TypeServerChecksum, ce.Buffer)
				require.ErrorIs(t, p.VerifyKDCChecksum(server),
					ErrBadChecksum)
			}
			short := types.EncryptionKey{KeyType: kdc.KeyType,
				KeyValue: kdc.KeyValue[:5]}
			require.ErrorIs(t, p.VerifyKDCChecksum(short), ErrChecksumType)
			other := types.EncryptionKey{KeyType: 17,
				KeyValue: make([]byte, 16)}
			require.ErrorIs(t, p.VerifyKDCChecksum(other), ErrChecksumType)
			assert.NotContains(t, p.VerifyKDCChecksum(other).Error(),
				hex.EncodeToString(kdc.KeyValue[:4]))
		})
	}
}

// TestGoldenEveryByteCovered flips each byte of each golden PAC in turn:
// the result must fail to parse, or fail the server signature, or (for
// bytes of the KDC signature, which the server signature leaves out)
// fail the KDC signature.
func TestGoldenEveryByteCovered(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.file, func(t *testing.T) {
			raw := g.bytes(t)
			server, kdc := g.ServerKey.key(t), g.KDCKey.key(t)
			for i := range raw {
				b := append([]byte(nil), raw...)
				b[i] ^= 0x01
				p, err := Parse(b)
				if err != nil {
					require.ErrorIs(t, err, ErrMalformed)
					continue
				}
				if p.VerifyServerChecksum(server) != nil {
					continue
				}
				require.Error(t, p.VerifyKDCChecksum(kdc),
					"byte %d changed and both signatures verify", i)
			}
		})
	}
}

func TestVerifyClient(t *testing.T) {
	g := loadGoldens(t)[0]
	p, err := Parse(g.bytes(t))
	require.NoError(t, err)
	tests := []struct {
		name string
		cn   types.PrincipalName
		at   time.Time
		ok   bool
	}{
		{"same", g.clientName(), g.AuthTime, true},
		{"sub-second", g.clientName(), g.AuthTime.Add(300 * time.Millisecond),
			true},
		{"other time", g.clientName(), g.AuthTime.Add(time.Second), false},
		{"other case", types.PrincipalName{NameString: []string{"ALICE"}},
			g.AuthTime, false},
		{"two components", types.PrincipalName{
			NameString: []string{g.Client, "admin"}}, g.AuthTime, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.VerifyClient(tt.cn, tt.at)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrClientMismatch)
		})
	}
}
