// Package auditlog holds the formats of testimony's transparency log: an
// RFC 6962 Merkle tree (golang.org/x/mod/sumdb/tlog) with one leaf per
// accepted submission, signed checkpoints of it in the C2SP tlog-checkpoint
// form, and the checks a client runs on the proofs a server sends.
//
// The server keeps the tree (package store appends leaves in the same
// transaction as the submission they record) and signs checkpoints with its
// log key. A client trusts the log key only because the admin's signed
// roster names it. A client that keeps checkpoints and receipts can then
// prove that a server deleted, changed or reordered a submission, or showed
// two histories: nothing here needs the server to be honest.
//
// # Leaves
//
// A leaf is UTF-8 text, one field per line. Its first line names the format
// version and the kind of leaf, so later kinds (roster changes) can be added
// without confusing old ones with new ones. A submission leaf records an
// accepted submission:
//
//	testimony log leaf v1 submission
//	id 0123456789abcdef0123456789abcdef
//	sha256 <64 lowercase hex digits: SHA-256 of the sealed file>
//	reid <64 hex digits: SHA-256 of the re-identification record, or ->
//	device <device ID of the submitting token, or ->
//	day 2026-11-22
//
// A lookup leaf records that a custodian consulted the re-identification
// record of a submission, with the reason sealed to the custodians (the
// server holds only its ciphertext):
//
//	testimony log leaf v1 lookup
//	id <32 lowercase hex digits: the lookup ID>
//	sha256 <64 lowercase hex digits: SHA-256 of the sealed reason>
//	submission <32 lowercase hex digits: the submission ID>
//	custodian <16 lowercase hex digits: the custodian's token ID>
//	day 2026-11-22
//
// Every field of a lookup is always present, so it has no "-".
//
// The leaf hash is tlog.RecordHash(leaf), SHA-256(0x00 || leaf). A leaf has
// exactly one canonical encoding: [ParseLeaf] rejects anything else.
//
// # Checkpoints
//
// A checkpoint is a signed note (golang.org/x/mod/sumdb/note) whose text is
// the origin line, the tree size in decimal and the root hash in standard
// base64, each ending in a newline, with no extension lines. The origin is
// the name of the log key, so a checkpoint names the log it belongs to.
// Checkpoints carry no time: the server keeps dates to the day, and a
// timestamp would say when each interview reached it.
//
// # Backwards compatibility
//
// The leaf format "v1" and the checkpoint form are frozen; testdata/v1 holds
// vectors that must keep verifying. A new kind of leaf may be added to v1
// (the lookup kind was): it changes no leaf of an existing kind, and an old
// client refuses to parse a kind it does not know rather than misread it.
package auditlog

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Errors. Each check wraps one of them, with details.
var (
	// ErrMalformed: a leaf, checkpoint or proof is not in its format.
	ErrMalformed = errors.New("malformed log data")
	// ErrSignature: a checkpoint is not signed by the log key.
	ErrSignature = errors.New("checkpoint is not signed by the log key")
	// ErrNotIncluded: an inclusion proof does not prove the leaf is in the
	// tree: the leaf is not there, or is there changed.
	ErrNotIncluded = errors.New("the leaf is not in the log")
	// ErrFork: two checkpoints describe trees of which neither extends the
	// other: the log shows different histories.
	ErrFork = errors.New("the log forked: two checkpoints disagree about its history")
	// ErrRollback: a checkpoint describes a smaller tree than one seen
	// before: entries were removed from the end of the log.
	ErrRollback = errors.New("the log was rolled back: it is smaller than a checkpoint seen before")
)

// LeafHeader starts every version 1 leaf; the kind follows after a space.
const LeafHeader = "testimony log leaf v1"

// The kinds of leaf.
const (
	// KindSubmission is the kind of leaf that records an accepted
	// submission ([Submission]).
	KindSubmission = "submission"
	// KindLookup is the kind of leaf that records a custodian's lookup
	// of a re-identification record ([Lookup]).
	KindLookup = "lookup"
)

