// Package sqlite is the embedded [store.Store]: one SQLite database file
// (modernc.org/sqlite, pure Go) in WAL mode with synchronous=FULL.
//
// # Durability and group commit
//
// Every change goes through one writer goroutine that owns the only write
// connection. It takes the changes that queued up while the previous
// transaction was committing (up to a batch limit), runs each inside its own
// savepoint of one transaction, commits, and only then answers the callers.
// A change that fails (a conflict, a constraint) is rolled back to its
// savepoint and does not disturb the others in its batch; a failed commit
// fails every change in the batch. With synchronous=FULL a commit is on disk
// (the WAL is fsynced) before any caller hears about it, so an acknowledged
// change survives kill -9 and power loss, and N concurrent submissions cost
// one fsync instead of N.
//
// Submission, annotation and lookup sequence numbers come from an
// AUTOINCREMENT key of their table assigned by the single writer inside its
// transaction: they run 1, 2, 3, … in commit order with no gaps (a
// rolled-back insert gives its number back) and are never reused.
//
// Reads (AdminPub, Roster, Token, Tokens, Submission, Submissions and the
// like for annotations, lookups and the log) use a
// separate pool of read-only connections and never wait for the writer: they
// see the last committed state, which includes every change already
// acknowledged.
//
// # Concurrency and cancellation
//
// A [Store] is safe for concurrent use. A write whose context ends before the
// writer has taken it returns the context's error and changes nothing. Once
// the writer has taken it, the write waits for its batch to commit (or fail)
// regardless of the context, so that an error always means "not stored".
// [Store.Close] lets the writer finish every queued write, then closes the
// database; calls after Close fail with [ErrClosed].
//
// # Files
//
// Open creates the database file itself with mode 0600 (whatever the umask),
// and SQLite's unix VFS creates the -wal and -shm files with the mode of the
// database file, so they are 0600 too. The mode of an existing database is
// left as it is. Temporary tables and indexes stay in memory
// (temp_store=MEMORY), so no metadata spills into the system's temporary
// directory.
//
// # Schema
//
// The schema version is kept in PRAGMA user_version; Open refuses a database
// written by a newer version of this package, and a SQLite file that belongs
// to another application (PRAGMA application_id). Days are TEXT
// "YYYY-MM-DD", digests and hashes are 32-byte BLOBs, the only time of day
// stored is an enrollment code's expiry (unix seconds, a deadline), and no
// address of any client is stored.
//
// # Errors
//
// Errors wrap the sentinels of package store as documented there. Arguments
// that break the documented forms (a token ID that is not 16 lowercase hex
// digits, a submission, annotation or lookup ID that is not 32, a day that
// is not YYYY-MM-DD, an unknown role, a negative size, an inline body that is
// not Size bytes, a lookup without its body, a limit below 1) are rejected
// before anything is stored, with an error that wraps no sentinel.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"testimony/internal/store"
)

var _ store.Store = (*Store)(nil)

// ErrClosed is returned by calls made after [Store.Close].
var ErrClosed = errors.New("store is closed")

const (
	// schemaVersion is the PRAGMA user_version this package writes.
	// Version 2 added the log; version 3 annotations and lookups; version
	// 4 the device an enrollment code is for; version 5 published forms.
	schemaVersion = 5
	// applicationID marks the file as a testimony metadata store ("Tmy1").
	applicationID = 0x546d7931
	// busyTimeout is how long a connection waits for a lock, in
	// milliseconds. Only another process opening the same file (a backup,
	// an admin command next to a running server) ever makes it wait.
	busyTimeout = 10000
	// defaultMaxBatch bounds the writes committed in one transaction.
	defaultMaxBatch = 512
)

