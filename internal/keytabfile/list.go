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
	return k.ListColumns(loc, true, true)
}

// ListColumns renders the entries as MIT's klist -k does with -t when
// timestamps is set and -e when enctypes is set.
func (k *Keytab) ListColumns(loc *time.Location, timestamps, enctypes bool) string {
	if loc == nil {
		loc = time.Local
	}
	var b strings.Builder
	if timestamps {
		b.WriteString("KVNO Timestamp         Principal\n")
		b.WriteString("---- ----------------- " + strings.Repeat("-", 56) + "\n")
	} else {
		b.WriteString("KVNO Principal\n")
		b.WriteString("---- " + strings.Repeat("-", 74) + "\n")
	}
	for _, e := range k.Entries {
		fmt.Fprintf(&b, "%4d ", e.KVNO)
		if timestamps {
			ts := "                 "
			if !e.Timestamp.IsZero() {
				ts = e.Timestamp.In(loc).Format("01/02/06 15:04:05")
			}
			b.WriteString(ts + " ")
		}
		b.WriteString(e.Principal.String())
		if enctypes {
			fmt.Fprintf(&b, " (%s) ", krbname.EnctypeName(e.Key.Type))
		}
		b.WriteString("\n")
	}
	return b.String()
}
