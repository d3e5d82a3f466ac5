package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"testimony/internal/store"
)

// Snapshot reads the whole store in one REPEATABLE READ, READ ONLY
// transaction: it sees the database as of its first query, whatever
// commits meanwhile, and blocks no writer. Rows are streamed from the
// server, one record in memory at a time.
func (s *Store) Snapshot(ctx context.Context, emit func(store.Record) error) error {
	if err := s.snapshot(ctx, emit); err != nil {
		return fmt.Errorf("failed to snapshot the store: %w", err)
	}
	return nil
}

func (s *Store) snapshot(ctx context.Context, emit func(store.Record) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())

	var cfg store.ConfigRecord
	var version int64
	err = tx.QueryRow(ctx, "SELECT admin_pub, roster_version, roster FROM config WHERE id = 1").Scan(&cfg.AdminPub, &version, &cfg.Roster)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotInitialized
	}
	if err != nil {
		return err
	}
	cfg.RosterVersion = uint64(version)
	if err := emit(store.Record{Config: &cfg}); err != nil {
		return err
	}

	each := func(query string, fn func(pgx.Rows) (store.Record, error)) error {
		rows, err := tx.Query(ctx, query)
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
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err = each("SELECT "+tokenColumns+" FROM tokens ORDER BY id", func(r pgx.Rows) (store.Record, error) {
		t, h, err := scanToken(r)
		return store.Record{Token: &store.TokenRecord{Token: t, SecretHash: h}}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT code_hash, role, label, device, expires, token_id FROM enrollments ORDER BY code_hash", func(r pgx.Rows) (store.Record, error) {
		var e store.EnrollmentRecord
		var code []byte
		var role string
		var expires int64
		var tokenID *string
		if err := r.Scan(&code, &role, &e.Enrollment.Label, &e.Enrollment.Device, &expires, &tokenID); err != nil {
			return store.Record{}, err
		}
		h, err := digest(code)
		if err != nil {
			return store.Record{}, fmt.Errorf("enrollment code: %w", err)
		}
		e.CodeHash = h
		if tokenID != nil {
			e.TokenID = *tokenID
		}
		e.Enrollment.Role, e.Enrollment.Expires = store.Role(role), time.Unix(expires, 0).UTC()
		return store.Record{Enrollment: &e}, nil
	})
	if err != nil {
		return err
	}
	err = each("SELECT idx, data FROM log_leaves ORDER BY idx", func(r pgx.Rows) (store.Record, error) {
		var l store.LeafRecord
		err := r.Scan(&l.Index, &l.Data)
		return store.Record{Leaf: &l}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT "+submissionColumns+", body FROM submissions ORDER BY seq", func(r pgx.Rows) (store.Record, error) {
		var body []byte
		sub, err := scanSubmission(r, &body)
		sub.Body = body
		return store.Record{Submission: &sub}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT "+annotationColumns+", body FROM annotations ORDER BY seq", func(r pgx.Rows) (store.Record, error) {
		var body []byte
		a, err := scanAnnotation(r, &body)
		a.Body = body
		return store.Record{Annotation: &a}, err
	})
	if err != nil {
		return err
	}
	err = each("SELECT "+lookupColumns+", body FROM lookups ORDER BY seq", func(r pgx.Rows) (store.Record, error) {
		var body []byte
		l, err := scanLookup(r, &body)
		l.Body = body
		return store.Record{Lookup: &l}, err
	})
	if err != nil {
		return err
	}
	return each("SELECT "+formColumns+", body FROM forms ORDER BY id, version", func(r pgx.Rows) (store.Record, error) {
		var body []byte
		f, err := scanForm(r, &body)
		f.Body = body
		return store.Record{Form: &f}, err
	})
}

// restoreBatch is how many statements Restore sends in one round trip.
const restoreBatch = 256

// Restore fills a store that has never been initialized, in one
// transaction that holds the writer row: no writer of any process writes
// while it runs, and an error anywhere (or a cancelled ctx) rolls all of
// it back. Rows are sent in batches; the checks that need rows already
// sent (a lookup's submission, a used code's token, a leaf taken twice)
// are the database's constraints, and that every row's leaf records it is
// checked at the end by reading the rows back joined with their leaves,
// streamed.
func (s *Store) Restore(ctx context.Context, next func() (store.Record, bool, error)) error {
	if err := s.restore(ctx, next); err != nil {
		return fmt.Errorf("failed to restore the store: %w", err)
	}
	return nil
}

func (s *Store) restore(ctx context.Context, next func() (store.Record, bool, error)) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SELECT id FROM writer WHERE id = 1 FOR UPDATE"); err != nil {
		return fmt.Errorf("failed to lock the writer row: %w", err)
	}
	for _, table := range []string{"config", "tokens", "enrollments", "log_leaves", "log_hashes", "submissions", "annotations", "lookups", "forms"} {
		var any bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+")").Scan(&any); err != nil {
			return err
		}
		if any {
			return fmt.Errorf("the store has %s: %w", table, store.ErrAlreadyInitialized)
		}
	}
	r := &restorer{tx: tx, ctx: ctx, edge: logEdge{size: 0, loaded: true}, batch: &pgx.Batch{}}
	for {
		if err := ctx.Err(); err != nil {
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
		if r.batch.Len() >= restoreBatch {
			if err := r.flush(); err != nil {
				return err
			}
		}
	}
	if err := r.check.Done(); err != nil {
		return err
	}
	if err := r.flush(); err != nil {
		return err
	}
	if err := r.checkLeaves(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("failed to commit: %w", err)
	}
	return nil
}

// restorer checks records on their way in, in Snapshot's order.
type restorer struct {
	tx    pgx.Tx
	ctx   context.Context
	batch *pgx.Batch // statements not sent yet
	what  []string   // the record each statement in batch is for, for messages

	check store.RestoreCheck
	n     int64   // records seen, for messages
	edge  logEdge // the log restored so far
}

