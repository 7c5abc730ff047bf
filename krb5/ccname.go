package krb5

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/fileread"
	"github.com/safekrb5/safekrb5/internal/modules"
	"github.com/safekrb5/safekrb5/support"
)

// UnsupportedTypeError reports a credential cache or keytab name whose
// type prefix (KEYRING, KCM, API, ...) the package does not implement.
// It matches ErrNotSupported with errors.Is.
type UnsupportedTypeError struct {
	// Kind is "credential cache" or "keytab".
	Kind string
	// Type is the prefix as written, such as "KEYRING".
	Type string
	// Name is the whole name.
	Name string
}

// Error names the type and what is supported instead.
func (e *UnsupportedTypeError) Error() string {
	supported := "FILE, DIR and MEMORY"
	if e.Kind == "keytab" {
		supported = "FILE, WRFILE and MEMORY"
	}
	return fmt.Sprintf("krb5: %s type %s is not supported (%s are)",
		e.Kind, e.Type, supported)
}

// Unwrap returns the com_err error KRB5_CC_TYPE_NOTSUPP's analogue,
// ErrNotSupported.
func (e *UnsupportedTypeError) Unwrap() error {
	return ErrNotSupported.With(e.Kind+" type "+e.Type, nil)
}

// Credential cache types, as MIT spells their prefixes.
const (
	ccFile   = "FILE"
	ccDir    = "DIR"
	ccMemory = "MEMORY"
)

// ccName is a resolved credential cache name.
type ccName struct {
	typ string
	// path is the file holding the credentials: the FILE itself, or the
	// DIR collection's member.
	path string
	// dir is the DIR collection's directory; primary says whether path
	// was named by its primary file (DIR:dir) rather than given
	// (DIR::dir/tktX).
	dir     string
	primary bool
	// mem is a MEMORY cache's name.
	mem string
}

// String returns the name in MIT's form, as klist prints it.
func (n ccName) String() string {
	switch n.typ {
	case ccMemory:
		return "MEMORY:" + n.mem
	case ccDir:
		return "DIR::" + n.path
	}
	return "FILE:" + n.path
}

// parseCCName resolves a cache name the way MIT's krb5_cc_resolve does:
// "" is DefaultCCacheName; a name without a type prefix, or whose prefix
// holds a "/", is a file; "FILE:path"; "DIR:dir" is the collection's
// primary cache, named in dir/primary ("tkt" when there is none);
// "DIR::dir/tktX" is one member; "MEMORY:name" lives in this process.
// KEYRING, KCM, API and any other type fail with *UnsupportedTypeError.
func parseCCName(name string) (ccName, error) {
	if name == "" {
		name = DefaultCCacheName()
	}
	typ, rest, ok := strings.Cut(name, ":")
	if !ok || strings.Contains(typ, "/") {
		return ccName{typ: ccFile, path: name}, nil
	}
	empty := func() (ccName, error) {
		return ccName{}, fmt.Errorf("krb5: %w", ErrCCNotFound.With(
			"empty "+typ+": cache name", nil))
	}
	switch strings.ToUpper(typ) {
	case ccFile:
		if rest == "" {
			return empty()
		}
		return ccName{typ: ccFile, path: rest}, nil
	case ccMemory:
		if rest == "" {
			return empty()
		}
		return ccName{typ: ccMemory, mem: rest}, nil
	case ccDir:
		return parseDirName(rest)
	}
	return ccName{}, &UnsupportedTypeError{Kind: "credential cache",
		Type: typ, Name: name}
}

// primaryFile is the file of a DIR collection naming its primary member;
// defaultMember is the member used when it does not exist. Both are
// MIT's names.
const (
	primaryFile   = "primary"
	defaultMember = "tkt"
)

// parseDirName resolves the residual of a DIR: name.
func parseDirName(rest string) (ccName, error) {
	if sub, ok := strings.CutPrefix(rest, ":"); ok {
		base := filepath.Base(sub)
		if !filepath.IsAbs(sub) || !strings.HasPrefix(base, defaultMember) {
			return ccName{}, fmt.Errorf("krb5: %w", ErrCCNotFound.With(
				"DIR::"+sub+": a member must be an absolute path to a tkt* file",
				nil))
		}
		return ccName{typ: ccDir, path: sub, dir: filepath.Dir(sub)}, nil
	}
	if rest == "" {
		return ccName{}, fmt.Errorf("krb5: %w", ErrCCNotFound.With(
			"empty DIR: cache name", nil))
	}
	member, err := readPrimary(rest)
	if err != nil {
		return ccName{}, err
	}
	return ccName{typ: ccDir, path: filepath.Join(rest, member), dir: rest,
		primary: true}, nil
}

// readPrimary returns the member named by dir/primary, or the default
// member when the file does not exist. A primary file that names
// something other than a tkt* file in dir is refused.
func readPrimary(dir string) (string, error) {
	f, err := fileread.Open(filepath.Join(dir, primaryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return defaultMember, nil
	}
	if err != nil {
		return "", fmt.Errorf("krb5: DIR:%s: %w", dir, err)
	}
	defer f.Close()
	// A member name is short; a larger file is refused unread.
	b, err := io.ReadAll(io.LimitReader(f, maxPrimary+1))
	if err != nil {
		return "", fmt.Errorf("krb5: DIR:%s: %w", dir, err)
	}
	member := strings.TrimRight(string(b), "\r\n")
	if len(b) > maxPrimary || !strings.HasPrefix(member, defaultMember) ||
		strings.ContainsAny(member, "/\x00\n") {
		return "", fmt.Errorf("krb5: %w", ErrCCFormat.With(
			"DIR:"+dir+": the primary file does not name a tkt* member", nil))
	}
	return member, nil
}

// maxPrimary bounds the primary file of a DIR collection.
const maxPrimary = 256

// prepareDir makes sure a DIR collection exists before a member is
// written: the directory (mode 0700, as MIT creates it) and, for the
// primary cache, a primary file naming the member.
func (n ccName) prepareDir() error {
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return fmt.Errorf("krb5: DIR:%s: %w", n.dir, err)
	}
	if !n.primary {
		return nil
	}
	p := filepath.Join(n.dir, primaryFile)
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another writer made it meanwhile
	}
	if err != nil {
		return fmt.Errorf("krb5: DIR:%s: %w", n.dir, err)
	}
	_, err = f.WriteString(filepath.Base(n.path) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("krb5: DIR:%s: writing the primary file: %w", n.dir, err)
	}
	return nil
}

