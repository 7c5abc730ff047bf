package kdcmatrix

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// goldenEnv names the variable that makes TestWriteGoldenPACs write the
// golden PACs of package pac.
const goldenEnv = "SAFEKRB5_WRITE_GOLDEN_PACS"

// goldenDir is package pac's testdata, from this package's directory.
const goldenDir = "../../pac/testdata"

// goldenKey is a key in a golden file, of a realm that no longer exists.
type goldenKey struct {
	EType int32  `json:"etype"`
	Key   string `json:"key"` // hex
}

// goldenPAC is one golden file: a PAC as a KDC issued it, the keys that
// verify it, and what the KDC was told, for the tests to compare with.
type goldenPAC struct {
	Note      string     `json:"note"`
	KDC       string     `json:"kdc"`
	PAC       string     `json:"pac"` // base64
	Client    string     `json:"client"`
	AuthTime  time.Time  `json:"authtime"`
	ServerKey goldenKey  `json:"server_key"`
	KDCKey    *goldenKey `json:"kdc_key,omitempty"`
	// What the PAC must say, known from how the account was made.
	DomainSID   string   `json:"domain_sid,omitempty"`
	UPN         string   `json:"upn,omitempty"`
	Groups      []string `json:"groups,omitempty"` // SIDs the user must hold
	ProxyTarget string   `json:"proxy_target,omitempty"`
	Transited   []string `json:"transited,omitempty"`
}

// TestWriteGoldenPACs makes the golden PACs in pac/testdata from a Samba
// AD DC and an MIT realm. It runs only when asked:
//
//	SAFEKRB5_WRITE_GOLDEN_PACS=1 go test -run TestWriteGoldenPACs ./internal/kdcmatrix
func TestWriteGoldenPACs(t *testing.T) {
	if os.Getenv(goldenEnv) != "1" {
		t.Skipf("writes pac/testdata only with %s=1", goldenEnv)
	}
	writeSambaGoldens(t)
	writeMITGolden(t)
}

func writeSambaGoldens(t *testing.T) {
	d := testsamba.ForTest(t, testsamba.Options{})
	ctx := ctxT(t)
	out, err := exec.Command("/usr/sbin/samba", "-V").Output()
	require.NoError(t, err)
	version := "Samba " + strings.TrimPrefix(strings.TrimSpace(string(out)), "Version ")

	// Two global groups and a domain-local one, for the group lists.
	sids, err := d.Python(ctx, goldenGroupsScript, d.User)
	require.NoError(t, err)
	groupSIDs := strings.Fields(sids)

	cfg, err := krb5.LoadConfigFile(d.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(d.User, d.Realm, d.Password, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))
	krbtgt := d.KrbtgtKeytab
	base := goldenPAC{KDC: version, DomainSID: d.DomainSID, UPN: d.UPN,
		Groups: append([]string{d.DomainSID + "-513"}, groupSIDs...)}

	st, err := c.ServiceTicket(ctx, d.AESService)
	require.NoError(t, err)
	g := base
	g.Note = "alice's service ticket for HTTP/aes.localhost, aes256"
	writeGolden(t, "samba-aes.json", g, st.Ticket, d.AESKeytab, krbtgt)

	st, err = c.ServiceTicket(ctx, d.Service)
	require.NoError(t, err)
	g = base
	g.Note = "alice's service ticket for HTTP/localhost, an account " +
		"without enctypes: rc4-hmac, HMAC-MD5 server signature"
	writeGolden(t, "samba-rc4.json", g, st.Ticket, d.Keytab, krbtgt)

	tgt, err := c.TGT()
	require.NoError(t, err)
	g = base
	g.Note = "alice's TGT, with the attributes and requestor buffers"
	writeGolden(t, "samba-tgt.json", g, tgt.Ticket, krbtgt, krbtgt)

	g = base
	g.Note = "a ticket for HTTP/localhost that svcaes obtained for alice " +
		"with S4U2Self and S4U2Proxy (MIT kvno -U alice -P)"
	g.ProxyTarget = d.Service
	g.Transited = []string{"svcaes@" + d.Realm}
	writeGolden(t, "samba-s4u2proxy.json", g, s4uTicket(t, d), d.Keytab,
		krbtgt)
}

