package krb5

import (
	"errors"
	"sort"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/internal/keytabfile"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/lifecycle"
	"github.com/safekrb5/safekrb5/support"
)

// KeytabEntry describes one key of a keytab, without the key itself.
type KeytabEntry struct {
	Principal types.PrincipalName
	Realm     string
	KVNO      uint32
	EType     int32
	Timestamp time.Time
}

// keyEntry is one key held by a Keytab.
type keyEntry struct {
	KeytabEntry
	key *support.Secret
}

// Keytab holds long-term keys, each in a support.Secret. It is a live
// object of the krb5 module and is safe for concurrent use; its entries
// never change after it is made. Close wipes every key.
// Only LoadKeytab and NewKeytab make a usable Keytab; the methods of a
// zero one panic.
type Keytab struct {
	obj     *lifecycle.Object
	entries []keyEntry
}

// NewKeytab copies the keys of a gokrb5 keytab into a new Keytab. The
// caller keeps kt and may discard it. A nil kt is an error.
func NewKeytab(kt *keytab.Keytab) (*Keytab, error) {
	if kt == nil {
		return nil, errors.New("krb5: NewKeytab: nil keytab")
	}
	entries := make([]keyEntry, 0, len(kt.Entries))
	k := &Keytab{}
	for _, e := range kt.Entries {
		s, err := support.NewSecret(e.Key.KeyValue)
		if err != nil {
			k.wipe(entries)
			return nil, err
		}
		kvno := e.KVNO
		if kvno == 0 {
			kvno = uint32(e.KVNO8)
		}
		entries = append(entries, keyEntry{
			KeytabEntry: KeytabEntry{
				Principal: types.PrincipalName{
					NameType:   e.Principal.NameType,
					NameString: append([]string(nil), e.Principal.Components...),
				},
				Realm:     e.Principal.Realm,
				KVNO:      kvno,
				EType:     e.Key.KeyType,
				Timestamp: e.Timestamp,
			},
			key: s,
		})
	}
	k.entries = entries
	obj, err := keytabKind.NewObject(func() { k.wipe(k.entries) })
	if err != nil {
		k.wipe(entries)
		return nil, err
	}
	k.obj = obj
	lifecycle.WatchLeak(k, obj)
	return k, nil
}

// newKeytabFromFile copies the keys of a parsed keytab into a new
// Keytab. The caller keeps kf and wipes it.
func newKeytabFromFile(kf *keytabfile.Keytab) (*Keytab, error) {
	entries := make([]keyEntry, 0, len(kf.Entries))
	k := &Keytab{}
	for i := range kf.Entries {
		e := &kf.Entries[i]
		s, err := support.NewSecret(e.Key.Value)
		if err != nil {
			k.wipe(entries)
			return nil, err
		}
		entries = append(entries, keyEntry{KeytabEntry: entryInfo(e), key: s})
	}
	k.entries = entries
	obj, err := keytabKind.NewObject(func() { k.wipe(k.entries) })
	if err != nil {
		k.wipe(entries)
		return nil, err
	}
	k.obj = obj
	lifecycle.WatchLeak(k, obj)
	return k, nil
}

// entryInfo describes a parsed entry without its key.
func entryInfo(e *keytabfile.Entry) KeytabEntry {
	return KeytabEntry{
		Principal: types.PrincipalName{
			NameType:   e.Principal.NameType,
			NameString: append([]string(nil), e.Principal.Components...),
		},
		Realm:     e.Principal.Realm,
		KVNO:      e.KVNO,
		EType:     e.Key.Type,
		Timestamp: e.Timestamp,
	}
}

