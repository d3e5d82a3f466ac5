package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"testimony/internal/store"
)

// Init pins the admin key and the first roster.
func (s *Store) Init(ctx context.Context, adminPub string, rosterVersion uint64, roster []byte) error {
	if adminPub == "" {
		return errors.New("failed to initialize store: the admin key is empty")
	}
	err := s.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow("SELECT count(*) FROM config").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrAlreadyInitialized
		}
		_, err := tx.exec(
			"INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, ?, ?, ?)",
			adminPub, int64(rosterVersion), nonNil(roster))
		return err
	})
	if err != nil {
		return fmt.Errorf("failed to initialize store: %w", err)
	}
	return nil
}

// AdminPub returns the pinned admin key.
func (s *Store) AdminPub(ctx context.Context) (string, error) {
	var pub string
	err := s.rdb.QueryRowContext(ctx, "SELECT admin_pub FROM config WHERE id = 1").Scan(&pub)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotInitialized
	}
	if err != nil {
		return "", fmt.Errorf("failed to read admin key: %w", err)
	}
	return pub, nil
}

// Roster returns the current roster and its version.
func (s *Store) Roster(ctx context.Context) (uint64, []byte, error) {
	var version int64
	var roster []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT roster_version, roster FROM config WHERE id = 1").Scan(&version, &roster)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotInitialized
	}
	if err != nil {
		return 0, nil, fmt.Errorf("failed to read roster: %w", err)
	}
	return uint64(version), roster, nil
}

// PutRoster replaces the roster with a newer one.
func (s *Store) PutRoster(ctx context.Context, version uint64, roster []byte) error {
	err := s.write(ctx, func(tx *wtx) error {
		var cur int64
		err := tx.queryRow("SELECT roster_version FROM config WHERE id = 1").Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotInitialized
		}
		if err != nil {
			return err
		}
		if version <= uint64(cur) {
			return fmt.Errorf("version %d is not above the current %d: %w", version, uint64(cur), store.ErrConflict)
		}
		_, err = tx.exec("UPDATE config SET roster_version = ?, roster = ? WHERE id = 1",
			int64(version), nonNil(roster))
		return err
	})
	if err != nil {
		return fmt.Errorf("failed to store roster: %w", err)
	}
	return nil
}

// AddToken stores a new token.
func (s *Store) AddToken(ctx context.Context, t store.Token, secretHash [32]byte) error {
	if err := store.CheckToken(t); err != nil {
		return fmt.Errorf("failed to add token: %w", err)
	}
	if !t.Role.Valid() {
		return fmt.Errorf("failed to add token: invalid role %q", t.Role)
	}
	err := s.write(ctx, func(tx *wtx) error {
		return insertToken(tx, t, secretHash)
	})
	if err != nil {
		return fmt.Errorf("failed to add token %s: %w", t.ID, err)
	}
	return nil
}

