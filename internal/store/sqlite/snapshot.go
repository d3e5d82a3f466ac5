package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

var _ store.Snapshotter = (*Store)(nil)

// Snapshot reads the whole store in one read transaction on one read-only
// connection. In WAL mode that transaction sees the database as of its
// first read, whatever the writer commits meanwhile, and never blocks the
// writer; while it lasts, the WAL cannot be checkpointed past it and grows
// with what is written meanwhile.
func (s *Store) Snapshot(ctx context.Context, emit func(store.Record) error) error {
	if err := s.snapshot(ctx, emit); err != nil {
		return fmt.Errorf("failed to snapshot the store: %w", err)
	}
	return nil
}

func (s *Store) snapshot(ctx context.Context, emit func(store.Record) error) error {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var cfg store.ConfigRecord
	var version int64
	err = tx.QueryRowContext(ctx, "SELECT admin_pub, roster_version, roster FROM config WHERE id = 1").Scan(&cfg.AdminPub, &version, &cfg.Roster)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotInitialized
	}
	if err != nil {
		return err
	}
	cfg.RosterVersion = uint64(version)
	if err := emit(store.Record{Config: &cfg}); err != nil {
		return err
	}

	each := func(query string, fn func(*sql.Rows) (store.Record, error)) error {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := fn(rows)
			if err != nil {
				return err
			}
			if err := emit(rec); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err = each("SELECT "+tokenColumns+" FROM tokens ORDER BY id", func(r *sql.Rows) (store.Record, error) {
		t, h, err := scanToken(r)
		return store.Record{Token: &store.TokenRecord{Token: t, SecretHash: h}}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT code_hash, role, label, device, expires, token_id FROM enrollments ORDER BY code_hash", func(r *sql.Rows) (store.Record, error) {
		var e store.EnrollmentRecord
		var code []byte
		var role string
		var expires int64
		var tokenID sql.NullString
		if err := r.Scan(&code, &role, &e.Enrollment.Label, &e.Enrollment.Device, &expires, &tokenID); err != nil {
			return store.Record{}, err
		}
		h, err := digest(code)
		if err != nil {
			return store.Record{}, fmt.Errorf("enrollment code: %w", err)
		}
		e.CodeHash, e.TokenID = h, tokenID.String
		e.Enrollment.Role, e.Enrollment.Expires = store.Role(role), time.Unix(expires, 0).UTC()
		return store.Record{Enrollment: &e}, nil
	})
	if err != nil {
		return err
	}
	err = each("SELECT idx, data FROM log_leaves ORDER BY idx", func(r *sql.Rows) (store.Record, error) {
		var l store.LeafRecord
		err := r.Scan(&l.Index, &l.Data)
		return store.Record{Leaf: &l}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT "+submissionColumns+", body FROM submissions ORDER BY seq", func(r *sql.Rows) (store.Record, error) {
		var leaf sql.NullInt64
		var body []byte
		sub, err := scanSubmissionWith(r, &leaf, &body)
		if err != nil {
			return store.Record{}, err
		}
		if !leaf.Valid {
			return store.Record{}, fmt.Errorf("submission %s has no log leaf", sub.ID)
		}
		sub.Leaf, sub.Body = leaf.Int64, body
		return store.Record{Submission: &sub}, nil
	})
	if err != nil {
		return err
	}
	err = each("SELECT "+annotationColumns+", body FROM annotations ORDER BY seq", func(r *sql.Rows) (store.Record, error) {
		var a store.Annotation
		var d []byte
		if err := r.Scan(&a.Seq, &a.ID, &d, &a.Size, &a.Author, &a.Day, &a.Body); err != nil {
			return store.Record{}, err
		}
		var err error
		if a.Digest, err = digest(d); err != nil {
			return store.Record{}, fmt.Errorf("annotation %s: %w", a.ID, err)
		}
		return store.Record{Annotation: &a}, nil
	})
	if err != nil {
		return err
	}
	return each("SELECT "+lookupColumns+", body FROM lookups ORDER BY seq", func(r *sql.Rows) (store.Record, error) {
		var l store.Lookup
		var d []byte
		if err := r.Scan(&l.Seq, &l.ID, &l.Submission, &d, &l.Size, &l.Custodian, &l.Day, &l.Leaf, &l.Body); err != nil {
			return store.Record{}, err
		}
		var err error
		if l.Digest, err = digest(d); err != nil {
			return store.Record{}, fmt.Errorf("lookup %s: %w", l.ID, err)
		}
		return store.Record{Lookup: &l}, nil
	})
}

