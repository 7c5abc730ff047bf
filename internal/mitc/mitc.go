// Package mitc builds the small C programs that differential tests link
// against Debian's libkrb5, so that a test can hand the same input to
// MIT's code and to ours, and reads the \xNN escapes those programs use
// to print arbitrary bytes on a line.
package mitc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// Build compiles the C source src with cc against the libkrb5 libraries
// krb5-config names for libs (for example "krb5") into dir and returns
// the program's path. A missing compiler or krb5-config fails t naming
// the packages to install, or skips it when SAFEKRB5_SKIP_INTEGRATION=1.
func Build(t testrealm.TB, dir, src string, libs ...string) string {
	t.Helper()
	var missing []string
	for _, prog := range []string{"cc", "krb5-config"} {
		if _, err := exec.LookPath(prog); err != nil {
			missing = append(missing, prog)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not found: install gcc and libkrb5-dev "+
			"(scripts/deps.sh)", strings.Join(missing, " and "))
		if os.Getenv(testrealm.SkipEnv) == "1" {
			t.Skipf("%s", msg)
		}
		t.Fatalf("%s", msg)
		return ""
	}
	flags, err := exec.Command("krb5-config",
		append([]string{"--cflags", "--libs"}, libs...)...).Output()
	if err != nil {
		t.Fatalf("krb5-config: %v", err)
		return ""
	}
	bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".c"))
	args := append([]string{"-o", bin, src}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v: %s", src, err, out)
		return ""
	}
	return bin
}

// Escape writes s for a C program's command line: the backslash and
// bytes outside printable ASCII as \xNN, so that the program gets the
// bytes exactly.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '\\' {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Unescape undoes the \xNN escapes in a line a C program printed.
func Unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			n, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", fmt.Errorf("bad escape %q: %w", s[i:i+4], err)
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}
