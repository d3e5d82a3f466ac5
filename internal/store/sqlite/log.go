package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

// querier is a transaction the log can append in: the writer's, or a
// migration's.
type querier interface {
	exec(query string, args ...any) (sql.Result, error)
	queryRow(query string, args ...any) *sql.Row
}

// appendSubmissionLeaf appends the leaf recording sub and returns its index.
func appendSubmissionLeaf(tx querier, sub store.Submission) (int64, error) {
	l := auditlog.Submission{ID: sub.ID, SHA256: sub.Digest, Device: sub.Device, Day: sub.Day}
	if sub.HasReid {
		d := sub.ReidDigest
		l.Reid = &d
	}
	data, err := l.MarshalLeaf()
	if err != nil {
		return 0, err
	}
	return appendLeaf(tx, data)
}

// appendLeaf appends a leaf to the log inside tx: the leaf itself and the
// tree hashes it completes. Nothing stored is ever overwritten: an index
// already taken fails the insert.
func appendLeaf(tx querier, data []byte) (int64, error) {
	var n int64
	if err := tx.queryRow("SELECT coalesce(max(idx) + 1, 0) FROM log_leaves").Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to read the log size: %w", err)
	}
	hashes, err := tlog.StoredHashes(n, data, tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(indexes))
		for i, idx := range indexes {
			var h []byte
			if err := tx.queryRow("SELECT hash FROM log_hashes WHERE idx = ?", idx).Scan(&h); err != nil {
				return nil, fmt.Errorf("failed to read log hash %d: %w", idx, err)
			}
			if len(h) != tlog.HashSize {
				return nil, fmt.Errorf("log hash %d has %d bytes", idx, len(h))
			}
			hs[i] = tlog.Hash(h)
		}
		return hs, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("failed to append to the log: %w", err)
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if _, err := tx.exec("INSERT INTO log_hashes (idx, hash) VALUES (?, ?)", base+int64(i), h[:]); err != nil {
			return 0, fmt.Errorf("failed to append to the log: %w", err)
		}
	}
	if _, err := tx.exec("INSERT INTO log_leaves (idx, data) VALUES (?, ?)", n, data); err != nil {
		return 0, fmt.Errorf("failed to append to the log: %w", err)
	}
	return n, nil
}

// LogSize returns the number of leaves in the log.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.rdb.QueryRowContext(ctx, "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves").Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to read the log size: %w", err)
	}
	return n, nil
}

// LogHashes returns stored hashes by index, in one query.
func (s *Store) LogHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := make([]any, len(indexes))
	for i, idx := range indexes {
		args[i] = idx
	}
	q := "SELECT idx, hash FROM log_hashes WHERE idx IN (?" + strings.Repeat(", ?", len(indexes)-1) + ")"
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to read log hashes: %w", err)
	}
	defer rows.Close()
	found := make(map[int64]tlog.Hash, len(indexes))
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, fmt.Errorf("failed to read log hashes: %w", err)
		}
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("log hash %d has %d bytes", idx, len(h))
		}
		found[idx] = tlog.Hash(h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to read log hashes: %w", err)
	}
	hs := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok {
			return nil, fmt.Errorf("log hash %d: %w", idx, store.ErrNotFound)
		}
		hs[i] = h
	}
	return hs, nil
}

// LogLeaf returns the leaf at index.
func (s *Store) LogLeaf(ctx context.Context, index int64) ([]byte, error) {
	var data []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT data FROM log_leaves WHERE idx = ?", index).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("log leaf %d: %w", index, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read log leaf: %w", err)
	}
	return data, nil
}
