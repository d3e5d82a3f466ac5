package keys

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"filippo.io/age"

	"testimony/internal/durable"
)

// Kind is the kind of an age key pair.
type Kind int

const (
	// Hybrid is the post-quantum ML-KEM-768 + X25519 key pair (age1pq1…,
	// stanza type mlkem768x25519). It is the default.
	Hybrid Kind = iota + 1
	// Classic is the X25519 key pair (age1…, stanza type X25519), for
	// organisations that need stock age older than v1.3.
	Classic
)

func (k Kind) String() string {
	switch k {
	case Hybrid:
		return "post-quantum hybrid (ML-KEM-768 + X25519)"
	case Classic:
		return "classic X25519"
	}
	return "unknown"
}

// StanzaType is the type of the age header stanza that wraps a file key for a
// recipient of this kind.
func (k Kind) StanzaType() string {
	switch k {
	case Hybrid:
		return "mlkem768x25519"
	case Classic:
		return "X25519"
	}
	return ""
}

// Recipient is an age public key of a reviewer or a custodian.
type Recipient struct {
	s    string
	kind Kind
	r    age.Recipient
}

// ParseRecipient parses an age1pq1… (hybrid) or age1… (X25519) recipient. It
// rejects every other kind (passphrases, SSH keys, plugins).
func ParseRecipient(s string) (Recipient, error) {
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return Recipient{}, fmt.Errorf("invalid post-quantum recipient: %w", err)
		}
		return Recipient{s: s, kind: Hybrid, r: r}, nil
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			return Recipient{}, fmt.Errorf("invalid X25519 recipient: %w", err)
		}
		return Recipient{s: s, kind: Classic, r: r}, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY"):
		return Recipient{}, errors.New("this is a secret key, not a recipient; give the public key (age1…) that keygen printed")
	}
	return Recipient{}, errors.New("not an age recipient: expected age1pq1… (post-quantum) or age1… (X25519)")
}

// String returns the recipient in its standard encoding.
func (r Recipient) String() string { return r.s }

// Kind returns the kind of the recipient.
func (r Recipient) Kind() Kind { return r.kind }

// Age returns the recipient for age.Encrypt.
func (r Recipient) Age() age.Recipient { return r.r }

// Fingerprint returns the hex SHA-256 of the recipient's standard encoding.
// Sealed manifests name their recipients by fingerprint.
func (r Recipient) Fingerprint() string { return Fingerprint(r.s) }

// Fingerprint returns the hex SHA-256 of s.
func Fingerprint(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Identity is a reviewer's or custodian's age identity (private key). It
// implements age.Identity, so it can be passed to age.Decrypt without its
// secret leaving this package, and prints as "**redacted**".
type Identity struct {
	id        age.Identity
	recipient Recipient
}

var _ age.Identity = (*Identity)(nil)

// GenerateIdentity returns a new identity of the given kind.
func GenerateIdentity(kind Kind) (*Identity, error) {
	switch kind {
	case Hybrid:
		id, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, fmt.Errorf("failed to generate key: %w", err)
		}
		return newIdentity(id, id.Recipient().String())
	case Classic:
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("failed to generate key: %w", err)
		}
		return newIdentity(id, id.Recipient().String())
	}
	return nil, fmt.Errorf("unknown key kind %d", kind)
}

func newIdentity(id age.Identity, recipient string) (*Identity, error) {
	r, err := ParseRecipient(recipient)
	if err != nil {
		return nil, err
	}
	return &Identity{id: id, recipient: r}, nil
}

// Unwrap implements age.Identity.
func (i *Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) { return i.id.Unwrap(stanzas) }

// Recipient returns the public key that belongs to the identity.
func (i *Identity) Recipient() Recipient { return i.recipient }

// String returns "**redacted**".
func (*Identity) String() string { return redacted }

// GoString returns "**redacted**".
func (*Identity) GoString() string { return redacted }

// LogValue returns "**redacted**".
func (*Identity) LogValue() slog.Value { return slog.StringValue(redacted) }

// Format prints "**redacted**" for every verb.
func (*Identity) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// secret returns the secret key encoding. It must never leave this package.
func (i *Identity) secret() string {
	switch id := i.id.(type) {
	case *age.HybridIdentity:
		return id.String()
	case *age.X25519Identity:
		return id.String()
	}
	panic("keys: unexpected identity type")
}

// reviewerSignerInfo is the HKDF info string of [Identity.ReviewerSigner].
// Changing it changes every reviewer's signing key: it is frozen.
const reviewerSignerInfo = "testimony reviewer signing key v1"

// ReviewerSigner returns the reviewer's ed25519 signing key, derived from the
// identity: HKDF-SHA256 with the identity's secret key encoding
// (AGE-SECRET-KEY-…) as input keying material, no salt, and the info string
// "testimony reviewer signing key v1" gives the 32-byte ed25519 seed. The
// key is named [ReviewerSignerName] of the identity's recipient.
//
// The same identity always gives the same key, so a reviewer keeps no second
// key file; whoever holds the identity can sign as the reviewer, and nobody
// else can. HKDF keeps the two uses apart: the signing key reveals nothing
// about the age key.
func (i *Identity) ReviewerSigner() (*SigningKey, error) {
	seed, err := hkdf.Key(sha256.New, []byte(i.secret()), nil, reviewerSignerInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("failed to derive the reviewer signing key: %w", err)
	}
	defer clear(seed)
	return signingKeyFromSeed(ReviewerSignerName(i.recipient), seed)
}

// ReviewerSignerName is the key name of the reviewer signing key that belongs
// to recipient: "reviewer-" and the first 16 hex digits of the recipient's
// fingerprint. A version 2 roster lists a reviewer's signer only under this
// name, so a signer pasted next to the wrong reviewer is refused.
func ReviewerSignerName(recipient Recipient) string {
	return "reviewer-" + recipient.Fingerprint()[:16]
}

// WriteIdentityFile writes id to a new file at path, mode 0600, protected by
// pass unless pass is nil. The plain form is a standard age identity file;
// the protected form is that file encrypted to the passphrase (armored), which
// stock `age -d -i` accepts after asking for the passphrase.
func WriteIdentityFile(path string, id *Identity, pass *Passphrase) error {
	plain := fmt.Sprintf("# testimony identity (%s)\n# public key: %s\n%s\n", id.recipient.Kind(), id.recipient, id.secret())
	data, err := protect([]byte(plain), pass)
	if err != nil {
		return err
	}
	return durable.WriteNew(path, data, 0o600)
}

// LoadIdentity reads the identity file at path. The file must hold exactly
// one hybrid or X25519 identity.
func LoadIdentity(path string, u Unlock) (*Identity, error) {
	plain, err := readKeyFile(path, u)
	if err != nil {
		return nil, err
	}
	lines := keyLines(plain)
	if len(lines) != 1 {
		return nil, fmt.Errorf("%s is not a testimony identity file: expected exactly one AGE-SECRET-KEY line, found %d key lines", path, len(lines))
	}
	ids, err := age.ParseIdentities(strings.NewReader(lines[0] + "\n"))
	if err != nil {
		if strings.HasPrefix(lines[0], "PRIVATE+KEY+") {
			return nil, fmt.Errorf("%s is a signing key, not an age identity", path)
		}
		return nil, fmt.Errorf("%s is not a testimony identity file: %w", path, err)
	}
	switch id := ids[0].(type) {
	case *age.HybridIdentity:
		return newIdentity(id, id.Recipient().String())
	case *age.X25519Identity:
		return newIdentity(id, id.Recipient().String())
	}
	return nil, fmt.Errorf("%s holds an unsupported identity type", path)
}
