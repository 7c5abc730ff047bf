//go:build tools

// Package tools pins modules that the project needs before any code imports
// them, so that go.sum is complete from the first commit.
package tools

import (
	_ "github.com/jcmturner/gofork/encoding/asn1"
	_ "github.com/jcmturner/gokrb5/v8/client"
	_ "github.com/jcmturner/gokrb5/v8/spnego"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
	_ "golang.org/x/term"
)
