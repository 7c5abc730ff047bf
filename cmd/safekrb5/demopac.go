package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/pac"
)

// wellKnownSIDs names the SIDs a demo PAC shows, by their SID or RID.
var wellKnownSIDs = map[string]string{
	"S-1-18-1": "authentication authority asserted identity",
	"S-1-18-2": "service asserted identity",
	"-513":     "Domain Users",
	"-512":     "Domain Admins",
}

// checksumNames names the checksum types of PAC signatures.
var checksumNames = map[int32]string{
	pac.ChecksumHMACMD5:          "hmac-md5",
	pac.ChecksumHMACSHA1AES128:   "hmac-sha1-96-aes128",
	pac.ChecksumHMACSHA1AES256:   "hmac-sha1-96-aes256",
	pac.ChecksumHMACSHA256AES128: "hmac-sha256-128-aes128",
	pac.ChecksumHMACSHA384AES256: "hmac-sha384-192-aes256",
}

// readPAC has an acceptor holding the server's keys, and the krbtgt
// keys for the KDC signature, accept a context from the client, and
// shows what the ticket's PAC says.
func (d *demoRun) readPAC(ctx context.Context) (string, error) {
	kt, err := krb5.LoadKeytab(d.kdc.keytab)
	if err != nil {
		return "", err
	}
	defer kt.Close()
	tgs, err := krb5.LoadKeytab(d.kdc.krbtgtKeytab)
	if err != nil {
		return "", err
	}
	defer tgs.Close()
	cred, err := gssapi.NewAcceptorCredential(kt, gssapi.WithKrbtgtKeytab(tgs))
	if err != nil {
		return "", err
	}
	defer cred.Close()
	in, tok, err := gssapi.Initiate(ctx, d.c, d.kdc.service)
	if err != nil {
		return "", err
	}
	sc, out, err := cred.Accept(tok)
	if err != nil {
		in.Close()
		return "", err
	}
	defer sc.Close()
	isc, err := in.Finish(out)
	if err != nil {
		return "", err
	}
	isc.Close()
	p, err := sc.PAC()
	if err != nil {
		return "", err
	}
	return describePAC(p), nil
}

// describePAC says what a verified PAC holds, one fact a line.
func describePAC(p *pac.PAC) string {
	var b strings.Builder
	var types []string
	for _, buf := range p.Buffers {
		types = append(types, buf.Type.String())
	}
	fmt.Fprintf(&b, "PAC of %d bytes: %s\n", len(p.Bytes()),
		strings.Join(types, ", "))
	fmt.Fprintf(&b, "server signature (%s) verified with the service key, "+
		"KDC signature (%s) with the krbtgt key\n",
		checksumNames[p.ServerChecksum.Type], checksumNames[p.KDCChecksum.Type])
	if c := p.ClientInfo; c != nil {
		fmt.Fprintf(&b, "client info: %s, authenticated at %s\n", c.Name,
			c.ClientID.Time().Local().Format(time.DateTime))
	}
	l := p.LogonInfo
	if l == nil {
		b.WriteString("no logon info: the KDC knows no Windows groups")
		return b.String()
	}
	fmt.Fprintf(&b, "user %s, SID %s, of domain %s (%s), logon server %s\n",
		l.EffectiveName, l.UserSID(), l.LogonDomainName, l.LogonDomainID,
		l.LogonServer)
	if u := p.UPNDNSInfo; u != nil {
		fmt.Fprintf(&b, "UPN %s, DNS domain %s\n", u.UPN, u.DNSDomain)
	}
	sids := l.GroupSIDs()
	fmt.Fprintf(&b, "%d groups:", len(sids))
	for _, s := range sids {
		fmt.Fprintf(&b, "\n  %s", s)
		for suffix, name := range wellKnownSIDs {
			if s == suffix || strings.HasPrefix(suffix, "-") &&
				strings.HasSuffix(s, suffix) {
				fmt.Fprintf(&b, " (%s)", name)
			}
		}
	}
	b.WriteString("\nthe middleware hands these to handlers as gokrb5's " +
		"ADCredentials")
	return b.String()
}