func insertToken(tx *wtx, t store.Token, secretHash [32]byte) error {
	var n int
	if err := tx.queryRow("SELECT count(*) FROM tokens WHERE id = ?", t.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("a token with this ID exists: %w", store.ErrConflict)
	}
	_, err := tx.exec(`INSERT INTO tokens
		(id, role, label, device, device_pub, created, revoked, secret_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, string(t.Role), t.Label, t.Device, t.DevicePub, t.Created, t.Revoked, secretHash[:])
	return err
}

const tokenColumns = "id, role, label, device, device_pub, created, revoked, secret_hash"

func scanToken(r scanner) (store.Token, [32]byte, error) {
	var t store.Token
	var role string
	var hash []byte
	if err := r.Scan(&t.ID, &role, &t.Label, &t.Device, &t.DevicePub, &t.Created, &t.Revoked, &hash); err != nil {
		return store.Token{}, [32]byte{}, err
	}
	t.Role = store.Role(role)
	h, err := digest(hash)
	if err != nil {
		return store.Token{}, [32]byte{}, fmt.Errorf("token %s: %w", t.ID, err)
	}
	return t, h, nil
}

// Token returns the token with this ID and the hash of its secret.
func (s *Store) Token(ctx context.Context, id string) (store.Token, [32]byte, error) {
	row := s.rdb.QueryRowContext(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = ?", id)
	t, h, err := scanToken(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, [32]byte{}, fmt.Errorf("failed to read token: %w", err)
	}
	return t, h, nil
}

// RevokeToken marks a token revoked. Revoking a revoked token succeeds.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.exec("UPDATE tokens SET revoked = 1 WHERE id = ?", id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to revoke token: %w", err)
	}
	return nil
}

// Tokens lists all tokens by ID.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("failed to list tokens: %w", err)
	}
	defer rows.Close()
	var ts []store.Token
	for rows.Next() {
		t, _, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list tokens: %w", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list tokens: %w", err)
	}
	return ts, nil
}

// AddEnrollment stores a single-use enrollment code by its hash. The expiry
// is kept to the second, rounded down.
func (s *Store) AddEnrollment(ctx context.Context, codeHash [32]byte, e store.Enrollment) error {
	if !e.Role.Valid() {
		return fmt.Errorf("failed to add enrollment code: invalid role %q", e.Role)
	}
	err := s.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow("SELECT count(*) FROM enrollments WHERE code_hash = ?", codeHash[:]).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the code exists: %w", store.ErrConflict)
		}
		_, err := tx.exec(
			"INSERT INTO enrollments (code_hash, role, label, device, expires) VALUES (?, ?, ?, ?, ?)",
			codeHash[:], string(e.Role), e.Label, e.Device, e.Expires.Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("failed to add enrollment code: %w", err)
	}
	return nil
}

// enrollmentQuery reads a code's row: the same for Enrollment (a reader)
// and Enroll (the writer).
const enrollmentQuery = "SELECT role, label, device, expires, token_id FROM enrollments WHERE code_hash = ?"

// scanEnrollment reads an enrollment code and checks that it can still be
// used at now.
func scanEnrollment(row scanner, now time.Time) (store.Enrollment, error) {
	var e store.Enrollment
	var role string
	var expires int64
	var used sql.NullString
	err := row.Scan(&role, &e.Label, &e.Device, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("unknown enrollment code: %w", store.ErrNotFound)
	}
	if err != nil {
		return e, err
	}
	if used.Valid {
		return e, fmt.Errorf("the enrollment code was used: %w", store.ErrConflict)
	}
	if now.Unix() >= expires {
		return e, fmt.Errorf("the enrollment code expired: %w", store.ErrConflict)
	}
	e.Role, e.Expires = store.Role(role), time.Unix(expires, 0).UTC()
	return e, nil
}

// Enrollment returns an unused, unexpired enrollment code.
func (s *Store) Enrollment(ctx context.Context, codeHash [32]byte, now time.Time) (store.Enrollment, error) {
	e, err := scanEnrollment(s.rdb.QueryRowContext(ctx, enrollmentQuery, codeHash[:]), now)
	if err != nil {
		return store.Enrollment{}, fmt.Errorf("failed to read enrollment code: %w", err)
	}
	return e, nil
}

// Enroll redeems an enrollment code. The code is valid while now is before
// its expiry (to the second).
func (s *Store) Enroll(ctx context.Context, codeHash [32]byte, now time.Time, t store.Token, secretHash [32]byte) (store.Token, error) {
	if err := store.CheckToken(t); err != nil {
		return store.Token{}, fmt.Errorf("failed to enroll: %w", err)
	}
	var stored store.Token
	err := s.write(ctx, func(tx *wtx) error {
		e, err := scanEnrollment(tx.queryRow(enrollmentQuery, codeHash[:]), now)
		if err != nil {
			return err
		}
		if t.Device != e.Device {
			return fmt.Errorf("the token names device %q, the code %q: %w", t.Device, e.Device, store.ErrWrongDevice)
		}
		nt := t
		nt.Role, nt.Label, nt.Revoked = e.Role, e.Label, false
		if err := insertToken(tx, nt, secretHash); err != nil {
			return err
		}
		if _, err := tx.exec("UPDATE enrollments SET token_id = ? WHERE code_hash = ?", nt.ID, codeHash[:]); err != nil {
			return err
		}
		stored = nt
		return nil
	})
	if err != nil {
		return store.Token{}, fmt.Errorf("failed to enroll: %w", err)
	}
	return stored, nil
}

const (
	submissionColumnsV1 = "seq, id, digest, size, reid_digest, reid_size, device, day"
	submissionColumns   = submissionColumnsV1 + ", leaf"
)

func scanSubmission(r scanner) (store.Submission, error) {
	var leaf sql.NullInt64
	sub, err := scanSubmissionWith(r, &leaf)
	if err != nil {
		return sub, err
	}
	if !leaf.Valid {
		return store.Submission{}, fmt.Errorf("submission %s has no log leaf", sub.ID)
	}
	sub.Leaf = leaf.Int64
	return sub, nil
}

// scanSubmissionV1 scans the columns of schema version 1.
func scanSubmissionV1(r scanner) (store.Submission, error) { return scanSubmissionWith(r) }

func scanSubmissionWith(r scanner, extra ...any) (store.Submission, error) {
	var sub store.Submission
	var d, rd []byte
	var rsize sql.NullInt64
	if err := r.Scan(append([]any{&sub.Seq, &sub.ID, &d, &sub.Size, &rd, &rsize, &sub.Device, &sub.Day}, extra...)...); err != nil {
		return store.Submission{}, err
	}
	var err error
	if sub.Digest, err = digest(d); err != nil {
		return store.Submission{}, fmt.Errorf("submission %s: %w", sub.ID, err)
	}
	if rd != nil {
		sub.HasReid, sub.ReidSize = true, rsize.Int64
		if sub.ReidDigest, err = digest(rd); err != nil {
			return store.Submission{}, fmt.Errorf("submission %s: %w", sub.ID, err)
		}
	}
	return sub, nil
}

// AddSubmission records an accepted submission, giving it the next Seq.
// ReidDigest and ReidSize are ignored unless HasReid is set.
func (s *Store) AddSubmission(ctx context.Context, sub store.Submission) (store.Submission, bool, error) {
	if err := store.CheckSubmission(sub); err != nil {
		return store.Submission{}, false, fmt.Errorf("failed to add submission: %w", err)
	}
	if !sub.HasReid {
		sub.ReidDigest, sub.ReidSize = [32]byte{}, 0
	}
	if sub.Body != nil && (int64(len(sub.Body)) != sub.Size || len(sub.Body) > store.MaxInlineBody) {
		return store.Submission{}, false, fmt.Errorf("failed to add submission: an inline body must be Size bytes, at most %d", store.MaxInlineBody)
	}
	var stored store.Submission
	var created bool
	err := s.write(ctx, func(tx *wtx) error {
		row := tx.queryRow("SELECT "+submissionColumns+" FROM submissions WHERE id = ?", sub.ID)
		old, err := scanSubmission(row)
		if err == nil {
			if old.Digest != sub.Digest || old.HasReid != sub.HasReid || old.ReidDigest != sub.ReidDigest {
				return fmt.Errorf("submission %s is stored with other digests: %w", sub.ID, store.ErrConflict)
			}
			stored, created = old, false
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var rd, rsize any // NULL without a re-identification record
		if sub.HasReid {
			rd, rsize = sub.ReidDigest[:], sub.ReidSize
		}
		var body any // NULL when the blob store holds the file
		if sub.Body != nil {
			body = sub.Body
		}
		leaf, err := appendSubmissionLeaf(tx, sub)
		if err != nil {
			return err
		}
		res, err := tx.exec(`INSERT INTO submissions
			(id, digest, size, reid_digest, reid_size, device, day, body, leaf)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sub.ID, sub.Digest[:], sub.Size, rd, rsize, sub.Device, sub.Day, body, leaf)
		if err != nil {
			return err
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return err
		}
		stored, created = sub, true
		stored.Seq, stored.Leaf, stored.Body = seq, leaf, nil
		return nil
	})
	if err != nil {
		return store.Submission{}, false, fmt.Errorf("failed to add submission: %w", err)
	}
	return stored, created, nil
}

