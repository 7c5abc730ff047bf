package kdcmatrix

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testheimdal"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/internal/testsamba"
	"github.com/safekrb5/safekrb5/krb5"
)

// startTimeout bounds the start of one KDC, Samba's first provisioning
// included.
const startTimeout = 3 * time.Minute

// maxDatagramReply is the UDP reply limit given to the MIT and Heimdal
// KDCs: their error replies fit, their tickets do not, so clients meet
// KRB_ERR_RESPONSE_TOO_BIG as they do with Active Directory.
const maxDatagramReply = 400

// pacKind says what a KDC puts in tickets.
type pacKind int

const (
	pacNone    pacKind = iota // Heimdal without a windc plugin
	pacMinimal                // MIT 1.20: client info and signatures
	pacFull                   // Active Directory: logon info, UPN, ...
)

// kdc is one running KDC with the accounts the scenarios use. Fields
// holding "" mean the KDC has no such thing; the scenario then asserts
// and says why.
type kdc struct {
	name  string
	realm string
	conf  string // client krb5.conf
	dir   string // a directory for files the scenarios make

	user, password string
	userKeytab     string // the user's keys, exported by account

	service       string // an SPN whose tickets the acceptor takes
	serviceKeytab string // its keys, under the SPN
	krbtgtKeytab  string // krbtgt/REALM keys, for PAC KDC signatures
	pac           pacKind

	// changeUser's password is changed by the password scenario.
	changeUser, changePassword string

	// saltUser's keys use a salt that is not the default one.
	saltUser, saltPassword string

	// rc4Service gets rc4-hmac tickets; noRC4 says why there is none.
	rc4Service, rc4Keytab, noRC4 string

	// serviceAccount logs in with serviceAccountKeytab, a keytab
	// exported by account name, and its SPN is accepted with the
	// SPN keytab; noAccounts says why a KDC has no such split.
	serviceAccount, serviceAccountKeytab, noAccounts string

	// enterprise and canonical are the logins of the name scenarios.
	enterprise, canonical []nameCase

	// kinit runs the KDC's own kinit for user into a ccache file.
	kinit func(ctx context.Context, ccache string) error
	// changeCount counts password changes, to make new passwords.
	changeCount int
}

// nameCase is a login under a name other than the principal's, and
// what the KDC makes of it.
type nameCase struct {
	name         string
	canonicalize bool
	// want is the principal the TGT names, or "" when the KDC answers
	// KDC_ERR_C_PRINCIPAL_UNKNOWN, for the reason why gives.
	want, why string
}

// caseSensitive is how MIT and Heimdal answer a name in another case.
func caseSensitive(k *kdc) []nameCase {
	why := "principal names are case-sensitive"
	upper := strings.ToUpper(k.user)
	return []nameCase{
		{name: upper, why: why},
		{name: upper, canonicalize: true, why: why},
	}
}

// config loads the client configuration.
func (k *kdc) config(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := krb5.LoadConfigFile(k.conf)
	require.NoError(t, err)
	return cfg
}

func randomPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "Pw1-" + base64.RawURLEncoding.EncodeToString(b)
}

// startMIT starts an MIT realm with kadmind, a user keytab, the krbtgt
// keytab and a user whose aes-sha2 key has a random ("special") salt.
func startMIT(t *testing.T) *kdc {
	t.Helper()
	r := testrealm.ForTest(t, testrealm.Options{Kadmind: true,
		KDCDefaults: map[string]string{
			"kdc_max_dgram_reply_size": strconv.Itoa(maxDatagramReply)}})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	k := &kdc{
		name: "MIT", realm: r.Name, conf: r.ConfPath, dir: t.TempDir(),
		user: r.User, password: r.Password, userKeytab: r.UserKeytab,
		service: r.Service, serviceKeytab: r.Keytab, pac: pacMinimal,
		changeUser: "carol", changePassword: randomPassword(t),
		saltUser: "dave", saltPassword: randomPassword(t),
		noRC4: "MIT 1.20 disables rc4-hmac (allow_weak_crypto is off and " +
			"the realm's supported_enctypes have none)",
		noAccounts: "an MIT principal is its own account: the service " +
			"keytab is exported for the SPN itself",
	}
	k.krbtgtKeytab = filepath.Join(k.dir, "krbtgt.keytab")
	require.NoError(t, r.ExportKeytab(ctx, "krbtgt/"+r.Name, k.krbtgtKeytab))
	require.NoError(t, r.AddPrincipal(ctx, k.changeUser, k.changePassword))
	_, err := r.KadminLocal(ctx, fmt.Sprintf(
		"addprinc -pw \"%s\" -e aes256-cts-hmac-sha384-192:special %s",
		k.saltPassword, k.saltUser))
	require.NoError(t, err)
	out, err := r.KadminLocal(ctx, "getprinc "+k.saltUser)
	require.NoError(t, err)
	require.Contains(t, out, "aes256-cts-hmac-sha384-192:special",
		"the key's salt is random, not the principal's name")
	k.enterprise = []nameCase{
		{name: r.User + "@" + r.Name, why: "MIT's KDC finds an enterprise " +
			"name with an @ only through an alias, which its DB2 " +
			"database lacks; MIT's own kinit -E fails alike"},
		{name: r.User, want: r.UserPrincipal},
	}
	k.canonical = caseSensitive(k)
	k.kinit = kinitWith(r, r.UserPrincipal, r.Password)
	return k
}

// kinitWith returns a kdc.kinit running the kinit of a harness.
func kinitWith(r interface {
	Kinit(ctx context.Context, cc, principal, password string) error
}, principal, password string) func(context.Context, string) error {
	return func(ctx context.Context, cc string) error {
		return r.Kinit(ctx, "FILE:"+cc, principal, password)
	}
}

