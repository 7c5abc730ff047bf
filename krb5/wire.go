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

// encodeAPReq encodes an AP-REQ carrying tkt, with no AP options, and
// auth sealed with t's session key under usage.
func encodeAPReq(t *ServiceTicket, auth *types.Authenticator, usage uint32) ([]byte, error) {
	plain := krbmsg.EncodeAuthenticator(auth)
	defer clear(plain)
	ed, err := t.seal(usage, plain)
	if err != nil {
		return nil, err
	}
	size := len(t.Ticket.EncPart.Cipher) + len(ed.Cipher) + 256
	return krbmsg.AppendAPReq(make([]byte, 0, size), types.NewKrbFlags(), &t.Ticket, ed), nil
}

// useCrypto calls f with the ticket's session key as a kcrypto.Key,
// which keeps the keys derived for each usage: a TGT derives its
// checksum, authenticator and reply keys once, not for every TGS
// exchange. It fails as UseSessionKey does once the ticket is destroyed.
func (t *ServiceTicket) useCrypto(f func(k *kcrypto.Key) error) error {
	return t.useKey(func(b []byte) error {
		if t.ck == nil {
			k, err := kcrypto.NewKey(t.KeyType, b)
			if err != nil {
				return err
			}
			defer k.Wipe()
			return f(k)
		}
		k := t.ck.k.Load()
		if k == nil {
			nk, err := kcrypto.NewKey(t.KeyType, b)
			if err != nil {
				return err
			}
			if t.ck.k.CompareAndSwap(nil, nk) {
				k = nk
			} else {
				nk.Wipe()
				k = t.ck.k.Load()
			}
		}
		return f(k)
	})
}

// seal encrypts plain with the session key under usage.
func (t *ServiceTicket) seal(usage uint32, plain []byte) (types.EncryptedData, error) {
	var ed types.EncryptedData
	err := t.useCrypto(func(k *kcrypto.Key) error {
		cipher, err := k.Encrypt(nil, usage, plain)
		ed = types.EncryptedData{EType: t.KeyType, Cipher: cipher}
		return err
	})
	return ed, err
}

// open decrypts ed with the session key under usage.
func (t *ServiceTicket) open(usage uint32, ed types.EncryptedData) ([]byte, error) {
	var plain []byte
	err := t.useCrypto(func(k *kcrypto.Key) error {
		var err error
		plain, err = k.Decrypt(usage, ed.Cipher)
		return err
	})
	return plain, err
}

// checksum returns the keyed checksum of data with the session key.
func (t *ServiceTicket) checksum(usage uint32, data []byte) ([]byte, error) {
	var sum []byte
	err := t.useCrypto(func(k *kcrypto.Key) error {
		var err error
		sum, err = k.Checksum(nil, usage, data)
		return err
	})
	return sum, err
}