// MaxLeafSize bounds the size of a leaf.
const MaxLeafSize = 4 << 10

// Submission is the content of a submission leaf.
type Submission struct {
	// ID is the submission ID, 32 lowercase hex digits.
	ID string
	// SHA256 is the digest of the sealed file.
	SHA256 [32]byte
	// Reid is the digest of the re-identification record, or nil.
	Reid *[32]byte
	// Device is the device ID of the token that submitted it, or "".
	Device string
	// Day is the day the server accepted it, YYYY-MM-DD.
	Day string
}

// Lookup is the content of a lookup leaf: a custodian consulted the
// re-identification record of a submission, for a reason sealed to the
// custodians.
type Lookup struct {
	// ID is the lookup ID, 32 lowercase hex digits, chosen by the client.
	ID string
	// SHA256 is the digest of the sealed reason (an age file).
	SHA256 [32]byte
	// Submission is the ID of the submission whose record was consulted.
	Submission string
	// Custodian is the token ID of the custodian, 16 lowercase hex digits.
	Custodian string
	// Day is the day the server accepted the lookup, YYYY-MM-DD.
	Day string
}

var (
	idPattern     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	tokenPattern  = regexp.MustCompile(`^[0-9a-f]{16}$`)
	devicePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

func (s Submission) check() error {
	if !idPattern.MatchString(s.ID) {
		return fmt.Errorf("%w: submission ID %q is not 32 lowercase hex digits", ErrMalformed, s.ID)
	}
	if s.Device != "" && !devicePattern.MatchString(s.Device) {
		return fmt.Errorf("%w: device ID %q is not a device ID", ErrMalformed, s.Device)
	}
	return checkDay(s.Day)
}

func (l Lookup) check() error {
	if !idPattern.MatchString(l.ID) {
		return fmt.Errorf("%w: lookup ID %q is not 32 lowercase hex digits", ErrMalformed, l.ID)
	}
	if !idPattern.MatchString(l.Submission) {
		return fmt.Errorf("%w: submission ID %q is not 32 lowercase hex digits", ErrMalformed, l.Submission)
	}
	if !tokenPattern.MatchString(l.Custodian) {
		return fmt.Errorf("%w: custodian token ID %q is not 16 lowercase hex digits", ErrMalformed, l.Custodian)
	}
	return checkDay(l.Day)
}

func checkDay(day string) error {
	if t, err := time.Parse(time.DateOnly, day); err != nil || t.Format(time.DateOnly) != day {
		return fmt.Errorf("%w: day %q is not YYYY-MM-DD", ErrMalformed, day)
	}
	return nil
}

// MarshalLeaf returns the leaf that records s. It fails only if a field is
// not in its form.
func (s Submission) MarshalLeaf() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	reid, device := "-", "-"
	if s.Reid != nil {
		reid = hex.EncodeToString(s.Reid[:])
	}
	if s.Device != "" {
		device = s.Device
	}
	return fmt.Appendf(nil, "%s %s\nid %s\nsha256 %x\nreid %s\ndevice %s\nday %s\n",
		LeafHeader, KindSubmission, s.ID, s.SHA256, reid, device, s.Day), nil
}

// MarshalLeaf returns the leaf that records l. It fails only if a field is
// not in its form.
func (l Lookup) MarshalLeaf() ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "%s %s\nid %s\nsha256 %x\nsubmission %s\ncustodian %s\nday %s\n",
		LeafHeader, KindLookup, l.ID, l.SHA256, l.Submission, l.Custodian, l.Day), nil
}

// leafFields are the field names of each kind of leaf, in their order.
var leafFields = map[string][]string{
	KindSubmission: {"id", "sha256", "reid", "device", "day"},
	KindLookup:     {"id", "sha256", "submission", "custodian", "day"},
}

