// Package store keeps the server's metadata: the pinned admin key and the
// roster, access tokens (as hashes), enrollment codes (as hashes), the list
// of accepted submissions, reviewers' sealed annotations and custodians'
// lookups, and the survey forms the admin published (signed notes, kept as
// given). It never holds testimony, names, keys that decrypt, token secrets
// or addresses: annotations and the reasons for lookups are ciphertext.
//
// # Contract
//
// A [Store] is safe for concurrent use. Every method that changes something
// is durable when it returns nil: after a crash (kill -9, power loss) the
// change is there, and a change whose method returned an error is not there,
// not even in part. Implementations may batch concurrent changes into one
// transaction (group commit) but answer each caller only once its batch is
// durable.
//
// Errors: [ErrNotFound], [ErrConflict], [ErrWrongDevice],
// [ErrNotInitialized] and [ErrAlreadyInitialized] are returned (wrapped)
// where documented; anything else is a storage failure.
//
// Days are "YYYY-MM-DD" strings: the store keeps no times of day.
//
// # The log
//
// The store keeps the transparency log: an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) of leaves in the formats of package
// auditlog. [Store.AddSubmission] and [Store.AddLookup] append their leaf in
// the same transaction as their row, so that after any crash both are there
// or neither is; leaves are appended in commit order, one writer at a time,
// so that submissions' leaves follow their Seq and lookups' leaves theirs.
// Annotations are not in the log. The
// store keeps each leaf and the tree's stored hashes (tlog.StoredHashes)
// and never changes them. Signing checkpoints is the server's job.
//
// Implementations: sqlite (modernc.org/sqlite in WAL mode with
// synchronous=FULL; the embedded default) and postgres (pgx; several server
// processes may share one database). Both are also [Snapshotter]s. The
// conformance suite in storetest runs against every one.
package store

import (
	"context"
	"errors"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/survey"
)

var (
	// ErrNotFound: no such token, code, submission, annotation, lookup or
	// form.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change contradicts what is stored (another digest
	// under a submission, annotation or lookup ID or a form's version, a
	// roster or form version not above the current one, a used or expired
	// enrollment code).
	ErrConflict = errors.New("conflict")
	// ErrWrongDevice: an enrollment names a device other than the one its
	// code was made for.
	ErrWrongDevice = errors.New("the enrollment code was made for another device")
	// ErrNotInitialized: Init has not been called.
	ErrNotInitialized = errors.New("store not initialized")
	// ErrAlreadyInitialized: Init was already called.
	ErrAlreadyInitialized = errors.New("store already initialized")
)

// Role is what a token may do.
type Role string

// The roles.
const (
	Interviewer Role = "interviewer" // submit only
	Reviewer    Role = "reviewer"    // list and fetch submissions; annotate
	Custodian   Role = "custodian"   // fetch re-identification records; record lookups
	Admin       Role = "admin"       // manage tokens, publish rosters
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case Interviewer, Reviewer, Custodian, Admin:
		return true
	}
	return false
}

// Token is an access token as the store knows it: its public ID and what it
// may do. The secret part exists only as a SHA-256 hash in the store.
type Token struct {
	// ID is the token's public identifier, 16 lowercase hex digits.
	ID    string
	Role  Role
	Label string
	// Device is the enrolled device ID for a device token, else "".
	Device string
	// DevicePub is the device's verifier key registered at enrollment.
	DevicePub string
	// Created is the day the token was made.
	Created string
	Revoked bool
}

// Enrollment is a single-use enrollment code as the store knows it (the
// code itself exists only as a hash): the token it will make.
type Enrollment struct {
	Role  Role
	Label string
	// Device is the device ID the admin chose for an interviewer's
	// laptop: the token the code makes is bound to it. "" for a code that
	// makes no device token.
	Device string
	// Expires is when the code stops working; the store keeps it to the
	// second.
	Expires time.Time
}

// Submission is an accepted sealed file.
type Submission struct {
	// ID is the submission ID, 32 lowercase hex digits.
	ID string
	// Digest and Size describe the sealed file (the ciphertext).
	Digest [32]byte
	Size   int64
	// HasReid says whether a re-identification record came with it; then
	// ReidDigest and ReidSize describe that file.
	HasReid    bool
	ReidDigest [32]byte
	ReidSize   int64
	// Device is the device of the token that submitted it.
	Device string
	// Day is the day it was accepted.
	Day string
	// Seq orders submissions: it increases with every new submission and is
	// the cursor of [Store.ListSubmissions].
	Seq int64
	// Leaf is the index of the submission's leaf in the log.
	Leaf int64
	// Body is, for a small sealed file (at most MaxInlineBody bytes), the
	// ciphertext itself, stored in the same transaction as the row so that
	// one group-committed fsync makes it durable; nil when the blob store
	// holds the file. Only AddSubmission reads it; [Store.SubmissionBody]
	// returns it.
	Body []byte
}

