// Package annotation is the format of a reviewer's annotation: tags and a
// note on a testimony, shared with the organisation's other reviewers
// through the server, which stores it as opaque ciphertext.
//
// # Format 2 (testimony-annotation-v2)
//
// The plaintext is a signed note (golang.org/x/mod/sumdb/note) whose text is
// one line of canonical JSON followed by a newline:
//
//	{"format":"testimony-annotation-v2","id":ID,"submission":SUB,"tags":[…],"text":…,"day":"YYYY-MM-DD"}
//
// id is the annotation ID it is filed under on the server (PUT
// /annotations/{id}), submission the testimony it is about, day the day it
// was written. The note carries exactly one signature: the author's reviewer
// signing key ([keys.Identity.ReviewerSigner]), which the roster lists next
// to the author's age recipient. The signed note is padded with spaces to
// its PADMÉ length and encrypted with age to every reviewer of the roster
// (as intake.SealTo does).
//
// [Open] releases an annotation only when all of this holds: the whole file
// decrypts and authenticates; the JSON is canonical (the exact bytes
// [Annotation] marshals to, no unknown fields); the signature verifies
// against a reviewer signing key of the roster; the signed id is the ID the
// annotation was fetched under. Its author is the roster label of that
// signer, never what the server says. Because the submission is inside what
// was signed, an annotation cannot be moved to another testimony; callers
// show it for [Opened.Submission] only.
//
// # Format 1 (testimony-annotation-v1)
//
// Annotations written before signatures are plain JSON
// {"format":"testimony-annotation-v1","submission":…,"tags":…,"text":…,"day":…}
// sealed the same way. Anyone who can read the roster can make one, so [Open]
// returns them with Signed false and no author: callers show them as
// unverified, and may show the server's label only as the server's claim.
//
// # Attacks refused
//
// A server or a reviewer that forges an annotation (signed by a key that is
// not a reviewer's in the roster: [ErrUnknownSigner]), re-files one under
// another ID ([ErrWrongID]), or changes its submission, text, tags or day
// ([ErrBadSignature]) gets it refused. The server's author label is never
// read.
package annotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/keys"
)

// The formats.
const (
	FormatV1 = "testimony-annotation-v1"
	FormatV2 = "testimony-annotation-v2"
)

// Limits on what an annotation holds.
const (
	// MaxSize bounds the plaintext of a sealed annotation.
	MaxSize = 1 << 20
	// MaxText bounds the note's text, in bytes.
	MaxText = 16 << 10
	// MaxTags bounds the number of tags, and MaxTag the length of one.
	MaxTags = 64
	MaxTag  = 64
)

var (
	// ErrMalformed: the plaintext is not a well-formed annotation.
	ErrMalformed = errors.New("not a well-formed annotation")
	// ErrUnsupported: an annotation format this version does not know.
	ErrUnsupported = errors.New("unsupported annotation format")
	// ErrUnknownSigner: the annotation is signed, but not by a reviewer
	// signing key of the roster: forged, or by a reviewer since removed.
	ErrUnknownSigner = errors.New("the annotation is not signed by a reviewer of the roster")
	// ErrBadSignature: the signature does not verify: the annotation was
	// changed after it was signed (its submission, text, tags or day).
	ErrBadSignature = errors.New("the annotation's signature does not verify: it was changed after it was signed")
	// ErrWrongID: the annotation was signed for another ID than the one it
	// is filed under: a copy re-filed by someone else.
	ErrWrongID = errors.New("the annotation was signed under another ID than the one it is filed under")
	// ErrWrongIdentity: the annotation is not sealed to this identity.
	ErrWrongIdentity = errors.New("the annotation is not sealed to this reviewer")
)

