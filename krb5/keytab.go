package krb5

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"

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
type Keytab struct {
	obj     *lifecycle.Object
	entries []keyEntry
}

// NewKeytab copies the keys of a gokrb5 keytab into a new Keytab. The
// caller keeps kt and may discard it.
func NewKeytab(kt *keytab.Keytab) (*Keytab, error) {
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

// LoadKeytab reads a keytab file. name is a path, or FILE:path or
// WRFILE:path as MIT writes keytab names.
func LoadKeytab(name string) (*Keytab, error) {
	path, err := keytabPath(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("krb5: keytab: %w", err)
	}
	defer support.Wipe(b)
	kt := keytab.New()
	if err := kt.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("krb5: keytab %s: malformed file", path)
	}
	defer wipeGokrb5Keytab(kt)
	return NewKeytab(kt)
}

// keytabPath returns the file path of a keytab name.
func keytabPath(name string) (string, error) {
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.HasPrefix(name, "/") {
		return name, nil
	}
	switch typ {
	case "FILE", "WRFILE":
		return rest, nil
	}
	return "", fmt.Errorf("krb5: keytab type %q is not supported", typ)
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
		s := e.Principal.PrincipalNameString() + "@" + e.Realm
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
