// Package backup writes, checks and restores backups of a testimony
// server: a directory that holds the server's metadata store record by
// record, every ciphertext blob the records refer to, and a manifest that
// the server's log key signs. A backup proves itself: anyone holding it and
// the admin's verifier key can check, without the server, that its log is
// the one the server's checkpoints describe, that every submission and
// lookup is the one its leaf records, and that every file is there with
// its digest.
//
// # Format (testimony-backup-v2)
//
// A backup is a directory:
//
//	backup.json   the manifest (below)
//	meta.jsonl    the store's snapshot: one JSON object per line
//	blobs/<key>   every blob a record refers to, under its blob key
//
// The first line of meta.jsonl is {"format":"testimony-backup-v2"}. Every
// other line is one record of the store's snapshot ([store.Snapshotter]),
// in the snapshot's order, as an object with exactly one member naming its
// kind: config, token, enrollment, leaf, submission, annotation, lookup,
// form. A form is the signed note the admin published, in "body"; its
// "sha256" is the form's digest (of its canonical encoding, as answer sets
// name it), not the note's.
// Digests and hashes are lowercase hex; bodies, leaves and the roster are
// standard base64; an absent "body" means the blob store holds the file.
// The members of each kind are those of the wire types in this file, and
// nothing else is accepted. Blob keys are a submission's ID (its sealed
// file, when not inline), "<id>.reid" (its re-identification record) and
// "<id>.ann" (an annotation not inline).
//
// backup.json gives the format, the day the backup was made, the size and
// SHA-256 of meta.jsonl, counts, the log's size and root with a checkpoint
// for them signed by the server's log key, and a statement signed by the
// same key (a signed note, golang.org/x/mod/sumdb/note):
//
//	testimony backup v1
//	<log origin: the log key's name>
//	<log size>
//	<root hash, standard base64>
//	meta.jsonl <SHA-256 of meta.jsonl, lowercase hex> <its size>
//
// Its first line keeps it from ever reading as a checkpoint (whose first
// line is the key's name), so the log key signs it without a client being
// able to take it for one. Through meta.jsonl's digest the statement covers
// every record, and through the records every blob's digest.
//
// # Trust
//
// [Verify] trusts nothing in the backup until it is tied to the admin key:
// the roster in the config record must be signed by the admin key the
// backup pins (and by the one the caller gives, if any); the log key it
// names must have signed the checkpoint and the statement. A backup forged
// whole, with an admin key of its own, passes unless the caller gives the
// real admin key: give it.
//
// A backup holds no secret: tokens and enrollment codes are there only as
// SHA-256 hashes, testimony only as ciphertext. The log key is not in it;
// the admin keeps a copy of the server's log key file apart, as they keep
// the admin key, and restore takes it.
//
// # Backwards compatibility
//
// The format is versioned by its name; a reader refuses any other. Version
// 2 added form records (and "forms" to the manifest's counts); this
// package still reads testimony-backup-v1, which has none. backup.json and
// meta.jsonl must name the same version. The statement's first line stays
// "testimony backup v1": the statement itself did not change. A later
// version gets a new name, and this package will go on reading the older
// ones.
package backup

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/store"
)

// Format is the name of the format this package writes; it reads it and
// FormatV1.
const Format = "testimony-backup-v2"

// FormatV1 is the format before forms were published: the same without
// form records.
const FormatV1 = "testimony-backup-v1"

// knownFormat reports whether this package reads format f.
func knownFormat(f string) bool { return f == Format || f == FormatV1 }

// The files of a backup.
const (
	ManifestFile = "backup.json"
	MetaFile     = "meta.jsonl"
	BlobDir      = "blobs"
)

// ErrFormat is wrapped by every error about a backup's files not being in
// the format.
var ErrFormat = errors.New("not in the backup format")

// maxLine bounds a line of meta.jsonl: the largest is a form (at most
// store.MaxFormSize, a third more in base64), a record with an inline body
// (64 KiB) or the roster.
const maxLine = store.MaxFormSize/3*4 + 1<<20

// header is meta.jsonl's first line.
type header struct {
	Format string `json:"format"`
}

type wireRecord struct {
	Config     *wireConfig     `json:"config,omitempty"`
	Token      *wireToken      `json:"token,omitempty"`
	Enrollment *wireEnrollment `json:"enrollment,omitempty"`
	Leaf       *wireLeaf       `json:"leaf,omitempty"`
	Submission *wireSubmission `json:"submission,omitempty"`
	Annotation *wireAnnotation `json:"annotation,omitempty"`
	Lookup     *wireLookup     `json:"lookup,omitempty"`
	Form       *wireForm       `json:"form,omitempty"`
}

type wireConfig struct {
	AdminPub      string `json:"admin_pub"`
	RosterVersion uint64 `json:"roster_version"`
	Roster        []byte `json:"roster"`
}

