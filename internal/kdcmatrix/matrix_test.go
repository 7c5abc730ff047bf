package kdcmatrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/pac"
)

// scenario is one thing every KDC is asked to do.
type scenario struct {
	name string
	run  func(t *testing.T, k *kdc)
}

var scenarios = []scenario{
	{"password login", passwordLogin},
	{"keytab login", keytabLogin},
	{"ccache login", ccacheLogin},
	{"service ticket accepted", serviceTicketAccepted},
	{"PAC required", pacRequired},
	{"forged PAC refused", forgedPAC},
	{"negotiate over HTTP", negotiateHTTP},
	{"password change", passwordChange},
	{"enterprise name", enterpriseName},
	{"name canonicalization", canonicalization},
	{"salt reported by the KDC", reportedSalt},
	{"reply too big for UDP", tcpFallback},
	{"rc4 ticket", rc4Ticket},
	{"keytabs by account and by SPN", accountAndSPNKeytabs},
}

// TestMatrix runs every scenario against MIT, Heimdal and Samba AD. The
// three KDCs start in parallel; the scenarios of one KDC run in order.
func TestMatrix(t *testing.T) {
	kdcs := []struct {
		name  string
		start func(t *testing.T) *kdc
	}{
		{"MIT", startMIT},
		{"Heimdal", startHeimdal},
		{"Samba AD", startSamba},
	}
	for _, kd := range kdcs {
		t.Run(kd.name, func(t *testing.T) {
			t.Parallel()
			begin := time.Now()
			k := kd.start(t)
			t.Logf("%s (realm %s) ready in %v", k.name, k.realm,
				time.Since(begin).Round(time.Millisecond))
			for _, s := range scenarios {
				t.Run(s.name, func(t *testing.T) { s.run(t, k) })
			}
		})
	}
}

func passwordLogin(t *testing.T, k *kdc) {
	c := k.userClient(t)
	require.NoError(t, c.Login(ctxT(t)))
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, k.user+"@"+k.realm, tgt.ClientName())
	assert.Equal(t, "krbtgt/"+k.realm+"@"+k.realm, tgt.ServerName())
}

func keytabLogin(t *testing.T, k *kdc) {
	kt := loadKeytab(t, k.userKeytab)
	c, err := krb5.NewWithKeytab(k.user, k.realm, kt, k.config(t))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctxT(t)))
	st, err := c.ServiceTicket(ctxT(t), k.service)
	require.NoError(t, err)
	assert.Equal(t, k.user+"@"+k.realm, st.ClientName())
}

func ccacheLogin(t *testing.T, k *kdc) {
	cc := filepath.Join(t.TempDir(), "ccache")
	require.NoError(t, k.kinit(ctxT(t), cc), "the KDC's own kinit")
	c, err := krb5.NewFromCCache("FILE:"+cc, k.config(t))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctxT(t)), "the TGT from the ccache is valid")
	sc, err := establish(t, c, k.acceptor(t, k.serviceKeytab), k.service)
	require.NoError(t, err)
	assert.Equal(t, k.user+"@"+k.realm, sc.ClientName())
}

// serviceTicketAccepted gets a service ticket with a password login and
// has the acceptor take it, then reads the ticket's PAC: none from
// Heimdal, MIT's minimal one, Active Directory's full one, each with its
// server and KDC signatures verified.
func serviceTicketAccepted(t *testing.T, k *kdc) {
	c := k.userClient(t)
	sc, err := establish(t, c, k.acceptor(t, k.serviceKeytab), k.service)
	require.NoError(t, err)
	assert.Equal(t, k.user+"@"+k.realm, sc.ClientName())
	p, err := sc.PAC()
	if k.pac == pacNone {
		require.ErrorIs(t, err, pac.ErrNoPAC)
		t.Logf("%s puts no PAC in tickets; the acceptor takes them", k.name)
		return
	}
	require.NoError(t, err, "the PAC verifies")
	require.NotNil(t, p.ClientInfo)
	assert.Equal(t, k.user, p.ClientInfo.Name)
	require.NotNil(t, p.ServerChecksum)
	require.NotNil(t, p.KDCChecksum)
	if k.pac == pacMinimal {
		assert.Nil(t, p.LogonInfo, "MIT's PAC has no logon info")
		t.Logf("%s's PAC has buffers %v", k.name, bufferTypes(p))
		return
	}
	checkADLogonInfo(t, k, p)
}

