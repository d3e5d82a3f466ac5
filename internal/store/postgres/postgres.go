// Package postgres is the [store.Store] for PostgreSQL (github.com/jackc/pgx/v5):
// for when one machine is not enough, several server processes can share
// one database.
//
// # Durability and group commit
//
// Every change goes through one writer goroutine per [Store]. It takes the
// changes that queued up while its previous transaction was committing (up
// to a batch limit), runs them in one transaction, commits, and only then
// answers the callers. Connections run with synchronous_commit on (Open
// turns it on if the server's default is off), so a commit has reached the
// server's write-ahead log on disk before any caller hears about it. N
// concurrent submissions cost one commit instead of N.
//
// A change that fails a check of its own (a conflict, an unknown code) is
// decided before it writes anything and does not disturb the others in its
// batch. A statement of one change that the database refuses (a value it
// cannot store) aborts the transaction; the writer then runs the batch again
// without that change, which gets the error. A failed commit fails every
// change in the batch. If the connection breaks during COMMIT, the writer
// asks the server whether that transaction committed (txid_status) before
// answering, so an error means "not stored" there too.
//
// # Several processes, one log
//
// Every write transaction, from any process, first locks the one row of the
// writer table (SELECT … FOR UPDATE) and holds it until it commits or rolls
// back; the transaction runs at READ COMMITTED, so everything after the lock
// sees what the previous writer committed. Writers are therefore one at a
// time across all processes on the database: submission, annotation and
// lookup Seqs and log leaf indexes are given out in commit order, 1, 2, 3 …
// (leaf indexes from 0) with no gaps, and two servers on one database build
// one log. The writer keeps the right edge of the tree (at most 64 hashes)
// in memory between batches and uses it only while the log has not grown
// under it, which it learns inside the lock.
//
// Reads use the connection pool and never wait for the writer: they see the
// last committed state, which includes every change already acknowledged.
//
// A batch reads the rows of its submissions in the round trip that begins
// it and inserts its leaves, tree hashes and submissions with one
// INSERT … SELECT FROM unnest(…) per table. If the database refuses such a
// merged statement, the writer runs the batch again with one statement
// per change, to answer the change whose row it was with the error. BEGIN
// travels with the first round trip and COMMIT with the last writes, so a
// batch of submissions takes two round trips. A write the database refuses
// there aborts the transaction, and the server skips the COMMIT behind it;
// any other failure of that round trip is resolved with txid_status as
// above.
//
// # Snapshots
//
// [Store.Snapshot] reads every table in one REPEATABLE READ, READ ONLY
// transaction, streaming rows. [Store.Restore] fills an empty store in one
// transaction that holds the writer row, so that no writer of any process
// runs meanwhile; see [store.Snapshotter].
//
// # Concurrency and cancellation
//
// A [Store] is safe for concurrent use. A write whose context ends before the
// writer has taken it returns the context's error and changes nothing. Once
// the writer has taken it, the write waits for its batch to commit (or fail)
// regardless of the context, so that an error always means "not stored".
// [Store.Close] lets the writer finish every queued write, then closes the
// pool; calls after Close fail with [ErrClosed].
//
// # Connecting
//
// [Open] takes a libpq connection URL (postgres://user@host:port/db?sslmode=verify-full)
// or keyword/value string. The pool has at least 8 connections
// (pool_max_conns asks for more); Open makes 8 of them, and prepares the
// statements of intake on each, before it returns, and the pool keeps them
// while idle (pool_min_conns asks for more), so that the first requests of
// a new server or a burst after a quiet spell do not wait for connections.
// The password may come from the URL, from PGPASSWORD or from a passfile
// (PGPASSFILE, ~/.pgpass); it is never logged and never part of an error.
// Use TLS (sslmode=verify-full) for a database on another machine. A
// search_path parameter puts the tables in a schema of their own.
//
// # Schema
//
// The schema version is kept in the table testimony_schema; Open creates the
// schema in an empty database, migrates an older one, and refuses a database
// written by a newer version of this package or one that holds other tables
// of the same names. The tables mirror the SQLite store's (its schema
// version 5): days are text "YYYY-MM-DD", digests and hashes are 32-byte
// bytea, the only time of day stored is an enrollment code's expiry (unix
// seconds, a deadline), no address of any client is stored. An inline
// body stays in its row while the row fits a page (STORAGE MAIN,
// toast_tuple_target 8160), so that a sealed note costs one row and not a
// row plus TOAST chunks; larger ones move out of line. Ciphertext does not
// compress, and PostgreSQL gives up trying within its first kilobyte.
//
// # Errors
//
// Errors wrap the sentinels of package store as documented there. Arguments
// that break the documented forms (a token ID that is not 16 lowercase hex
// digits, a submission, annotation or lookup ID that is not 32, a day that
// is not YYYY-MM-DD, an unknown role, a negative size, an inline body that is
// not Size bytes, a lookup without its body, a limit below 1) are rejected
// before anything is stored, with an error that wraps no sentinel.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"testimony/internal/store"
)

