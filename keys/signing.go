package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/durable"
)

// SigningKey is an ed25519 signing key for an admin or a device, in the
// golang.org/x/mod/sumdb/note encoding. It implements note.Signer and prints
// as "**redacted**".
type SigningKey struct {
	// skey is behind a pointer to a string so that fmt, printing a struct
	// that holds a SigningKey (or a *SigningKey) by reflection, shows an
	// address and never the key. See [Passphrase].
	skey     *string
	signer   note.Signer
	verifier string
}

var _ note.Signer = (*SigningKey)(nil)

// ValidKeyName reports whether name can name a signing key: non-empty, at
// most 64 bytes of UTF-8, no spaces and no '+'.
func ValidKeyName(name string) bool {
	return name != "" && len(name) <= 64 && utf8.ValidString(name) &&
		strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0 &&
		!strings.Contains(name, "+")
}

// GenerateSigningKey returns a new ed25519 signing key named name.
func GenerateSigningKey(name string) (*SigningKey, error) {
	if !ValidKeyName(name) {
		return nil, fmt.Errorf("invalid key name %q: use letters, digits, '.', '-' or '_', without spaces or '+'", name)
	}
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, fmt.Errorf("failed to generate signing key: %w", err)
	}
	return newSigningKey(skey)
}

// signingKeyFromSeed returns the signing key named name whose ed25519 seed is
// seed, through the note private key encoding
// "PRIVATE+KEY+name+hash+base64(0x01 || seed)" that note.NewSigner takes.
func signingKeyFromSeed(name string, seed []byte) (*SigningKey, error) {
	if !ValidKeyName(name) || len(seed) != ed25519.SeedSize {
		return nil, errors.New("invalid key name or seed")
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("failed to make the verifier key: %w", err)
	}
	// vkey is name+hash+key; the hash is the same in the private encoding.
	_, rest, _ := strings.Cut(vkey, "+")
	hash, _, _ := strings.Cut(rest, "+")
	skey := "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
	k, err := newSigningKey(skey)
	if err != nil {
		return nil, err
	}
	if k.verifier != vkey {
		return nil, errors.New("derived signing key does not match its verifier")
	}
	return k, nil
}

func newSigningKey(skey string) (*SigningKey, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, errors.New("malformed signing key")
	}
	// note.NewSigner does not derive the verifier; rebuild it from the
	// public half of the ed25519 key.
	v, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	return &SigningKey{skey: &skey, signer: s, verifier: v}, nil
}

// Name implements note.Signer.
func (k *SigningKey) Name() string { return k.signer.Name() }

// KeyHash implements note.Signer.
func (k *SigningKey) KeyHash() uint32 { return k.signer.KeyHash() }

// Sign implements note.Signer.
func (k *SigningKey) Sign(msg []byte) ([]byte, error) { return k.signer.Sign(msg) }

// Verifier returns the public verifier key ("name+hash+key"), which is what
// --admin-pub and roster add-device --public-key take.
func (k *SigningKey) Verifier() string { return k.verifier }

// String returns "**redacted**".
func (*SigningKey) String() string { return redacted }

// GoString returns "**redacted**".
func (*SigningKey) GoString() string { return redacted }

// LogValue returns "**redacted**".
func (*SigningKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints "**redacted**" for every verb.
func (*SigningKey) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// WriteSigningKeyFile writes k to a new file at path, mode 0600, protected by
// pass unless pass is nil.
func WriteSigningKeyFile(path string, k *SigningKey, pass *Passphrase) error {
	plain := fmt.Sprintf("# testimony signing key (ed25519, signed-note format)\n# verifier: %s\n%s\n", k.verifier, *k.skey)
	data, err := protect([]byte(plain), pass)
	if err != nil {
		return err
	}
	return durable.WriteNew(path, data, 0o600)
}

// LoadSigningKey reads the signing key file at path.
func LoadSigningKey(path string, u Unlock) (*SigningKey, error) {
	plain, err := readKeyFile(path, u)
	if err != nil {
		return nil, err
	}
	lines := keyLines(plain)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "PRIVATE+KEY+") {
		if len(lines) == 1 && strings.HasPrefix(lines[0], "AGE-SECRET-KEY") {
			return nil, fmt.Errorf("%s is an age identity, not a signing key", path)
		}
		return nil, fmt.Errorf("%s is not a testimony signing key file", path)
	}
	k, err := newSigningKey(lines[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Verifier is a public ed25519 verifier key in the signed-note encoding.
type Verifier struct {
	s string
	v note.Verifier
}

// ParseVerifier parses a verifier key as printed by keygen --signing.
func ParseVerifier(s string) (Verifier, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "PRIVATE+KEY+") {
		return Verifier{}, errors.New("this is a private signing key; give the public verifier key that keygen --signing printed")
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return Verifier{}, fmt.Errorf("malformed verifier key (expected name+hash+key as printed by keygen --signing): %w", err)
	}
	// note.NewVerifier also takes an upper-case hash and line breaks inside
	// the key. Take only the canonical spelling: it is what a roster lists
	// and signs, and note.Open refuses a carriage return.
	out := Verifier{s: s, v: v}
	if canonical, err := note.NewEd25519VerifierKey(v.Name(), ed25519.PublicKey(out.publicKey()[1:])); err != nil || canonical != s {
		return Verifier{}, errors.New("malformed verifier key (not in canonical form: expected name+hash+key as printed by keygen --signing)")
	}
	return out, nil
}

// String returns the verifier key encoding.
func (v Verifier) String() string { return v.s }

// Note returns the note.Verifier.
func (v Verifier) Note() note.Verifier { return v.v }

// publicKey returns the algorithm byte and public key that v encodes,
// whatever key name it carries.
func (v Verifier) publicKey() string {
	_, rest, _ := strings.Cut(v.s, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, _ := base64.StdEncoding.DecodeString(key64) // note.NewVerifier decoded it already
	return string(key)
}

// IsZero reports whether v is the zero Verifier.
func (v Verifier) IsZero() bool { return v.v == nil }

// verifierKey derives the verifier key from a note private key that
// note.NewSigner has already accepted.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("malformed signing key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("malformed signing key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	v, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return "", fmt.Errorf("malformed signing key: %w", err)
	}
	return v, nil
}
