package postgres

import (
	"context"
	"errors"

	"testimony/internal/store"
)

// Snapshot is not written yet.
func (s *Store) Snapshot(ctx context.Context, emit func(store.Record) error) error {
	return errors.New("postgres: Snapshot is not implemented yet")
}

// Restore is not written yet.
func (s *Store) Restore(ctx context.Context, next func() (store.Record, bool, error)) error {
	return errors.New("postgres: Restore is not implemented yet")
}
