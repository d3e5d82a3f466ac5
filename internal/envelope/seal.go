package envelope

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/note"

	"testimony/internal/imgmeta"
	"testimony/keys"
)

// Limits on what Seal accepts in memory.
const (
	// MaxNoteSize is the largest note, in bytes.
	MaxNoteSize = 16 << 20
	// MaxAnswersSize is the largest answers file, in bytes.
	MaxAnswersSize = 16 << 20
	// MaxAttachments is the most attachments one file can hold.
	MaxAttachments = 999
)

// Contents is what a sealed testimony holds.
type Contents struct {
	// Note is the note text, UTF-8. It should already be pseudonymized.
	Note []byte
	// Answers is nil or a JSON document.
	Answers []byte
	// Attachments are sealed in order as attachments/01.ext, 02.ext, …
	Attachments []Attachment
}

// Attachment is a file to seal. Its name is not kept (names often say who is
// in a photo or a recording); only its extension is.
type Attachment struct {
	// Ext is the extension to keep, like "jpg", or "".
	Ext string
	// Size is the size of what Open returns.
	Size int64
	// Open opens the content. Seal calls it once, or twice for JPEG and
	// PNG images: once to measure the image without its metadata.
	Open func() (io.ReadCloser, error)
}

var extPattern = regexp.MustCompile(`^[a-z0-9]{1,10}$`)

