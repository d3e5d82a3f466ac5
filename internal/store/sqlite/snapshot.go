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
	err = each("SELECT "+lookupColumns+", body FROM lookups ORDER BY seq", func(r *sql.Rows) (store.Record, error) {
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
	if err != nil {
		return err
	}
	return each("SELECT "+formColumns+", body FROM forms ORDER BY id, version", func(r *sql.Rows) (store.Record, error) {
		var body []byte
		f, err := scanForm(r, &body)
		if err != nil {
			return store.Record{}, err
		}
		f.Body = body
		return store.Record{Form: &f}, nil
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

// restorer writes records on their way in, in Snapshot's order, after
// store.RestoreCheck has checked them.
type restorer struct {
	tx    *setupTx // each query prepared once for the whole restore
	ctx   context.Context
	check store.RestoreCheck
	n     int64 // records seen, for messages
}

func (r *restorer) run(next func() (store.Record, bool, error)) error {
	for _, table := range []string{"config", "tokens", "enrollments", "log_leaves", "log_hashes", "submissions", "annotations", "lookups", "forms"} {
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
	return r.check.Done()
}

func (r *restorer) add(rec store.Record) error {
	if err := r.check.Record(rec); err != nil {
		return err
	}
	tx := r.tx
	switch {
	case rec.Config != nil:
		c := rec.Config
		_, err := tx.exec("INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, ?, ?, ?)",
			c.AdminPub, int64(c.RosterVersion), nonNil(c.Roster))
		return err

	case rec.Token != nil:
		t := rec.Token.Token
		_, err := tx.exec(`INSERT INTO tokens
			(id, role, label, device, device_pub, created, revoked, secret_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, string(t.Role), t.Label, t.Device, t.DevicePub, t.Created, t.Revoked, rec.Token.SecretHash[:])
		return err

	case rec.Enrollment != nil:
		e := rec.Enrollment
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
		idx, err := appendLeaf(tx, l.Data)
		if err != nil {
			return err
		}
		if idx != l.Index {
			return fmt.Errorf("leaf %d was appended at %d", l.Index, idx)
		}
		return nil

	case rec.Submission != nil:
		sub := rec.Submission
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
		return nil

	case rec.Annotation != nil:
		a := rec.Annotation
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

	case rec.Form != nil:
		f := rec.Form
		_, err := tx.exec("INSERT INTO forms (id, version, digest, day, body) VALUES (?, ?, ?, ?, ?)",
			f.ID, int64(f.Version), f.Digest[:], f.Day, f.Body)
		if err != nil {
			return fmt.Errorf("form %s version %d: %w", f.ID, f.Version, err)
		}
		return nil

	default:
		l := rec.Lookup
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
		return nil
	}
}

// leafRecords checks that the leaf at index (a leaf restored: RestoreCheck
// saw to that) is the leaf that records what, a submission or lookup as
// the store would append it. The UNIQUE constraint on the leaf columns
// refuses a second row on one leaf.
func (r *restorer) leafRecords(what string, index int64, l interface{ MarshalLeaf() ([]byte, error) }) error {
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