// MaxInlineBody is the largest sealed file kept inside the metadata store
// rather than in the blob store: notes, not recordings.
const MaxInlineBody = 64 << 10

// Annotation is a reviewer's sealed annotation (tags and a short note) of a
// testimony. The store keeps its ciphertext and who uploaded it; which
// testimony it is about is inside the ciphertext.
type Annotation struct {
	// ID is the annotation ID, 32 lowercase hex digits, chosen by the
	// client.
	ID string
	// Digest and Size describe the sealed file.
	Digest [32]byte
	Size   int64
	// Author is the label of the reviewer token that uploaded it.
	Author string
	// Day is the day it was accepted.
	Day string
	// Seq orders annotations: it increases with every new annotation and
	// is the cursor of [Store.Annotations]. It is not a Submission's Seq.
	Seq int64
	// Body is, for a file of at most MaxInlineBody bytes, the ciphertext
	// itself, stored in the row's transaction; nil when the blob store
	// holds the file. Only AddAnnotation reads it;
	// [Store.AnnotationBody] returns it.
	Body []byte
}

// Lookup records that a custodian consulted the re-identification record of
// a submission, with the reason sealed to the custodians.
type Lookup struct {
	// ID is the lookup ID, 32 lowercase hex digits, chosen by the client.
	ID string
	// Submission is the ID of the submission whose record was consulted.
	Submission string
	// Digest and Size describe the sealed reason.
	Digest [32]byte
	Size   int64
	// Custodian is the token ID (not the label) of the custodian.
	Custodian string
	// Day is the day it was accepted.
	Day string
	// Seq orders lookups: it increases with every new lookup and is the
	// cursor of [Store.Lookups].
	Seq int64
	// Leaf is the index of the lookup's leaf in the log.
	Leaf int64
	// Body is the sealed reason, at most MaxInlineBody bytes: it is
	// always stored in the row. Only AddLookup reads it; [Store.LookupBody]
	// returns it.
	Body []byte
}

// Form is a survey form the admin published: the signed note (package
// survey's Sign) as the admin made it. The store does not read the note;
// the caller verified it against the pinned admin key and took ID, Version
// and Digest from it.
type Form struct {
	// ID is the form's ID ([survey.ValidID]).
	ID string
	// Version is the form's version; each ID's versions only go up.
	Version uint64
	// Digest is the form's digest (SHA-256 of its canonical encoding):
	// what every answer set to it names.
	Digest [32]byte
	// Day is the day it was published.
	Day string
	// Body is the signed note, at most MaxFormSize bytes. Only PutForm
	// reads it; [Store.FormBody] returns it, and Forms leaves it out.
	Body []byte
}

// MaxFormSize is the largest signed form the store keeps
// (survey.MaxSignedSize).
const MaxFormSize = survey.MaxSignedSize