// SubmissionBody returns the inline ciphertext of a submission.
func (s *Store) SubmissionBody(ctx context.Context, id string) ([]byte, bool, error) {
	var body []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT body FROM submissions WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("submission %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to read submission: %w", err)
	}
	return body, body != nil, nil
}

// Submission returns the submission with this ID.
func (s *Store) Submission(ctx context.Context, id string) (store.Submission, error) {
	row := s.rdb.QueryRowContext(ctx, "SELECT "+submissionColumns+" FROM submissions WHERE id = ?", id)
	sub, err := scanSubmission(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Submission{}, fmt.Errorf("failed to read submission: %w", err)
	}
	return sub, nil
}

// Submissions lists up to limit submissions with Seq > after, by Seq.
func (s *Store) Submissions(ctx context.Context, after int64, limit int) ([]store.Submission, error) {
	if limit < 1 {
		return nil, fmt.Errorf("failed to list submissions: limit %d is below 1", limit)
	}
	rows, err := s.rdb.QueryContext(ctx,
		"SELECT "+submissionColumns+" FROM submissions WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to list submissions: %w", err)
	}
	defer rows.Close()
	var subs []store.Submission
	for rows.Next() {
		sub, err := scanSubmission(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list submissions: %w", err)
		}
		subs = append(subs, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list submissions: %w", err)
	}
	return subs, nil
}

type scanner interface{ Scan(dest ...any) error }

// digest converts a stored 32-byte BLOB.
func digest(b []byte) ([32]byte, error) {
	if len(b) != 32 {
		return [32]byte{}, fmt.Errorf("stored digest has %d bytes, not 32", len(b))
	}
	return [32]byte(b), nil
}

// nonNil keeps an empty roster from being stored as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
