package gssapi

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/pac"
)

// pacSettings say how an acceptor credential checks PACs.
type pacSettings struct {
	krbtgt  *krb5.Keytab // WithKrbtgtKeytab's keytab, or nil
	verify  bool         // VerifyPAC: check at accept time
	require bool         // RequirePAC: refuse tickets without one
}

// WithKrbtgtKeytab makes the acceptor also verify the KDC signature of
// PACs (MS-PAC section 2.8.2) with the krbtgt keys in kt
// (krbtgt/REALM@REALM of the service's realm, or krbtgt@REALM as Active
// Directory exports them by account name): a PAC that only a holder
// of the service key could have made, a "silver ticket", then fails. A
// service that runs beside its KDC has those keys; other services
// verify the server signature only. The caller keeps ownership of kt
// and must keep it open while the credential is in use.
func WithKrbtgtKeytab(kt *krb5.Keytab) AcceptorOption {
	return func(s *acceptorSettings) { s.pac.krbtgt = kt }
}

// VerifyPAC makes Accept decode and verify the PAC of every ticket that
// carries one, and refuse the ticket when the PAC does not verify.
// Without it the PAC is checked when SecurityContext.PAC is first
// called (the Middleware calls it for every request), and a ticket with
// a bad PAC still establishes a context.
func VerifyPAC() AcceptorOption {
	return func(s *acceptorSettings) { s.pac.verify = true }
}

// RequirePAC makes Accept refuse tickets that carry no PAC, as tickets
// from Heimdal and other KDCs without Windows support do, besides
// verifying the PAC as VerifyPAC does.
func RequirePAC() AcceptorOption {
	return func(s *acceptorSettings) {
		s.pac.verify, s.pac.require = true, true
	}
}

// ticketKey names the service key a ticket decrypted with, in the key
// set the context pins, so that the PAC's server signature can be
// checked with it later.
type ticketKey struct {
	kvno  uint32
	etype int32
}

// pacState holds the PAC of an acceptor's context once decoded.
type pacState struct {
	once     sync.Once
	pac      *pac.PAC
	err      error
	key      ticketKey
	settings pacSettings
}

// PAC returns the PAC of the ticket the context was accepted with,
// decoded and verified on the first call: its server signature with the
// service key the ticket decrypted with, its client information against
// the ticket, and, with WithKrbtgtKeytab, its KDC signature. Later calls
// return the same result.
//
// A ticket without a PAC gives an error matching pac.ErrNoPAC; a PAC
// that does not verify gives a GSS error that matches the cause from
// package pac (pac.ErrBadChecksum, pac.ErrMalformed,
// pac.ErrClientMismatch, ...). A PAC from MIT 1.20 and later has no
// LogonInfo. On the initiator's side there is no PAC to read. After
// Close, PAC fails with ErrClosed.
func (sc *SecurityContext) PAC() (*pac.PAC, error) {
	if err := sc.obj.Enter(); err != nil {
		return nil, err
	}
	defer sc.obj.Leave()
	st := &sc.pacInfo
	st.once.Do(func() { st.pac, st.err = sc.decodePAC() })
	return st.pac, st.err
}

func (sc *SecurityContext) decodePAC() (*pac.PAC, error) {
	if sc.initiator {
		return nil, fmt.Errorf("gssapi: the initiator cannot read the "+
			"ticket's PAC: %w", pac.ErrNoPAC)
	}
	p, err := pac.FromAuthorizationData(sc.AuthorizationData)
	switch {
	case errors.Is(err, pac.ErrNoPAC):
		return nil, fmt.Errorf("gssapi: ticket of %s: %w", sc.ClientName(),
			err)
	case err != nil:
		return nil, pacErr(err)
	}
	ks := sc.keys.Load()
	if ks == nil {
		return nil, ErrClosed
	}
	k := sc.pacInfo.key
	err = ks.Value().kt.UseKey(sc.Server, sc.ServerRealm, k.kvno, k.etype,
		func(key types.EncryptionKey, _ uint32) error {
			return p.VerifyServerChecksum(key)
		})
	if err == nil {
		err = p.VerifyClient(sc.Client, sc.AuthTime)
	}
	if err == nil && sc.pacInfo.settings.krbtgt != nil {
		err = sc.verifyKDCChecksum(p)
	}
	if err != nil {
		return nil, pacErr(err)
	}
	return p, nil
}