// schema is version 1, to which migrations add the rest. Every statement is
// idempotent.
const schema = `
CREATE TABLE IF NOT EXISTS config (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	admin_pub      TEXT    NOT NULL,
	roster_version INTEGER NOT NULL, -- a uint64 stored as its int64 bit pattern
	roster         BLOB    NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS tokens (
	id          TEXT    PRIMARY KEY,
	role        TEXT    NOT NULL CHECK (role IN ('interviewer', 'reviewer', 'custodian', 'admin')),
	label       TEXT    NOT NULL,
	device      TEXT    NOT NULL,
	device_pub  TEXT    NOT NULL,
	created     TEXT    NOT NULL CHECK (created GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
	secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32)
) STRICT;

CREATE TABLE IF NOT EXISTS enrollments (
	code_hash BLOB    PRIMARY KEY CHECK (length(code_hash) = 32),
	role      TEXT    NOT NULL CHECK (role IN ('interviewer', 'reviewer', 'custodian', 'admin')),
	label     TEXT    NOT NULL,
	expires   INTEGER NOT NULL,                    -- unix seconds: a deadline, not an event
	token_id  TEXT    UNIQUE REFERENCES tokens (id) -- the token it made; NULL while unused
) STRICT;

CREATE TABLE IF NOT EXISTS submissions (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT    NOT NULL UNIQUE,
	digest      BLOB    NOT NULL CHECK (length(digest) = 32),
	size        INTEGER NOT NULL CHECK (size >= 0),
	reid_digest BLOB    CHECK (length(reid_digest) = 32),
	reid_size   INTEGER CHECK (reid_size >= 0),
	device      TEXT    NOT NULL,
	day         TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	body        BLOB    CHECK (body IS NULL OR length(body) = size),
	CHECK ((reid_digest IS NULL) = (reid_size IS NULL))
) STRICT;
`

// schemaLog is migration 1 → 2: the transparency log. Its leaves and stored
// hashes are written once and never changed; every submission points at its
// leaf. Existing submissions get leaves in Seq order (see migrate).
const schemaLog = `
CREATE TABLE log_leaves (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0),
	data BLOB    NOT NULL
) STRICT;

CREATE TABLE log_hashes (
	idx  INTEGER PRIMARY KEY CHECK (idx >= 0), -- tlog.StoredHashIndex
	hash BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

ALTER TABLE submissions ADD COLUMN leaf INTEGER REFERENCES log_leaves (idx);
CREATE UNIQUE INDEX submissions_leaf ON submissions (leaf);
`

// schemaV3 is migration 2 → 3: reviewers' annotations and custodians'
// lookups. Both hold ciphertext only. An annotation's body is NULL when the
// blob store holds it (key <id>.ann); a lookup's sealed reason is small and
// always in its row. Every lookup points at its leaf and at the submission
// it consulted.
const schemaV3 = `
CREATE TABLE annotations (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	id     TEXT    NOT NULL UNIQUE,
	digest BLOB    NOT NULL CHECK (length(digest) = 32),
	size   INTEGER NOT NULL CHECK (size >= 0),
	author TEXT    NOT NULL,
	day    TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	body   BLOB    CHECK (body IS NULL OR length(body) = size)
) STRICT;

CREATE TABLE lookups (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT    NOT NULL UNIQUE,
	submission TEXT    NOT NULL REFERENCES submissions (id),
	digest     BLOB    NOT NULL CHECK (length(digest) = 32),
	size       INTEGER NOT NULL CHECK (size >= 0),
	custodian  TEXT    NOT NULL CHECK (length(custodian) = 16),
	day        TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	body       BLOB    NOT NULL CHECK (length(body) = size),
	leaf       INTEGER NOT NULL UNIQUE REFERENCES log_leaves (idx)
) STRICT;
`

// schemaV4 is migration 3 → 4: an enrollment code names the device ID the
// admin chose for it. Codes made before have none (”).
const schemaV4 = `
ALTER TABLE enrollments ADD COLUMN device TEXT NOT NULL DEFAULT '';
`

// schemaV5 is migration 4 → 5: the survey forms the admin published, each
// version the signed note as given. A form's versions only go up (PutForm
// checks); none is ever changed.
const schemaV5 = `
CREATE TABLE forms (
	id      TEXT    NOT NULL,
	version INTEGER NOT NULL CHECK (version >= 0),
	digest  BLOB    NOT NULL CHECK (length(digest) = 32),
	day     TEXT    NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	body    BLOB    NOT NULL CHECK (length(body) > 0),
	PRIMARY KEY (id, version)
) STRICT, WITHOUT ROWID;
`

// Store is a [store.Store] in one SQLite file. Make it with [Open].
type Store struct {
	wdb   *sql.DB              // one write connection, used by the writer goroutine only
	stmts map[string]*sql.Stmt // the writer's prepared statements, by query
	rdb   *sql.DB              // read-only connections

	maxBatch int
	ops      chan *op      // writes waiting for the writer
	done     chan struct{} // closed when the writer has stopped

	mu     sync.RWMutex // guards closed against sends on ops
	closed bool
}

// Open opens the database at path, creating it (mode 0600) and its schema
// if needed. It fails if the file is not a testimony store or was written by
// a newer version.
func Open(path string) (*Store, error) {
	return open(path, defaultMaxBatch)
}