var (
	_ store.Store       = (*Store)(nil)
	_ store.Snapshotter = (*Store)(nil)
)

// ErrClosed is returned by calls made after [Store.Close].
var ErrClosed = errors.New("store is closed")

const (
	// schemaVersion is the version in testimony_schema this package
	// writes. Version 1 is the SQLite store's version 4; version 2 (its
	// version 5) adds published forms.
	schemaVersion = 2
	// defaultMaxBatch bounds the writes committed in one transaction.
	defaultMaxBatch = 512
	// schemaLockKey is the advisory lock that serializes schema creation
	// and migration between processes opening one database at once
	// ("Tmy1" and "schm").
	schemaLockKey = 0x546d7931_7363686d
	// warmConns is how many connections Open makes and the pool keeps
	// while idle (pool_min_conns in the URL asks for more).
	warmConns = 8
)

// migrations[v] takes the schema from version v to v+1; migrations[0]
// creates version 1 in an empty database.
var migrations = []string{`
CREATE TABLE testimony_schema (
	id      integer PRIMARY KEY CHECK (id = 1),
	version integer NOT NULL
);

-- Every write transaction locks this row first: one writer at a time,
-- across all processes.
CREATE TABLE writer (
	id integer PRIMARY KEY CHECK (id = 1)
);
INSERT INTO writer (id) VALUES (1);

CREATE TABLE config (
	id             integer PRIMARY KEY CHECK (id = 1),
	admin_pub      text    NOT NULL,
	roster_version bigint  NOT NULL, -- a uint64 stored as its int64 bit pattern
	roster         bytea   NOT NULL
);

CREATE TABLE tokens (
	id          text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
	role        text    NOT NULL CHECK (role IN ('interviewer', 'reviewer', 'custodian', 'admin')),
	label       text    NOT NULL,
	device      text    NOT NULL,
	device_pub  text    NOT NULL,
	created     text    NOT NULL CHECK (created ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	revoked     boolean NOT NULL DEFAULT false,
	secret_hash bytea   NOT NULL CHECK (octet_length(secret_hash) = 32)
);

CREATE TABLE enrollments (
	code_hash bytea  PRIMARY KEY CHECK (octet_length(code_hash) = 32),
	role      text   NOT NULL CHECK (role IN ('interviewer', 'reviewer', 'custodian', 'admin')),
	label     text   NOT NULL,
	device    text   NOT NULL DEFAULT '',
	expires   bigint NOT NULL,                                  -- unix seconds: a deadline, not an event
	token_id  text COLLATE "C" UNIQUE REFERENCES tokens (id)    -- the token it made; NULL while unused
);

CREATE TABLE log_leaves (
	idx  bigint PRIMARY KEY CHECK (idx >= 0),
	data bytea  NOT NULL
);

CREATE TABLE log_hashes (
	idx  bigint PRIMARY KEY CHECK (idx >= 0), -- tlog.StoredHashIndex
	hash bytea  NOT NULL CHECK (octet_length(hash) = 32)
);

CREATE TABLE submissions (
	seq         bigint PRIMARY KEY CHECK (seq > 0),
	id          text COLLATE "C" NOT NULL UNIQUE CHECK (id ~ '^[0-9a-f]{32}$'),
	digest      bytea  NOT NULL CHECK (octet_length(digest) = 32),
	size        bigint NOT NULL CHECK (size >= 0),
	reid_digest bytea  CHECK (octet_length(reid_digest) = 32),
	reid_size   bigint CHECK (reid_size >= 0),
	device      text   NOT NULL,
	day         text   NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	body        bytea  CHECK (body IS NULL OR octet_length(body) = size),
	leaf        bigint NOT NULL UNIQUE REFERENCES log_leaves (idx),
	CHECK ((reid_digest IS NULL) = (reid_size IS NULL))
);
ALTER TABLE submissions ALTER COLUMN body SET STORAGE MAIN;
ALTER TABLE submissions SET (toast_tuple_target = 8160);

CREATE TABLE annotations (
	seq    bigint PRIMARY KEY CHECK (seq > 0),
	id     text COLLATE "C" NOT NULL UNIQUE CHECK (id ~ '^[0-9a-f]{32}$'),
	digest bytea  NOT NULL CHECK (octet_length(digest) = 32),
	size   bigint NOT NULL CHECK (size >= 0),
	author text   NOT NULL,
	day    text   NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	body   bytea  CHECK (body IS NULL OR octet_length(body) = size)
);
ALTER TABLE annotations ALTER COLUMN body SET STORAGE MAIN;
ALTER TABLE annotations SET (toast_tuple_target = 8160);

CREATE TABLE lookups (
	seq        bigint PRIMARY KEY CHECK (seq > 0),
	id         text COLLATE "C" NOT NULL UNIQUE CHECK (id ~ '^[0-9a-f]{32}$'),
	submission text COLLATE "C" NOT NULL REFERENCES submissions (id),
	digest     bytea  NOT NULL CHECK (octet_length(digest) = 32),
	size       bigint NOT NULL CHECK (size >= 0),
	custodian  text COLLATE "C" NOT NULL CHECK (custodian ~ '^[0-9a-f]{16}$'),
	day        text   NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	body       bytea  NOT NULL CHECK (octet_length(body) = size),
	leaf       bigint NOT NULL UNIQUE REFERENCES log_leaves (idx)
);
ALTER TABLE lookups ALTER COLUMN body SET STORAGE MAIN;
ALTER TABLE lookups SET (toast_tuple_target = 8160);
CREATE INDEX lookups_submission ON lookups (submission);

INSERT INTO testimony_schema (id, version) VALUES (1, 0);
`, `
-- Published survey forms, each version the signed note as given. A
-- form's versions only go up (PutForm checks); none is ever changed.
CREATE TABLE forms (
	id      text COLLATE "C" NOT NULL CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	version bigint NOT NULL CHECK (version >= 0),
	digest  bytea  NOT NULL CHECK (octet_length(digest) = 32),
	day     text   NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	body    bytea  NOT NULL CHECK (octet_length(body) > 0),
	PRIMARY KEY (id, version)
);
`}