// readCCacheName reads the cache n names. A cache that does not exist
// fails with ErrCCNotFound, one that does not parse with ErrCCFormat.
func readCCacheName(n ccName) (*ccachefile.Cache, error) {
	if n.typ == ccMemory {
		return memoryRead(n.mem)
	}
	cc, err := ccachefile.ReadFile(n.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("krb5: %w", ErrCCNotFound.With(n.String(), err))
		}
		// The format error alone: n names the file already.
		var fe *ccachefile.FormatError
		if errors.As(err, &fe) {
			err = fe
		}
		return nil, fmt.Errorf("krb5: %w", ErrCCFormat.With(n.String(), err))
	}
	return cc, nil
}

// writeCCacheName replaces the cache n names with cc.
func writeCCacheName(n ccName, cc *ccachefile.Cache) error {
	switch n.typ {
	case ccMemory:
		return memoryWrite(n.mem, cc)
	case ccDir:
		if err := n.prepareDir(); err != nil {
			return err
		}
	}
	if err := ccachefile.WriteFile(n.path, cc); err != nil {
		return fmt.Errorf("krb5: writing %s: %w", n, err)
	}
	return nil
}

// DestroyCCache destroys a credential cache, as kdestroy does: a file is
// overwritten with zeros and removed (a symbolic link is removed alone,
// the file it points to left as it is); a MEMORY cache is wiped and
// forgotten. A DIR collection's primary file stays. A cache that does not
// exist fails with an error matching ErrCCNotFound. Once krb5 is shutting
// down or finalized it fails with that error and destroys nothing.
func DestroyCCache(name string) error {
	if err := modules.KRB5.Refuses(); err != nil {
		return err
	}
	n, err := parseCCName(name)
	if err != nil {
		return err
	}
	if n.typ == ccMemory {
		return memoryDestroy(n.mem)
	}
	if err := destroyFile(n.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("krb5: %w", ErrCCNotFound.With(n.String(), err))
		}
		return fmt.Errorf("krb5: destroying %s: %w", n, err)
	}
	return nil
}

// destroyFile removes path, as MIT does, after overwriting it with zeros
// when it is a regular file. A symbolic link is removed, never followed,
// so the file it points to is left alone; nor is a FIFO waited on.
func destroyFile(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() {
		if err := zeroFile(path, fi); err != nil {
			return err
		}
	}
	return os.Remove(path)
}

// zeroFile overwrites the regular file at path with zeros, if it is still
// the file fi describes.
func zeroFile(path string, fi os.FileInfo) error {
	f, err := fileread.OpenWrite(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if now, err := f.Stat(); err == nil && os.SameFile(fi, now) {
		_, err = f.Write(make([]byte, now.Size()))
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// memCCaches holds the MEMORY credential caches of one generation of the
// module, each as its encoded file image. Teardown wipes them all.
type memCCaches struct {
	// mu guards caches.
	mu     sync.Mutex
	caches map[string][]byte
}

func newMemCCaches() *memCCaches {
	return &memCCaches{caches: make(map[string][]byte)}
}

// wipe clears every cache; it runs at teardown.
func (m *memCCaches) wipe() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, b := range m.caches {
		support.Wipe(b)
		delete(m.caches, k)
	}
}

// withMemory runs f with the MEMORY caches of the loaded generation,
// holding the module loaded meanwhile.
func withMemory(f func(m *memCCaches) error) error {
	g, err := modules.KRB5.Enter()
	if err != nil {
		return err
	}
	defer modules.KRB5.Leave(g)
	return f(g.Value.(*state).mem)
}

func memoryRead(name string) (*ccachefile.Cache, error) {
	var cc *ccachefile.Cache
	err := withMemory(func(m *memCCaches) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		b, ok := m.caches[name]
		if !ok {
			return fmt.Errorf("krb5: %w", ErrCCNotFound.With("MEMORY:"+name, nil))
		}
		var err error
		if cc, err = ccachefile.Parse(b); err != nil {
			return fmt.Errorf("krb5: %w", ErrCCFormat.With("MEMORY:"+name, err))
		}
		return nil
	})
	return cc, err
}

func memoryWrite(name string, cc *ccachefile.Cache) error {
	b, err := cc.Marshal()
	if err != nil {
		return fmt.Errorf("krb5: writing MEMORY:%s: %w", name, err)
	}
	return withMemory(func(m *memCCaches) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		support.Wipe(m.caches[name])
		m.caches[name] = b
		return nil
	})
}

func memoryDestroy(name string) error {
	return withMemory(func(m *memCCaches) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		b, ok := m.caches[name]
		if !ok {
			return fmt.Errorf("krb5: %w", ErrCCNotFound.With("MEMORY:"+name, nil))
		}
		support.Wipe(b)
		delete(m.caches, name)
		return nil
	})
}
