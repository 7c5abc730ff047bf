package support

import (
	"fmt"

	"github.com/safekrb5/safekrb5/internal/lifecycle"
)

// Secret holds a password or a key. Its bytes are reachable only inside
// Use, and Destroy overwrites them with zeros once no Use is in flight. A
// Secret is a live object of the support module: while it exists the
// module stays loaded, and a forceful Close of the module wipes it.
//
// A Secret is safe for concurrent use. It never prints its bytes: String,
// GoString and every fmt verb show a placeholder.
type Secret struct {
	obj *lifecycle.Object
	b   []byte
}

// NewSecret returns a Secret holding a copy of b. The caller still owns b
// and should wipe it with Wipe when done.
func NewSecret(b []byte) (*Secret, error) {
	s := &Secret{b: append([]byte(nil), b...)}
	obj, err := secretKind.NewObject(s.wipe)
	if err != nil {
		Wipe(s.b)
		return nil, err
	}
	s.obj = obj
	return s, nil
}

// NewSecretString returns a Secret holding the bytes of str. Go strings
// cannot be wiped, so callers that can should prefer NewSecret.
func NewSecretString(str string) (*Secret, error) {
	return NewSecret([]byte(str))
}

// Use calls f with the secret's bytes and returns f's error. f must not
// keep the slice, or any slice of it, after it returns. Use fails with
// ErrClosed after Destroy and with ErrFinalized after the support module
// was closed.
func (s *Secret) Use(f func(b []byte) error) error {
	if err := s.obj.Enter(); err != nil {
		return err
	}
	defer s.obj.Leave()
	return f(s.b)
}

// Len returns the secret's length in bytes.
func (s *Secret) Len() int { return len(s.b) }

// Clone returns a new Secret with a copy of the bytes.
func (s *Secret) Clone() (*Secret, error) {
	var c *Secret
	err := s.Use(func(b []byte) error {
		var err error
		c, err = NewSecret(b)
		return err
	})
	return c, err
}

// Destroy waits for uses in flight, overwrites the bytes with zeros and
// releases the secret's reference on the support module. A second Destroy
// returns ErrClosed.
func (s *Secret) Destroy() error { return s.obj.Close() }

func (s *Secret) wipe() { Wipe(s.b) }

// String returns a placeholder, never the bytes.
func (s *Secret) String() string { return "[secret]" }

// GoString returns a placeholder, never the bytes.
func (s *Secret) GoString() string { return "support.Secret{[secret]}" }

// Format prints a placeholder for every verb.
func (s *Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, "[secret]") }

// Wipe overwrites b with zeros.
func Wipe(b []byte) {
	clear(b)
}