// Store is a [store.Store] in a PostgreSQL database. Make it with [Open].
type Store struct {
	pool *pgxpool.Pool

	maxBatch int
	ops      chan *op      // writes waiting for the writer
	done     chan struct{} // closed when the writer has stopped
	edge     logEdge       // the writer's: the log's right edge after its last commit

	mu     sync.RWMutex // guards closed against sends on ops
	closed bool
}

// Open connects to the database at url (a libpq URL or keyword/value
// string), creating or migrating the schema if needed. It fails if the
// database holds a newer schema or tables of another application.
func Open(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, defaultMaxBatch)
}

func open(ctx context.Context, url string, maxBatch int) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn's parse errors show the URL with its password
		// replaced; say only what was wrong.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			err = pe.Unwrap()
		}
		return nil, fmt.Errorf("failed to parse the PostgreSQL connection URL: %v", redactedError{err})
	}
	cfg.AfterConnect = afterConnect
	// Enough for the writer and the readers of a busy server; the
	// database's max_connections is shared by every server process.
	cfg.MaxConns = max(cfg.MaxConns, 8)
	// Kept open while idle, so that a burst after a quiet spell does not
	// wait for new connections (a new server backend, its catalog
	// caches, our prepared statements) on top of its queries.
	cfg.MinConns = max(cfg.MinConns, min(cfg.MaxConns, warmConns))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to PostgreSQL: %w", err)
	}
	if err := setUp(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("failed to open PostgreSQL store: %w", err)
	}
	if err := warm(ctx, pool, int(cfg.MinConns)); err != nil {
		pool.Close()
		return nil, fmt.Errorf("failed to open PostgreSQL store: %w", err)
	}
	s := &Store{
		pool:     pool,
		maxBatch: maxBatch,
		ops:      make(chan *op, maxBatch),
		done:     make(chan struct{}),
		edge:     logEdge{size: -1},
	}
	go s.writer()
	return s, nil
}

