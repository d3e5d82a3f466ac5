package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

// logEdge is the right edge of a log of size leaves: the stored hashes of
// the complete subtrees that a new leaf may be combined with, which is all
// tlog.StoredHashes reads. Leaves and hashes are never changed once
// committed, so the edge of a committed size stays right for as long as the
// log has that size.
type logEdge struct {
	size   int64       // -1: unknown
	loaded bool        // roots holds the hashes at edgeIndexes(size)
	roots  []tlog.Hash // never changed in place: a new edge gets a new slice
}

// edgeIndexes returns the stored hash indexes of the roots of the complete
// subtrees that make up a tree of n leaves, largest first.
func edgeIndexes(n int64) []int64 {
	var idx []int64
	for l := 62; l >= 0; l-- {
		if n>>l&1 == 1 {
			idx = append(idx, tlog.StoredHashIndex(l, n>>l-1))
		}
	}
	return idx
}

// edgeReader reads the hashes at the given indexes of an edge.
func edgeReader(idx []int64, roots []tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(want []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(want))
	next:
		for i, w := range want {
			for j, x := range idx {
				if x == w {
					hs[i] = roots[j]
					continue next
				}
			}
			return nil, fmt.Errorf("log hash %d is not on the edge of the tree", w)
		}
		return hs, nil
	})
}

// grow returns the edge after appending a leaf whose new stored hashes
// (tlog.StoredHashes) are hashes.
func (e logEdge) grow(hashes []tlog.Hash) (logEdge, error) {
	n := e.size
	idx := edgeIndexes(n)
	base := tlog.StoredHashIndex(0, n)
	old := edgeReader(idx, e.roots)
	next := edgeIndexes(n + 1)
	roots := make([]tlog.Hash, len(next))
	for j, x := range next {
		if x >= base {
			if x-base >= int64(len(hashes)) {
				return logEdge{}, fmt.Errorf("log hash %d was not made by the append", x)
			}
			roots[j] = hashes[x-base]
			continue
		}
		h, err := old.ReadHashes([]int64{x})
		if err != nil {
			return logEdge{}, err
		}
		roots[j] = h[0]
	}
	return logEdge{size: n + 1, loaded: true, roots: roots}, nil
}

// appendSubmissionLeaf appends the leaf recording sub and returns its index.
func (t *wtx) appendSubmissionLeaf(sub store.Submission) (int64, error) {
	data, err := submissionLeaf(sub)
	if err != nil {
		return 0, err
	}
	return t.appendLeaf(data)
}

func submissionLeaf(sub store.Submission) ([]byte, error) {
	l := auditlog.Submission{ID: sub.ID, SHA256: sub.Digest, Device: sub.Device, Day: sub.Day}
	if sub.HasReid {
		d := sub.ReidDigest
		l.Reid = &d
	}
	return l.MarshalLeaf()
}

// appendLookupLeaf appends the leaf recording l and returns its index.
func (t *wtx) appendLookupLeaf(l store.Lookup) (int64, error) {
	data, err := lookupLeaf(l)
	if err != nil {
		return 0, err
	}
	return t.appendLeaf(data)
}

func lookupLeaf(l store.Lookup) ([]byte, error) {
	return auditlog.Lookup{ID: l.ID, SHA256: l.Digest, Submission: l.Submission, Custodian: l.Custodian, Day: l.Day}.MarshalLeaf()
}

// appendLeaf queues the writes that append a leaf to the log: the leaf
// itself and the tree hashes it completes. Nothing stored is ever
// overwritten: an index already taken fails the insert (and the batch).
func (t *wtx) appendLeaf(data []byte) (int64, error) {
	e := t.state.edge
	if !e.loaded {
		var err error
		if e, err = t.readEdge(e.size); err != nil {
			return 0, err
		}
	}
	n := e.size
	nh, err := e.append(data)
	if err != nil {
		return 0, err
	}
	if t.merge {
		t.bulk.hashIdx = append(t.bulk.hashIdx, nh.idx...)
		t.bulk.hashVal = append(t.bulk.hashVal, nh.hs...)
		t.bulk.leafIdx = append(t.bulk.leafIdx, n)
		t.bulk.leafData = append(t.bulk.leafData, data)
		t.wrote = true
	} else {
		t.exec(bulkHashesSQL, nh.idx, nh.hs)
		t.exec(bulkLeavesSQL, []int64{n}, [][]byte{data})
	}
	t.state.edge = e
	return n, nil
}

// newHashes is what a leaf adds to log_hashes.
type newHashes struct {
	idx []int64
	hs  [][]byte
}

// append computes the stored hashes a leaf adds to a log with this edge,
// and moves the edge on (to a new roots slice: an edge saved before is
// left as it was).
func (e *logEdge) append(data []byte) (newHashes, error) {
	n := e.size
	hashes, err := tlog.StoredHashes(n, data, edgeReader(edgeIndexes(n), e.roots))
	if err != nil {
		return newHashes{}, fmt.Errorf("failed to append to the log: %w", err)
	}
	next, err := e.grow(hashes)
	if err != nil {
		return newHashes{}, fmt.Errorf("failed to append to the log: %w", err)
	}
	base := tlog.StoredHashIndex(0, n)
	nh := newHashes{idx: make([]int64, len(hashes)), hs: make([][]byte, len(hashes))}
	for i := range hashes {
		nh.idx[i], nh.hs[i] = base+int64(i), hashes[i][:]
	}
	*e = next
	return nh, nil
}

// readEdge reads the edge of a log of size leaves from the database.
func (t *wtx) readEdge(size int64) (logEdge, error) {
	idx := edgeIndexes(size)
	if len(idx) == 0 {
		return logEdge{size: size, loaded: true}, nil
	}
	found := make(map[int64]tlog.Hash, len(idx))
	err := t.query(logHashesSQL, []any{idx}, func(r pgx.Rows) error {
		var i int64
		var h []byte
		if err := r.Scan(&i, &h); err != nil {
			return err
		}
		if len(h) != tlog.HashSize {
			return fmt.Errorf("log hash %d has %d bytes", i, len(h))
		}
		found[i] = tlog.Hash(h)
		return nil
	})
	if err != nil {
		return logEdge{}, fmt.Errorf("failed to read the log's edge: %w", err)
	}
	roots := make([]tlog.Hash, len(idx))
	for j, x := range idx {
		h, ok := found[x]
		if !ok {
			return logEdge{}, fmt.Errorf("log hash %d is missing", x)
		}
		roots[j] = h
	}
	return logEdge{size: size, loaded: true, roots: roots}, nil
}

// LogSize returns the number of leaves in the log.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, logSizeSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to read the log size: %w", err)
	}
	return n, nil
}

// LogHashes returns stored hashes by index, in one query.
func (s *Store) LogHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, logHashesSQL, indexes)
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
	err := s.pool.QueryRow(ctx, "SELECT data FROM log_leaves WHERE idx = $1", index).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("log leaf %d: %w", index, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read log leaf: %w", err)
	}
	return data, nil
}