// Restore fills a store that has never been initialized, in one
// transaction run by the writer: nothing else is written while it runs,
// and an error anywhere rolls all of it back.
func (s *Store) Restore(ctx context.Context, next func() (store.Record, bool, error)) error {
	err := s.write(ctx, func(tx *wtx) error {
		// Queries run under the writer's context, so that a cancelled
		// ctx never interrupts a statement (which would roll back the
		// whole batch); ctx is checked between records instead.
		q := &setupTx{ctx: tx.ctx, tx: tx.tx}
		defer q.close()
		r := &restorer{tx: q, ctx: ctx}
		return r.run(next)
	})
	if err != nil {
		return fmt.Errorf("failed to restore the store: %w", err)
	}
	return nil
}

// restorer checks records on their way in, in Snapshot's order.
type restorer struct {
	tx  *setupTx // each query prepared once for the whole restore
	ctx context.Context

	section  int   // the kind of the previous record, in Snapshot's order
	n        int64 // records seen, for messages
	lastKey  []byte
	lastSeq  int64
	lastLeaf int64 // the previous submission's or lookup's leaf in this section
	leaves   int64 // leaves restored
	rowLeafs int64 // submissions and lookups restored: each has its own leaf
}

// The sections of a snapshot, in order.
const (
	secNone = iota
	secConfig
	secToken
	secEnrollment
	secLeaf
	secSubmission
	secAnnotation
	secLookup
)

var sectionNames = [...]string{"", "config", "token", "enrollment", "leaf", "submission", "annotation", "lookup"}

func (r *restorer) run(next func() (store.Record, bool, error)) error {
	for _, table := range []string{"config", "tokens", "enrollments", "log_leaves", "log_hashes", "submissions", "annotations", "lookups"} {
		var n int
		if err := r.tx.queryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the store has %s: %w", table, store.ErrAlreadyInitialized)
		}
	}
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		rec, ok, err := next()
		if err != nil {
			return fmt.Errorf("after record %d: %w", r.n, err)
		}
		if !ok {
			break
		}
		r.n++
		if err := r.add(rec); err != nil {
			return fmt.Errorf("record %d: %w", r.n, err)
		}
	}
	if r.section == secNone {
		return errors.New("the snapshot is empty: it has no config record")
	}
	if r.rowLeafs != r.leaves {
		return fmt.Errorf("the log has %d leaves but %d submissions and lookups: every leaf records exactly one", r.leaves, r.rowLeafs)
	}
	return nil
}

// enter moves to section sec, checking the order of sections.
func (r *restorer) enter(sec int) error {
	switch {
	case r.section == secNone && sec != secConfig:
		return fmt.Errorf("a snapshot starts with its config record, not a %s", sectionNames[sec])
	case sec < r.section:
		return fmt.Errorf("%s record after %s records: out of order", sectionNames[sec], sectionNames[r.section])
	case sec == secConfig && r.section == secConfig:
		return errors.New("a second config record")
	}
	if sec != r.section {
		r.section, r.lastKey, r.lastSeq, r.lastLeaf = sec, nil, 0, -1
	}
	return nil
}

// ascending checks that key comes after the previous record's in its
// section.
func (r *restorer) ascending(what string, key []byte) error {
	if r.lastKey != nil && bytes.Compare(key, r.lastKey) <= 0 {
		return fmt.Errorf("%s %x is not after %x: out of order or repeated", what, key, r.lastKey)
	}
	r.lastKey = key
	return nil
}

