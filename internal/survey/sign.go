package survey

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

// MaxSignedSize is the largest signed form, in bytes.
const MaxSignedSize = 4 << 20

// ErrForm is wrapped by every error about a published form that does not
// verify: unsigned, signed by another key, changed, for another
// organisation, or malformed.
var ErrForm = errors.New("the form was refused")

// Published is a published form whose signature verified.
type Published struct {
	// Org is the organisation the admin published it for.
	Org string
	// Form is the form.
	Form *Form
	// Digest is the hex SHA-256 of the form's canonical encoding: what
	// every answer set to it names.
	Digest string
	// Signed is the signed note, as published.
	Signed []byte
}

const orgPrefix = "org "

// Sign checks f and returns it as a note signed by admin for the
// organisation org. The note's text is the line FormFormat, the line
// "org ORG", then the form's canonical encoding.
func Sign(f *Form, org string, admin note.Signer) ([]byte, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	if org == "" || strings.ContainsAny(org, "\n\r") {
		return nil, errors.New("the organisation's name is empty or has a line break")
	}
	body, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	text := FormFormat + "\n" + orgPrefix + org + "\n" + string(body)
	signed, err := note.Sign(&note.Note{Text: text}, admin)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the form: %w", err)
	}
	return signed, nil
}

// Verify checks that signed is a form signed by admin for the organisation
// org, and returns it. The form must be in its canonical encoding and pass
// [Form.Check]: a server cannot change a question, a choice or a rule
// without the signature failing.
func Verify(signed []byte, admin keys.Verifier, org string) (*Published, error) {
	if len(signed) > MaxSignedSize {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrForm, MaxSignedSize>>20)
	}
	if admin.IsZero() {
		return nil, errors.New("no admin key to verify the form with")
	}
	n, err := note.Open(signed, note.VerifierList(admin.Note()))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, fmt.Errorf("%w: it is not signed by the organisation's admin key", ErrForm)
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("%w: it was changed after it was signed", ErrForm)
	case err != nil:
		return nil, fmt.Errorf("%w: not a signed form", ErrForm)
	}
	header, rest, _ := strings.Cut(n.Text, "\n")
	orgLine, body, _ := strings.Cut(rest, "\n")
	if header != FormFormat {
		return nil, fmt.Errorf("%w: unknown format %q", ErrForm, header)
	}
	got, ok := strings.CutPrefix(orgLine, orgPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: no organisation line", ErrForm)
	}
	if got != org {
		return nil, fmt.Errorf("%w: it was published for %q, not for %q", ErrForm, got, org)
	}
	f, err := ParseForm([]byte(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForm, err)
	}
	sum := sha256.Sum256([]byte(body))
	return &Published{Org: org, Form: f, Digest: hex.EncodeToString(sum[:]), Signed: signed}, nil
}

// ParseForm parses a form's canonical encoding and checks it. It accepts
// only the canonical encoding, so that a form has one digest.
func ParseForm(b []byte) (*Form, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Form
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("the form is not a form's JSON: %v", err)
	}
	if f.Format != FormFormat {
		return nil, fmt.Errorf("unknown form format %q", f.Format)
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	canonical, err := f.Marshal()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canonical, b) {
		return nil, errors.New("the form is not in its canonical encoding")
	}
	return &f, nil
}