// RefusedError is returned by [Open] for an annotation that decrypts but
// does not verify. Submission is the testimony it claims to be about, if
// that much could be read: unverified, and only good for saying where a
// refused annotation was meant to appear.
type RefusedError struct {
	Submission string
	Err        error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Annotation is the content of an annotation. Its JSON encoding, in this
// field order, is the canonical form of format 2.
type Annotation struct {
	Format     string   `json:"format"`
	ID         string   `json:"id"`
	Submission string   `json:"submission"`
	Tags       []string `json:"tags"`
	Text       string   `json:"text"`
	Day        string   `json:"day"`
}

// v1 is format 1, which had no ID.
type v1 struct {
	Format     string   `json:"format"`
	Submission string   `json:"submission"`
	Tags       []string `json:"tags"`
	Text       string   `json:"text"`
	Day        string   `json:"day"`
}

// Opened is an annotation that [Open] checked.
type Opened struct {
	Annotation
	// Signed reports that a reviewer of the roster signed it (format 2).
	// A format 1 annotation is not signed: anyone could have written it.
	Signed bool `json:"signed"`
	// Author is the roster label of the signer; empty unless Signed.
	Author string `json:"author"`
	// Signer is the signer's verifier key; empty unless Signed.
	Signer string `json:"signer"`
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidID reports whether s can be an annotation or submission ID: 32
// lowercase hex digits.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidTag reports whether s can be a tag: 1 to MaxTag bytes of UTF-8, no
// comma (tags are typed separated by commas), no space at either end, and
// no control or format characters.
func ValidTag(s string) bool {
	return s != "" && len(s) <= MaxTag && utf8.ValidString(s) && s == strings.TrimSpace(s) &&
		!strings.Contains(s, ",") && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	}) < 0
}

// check checks the fields of a format 2 annotation.
func (a *Annotation) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	switch {
	case a.Format != FormatV2:
		return fmt.Errorf("%w %q", ErrUnsupported, a.Format)
	case !ValidID(a.ID):
		return bad("the ID must be 32 lowercase hex digits")
	case !ValidID(a.Submission):
		return bad("the submission ID must be 32 lowercase hex digits")
	case !envelope.ValidDay(a.Day):
		return bad("invalid day %q", a.Day)
	case a.Tags == nil:
		return bad("no tags list")
	case len(a.Tags) > MaxTags:
		return bad("more than %d tags", MaxTags)
	case len(a.Text) > MaxText:
		return bad("the text is longer than %d bytes", MaxText)
	case !utf8.ValidString(a.Text):
		return bad("the text is not UTF-8")
	case len(a.Tags) == 0 && strings.TrimSpace(a.Text) == "":
		return bad("neither tags nor text")
	}
	for i, t := range a.Tags {
		if !ValidTag(t) {
			return bad("invalid tag %q", t)
		}
		if slices.Contains(a.Tags[:i], t) {
			return bad("tag %q is listed twice", t)
		}
	}
	return nil
}

// marshal returns the canonical JSON of a.
func (a *Annotation) marshal() ([]byte, error) {
	return json.Marshal(a)
}

// Sign returns the signed note of a (format 2): the plaintext that [Seal]
// encrypts. a.Format is set to FormatV2; a.Tags nil is taken as no tags.
func Sign(a Annotation, signer note.Signer) ([]byte, error) {
	a.Format = FormatV2
	if a.Tags == nil {
		a.Tags = []string{}
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	b, err := a.marshal()
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: string(b) + "\n"}, signer)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the annotation: %w", err)
	}
	return signed, nil
}

// Seal signs a with signer (the author's reviewer signing key) and writes it
// to w encrypted to reviewers, padded.
func Seal(w io.Writer, a Annotation, signer note.Signer, reviewers []keys.Member) error {
	signed, err := Sign(a, signer)
	if err != nil {
		return err
	}
	return intake.SealTo(w, reviewers, signed)
}

// Open decrypts sealed with identity and checks it as the package
// documentation says: id is the ID it was fetched under, roster the
// verified roster whose reviewers' signing keys are trusted. It returns a
// *RefusedError for an annotation that decrypts but does not verify.
func Open(sealed []byte, id string, identity age.Identity, roster *keys.Roster) (*Opened, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), identity)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, ErrWrongIdentity
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// age releases chunks before the end is checked: read all, and use it
	// only after a clean end.
	plain, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: damaged: %v", ErrMalformed, err)
	}
	return Parse(plain, id, roster)
}

