// Package intake is what happens to a note between the interviewer's
// keyboard and the sealed file, shared by the command line and the desk:
// pseudonymizing the note and every string of the survey answers, and
// sealing the re-identification record to the custodians (and opening it
// again, for them).
//
// Nothing here touches the disk or the network; callers decide where the
// results go. The functions are safe for concurrent use if the Redactor is.
package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"testimony/internal/envelope"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

// ErrNotText is returned for a note that is not UTF-8 text.
var ErrNotText = errors.New("the note is not UTF-8 text: save it as UTF-8 and try again")

// ErrAnswers is returned for survey answers that are not JSON.
var ErrAnswers = errors.New("the answers are not JSON")

// ErrNoCustodians is returned when a re-identification record cannot be
// sealed because the roster names no custodian.
var ErrNoCustodians = errors.New("the roster has no custodians, so the re-identification record cannot be sealed to anyone: ask the admin to add a custodian (roster add-custodian)")

// Flag is a pseudonymizer flag and where it was raised.
type Flag struct {
	pseudonym.Flag
	// InAnswers is true for a flag raised in the survey answers; Start
	// and End then point into no text the caller holds.
	InAnswers bool
}

// Result is a pseudonymized note with its answers.
type Result struct {
	// Note is the pseudonymizer's result for the note; its Text is what
	// Pseudonymize wrote into the contents.
	Note *pseudonym.Result
	// Reids are the re-identification records, the note's first.
	Reids []pseudonym.Reid
	// Flags are all flags, the note's first.
	Flags []Flag
}

// Open returns the flags whose ID is not in accepted.
func (r *Result) Open(accepted []string) []Flag {
	var open []Flag
	for _, f := range r.Flags {
		if !slices.Contains(accepted, f.ID) {
			open = append(open, f)
		}
	}
	return open
}

// Pseudonymize replaces the declared people and places, and masks
// identifiers, in c.Note and in every string value of c.Answers (object
// keys are the form's field names and stay). It rewrites c in place; on
// error c is unchanged.
func Pseudonymize(r *pseudonym.Redactor, c *envelope.Contents) (*Result, error) {
	if !utf8.Valid(c.Note) {
		return nil, ErrNotText
	}
	res := r.Redact(string(c.Note))
	out := &Result{Note: res, Reids: []pseudonym.Reid{res.Reid}}
	for _, f := range res.Report.Flags {
		out.Flags = append(out.Flags, Flag{Flag: f})
	}
	var answers []byte
	if c.Answers != nil {
		var v any
		dec := json.NewDecoder(bytes.NewReader(c.Answers))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrAnswers, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%w: more than one JSON value", ErrAnswers)
		}
		v = walkStrings(v, func(s string) string {
			res := r.Redact(s)
			out.Reids = append(out.Reids, res.Reid)
			for _, f := range res.Report.Flags {
				out.Flags = append(out.Flags, Flag{Flag: f, InAnswers: true})
			}
			return res.Text
		})
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, err
		}
		answers = append(b, '\n')
	}
	c.Note = []byte(res.Text)
	if c.Answers != nil {
		c.Answers = answers
	}
	return out, nil
}

// walkStrings applies f to every string in a decoded JSON value.
func walkStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		for i := range t {
			t[i] = walkStrings(t[i], f)
		}
	case map[string]any:
		for k := range t {
			t[k] = walkStrings(t[k], f)
		}
	}
	return v
}

// Formats of a sealed re-identification record. SealReid writes version 2;
// OpenReid reads both.
const (
	// BundleFormat is the first format: JSON, not signed, bound to
	// nothing but the file name it travels under. OpenReid returns such
	// a record with Signed false: show it as unverified.
	BundleFormat = "testimony-reid-bundle-v1"
	// BundleFormatV2 is a signed note (golang.org/x/mod/sumdb/note) by
	// the sealing device: its text is the canonical JSON of a [Bundle]
	// naming the submission ID, the device and the organisation.
	BundleFormatV2 = "testimony-reid-bundle-v2"
)

// Bundle is the plaintext of a sealed re-identification record.
type Bundle struct {
	Format string `json:"format"`
	// ID is the submission the record belongs to, Device the enrolled
	// device that sealed and signed both, Org the roster's organisation.
	// Version 2 only.
	ID     string           `json:"id,omitempty"`
	Device string           `json:"device,omitempty"`
	Org    string           `json:"org,omitempty"`
	Parts  []pseudonym.Reid `json:"parts"`

	// Signed is set by OpenReid when the device's signature verified
	// against the roster and the record names the submission ID it was
	// opened under. A record without it (version 1) is unverified: anyone
	// holding the custodians' public keys could have made it.
	Signed bool `json:"-"`
}

// ReidBinding says which submission a re-identification record belongs to
// and which device signs it: the same ID and device key as the sealed file.
type ReidBinding struct {
	ID       string
	DeviceID string
	Device   *keys.SigningKey
}

// MaxBundleSize bounds a re-identification record when it is opened.
const MaxBundleSize = 16 << 20