// ParseLeaf parses a leaf. It returns a *Submission for a submission leaf
// and a *Lookup for a lookup leaf; other kinds are ErrMalformed until this
// package knows them.
func ParseLeaf(leaf []byte) (any, error) {
	if len(leaf) > MaxLeafSize {
		return nil, fmt.Errorf("%w: leaf of %d bytes is larger than %d", ErrMalformed, len(leaf), MaxLeafSize)
	}
	text := string(leaf)
	first, rest, _ := strings.Cut(text, "\n")
	kind, ok := strings.CutPrefix(first, LeafHeader+" ")
	if !ok {
		return nil, fmt.Errorf("%w: leaf does not start with %q", ErrMalformed, LeafHeader)
	}
	names, ok := leafFields[kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown leaf kind %q", ErrMalformed, kind)
	}
	fields := map[string]string{}
	lines := strings.Split(rest, "\n")
	if len(lines) != len(names)+1 || lines[len(names)] != "" {
		return nil, fmt.Errorf("%w: a %s leaf has %d lines after its header", ErrMalformed, kind, len(names))
	}
	for i, name := range names {
		v, ok := strings.CutPrefix(lines[i], name+" ")
		if !ok {
			return nil, fmt.Errorf("%w: line %d: expected %q", ErrMalformed, i+2, name)
		}
		fields[name] = v
	}
	d, err := parseDigest(fields["sha256"])
	if err != nil {
		return nil, err
	}
	var parsed interface{ MarshalLeaf() ([]byte, error) }
	switch kind {
	case KindSubmission:
		s := &Submission{ID: fields["id"], SHA256: d, Day: fields["day"]}
		if fields["reid"] != "-" {
			d, err := parseDigest(fields["reid"])
			if err != nil {
				return nil, err
			}
			s.Reid = &d
		}
		if fields["device"] != "-" {
			s.Device = fields["device"]
		}
		parsed = s
	case KindLookup:
		parsed = &Lookup{ID: fields["id"], SHA256: d, Submission: fields["submission"], Custodian: fields["custodian"], Day: fields["day"]}
	}
	canon, err := parsed.MarshalLeaf()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(canon, leaf) {
		return nil, fmt.Errorf("%w: leaf is not in canonical form", ErrMalformed)
	}
	return parsed, nil
}

func parseDigest(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
		return d, fmt.Errorf("%w: %q is not a SHA-256 in lowercase hex", ErrMalformed, s)
	}
	return [32]byte(b), nil
}

// LeafHash returns the RFC 6962 hash of a leaf.
func LeafHash(leaf []byte) tlog.Hash { return tlog.RecordHash(leaf) }

// Checkpoint is a tree head: the log's origin, its size and its root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the checkpoint's note text.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint parses checkpoint text (without signatures).
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Checkpoint{}, fmt.Errorf("%w: a checkpoint is three lines: origin, size, root hash", ErrMalformed)
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint has no origin", ErrMalformed)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint size %q is not a number", ErrMalformed, lines[1])
	}
	c.Size = n
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint root %q is not a base64 SHA-256", ErrMalformed, lines[2])
	}
	c.Root = tlog.Hash(h)
	if c.Text() != text {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint is not in canonical form", ErrMalformed)
	}
	return c, nil
}

// Sign returns the checkpoint as a note signed by the log key. The origin
// must be the key's name.
func Sign(c Checkpoint, log note.Signer) ([]byte, error) {
	if _, err := ParseCheckpoint(c.Text()); err != nil {
		return nil, fmt.Errorf("refusing to sign a checkpoint clients would reject: %w", err)
	}
	if c.Origin != log.Name() {
		return nil, fmt.Errorf("checkpoint origin %q is not the log key's name %q", c.Origin, log.Name())
	}
	signed, err := note.Sign(&note.Note{Text: c.Text()}, log)
	if err != nil {
		return nil, fmt.Errorf("failed to sign checkpoint: %w", err)
	}
	return signed, nil
}