// queue adds a statement for the record described by what.
func (r *restorer) queue(what, sql string, args ...any) {
	r.batch.Queue(sql, args...)
	r.what = append(r.what, what)
}

// flush sends the queued statements.
func (r *restorer) flush() error {
	if r.batch.Len() == 0 {
		return nil
	}
	b, what := r.batch, r.what
	r.batch, r.what = &pgx.Batch{}, nil
	br := r.tx.SendBatch(r.ctx, b)
	defer br.Close()
	for _, w := range what {
		if _, err := br.Exec(); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation
				return fmt.Errorf("%s names a row the snapshot does not have (%s): %w", w, pe.ConstraintName, err)
			}
			return fmt.Errorf("%s: %w", w, err)
		}
	}
	return br.Close()
}

func (r *restorer) add(rec store.Record) error {
	if err := r.check.Record(rec); err != nil {
		return err
	}
	switch {
	case rec.Config != nil:
		c := rec.Config
		r.queue("config", "INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, $1, $2, $3)",
			c.AdminPub, int64(c.RosterVersion), nonNil(c.Roster))

	case rec.Token != nil:
		t := rec.Token.Token
		r.queue("token "+t.ID, `INSERT INTO tokens
			(id, role, label, device, device_pub, created, revoked, secret_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.ID, string(t.Role), t.Label, t.Device, t.DevicePub, t.Created, t.Revoked, rec.Token.SecretHash[:])

	case rec.Enrollment != nil:
		e := rec.Enrollment
		var tokenID *string // NULL while unused; the foreign key refuses a token the snapshot lacks
		if e.TokenID != "" {
			tokenID = &e.TokenID
		}
		r.queue(fmt.Sprintf("enrollment code %x", e.CodeHash[:4]), "INSERT INTO enrollments (code_hash, role, label, device, expires, token_id) VALUES ($1, $2, $3, $4, $5, $6)",
			e.CodeHash[:], string(e.Enrollment.Role), e.Enrollment.Label, e.Enrollment.Device, e.Enrollment.Expires.Unix(), tokenID)

	case rec.Leaf != nil:
		l := rec.Leaf
		n := r.edge.size
		if l.Index != n {
			// RestoreCheck numbers leaves the same way: cannot happen.
			return fmt.Errorf("leaf %d where leaf %d comes next", l.Index, n)
		}
		hashes, err := r.edge.append(l.Data)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("leaf %d", n)
		r.queue(what, "INSERT INTO log_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])", hashes.idx, hashes.hs)
		r.queue(what, "INSERT INTO log_leaves (idx, data) VALUES ($1, $2)", n, l.Data)

	case rec.Submission != nil:
		sub := rec.Submission
		var rd []byte
		var rsize *int64
		if sub.HasReid {
			rd, rsize = sub.ReidDigest[:], &sub.ReidSize
		}
		r.queue("submission "+sub.ID, `INSERT INTO submissions
			(seq, id, digest, size, reid_digest, reid_size, device, day, body, leaf)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			sub.Seq, sub.ID, sub.Digest[:], sub.Size, rd, rsize, sub.Device, sub.Day, sub.Body, sub.Leaf)

	case rec.Annotation != nil:
		a := rec.Annotation
		r.queue("annotation "+a.ID, "INSERT INTO annotations (seq, id, digest, size, author, day, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			a.Seq, a.ID, a.Digest[:], a.Size, a.Author, a.Day, a.Body)

	case rec.Form != nil:
		f := rec.Form
		r.queue(fmt.Sprintf("form %s version %d", f.ID, f.Version), "INSERT INTO forms (id, version, digest, day, body) VALUES ($1, $2, $3, $4, $5)",
			f.ID, int64(f.Version), f.Digest[:], f.Day, f.Body)

	default:
		l := rec.Lookup
		// The foreign key refuses a submission the snapshot lacks.
		r.queue("lookup "+l.ID, `INSERT INTO lookups
			(seq, id, submission, digest, size, custodian, day, body, leaf)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			l.Seq, l.ID, l.Submission, l.Digest[:], l.Size, l.Custodian, l.Day, l.Body, l.Leaf)
	}
	return nil
}

// checkLeaves checks, reading the restored rows back with their leaves,
// that every submission's and lookup's leaf records it: the leaf the store
// would have appended for it.
func (r *restorer) checkLeaves() error {
	check := func(query string, leafOf func(pgx.Rows) (string, []byte, []byte, error)) error {
		rows, err := r.tx.Query(r.ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			what, want, got, err := leafOf(rows)
			if err != nil {
				return err
			}
			if !bytes.Equal(want, got) {
				return fmt.Errorf("%s points at a leaf that records something else", what)
			}
		}
		return rows.Err()
	}
	err := check("SELECT "+submissionColumns+", l.data FROM submissions JOIN log_leaves l ON l.idx = leaf ORDER BY seq",
		func(rows pgx.Rows) (string, []byte, []byte, error) {
			var got []byte
			sub, err := scanSubmission(rows, &got)
			if err != nil {
				return "", nil, nil, err
			}
			want, err := submissionLeaf(sub)
			return "submission " + sub.ID, want, got, err
		})
	if err != nil {
		return err
	}
	return check("SELECT "+lookupColumns+", l.data FROM lookups JOIN log_leaves l ON l.idx = leaf ORDER BY seq",
		func(rows pgx.Rows) (string, []byte, []byte, error) {
			var got []byte
			lk, err := scanLookup(rows, &got)
			if err != nil {
				return "", nil, nil, err
			}
			want, err := lookupLeaf(lk)
			return "lookup " + lk.ID, want, got, err
		})
}
