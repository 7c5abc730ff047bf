package keytabfile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/crypto"
)

// ErrEnctype means DeriveEntries was asked for an enctype it cannot
// derive keys for.
var ErrEnctype = errors.New("unsupported enctype")

// DefaultSalt returns the salt RFC 4120 section 4 defines for a
// principal: the realm followed by the name components, unseparated.
func DefaultSalt(p Principal) string {
	return p.Realm + strings.Join(p.Components, "")
}

// DeriveEntries derives one entry per enctype from password with the
// enctype's string-to-key function (RFC 3961 section 3) and its default
// parameters, as kadmin's ktadd and ktutil's addent -password do. An
// empty salt means DefaultSalt(principal); Active Directory accounts need
// the explicit salt the directory uses. Each entry gets kvno and the
// timestamp now. Unknown enctypes fail with ErrEnctype; the password is
// never part of an error.
func DeriveEntries(principal Principal, password, salt string,
	enctypes []int32, kvno uint32, now time.Time) ([]Entry, error) {
	if salt == "" {
		salt = DefaultSalt(principal)
	}
	entries := make([]Entry, 0, len(enctypes))
	for _, t := range enctypes {
		et, err := crypto.GetEtype(t)
		if err != nil {
			wipeEntries(entries)
			return nil, fmt.Errorf("%w: %d", ErrEnctype, t)
		}
		key, err := et.StringToKey(password, salt,
			et.GetDefaultStringToKeyParams())
		if err != nil {
			wipeEntries(entries)
			return nil, fmt.Errorf("%w: string-to-key for enctype %d failed",
				ErrEnctype, t)
		}
		entries = append(entries, Entry{
			Principal: principal.Clone(),
			Timestamp: now,
			KVNO:      kvno,
			Key:       Keyblock{Type: t, Value: key},
		})
	}
	return entries, nil
}

func wipeEntries(es []Entry) {
	for i := range es {
		es[i].Key.Wipe()
	}
}
