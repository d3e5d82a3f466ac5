package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

const lookupColumns = "seq, id, submission, digest, size, custodian, day, leaf"

func scanLookup(r scanner) (store.Lookup, error) {
	var l store.Lookup
	var d []byte
	if err := r.Scan(&l.Seq, &l.ID, &l.Submission, &d, &l.Size, &l.Custodian, &l.Day, &l.Leaf); err != nil {
		return store.Lookup{}, err
	}
	var err error
	if l.Digest, err = digest(d); err != nil {
		return store.Lookup{}, fmt.Errorf("lookup %s: %w", l.ID, err)
	}
	return l, nil
}

// appendLookupLeaf appends the leaf recording l and returns its index.
func appendLookupLeaf(tx querier, l store.Lookup) (int64, error) {
	data, err := auditlog.Lookup{ID: l.ID, SHA256: l.Digest, Submission: l.Submission, Custodian: l.Custodian, Day: l.Day}.MarshalLeaf()
	if err != nil {
		return 0, err
	}
	return appendLeaf(tx, data)
}

// AddLookup records a lookup and appends its leaf, in one transaction.
func (s *Store) AddLookup(ctx context.Context, l store.Lookup) (store.Lookup, bool, error) {
	if err := store.CheckLookup(l); err != nil {
		return store.Lookup{}, false, fmt.Errorf("failed to add lookup: %w", err)
	}
	var stored store.Lookup
	var created bool
	err := s.write(ctx, func(tx *wtx) error {
		old, err := scanLookup(tx.queryRow("SELECT "+lookupColumns+" FROM lookups WHERE id = ?", l.ID))
		if err == nil {
			if old.Digest != l.Digest || old.Submission != l.Submission || old.Custodian != l.Custodian {
				return fmt.Errorf("lookup %s is stored with another digest, submission or custodian: %w", l.ID, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.queryRow("SELECT count(*) FROM submissions WHERE id = ?", l.Submission).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("submission %s: %w", l.Submission, store.ErrNotFound)
		}
		leaf, err := appendLookupLeaf(tx, l)
		if err != nil {
			return err
		}
		res, err := tx.exec(`INSERT INTO lookups
			(id, submission, digest, size, custodian, day, body, leaf)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.Submission, l.Digest[:], l.Size, l.Custodian, l.Day, l.Body, leaf)
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		stored, created = l, true
		stored.Seq, stored.Leaf, stored.Body = seq, leaf, nil
		return nil
	})
	if err != nil {
		return store.Lookup{}, false, fmt.Errorf("failed to add lookup: %w", err)
	}
	return stored, created, nil
}

// Lookup returns the lookup with this ID.
func (s *Store) Lookup(ctx context.Context, id string) (store.Lookup, error) {
	l, err := scanLookup(s.rdb.QueryRowContext(ctx, "SELECT "+lookupColumns+" FROM lookups WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Lookup{}, fmt.Errorf("failed to read lookup: %w", err)
	}
	return l, nil
}

// LookupBody returns the sealed reason of a lookup.
func (s *Store) LookupBody(ctx context.Context, id string) ([]byte, error) {
	var body []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT body FROM lookups WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("lookup %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read lookup: %w", err)
	}
	return body, nil
}

// Lookups lists up to limit lookups with Seq > after, by Seq.
func (s *Store) Lookups(ctx context.Context, after int64, limit int) ([]store.Lookup, error) {
	if limit < 1 {
		return nil, fmt.Errorf("failed to list lookups: limit %d is below 1", limit)
	}
	rows, err := s.rdb.QueryContext(ctx,
		"SELECT "+lookupColumns+" FROM lookups WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to list lookups: %w", err)
	}
	defer rows.Close()
	var ls []store.Lookup
	for rows.Next() {
		l, err := scanLookup(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list lookups: %w", err)
		}
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list lookups: %w", err)
	}
	return ls, nil
}