// goldenGroupsScript makes alice (argv[2]) a member of two global
// groups and a domain-local one, and prints the global groups' SIDs.
const goldenGroupsScript = `
import sys
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
from samba.dsdb import GTYPE_SECURITY_DOMAIN_LOCAL_GROUP
from samba.ndr import ndr_unpack
from samba.dcerpc import security
import ldb
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
for name, gtype in (("staff", None), ("admins", None),
        ("local", GTYPE_SECURITY_DOMAIN_LOCAL_GROUP)):
    if gtype is None:
        db.newgroup(name)
    else:
        db.newgroup(name, grouptype=gtype)
    db.add_remove_group_members(name, [sys.argv[2]],
        add_members_operation=True)
for name in ("staff", "admins"):
    res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
        expression="(sAMAccountName=%s)" % name, attrs=["objectSid"])
    print(ndr_unpack(security.dom_sid, res[0]["objectSid"][0]))
`

// s4uTicket has MIT's kvno, as svcaes, get a ticket for HTTP/localhost
// on alice's behalf (S4U2Self, then S4U2Proxy), after allowing svcaes to
// delegate to it with protocol transition.
func s4uTicket(t *testing.T, d *testsamba.DC) messages.Ticket {
	t.Helper()
	ctx := ctxT(t)
	for _, args := range [][]string{
		{"delegation", "for-any-protocol", "svcaes", "on"},
		{"delegation", "add-service", "svcaes", d.Service},
	} {
		_, err := d.SambaTool(ctx, args...)
		require.NoError(t, err)
	}
	cc := filepath.Join(t.TempDir(), "ccache")
	kt := filepath.Join(t.TempDir(), "svcaes.keytab")
	_, err := d.SambaTool(ctx, "domain", "exportkeytab", kt,
		"--principal=svcaes")
	require.NoError(t, err)
	env := append(d.Env(), "KRB5CCNAME=FILE:"+cc)
	for _, args := range [][]string{
		{"kinit", "-k", "-t", kt, "svcaes@" + d.Realm},
		{"kvno", "-U", d.User, "-P", d.Service},
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", args[0], out)
	}
	// The ticket's client is alice, not the cache's svcaes: read the
	// file itself.
	cache, err := ccachefile.ReadFile(cc)
	require.NoError(t, err)
	defer cache.Wipe()
	for _, cred := range cache.Credentials {
		if cred.Server.String() == d.Service+"@"+d.Realm {
			var tkt messages.Ticket
			require.NoError(t, tkt.Unmarshal(cred.Ticket))
			return tkt
		}
	}
	t.Fatal("no S4U2Proxy ticket in the ccache")
	return messages.Ticket{}
}

func writeMITGolden(t *testing.T) {
	r := testrealm.ForTest(t, testrealm.Options{})
	ctx := ctxT(t)
	out, err := exec.Command("krb5-config", "--version").Output()
	if err != nil {
		out = []byte("Kerberos 5 release 1.20")
	}
	krbtgt := filepath.Join(t.TempDir(), "krbtgt.keytab")
	require.NoError(t, r.ExportKeytab(ctx, "krbtgt/"+r.Name, krbtgt))
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg)
	require.NoError(t, err)
	defer c.Close()
	st, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	g := goldenPAC{KDC: "MIT " + strings.TrimSpace(string(out)),
		Note: "alice's service ticket for HTTP/localhost: MIT's PAC, " +
			"without logon info"}
	writeGolden(t, "mit.json", g, st.Ticket, r.Keytab, krbtgt)
}

