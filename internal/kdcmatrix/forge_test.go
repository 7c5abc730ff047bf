package kdcmatrix

import (
	"testing"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/pac"
)

// forgedPAC alters the PAC of a real ticket with the service's key, as
// someone holding only that key could, and checks what the acceptor
// makes of it: a PAC changed without new signatures fails its server
// signature; one re-signed with the service key (a "silver ticket")
// passes the server signature and fails the KDC signature, which only
// an acceptor with the krbtgt keys can check.
func forgedPAC(t *testing.T, k *kdc) {
	if k.pac == pacNone {
		t.Skipf("%s issues no PAC to alter", k.name)
	}
	c := k.userClient(t)
	st, err := c.ServiceTicket(ctxT(t), k.service)
	require.NoError(t, err)
	svcKeys := loadKeytab(t, k.serviceKeytab)

	t.Run("altered", func(t *testing.T) {
		forged := forgeTicket(t, st, svcKeys, false)
		_, err := establishWith(t, forged,
			k.acceptor(t, k.serviceKeytab, gssapi.VerifyPAC()))
		require.ErrorIs(t, err, pac.ErrBadChecksum)
		require.ErrorIs(t, err, gssapi.ErrFailure)
	})
	t.Run("re-signed with the service key", func(t *testing.T) {
		forged := forgeTicket(t, st, svcKeys, true)
		cred, err := gssapi.NewAcceptorCredentialFromFile(k.serviceKeytab,
			gssapi.VerifyPAC())
		require.NoError(t, err)
		defer cred.Close()
		_, err = establishWith(t, forged, cred)
		require.NoError(t, err, "without krbtgt keys the forgery passes")

		forged = forgeTicket(t, st, svcKeys, true)
		_, err = establishWith(t, forged,
			k.acceptor(t, k.serviceKeytab, gssapi.VerifyPAC()))
		require.ErrorIs(t, err, pac.ErrBadChecksum)
		var ce *pac.ChecksumError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, pac.TypeKDCChecksum, ce.Buffer)
	})
}

// establishWith has cred accept a context initiated with st.
func establishWith(t *testing.T, st *krb5.ServiceTicket,
	cred *gssapi.AcceptorCredential) (*gssapi.SecurityContext, error) {
	t.Helper()
	in, tok, err := gssapi.InitiateWithTicket(st)
	require.NoError(t, err)
	defer in.Close()
	sc, _, err := cred.Accept(tok)
	if err == nil {
		t.Cleanup(func() { sc.Close() })
	}
	return sc, err
}

// forgeTicket returns a copy of st whose PAC has one byte of its ticket
// signature changed, re-encrypted with the service key; with resign,
// the server signature is computed again with that key.
func forgeTicket(t *testing.T, st *krb5.ServiceTicket, kt *krb5.Keytab,
	resign bool) *krb5.ServiceTicket {
	t.Helper()
	tkt := st.Ticket
	err := kt.UseKey(tkt.SName, tkt.Realm, uint32(tkt.EncPart.KVNO),
		tkt.EncPart.EType, func(key types.EncryptionKey, _ uint32) error {
			plain, err := crypto.DecryptEncPart(tkt.EncPart, key,
				keyusage.KDC_REP_TICKET)
			require.NoError(t, err)
			var part messages.EncTicketPart
			require.NoError(t, part.Unmarshal(plain))
			alterPAC(t, &part, key, resign)
			b, err := asn1.Marshal(part)
			require.NoError(t, err)
			b = asn1tools.AddASNAppTag(b, asnAppTag.EncTicketPart)
			tkt.EncPart, err = crypto.GetEncryptedData(b, key,
				keyusage.KDC_REP_TICKET, tkt.EncPart.KVNO)
			return err
		})
	require.NoError(t, err)
	forged := *st
	forged.Ticket = tkt
	return &forged
}

// alterPAC changes the PAC in part's authorization data in place.
func alterPAC(t *testing.T, part *messages.EncTicketPart,
	key types.EncryptionKey, resign bool) {
	t.Helper()
	for i, ad := range part.AuthorizationData {
		if ad.ADType != 1 {
			continue
		}
		var inner types.AuthorizationData
		require.NoError(t, inner.Unmarshal(ad.ADData))
		for j := range inner {
			if inner[j].ADType != 128 {
				continue
			}
			inner[j].ADData = alteredPAC(t, inner[j].ADData, key, resign)
		}
		b, err := asn1.Marshal(inner)
		require.NoError(t, err)
		part.AuthorizationData[i].ADData = b
		return
	}
	t.Fatal("the ticket has no PAC")
}

func alteredPAC(t *testing.T, raw []byte, key types.EncryptionKey,
	resign bool) []byte {
	t.Helper()
	p, err := pac.Parse(raw)
	require.NoError(t, err)
	out := append([]byte(nil), raw...)
	tb := p.Buffer(pac.TypeTicketChecksum)
	require.NotNil(t, tb, "the PAC has a ticket signature")
	out[tb.Offset+len(tb.Data)-1] ^= 0xff
	if !resign {
		return out
	}
	// The server signature covers the PAC with both signatures zeroed.
	sb, kb := p.Buffer(pac.TypeServerChecksum), p.Buffer(pac.TypeKDCChecksum)
	zeroed := append([]byte(nil), out...)
	for _, b := range []*pac.Buffer{sb, kb} {
		clear(zeroed[b.Offset+4 : b.Offset+len(b.Data)])
	}
	et, err := crypto.GetChksumEtype(p.ServerChecksum.Type)
	require.NoError(t, err)
	sum, err := et.GetChecksumHash(key.KeyValue, zeroed, 17)
	require.NoError(t, err)
	copy(out[sb.Offset+4:], sum[:len(p.ServerChecksum.Value)])
	return out
}