// Store is the server's metadata store.
type Store interface {
	// Init pins the admin verifier key and the first signed roster. It
	// fails with ErrAlreadyInitialized if called twice.
	Init(ctx context.Context, adminPub string, rosterVersion uint64, roster []byte) error
	// AdminPub returns the pinned admin key, or ErrNotInitialized.
	AdminPub(ctx context.Context) (string, error)
	// Roster returns the current roster and its version.
	Roster(ctx context.Context) (version uint64, roster []byte, err error)
	// PutRoster replaces the roster with a newer one. A version not above
	// the current one is ErrConflict. (The caller checks the signature.)
	PutRoster(ctx context.Context, version uint64, roster []byte) error

	// AddToken stores a new token with the SHA-256 of its secret.
	AddToken(ctx context.Context, t Token, secretHash [32]byte) error
	// Token returns the token with this ID and the hash of its secret, or
	// ErrNotFound. The caller compares the hash in constant time.
	Token(ctx context.Context, id string) (Token, [32]byte, error)
	// RevokeToken marks a token revoked; ErrNotFound if there is none.
	RevokeToken(ctx context.Context, id string) error
	// Tokens lists all tokens, revoked ones included, by ID.
	Tokens(ctx context.Context) ([]Token, error)

	// AddEnrollment stores a single-use enrollment code (by hash) that will
	// make a token as e says until e.Expires. A code stored already is
	// ErrConflict.
	AddEnrollment(ctx context.Context, codeHash [32]byte, e Enrollment) error
	// Enrollment returns the unused, unexpired enrollment code with this
	// hash, so that the caller can check an enrollment against it before
	// redeeming it. A missing code is ErrNotFound; a used or expired one
	// is ErrConflict.
	Enrollment(ctx context.Context, codeHash [32]byte, now time.Time) (Enrollment, error)
	// Enroll redeems an enrollment code, atomically: the code becomes used
	// and t (whose Role and Label are taken from the code) is stored with
	// secretHash. t.Device must be the code's Device ("" for a code without
	// one): another is ErrWrongDevice, and the code stays unused. A
	// missing code is ErrNotFound; a used or expired one is ErrConflict.
	// It returns the stored token.
	Enroll(ctx context.Context, codeHash [32]byte, now time.Time, t Token, secretHash [32]byte) (Token, error)

	// AddSubmission records an accepted submission whose blobs are already
	// durable, giving it the next Seq, and appends its leaf
	// (auditlog.Submission) to the log in the same transaction. If the ID
	// exists with the same digests it returns the stored submission and
	// created=false; with other digests, ErrConflict.
	AddSubmission(ctx context.Context, s Submission) (stored Submission, created bool, err error)
	// SubmissionBody returns the ciphertext of a submission stored inline,
	// and ok=false for one the blob store holds. ErrNotFound if there is no
	// such submission.
	SubmissionBody(ctx context.Context, id string) (body []byte, ok bool, err error)
	// Submission returns the submission with this ID (without its Body), or
	// ErrNotFound.
	Submission(ctx context.Context, id string) (Submission, error)
	// Submissions lists up to limit submissions with Seq > after, by Seq.
	Submissions(ctx context.Context, after int64, limit int) ([]Submission, error)

	// AddAnnotation records an annotation whose blob, if the blob store
	// holds it (Body nil), is already durable, giving it the next
	// annotation Seq. It appends nothing to the log. If the ID exists with
	// the same digest it returns the stored annotation (its Author and Day,
	// not a's) and created=false; with another digest, ErrConflict.
	AddAnnotation(ctx context.Context, a Annotation) (stored Annotation, created bool, err error)
	// Annotation returns the annotation with this ID (without its Body),
	// or ErrNotFound.
	Annotation(ctx context.Context, id string) (Annotation, error)
	// AnnotationBody returns the ciphertext of an annotation stored inline,
	// and ok=false for one the blob store holds. ErrNotFound if there is no
	// such annotation.
	AnnotationBody(ctx context.Context, id string) (body []byte, ok bool, err error)
	// Annotations lists up to limit annotations with Seq > after, by Seq,
	// without their Body.
	Annotations(ctx context.Context, after int64, limit int) ([]Annotation, error)

	// AddLookup records a lookup with its Body (required, stored in the
	// row), giving it the next lookup Seq, and appends its leaf
	// (auditlog.Lookup) to the log in the same transaction. The submission
	// it names must exist (ErrNotFound otherwise, nothing stored). If the
	// ID exists with the same digest, submission and custodian it returns
	// the stored lookup and created=false, appending nothing; with any of
	// them different, ErrConflict: a custodian cannot take over another's
	// record.
	AddLookup(ctx context.Context, l Lookup) (stored Lookup, created bool, err error)
	// Lookup returns the lookup with this ID (without its Body), or
	// ErrNotFound.
	Lookup(ctx context.Context, id string) (Lookup, error)
	// LookupBody returns the sealed reason of a lookup, or ErrNotFound.
	LookupBody(ctx context.Context, id string) ([]byte, error)
	// Lookups lists up to limit lookups with Seq > after, by Seq, without
	// their Body.
	Lookups(ctx context.Context, after int64, limit int) ([]Lookup, error)

	// PutForm stores a published form. The same ID and version again with
	// the same digest returns the stored form and created=false; with
	// another digest it is ErrConflict (a form cannot be swapped under its
	// version); a version below the newest of that ID (one not stored) is
	// ErrConflict too, so that a form cannot be rolled back. Forms are not
	// in the log.
	PutForm(ctx context.Context, f Form) (stored Form, created bool, err error)
	// Forms lists every version of every form, by ID and then version,
	// without their Body.
	Forms(ctx context.Context) ([]Form, error)
	// FormBody returns the signed note of a form, or ErrNotFound.
	FormBody(ctx context.Context, id string, version uint64) ([]byte, error)

	// LogSize returns the number of leaves in the log.
	LogSize(ctx context.Context) (int64, error)
	// LogHashes returns the log's stored hashes at the given indexes
	// (tlog.StoredHashIndex), in order: the tlog.HashReader contract. An
	// index not stored yet is ErrNotFound.
	LogHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// LogLeaf returns the leaf at index, or ErrNotFound.
	LogLeaf(ctx context.Context, index int64) ([]byte, error)

	// Close releases the store.
	Close() error
}
