package krbname

import (
	"fmt"
	"strconv"
)

// Keyblock is an encryption key: an enctype number (RFC 3961 section 8)
// and the key bytes. The value is secret: String, GoString and Format
// print the enctype and the length only, never the bytes, whatever verb
// is used.
type Keyblock struct {
	Type  int32
	Value []byte
}

// String describes the key without its value.
func (k Keyblock) String() string {
	return "Keyblock{Type: " + EnctypeName(k.Type) + ", Value: " +
		strconv.Itoa(len(k.Value)) + " bytes hidden}"
}

// GoString describes the key without its value, for %#v.
func (k Keyblock) GoString() string { return k.String() }

// Format writes the description from String for every verb, so that
// %x or %v of a struct holding the key cannot print its bytes.
func (k Keyblock) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(k.String()))
}

// Wipe overwrites the key value with zeros in place.
func (k *Keyblock) Wipe() {
	clear(k.Value)
}

// Clone returns a copy of k that does not share the value's memory.
func (k Keyblock) Clone() Keyblock {
	if k.Value != nil {
		k.Value = append([]byte(nil), k.Value...)
	}
	return k
}

var enctypeNames = map[int32]string{
	1:  "des-cbc-crc",
	2:  "des-cbc-md4",
	3:  "des-cbc-md5",
	16: "des3-cbc-sha1",
	17: "aes128-cts-hmac-sha1-96",
	18: "aes256-cts-hmac-sha1-96",
	19: "aes128-cts-hmac-sha256-128",
	20: "aes256-cts-hmac-sha384-192",
	23: "arcfour-hmac",
	24: "arcfour-hmac-exp",
	25: "camellia128-cts-cmac",
	26: "camellia256-cts-cmac",
}

// EnctypeName returns MIT's name for an enctype number, as klist -e
// prints it, or "etype N" for a number it does not know.
func EnctypeName(t int32) string {
	if n, ok := enctypeNames[t]; ok {
		return n
	}
	return "etype " + strconv.Itoa(int(t))
}
