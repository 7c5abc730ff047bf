package gssapi

import (
	"fmt"
	"os"
	"strings"

	"github.com/safekrb5/safekrb5/internal/krbname"
)

// HostBasedService turns a GSS host-based service name (RFC 2743 section
// 4.1, GSS_C_NT_HOSTBASED_SERVICE), "service@host" or "service" alone
// for this machine, into the Kerberos principal name "service/host" that
// Initiate and WithPrincipal take (RFC 4121 section 4.1.1 maps one to
// the other). The host is lowercased, as MIT does without DNS
// canonicalisation; a name without a host takes os.Hostname's.
func HostBasedService(name string) (string, error) {
	svc, host, ok := strings.Cut(name, "@")
	if !ok {
		h, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("gssapi: service %s names no host and ours is unknown: %w",
				krbname.Quote(name), err)
		}
		host = h
	}
	if svc == "" || host == "" || strings.ContainsAny(svc, "/@") ||
		strings.ContainsAny(host, "/@") {
		return "", fmt.Errorf("gssapi: malformed host-based service name %s "+
			"(want service@host)", krbname.Quote(name))
	}
	return svc + "/" + strings.ToLower(host), nil
}