// MaxCheckpointSize bounds a signed checkpoint.
const MaxCheckpointSize = 16 << 10

// Open verifies a signed checkpoint with the log's verifier key and parses
// it. The origin must be the key's name.
func Open(signed []byte, log note.Verifier) (Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint larger than %d bytes", ErrMalformed, MaxCheckpointSize)
	}
	n, err := note.Open(signed, note.VerifierList(log))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		names := []string{}
		for _, s := range unverified.Note.UnverifiedSigs {
			names = append(names, strconv.Quote(s.Name))
		}
		return Checkpoint{}, fmt.Errorf("%w (it is signed by %s; the roster's log key is %q)", ErrSignature, strings.Join(names, ", "), log.Name())
	case errors.As(err, &invalid):
		return Checkpoint{}, fmt.Errorf("%w: the signature does not verify (the checkpoint was changed after signing)", ErrSignature)
	case err != nil:
		return Checkpoint{}, fmt.Errorf("%w: checkpoint is not a signed note", ErrMalformed)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != log.Name() {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint origin %q is not the log key's name %q", ErrSignature, c.Origin, log.Name())
	}
	return c, nil
}

// maxProof bounds the hashes in a proof: a tree of 2⁶³ leaves needs 63.
const maxProof = 64

// Hashes converts a proof from its wire form (a list of 32-byte values).
func Hashes(proof [][]byte) ([]tlog.Hash, error) {
	if len(proof) > maxProof {
		return nil, fmt.Errorf("%w: proof of %d hashes", ErrMalformed, len(proof))
	}
	hs := make([]tlog.Hash, len(proof))
	for i, b := range proof {
		if len(b) != tlog.HashSize {
			return nil, fmt.Errorf("%w: proof hash %d has %d bytes", ErrMalformed, i, len(b))
		}
		hs[i] = tlog.Hash(b)
	}
	return hs, nil
}

// Wire converts a proof to its wire form.
func Wire(proof []tlog.Hash) [][]byte {
	w := make([][]byte, len(proof))
	for i := range proof {
		w[i] = proof[i][:]
	}
	return w
}

// CheckInclusion checks that leaf is the leaf at index in the tree of c.
func CheckInclusion(c Checkpoint, index int64, leaf []byte, proof [][]byte) error {
	if index < 0 || index >= c.Size {
		return fmt.Errorf("%w: leaf %d is beyond the tree of size %d", ErrNotIncluded, index, c.Size)
	}
	p, err := Hashes(proof)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(p, c.Size, c.Root, index, LeafHash(leaf)); err != nil {
		return fmt.Errorf("%w: leaf %d does not match the tree of size %d", ErrNotIncluded, index, c.Size)
	}
	return nil
}

// CheckConsistency checks that the tree of newer extends the tree of older.
// A newer tree smaller than the older one is ErrRollback; trees of one size
// with different roots, or a proof that fails, are ErrFork. (A proof that
// fails may also be a server's mistake; either way the server cannot show
// that it kept the history a client saw.)
func CheckConsistency(older, newer Checkpoint, proof [][]byte) error {
	if older.Origin != newer.Origin {
		return fmt.Errorf("checkpoints of two logs (%q and %q) cannot be compared", older.Origin, newer.Origin)
	}
	if newer.Size < older.Size {
		return fmt.Errorf("%w: %d leaves now, %d seen before", ErrRollback, newer.Size, older.Size)
	}
	if newer.Size == older.Size {
		if newer.Root != older.Root {
			return fmt.Errorf("%w: two different trees of size %d", ErrFork, newer.Size)
		}
		return nil
	}
	if older.Size == 0 {
		return nil
	}
	p, err := Hashes(proof)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(p, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("%w: the tree of size %d does not extend the tree of size %d", ErrFork, newer.Size, older.Size)
	}
	return nil
}
