package krb5conf

import (
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
)

// enctypeNames maps MIT's enctype names and aliases (MIT 1.20,
// lib/crypto/krb/etypes.c) to their numbers. Matching ignores case.
var enctypeNames = map[string]int32{
	"des3-cbc-raw":               etypeID.DES3_CBC_RAW,
	"des3-cbc-sha1":              etypeID.DES3_CBC_SHA1_KD,
	"des3-hmac-sha1":             etypeID.DES3_CBC_SHA1_KD,
	"des3-cbc-sha1-kd":           etypeID.DES3_CBC_SHA1_KD,
	"arcfour-hmac":               etypeID.RC4_HMAC,
	"rc4-hmac":                   etypeID.RC4_HMAC,
	"arcfour-hmac-md5":           etypeID.RC4_HMAC,
	"arcfour-hmac-exp":           etypeID.RC4_HMAC_EXP,
	"rc4-hmac-exp":               etypeID.RC4_HMAC_EXP,
	"arcfour-hmac-md5-exp":       etypeID.RC4_HMAC_EXP,
	"aes128-cts-hmac-sha1-96":    etypeID.AES128_CTS_HMAC_SHA1_96,
	"aes128-cts":                 etypeID.AES128_CTS_HMAC_SHA1_96,
	"aes128-sha1":                etypeID.AES128_CTS_HMAC_SHA1_96,
	"aes256-cts-hmac-sha1-96":    etypeID.AES256_CTS_HMAC_SHA1_96,
	"aes256-cts":                 etypeID.AES256_CTS_HMAC_SHA1_96,
	"aes256-sha1":                etypeID.AES256_CTS_HMAC_SHA1_96,
	"camellia128-cts-cmac":       etypeID.CAMELLIA128_CTS_CMAC,
	"camellia128-cts":            etypeID.CAMELLIA128_CTS_CMAC,
	"camellia256-cts-cmac":       etypeID.CAMELLIA256_CTS_CMAC,
	"camellia256-cts":            etypeID.CAMELLIA256_CTS_CMAC,
	"aes128-cts-hmac-sha256-128": etypeID.AES128_CTS_HMAC_SHA256_128,
	"aes128-sha2":                etypeID.AES128_CTS_HMAC_SHA256_128,
	"aes256-cts-hmac-sha384-192": etypeID.AES256_CTS_HMAC_SHA384_192,
	"aes256-sha2":                etypeID.AES256_CTS_HMAC_SHA384_192,
}

// enctypeFamilies are MIT 1.20's family names for enctype lists. Other
// names that look like families ("aes-sha2") are unknown to MIT and, as
// there, ignored.
var enctypeFamilies = map[string][]int32{
	"aes": {
		etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96,
		etypeID.AES256_CTS_HMAC_SHA384_192,
		etypeID.AES128_CTS_HMAC_SHA256_128,
	},
	"camellia": {
		etypeID.CAMELLIA256_CTS_CMAC, etypeID.CAMELLIA128_CTS_CMAC,
	},
	"rc4":  {etypeID.RC4_HMAC},
	"des3": {etypeID.DES3_CBC_SHA1_KD},
}

// DefaultEnctypes is the list the name DEFAULT stands for, and the value
// of default_tkt_enctypes, default_tgs_enctypes and permitted_enctypes when
// the profile is silent (MIT 1.20's default_enctype_list).
var DefaultEnctypes = []int32{
	etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96,
	etypeID.AES256_CTS_HMAC_SHA384_192, etypeID.AES128_CTS_HMAC_SHA256_128,
	etypeID.DES3_CBC_SHA1_KD, etypeID.RC4_HMAC,
	etypeID.CAMELLIA128_CTS_CMAC, etypeID.CAMELLIA256_CTS_CMAC,
}

// IsWeakEnctype reports whether MIT 1.20 classes the enctype as weak, so
// that it is dropped from enctype lists unless allow_weak_crypto is set:
// des3-cbc-raw, the exportable RC4 and all of single DES.
func IsWeakEnctype(e int32) bool {
	switch e {
	case etypeID.DES_CBC_CRC, etypeID.DES_CBC_MD4, etypeID.DES_CBC_MD5,
		etypeID.DES_CBC_RAW, etypeID.DES_HMAC_SHA1,
		etypeID.DES3_CBC_RAW, etypeID.RC4_HMAC_EXP:
		return true
	}
	return false
}

// ParseEnctypes resolves an enctype list as MIT's
// krb5int_parse_enctype_list does: words separated by white space or
// commas; each an enctype name or alias, a family name (aes, camellia,
// rc4, des3) or DEFAULT, all without regard to case; a leading "-"
// removes the enctypes from the list built so far and a leading "+" adds
// them, as no sign does. Duplicates are dropped, unknown names are
// ignored, single DES is never returned (MIT removed it in 1.18), and weak
// enctypes are dropped unless allowWeak. The result may be empty.
func ParseEnctypes(s string, allowWeak bool) []int32 {
	list := []int32{}
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ','
	})
	for _, w := range words {
		add := true
		if w[0] == '+' || w[0] == '-' {
			add = w[0] == '+'
			w = w[1:]
		}
		lw := strings.ToLower(w)

		var ids []int32
		if lw == "default" {
			ids = DefaultEnctypes
		} else if fam, ok := enctypeFamilies[lw]; ok {
			ids = fam
		} else if id, ok := enctypeNames[lw]; ok {
			ids = []int32{id}
		}
		for _, id := range ids {
			if !allowWeak && IsWeakEnctype(id) {
				continue
			}
			list = modList(list, id, add)
		}
	}
	return list
}

func modList(list []int32, id int32, add bool) []int32 {
	for i, e := range list {
		if e == id {
			if add {
				return list
			}
			return append(list[:i], list[i+1:]...)
		}
	}
	if add {
		list = append(list, id)
	}
	return list
}

// enctypeWords splits an enctype list into its words, for the string
// fields of gokrb5's LibDefaults.
func enctypeWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ','
	})
}
