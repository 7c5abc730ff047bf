package kcrypto

import "github.com/jcmturner/gokrb5/v8/types"

// Seal encrypts plain in key under usage as an EncryptedData (RFC 4120
// section 5.2.9), without a kvno.
func Seal(key types.EncryptionKey, usage uint32, plain []byte) (types.EncryptedData, error) {
	k, err := NewKey(key.KeyType, key.KeyValue)
	if err != nil {
		return types.EncryptedData{}, err
	}
	defer k.Wipe()
	cipher, err := k.Encrypt(nil, usage, plain)
	if err != nil {
		return types.EncryptedData{}, err
	}
	return types.EncryptedData{EType: key.KeyType, Cipher: cipher}, nil
}

// Open decrypts ed with key under usage. The enctype is the key's, as in
// gokrb5; an EncryptedData naming another fails its integrity check.
func Open(key types.EncryptionKey, usage uint32, ed types.EncryptedData) ([]byte, error) {
	k, err := NewKey(key.KeyType, key.KeyValue)
	if err != nil {
		return nil, err
	}
	defer k.Wipe()
	return k.Decrypt(usage, ed.Cipher)
}
