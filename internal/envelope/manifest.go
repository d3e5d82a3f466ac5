package envelope

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"testimony/keys"
)

// Values of [Manifest.Format]. [Seal] writes version 2; [Open] reads both.
const (
	// FormatV1 is the first format. Its manifest has no Reid field.
	FormatV1 = "testimony-sealed-v1"
	// FormatV2 adds Reid: the digest of the re-identification record
	// sealed with the file, so that the device's signature binds the two.
	FormatV2 = "testimony-sealed-v2"
)

// Names of the fixed entries in the archive.
const (
	NoteName      = "note.md"
	AnswersName   = "answers.json"
	ManifestName  = "testimony.json"
	SignatureName = "signature"
	// AttachmentDir is the directory of attachments in the archive.
	AttachmentDir = "attachments/"
)

// Limits on what Open accepts.
const (
	maxManifestSize  = 1 << 20
	maxSignatureSize = 4 << 10
	maxEntries       = 10000
)

// Manifest describes a sealed testimony. It is signed by the device.
type Manifest struct {
	// Format is [FormatV2], or [FormatV1] for files sealed before it.
	Format string `json:"format"`
	// ID is the submission ID: 128 random bits as 32 lowercase hex digits.
	// It is signed: a file is opened only under the ID it was sealed
	// with (see [OpenOptions.ID]).
	ID string `json:"id"`
	// Form is the form ID and version, like "note/1".
	Form string `json:"form"`
	// Day is the day of the interview, YYYY-MM-DD. Times are not kept.
	Day string `json:"day"`
	// Language is the BCP 47 tag of the note's language ("ko", "en", "und").
	Language string `json:"language"`
	// Subject is the pseudonym of the person interviewed, if known.
	Subject string `json:"subject,omitempty"`
	// Org, RosterVersion and Recipients bind the file to the roster it was
	// sealed under: the organisation, the roster version and the sorted hex
	// SHA-256 fingerprints of the reviewers' age recipients.
	Org           string   `json:"org"`
	RosterVersion uint64   `json:"roster_version"`
	Recipients    []string `json:"recipients"`
	// Device is the ID of the enrolled device that sealed and signed.
	Device string `json:"device"`
	// Entries lists every content entry of the archive, in archive order.
	Entries []Entry `json:"entries"`
	// Reid is the hex SHA-256 of the sealed re-identification record
	// (<id>.reid.age) sealed with this file, or empty if there is none.
	// The server's log commits to the same digest, so a reviewer can
	// check that the record the custodians hold is the one the device
	// sealed. Version 2 only.
	Reid string `json:"reid,omitempty"`
}

// Entry is a content entry of the archive.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

var (
	idPattern         = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hashPattern       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	formPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}/[0-9]{1,10}$`)
	languagePattern   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$`)
	attachmentPattern = regexp.MustCompile(`^attachments/[0-9]{2,5}(\.[a-z0-9]{1,10})?$`)
)

// ValidID reports whether s is a submission ID: 32 lowercase hex digits.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidForm reports whether s is a form ID and version like "note/1".
func ValidForm(s string) bool { return formPattern.MatchString(s) }

// ValidLanguage reports whether s is a plain BCP 47 tag like "ko" or "en-GB".
func ValidLanguage(s string) bool { return languagePattern.MatchString(s) }

// ValidDay reports whether s is a calendar day written YYYY-MM-DD.
func ValidDay(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// ValidSubject reports whether s can be a subject pseudonym: empty, or at
// most 256 bytes of printable text.
func ValidSubject(s string) bool {
	return len(s) <= 256 && (s == "" || validText(s))
}

// Marshal returns the canonical encoding of m: indented JSON ending in a
// newline. This is the text the device signs.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("failed to encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest parses and checks a manifest. It accepts only the canonical
// encoding that [Manifest.Marshal] produces, so a manifest has exactly one
// byte form.
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifestSize {
		return nil, fmt.Errorf("%w: manifest is larger than %d bytes", ErrNotSealed, maxManifestSize)
	}
	var probe struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: manifest is not JSON: %v", ErrNotSealed, err)
	}
	if probe.Format != FormatV1 && probe.Format != FormatV2 {
		return nil, fmt.Errorf("%w (format %q)", ErrUnsupported, probe.Format)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrNotSealed, err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	canonical, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canonical, b) {
		return nil, fmt.Errorf("%w: manifest is not in canonical form", ErrNotSealed)
	}
	return &m, nil
}

func (m *Manifest) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: manifest: %s", ErrNotSealed, fmt.Sprintf(format, args...))
	}
	switch {
	case m.Format != FormatV1 && m.Format != FormatV2:
		return fmt.Errorf("%w (format %q)", ErrUnsupported, m.Format)
	case m.Format == FormatV1 && m.Reid != "":
		return bad("a version 1 manifest has no reid field")
	case m.Reid != "" && !hashPattern.MatchString(m.Reid):
		return bad("reid must be a hex SHA-256")
	case !idPattern.MatchString(m.ID):
		return bad("submission ID must be 32 lowercase hex digits")
	case !ValidForm(m.Form):
		return bad("invalid form %q", m.Form)
	case !ValidDay(m.Day):
		return bad("invalid day %q", m.Day)
	case !ValidLanguage(m.Language):
		return bad("invalid language %q", m.Language)
	case !ValidSubject(m.Subject):
		return bad("invalid subject")
	case !validText(m.Org):
		return bad("invalid organisation")
	case m.RosterVersion == 0:
		return bad("roster version must be at least 1")
	case len(m.Recipients) == 0:
		return bad("no recipients")
	case !keys.ValidDeviceID(m.Device):
		return bad("invalid device ID %q", m.Device)
	case len(m.Entries) == 0 || len(m.Entries) > maxEntries:
		return bad("must list between 1 and %d entries", maxEntries)
	}
	for i, r := range m.Recipients {
		if !hashPattern.MatchString(r) {
			return bad("recipient fingerprint %d is not a hex SHA-256", i+1)
		}
		if i > 0 && m.Recipients[i-1] >= r {
			return bad("recipient fingerprints are not sorted and unique")
		}
	}
	seen := map[string]bool{}
	for i, e := range m.Entries {
		if !validEntryName(e.Name) {
			return bad("invalid entry name %q", e.Name)
		}
		if seen[e.Name] {
			return bad("entry %q is listed twice", e.Name)
		}
		seen[e.Name] = true
		if e.Size < 0 {
			return bad("entry %q has a negative size", e.Name)
		}
		if !hashPattern.MatchString(e.SHA256) {
			return bad("entry %q has an invalid SHA-256", e.Name)
		}
		if (e.Name == NoteName) != (i == 0) {
			return bad("the first entry must be %s", NoteName)
		}
	}
	return nil
}

// validEntryName reports whether name may be a content entry.
func validEntryName(name string) bool {
	return name == NoteName || name == AnswersName || attachmentPattern.MatchString(name)
}

// recipientFingerprints returns the sorted fingerprints of the roster's
// reviewers.
func recipientFingerprints(r *keys.Roster) []string {
	fps := make([]string, 0, len(r.Reviewers))
	for _, m := range r.Reviewers {
		fps = append(fps, m.Recipient.Fingerprint())
	}
	slices.Sort(fps)
	return fps
}
