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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"filippo.io/age"

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

// BundleFormat is the format of a sealed re-identification record.
const BundleFormat = "testimony-reid-bundle-v1"

// Bundle is the plaintext of a sealed re-identification record.
type Bundle struct {
	Format string           `json:"format"`
	Parts  []pseudonym.Reid `json:"parts"`
}

// MaxBundleSize bounds a re-identification record when it is opened.
const MaxBundleSize = 16 << 20

// SealReid encrypts a re-identification record to the roster's custodians
// only, padded (PADMÉ) so that its size says little about how many names it
// holds.
func SealReid(w io.Writer, roster *keys.Roster, records []pseudonym.Reid) error {
	if len(roster.Custodians) == 0 {
		return ErrNoCustodians
	}
	b, err := json.MarshalIndent(Bundle{BundleFormat, records}, "", "  ")
	if err != nil {
		return err
	}
	return SealTo(w, roster.Custodians, append(b, '\n'))
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

// OpenReid decrypts a re-identification record with a custodian's
// identity. Nothing is returned unless the whole file authenticates.
func OpenReid(sealed []byte, id age.Identity) (*Bundle, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, envelope.ErrWrongIdentity
		}
		return nil, fmt.Errorf("failed to open the re-identification record: %w", err)
	}
	// age releases chunks before the end is checked: read all, and use it
	// only after a clean end.
	b, err := io.ReadAll(io.LimitReader(r, MaxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("the re-identification record is damaged: %w", err)
	}
	if len(b) > MaxBundleSize {
		return nil, errors.New("the re-identification record is too large")
	}
	var bd Bundle
	if err := json.Unmarshal(bytes.TrimRight(b, " "), &bd); err != nil {
		return nil, fmt.Errorf("the re-identification record is not valid: %w", err)
	}
	if bd.Format != BundleFormat {
		return nil, fmt.Errorf("unknown re-identification record format %q", bd.Format)
	}
	return &bd, nil
}
