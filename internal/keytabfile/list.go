package keytabfile

import (
	"fmt"
	"strings"
	"time"

	"github.com/safekrb5/safekrb5/internal/krbname"
)

// List renders the entries the way MIT's klist -k -t -e prints them,
// after its "Keytab name:" line: a heading, then one line per entry with
// the key version, the timestamp in loc (time.Local when nil), the
// principal and the enctype name. Key values are never shown.
func (k *Keytab) List(loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	var b strings.Builder
	b.WriteString("KVNO Timestamp         Principal\n")
	b.WriteString("---- ----------------- " + strings.Repeat("-", 56) + "\n")
	for _, e := range k.Entries {
		ts := "                 "
		if !e.Timestamp.IsZero() {
			ts = e.Timestamp.In(loc).Format("01/02/06 15:04:05")
		}
		fmt.Fprintf(&b, "%4d %s %s (%s) \n", e.KVNO, ts, e.Principal,
			krbname.EnctypeName(e.Key.Type))
	}
	return b.String()
}
