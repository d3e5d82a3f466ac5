package keys

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// A device key's fingerprint is what a person reads over the phone or in
// person so that the admin signs into the roster the key the laptop made
// and not one a server or a network put in its place: the first 100 bits of
// the SHA-256 of the key (its algorithm byte and ed25519 public key, the
// bytes the base64 part of the verifier encodes), in RFC 4648 base32 (A–Z
// and 2–7: no 0/O or 1/I to confuse), as five groups of four:
//
//	KXQ4-7HBA-M2ZC-PNE5-RW3T
//
// The name in the verifier key is not part of it: two verifiers with one
// key have one fingerprint. With stock tools:
//
//	cut -d+ -f3- laptop-1.pub | base64 -d | sha256sum | cut -c1-26 | tr a-f A-F | basenc --base16 -d | base32 | cut -c1-20
//
// 100 bits keep a second key with the same fingerprint out of reach: it
// would take about 2^100 key generations.
const fingerprintChars = 20

// ErrFingerprint is returned (wrapped) when a fingerprint typed by a person
// is not the fingerprint of the key it is checked against.
var ErrFingerprint = errors.New("the fingerprint does not match the key")

var fingerprintEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Fingerprint returns the key's fingerprint, like "KXQ4-7HBA-M2ZC-PNE5-RW3T",
// for a person to compare with what the device printed.
func (v Verifier) Fingerprint() string {
	h := sha256.Sum256([]byte(v.publicKey()))
	s := fingerprintEncoding.EncodeToString(h[:])[:fingerprintChars]
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String()
}

// SameKey reports whether v and o are the same public key, whatever names
// they carry. A device is the key, not the name in its verifier string.
func (v Verifier) SameKey(o Verifier) bool {
	return !v.IsZero() && !o.IsZero() && v.publicKey() == o.publicKey()
}

// CheckFingerprint checks a fingerprint typed by a person against v. Case,
// spaces and dashes do not matter. A fingerprint that is not 20 base32
// characters is refused as malformed; one that is but names another key
// wraps [ErrFingerprint].
func (v Verifier) CheckFingerprint(typed string) error {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, typed)
	if len(norm) != fingerprintChars || strings.Trim(norm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return fmt.Errorf("malformed fingerprint %q: expected 5 groups of 4 letters and digits 2-7, like KXQ4-7HBA-M2ZC-PNE5-RW3T", typed)
	}
	if norm != strings.ReplaceAll(v.Fingerprint(), "-", "") {
		// The key's own fingerprint is not shown: a person who saw it might
		// take the mismatch for a typo and copy it.
		return fmt.Errorf("%w %s: do not sign; read the fingerprint again from the device itself", ErrFingerprint, v.Note().Name())
	}
	return nil
}