// The statements of intake: every request reads a token, a submission and
// log hashes, and every batch of the writer runs the rest.
const (
	tokenSQL       = "SELECT " + tokenColumns + " FROM tokens WHERE id = $1"
	submissionSQL  = "SELECT " + submissionColumns + " FROM submissions WHERE id = $1"
	logSizeSQL     = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves"
	logHashesSQL   = "SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)"
	beginSQL       = "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE"
	lockWriterSQL  = "SELECT id FROM writer WHERE id = 1 FOR UPDATE"
	txidSQL        = "SELECT txid_current()"
	submissionsSQL = "SELECT " + submissionColumns + " FROM submissions WHERE id = ANY($1)"
	commitSQL      = "COMMIT"
	headsSQL       = `SELECT
		(SELECT coalesce(max(idx) + 1, 0) FROM log_leaves),
		(SELECT coalesce(max(seq), 0) FROM submissions),
		(SELECT coalesce(max(seq), 0) FROM annotations),
		(SELECT coalesce(max(seq), 0) FROM lookups)`
)

// warmStatements are prepared on each connection warm opens.
var warmStatements = []string{
	tokenSQL, submissionSQL, logSizeSQL, logHashesSQL,
	beginSQL, lockWriterSQL, txidSQL, headsSQL, submissionsSQL, commitSQL,
	bulkHashesSQL, bulkLeavesSQL, bulkSubsSQL,
}

// warm opens n connections and prepares the statements of intake on each
// before Open returns, rather than under the first requests: with 32
// clients arriving at a new server, making the connections (a server
// backend each, its catalog caches, pgx's prepare round trip per
// statement) while they waited put 100–200 ms on their first requests.
// Connections the pool makes later prepare statements when first used.
func warm(ctx context.Context, pool *pgxpool.Pool, n int) error {
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range n {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("failed to connect to PostgreSQL: %w", err)
		}
		conns = append(conns, c)
		for _, sql := range warmStatements {
			// Named by its text: pgx then uses it for that query.
			if _, err := c.Conn().Prepare(ctx, sql, sql); err != nil {
				return fmt.Errorf("failed to prepare statements: %w", err)
			}
		}
	}
	return nil
}

// redactedError keeps only the message of a parse error's cause, which
// names the part that was wrong and not the value.
type redactedError struct{ err error }

func (e redactedError) Error() string { return e.err.Error() }

// afterConnect makes sure every connection commits durably: a server whose
// default is synchronous_commit=off would acknowledge commits that a crash
// can lose. The stronger settings (remote_write, remote_apply) are kept.
func afterConnect(ctx context.Context, c *pgx.Conn) error {
	var sc string
	if err := c.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sc); err != nil {
		return fmt.Errorf("failed to read synchronous_commit: %w", err)
	}
	if sc == "off" {
		if _, err := c.Exec(ctx, "SET synchronous_commit TO on"); err != nil {
			return fmt.Errorf("failed to turn synchronous_commit on: %w", err)
		}
	}
	return nil
}

