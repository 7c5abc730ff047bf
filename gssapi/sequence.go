package gssapi

import (
	"errors"
	"sync"

	"github.com/safekrb5/safekrb5/errortables"
)

// Sequence errors. Unwrap and VerifyMIC return them, as *GSSError values
// whose major status carries one supplementary bit (RFC 2743 section
// 1.2.3) and no routine error, for tokens that are authentic but arrive
// out of order or twice. They are reported only when the context
// negotiated FlagReplay or FlagSequence. errors.Is matches each one.
var (
	// ErrDuplicateToken (GSS_S_DUPLICATE_TOKEN): the token was seen
	// before. With FlagReplay, Unwrap returns no message for it.
	ErrDuplicateToken = &errortables.GSSError{Major: errortables.GSSDuplicateToken}
	// ErrOldToken (GSS_S_OLD_TOKEN): the token is older than the replay
	// window, so it cannot be checked for duplication.
	ErrOldToken = &errortables.GSSError{Major: errortables.GSSOldToken}
	// ErrUnseqToken (GSS_S_UNSEQ_TOKEN): a later token has already been
	// received.
	ErrUnseqToken = &errortables.GSSError{Major: errortables.GSSUnseqToken}
	// ErrGapToken (GSS_S_GAP_TOKEN): tokens between the last one received
	// and this one are missing.
	ErrGapToken = &errortables.GSSError{Major: errortables.GSSGapToken}
)

// IsSequenceError reports whether err is one of the sequence errors
// above: the token itself was authentic, only its place in the stream is
// wrong.
func IsSequenceError(err error) bool {
	var ge *errortables.GSSError
	return errors.As(err, &ge) && !ge.Major.IsError() &&
		ge.Major.Supplementary() != 0
}

// replayWindow is how many sequence numbers before the highest one seen
// are remembered for duplicate detection, as in MIT krb5.
const replayWindow = 64

// seqState holds a context's per-message sequence numbers: the next one
// to send and what has been received. It is safe for concurrent use.
type seqState struct {
	// mu guards every field below.
	mu sync.Mutex
	// send is the next sequence number to put in a token.
	send uint64
	// mask keeps arithmetic within 32 bits for RFC 1964 tokens and 64
	// bits for RFC 4121 tokens.
	mask uint64
	// base is the peer's initial sequence number; next and seen are
	// relative to it so that wrapping needs no special case.
	base uint64
	// next is one more than the highest sequence number received,
	// relative to base.
	next uint64
	// seen has bit i set when next-1-i was received.
	seen uint64
	// replay and sequence are the negotiated detection services.
	replay, sequence bool
}

// init sets the initial sequence numbers of both directions and the
// services the context flags ask for.
func (s *seqState) init(send, recv uint64, flags uint32, wide bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mask = 1<<32 - 1
	if wide {
		s.mask = ^uint64(0)
	}
	s.send, s.base = send&s.mask, recv&s.mask
	s.next, s.seen = 0, 0
	s.replay = flags&FlagReplay != 0
	s.sequence = flags&FlagSequence != 0
}

// nextSend returns the sequence number for the next outgoing token and
// advances the counter.
func (s *seqState) nextSend() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.send
	s.send = (s.send + 1) & s.mask
	return n
}

// check records an incoming sequence number, whose token has already
// been verified, and returns the supplementary status it deserves (RFC
// 2743 section 1.2.3): GSSComplete, or one of the duplicate, old, unseq
// and gap bits. Without replay or sequence detection it always returns
// GSSComplete.
func (s *seqState) check(seq uint64) errortables.GSSMajor {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.replay && !s.sequence {
		return errortables.GSSComplete
	}
	rel := (seq - s.base) & s.mask
	if rel >= s.next {
		// The expected number, or one from the future: move the window.
		skipped := rel - s.next
		if skipped >= replayWindow-1 {
			s.seen = 1
		} else {
			s.seen = s.seen<<(skipped+1) | 1
		}
		s.next = (rel + 1) & s.mask
		if skipped > 0 && s.sequence {
			return errortables.GSSGapToken
		}
		return errortables.GSSComplete
	}

	back := s.next - rel // 1 for the highest number seen
	if back > replayWindow {
		if s.replay {
			return errortables.GSSOldToken
		}
		return errortables.GSSUnseqToken
	}
	bit := uint64(1) << (back - 1)
	if s.seen&bit != 0 && s.replay {
		return errortables.GSSDuplicateToken
	}
	s.seen |= bit
	if s.sequence {
		return errortables.GSSUnseqToken
	}
	return errortables.GSSComplete
}

// seqErr turns a supplementary status from check into an error, nil for
// GSSComplete.
func seqErr(m errortables.GSSMajor, seq uint64) error {
	if m == errortables.GSSComplete {
		return nil
	}
	return errortables.NewGSSError(m, 0, "sequence number "+uitoa(seq), nil)
}

func uitoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