func open(path string, maxBatch int) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open store %s: %w", path, err)
	}
	if err := createFile(abs); err != nil {
		return nil, fmt.Errorf("failed to open store %s: %w", path, err)
	}
	wdb, err := sql.Open("sqlite", dsn(abs, url.Values{
		"mode":          {"rw"},
		"_busy_timeout": {fmt.Sprint(busyTimeout)},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"1"},
		"_txlock":       {"immediate"},
		"_pragma":       {"temp_store(MEMORY)"},
	}))
	if err != nil {
		return nil, fmt.Errorf("failed to open store %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := setUp(context.Background(), wdb); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("failed to open store %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn(abs, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {fmt.Sprint(busyTimeout)},
		"_pragma":       {"temp_store(MEMORY)"},
	}))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("failed to open store %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s := &Store{
		wdb:      wdb,
		stmts:    make(map[string]*sql.Stmt),
		rdb:      rdb,
		maxBatch: maxBatch,
		ops:      make(chan *op, maxBatch),
		done:     make(chan struct{}),
	}
	go s.writer()
	return s, nil
}

// dsn returns a SQLite URI for the file at the absolute path abs.
func dsn(abs string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// createFile makes an empty database file with mode 0600 if there is none,
// so that SQLite never creates it with the umask's mode; SQLite gives the
// -wal and -shm files the mode of the database file.
func createFile(abs string) error {
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		fi, err := os.Stat(abs)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", abs)
		}
		return nil
	}
	if err != nil {
		return err
	}
	// The umask may have taken bits away (0400 would make it unwritable).
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(abs))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// setUp checks the connection's settings and the file's identity and
// version, and creates the schema.
func setUp(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("failed to read journal mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	var sync int
	if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("failed to read synchronous setting: %w", err)
	}
	if sync != 2 {
		return fmt.Errorf("synchronous is %d, not 2 (FULL)", sync)
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("failed to begin schema transaction: %w", err)
	}
	defer tx.Rollback()
	var version, appID int64
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("failed to read schema version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("failed to read application ID: %w", err)
	}
	if appID != 0 && appID != applicationID {
		return fmt.Errorf("the file is a SQLite database of another application (application_id %#x)", appID)
	}
	if version > schemaVersion {
		return fmt.Errorf("the database has schema version %d, newer than this program's %d: run a newer testimony", version, schemaVersion)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("failed to create schema: %w", err)
	}
	if version < 2 {
		if err := migrateLog(ctx, tx); err != nil {
			return fmt.Errorf("failed to add the log to the schema: %w", err)
		}
	}
	if version < 3 {
		if _, err := tx.ExecContext(ctx, schemaV3); err != nil {
			return fmt.Errorf("failed to add annotations and lookups to the schema: %w", err)
		}
	}
	if version < 4 {
		if _, err := tx.ExecContext(ctx, schemaV4); err != nil {
			return fmt.Errorf("failed to add enrollment devices to the schema: %w", err)
		}
	}
	if version < 5 {
		if _, err := tx.ExecContext(ctx, schemaV5); err != nil {
			return fmt.Errorf("failed to add forms to the schema: %w", err)
		}
	}
	// PRAGMA takes no bound parameters; both values are constants.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("failed to set schema version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("failed to set application ID: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to commit schema: %w", err)
	}
	return nil
}

// Close lets the writer commit every write already queued, then closes the
// database. Calling it again does nothing.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.done
	// The write connection closes last: as the last connection it
	// checkpoints the WAL into the database file.
	err := s.rdb.Close()
	for _, st := range s.stmts {
		if st != nil {
			st.Close()
		}
	}
	if e := s.wdb.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("failed to close store: %w", err)
	}
	return nil
}

// An op is one write waiting for the writer. fn runs inside a savepoint of
// the batch's transaction; whatever it returns through its closure is valid
// only if the error sent on done is nil.
type op struct {
	fn    func(tx *wtx) error
	state atomic.Int32 // opPending, then opTaken (by the writer) or opCancelled (by the caller)
	done  chan error   // buffered: the writer never blocks on it
}

const (
	opPending = iota
	opTaken
	opCancelled
)

// write runs fn in the writer and returns once its batch is durable (nil) or
// has failed.
func (s *Store) write(ctx context.Context, fn func(tx *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ops <- o:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opPending, opCancelled) {
			return ctx.Err()
		}
		// The writer has it: the outcome is decided by its commit.
		return <-o.done
	}
}