// Parse checks the plaintext of an annotation (padding included) fetched
// under id, as [Open] does after decrypting.
func Parse(plain []byte, id string, roster *keys.Roster) (*Opened, error) {
	if len(plain) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxSize)
	}
	plain = bytes.TrimRight(plain, " ")
	first, _, _ := bytes.Cut(plain, []byte("\n"))
	var probe struct {
		Format     string `json:"format"`
		Submission string `json:"submission"`
	}
	if err := json.Unmarshal(first, &probe); err != nil {
		return nil, fmt.Errorf("%w: not JSON", ErrMalformed)
	}
	switch probe.Format {
	case FormatV1:
		return parseV1(plain, id)
	case FormatV2:
	default:
		return nil, fmt.Errorf("%w %q", ErrUnsupported, probe.Format)
	}
	refused := func(err error) error {
		claimed := ""
		if ValidID(probe.Submission) {
			claimed = probe.Submission
		}
		return &RefusedError{Submission: claimed, Err: err}
	}
	var vs []note.Verifier
	for _, m := range roster.Reviewers {
		if !m.Signer.IsZero() {
			vs = append(vs, m.Signer.Note())
		}
	}
	n, err := note.Open(plain, note.VerifierList(vs...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, refused(ErrUnknownSigner)
	case errors.As(err, &invalid):
		return nil, refused(ErrBadSignature)
	case err != nil:
		return nil, fmt.Errorf("%w: not a signed note", ErrMalformed)
	case len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0:
		return nil, refused(fmt.Errorf("%w: it must carry exactly one signature", ErrMalformed))
	}
	text := strings.TrimSuffix(n.Text, "\n")
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var a Annotation
	if err := dec.Decode(&a); err != nil {
		return nil, refused(fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	if err := a.check(); err != nil {
		return nil, refused(err)
	}
	if canonical, err := a.marshal(); err != nil || string(canonical) != text {
		return nil, refused(fmt.Errorf("%w: not in canonical form", ErrMalformed))
	}
	if a.ID != id {
		return nil, refused(ErrWrongID)
	}
	sig := n.Sigs[0]
	i := slices.IndexFunc(roster.Reviewers, func(m keys.Member) bool {
		return !m.Signer.IsZero() && m.Signer.Note().Name() == sig.Name && m.Signer.Note().KeyHash() == sig.Hash
	})
	if i < 0 { // note.Open found it among these verifiers
		return nil, refused(ErrUnknownSigner)
	}
	m := roster.Reviewers[i]
	return &Opened{Annotation: a, Signed: true, Author: m.Label, Signer: m.Signer.String()}, nil
}

// parseV1 parses an unsigned format 1 annotation. Format 1 had no ID inside;
// the ID it was filed under is taken as its ID.
func parseV1(plain []byte, id string) (*Opened, error) {
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	var a v1
	if err := dec.Decode(&a); err != nil || dec.More() {
		return nil, fmt.Errorf("%w: format 1 annotation is not JSON", ErrMalformed)
	}
	if canonical, err := json.Marshal(a); err != nil || !bytes.Equal(canonical, plain) {
		return nil, fmt.Errorf("%w: format 1 annotation is not in canonical form", ErrMalformed)
	}
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	o := &Opened{Annotation: Annotation{Format: FormatV1, ID: id, Submission: a.Submission, Tags: tags, Text: a.Text, Day: a.Day}}
	// The same rules as format 2 on the content, checked as format 2.
	check := o.Annotation
	check.Format = FormatV2
	if !ValidID(id) {
		check.ID = strings.Repeat("0", 32) // the caller's ID is not the annotation's fault
	}
	if err := check.check(); err != nil {
		return nil, err
	}
	return o, nil
}
