package gssapi

import (
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/kcrypto"
)

// decryptPart decrypts an EncryptedData with key under usage, through
// kcrypto, and wipes the derived keys before returning.
func decryptPart(key types.EncryptionKey, ed types.EncryptedData,
	usage uint32) ([]byte, error) {
	k, err := kcrypto.NewKey(key.KeyType, key.KeyValue)
	if err != nil {
		return nil, err
	}
	defer k.Wipe()
	return k.Decrypt(usage, ed.Cipher)
}