// writeGolden decrypts tkt with its key from keytab, and writes its PAC
// with the service key and the krbtgt key of the KDC signature.
func writeGolden(t *testing.T, name string, g goldenPAC,
	tkt messages.Ticket, keytab, krbtgt string) {
	t.Helper()
	kt, err := krb5.LoadKeytab(keytab)
	require.NoError(t, err)
	defer kt.Close()
	var part messages.EncTicketPart
	sname := tkt.SName
	if sname.NameString[0] == "krbtgt" {
		// AD's keytab names the krbtgt keys by account.
		sname = types.PrincipalName{NameType: 1, NameString: []string{"krbtgt"}}
	}
	err = kt.UseKey(sname, tkt.Realm, uint32(tkt.EncPart.KVNO),
		tkt.EncPart.EType, func(key types.EncryptionKey, _ uint32) error {
			plain, err := crypto.DecryptEncPart(tkt.EncPart, key,
				keyusage.KDC_REP_TICKET)
			if err == nil {
				err = part.Unmarshal(plain)
			}
			g.ServerKey = goldenKey{key.KeyType, hex.EncodeToString(key.KeyValue)}
			return err
		})
	require.NoError(t, err)
	raw := pacBytes(t, part.AuthorizationData)
	g.PAC = base64.StdEncoding.EncodeToString(raw)
	g.Client = strings.Join(part.CName.NameString, "/")
	g.AuthTime = part.AuthTime.UTC()
	g.KDCKey = krbtgtKey(t, krbtgt, raw)

	b, err := json.MarshalIndent(g, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(goldenDir, name),
		append(b, '\n'), 0o644))
	t.Logf("wrote %s", name)
}

// pacBytes finds the PAC in authorization data without package pac, so
// that a fault there cannot hide in its own golden files.
func pacBytes(t *testing.T, ad types.AuthorizationData) []byte {
	t.Helper()
	for _, e := range ad {
		if e.ADType != 1 {
			continue
		}
		var inner types.AuthorizationData
		require.NoError(t, inner.Unmarshal(e.ADData))
		for _, in := range inner {
			if in.ADType == 128 {
				return in.ADData
			}
		}
	}
	t.Fatal("no PAC in the ticket")
	return nil
}

// krbtgtKey returns the krbtgt key of the enctype the KDC signature
// names, read from the PAC's header by hand.
func krbtgtKey(t *testing.T, keytab string, raw []byte) *goldenKey {
	t.Helper()
	etype := kdcSignatureEType(t, raw)
	kt, err := krb5.LoadKeytab(keytab)
	require.NoError(t, err)
	defer kt.Close()
	entries, err := kt.Entries()
	require.NoError(t, err)
	for _, e := range entries {
		if e.EType != etype {
			continue
		}
		var out *goldenKey
		err := kt.UseKey(e.Principal, e.Realm, e.KVNO, e.EType,
			func(key types.EncryptionKey, _ uint32) error {
				out = &goldenKey{key.KeyType, hex.EncodeToString(key.KeyValue)}
				return nil
			})
		require.NoError(t, err)
		return out
	}
	t.Fatalf("no krbtgt key of enctype %d", etype)
	return nil
}

// kdcSignatureEType maps the KDC signature's checksum type to its
// enctype: 16 and 15 are the AES ones, -138 HMAC-MD5 with rc4-hmac.
func kdcSignatureEType(t *testing.T, raw []byte) int32 {
	t.Helper()
	le := func(b []byte) uint32 {
		return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 |
			uint32(b[3])<<24
	}
	n := int(le(raw))
	for i := 0; i < n; i++ {
		h := raw[8+16*i:]
		if le(h) != 7 {
			continue
		}
		off := int(le(h[8:]))
		switch int32(le(raw[off:])) {
		case 16:
			return 18
		case 15:
			return 17
		case -138:
			return 23
		}
	}
	t.Fatal("no KDC signature of a known type")
	return 0
}
