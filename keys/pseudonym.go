package keys

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"

	"testimony/internal/durable"
)

// pseudonymKeyPrefix starts the one line of a pseudonym key file.
const pseudonymKeyPrefix = "TESTIMONY-PSEUDONYM-KEY-1-"

// PseudonymKey is the organisation's 256-bit pseudonym key. It picks each
// person's pseudonym by HMAC-SHA256, so the same person gets the same
// pseudonym in every note of the organisation, and nobody without the key
// can test a guessed real name against a pseudonym. It lives on desks,
// never on the server. It prints as "**redacted**".
type PseudonymKey struct {
	// k is behind a pointer so that fmt, printing a struct that holds a
	// PseudonymKey by reflection, shows an address and never the key.
	k *[32]byte
}

// GeneratePseudonymKey returns a new random pseudonym key.
func GeneratePseudonymKey() (*PseudonymKey, error) {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("failed to generate pseudonym key: %w", err)
	}
	return &PseudonymKey{k: &k}, nil
}

// MAC returns HMAC-SHA256 of msg under the key.
func (p *PseudonymKey) MAC(msg []byte) [32]byte {
	m := hmac.New(sha256.New, p.k[:])
	m.Write(msg)
	return [32]byte(m.Sum(nil))
}

func (*PseudonymKey) String() string             { return redacted }
func (*PseudonymKey) GoString() string           { return redacted }
func (*PseudonymKey) LogValue() slog.Value       { return slog.StringValue(redacted) }
func (*PseudonymKey) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// WritePseudonymKeyFile writes k to a new file at path (mode 0600),
// encrypted with pass unless pass is nil.
func WritePseudonymKeyFile(path string, k *PseudonymKey, pass *Passphrase) error {
	data, err := MarshalPseudonymKey(k, pass)
	if err != nil {
		return err
	}
	return durable.WriteNew(path, data, 0o600)
}

// MarshalPseudonymKey returns the contents of a pseudonym key file holding
// k, encrypted with pass unless pass is nil: what [WritePseudonymKeyFile]
// writes, for a key carried inside another file (a desk invitation).
func MarshalPseudonymKey(k *PseudonymKey, pass *Passphrase) ([]byte, error) {
	plain := "# testimony pseudonym key: it picks pseudonyms; keep it on desks, never on the server\n" +
		pseudonymKeyPrefix + base64.RawURLEncoding.EncodeToString(k.k[:]) + "\n"
	return protect([]byte(plain), pass)
}

// LoadPseudonymKey reads the pseudonym key file at path.
func LoadPseudonymKey(path string, u Unlock) (*PseudonymKey, error) {
	plain, err := readKeyFile(path, u)
	if err != nil {
		return nil, err
	}
	return parsePseudonymKey(path, plain)
}

// ParsePseudonymKey reads the contents of a pseudonym key file, as
// [MarshalPseudonymKey] returns them; name names them in errors. A wrong
// passphrase is [ErrWrongPassphrase].
func ParsePseudonymKey(name string, data []byte, u Unlock) (*PseudonymKey, error) {
	plain, err := openKeyData(name, data, u)
	if err != nil {
		return nil, err
	}
	return parsePseudonymKey(name, plain)
}

func parsePseudonymKey(path string, plain []byte) (*PseudonymKey, error) {
	lines := keyLines(plain)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], pseudonymKeyPrefix) {
		return nil, fmt.Errorf("%s is not a testimony pseudonym key file (make one with: testimony keygen --pseudonym)", path)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(lines[0], pseudonymKeyPrefix))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%s: malformed pseudonym key", path)
	}
	k := [32]byte(b)
	return &PseudonymKey{k: &k}, nil
}
