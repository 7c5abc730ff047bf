package krbmsg

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/stretchr/testify/require"
)

// seeds adds one encoding of every message to f.
func seeds(f *testing.F) {
	g := newGen(9)
	for range 3 {
		tkt := g.ticket()
		f.Add(AppendTicket(nil, &tkt))
		auth := g.authenticator()
		f.Add(AppendAuthenticator(nil, &auth))
		f.Add(AppendAPReq(nil, g.flags32(), &tkt, g.encData()))
		f.Add(AppendAPRep(nil, g.encData()))
		part := messages.EncAPRepPart{CTime: g.time(), Cusec: 7, Subkey: g.key(),
			SequenceNumber: g.uint32()}
		f.Add(AppendEncAPRepPart(nil, &part))
		body := g.reqBody()
		f.Add(AppendKDCReqBody(nil, &body))
	}
}

// FuzzDecode runs every decoder over arbitrary input: none may panic,
// and what decodes encodes back to something that decodes the same.
func FuzzDecode(f *testing.F) {
	seeds(f)
	t := &testing.T{}
	g := newGen(10)
	for _, mt := range []int{msgtype.KRB_AS_REP, msgtype.KRB_TGS_REP} {
		r := messages.TGSRep{KDCRepFields: g.kdcRep(mt)}
		if b, err := r.Marshal(); err == nil {
			f.Add(b)
		}
	}
	f.Add(marshalApp(t, g.encTicketPart(), asnAppTag.EncTicketPart))
	f.Add(marshalApp(t, g.encKDCRepPart(), asnAppTag.EncTGSRepPart))
	f.Fuzz(func(t *testing.T, b []byte) {
		if tkt, err := DecodeTicket(b); err == nil {
			again, err := DecodeTicket(AppendTicket(nil, &tkt))
			require.NoError(t, err)
			require.Equal(t, tkt, again)
		}
		if a, err := DecodeAuthenticator(b); err == nil {
			enc := EncodeAuthenticator(&a)
			require.Equal(t, authenticatorBound(&a), cap(enc), "the buffer grew")
			again, err := DecodeAuthenticator(enc)
			require.NoError(t, err)
			require.Equal(t, a.CName, again.CName)
			require.Equal(t, a.CTime, again.CTime)
			require.Equal(t, a.SeqNumber, again.SeqNumber)
		}
		if ap, err := DecodeAPReq(b); err == nil {
			again, err := DecodeAPReq(AppendAPReq(nil, ap.APOptions, &ap.Ticket,
				ap.EncryptedAuthenticator))
			require.NoError(t, err)
			require.Equal(t, ap.Ticket, again.Ticket)
		}
		if r, err := DecodeAPRep(b); err == nil {
			again, err := DecodeAPRep(AppendAPRep(nil, r.EncPart))
			require.NoError(t, err)
			require.Equal(t, r, again)
		}
		if p, err := DecodeEncAPRepPart(b); err == nil {
			_, err := DecodeEncAPRepPart(AppendEncAPRepPart(nil, &p))
			require.NoError(t, err)
		}
		DecodeEncTicketPart(b)
		DecodeEncKDCRepPart(b)
		DecodeKDCRep(b, false)
		DecodeKDCRep(b, true)
	})
}
