package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/safekrb5/safekrb5/gssapi"
)

// Token flags of MIT's gss-sample protocol (src/appl/gss-sample in MIT
// krb5). Each frame is one flags byte, a 4-byte big-endian length and
// the token.
const (
	sampleNoop        = 1 << 0 // no token; ends the message loop
	sampleContext     = 1 << 1 // a context establishment token
	sampleData        = 1 << 2 // a message, maybe wrapped
	sampleMIC         = 1 << 3 // a MIC token over the last message
	sampleContextNext = 1 << 4 // with noop: context tokens follow
	sampleWrapped     = 1 << 5 // the message is a Wrap token
	sampleEncrypted   = 1 << 6 // the Wrap token is sealed
	sampleSendMIC     = 1 << 7 // the client wants a MIC back
)

// maxSampleToken bounds a frame, so that a garbage length cannot make
// us allocate gigabytes.
const maxSampleToken = 16 << 20

// errSampleProtocol reports a peer that broke the gss-sample protocol.
var errSampleProtocol = errors.New("gss-sample protocol")

// writeFrame sends one gss-sample frame.
func writeFrame(w io.Writer, flags byte, tok []byte) error {
	if len(tok) > maxSampleToken {
		return fmt.Errorf("%w: token of %d bytes over the %d limit", errSampleProtocol,
			len(tok), maxSampleToken)
	}
	b := make([]byte, 5, 5+len(tok))
	b[0] = flags
	binary.BigEndian.PutUint32(b[1:5], uint32(len(tok)))
	_, err := w.Write(append(b, tok...))
	return err
}

// readFrame reads one gss-sample frame. The flag-less first-version
// format is refused.
func readFrame(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, fmt.Errorf("%w: reading a frame header: %w", errSampleProtocol, err)
	}
	if h[0] == 0 {
		return 0, nil, fmt.Errorf("%w: flag-less (v1) frames are not supported",
			errSampleProtocol)
	}
	n := binary.BigEndian.Uint32(h[1:5])
	if n > maxSampleToken {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes over the %d limit",
			errSampleProtocol, n, maxSampleToken)
	}
	// The buffer grows with what arrives, not with what the header
	// claims, so a peer that announces 16 MiB and sends nothing costs
	// nothing.
	tok, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err == nil && len(tok) < int(n) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%w: reading a %d-byte token: %w", errSampleProtocol, n, err)
	}
	return h[0], tok, nil
}

// hostServiceSPN turns a host-based service name as MIT's samples take
// it ("service@host", or "service" for this host) into a principal name
// ("service/host").
func hostServiceSPN(s string) (string, error) { return gssapi.HostBasedService(s) }

// printFlags prints context flags as MIT's samples do.
func printFlags(w io.Writer, f uint32) {
	names := []struct {
		bit  uint32
		name string
	}{
		{gssapi.FlagDeleg, "GSS_C_DELEG_FLAG"},
		{gssapi.FlagMutual, "GSS_C_MUTUAL_FLAG"},
		{gssapi.FlagReplay, "GSS_C_REPLAY_FLAG"},
		{gssapi.FlagSequence, "GSS_C_SEQUENCE_FLAG"},
		{gssapi.FlagConf, "GSS_C_CONF_FLAG"},
		{gssapi.FlagInteg, "GSS_C_INTEG_FLAG"},
	}
	for _, n := range names {
		if f&n.bit != 0 {
			fmt.Fprintf(w, "context flag: %s\n", n.name)
		}
	}
}

// quoteMessage shows a received message: quoted when it is text, else
// its length.
func quoteMessage(b []byte) string {
	for _, r := range string(b) {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return fmt.Sprintf("(%d bytes of binary data)", len(b))
		}
	}
	return fmt.Sprintf("%q", b)
}
