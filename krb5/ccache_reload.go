package krb5

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
	"github.com/safekrb5/safekrb5/internal/fileread"
	"github.com/safekrb5/safekrb5/internal/filewatch"
)

// BUG(safekrb5): a client made from a credential cache reads the file
// again only when it needs its TGT (Login, or a service ticket it does
// not hold yet): service tickets it already holds stay in use after
// another process destroyed or replaced the cache, until they expire.

// watchCCache records the cache file a client was made from, and its
// state taken before it was read, so that a rewrite by another process,
// even one made while it was read, is picked up. For a DIR collection
// named by its primary file it also records the directory, so that a
// change of primary member (kswitch, kinit of another member) is
// followed.
func (c *Client) watchCCache(n ccName, file *filewatch.Snapshot) {
	c.ccMu.Lock()
	defer c.ccMu.Unlock()
	c.ccPath, c.ccFile = n.path, file
	if n.primary {
		c.ccDir = n.dir
	}
}

// errCCacheBusy reports a cache file locked by a writer.
var errCCacheBusy = errors.New("locked by another process")

// reloadCCache reads the client's cache file again if it changed since
// it was last read (see filewatch: MIT's kinit removes and recreates
// it, a renewal daemon may rename a new file over it or rewrite it in
// place), and takes its newer TGT and its service tickets. The file is
// read under a shared lock, as MIT's readers do, so a credential being
// appended is not read half-written; a file that is missing, locked or
// does not parse is tried again at the next call. A file now holding
// another principal's tickets is ignored until it changes again.
func (c *Client) reloadCCache(ctx context.Context) {
	c.ccMu.Lock()
	defer c.ccMu.Unlock()
	if c.ccPath == "" {
		return
	}
	if c.ccDir != "" {
		if member, err := readPrimary(c.ccDir); err == nil &&
			filepath.Join(c.ccDir, member) != c.ccPath {
			c.ccPath = filepath.Join(c.ccDir, member)
			c.ccStale = true
			c.trace(ctx, "credential cache collection has a new primary",
				"path", c.ccPath)
		}
	}
	if !c.ccStale && (c.ccFile.Gone() || !c.ccFile.Changed()) {
		return
	}
	snap := filewatch.Take(c.ccPath)
	cc, err := readCCacheShared(c.ccPath)
	if err != nil {
		c.trace(ctx, "credential cache changed but does not read",
			"err", err.Error())
		return
	}
	defer cc.Wipe()
	c.ccFile, c.ccStale = snap, false
	p := cc.DefaultPrincipal
	if p.Realm != c.realm || !samePrincipal(principalName(p), c.cname) {
		c.trace(ctx, "credential cache now holds another principal; ignored",
			"principal", p.String())
		return
	}
	if err := c.loadCredentials(cc); err != nil {
		c.trace(ctx, "credential cache changed but does not load",
			"err", err.Error())
		return
	}
	c.trace(ctx, "credential cache reloaded", "path", c.ccPath)
}

// readCCacheShared reads and parses a cache file while holding a shared
// lock on it; the bytes read are cleared.
func readCCacheShared(path string) (*ccachefile.Cache, error) {
	f, err := fileread.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := lockShared(f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := fileread.ReadAll(f, ccachefile.MaxFileSize)
	if errors.Is(err, fileread.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s", ccachefile.ErrTooLarge, path)
	}
	if err != nil {
		return nil, err
	}
	defer clear(b)
	cc, err := ccachefile.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cc, nil
}
