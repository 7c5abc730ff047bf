//go:build !unix

package krb5

import "os"

// lockShared does nothing where fcntl locks do not exist.
func lockShared(*os.File) error { return nil }
