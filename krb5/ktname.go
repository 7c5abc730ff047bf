package krb5

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/safekrb5/safekrb5/internal/keytabfile"
	"github.com/safekrb5/safekrb5/internal/krb5conf"
	"github.com/safekrb5/safekrb5/internal/krbname"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// Keytab types, as MIT spells their prefixes. WRFILE is FILE opened for
// writing; both name the same file.
const (
	ktFile   = "FILE"
	ktWRFile = "WRFILE"
	ktMemory = "MEMORY"
)

// ktName is a resolved keytab name.
type ktName struct {
	typ  string // ktFile or ktMemory
	path string
	mem  string
}

// String returns the name in MIT's form, as klist -k prints it.
func (n ktName) String() string {
	if n.typ == ktMemory {
		return "MEMORY:" + n.mem
	}
	return "FILE:" + n.path
}

// parseKTName resolves a keytab name as MIT's krb5_kt_resolve does: a
// name without a type prefix (or starting with "/") is a file,
// "FILE:path" and "WRFILE:path" are files, "MEMORY:name" lives in this
// process. Other types fail with *UnsupportedTypeError.
func parseKTName(name string) (ktName, error) {
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.HasPrefix(name, "/") || strings.Contains(typ, "/") {
		if name == "" {
			return ktName{}, errors.New("krb5: empty keytab name")
		}
		return ktName{typ: ktFile, path: name}, nil
	}
	if rest == "" {
		return ktName{}, fmt.Errorf("krb5: empty %s: keytab name", typ)
	}
	switch strings.ToUpper(typ) {
	case ktFile, ktWRFile:
		return ktName{typ: ktFile, path: rest}, nil
	case ktMemory:
		return ktName{typ: ktMemory, mem: rest}, nil
	}
	return ktName{}, &UnsupportedTypeError{Kind: "keytab", Type: typ, Name: name}
}

// DefaultKeytabName returns the keytab an acceptor uses when none is
// named, as MIT chooses it: KRB5_KTNAME, else default_keytab_name of cfg
// (nil for none), else FILE:/etc/krb5.keytab.
func DefaultKeytabName(cfg *config.Config) string {
	if v := os.Getenv("KRB5_KTNAME"); v != "" {
		return v
	}
	if cfg != nil && cfg.LibDefaults.DefaultKeytabName != "" {
		return expandKTName(cfg.LibDefaults.DefaultKeytabName)
	}
	return krb5conf.DefaultKeytabName
}

// DefaultClientKeytabName returns the keytab a client logs in with when
// none is named, as MIT chooses it: KRB5_CLIENT_KTNAME, else
// default_client_keytab_name of cfg (nil for none), else MIT's built-in
// default, with %{euid} and %{uid} replaced.
func DefaultClientKeytabName(cfg *config.Config) string {
	if v := os.Getenv("KRB5_CLIENT_KTNAME"); v != "" {
		return v
	}
	if cfg != nil && cfg.LibDefaults.DefaultClientKeytabName != "" {
		return expandKTName(cfg.LibDefaults.DefaultClientKeytabName)
	}
	return expandKTName(krb5conf.DefaultClientKeytabName)
}

// expandKTName replaces the parameters MIT expands in keytab names that
// this package can know.
func expandKTName(s string) string {
	uid := strconv.Itoa(os.Getuid())
	euid := strconv.Itoa(os.Geteuid())
	return strings.NewReplacer("%{uid}", uid, "%{euid}", euid).Replace(s)
}

// LoadKeytab reads a keytab: a path, FILE:path, WRFILE:path or
// MEMORY:name; "" is DefaultKeytabName(nil), KRB5_KTNAME's keytab. A
// malformed file fails with an error matching ErrKTFormat that names the
// field and offset but never quotes the file's bytes; KEYRING and other
// types fail with *UnsupportedTypeError.
func LoadKeytab(name string) (*Keytab, error) {
	if name == "" {
		name = DefaultKeytabName(nil)
	}
	n, err := parseKTName(name)
	if err != nil {
		return nil, err
	}
	kf, err := readKTName(n)
	if err != nil {
		return nil, err
	}
	defer kf.Wipe()
	return newKeytabFromFile(kf)
}

// readKTName reads the keytab n names.
func readKTName(n ktName) (*keytabfile.Keytab, error) {
	if n.typ == ktMemory {
		return memoryKTRead(n.mem)
	}
	kf, err := keytabfile.ReadFile(n.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("krb5: keytab %s: %w", n, err)
		}
		// The format error alone: n names the file already.
		var fe *keytabfile.FormatError
		if errors.As(err, &fe) {
			err = fe
		}
		return nil, fmt.Errorf("krb5: keytab %s: %w", n, ErrKTFormat.With("", err))
	}
	return kf, nil
}

// writeKTName replaces the keytab n names with kf: a file atomically,
// with mode 0600.
func writeKTName(n ktName, kf *keytabfile.Keytab) error {
	if n.typ == ktMemory {
		return memoryKTWrite(n.mem, kf)
	}
	if err := keytabfile.WriteFile(n.path, kf); err != nil {
		return fmt.Errorf("krb5: writing keytab %s: %w", n, err)
	}
	return nil
}