// AttachmentFile returns an Attachment that reads the file at path.
func AttachmentFile(path string) (Attachment, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Attachment{}, fmt.Errorf("failed to read attachment: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Attachment{}, fmt.Errorf("attachment %s is not a regular file", path)
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	if !extPattern.MatchString(ext) {
		ext = ""
	}
	return Attachment{
		Ext:  ext,
		Size: fi.Size(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// Options are the parameters of [Seal].
type Options struct {
	// Roster is the verified roster (see keys.VerifyRoster). The file is
	// sealed to all of its reviewers.
	Roster *keys.Roster
	// Device signs the manifest. It must be the key the roster enrolls
	// under DeviceID.
	Device   *keys.SigningKey
	DeviceID string
	// Form is the form ID and version; "note/1" if empty.
	Form string
	// Day is the interview day, YYYY-MM-DD; today (local time) if empty.
	Day string
	// Language is a BCP 47 tag; "und" (undetermined) if empty.
	Language string
	// Subject is the subject's pseudonym, or empty.
	Subject string
	// ID is the submission ID, 32 lowercase hex digits from a random
	// source; Seal draws one if it is empty.
	ID string
	// Reid is the hex SHA-256 of the sealed re-identification record of
	// this testimony (sealed first, under the same ID), or empty if there
	// is none. The signed manifest carries it.
	Reid string
}

// Sealed reports what [Seal] did.
type Sealed struct {
	Manifest *Manifest
	// Attachments says, for each attachment in input order, its entry name
	// and whether image metadata was removed from it. Attachments in other
	// formats are sealed as they are; tell the person sealing.
	Attachments []SealedAttachment
	// Size is the number of bytes written to dst.
	Size int64
}

// SealedAttachment reports what happened to one attachment.
type SealedAttachment struct {
	Name     string
	Stripped bool
}

// Seal writes a sealed testimony holding c to dst, encrypted to every
// reviewer in o.Roster and signed by o.Device. It checks its inputs before
// writing anything; on a later error, dst holds a partial file that the
// caller must discard.
func Seal(dst io.Writer, c Contents, o Options) (*Sealed, error) {
	m, err := o.manifest()
	if err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	recipients := make([]age.Recipient, 0, len(o.Roster.Reviewers))
	for _, r := range o.Roster.Reviewers {
		recipients = append(recipients, r.Recipient.Age())
	}
	cw := &countingWriter{w: dst}
	aw, err := age.Encrypt(cw, recipients...)
	if err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	pw := &countingWriter{w: aw}
	tw := tar.NewWriter(pw)
	s := &Sealed{Manifest: m}
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(tarHeader(name, size)); err != nil {
			return fmt.Errorf("failed to write %s: %w", name, err)
		}
		n, sum, err := hashedCopy(tw, r)
		if err != nil {
			return fmt.Errorf("failed to seal %s: %w", name, err)
		}
		if n != size {
			return fmt.Errorf("failed to seal %s: it changed while it was being sealed (%d bytes, expected %d)", name, n, size)
		}
		m.Entries = append(m.Entries, Entry{Name: name, Size: n, SHA256: sum})
		return nil
	}
	if err := add(NoteName, int64(len(c.Note)), bytes.NewReader(c.Note)); err != nil {
		return nil, err
	}
	if c.Answers != nil {
		if err := add(AnswersName, int64(len(c.Answers)), bytes.NewReader(c.Answers)); err != nil {
			return nil, err
		}
	}
	width := max(2, len(fmt.Sprint(len(c.Attachments))))
	for i, a := range c.Attachments {
		name := fmt.Sprintf("%s%0*d", AttachmentDir, width, i+1)
		if a.Ext != "" {
			name += "." + a.Ext
		}
		stripped, err := sealAttachment(name, a, add)
		if err != nil {
			return nil, err
		}
		s.Attachments = append(s.Attachments, SealedAttachment{Name: name, Stripped: stripped})
	}
	text, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: string(text)}, o.Device)
	if err != nil {
		return nil, fmt.Errorf("failed to sign manifest: %w", err)
	}
	sig := signed[len(text)+1:]
	for _, e := range []struct {
		name string
		data []byte
	}{{ManifestName, text}, {SignatureName, sig}} {
		if err := tw.WriteHeader(tarHeader(e.name, int64(len(e.data)))); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("failed to write %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("failed to finish archive: %w", err)
	}
	if err := writeZeros(aw, int64(Padme(uint64(pw.n)))-pw.n); err != nil {
		return nil, fmt.Errorf("failed to pad: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	s.Size = cw.n
	return s, nil
}

// sealAttachment adds a, with its metadata removed if it is a JPEG or PNG
// image, and reports whether it removed metadata.
func sealAttachment(name string, a Attachment, add func(string, int64, io.Reader) error) (bool, error) {
	if a.Open == nil {
		return false, fmt.Errorf("attachment %s has nothing to read", name)
	}
	rc, err := a.Open()
	if err != nil {
		return false, fmt.Errorf("failed to read attachment %s: %w", name, err)
	}
	defer rc.Close()
	head := make([]byte, 16)
	n, err := io.ReadFull(rc, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return false, fmt.Errorf("failed to read attachment %s: %w", name, err)
	}
	src := io.MultiReader(bytes.NewReader(head[:n]), rc)
	format := imgmeta.Sniff(head[:n])
	if format == imgmeta.Unknown {
		return false, add(name, a.Size, src)
	}
	// Measure the image without its metadata, then strip it again as it
	// is sealed: a tar entry's size comes before its content, and nothing
	// of the image may be written to disk on the way.
	size, err := imgmeta.Strip(io.Discard, src, format)
	if err != nil {
		return false, fmt.Errorf("failed to remove metadata from attachment %s (%s image): %w", name, format, err)
	}
	rc2, err := a.Open()
	if err != nil {
		return false, fmt.Errorf("failed to read attachment %s: %w", name, err)
	}
	defer rc2.Close()
	pr, pw := io.Pipe()
	go func() {
		_, err := imgmeta.Strip(pw, rc2, format)
		pw.CloseWithError(err)
	}()
	err = add(name, size, pr)
	pr.CloseWithError(errors.New("sealing stopped"))
	return true, err
}

func (c *Contents) check() error {
	if len(c.Note) > MaxNoteSize {
		return fmt.Errorf("note is larger than %d MiB; put long material in an attachment", MaxNoteSize>>20)
	}
	if !utf8.Valid(c.Note) {
		return errors.New("note is not valid UTF-8 text; save it as UTF-8")
	}
	if c.Answers != nil {
		if len(c.Answers) > MaxAnswersSize {
			return fmt.Errorf("answers are larger than %d MiB", MaxAnswersSize>>20)
		}
		if !json.Valid(c.Answers) {
			return errors.New("answers are not valid JSON")
		}
	}
	if len(c.Attachments) > MaxAttachments {
		return fmt.Errorf("too many attachments (%d); at most %d fit in one file", len(c.Attachments), MaxAttachments)
	}
	return nil
}

// manifest checks o and returns a manifest with a new submission ID and no
// entries yet.
func (o *Options) manifest() (*Manifest, error) {
	r := o.Roster
	if r == nil {
		return nil, errors.New("no roster")
	}
	if len(r.Reviewers) == 0 {
		return nil, fmt.Errorf("%w: roster version %d has no reviewers; nobody could open the file", keys.ErrRosterInvalid, r.Version)
	}
	if o.Device == nil {
		return nil, errors.New("no device key")
	}
	enrolled, ok := r.Device(o.DeviceID)
	if !ok {
		return nil, fmt.Errorf("%w: device %q is not in roster version %d; ask the admin to add it (roster add-device --id %s --public-key %s)", ErrUnknownDevice, o.DeviceID, r.Version, o.DeviceID, o.Device.Verifier())
	}
	if enrolled.String() != o.Device.Verifier() {
		return nil, fmt.Errorf("%w: the roster enrolls device %q with another key than the one given", ErrUnknownDevice, o.DeviceID)
	}
	m := &Manifest{
		Format:        FormatV2,
		Form:          o.Form,
		Day:           o.Day,
		Language:      o.Language,
		Subject:       o.Subject,
		Org:           r.Org,
		RosterVersion: r.Version,
		Recipients:    recipientFingerprints(r),
		Device:        o.DeviceID,
		Reid:          o.Reid,
	}
	if m.Form == "" {
		m.Form = "note/1"
	}
	if m.Day == "" {
		m.Day = time.Now().Format(time.DateOnly)
	}
	if m.Language == "" {
		m.Language = "und"
	}
	switch {
	case !ValidForm(m.Form):
		return nil, fmt.Errorf("invalid form %q: use an ID and a version, like note/1", m.Form)
	case !ValidDay(m.Day):
		return nil, fmt.Errorf("invalid day %q: use YYYY-MM-DD, like 2026-03-14", m.Day)
	case !ValidLanguage(m.Language):
		return nil, fmt.Errorf("invalid language %q: use a language tag like ko or en", m.Language)
	case !ValidSubject(m.Subject):
		return nil, errors.New("invalid subject: use a pseudonym of at most 256 bytes of printable text")
	case m.Reid != "" && !hashPattern.MatchString(m.Reid):
		return nil, errors.New("invalid re-identification record digest: use the hex SHA-256 of the sealed record")
	case m.Reid != "" && o.ID == "":
		return nil, errors.New("a re-identification record is sealed under a submission ID: give the same ID to both")
	}
	if o.ID != "" {
		if !idPattern.MatchString(o.ID) {
			return nil, errors.New("invalid submission ID: use 32 lowercase hex digits from NewID")
		}
		m.ID = o.ID
		return m, nil
	}
	m.ID = NewID()
	return m, nil
}

// NewID returns a new random submission ID.
func NewID() string {
	var id [16]byte
	rand.Read(id[:]) // never fails (crypto/rand)
	return hex.EncodeToString(id[:])
}

// epoch is the modification time of every tar entry: the archive carries no
// times beyond the manifest's day.
var epoch = time.Unix(0, 0).UTC()

func tarHeader(name string, size int64) *tar.Header {
	h := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o644,
		ModTime:  epoch,
		Format:   tar.FormatUSTAR,
	}
	if size >= 1<<33-1 {
		h.Format = tar.FormatPAX
	}
	return h
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var zeros [64 << 10]byte

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