// writer runs batches of writes until Close, then finishes the queue.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*op, 0, s.maxBatch)
	for o := range s.ops {
		batch = append(batch[:0], o)
	collect:
		for len(batch) < s.maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break collect
				}
				batch = append(batch, o)
			default:
				break collect
			}
		}
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs the ops in one transaction and answers them after it ends.
func (s *Store) runBatch(batch []*op) {
	live := make([]*op, 0, len(batch))
	for _, o := range batch {
		if o.state.CompareAndSwap(opPending, opTaken) {
			live = append(live, o)
		}
	}
	if len(live) == 0 {
		return
	}
	errs, err := s.runTx(live)
	for i, o := range live {
		if err != nil {
			o.done <- err
		} else {
			o.done <- errs[i]
		}
	}
	s.prepare()
}

// runTx runs the ops, each in a savepoint, and commits. It returns each op's
// own error, or an error that fails them all.
func (s *Store) runTx(ops []*op) ([]error, error) {
	// The batch belongs to many callers: no single caller's context may
	// interrupt it.
	ctx := context.Background()
	sqlTx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to begin transaction: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &wtx{ctx: ctx, tx: sqlTx, s: s}
	errs := make([]error, len(ops))
	for i, o := range ops {
		if _, err := tx.exec("SAVEPOINT op"); err != nil {
			return nil, fmt.Errorf("failed to begin savepoint: %w", err)
		}
		if errs[i] = o.fn(tx); errs[i] != nil {
			// If SQLite rolled back the whole transaction (a full
			// disk, an I/O error), the savepoint is gone too and
			// the batch fails.
			if _, err := tx.exec("ROLLBACK TO op"); err != nil {
				return nil, fmt.Errorf("failed to roll back to savepoint: %w", err)
			}
		}
		if _, err := tx.exec("RELEASE op"); err != nil {
			return nil, fmt.Errorf("failed to release savepoint: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("failed to commit: %w", err)
	}
	return errs, nil
}

// wtx is the writer's transaction. It runs each query as a statement
// prepared on the write connection, so that SQLite parses it once, not once
// per write: parsing would otherwise cost more CPU than the rest of a batch.
// The pool's one connection is busy during a transaction, so a query is
// prepared after the first batch that runs it ends (see prepare).
type wtx struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

func (t *wtx) exec(query string, args ...any) (sql.Result, error) {
	if st, ok := t.s.stmts[query]; ok && st != nil {
		return t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	t.s.stmts[query] = nil
	return t.tx.ExecContext(t.ctx, query, args...)
}

// prepare prepares the queries that batches ran unprepared. It runs
// outside transactions; a query that fails to prepare runs unprepared.
func (s *Store) prepare() {
	for q, st := range s.stmts {
		if st != nil {
			continue
		}
		if st, err := s.wdb.PrepareContext(context.Background(), q); err == nil {
			s.stmts[q] = st
		} else {
			delete(s.stmts, q)
		}
	}
}

// queryRow runs a query for one row; Scan reports sql.ErrNoRows if there
// is none.
func (t *wtx) queryRow(query string, args ...any) *sql.Row {
	if st, ok := t.s.stmts[query]; ok && st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	t.s.stmts[query] = nil
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// migrateLog creates the log and appends a leaf for every submission stored
// before it existed, in Seq order.
func migrateLog(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, schemaLog); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+submissionColumnsV1+" FROM submissions ORDER BY seq")
	if err != nil {
		return err
	}
	var subs []store.Submission
	for rows.Next() {
		sub, err := scanSubmissionV1(rows)
		if err != nil {
			rows.Close()
			return err
		}
		subs = append(subs, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	t := &setupTx{ctx: ctx, tx: tx}
	defer t.close()
	for _, sub := range subs {
		leaf, err := appendSubmissionLeaf(t, sub)
		if err != nil {
			return fmt.Errorf("submission %s: %w", sub.ID, err)
		}
		if _, err := t.exec("UPDATE submissions SET leaf = ? WHERE seq = ?", leaf, sub.Seq); err != nil {
			return err
		}
	}
	return nil
}

// setupTx runs queries in a plain transaction, for migrations, each query
// prepared once.
type setupTx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (t *setupTx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[query] = st
	return st, nil
}

func (t *setupTx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *setupTx) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil {
		// Let the caller's Scan report it.
		return t.tx.QueryRowContext(t.ctx, query, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *setupTx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}
