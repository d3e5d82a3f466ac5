package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"testimony/internal/store"
)

// Init pins the admin key and the first roster.
func (s *Store) Init(ctx context.Context, adminPub string, rosterVersion uint64, roster []byte) error {
	if adminPub == "" {
		return errors.New("failed to initialize store: the admin key is empty")
	}
	err := s.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow("SELECT count(*) FROM config", nil, &n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrAlreadyInitialized
		}
		tx.exec("INSERT INTO config (id, admin_pub, roster_version, roster) VALUES (1, $1, $2, $3)",
			adminPub, int64(rosterVersion), nonNil(roster))
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to initialize store: %w", err)
	}
	return nil
}

// AdminPub returns the pinned admin key.
func (s *Store) AdminPub(ctx context.Context) (string, error) {
	var pub string
	err := s.pool.QueryRow(ctx, "SELECT admin_pub FROM config WHERE id = 1").Scan(&pub)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx, "SELECT roster_version, roster FROM config WHERE id = 1").Scan(&version, &roster)
	if errors.Is(err, pgx.ErrNoRows) {
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
		err := tx.queryRow("SELECT roster_version FROM config WHERE id = 1", nil, &cur)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotInitialized
		}
		if err != nil {
			return err
		}
		if version <= uint64(cur) {
			return fmt.Errorf("version %d is not above the current %d: %w", version, uint64(cur), store.ErrConflict)
		}
		tx.exec("UPDATE config SET roster_version = $1, roster = $2 WHERE id = 1", int64(version), nonNil(roster))
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to store roster: %w", err)
	}
	return nil
}