// startHeimdal starts a Heimdal realm with kpasswdd, a user keytab and a
// service whose only key is rc4-hmac.
func startHeimdal(t *testing.T) *kdc {
	t.Helper()
	r := testheimdal.ForTest(t, testheimdal.Options{Kpasswdd: true,
		MaxDatagramReply: maxDatagramReply})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	k := &kdc{
		name: "Heimdal", realm: r.Name, conf: r.ConfPath, dir: t.TempDir(),
		user: r.User, password: r.Password,
		service: r.Service, serviceKeytab: r.Keytab, pac: pacNone,
		changeUser: "carol", changePassword: randomPassword(t),
		saltUser: r.SaltUser, saltPassword: r.SaltPassword,
		rc4Service: "HTTP/rc4.localhost",
		noAccounts: "a Heimdal principal is its own account: the service " +
			"keytab is exported for the SPN itself",
	}
	k.userKeytab = filepath.Join(k.dir, "user.keytab")
	k.rc4Keytab = filepath.Join(k.dir, "rc4.keytab")
	k.krbtgtKeytab = filepath.Join(k.dir, "krbtgt.keytab")
	steps := [][]string{
		{"ext_keytab", "--keytab=" + k.userKeytab, r.User},
		{"ext_keytab", "--keytab=" + k.krbtgtKeytab, "krbtgt/" + r.Name},
		{"add", "--password=" + k.changePassword, "--use-defaults",
			"--attributes=requires-pre-auth", k.changeUser},
		{"add", "--random-key", "--use-defaults", k.rc4Service},
		{"del_enctype", k.rc4Service, "aes256-cts-hmac-sha1-96",
			"aes128-cts-hmac-sha1-96"},
		{"ext_keytab", "--keytab=" + k.rc4Keytab, k.rc4Service},
	}
	for _, s := range steps {
		_, err := r.Kadmin(ctx, s...)
		require.NoError(t, err)
	}
	k.enterprise = []nameCase{
		{name: r.User + "@" + r.Name, want: r.UserPrincipal},
		{name: r.User + "@" + strings.ToLower(r.Name), why: "Heimdal " +
			"matches the realm part exactly and knows no UPN suffixes"},
	}
	k.canonical = caseSensitive(k)
	k.kinit = kinitWith(r, r.UserPrincipal, r.Password)
	return k
}

// startSamba starts a Samba AD DC and exports keytabs by account and by
// SPN, and adds a user for the password change.
func startSamba(t *testing.T) *kdc {
	t.Helper()
	d := testsamba.ForTest(t, testsamba.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	k := &kdc{
		name: "Samba AD", realm: d.Realm, conf: d.ConfPath, dir: t.TempDir(),
		user: d.User, password: d.Password,
		service: d.AESService, krbtgtKeytab: d.KrbtgtKeytab, pac: pacFull,
		changeUser: "carol", changePassword: randomPassword(t),
		rc4Service: d.Service, rc4Keytab: d.Keytab,
		serviceAccount: "svcaes",
	}
	k.userKeytab = filepath.Join(k.dir, "alice.keytab")
	k.serviceKeytab = filepath.Join(k.dir, "spn.keytab")
	k.serviceAccountKeytab = filepath.Join(k.dir, "svcaes.keytab")
	steps := [][]string{
		{"domain", "exportkeytab", k.userKeytab, "--principal=" + d.User},
		{"domain", "exportkeytab", k.serviceKeytab,
			"--principal=" + d.AESService},
		{"domain", "exportkeytab", k.serviceAccountKeytab,
			"--principal=" + k.serviceAccount},
		{"user", "create", k.changeUser, k.changePassword},
	}
	for _, s := range steps {
		_, err := d.SambaTool(ctx, s...)
		require.NoError(t, err)
	}
	_, err := d.Python(ctx, addGroupsScript, d.User, strconv.Itoa(userGroups))
	require.NoError(t, err)
	// AD derives the salt from the account name as stored, so a login
	// typed in another case needs the salt the KDC reports.
	k.saltUser, k.saltPassword = strings.ToUpper(d.User), d.Password
	k.enterprise = []nameCase{
		{name: d.UPN, want: d.UserPrincipal},
		{name: d.UserPrincipal, want: d.UserPrincipal},
	}
	// Without canonicalization AD keeps the name as typed, in the
	// ticket and in its PAC; with it, the account's name.
	upper := strings.ToUpper(d.User)
	k.canonical = []nameCase{
		{name: upper, want: upper + "@" + d.Realm},
		{name: upper, canonicalize: true, want: d.UserPrincipal},
	}
	k.kinit = func(ctx context.Context, cc string) error {
		cmd := exec.CommandContext(ctx, "kinit", "-c", "FILE:"+cc,
			d.UserPrincipal)
		cmd.Env = append(d.Env(), "KRB5CCNAME=FILE:"+cc)
		cmd.Stdin = strings.NewReader(d.Password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("kinit: %w: %s", err, out)
		}
		return nil
	}
	return k
}

// userGroups is how many groups the AD user is made a member of, as
// users of real domains are: their PACs make tickets too big for UDP.
const userGroups = 50

// addGroupsScript creates global security groups g1..gN and adds the
// user (sys.argv[2]) to each, in one session with the DC's database.
const addGroupsScript = `
import sys
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
for i in range(1, int(sys.argv[3]) + 1):
    name = "g%d" % i
    db.newgroup(name)
    db.add_remove_group_members(name, [sys.argv[2]],
        add_members_operation=True)
`

func TestMain(m *testing.M) {
	code := m.Run()
	if err := testsamba.RemoveTemplate(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
