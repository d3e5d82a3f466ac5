package store

import "context"

// Snapshotter is a store that can be copied out whole and filled again:
// what backups, restores and the move from one kind of store to another
// (SQLite to PostgreSQL) are made of. Every implementation provides it; the
// conformance suite checks that a snapshot restored into an empty store of
// the same kind gives the same answers to every method, and that a
// snapshot of that store is the same again.
//
// # Contract
//
// Snapshot reads one consistent view of the whole store — as of one
// instant, whatever commits meanwhile (a read transaction) — and calls emit
// with every record of it, in this order: one Config; every Token by ID;
// every enrollment code by CodeHash; every log leaf by Index; every
// Submission by Seq; every Annotation by Seq; every Lookup by Seq. Bodies
// stored inline are included. The log's stored hashes are not: they follow
// from the leaves. Snapshot stops at the first error from emit or ctx and
// returns it. It holds memory for one record at a time, not the whole
// store.
//
// Restore fills a store that has never been initialized and holds nothing
// (ErrAlreadyInitialized otherwise) with the records next yields, in
// Snapshot's order, until next returns ok=false. It keeps every Seq, Leaf
// and Index as given, recomputes the log's stored hashes from the leaves,
// and checks what a store would check on the way in (the order above,
// exactly one field set per record, valid IDs, days, digests and leaves,
// inline bodies of Size bytes, leaves in order with no gap, every
// submission's and lookup's Leaf pointing at a leaf that records it (the
// leaf the store would have appended for it), following Seq, every leaf
// recorded by exactly one submission or lookup, every lookup's submission
// and every used code's token present; each form's versions rising, as
// PutForm would have kept them). It is all or nothing: on any
// error, from next, ctx or its own, the store is left as it was
// (uninitialized). After Restore, new submissions continue after the
// highest Seq and the last leaf.
type Snapshotter interface {
	Snapshot(ctx context.Context, emit func(Record) error) error
	Restore(ctx context.Context, next func() (rec Record, ok bool, err error)) error
}

// Record is one record of a snapshot: exactly one of its fields is set.
type Record struct {
	Config     *ConfigRecord     `json:"config,omitempty"`
	Token      *TokenRecord      `json:"token,omitempty"`
	Enrollment *EnrollmentRecord `json:"enrollment,omitempty"`
	Leaf       *LeafRecord       `json:"leaf,omitempty"`
	// Submission, Annotation and Lookup carry Seq, Leaf and Body as
	// stored (Body nil for a file the blob store holds).
	Submission *Submission `json:"submission,omitempty"`
	Annotation *Annotation `json:"annotation,omitempty"`
	Lookup     *Lookup     `json:"lookup,omitempty"`
	// Form carries its Body.
	Form *Form `json:"form,omitempty"`
}

// ConfigRecord is what Init and PutRoster keep: the pinned admin key and
// the current roster.
type ConfigRecord struct {
	AdminPub      string `json:"admin_pub"`
	RosterVersion uint64 `json:"roster_version"`
	Roster        []byte `json:"roster"`
}

// TokenRecord is a token with the hash of its secret.
type TokenRecord struct {
	Token      Token    `json:"token"`
	SecretHash [32]byte `json:"secret_hash"`
}

// EnrollmentRecord is an enrollment code (by hash) and, once used, the ID
// of the token it made.
type EnrollmentRecord struct {
	CodeHash   [32]byte   `json:"code_hash"`
	Enrollment Enrollment `json:"enrollment"`
	// TokenID is the token the code made, or "" while it is unused.
	TokenID string `json:"token_id,omitempty"`
}

// LeafRecord is a leaf of the log.
type LeafRecord struct {
	Index int64  `json:"index"`
	Data  []byte `json:"data"`
}