// setUp creates or migrates the schema, one process at a time.
func setUp(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("failed to begin schema transaction: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLockKey)); err != nil {
		return fmt.Errorf("failed to lock the schema: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('testimony_schema') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("failed to read schema version: %w", err)
	}
	version := -1 // an empty database
	if exists {
		if err := tx.QueryRow(ctx, "SELECT version FROM testimony_schema WHERE id = 1").Scan(&version); err != nil {
			return fmt.Errorf("failed to read schema version: %w", err)
		}
	}
	if version > schemaVersion {
		return fmt.Errorf("the database has schema version %d, newer than this program's %d: run a newer testimony", version, schemaVersion)
	}
	if version == schemaVersion {
		return nil
	}
	// An empty database (-1) starts with migrations[0], which creates
	// version 1; a database at version v needs migrations[v] onwards.
	for v := max(version, 0); v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			var pe *pgconn.PgError
			if v == 0 && errors.As(err, &pe) && pe.Code == "42P07" { // duplicate_table
				return fmt.Errorf("the database holds tables that are not a testimony store's (%s): use an empty database", pe.Message)
			}
			return fmt.Errorf("failed to migrate the schema to version %d: %w", v+1, err)
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE testimony_schema SET version = $1 WHERE id = 1", schemaVersion); err != nil {
		return fmt.Errorf("failed to set schema version: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("failed to commit schema: %w", err)
	}
	return nil
}

// Close lets the writer commit every write already queued, then closes the
// pool. Calling it again does nothing.
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
	s.pool.Close()
	return nil
}

// An op is one write waiting for the writer. fn runs inside the batch's
// transaction; whatever it returns through its closure is valid only if the
// error sent on done is nil. fn must make every check that can fail before
// it writes: an op that returns an error after its writes reached the
// database makes the writer run the batch again without it.
type op struct {
	fn func(tx *wtx) error
	// sub is the ID of a submission the op will look up, read for the
	// whole batch in the round trip that begins it ("" for none).
	sub   string
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
	return s.submit(ctx, &op{fn: fn})
}

// submit queues o and waits for its answer, as write does.
func (s *Store) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.done = make(chan error, 1)
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
// An op whose statement the database refused is answered with that error
// and the batch runs again without it.
func (s *Store) runBatch(batch []*op) {
	live := make([]*op, 0, len(batch))
	for _, o := range batch {
		if o.state.CompareAndSwap(opPending, opTaken) {
			live = append(live, o)
		}
	}
	merge := true
	for len(live) > 0 {
		errs, culprit, err := s.runTx(live, merge)
		if culprit == culpritMerged {
			// A row of several changes was refused: find whose,
			// one statement per change.
			merge = false
			continue
		}
		if culprit >= 0 {
			live[culprit].done <- err
			live = append(live[:culprit], live[culprit+1:]...)
			continue
		}
		for i, o := range live {
			if err != nil {
				o.done <- err
			} else {
				o.done <- errs[i]
			}
		}
		return
	}
}

// opError is an op's own failure: a statement of it that the database
// refused (the batch runs again without it), or a check that failed after
// it wrote.
type opError struct {
	op  int
	err error
}

func (e *opError) Error() string { return e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// culpritMerged is runTx's culprit when the database refused a statement
// that carried the rows of several ops.
const culpritMerged = -2

// runTx runs the ops in one transaction and commits. It returns each op's
// own error; or the index of an op that must leave the batch and its error;
// or culpritMerged; or culprit -1 and an error that fails them all. With
// merge, the rows the ops add to the log and to submissions are inserted
// with one statement per table for the whole batch.
func (s *Store) runTx(ops []*op, merge bool) (errs []error, culprit int, err error) {
	// The batch belongs to many callers: no single caller's context may
	// interrupt it.
	ctx := context.Background()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, -1, fmt.Errorf("failed to reach the database: %w", err)
	}
	defer func() {
		// Not committed: roll back. A connection still in a
		// transaction after this is closed by the pool on Release.
		if conn.Conn().PgConn().TxStatus() != 'I' {
			conn.Exec(context.Background(), "ROLLBACK")
		}
		conn.Release()
	}()
	// BEGIN goes with begin's reads and COMMIT with the last writes: a
	// batch takes two round trips.
	t := &wtx{ctx: ctx, tx: conn.Conn(), op: -1, merge: merge}
	var prefetch []string
	for _, o := range ops {
		if o.sub != "" {
			prefetch = append(prefetch, o.sub)
		}
	}
	xid, err := t.begin(s.edge, prefetch)
	if err != nil {
		return nil, -1, err
	}
	errs = make([]error, len(ops))
	for i, o := range ops {
		t.op, t.wrote = i, false
		saved := t.state
		errs[i] = o.fn(t)
		if t.failed != nil {
			return t.blame()
		}
		if errs[i] != nil {
			if t.wrote {
				// Its writes may be merged with others' or sent:
				// run the batch again without it.
				return nil, i, errs[i]
			}
			t.state = saved
		}
	}
	t.op = -1
	if err := t.commit(); err != nil {
		if t.failed != nil {
			return t.blame()
		}
		// The server may have committed before the connection broke.
		committed, rerr := s.resolve(xid)
		if rerr != nil {
			s.edge = logEdge{size: -1}
			return nil, -1, fmt.Errorf("failed to commit (%v), and whether it did is unknown: %w", err, rerr)
		}
		if !committed {
			return nil, -1, fmt.Errorf("failed to commit: %w", err)
		}
	}
	s.edge = t.state.edge
	return errs, -1, nil
}

