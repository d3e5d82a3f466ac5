package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"testimony/internal/store"
)

const formColumns = "id, version, digest, day"

func scanForm(r pgx.Row, extra ...any) (store.Form, error) {
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
		var old store.Form
		err := tx.row("SELECT "+formColumns+" FROM forms WHERE id = $1 AND version = $2", []any{f.ID, int64(f.Version)}, func(r pgx.Row) (err error) {
			old, err = scanForm(r)
			return err
		})
		if err == nil {
			if old.Digest != f.Digest {
				return fmt.Errorf("form %s version %d is stored with another digest: %w", f.ID, f.Version, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var newest *int64
		if err := tx.queryRow("SELECT max(version) FROM forms WHERE id = $1", []any{f.ID}, &newest); err != nil {
			return err
		}
		if newest != nil && uint64(*newest) > f.Version {
			return fmt.Errorf("form %s version %d is below the newest, %d: %w", f.ID, f.Version, *newest, store.ErrConflict)
		}
		tx.exec("INSERT INTO forms (id, version, digest, day, body) VALUES ($1, $2, $3, $4, $5)",
			f.ID, int64(f.Version), f.Digest[:], f.Day, f.Body)
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
	return list(ctx, s, "forms", "SELECT "+formColumns+" FROM forms ORDER BY id, version", nil,
		func(r pgx.Rows) (store.Form, error) { return scanForm(r) })
}

// FormBody returns the signed note of a form.
func (s *Store) FormBody(ctx context.Context, id string, version uint64) ([]byte, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT body FROM forms WHERE id = $1 AND version = $2", id, int64(version)).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("form %s version %d: %w", id, version, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read form: %w", err)
	}
	return body, nil
}