func (r *restorer) seq(what string, seq int64) error {
	if seq <= r.lastSeq {
		return fmt.Errorf("%s Seq %d is not above %d: out of order or repeated", what, seq, r.lastSeq)
	}
	r.lastSeq = seq
	return nil
}

func (r *restorer) add(rec store.Record) error {
	set := 0
	for _, p := range []bool{rec.Config != nil, rec.Token != nil, rec.Enrollment != nil, rec.Leaf != nil, rec.Submission != nil, rec.Annotation != nil, rec.Lookup != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("a record has %d fields set, not exactly one", set)
	}
	tx := r.tx
	switch {
	case rec.Config != nil:
		c := rec.Config
		if err := r.enter(secConfig); err != nil {
			return err
		}
		if c.AdminPub == "" {
			return errors.New("the config record has no admin key")
		}
		_, err := tx.exec("INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, ?, ?, ?)",
			c.AdminPub, int64(c.RosterVersion), nonNil(c.Roster))
		return err

	case rec.Token != nil:
		t := rec.Token.Token
		if err := r.enter(secToken); err != nil {
			return err
		}
		if err := store.CheckToken(t); err != nil {
			return err
		}
		if !t.Role.Valid() {
			return fmt.Errorf("token %s: invalid role %q", t.ID, t.Role)
		}
		if err := r.ascending("token", []byte(t.ID)); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO tokens
			(id, role, label, device, device_pub, created, revoked, secret_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, string(t.Role), t.Label, t.Device, t.DevicePub, t.Created, t.Revoked, rec.Token.SecretHash[:])
		return err

	case rec.Enrollment != nil:
		e := rec.Enrollment
		if err := r.enter(secEnrollment); err != nil {
			return err
		}
		if !e.Enrollment.Role.Valid() {
			return fmt.Errorf("enrollment code %x: invalid role %q", e.CodeHash[:4], e.Enrollment.Role)
		}
		if err := r.ascending("enrollment code", e.CodeHash[:]); err != nil {
			return err
		}
		var tokenID any // NULL while unused
		if e.TokenID != "" {
			var n int
			if err := tx.queryRow("SELECT count(*) FROM tokens WHERE id = ?", e.TokenID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("enrollment code %x made token %q, which the snapshot does not have", e.CodeHash[:4], e.TokenID)
			}
			tokenID = e.TokenID
		}
		_, err := tx.exec("INSERT INTO enrollments (code_hash, role, label, device, expires, token_id) VALUES (?, ?, ?, ?, ?, ?)",
			e.CodeHash[:], string(e.Enrollment.Role), e.Enrollment.Label, e.Enrollment.Device, e.Enrollment.Expires.Unix(), tokenID)
		return err

	case rec.Leaf != nil:
		l := rec.Leaf
		if err := r.enter(secLeaf); err != nil {
			return err
		}
		if l.Index != r.leaves {
			return fmt.Errorf("leaf %d where leaf %d comes next: a gap or a leaf out of order", l.Index, r.leaves)
		}
		if len(l.Data) > auditlog.MaxLeafSize {
			return fmt.Errorf("leaf %d is larger than %d bytes", l.Index, auditlog.MaxLeafSize)
		}
		if _, err := auditlog.ParseLeaf(l.Data); err != nil {
			return fmt.Errorf("leaf %d: %w", l.Index, err)
		}
		idx, err := appendLeaf(tx, l.Data)
		if err != nil {
			return err
		}
		if idx != l.Index {
			return fmt.Errorf("leaf %d was appended at %d", l.Index, idx)
		}
		r.leaves++
		return nil

	case rec.Submission != nil:
		sub := rec.Submission
		if err := r.enter(secSubmission); err != nil {
			return err
		}
		if err := store.CheckSubmission(*sub); err != nil {
			return err
		}
		if !sub.HasReid && (sub.ReidDigest != [32]byte{} || sub.ReidSize != 0) {
			return fmt.Errorf("submission %s has re-identification digests but no record", sub.ID)
		}
		if sub.Body != nil && (int64(len(sub.Body)) != sub.Size || len(sub.Body) > store.MaxInlineBody) {
			return fmt.Errorf("submission %s: an inline body must be Size bytes, at most %d", sub.ID, store.MaxInlineBody)
		}
		if err := r.seq("submission", sub.Seq); err != nil {
			return err
		}
		al := auditlog.Submission{ID: sub.ID, SHA256: sub.Digest, Device: sub.Device, Day: sub.Day}
		if sub.HasReid {
			d := sub.ReidDigest
			al.Reid = &d
		}
		if err := r.leafRecords("submission "+sub.ID, sub.Leaf, al); err != nil {
			return err
		}
		var rd, rsize, body any
		if sub.HasReid {
			rd, rsize = sub.ReidDigest[:], sub.ReidSize
		}
		if sub.Body != nil {
			body = sub.Body
		}
		_, err := tx.exec(`INSERT INTO submissions
			(seq, id, digest, size, reid_digest, reid_size, device, day, body, leaf)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sub.Seq, sub.ID, sub.Digest[:], sub.Size, rd, rsize, sub.Device, sub.Day, body, sub.Leaf)
		if err != nil {
			return fmt.Errorf("submission %s: %w", sub.ID, err)
		}
		r.rowLeafs++
		return nil

	case rec.Annotation != nil:
		a := rec.Annotation
		if err := r.enter(secAnnotation); err != nil {
			return err
		}
		if err := store.CheckAnnotation(*a); err != nil {
			return err
		}
		if err := r.seq("annotation", a.Seq); err != nil {
			return err
		}
		var body any
		if a.Body != nil {
			body = a.Body
		}
		_, err := tx.exec("INSERT INTO annotations (seq, id, digest, size, author, day, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
			a.Seq, a.ID, a.Digest[:], a.Size, a.Author, a.Day, body)
		if err != nil {
			return fmt.Errorf("annotation %s: %w", a.ID, err)
		}
		return nil

	default:
		l := rec.Lookup
		if err := r.enter(secLookup); err != nil {
			return err
		}
		if err := store.CheckLookup(*l); err != nil {
			return err
		}
		if err := r.seq("lookup", l.Seq); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow("SELECT count(*) FROM submissions WHERE id = ?", l.Submission).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("lookup %s names submission %s, which the snapshot does not have", l.ID, l.Submission)
		}
		al := auditlog.Lookup{ID: l.ID, SHA256: l.Digest, Submission: l.Submission, Custodian: l.Custodian, Day: l.Day}
		if err := r.leafRecords("lookup "+l.ID, l.Leaf, al); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO lookups
			(seq, id, submission, digest, size, custodian, day, body, leaf)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Seq, l.ID, l.Submission, l.Digest[:], l.Size, l.Custodian, l.Day, l.Body, l.Leaf)
		if err != nil {
			return fmt.Errorf("lookup %s: %w", l.ID, err)
		}
		r.rowLeafs++
		return nil
	}
}

// leafRecords checks that the leaf at index exists and is the leaf that
// records what (a submission or lookup as the store would append it). The
// UNIQUE constraint on the leaf columns refuses a second row on one leaf.
func (r *restorer) leafRecords(what string, index int64, l interface{ MarshalLeaf() ([]byte, error) }) error {
	if index < 0 || index >= r.leaves {
		return fmt.Errorf("%s points at leaf %d, which the snapshot does not have (it has %d)", what, index, r.leaves)
	}
	if index <= r.lastLeaf {
		return fmt.Errorf("%s has leaf %d, not after leaf %d of the one before it: leaves follow Seq", what, index, r.lastLeaf)
	}
	r.lastLeaf = index
	want, err := l.MarshalLeaf()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var got []byte
	if err := r.tx.queryRow("SELECT data FROM log_leaves WHERE idx = ?", index).Scan(&got); err != nil {
		return fmt.Errorf("%s: failed to read leaf %d: %w", what, index, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s points at leaf %d, which records something else", what, index)
	}
	return nil
}