// resolve finds out whether the transaction xid committed, asking again
// while it is in progress, for up to a minute.
func (s *Store) resolve(xid int64) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		var status *string
		err := s.pool.QueryRow(ctx, "SELECT txid_status($1)", xid).Scan(&status)
		switch {
		case err == nil && status == nil:
			return false, errors.New("the server no longer knows the transaction")
		case err == nil && *status == "committed":
			return true, nil
		case err == nil && *status == "aborted":
			return false, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("the transaction is still in progress")
			}
			return false, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// wtx is the writer's transaction. Writes are queued and sent together with
// the next read (or the commit) in one round trip: a batch of N changes
// costs about N round trips, not one per statement.
type wtx struct {
	ctx     context.Context
	tx      *pgx.Conn      // in the transaction begin starts
	merge   bool           // rows go to bulk, not pending
	bulk    bulkRows       // rows for merged inserts, sent before pending
	op      int            // the op running, -1 outside of them
	wrote   bool           // the op running has queued a write
	pending []pendingWrite // queued writes
	failed  *opError       // the first statement the database refused
	state   txState
	// subs holds the submissions of the batch's ops' sub IDs as stored
	// (nil for none), read when the batch began, and those the batch
	// added since.
	subs map[string]*store.Submission
}

// txState is what ops change in memory: saved before each op and put back if
// it fails before its writes are sent.
type txState struct {
	edge                    logEdge // the log's right edge
	subSeq, annSeq, lookSeq int64   // the last Seq given out
}

type pendingWrite struct {
	op   int
	sql  string
	args []any
}

