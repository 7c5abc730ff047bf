package krb5

import (
	"context"
	"os"
	"syscall"
	"time"

	"github.com/safekrb5/safekrb5/internal/ccachefile"
)

// fileStamp identifies one version of a file: another process that
// rewrites a credential cache (kinit, a renewal daemon) changes it.
type fileStamp struct {
	mtime time.Time
	size  int64
	ino   uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	s := fileStamp{mtime: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = uint64(st.Ino)
	}
	return s
}

// watchCCache records the cache file a client was made from, so that a
// rewrite by another process is picked up.
func (c *Client) watchCCache(path string) {
	fi, err := os.Stat(path)
	if err != nil {
		return
	}
	c.ccMu.Lock()
	defer c.ccMu.Unlock()
	c.ccPath, c.ccStamp = path, stampOf(fi)
}

// reloadCCache re-reads the client's cache file if it changed since it
// was last read, and takes its newer TGT and its service tickets. A file
// now holding another principal's tickets is ignored.
func (c *Client) reloadCCache(ctx context.Context) {
	c.ccMu.Lock()
	defer c.ccMu.Unlock()
	if c.ccPath == "" {
		return
	}
	fi, err := os.Stat(c.ccPath)
	if err != nil || stampOf(fi) == c.ccStamp {
		return
	}
	cc, err := ccachefile.ReadFile(c.ccPath)
	if err != nil {
		c.trace(ctx, "credential cache changed but does not read", "err", err.Error())
		return
	}
	defer cc.Wipe()
	p := cc.DefaultPrincipal
	if p.Realm != c.realm || !samePrincipal(principalName(p), c.cname) {
		c.trace(ctx, "credential cache now holds another principal; ignored",
			"principal", p.String())
		return
	}
	if err := c.loadCredentials(cc); err != nil {
		c.trace(ctx, "credential cache changed but does not load", "err", err.Error())
		return
	}
	c.ccStamp = stampOf(fi)
	c.trace(ctx, "credential cache reloaded", "path", c.ccPath)
}