// AddToken stores a new token.
func (s *Store) AddToken(ctx context.Context, t store.Token, secretHash [32]byte) error {
	if err := checkToken(t); err != nil {
		return fmt.Errorf("failed to add token: %w", err)
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
	if err := tx.queryRow("SELECT count(*) FROM tokens WHERE id = $1", []any{t.ID}, &n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("a token with this ID exists: %w", store.ErrConflict)
	}
	tx.exec(`INSERT INTO tokens
		(id, role, label, device, device_pub, created, revoked, secret_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, string(t.Role), t.Label, t.Device, t.DevicePub, t.Created, t.Revoked, secretHash[:])
	return nil
}

const tokenColumns = "id, role, label, device, device_pub, created, revoked, secret_hash"

func scanToken(r pgx.Row) (store.Token, [32]byte, error) {
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
	t, h, err := scanToken(s.pool.QueryRow(ctx, tokenSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
		var n int
		if err := tx.queryRow("SELECT count(*) FROM tokens WHERE id = $1", []any{id}, &n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		tx.exec("UPDATE tokens SET revoked = true WHERE id = $1", id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to revoke token: %w", err)
	}
	return nil
}

// Tokens lists all tokens by ID.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	return list(ctx, s, "tokens", "SELECT "+tokenColumns+" FROM tokens ORDER BY id", nil,
		func(r pgx.Rows) (store.Token, error) {
			t, _, err := scanToken(r)
			return t, err
		})
}

// list runs a query and scans every row.
func list[T any](ctx context.Context, s *Store, what, query string, args []any, scan func(pgx.Rows) (T, error)) ([]T, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("failed to list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to list %s: %w", what, err)
	}
	return out, nil
}

// AddEnrollment stores a single-use enrollment code by its hash. The expiry
// is kept to the second, rounded down.
func (s *Store) AddEnrollment(ctx context.Context, codeHash [32]byte, e store.Enrollment) error {
	if !e.Role.Valid() {
		return fmt.Errorf("failed to add enrollment code: invalid role %q", e.Role)
	}
	err := s.write(ctx, func(tx *wtx) error {
		var n int
		if err := tx.queryRow("SELECT count(*) FROM enrollments WHERE code_hash = $1", []any{codeHash[:]}, &n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the code exists: %w", store.ErrConflict)
		}
		tx.exec("INSERT INTO enrollments (code_hash, role, label, device, expires) VALUES ($1, $2, $3, $4, $5)",
			codeHash[:], string(e.Role), e.Label, e.Device, e.Expires.Unix())
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to add enrollment code: %w", err)
	}
	return nil
}

// enrollmentQuery reads a code's row: the same for Enrollment (a reader)
// and Enroll (the writer).
const enrollmentQuery = "SELECT role, label, device, expires, token_id FROM enrollments WHERE code_hash = $1"

// checkEnrollment checks that a code read with enrollmentQuery can still be
// used at now.
func checkEnrollment(err error, role, label, device string, expires int64, used *string, now time.Time) (store.Enrollment, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Enrollment{}, fmt.Errorf("unknown enrollment code: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Enrollment{}, err
	}
	if used != nil {
		return store.Enrollment{}, fmt.Errorf("the enrollment code was used: %w", store.ErrConflict)
	}
	if now.Unix() >= expires {
		return store.Enrollment{}, fmt.Errorf("the enrollment code expired: %w", store.ErrConflict)
	}
	return store.Enrollment{Role: store.Role(role), Label: label, Device: device, Expires: time.Unix(expires, 0).UTC()}, nil
}

// Enrollment returns an unused, unexpired enrollment code.
func (s *Store) Enrollment(ctx context.Context, codeHash [32]byte, now time.Time) (store.Enrollment, error) {
	var role, label, device string
	var expires int64
	var used *string
	err := s.pool.QueryRow(ctx, enrollmentQuery, codeHash[:]).Scan(&role, &label, &device, &expires, &used)
	e, err := checkEnrollment(err, role, label, device, expires, used, now)
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
		var role, label, device string
		var expires int64
		var used *string
		err := tx.queryRow(enrollmentQuery, []any{codeHash[:]}, &role, &label, &device, &expires, &used)
		e, err := checkEnrollment(err, role, label, device, expires, used, now)
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
		tx.exec("UPDATE enrollments SET token_id = $1 WHERE code_hash = $2", nt.ID, codeHash[:])
		stored = nt
		return nil
	})
	if err != nil {
		return store.Token{}, fmt.Errorf("failed to enroll: %w", err)
	}
	return stored, nil
}

const submissionColumns = "seq, id, digest, size, reid_digest, reid_size, device, day, leaf"

// scanSubmission scans submissionColumns, and more columns into extra.
func scanSubmission(r pgx.Row, extra ...any) (store.Submission, error) {
	var sub store.Submission
	var d, rd []byte
	var rsize *int64
	if err := r.Scan(append([]any{&sub.Seq, &sub.ID, &d, &sub.Size, &rd, &rsize, &sub.Device, &sub.Day, &sub.Leaf}, extra...)...); err != nil {
		return store.Submission{}, err
	}
	var err error
	if sub.Digest, err = digest(d); err != nil {
		return store.Submission{}, fmt.Errorf("submission %s: %w", sub.ID, err)
	}
	if rd != nil {
		if rsize == nil {
			return store.Submission{}, fmt.Errorf("submission %s has a re-identification digest without a size", sub.ID)
		}
		sub.HasReid, sub.ReidSize = true, *rsize
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
	var stored store.Submission
	var created bool
	err := s.submit(ctx, &op{sub: sub.ID, fn: func(tx *wtx) error {
		// The batch read the row when it began.
		if old, ok := tx.subs[sub.ID]; !ok {
			return fmt.Errorf("submission %s was not read when the batch began", sub.ID)
		} else if old != nil {
			if old.Digest != sub.Digest || old.HasReid != sub.HasReid || old.ReidDigest != sub.ReidDigest {
				return fmt.Errorf("submission %s is stored with other digests: %w", sub.ID, store.ErrConflict)
			}
			stored, created = *old, false
			return nil
		}
		var rd []byte    // NULL without a re-identification record
		var rsize *int64 // likewise
		if sub.HasReid {
			rd, rsize = sub.ReidDigest[:], &sub.ReidSize
		}
		leaf, err := tx.appendSubmissionLeaf(sub)
		if err != nil {
			return err
		}
		tx.state.subSeq++
		seq := tx.state.subSeq
		// A nil Body is NULL: the blob store holds the file.
		if tx.merge {
			b := &tx.bulk.subs
			b.seq, b.id, b.digest = append(b.seq, seq), append(b.id, sub.ID), append(b.digest, sub.Digest[:])
			b.size, b.rd, b.rsize = append(b.size, sub.Size), append(b.rd, rd), append(b.rsize, rsize)
			b.device, b.day = append(b.device, sub.Device), append(b.day, sub.Day)
			b.body, b.leaf = append(b.body, sub.Body), append(b.leaf, leaf)
			tx.wrote = true
		} else {
			tx.exec(`INSERT INTO submissions
				(seq, id, digest, size, reid_digest, reid_size, device, day, body, leaf)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				seq, sub.ID, sub.Digest[:], sub.Size, rd, rsize, sub.Device, sub.Day, sub.Body, leaf)
		}
		stored, created = sub, true
		stored.Seq, stored.Leaf, stored.Body = seq, leaf, nil
		tx.subs[sub.ID] = &stored
		return nil
	}})
	if err != nil {
		return store.Submission{}, false, fmt.Errorf("failed to add submission: %w", err)
	}
	return stored, created, nil
}

// SubmissionBody returns the inline ciphertext of a submission.
func (s *Store) SubmissionBody(ctx context.Context, id string) ([]byte, bool, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, "SELECT body FROM submissions WHERE id = $1", id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("submission %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to read submission: %w", err)
	}
	return body, body != nil, nil
}

// Submission returns the submission with this ID.
func (s *Store) Submission(ctx context.Context, id string) (store.Submission, error) {
	sub, err := scanSubmission(s.pool.QueryRow(ctx, submissionSQL, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	return list(ctx, s, "submissions",
		"SELECT "+submissionColumns+" FROM submissions WHERE seq > $1 ORDER BY seq LIMIT $2",
		[]any{after, limit}, func(r pgx.Rows) (store.Submission, error) { return scanSubmission(r) })
}

// digest converts a stored 32-byte bytea.
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