// checkADLogonInfo checks the logon info and UPN of an AD PAC for the
// user.
func checkADLogonInfo(t *testing.T, k *kdc, p *pac.PAC) {
	t.Helper()
	l := p.LogonInfo
	require.NotNil(t, l)
	assert.Equal(t, k.user, l.EffectiveName)
	assert.Equal(t, "AD", l.LogonDomainName)
	require.NotNil(t, l.LogonDomainID)
	domain := l.LogonDomainID.String()
	assert.True(t, strings.HasPrefix(domain, "S-1-5-21-"), domain)
	assert.EqualValues(t, 513, l.PrimaryGroupID, "Domain Users")
	assert.Contains(t, l.GroupSIDs(), domain+"-513")
	require.NotNil(t, p.UPNDNSInfo)
	assert.Equal(t, k.user+"@ad.test", p.UPNDNSInfo.UPN)
	assert.Equal(t, k.realm, p.UPNDNSInfo.DNSDomain)
	require.NotNil(t, p.UPNDNSInfo.SID)
	assert.Equal(t, l.UserSID().String(), p.UPNDNSInfo.SID.String())
	t.Logf("%s's PAC has buffers %v; user %s, groups %v", k.name,
		bufferTypes(p), l.UserSID(), l.GroupSIDs())
}

func bufferTypes(p *pac.PAC) []string {
	var out []string
	for _, b := range p.Buffers {
		out = append(out, b.Type.String())
	}
	return out
}

// pacRequired has an acceptor that demands a PAC take the KDC's ticket.
func pacRequired(t *testing.T, k *kdc) {
	cred := k.acceptor(t, k.serviceKeytab, gssapi.RequirePAC())
	_, err := establish(t, k.userClient(t), cred, k.service)
	if k.pac == pacNone {
		require.ErrorIs(t, err, pac.ErrNoPAC)
		t.Logf("%s's tickets carry no PAC: refused as asked", k.name)
		return
	}
	require.NoError(t, err)
}

