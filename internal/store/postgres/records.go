package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"testimony/internal/store"
)

const annotationColumns = "seq, id, digest, size, author, day"

func scanAnnotation(r pgx.Row, extra ...any) (store.Annotation, error) {
	var a store.Annotation
	var d []byte
	if err := r.Scan(append([]any{&a.Seq, &a.ID, &d, &a.Size, &a.Author, &a.Day}, extra...)...); err != nil {
		return store.Annotation{}, err
	}
	var err error
	if a.Digest, err = digest(d); err != nil {
		return store.Annotation{}, fmt.Errorf("annotation %s: %w", a.ID, err)
	}
	return a, nil
}

// AddAnnotation records an annotation, giving it the next annotation Seq.
func (s *Store) AddAnnotation(ctx context.Context, a store.Annotation) (store.Annotation, bool, error) {
	if err := store.CheckAnnotation(a); err != nil {
		return store.Annotation{}, false, fmt.Errorf("failed to add annotation: %w", err)
	}
	var stored store.Annotation
	var created bool
	err := s.write(ctx, func(tx *wtx) error {
		var old store.Annotation
		err := tx.row("SELECT "+annotationColumns+" FROM annotations WHERE id = $1", []any{a.ID}, func(r pgx.Row) (err error) {
			old, err = scanAnnotation(r)
			return err
		})
		if err == nil {
			if old.Digest != a.Digest {
				return fmt.Errorf("annotation %s is stored with another digest: %w", a.ID, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		tx.state.annSeq++
		seq := tx.state.annSeq
		// A nil Body is NULL: the blob store holds the file.
		tx.exec("INSERT INTO annotations (seq, id, digest, size, author, day, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			seq, a.ID, a.Digest[:], a.Size, a.Author, a.Day, a.Body)
		stored, created = a, true
		stored.Seq, stored.Body = seq, nil
		return nil
	})
	if err != nil {
		return store.Annotation{}, false, fmt.Errorf("failed to add annotation: %w", err)
	}
	return stored, created, nil
}

// Annotation returns the annotation with this ID.
func (s *Store) Annotation(ctx context.Context, id string) (store.Annotation, error) {
	a, err := scanAnnotation(s.pool.QueryRow(ctx, "SELECT "+annotationColumns+" FROM annotations WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Annotation{}, fmt.Errorf("failed to read annotation: %w", err)
	}
	return a, nil
}

// AnnotationBody returns the inline ciphertext of an annotation.
func (s *Store) AnnotationBody(ctx context.Context, id string) ([]byte, bool, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT body FROM annotations WHERE id = $1", id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("annotation %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to read annotation: %w", err)
	}
	return body, body != nil, nil
}

// Annotations lists up to limit annotations with Seq > after, by Seq.
func (s *Store) Annotations(ctx context.Context, after int64, limit int) ([]store.Annotation, error) {
	if limit < 1 {
		return nil, fmt.Errorf("failed to list annotations: limit %d is below 1", limit)
	}
	return list(ctx, s, "annotations",
		"SELECT "+annotationColumns+" FROM annotations WHERE seq > $1 ORDER BY seq LIMIT $2",
		[]any{after, limit}, func(r pgx.Rows) (store.Annotation, error) { return scanAnnotation(r) })
}

const lookupColumns = "seq, id, submission, digest, size, custodian, day, leaf"

func scanLookup(r pgx.Row, extra ...any) (store.Lookup, error) {
	var l store.Lookup
	var d []byte
	if err := r.Scan(append([]any{&l.Seq, &l.ID, &l.Submission, &d, &l.Size, &l.Custodian, &l.Day, &l.Leaf}, extra...)...); err != nil {
		return store.Lookup{}, err
	}
	var err error
	if l.Digest, err = digest(d); err != nil {
		return store.Lookup{}, fmt.Errorf("lookup %s: %w", l.ID, err)
	}
	return l, nil
}

// AddLookup records a lookup and appends its leaf, in one transaction.
func (s *Store) AddLookup(ctx context.Context, l store.Lookup) (store.Lookup, bool, error) {
	if err := store.CheckLookup(l); err != nil {
		return store.Lookup{}, false, fmt.Errorf("failed to add lookup: %w", err)
	}
	var stored store.Lookup
	var created bool
	err := s.write(ctx, func(tx *wtx) error {
		// One round trip: the lookup if it exists, and whether its
		// submission does.
		var old *store.Lookup
		var subExists bool
		err := tx.row(`SELECT l.seq, l.id, l.submission, l.digest, l.size, l.custodian, l.day, l.leaf,
				EXISTS (SELECT 1 FROM submissions WHERE id = $2)
			FROM (VALUES (1)) AS one (x) LEFT JOIN lookups l ON l.id = $1`,
			[]any{l.ID, l.Submission}, func(r pgx.Row) (err error) {
				old, subExists, err = scanLookupIfAny(r)
				return err
			})
		if err != nil {
			return err
		}
		if old != nil {
			if old.Digest != l.Digest || old.Submission != l.Submission || old.Custodian != l.Custodian {
				return fmt.Errorf("lookup %s is stored with another digest, submission or custodian: %w", l.ID, store.ErrConflict)
			}
			stored, created = *old, false
			return nil
		}
		if !subExists {
			return fmt.Errorf("submission %s: %w", l.Submission, store.ErrNotFound)
		}
		leaf, err := tx.appendLookupLeaf(l)
		if err != nil {
			return err
		}
		tx.state.lookSeq++
		seq := tx.state.lookSeq
		tx.exec(`INSERT INTO lookups
			(seq, id, submission, digest, size, custodian, day, body, leaf)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			seq, l.ID, l.Submission, l.Digest[:], l.Size, l.Custodian, l.Day, l.Body, leaf)
		stored, created = l, true
		stored.Seq, stored.Leaf, stored.Body = seq, leaf, nil
		return nil
	})
	if err != nil {
		return store.Lookup{}, false, fmt.Errorf("failed to add lookup: %w", err)
	}
	return stored, created, nil
}

// scanLookupIfAny scans lookupColumns, where all are NULL if there is no
// such lookup, and a flag.
func scanLookupIfAny(r pgx.Row) (*store.Lookup, bool, error) {
	var seq, size, leaf *int64
	var id, sub, custodian, day *string
	var d []byte
	var flag bool
	if err := r.Scan(&seq, &id, &sub, &d, &size, &custodian, &day, &leaf, &flag); err != nil {
		return nil, false, err
	}
	if seq == nil {
		return nil, flag, nil
	}
	if id == nil || sub == nil || size == nil || custodian == nil || day == nil || leaf == nil {
		return nil, false, errors.New("a stored lookup has a NULL column")
	}
	l := &store.Lookup{Seq: *seq, ID: *id, Submission: *sub, Size: *size, Custodian: *custodian, Day: *day, Leaf: *leaf}
	var err error
	if l.Digest, err = digest(d); err != nil {
		return nil, false, fmt.Errorf("lookup %s: %w", l.ID, err)
	}
	return l, flag, nil
}

// Lookup returns the lookup with this ID.
func (s *Store) Lookup(ctx context.Context, id string) (store.Lookup, error) {
	l, err := scanLookup(s.pool.QueryRow(ctx, "SELECT "+lookupColumns+" FROM lookups WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx, "SELECT body FROM lookups WHERE id = $1", id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
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
	return list(ctx, s, "lookups",
		"SELECT "+lookupColumns+" FROM lookups WHERE seq > $1 ORDER BY seq LIMIT $2",
		[]any{after, limit}, func(r pgx.Rows) (store.Lookup, error) { return scanLookup(r) })
}

// checkToken checks a token the store keeps as given, role included.
func checkToken(t store.Token) error {
	if err := store.CheckToken(t); err != nil {
		return err
	}
	if !t.Role.Valid() {
		return fmt.Errorf("invalid role %q", t.Role)
	}
	return nil
}
