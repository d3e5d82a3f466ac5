package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"testimony/internal/store"
)

const annotationColumns = "seq, id, digest, size, author, day"

func scanAnnotation(r scanner) (store.Annotation, error) {
	var a store.Annotation
	var d []byte
	if err := r.Scan(&a.Seq, &a.ID, &d, &a.Size, &a.Author, &a.Day); err != nil {
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
		old, err := scanAnnotation(tx.queryRow("SELECT "+annotationColumns+" FROM annotations WHERE id = ?", a.ID))
		if err == nil {
			if old.Digest != a.Digest {
				return fmt.Errorf("annotation %s is stored with another digest: %w", a.ID, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var body any // NULL when the blob store holds the file
		if a.Body != nil {
			body = a.Body
		}
		res, err := tx.exec("INSERT INTO annotations (id, digest, size, author, day, body) VALUES (?, ?, ?, ?, ?, ?)",
			a.ID, a.Digest[:], a.Size, a.Author, a.Day, body)
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
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
	a, err := scanAnnotation(s.rdb.QueryRowContext(ctx, "SELECT "+annotationColumns+" FROM annotations WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
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
	err := s.rdb.QueryRowContext(ctx, "SELECT body FROM annotations WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.rdb.QueryContext(ctx,
		"SELECT "+annotationColumns+" FROM annotations WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to list annotations: %w", err)
	}
	defer rows.Close()
	var as []store.Annotation
	for rows.Next() {
		a, err := scanAnnotation(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list annotations: %w", err)
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list annotations: %w", err)
	}
	return as, nil
}