// PasswordKeys says which keys AddPasswordKeys derives from a password.
type PasswordKeys struct {
	// Principal is "name@REALM"; a name without a realm is refused.
	Principal string
	// KVNO is the key version, 1 to 2^32-1. Versions above 255 are kept
	// in the keytab's 32-bit field, as MIT writes them.
	KVNO uint32
	// ETypes lists the enctypes to derive, such as
	// aes256-cts-hmac-sha1-96 (18); none means aes256 and aes128 with
	// SHA-1, the types every KDC of the last decade accepts.
	ETypes []int32
	// Salt is the string-to-key salt. Empty means the RFC 4120 default
	// (the realm followed by the name components). Active Directory
	// salts user keys with REALMuser and computer keys with
	// REALMhostcomputer.realm, which differ from the default, so
	// keytabs for AD accounts need it set.
	Salt string
}

// defaultKeytabETypes is what AddPasswordKeys derives when asked for no
// enctype in particular.
var defaultKeytabETypes = []int32{18, 17}

// AddPasswordKeys derives keys from password (RFC 3961 string-to-key,
// with the enctype's default parameters) and adds them to the keytab
// name, creating it if it does not exist, as MIT's ktutil addent
// -password followed by wkt does. A file is rewritten atomically with
// mode 0600. It returns the entries added. The password appears in no
// error. Once krb5 is shutting down or finalized it fails with that error
// and leaves the keytab as it is.
func AddPasswordKeys(name string, spec PasswordKeys, password string) ([]KeytabEntry, error) {
	if err := modules.KRB5.Refuses(); err != nil {
		return nil, err
	}
	n, err := parseKTName(name)
	if err != nil {
		return nil, err
	}
	p, err := krbname.ParsePrincipal(spec.Principal, "")
	if err != nil || p.Realm == "" || p.HasEmptyComponent() {
		return nil, fmt.Errorf("krb5: %w", ErrMalformedPrincipal.With(
			"keytab principal "+krbname.Quote(spec.Principal)+
				" needs a name and a realm", err))
	}
	if spec.KVNO == 0 {
		return nil, errors.New("krb5: AddPasswordKeys: kvno 0 is not a key version")
	}
	etypes := spec.ETypes
	if len(etypes) == 0 {
		etypes = defaultKeytabETypes
	}
	entries, err := keytabfile.DeriveEntries(p, password, spec.Salt, etypes,
		spec.KVNO, time.Now().Truncate(time.Second))
	if err != nil {
		return nil, fmt.Errorf("krb5: %w", ErrNotSupported.With(
			"deriving keys for "+spec.Principal, err))
	}
	kf, err := readKTName(n)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, errMemKTNotFound):
		kf = &keytabfile.Keytab{Version: 2}
	default:
		for i := range entries {
			entries[i].Key.Wipe()
		}
		return nil, err
	}
	defer kf.Wipe()
	out := make([]KeytabEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryInfo(&e))
		kf.Add(e)
	}
	if err := writeKTName(n, kf); err != nil {
		return nil, err
	}
	return out, nil
}

// ListKeytab lists a keytab's entries, without keys, in file order, as
// klist -k does; name is as in LoadKeytab.
func ListKeytab(name string) ([]KeytabEntry, error) {
	kt, err := LoadKeytab(name)
	if err != nil {
		return nil, err
	}
	defer kt.Close()
	return kt.Entries()
}

// String renders the entry as one line of MIT's klist -k -e: the kvno,
// the principal and the enctype name.
func (e KeytabEntry) String() string {
	p := krbname.Principal{NameType: e.Principal.NameType, Realm: e.Realm,
		Components: e.Principal.NameString}
	return fmt.Sprintf("%4d %s (%s)", e.KVNO, p, krbname.EnctypeName(e.EType))
}

// errMemKTNotFound means no MEMORY keytab has the name.
var errMemKTNotFound = errors.New("krb5: no such MEMORY keytab")

// memKeytabs holds the MEMORY keytabs of one generation of the module,
// each as its encoded file image. Teardown wipes them.
type memKeytabs struct {
	// mu guards keytabs.
	mu      sync.Mutex
	keytabs map[string][]byte
}

func newMemKeytabs() *memKeytabs {
	return &memKeytabs{keytabs: make(map[string][]byte)}
}

func (m *memKeytabs) wipe() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, b := range m.keytabs {
		support.Wipe(b)
		delete(m.keytabs, k)
	}
}

func withMemKeytabs(f func(m *memKeytabs) error) error {
	g, err := modules.KRB5.Enter()
	if err != nil {
		return err
	}
	defer modules.KRB5.Leave(g)
	return f(g.Value.(*state).memKT)
}

func memoryKTRead(name string) (*keytabfile.Keytab, error) {
	var kf *keytabfile.Keytab
	err := withMemKeytabs(func(m *memKeytabs) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		b, ok := m.keytabs[name]
		if !ok {
			return fmt.Errorf("%w: MEMORY:%s", errMemKTNotFound, name)
		}
		var err error
		kf, err = keytabfile.Parse(b)
		return err
	})
	return kf, err
}

func memoryKTWrite(name string, kf *keytabfile.Keytab) error {
	b, err := kf.Marshal()
	if err != nil {
		return fmt.Errorf("krb5: writing keytab MEMORY:%s: %w", name, err)
	}
	return withMemKeytabs(func(m *memKeytabs) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		support.Wipe(m.keytabs[name])
		m.keytabs[name] = b
		return nil
	})
}