type wireToken struct {
	ID           string `json:"id"`
	Role         string `json:"role"`
	Label        string `json:"label"`
	Device       string `json:"device"`
	DevicePub    string `json:"device_pub"`
	Created      string `json:"created"`
	Revoked      bool   `json:"revoked"`
	SecretSHA256 string `json:"secret_sha256"`
}

type wireEnrollment struct {
	CodeSHA256 string `json:"code_sha256"`
	Role       string `json:"role"`
	Label      string `json:"label"`
	Device     string `json:"device"`
	Expires    int64  `json:"expires"` // unix seconds
	TokenID    string `json:"token_id,omitempty"`
}

type wireLeaf struct {
	Index int64  `json:"index"`
	Data  []byte `json:"data"`
}

type wireFile struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type wireSubmission struct {
	Seq    int64     `json:"seq"`
	ID     string    `json:"id"`
	SHA256 string    `json:"sha256"`
	Size   int64     `json:"size"`
	Reid   *wireFile `json:"reid,omitempty"`
	Device string    `json:"device"`
	Day    string    `json:"day"`
	Leaf   int64     `json:"leaf"`
	Body   *[]byte   `json:"body,omitempty"`
}

type wireAnnotation struct {
	Seq    int64   `json:"seq"`
	ID     string  `json:"id"`
	SHA256 string  `json:"sha256"`
	Size   int64   `json:"size"`
	Author string  `json:"author"`
	Day    string  `json:"day"`
	Body   *[]byte `json:"body,omitempty"`
}

