package keys

import (
	"errors"
	"fmt"
	"log/slog"
	"unicode"
	"unicode/utf8"
)

const redacted = "**redacted**"

// MinPassphraseLength is the shortest passphrase, in characters, that
// [NewPassphrase] accepts.
const MinPassphraseLength = 10

// Passphrase is a passphrase that protects a key file. It prints as
// "**redacted**".
//
// The text sits behind a pointer to a string: fmt calls no methods on
// unexported struct fields and prints them by reflection, and it prints a
// pointer to a string (unlike a string, or a pointer to a struct) as an
// address, at any depth and for any verb.
type Passphrase struct{ s *string }

// value returns the passphrase text, "" for the zero Passphrase.
func (p Passphrase) value() string {
	if p.s == nil {
		return ""
	}
	return *p.s
}

// NewPassphrase checks p and returns it as a Passphrase. It rejects
// passphrases shorter than [MinPassphraseLength] characters, invalid UTF-8 and
// passphrases with control characters.
func NewPassphrase(p string) (Passphrase, error) {
	if !utf8.ValidString(p) {
		return Passphrase{}, errors.New("passphrase is not valid UTF-8")
	}
	for _, r := range p {
		if unicode.IsControl(r) {
			return Passphrase{}, errors.New("passphrase contains a control character")
		}
	}
	if n := utf8.RuneCountInString(p); n < MinPassphraseLength {
		return Passphrase{}, fmt.Errorf("passphrase is too short (%d characters); use at least %d, for example several unrelated words", n, MinPassphraseLength)
	}
	return Passphrase{&p}, nil
}

// String returns "**redacted**".
func (Passphrase) String() string { return redacted }

// GoString returns "**redacted**".
func (Passphrase) GoString() string { return redacted }

// LogValue returns "**redacted**".
func (Passphrase) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints "**redacted**" for every verb.
func (Passphrase) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// PassphraseFunc returns the passphrase for the key file at path. It is
// called only when the file is passphrase-protected.
type PassphraseFunc func(path string) (Passphrase, error)

// ExistingPassphrase returns p as a Passphrase for unlocking a key file that
// already exists. Only the empty passphrase is rejected: the file may have
// been protected elsewhere, under other rules.
func ExistingPassphrase(p string) (Passphrase, error) {
	if p == "" {
		return Passphrase{}, errors.New("empty passphrase")
	}
	return Passphrase{&p}, nil
}