// negotiateHTTP sends a request with our Negotiate client to the
// Middleware and reads back the identity the handler saw.
func negotiateHTTP(t *testing.T, k *kdc) {
	cred := k.acceptor(t, k.serviceKeytab)
	h := gssapi.Middleware(cred)(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			id, ok := gssapi.IdentityFromContext(r.Context())
			if !ok {
				http.Error(w, "no identity", http.StatusInternalServerError)
				return
			}
			json.NewEncoder(w).Encode(struct {
				User string
				AD   credentials.ADCredentials
			}{id.UserName() + "@" + id.Domain(), id.GetADCredentials()})
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := gssapi.NewClient(k.userClient(t), nil,
		gssapi.WithSPN(k.service))
	resp, err := hc.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got struct {
		User string
		AD   credentials.ADCredentials
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Equal(t, k.user+"@"+k.realm, got.User)
	if k.pac != pacFull {
		assert.Empty(t, got.AD.EffectiveName, "no logon info from %s", k.name)
		return
	}
	assert.Equal(t, k.user, got.AD.EffectiveName)
	assert.Equal(t, 513, got.AD.PrimaryGroupID)
	assert.NotEmpty(t, got.AD.GroupMembershipSIDs)
	assert.True(t, strings.HasPrefix(got.AD.LogonDomainID, "S-1-5-21-"))
}

func passwordChange(t *testing.T, k *kdc) {
	ctx := ctxT(t)
	c := k.passwordClient(t, k.changeUser, k.changePassword)
	newPW := randomPassword(t)
	require.NoError(t, c.ChangePassword(ctx, newPW))
	old := k.changePassword
	k.changePassword = newPW

	fresh := k.passwordClient(t, k.changeUser, newPW)
	require.NoError(t, fresh.Login(ctx), "the new password works")
	stale := k.passwordClient(t, k.changeUser, old)
	// MIT and Heimdal principals need no pre-authentication unless
	// told to: the KDC answers, and the old key cannot read the reply.
	err := stale.Login(ctx)
	require.Error(t, err, "the old password no longer works")
	assert.True(t, errors.Is(err, krb5.ErrPreauthFailed) ||
		errors.Is(err, krb5.ErrBadIntegrity), "%v", err)
}

// enterpriseName logs in with enterprise names (RFC 6806 section 5), as
// kinit -E does: a UPN for AD.
func enterpriseName(t *testing.T, k *kdc) {
	for _, nc := range k.enterprise {
		t.Run(nc.name, func(t *testing.T) {
			nameLogin(t, k, nc, krb5.Enterprise())
		})
	}
}

// canonicalization logs in with the user's name in capitals, with and
// without asking the KDC to canonicalize it (RFC 6806 section 4).
func canonicalization(t *testing.T, k *kdc) {
	for _, nc := range k.canonical {
		name := fmt.Sprintf("%s canonicalize=%v", nc.name, nc.canonicalize)
		t.Run(name, func(t *testing.T) {
			nameLogin(t, k, nc, krb5.Canonicalize(nc.canonicalize))
		})
	}
}

// nameLogin logs in as nc says and checks the outcome; a successful
// login's ticket is taken by the acceptor, PAC included.
func nameLogin(t *testing.T, k *kdc, nc nameCase, opt krb5.Option) {
	c := k.passwordClient(t, nc.name, k.password, opt)
	err := c.Login(ctxT(t))
	if nc.want == "" {
		require.ErrorIs(t, err, krb5.ErrClientNotFound)
		t.Logf("%s refuses %q: %s", k.name, nc.name, nc.why)
		return
	}
	require.NoError(t, err)
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, nc.want, tgt.ClientName())
	sc, err := establish(t, c, k.acceptor(t, k.serviceKeytab), k.service)
	require.NoError(t, err)
	assert.Equal(t, nc.want, sc.ClientName())
	if _, err := sc.PAC(); k.pac != pacNone {
		require.NoError(t, err, "the PAC names the client as the ticket does")
	}
}

// reportedSalt logs in as a user whose keys were not made with the
// default salt: MIT's random ("special") salt on an aes-sha2 key,
// Heimdal's salt of our choosing, AD's salt from the account name as
// stored while the login types it in capitals. Only the salt the KDC
// reports in ETYPE-INFO2 gives the right key.
func reportedSalt(t *testing.T, k *kdc) {
	c := k.passwordClient(t, k.saltUser, k.saltPassword)
	require.NoError(t, c.Login(ctxT(t)))
	tgt, err := c.TGT()
	require.NoError(t, err)
	assert.Equal(t, k.saltUser+"@"+k.realm, tgt.ClientName())
}

// tcpFallback checks that a reply the KDC would not send over UDP is
// fetched again over TCP.
func tcpFallback(t *testing.T, k *kdc) {
	var trace traceBuffer
	c := k.userClient(t, krb5.WithLogger(trace.logger()))
	_, err := c.ServiceTicket(ctxT(t), k.service)
	require.NoError(t, err)
	assert.Contains(t, trace.String(), "retrying over TCP",
		"%s answered KRB_ERR_RESPONSE_TOO_BIG over UDP", k.name)
}

func rc4Ticket(t *testing.T, k *kdc) {
	if k.rc4Service == "" {
		kt := loadKeytab(t, k.serviceKeytab)
		entries, err := kt.Entries()
		require.NoError(t, err)
		for _, e := range entries {
			assert.NotEqualValues(t, etypeID.RC4_HMAC, e.EType)
		}
		t.Skipf("%s cannot issue rc4-hmac tickets: %s", k.name, k.noRC4)
	}
	c := k.userClient(t)
	st, err := c.ServiceTicket(ctxT(t), k.rc4Service)
	require.NoError(t, err)
	assert.EqualValues(t, etypeID.RC4_HMAC, st.Ticket.EncPart.EType,
		"the ticket is encrypted with rc4-hmac")
	sc, err := establish(t, c, k.acceptor(t, k.rc4Keytab), k.rc4Service)
	require.NoError(t, err)
	p, err := sc.PAC()
	if k.pac == pacNone {
		require.ErrorIs(t, err, pac.ErrNoPAC)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, pac.ChecksumHMACMD5, p.ServerChecksum.Type,
		"the server signature of an rc4 ticket is HMAC-MD5")
}

func accountAndSPNKeytabs(t *testing.T, k *kdc) {
	if k.serviceAccount == "" {
		t.Skipf("%s: %s", k.name, k.noAccounts)
	}
	kt := loadKeytab(t, k.serviceKeytab)
	names, err := kt.Principals()
	require.NoError(t, err)
	assert.Equal(t, []string{k.service + "@" + k.realm}, names,
		"the keytab exported by SPN names the SPN")
	acct := loadKeytab(t, k.serviceAccountKeytab)
	names, err = acct.Principals()
	require.NoError(t, err)
	assert.Contains(t, names, k.serviceAccount+"@"+k.realm)

	c, err := krb5.NewWithKeytab(k.serviceAccount, k.realm, acct,
		k.config(t))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctxT(t)), "login by account keytab")
	sc, err := establish(t, c, k.acceptor(t, k.serviceKeytab), k.service)
	require.NoError(t, err, "a ticket to itself, accepted by SPN keytab")
	assert.Equal(t, k.serviceAccount+"@"+k.realm, sc.ClientName())
}