type wireLookup struct {
	Seq        int64  `json:"seq"`
	ID         string `json:"id"`
	Submission string `json:"submission"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	Custodian  string `json:"custodian"`
	Day        string `json:"day"`
	Leaf       int64  `json:"leaf"`
	Body       []byte `json:"body"`
}

type wireForm struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	SHA256  string `json:"sha256"`
	Day     string `json:"day"`
	Body    []byte `json:"body"`
}

func hexOf(d [32]byte) string { return hex.EncodeToString(d[:]) }

// parseHex parses 64 lowercase hex digits.
func parseHex(what, s string) ([32]byte, error) {
	var d [32]byte
	if len(s) != 64 || strings.ToLower(s) != s {
		return d, fmt.Errorf("%w: %s %q is not 64 lowercase hex digits", ErrFormat, what, s)
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("%w: %s %q is not 64 lowercase hex digits", ErrFormat, what, s)
	}
	return d, nil
}

func bodyPtr(b []byte) *[]byte {
	if b == nil {
		return nil
	}
	return &b
}

func bodyOf(p *[]byte) []byte {
	if p == nil {
		return nil
	}
	if *p == nil {
		return []byte{}
	}
	return *p
}

// marshalRecord returns rec as a line of meta.jsonl, newline included.
func marshalRecord(rec store.Record) ([]byte, error) {
	var w wireRecord
	switch {
	case rec.Config != nil:
		c := rec.Config
		w.Config = &wireConfig{AdminPub: c.AdminPub, RosterVersion: c.RosterVersion, Roster: c.Roster}
	case rec.Token != nil:
		t := rec.Token.Token
		w.Token = &wireToken{ID: t.ID, Role: string(t.Role), Label: t.Label, Device: t.Device, DevicePub: t.DevicePub,
			Created: t.Created, Revoked: t.Revoked, SecretSHA256: hexOf(rec.Token.SecretHash)}
	case rec.Enrollment != nil:
		e := rec.Enrollment
		w.Enrollment = &wireEnrollment{CodeSHA256: hexOf(e.CodeHash), Role: string(e.Enrollment.Role), Label: e.Enrollment.Label,
			Device: e.Enrollment.Device, Expires: e.Enrollment.Expires.Unix(), TokenID: e.TokenID}
	case rec.Leaf != nil:
		w.Leaf = &wireLeaf{Index: rec.Leaf.Index, Data: rec.Leaf.Data}
	case rec.Submission != nil:
		s := rec.Submission
		w.Submission = &wireSubmission{Seq: s.Seq, ID: s.ID, SHA256: hexOf(s.Digest), Size: s.Size, Device: s.Device,
			Day: s.Day, Leaf: s.Leaf, Body: bodyPtr(s.Body)}
		if s.HasReid {
			w.Submission.Reid = &wireFile{SHA256: hexOf(s.ReidDigest), Size: s.ReidSize}
		}
	case rec.Annotation != nil:
		a := rec.Annotation
		w.Annotation = &wireAnnotation{Seq: a.Seq, ID: a.ID, SHA256: hexOf(a.Digest), Size: a.Size, Author: a.Author,
			Day: a.Day, Body: bodyPtr(a.Body)}
	case rec.Lookup != nil:
		l := rec.Lookup
		w.Lookup = &wireLookup{Seq: l.Seq, ID: l.ID, Submission: l.Submission, SHA256: hexOf(l.Digest), Size: l.Size,
			Custodian: l.Custodian, Day: l.Day, Leaf: l.Leaf, Body: l.Body}
	case rec.Form != nil:
		f := rec.Form
		w.Form = &wireForm{ID: f.ID, Version: f.Version, SHA256: hexOf(f.Digest), Day: f.Day, Body: f.Body}
	default:
		return nil, errors.New("an empty record")
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// unmarshalStrict decodes one JSON object, refusing unknown members and
// anything after it.
func unmarshalStrict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

// unmarshalRecord parses a line of meta.jsonl (without its newline).
func unmarshalRecord(line []byte) (store.Record, error) {
	var w wireRecord
	if err := unmarshalStrict(line, &w); err != nil {
		return store.Record{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	var rec store.Record
	n := 0
	var err error
	if c := w.Config; c != nil {
		n++
		rec.Config = &store.ConfigRecord{AdminPub: c.AdminPub, RosterVersion: c.RosterVersion, Roster: c.Roster}
	}
	if t := w.Token; t != nil {
		n++
		tr := &store.TokenRecord{Token: store.Token{ID: t.ID, Role: store.Role(t.Role), Label: t.Label, Device: t.Device,
			DevicePub: t.DevicePub, Created: t.Created, Revoked: t.Revoked}}
		if tr.SecretHash, err = parseHex("token secret hash", t.SecretSHA256); err != nil {
			return rec, err
		}
		rec.Token = tr
	}
	if e := w.Enrollment; e != nil {
		n++
		er := &store.EnrollmentRecord{TokenID: e.TokenID, Enrollment: store.Enrollment{Role: store.Role(e.Role), Label: e.Label,
			Device: e.Device, Expires: time.Unix(e.Expires, 0).UTC()}}
		if er.CodeHash, err = parseHex("enrollment code hash", e.CodeSHA256); err != nil {
			return rec, err
		}
		rec.Enrollment = er
	}
	if l := w.Leaf; l != nil {
		n++
		if l.Data == nil {
			return rec, fmt.Errorf("%w: leaf %d has no data", ErrFormat, l.Index)
		}
		rec.Leaf = &store.LeafRecord{Index: l.Index, Data: l.Data}
	}
	if s := w.Submission; s != nil {
		n++
		sub := &store.Submission{Seq: s.Seq, ID: s.ID, Size: s.Size, Device: s.Device, Day: s.Day, Leaf: s.Leaf, Body: bodyOf(s.Body)}
		if sub.Digest, err = parseHex("submission digest", s.SHA256); err != nil {
			return rec, err
		}
		if s.Reid != nil {
			sub.HasReid, sub.ReidSize = true, s.Reid.Size
			if sub.ReidDigest, err = parseHex("re-identification record digest", s.Reid.SHA256); err != nil {
				return rec, err
			}
		}
		rec.Submission = sub
	}
	if a := w.Annotation; a != nil {
		n++
		an := &store.Annotation{Seq: a.Seq, ID: a.ID, Size: a.Size, Author: a.Author, Day: a.Day, Body: bodyOf(a.Body)}
		if an.Digest, err = parseHex("annotation digest", a.SHA256); err != nil {
			return rec, err
		}
		rec.Annotation = an
	}
	if l := w.Lookup; l != nil {
		n++
		lk := &store.Lookup{Seq: l.Seq, ID: l.ID, Submission: l.Submission, Size: l.Size, Custodian: l.Custodian, Day: l.Day,
			Leaf: l.Leaf, Body: l.Body}
		if lk.Digest, err = parseHex("lookup digest", l.SHA256); err != nil {
			return rec, err
		}
		if lk.Body == nil {
			return rec, fmt.Errorf("%w: lookup %s has no body", ErrFormat, l.ID)
		}
		rec.Lookup = lk
	}
	if f := w.Form; f != nil {
		n++
		fr := &store.Form{ID: f.ID, Version: f.Version, Day: f.Day, Body: f.Body}
		if fr.Digest, err = parseHex("form digest", f.SHA256); err != nil {
			return rec, err
		}
		if len(fr.Body) == 0 {
			return rec, fmt.Errorf("%w: form %s version %d has no body", ErrFormat, f.ID, f.Version)
		}
		rec.Form = fr
	}
	if n != 1 {
		return store.Record{}, fmt.Errorf("%w: a record has %d kinds, not one", ErrFormat, n)
	}
	return rec, nil
}

// Reader reads the records of a meta.jsonl stream, one at a time.
type Reader struct {
	br     *bufio.Reader
	format string
	line   int   // lines read
	off    int64 // bytes read
	buf    []byte
}

// NewReader reads meta.jsonl's header line from r.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: newBufReader(r)}
	line, err := rd.readLine()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: %s is empty", ErrFormat, MetaFile)
	}
	if err != nil {
		return nil, err
	}
	var h header
	if err := unmarshalStrict(line, &h); err != nil || !knownFormat(h.Format) {
		return nil, fmt.Errorf("%w: %s does not start with {\"format\":%q} (or %q)", ErrFormat, MetaFile, Format, FormatV1)
	}
	rd.format = h.Format
	return rd, nil
}

// Format returns the format meta.jsonl's first line names.
func (r *Reader) Format() string { return r.format }

// Line returns the number of the line the last record came from.
func (r *Reader) Line() int { return r.line }

// Offset returns the offset in the stream after the last line read.
func (r *Reader) Offset() int64 { return r.off }

// readLine returns the next line without its newline; every line must end
// in one.
func (r *Reader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.buf = append(r.buf, chunk...)
		if len(r.buf) > maxLine {
			return nil, fmt.Errorf("%w: line %d of %s is longer than %d bytes", ErrFormat, r.line+1, MetaFile, maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%w: %s ends in the middle of line %d", ErrFormat, MetaFile, r.line+1)
		}
		if err != nil {
			return nil, err
		}
		r.line++
		r.off += int64(len(r.buf))
		return r.buf[:len(r.buf)-1], nil
	}
}

// Next returns the next record; ok=false at the end.
func (r *Reader) Next() (rec store.Record, ok bool, err error) {
	line, err := r.readLine()
	if err == io.EOF {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, err
	}
	rec, err = unmarshalRecord(line)
	if err == nil && rec.Form != nil && r.format == FormatV1 {
		err = fmt.Errorf("%w: a form record in a %s backup, which has none", ErrFormat, FormatV1)
	}
	if err != nil {
		return store.Record{}, false, &LineError{Line: r.line, Err: err}
	}
	return rec, true, nil
}

// LineError is a line of meta.jsonl that is not a record. The lines after
// it can still be read.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s line %d: %v", MetaFile, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// Manifest is backup.json.
type Manifest struct {
	Format string `json:"format"`
	// Day is the day the backup was made (UTC): no time of day, as the
	// server keeps none.
	Day string `json:"day"`
	// Meta describes meta.jsonl.
	Meta FileInfo `json:"meta"`
	// Counts are what meta.jsonl holds and the blobs it refers to.
	Counts Counts `json:"counts"`
	// Log is the log as of the snapshot.
	Log LogInfo `json:"log"`
	// Statement is the signed note (see the package documentation) that
	// binds meta.jsonl to the log key.
	Statement string `json:"statement"`
}

// FileInfo is a file's SHA-256 (lowercase hex) and size.
type FileInfo struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Counts are the records of a backup, and its blobs.
type Counts struct {
	Tokens      int64 `json:"tokens"`
	Enrollments int64 `json:"enrollments"`
	Leaves      int64 `json:"leaves"`
	Submissions int64 `json:"submissions"`
	Annotations int64 `json:"annotations"`
	Lookups     int64 `json:"lookups"`
	// Forms is absent from a testimony-backup-v1 manifest.
	Forms     int64 `json:"forms,omitempty"`
	Blobs     int64 `json:"blobs"`
	BlobBytes int64 `json:"blob_bytes"`
}

// LogInfo is the log of a backup: its size and root, and a checkpoint
// signed by the log key for them.
type LogInfo struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`
	Root       string `json:"root"` // standard base64, as in a checkpoint
	Checkpoint string `json:"checkpoint"`
}

// maxManifest bounds backup.json.
const maxManifest = 64 << 10

// ParseManifest parses backup.json strictly.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifest {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrFormat, ManifestFile, maxManifest)
	}
	var m Manifest
	if err := unmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, ManifestFile, err)
	}
	if !knownFormat(m.Format) {
		return nil, fmt.Errorf("%w: %s is format %q, not %q (or %q)", ErrFormat, ManifestFile, m.Format, Format, FormatV1)
	}
	if _, err := parseHex("meta.jsonl digest", m.Meta.SHA256); err != nil {
		return nil, err
	}
	if m.Meta.Size < 0 || m.Log.Size < 0 {
		return nil, fmt.Errorf("%w: %s has a negative size", ErrFormat, ManifestFile)
	}
	return &m, nil
}

// Marshal returns the manifest as backup.json.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// statementText is the text the log key signs for a backup.
func statementText(origin string, size int64, root tlog.Hash, meta FileInfo) string {
	return "testimony backup v1\n" + origin + "\n" + strconv.FormatInt(size, 10) + "\n" +
		rootString(root) + "\n" + MetaFile + " " + meta.SHA256 + " " + strconv.FormatInt(meta.Size, 10) + "\n"
}
