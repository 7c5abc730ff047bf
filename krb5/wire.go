package krb5

import (
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
	"github.com/safekrb5/safekrb5/internal/krbmsg"
)

// The messages of the AS and TGS exchanges go through krbmsg's encoders
// and decoders and kcrypto's ciphers rather than gokrb5's reflection and
// per-call key derivation; the values stay gokrb5's types.

// decodeKDCRep returns a decoder, for unmarshalSafe, of an AS-REP (tgs
// false) or a TGS-REP into r.
func decodeKDCRep(r *messages.KDCRepFields, tgs bool) func([]byte) error {
	return func(b []byte) error {
		var err error
		*r, err = krbmsg.DecodeKDCRep(b, tgs)
		return err
	}
}

// decodeEncKDCRepPart returns a decoder, for unmarshalSafe, of the
// decrypted part of a KDC reply into p.
func decodeEncKDCRepPart(p *messages.EncKDCRepPart) func([]byte) error {
	return func(b []byte) error {
		var err error
		*p, err = krbmsg.DecodeEncKDCRepPart(b)
		return err
	}
}

// encodeTGSReq encodes a TGS-REQ.
func encodeTGSReq(req *messages.TGSReq) []byte {
	return krbmsg.AppendTGSReq(nil, req.PAData,
		krbmsg.AppendKDCReqBody(nil, &req.ReqBody))
}

// encodeAPReq encodes an AP-REQ carrying tkt and auth, sealed in key
// under usage, with no AP options.
func encodeAPReq(tkt *messages.Ticket, key types.EncryptionKey,
	auth *types.Authenticator, usage uint32) ([]byte, error) {
	plain := krbmsg.AppendAuthenticator(nil, auth)
	defer clear(plain)
	ed, err := kcrypto.Seal(key, usage, plain)
	if err != nil {
		return nil, err
	}
	return krbmsg.AppendAPReq(nil, types.NewKrbFlags(), tkt, ed), nil
}