// verifyKDCChecksum checks the KDC signature with each krbtgt key of its
// enctype, newest first, as the KDC may have signed with a key that was
// replaced since.
func (sc *SecurityContext) verifyKDCChecksum(p *pac.PAC) error {
	if p.KDCChecksum == nil {
		return p.VerifyKDCChecksum(types.EncryptionKey{})
	}
	kt := sc.pacInfo.settings.krbtgt
	etype := p.KDCChecksum.KeyType()
	entries, err := kt.Entries()
	if err != nil {
		return err
	}
	type keyRef struct {
		name types.PrincipalName
		kvno uint32
	}
	var refs []keyRef
	for _, e := range entries {
		if e.EType == etype && e.Realm == sc.ServerRealm &&
			isKrbtgt(e.Principal, sc.ServerRealm) {
			refs = append(refs, keyRef{e.Principal, e.KVNO})
		}
	}
	if len(refs) == 0 {
		return fmt.Errorf("%w: the PAC's KDC signature needs enctype %d",
			krb5.ErrNoKey.With(fmt.Sprintf("no key for krbtgt/%s@%s",
				sc.ServerRealm, sc.ServerRealm), nil), etype)
	}
	slices.SortStableFunc(refs, func(a, b keyRef) int {
		return int(b.kvno) - int(a.kvno)
	})
	for _, r := range refs {
		err = kt.UseKey(r.name, sc.ServerRealm, r.kvno, etype,
			func(key types.EncryptionKey, _ uint32) error {
				return p.VerifyKDCChecksum(key)
			})
		if !errors.Is(err, pac.ErrBadChecksum) {
			return err
		}
	}
	return err
}

// isKrbtgt reports whether name is the TGS of realm: krbtgt/REALM, or
// the account name krbtgt that Active Directory's keytab exports use.
func isKrbtgt(name types.PrincipalName, realm string) bool {
	s := name.NameString
	switch len(s) {
	case 1:
		return s[0] == "krbtgt"
	case 2:
		return s[0] == "krbtgt" && s[1] == realm
	}
	return false
}

// pacErr turns a PAC failure into a GSS error keeping the cause, with
// the minor status MIT gives such failures.
func pacErr(err error) error {
	if isLifecycle(err) {
		return err
	}
	minor := errortables.ErrGeneric
	major := errortables.GSSDefectiveToken
	switch {
	case errors.Is(err, pac.ErrBadChecksum):
		major, minor = errortables.GSSFailure, errortables.ErrModified
	case errors.Is(err, pac.ErrClientMismatch):
		major, minor = errortables.GSSFailure, errWrongPrinc
	case errors.Is(err, krb5.ErrNoKey):
		major, minor = errortables.GSSNoCred, errortables.ErrNoKey
	case errors.Is(err, pac.ErrChecksumType):
		major, minor = errortables.GSSFailure, errInappropriateCk
	}
	return gssErr(major, minor, "PAC does not verify", err)
}

// checkPACOnAccept applies VerifyPAC and RequirePAC to a new context.
func (sc *SecurityContext) checkPACOnAccept() error {
	st := sc.pacInfo.settings
	if !st.verify {
		return nil
	}
	_, err := sc.PAC()
	if errors.Is(err, pac.ErrNoPAC) && !st.require {
		return nil
	}
	return err
}

// adCredentials fills gokrb5's AD attributes from the PAC's logon
// information, as gokrb5's SPNEGO service does, when the PAC verifies and
// has any.
func (sc *SecurityContext) adCredentials(id *credentials.Credentials) {
	p, err := sc.PAC()
	if err != nil || p.LogonInfo == nil {
		return
	}
	l := p.LogonInfo
	ad := credentials.ADCredentials{
		EffectiveName:       l.EffectiveName,
		FullName:            l.FullName,
		UserID:              int(l.UserID),
		PrimaryGroupID:      int(l.PrimaryGroupID),
		LogOnTime:           l.LogonTime.Time(),
		LogOffTime:          l.LogoffTime.Time(),
		PasswordLastSet:     l.PasswordLastSet.Time(),
		GroupMembershipSIDs: l.GroupSIDs(),
		LogonDomainName:     l.LogonDomainName,
		LogonServer:         l.LogonServer,
	}
	if l.LogonDomainID != nil {
		ad.LogonDomainID = l.LogonDomainID.String()
	}
	id.SetADCredentials(ad)
}