// SealReid signs a re-identification record with the device key in b and
// encrypts it to the roster's custodians only, padded (PADMÉ) so that its
// size says little about how many names it holds. It returns the hex
// SHA-256 of what it wrote: give it to envelope.Options.Reid, so that the
// sealed file's signed manifest names this record.
func SealReid(w io.Writer, roster *keys.Roster, records []pseudonym.Reid, b ReidBinding) (string, error) {
	if len(roster.Custodians) == 0 {
		return "", ErrNoCustodians
	}
	if !envelope.ValidID(b.ID) || b.Device == nil {
		return "", errors.New("a re-identification record needs the submission ID and the device key that seal the testimony")
	}
	if key, ok := roster.Device(b.DeviceID); !ok || key.String() != b.Device.Verifier() {
		return "", fmt.Errorf("%w: device %q is not enrolled in roster version %d with this key", envelope.ErrUnknownDevice, b.DeviceID, roster.Version)
	}
	if records == nil {
		records = []pseudonym.Reid{}
	}
	text, err := marshalBundle(&Bundle{Format: BundleFormatV2, ID: b.ID, Device: b.DeviceID, Org: roster.Org, Parts: records})
	if err != nil {
		return "", err
	}
	signed, err := noteSign(text, b.Device)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if err := SealTo(io.MultiWriter(w, h), roster.Custodians, signed); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// noteSign signs text as a note by key.
func noteSign(text []byte, key *keys.SigningKey) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: string(text)}, key)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the re-identification record: %w", err)
	}
	return signed, nil
}

// marshalBundle is the canonical text of a bundle: indented JSON ending in
// a newline, HTML characters not escaped.
func marshalBundle(bd *Bundle) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bd); err != nil {
		return nil, fmt.Errorf("failed to encode the re-identification record: %w", err)
	}
	return buf.Bytes(), nil
}

// SealTo encrypts plain to the members' recipients, padded with spaces
// (PADMÉ) so that the size says little about the content. Used for what
// only custodians, or only reviewers, may read.
func SealTo(w io.Writer, members []keys.Member, plain []byte) error {
	if len(members) == 0 {
		return errors.New("no one to seal to")
	}
	b := plain
	if n := envelope.Padme(uint64(len(b))); n > uint64(len(b)) {
		b = append(b[:len(b):len(b)], bytes.Repeat([]byte{' '}, int(n-uint64(len(b))))...)
	}
	var rs []age.Recipient
	for _, m := range members {
		rs = append(rs, m.Recipient.Age())
	}
	aw, err := age.Encrypt(w, rs...)
	if err != nil {
		return fmt.Errorf("failed to encrypt: %w", err)
	}
	if _, err := aw.Write(b); err != nil {
		return err
	}
	return aw.Close()
}

// OpenReid decrypts a re-identification record with a custodian's identity
// and checks what binds it: for version 2, the signature of the device
// enrolled in roster and the submission ID it names, which must be id (the
// ID it is filed under). A record signed for another submission is
// envelope.ErrWrongID; by a device not in the roster, envelope.ErrUnknownDevice;
// with a signature that does not verify, envelope.ErrBadSignature. A version
// 1 record is returned with Signed false. Nothing is returned unless the
// whole file authenticates.
func OpenReid(sealed []byte, identity age.Identity, roster *keys.Roster, id string) (*Bundle, error) {
	if roster == nil || !envelope.ValidID(id) {
		return nil, errors.New("opening a re-identification record needs the verified roster and the submission ID it is filed under")
	}
	r, err := age.Decrypt(bytes.NewReader(sealed), identity)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, envelope.ErrWrongIdentity
		}
		return nil, fmt.Errorf("%w: the re-identification record: %v", envelope.ErrTampered, err)
	}
	// age releases chunks before the end is checked: read all, and use it
	// only after a clean end.
	b, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: the re-identification record: %v", envelope.ErrTampered, err)
	}
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("%w: the re-identification record is larger than %d MiB", envelope.ErrNotSealed, MaxBundleSize>>20)
	}
	return parseReid(bytes.TrimRight(b, " "), roster, id)
}

// parseReid parses and checks the plaintext of a re-identification record.
func parseReid(b []byte, roster *keys.Roster, id string) (*Bundle, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: re-identification record: %s", envelope.ErrNotSealed, fmt.Sprintf(format, args...))
	}
	var v1 Bundle
	if json.Unmarshal(b, &v1) == nil {
		// A whole JSON document: the unsigned first format.
		if v1.Format != BundleFormat || v1.ID != "" || v1.Device != "" || v1.Org != "" {
			return nil, bad("unknown format %q", v1.Format)
		}
		return &v1, nil
	}
	// A signed note: the text, a blank line, the signatures.
	i := bytes.LastIndex(b, []byte("\n\n"))
	if i < 0 {
		return nil, bad("neither JSON nor a signed record")
	}
	text := b[:i+1]
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	var bd Bundle
	if err := dec.Decode(&bd); err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case bd.Format != BundleFormatV2:
		return nil, bad("unknown format %q", bd.Format)
	case !envelope.ValidID(bd.ID):
		return nil, bad("invalid submission ID")
	case !keys.ValidDeviceID(bd.Device):
		return nil, bad("invalid device ID")
	case bd.Parts == nil:
		return nil, bad("no parts")
	}
	if canonical, err := marshalBundle(&bd); err != nil || !bytes.Equal(canonical, text) {
		return nil, bad("not in canonical form")
	}
	key, ok := roster.Device(bd.Device)
	if !ok {
		return nil, fmt.Errorf("%w: the re-identification record is signed as device %q, which is not in roster version %d", envelope.ErrUnknownDevice, bd.Device, roster.Version)
	}
	n, err := note.Open(b, note.VerifierList(key.Note()))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: the re-identification record is not signed by the key enrolled for device %q", envelope.ErrBadSignature, bd.Device)
	case len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 || n.Text != string(text):
		return nil, fmt.Errorf("%w: the re-identification record must carry exactly one signature, by device %q", envelope.ErrBadSignature, bd.Device)
	}
	if bd.ID != id {
		return nil, &envelope.WrongIDError{Filed: id, Signed: bd.ID, What: "the re-identification record"}
	}
	if bd.Org != roster.Org {
		return nil, fmt.Errorf("%w (the re-identification record was sealed for %q, your roster is for %q)", envelope.ErrRosterMismatch, bd.Org, roster.Org)
	}
	bd.Signed = true
	return &bd, nil
}