// Save writes the keytab's entries, keys included, to the keytab name
// (FILE:, WRFILE:, a path or MEMORY:), replacing what it held; a file
// is written atomically with mode 0600. Copying a file keytab to a
// MEMORY one keeps its keys in this process only.
func (k *Keytab) Save(name string) error {
	if err := k.obj.Enter(); err != nil {
		return err
	}
	defer k.obj.Leave()
	n, err := parseKTName(name)
	if err != nil {
		return err
	}
	kf := &keytabfile.Keytab{Version: 2}
	defer kf.Wipe()
	for _, e := range k.entries {
		err := e.key.Use(func(b []byte) error {
			kf.Add(keytabfile.Entry{
				Principal: krbname.Principal{NameType: e.Principal.NameType,
					Realm:      e.Realm,
					Components: append([]string(nil), e.Principal.NameString...)},
				Timestamp: e.Timestamp,
				KVNO:      e.KVNO,
				Key:       keytabfile.Keyblock{Type: e.EType, Value: append([]byte(nil), b...)},
			})
			return nil
		})
		if err != nil {
			return err
		}
	}
	return writeKTName(n, kf)
}

func wipeGokrb5Keytab(kt *keytab.Keytab) {
	for _, e := range kt.Entries {
		support.Wipe(e.Key.KeyValue)
	}
}

func (k *Keytab) wipe(entries []keyEntry) {
	for _, e := range entries {
		e.key.Destroy()
	}
}

// Close wipes the keys and releases the keytab's reference on the krb5
// module. It waits for calls in flight. A second Close returns ErrClosed.
func (k *Keytab) Close() error { return k.obj.Close() }

// Entries lists the keytab's entries, without keys, in file order.
func (k *Keytab) Entries() ([]KeytabEntry, error) {
	if err := k.obj.Enter(); err != nil {
		return nil, err
	}
	defer k.obj.Leave()
	out := make([]KeytabEntry, len(k.entries))
	for i, e := range k.entries {
		out[i] = e.KeytabEntry
	}
	return out, nil
}

// Principals returns the distinct principals in the keytab, sorted.
func (k *Keytab) Principals() ([]string, error) {
	entries, err := k.Entries()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		s := unparse(e.Principal, e.Realm)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}

// UseKey finds the key for principal in realm with the given kvno (0 for
// the highest) and enctype, and calls f with it. The key's bytes are valid
// only during f. It fails with an error matching ErrNoKey when no entry
// matches.
func (k *Keytab) UseKey(principal types.PrincipalName, realm string, kvno uint32,
	etype int32, f func(key types.EncryptionKey, kvno uint32) error) error {
	if err := k.obj.Enter(); err != nil {
		return err
	}
	defer k.obj.Leave()
	var best *keyEntry
	for i := range k.entries {
		e := &k.entries[i]
		if e.EType != etype || e.Realm != realm ||
			!samePrincipal(e.Principal, principal) {
			continue
		}
		if kvno != 0 && e.KVNO != kvno {
			continue
		}
		if best == nil || e.KVNO > best.KVNO {
			best = e
		}
	}
	if best == nil {
		return noKeyError(principal, realm, kvno, etype)
	}
	return best.key.Use(func(b []byte) error {
		return f(types.EncryptionKey{KeyType: etype, KeyValue: b}, best.KVNO)
	})
}

// ETypes returns the enctypes the keytab has keys for, for principal in
// realm, highest kvno first, in file order within a kvno.
func (k *Keytab) ETypes(principal types.PrincipalName, realm string) ([]int32, error) {
	entries, err := k.Entries()
	if err != nil {
		return nil, err
	}
	var out []int32
	var top uint32
	for _, e := range entries {
		if e.Realm == realm && samePrincipal(e.Principal, principal) &&
			e.KVNO > top {
			top = e.KVNO
		}
	}
	for _, e := range entries {
		if e.Realm == realm && samePrincipal(e.Principal, principal) &&
			e.KVNO == top {
			out = append(out, e.EType)
		}
	}
	return out, nil
}

// samePrincipal compares the name components; the name type does not take
// part, as in MIT's krb5_principal_compare.
func samePrincipal(a, b types.PrincipalName) bool {
	if len(a.NameString) != len(b.NameString) {
		return false
	}
	for i := range a.NameString {
		if a.NameString[i] != b.NameString[i] {
			return false
		}
	}
	return true
}
