package testsamba

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
)

// Trust describes a domain the DC is to trust, for AddTrust.
type Trust struct {
	// DNSName is the trusted domain's DNS name, such as ext.test. Its
	// Kerberos realm is the name in upper case.
	DNSName string
	// NetBIOSName is its NetBIOS name, such as EXT.
	NetBIOSName string
	// Password, when not empty, is the trust password of both
	// directions. The DC derives from it the keys of
	// krbtgt/REALM@AD.TEST and krbtgt/AD.TEST@REALM: RC4, and AES with
	// the default salt of each name, so a KDC of the other realm that
	// creates those principals with the same password holds the same
	// keys. Without it the trust only routes names (see AddTrust).
	Password string
}

// addTrustScript writes a trusted domain object: a two-way external
// trust of the uplevel (Active Directory) type, which the KDC routes
// names to, with AES and RC4 allowed. The password comes on stdin,
// never in the arguments.
const addTrustScript = `
import sys, ldb, samba
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
from samba.ndr import ndr_pack
from samba.dcerpc import drsblobs, lsa, security
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
dns, netbios, sid = sys.argv[2:5]
password = sys.stdin.read()

def auth_blob(secret):
    blob = drsblobs.trustAuthInOutBlob()
    if not secret:
        blob.count = 0
        return blob
    clear = drsblobs.AuthInfoClear()
    clear.size = len(secret)
    clear.password = list(secret)
    info = drsblobs.AuthenticationInformation()
    info.LastUpdateTime = samba.unix2nttime(samba.current_unix_time())
    info.AuthType = lsa.TRUST_AUTH_TYPE_CLEAR
    info.AuthInfo = clear
    current = drsblobs.AuthenticationInformationArray()
    current.count = 1
    current.array = [info]
    blob.count = 1
    blob.current = current
    return blob

secret = ndr_pack(auth_blob(password.encode("utf-16-le")))
db.add({
    "dn": "CN=%s,CN=System,%s" % (dns, db.domain_dn()),
    "objectClass": "trustedDomain",
    "trustPartner": dns,
    "flatName": netbios,
    "securityIdentifier": ndr_pack(security.dom_sid(sid)),
    "trustType": str(lsa.LSA_TRUST_TYPE_UPLEVEL),
    "trustDirection": str(lsa.LSA_TRUST_DIRECTION_INBOUND |
                          lsa.LSA_TRUST_DIRECTION_OUTBOUND),
    "trustAttributes": "0",
    "msDS-SupportedEncryptionTypes": "28",
    "trustAuthIncoming": secret,
    "trustAuthOutgoing": secret,
})
`

// AddTrust records a two-way external trust with the domain t in the
// DC's database. It writes the trusted domain object directly, as the DC
// runs no LSA service and samba-tool would want to reach a DC of the
// other domain. From then on the KDC answers an AS request for an
// enterprise name with the suffix t.DNSName, such as carol@ext.test,
// with KDC_ERR_WRONG_REALM naming the realm EXT.TEST (RFC 6806 section
// 7), and with t.Password it issues and takes cross-realm TGTs.
func (d *DC) AddTrust(ctx context.Context, t Trust) error {
	if t.DNSName == "" || t.NetBIOSName == "" {
		return fmt.Errorf("testsamba: AddTrust: DNS and NetBIOS names required")
	}
	sid, err := randomDomainSID()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", addTrustScript,
		d.SmbConf, t.DNSName, t.NetBIOSName, sid)
	cmd.Env = pythonEnv()
	cmd.Dir = d.Dir
	cmd.Stdin = strings.NewReader(t.Password)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testsamba: trust with %s: %w: %s", t.DNSName, err,
			firstLines(out))
	}
	d.logf("trust with %s recorded", t.DNSName)
	return nil
}

// randomDomainSID returns a domain SID S-1-5-21-x-y-z with random
// sub-authorities, for a domain that exists only in a test.
func randomDomainSID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("testsamba: random: %w", err)
	}
	return fmt.Sprintf("S-1-5-21-%d-%d-%d", binary.LittleEndian.Uint32(b[0:]),
		binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])), nil
}
