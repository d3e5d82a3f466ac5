package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"testimony/internal/store"
)

const formColumns = "id, version, digest, day"

func scanForm(r scanner, extra ...any) (store.Form, error) {
	var f store.Form
	var version int64
	var d []byte
	if err := r.Scan(append([]any{&f.ID, &version, &d, &f.Day}, extra...)...); err != nil {
		return store.Form{}, err
	}
	f.Version = uint64(version)
	var err error
	if f.Digest, err = digest(d); err != nil {
		return store.Form{}, fmt.Errorf("form %s@%d: %w", f.ID, f.Version, err)
	}
	return f, nil
}

// PutForm stores a published form.
func (s *Store) PutForm(ctx context.Context, f store.Form) (store.Form, bool, error) {
	if err := store.CheckForm(f); err != nil {
		return store.Form{}, false, fmt.Errorf("failed to store form: %w", err)
	}
	var stored store.Form
	var created bool
	err := s.write(ctx, func(tx *wtx) error {
		old, err := scanForm(tx.queryRow("SELECT "+formColumns+" FROM forms WHERE id = ? AND version = ?", f.ID, int64(f.Version)))
		if err == nil {
			if old.Digest != f.Digest {
				return fmt.Errorf("form %s version %d is stored with another digest: %w", f.ID, f.Version, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var newest sql.NullInt64
		if err := tx.queryRow("SELECT max(version) FROM forms WHERE id = ?", f.ID).Scan(&newest); err != nil {
			return err
		}
		if newest.Valid && uint64(newest.Int64) > f.Version {
			return fmt.Errorf("form %s version %d is below the newest, %d: %w", f.ID, f.Version, newest.Int64, store.ErrConflict)
		}
		if _, err := tx.exec("INSERT INTO forms (id, version, digest, day, body) VALUES (?, ?, ?, ?, ?)",
			f.ID, int64(f.Version), f.Digest[:], f.Day, f.Body); err != nil {
			return err
		}
		stored, created = f, true
		stored.Body = nil
		return nil
	})
	if err != nil {
		return store.Form{}, false, fmt.Errorf("failed to store form: %w", err)
	}
	return stored, created, nil
}

// Forms lists every version of every form.
func (s *Store) Forms(ctx context.Context) ([]store.Form, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+formColumns+" FROM forms ORDER BY id, version")
	if err != nil {
		return nil, fmt.Errorf("failed to list forms: %w", err)
	}
	defer rows.Close()
	var fs []store.Form
	for rows.Next() {
		f, err := scanForm(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list forms: %w", err)
		}
		fs = append(fs, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list forms: %w", err)
	}
	return fs, nil
}

// FormBody returns the signed note of a form.
func (s *Store) FormBody(ctx context.Context, id string, version uint64) ([]byte, error) {
	var body []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT body FROM forms WHERE id = ? AND version = ?", id, int64(version)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("form %s version %d: %w", id, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read form: %w", err)
	}
	return body, nil
}
