package keys

import (
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"testimony/internal/durable"
)

// Secret is a short secret that is not a key, such as a server token, kept
// in a passphrase-protected file of a desk profile. It prints as
// "**redacted**"; Reveal returns the text for the one place that sends it.
type Secret struct{ s *string }

// Reveal returns the secret text.
func (s Secret) Reveal() string {
	if s.s == nil {
		return ""
	}
	return *s.s
}

// String returns "**redacted**".
func (Secret) String() string { return redacted }

// GoString returns "**redacted**".
func (Secret) GoString() string { return redacted }

// LogValue returns "**redacted**".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints "**redacted**" for every verb.
func (Secret) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

const secretFileHeader = "# testimony secret\n"

// WriteSecretFile writes secret, one line of printable UTF-8 text, to a new
// file at path (mode 0600), encrypted to pass (an armored age file).
func WriteSecretFile(path, secret string, pass Passphrase) error {
	if secret == "" || !utf8.ValidString(secret) || strings.ContainsFunc(secret, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("a secret must be one line of printable text")
	}
	if pass.value() == "" {
		return fmt.Errorf("a secret file needs a passphrase")
	}
	data, err := protect([]byte(secretFileHeader+secret+"\n"), &pass)
	if err != nil {
		return err
	}
	return durable.WriteNew(path, data, 0o600)
}

// LoadSecretFile reads a file written by WriteSecretFile. It refuses a file
// that is not passphrase-protected.
func LoadSecretFile(path string, u Unlock) (Secret, error) {
	if u.Passphrase == nil {
		return Secret{}, fmt.Errorf("%s: %w", path, ErrPassphraseRequired)
	}
	protected := false
	inner := u
	inner.Passphrase = func(p string) (Passphrase, error) { protected = true; return u.Passphrase(p) }
	plain, err := readKeyFile(path, inner)
	if err != nil {
		return Secret{}, err
	}
	if !protected {
		return Secret{}, fmt.Errorf("%s is not passphrase-protected; it cannot be a testimony secret file", path)
	}
	text, ok := strings.CutPrefix(string(plain), secretFileHeader)
	lines := keyLines([]byte(text))
	if !ok || len(lines) != 1 {
		return Secret{}, fmt.Errorf("%s is not a testimony secret file", path)
	}
	return Secret{&lines[0]}, nil
}