// begin starts the transaction (READ COMMITTED), locks the writer row
// (waiting for any other writer, of any process, to finish), reads where
// the log and the sequences stand and the submissions with the IDs in
// subs, and returns the transaction's ID, all in one round trip. edge is the writer's right edge of the log after its
// last commit, used if the log has not grown since.
func (t *wtx) begin(edge logEdge, subs []string) (int64, error) {
	b := &pgx.Batch{}
	b.Queue(beginSQL)
	b.Queue(lockWriterSQL)
	b.Queue(txidSQL)
	b.Queue(headsSQL)
	if len(subs) > 0 {
		b.Queue(submissionsSQL, subs)
	}
	br := t.tx.SendBatch(t.ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return 0, fmt.Errorf("failed to begin transaction: %w", err)
	}
	var one int
	if err := br.QueryRow().Scan(&one); err != nil {
		return 0, fmt.Errorf("failed to lock the writer row: %w", err)
	}
	var xid int64
	if err := br.QueryRow().Scan(&xid); err != nil {
		return 0, fmt.Errorf("failed to begin transaction: %w", err)
	}
	var size int64
	st := &t.state
	if err := br.QueryRow().Scan(&size, &st.subSeq, &st.annSeq, &st.lookSeq); err != nil {
		return 0, fmt.Errorf("failed to read the log size: %w", err)
	}
	if edge.size == size {
		st.edge = edge
	} else {
		st.edge = logEdge{size: size} // hashes read when needed
	}
	t.subs = make(map[string]*store.Submission, len(subs))
	if len(subs) > 0 {
		for _, id := range subs {
			t.subs[id] = nil
		}
		rows, err := br.Query()
		if err != nil {
			return 0, fmt.Errorf("failed to read submissions: %w", err)
		}
		for rows.Next() {
			sub, err := scanSubmission(rows)
			if err != nil {
				rows.Close()
				return 0, fmt.Errorf("failed to read submissions: %w", err)
			}
			t.subs[sub.ID] = &sub
		}
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("failed to read submissions: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return 0, fmt.Errorf("failed to begin transaction: %w", err)
	}
	return xid, nil
}

// exec queues a write of the running op.
func (t *wtx) exec(sql string, args ...any) {
	t.pending = append(t.pending, pendingWrite{op: t.op, sql: sql, args: args})
	t.wrote = true
}

// send sends the queued writes and then the query sql (if not "") in one
// round trip, and calls read with the query's results.
func (t *wtx) send(sql string, args []any, read func(br pgx.BatchResults) error) error {
	if t.failed != nil {
		return t.failed
	}
	b := &pgx.Batch{}
	merged := t.bulk.queue(b)
	for _, w := range t.pending {
		b.Queue(w.sql, w.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	if len(b.QueuedQueries) == 0 {
		return nil
	}
	pending := t.pending
	t.pending = t.pending[:0:0]
	br := t.tx.SendBatch(t.ctx, b)
	for range merged {
		if _, err := br.Exec(); err != nil {
			br.Close()
			t.failed = &opError{op: culpritMerged, err: err}
			return t.failed
		}
	}
	for _, w := range pending {
		if _, err := br.Exec(); err != nil {
			br.Close()
			t.failed = &opError{op: w.op, err: err}
			return t.failed
		}
	}
	if sql != "" {
		if err := read(br); err != nil {
			br.Close()
			if !errors.Is(err, pgx.ErrNoRows) {
				t.failed = &opError{op: t.op, err: err}
				return t.failed
			}
			return err
		}
	}
	if err := br.Close(); err != nil {
		t.failed = &opError{op: t.op, err: err}
		return t.failed
	}
	return nil
}

// queryRow runs a query for one row after the queued writes, in one round
// trip. It returns pgx.ErrNoRows if there is none.
func (t *wtx) queryRow(sql string, args []any, dest ...any) error {
	return t.row(sql, args, func(r pgx.Row) error { return r.Scan(dest...) })
}

// row is queryRow with a scan function of the caller's.
func (t *wtx) row(sql string, args []any, scan func(pgx.Row) error) error {
	return t.send(sql, args, func(br pgx.BatchResults) error {
		return scan(br.QueryRow())
	})
}

// query runs a query after the queued writes and calls row for each row.
func (t *wtx) query(sql string, args []any, row func(pgx.Rows) error) error {
	return t.send(sql, args, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// commit sends the queued writes and COMMIT in one round trip. If the
// database refused a write, the error is also in t.failed and nothing was
// committed: the server skips the rest of the round trip, COMMIT
// included, after an error. Any other error (COMMIT's own, or a
// connection that broke) leaves unknown whether the transaction
// committed.
func (t *wtx) commit() error {
	var commitErr error
	err := t.send(commitSQL, nil, func(br pgx.BatchResults) error {
		_, commitErr = br.Exec()
		return commitErr
	})
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if f := t.failed; f != nil && commitErr == nil && f.op != -1 && errors.As(f.err, &pe) {
		return f // a write was refused
	}
	t.failed = nil
	return err
}

// blame turns the first refused statement into runTx's answer: the op it
// belongs to leaves the batch if the database refused the data (a
// constraint, a value it cannot store); anything else fails the batch.
func (t *wtx) blame() ([]error, int, error) {
	f := t.failed
	var pe *pgconn.PgError
	if f.op != -1 && errors.As(f.err, &pe) && (pe.Code[:2] == "22" || pe.Code[:2] == "23") {
		return nil, f.op, f.err
	}
	return nil, -1, f.err
}
