package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/internal/store/storetest"
)

// envURL names the PostgreSQL server the tests use, as a connection URL
// (postgres://postgres@127.0.0.1:5544/postgres?sslmode=disable). Each test
// makes a database of its own there and drops it afterwards.
const envURL = "TESTIMONY_TEST_POSTGRES"

// serverURL returns the test server's URL, or skips the test without one
// (fails it with TESTIMONY_REQUIRE_TOOLS=1).
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(envURL)
	if u == "" {
		msg := envURL + " is not set: set it to a PostgreSQL connection URL (postgres://user@host:port/db) to run the PostgreSQL store's tests"
		if os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg + ", which TESTIMONY_REQUIRE_TOOLS=1 requires")
		}
		t.Skip(msg)
	}
	return u
}

// newDatabase creates an empty database with a random name on the test
// server, dropped when the test ends, and returns its URL.
func newDatabase(t testing.TB) string {
	t.Helper()
	base := serverURL(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", envURL)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("failed to connect to the test server (%s): %v", envURL, err)
	}
	defer admin.Close(ctx)
	name := "testimony_test_" + rand.Text()[:16]
	name = strings.ToLower(name)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("failed to drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("failed to drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func openTest(t testing.TB, dbURL string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	serverURL(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, newDatabase(t))
	})
}

func TestSnapshot(t *testing.T) {
	serverURL(t)
	storetest.RunSnapshot(t, func(t *testing.T) store.Store {
		return openTest(t, newDatabase(t))
	})
}

func TestDurability(t *testing.T) {
	db := newDatabase(t)
	open := func(t *testing.T) store.Store { return openTest(t, db) }
	storetest.RunDurability(t, open, open)
}

func testSubmission(n int) store.Submission {
	return store.Submission{
		ID:     fmt.Sprintf("%032x", n),
		Digest: sha256.Sum256([]byte(fmt.Sprint(n))),
		Size:   int64(n),
		Device: "device-1",
		Day:    "2031-05-06",
	}
}

func testLookup(id, sub string) store.Lookup {
	body := []byte("sealed reason of " + id)
	return store.Lookup{
		ID:         id,
		Submission: sub,
		Digest:     sha256.Sum256(body),
		Size:       int64(len(body)),
		Custodian:  "0123456789abcdef",
		Day:        "2031-05-06",
		Body:       body,
	}
}

func execDB(t *testing.T, dbURL, query string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, query); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	db := newDatabase(t)
	s, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	execDB(t, db, fmt.Sprintf("UPDATE testimony_schema SET version = %d", schemaVersion+1))
	s, err = Open(context.Background(), db)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema: %v; want it to say newer", err)
	}
}

// A database that holds another application's table of one of our names
// is refused, and left as it was.
func TestForeignTablesRefused(t *testing.T) {
	db := newDatabase(t)
	execDB(t, db, "CREATE TABLE tokens (id text PRIMARY KEY, owner text)")
	s, err := Open(context.Background(), db)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a foreign tokens table succeeded")
	}
	if !strings.Contains(err.Error(), "not a testimony store") {
		t.Errorf("Open: %v; want it to say the tables are not a testimony store's", err)
	}
	execDB(t, db, "DO $$ BEGIN IF to_regclass('testimony_schema') IS NOT NULL THEN RAISE 'schema created'; END IF; END $$")
}

// Several processes opening one empty database at once create the schema
// once.
func TestConcurrentOpen(t *testing.T) {
	db := newDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(context.Background(), db)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
}

// A password in the URL appears in no error.
func TestPasswordNotInErrors(t *testing.T) {
	const pw = "Secret-Canary-7f3a9c"
	for _, u := range []string{
		"postgres://user:" + pw + "@127.0.0.1:1/db?sslmode=disable&connect_timeout=2",
		"postgres://user:" + pw + "@127.0.0.1:1/db?sslmode=bogus",
		"postgres://user:" + pw + "@127.0.0.1:99999/db",
		"host=127.0.0.1 port=1 password=" + pw + " sslmode=disable connect_timeout=2",
		"host=127.0.0.1 port=1 password=" + pw + " sslmode=bogus",
	} {
		s, err := Open(context.Background(), u)
		if err == nil {
			s.Close()
			t.Errorf("Open succeeded on a closed port")
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), pw) {
			t.Errorf("an Open error shows the password: %v", err)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	s := openTest(t, newDatabase(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.AddSubmission(ctx, testSubmission(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("AddSubmission with a cancelled context: %v", err)
	}
	if _, err := s.Submission(context.Background(), testSubmission(1).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a cancelled AddSubmission stored something: %v", err)
	}
}

// hold makes the writer wait until release is called, so that the writes
// queued meanwhile form one batch. It returns once the writer is held.
func hold(s *Store) (release func()) {
	held, ch := make(chan struct{}), make(chan struct{})
	go s.write(context.Background(), func(*wtx) error {
		close(held)
		<-ch
		return nil
	})
	<-held
	return func() { close(ch) }
}

// waitQueued waits until n writes wait for the writer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.ops) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued; want %d", len(s.ops), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Writes in one batch see each other; one failing its own check, or having
// a statement the database refuses, does not fail the others.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	db := newDatabase(t)
	s := openTest(t, db)
	// A row the database refuses though it passes every check of the
	// store's: its insert is merged with the others' and fails them all
	// until the writer finds whose it is.
	execDB(t, db, "ALTER TABLE submissions ADD CONSTRAINT test_refused CHECK (device <> 'device-refused')")
	release := hold(s)

	type result struct {
		seq     int64
		created bool
		err     error
	}
	type write func() (int64, bool, error)
	sub := func(in store.Submission) write {
		return func() (int64, bool, error) {
			got, created, err := s.AddSubmission(ctx, in)
			return got.Seq, created, err
		}
	}
	conflicting := testSubmission(1)
	conflicting.Digest[0] ^= 1
	refused := testSubmission(4)
	refused.Device = "device-refused"
	// PostgreSQL text cannot hold NUL: the database refuses the insert
	// and aborts the transaction.
	badToken := store.Token{ID: "00000000000000aa", Role: store.Reviewer, Label: "bad\x00label", Created: "2031-05-06"}
	writes := []write{
		sub(testSubmission(1)),
		sub(testSubmission(2)),
		sub(testSubmission(1)), // a repeat in the same batch
		sub(conflicting),       // a conflict in the same batch
		sub(refused),
		func() (int64, bool, error) { return 0, true, s.AddToken(ctx, badToken, [32]byte{}) },
		sub(testSubmission(3)),
	}
	res := make([]result, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() {
			r := &res[i]
			r.seq, r.created, r.err = w()
		})
		waitQueued(t, s, i+1) // keep the order
	}
	release()
	wg.Wait()

	want := []struct {
		seq     int64
		created bool
		err     error // nil, or any (errAny)
	}{{1, true, nil}, {2, true, nil}, {1, false, nil}, {0, false, store.ErrConflict}, {0, false, errAny}, {0, false, errAny}, {3, true, nil}}
	for i, r := range res {
		w := want[i]
		switch {
		case w.err == errAny:
			if r.err == nil {
				t.Errorf("write %d succeeded; want the database's refusal", i)
			}
		case w.err != nil:
			if !errors.Is(r.err, w.err) {
				t.Errorf("write %d: %v; want %v", i, r.err, w.err)
			}
		case r.err != nil || r.created != w.created || r.seq != w.seq:
			t.Errorf("write %d = Seq %d, created %v, %v; want Seq %d, created %v", i, r.seq, r.created, r.err, w.seq, w.created)
		}
	}
	subs, err := s.Submissions(ctx, 0, 10)
	if err != nil || len(subs) != 3 {
		t.Errorf("Submissions = %v, %v; want 3", subs, err)
	}
	if _, _, err := s.Token(ctx, badToken.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused token was stored: %v", err)
	}
	storetest.CheckLog(t, s, subs)
}

var errAny = errors.New("any error")

// A write whose context ends while it waits for the writer is not stored.
func TestCancelWhileQueued(t *testing.T) {
	s := openTest(t, newDatabase(t))
	release := hold(s)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := s.AddSubmission(ctx, testSubmission(1))
		errc <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("AddSubmission cancelled in the queue: %v", err)
	}
	release()
	if _, _, err := s.AddSubmission(context.Background(), testSubmission(2)); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Submissions(context.Background(), 0, 10)
	if err != nil || len(subs) != 1 || subs[0].ID != testSubmission(2).ID || subs[0].Seq != 1 {
		t.Errorf("Submissions = %v, %v; want only the second, Seq 1", subs, err)
	}
}

// Close commits what is queued; later writes fail with ErrClosed.
func TestClose(t *testing.T) {
	db := newDatabase(t)
	s, err := Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 50
	var acked atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, err := s.AddSubmission(ctx, testSubmission(i))
			switch {
			case err == nil:
				acked.Add(1)
			case !errors.Is(err, ErrClosed):
				t.Errorf("AddSubmission during Close: %v", err)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := s.AddSubmission(ctx, testSubmission(n)); !errors.Is(err, ErrClosed) {
		t.Errorf("AddSubmission after Close: %v; want ErrClosed", err)
	}
	s = openTest(t, db)
	subs, err := s.Submissions(ctx, 0, 1000)
	if err != nil || int64(len(subs)) != acked.Load() {
		t.Errorf("after reopening, %d submissions (%v); %d were acknowledged", len(subs), err, acked.Load())
	}
}

// TestTwoInstances runs two stores (two connection pools, as two server
// processes would have) on one database, adding submissions and lookups
// concurrently, with every submission sent to both: one consistent log,
// nothing lost or stored twice, and a retry on the other instance is
// idempotent.
func TestTwoInstances(t *testing.T) {
	db := newDatabase(t)
	a, b := openTest(t, db), openTest(t, db)
	stores := []*Store{a, b}
	ctx := context.Background()
	const (
		workers = 8  // per store
		each    = 60 // submissions per worker
	)
	type ack struct {
		sub     store.Submission
		created bool
	}
	var mu sync.Mutex
	acks := make(map[string][]ack)
	var lookups []store.Lookup
	var wg sync.WaitGroup
	for si, s := range stores {
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					// Worker w of both stores sends the same
					// submissions, in opposite orders.
					n := w*each + i
					if si == 1 {
						n = w*each + each - 1 - i
					}
					sub := testSubmission(1000 + n)
					got, created, err := s.AddSubmission(ctx, sub)
					if err != nil {
						t.Errorf("store %d: AddSubmission: %v", si, err)
						return
					}
					var l store.Lookup
					if n%7 == 0 {
						l = testLookup(fmt.Sprintf("%032x", 1<<40+n*2+si), sub.ID)
						if l, _, err = s.AddLookup(ctx, l); err != nil {
							t.Errorf("store %d: AddLookup: %v", si, err)
							return
						}
					}
					mu.Lock()
					acks[sub.ID] = append(acks[sub.ID], ack{got, created})
					if l.ID != "" {
						lookups = append(lookups, l)
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(acks) != workers*each {
		t.Fatalf("%d submissions acknowledged; want %d", len(acks), workers*each)
	}
	for id, as := range acks {
		if len(as) != 2 || as[0].created == as[1].created || !reflect.DeepEqual(as[0].sub, as[1].sub) {
			t.Errorf("submission %s: both stores answered %+v; want one created, the same record", id, as)
		}
	}
	for _, s := range stores {
		subs, err := s.Submissions(ctx, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != workers*each {
			t.Fatalf("%d submissions stored; want %d", len(subs), workers*each)
		}
		for i, sub := range subs {
			if sub.Seq != int64(i+1) {
				t.Fatalf("submission %d has Seq %d; want %d (no gaps)", i, sub.Seq, i+1)
			}
			if as := acks[sub.ID]; len(as) == 0 || !reflect.DeepEqual(as[0].sub, sub) {
				t.Errorf("stored %+v; its callers were told %+v", sub, as)
			}
		}
		stored, err := s.Lookups(ctx, 0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != len(lookups) {
			t.Fatalf("%d lookups stored; %d acknowledged", len(stored), len(lookups))
		}
		// Unique leaves, no gaps, leaves in Seq order, hashes equal to a
		// recomputation from the leaves: checked from both pools.
		storetest.CheckLogEntries(t, s, subs, stored)
	}
}

// A snapshot of the SQLite store restores into PostgreSQL (the move from
// the embedded default), and PostgreSQL's snapshot of it is the same.
func TestRestoreFromSQLite(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Init(ctx, "testimony-verifier-admin", 3, []byte("roster v3")); err != nil {
		t.Fatal(err)
	}
	var subs []store.Submission
	for i := range 40 {
		sub := testSubmission(i + 1)
		if i%3 == 0 {
			sub.Body = make([]byte, sub.Size)
		}
		if i%4 == 0 {
			sub.HasReid, sub.ReidDigest, sub.ReidSize = true, sha256.Sum256([]byte{byte(i)}), 77
		}
		if _, _, err := src.AddSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
		if i%5 == 0 {
			if _, _, err := src.AddLookup(ctx, testLookup(fmt.Sprintf("%032x", 1<<40+i), sub.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []store.Record
	if err := src.Snapshot(ctx, func(r store.Record) error { want = append(want, r); return nil }); err != nil {
		t.Fatal(err)
	}
	dst := openTest(t, newDatabase(t))
	i := 0
	err = dst.Restore(ctx, func() (store.Record, bool, error) {
		if i == len(want) {
			return store.Record{}, false, nil
		}
		i++
		return want[i-1], true, nil
	})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	var got []store.Record
	if err := dst.Snapshot(ctx, func(r store.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PostgreSQL's snapshot of the restored store differs from SQLite's")
	}
	// New submissions go on after the restored ones, on the same tree.
	next, created, err := dst.AddSubmission(ctx, testSubmission(100))
	if err != nil || !created || next.Seq != 41 {
		t.Fatalf("AddSubmission after Restore = %+v, %v, %v; want Seq 41", next, created, err)
	}
	all, err := dst.Submissions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	looks, err := dst.Lookups(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckLogEntries(t, dst, all, looks)
}

// BenchmarkIntake measures AddSubmission of 4 KiB inline bodies (a sealed
// note) at 32 concurrent callers, on PostgreSQL and, for the ratio, on the
// SQLite store in a temporary directory of the same machine. Run:
//
//	TESTIMONY_TEST_POSTGRES=postgres://… go test -run '^$' -bench Intake ./internal/store/postgres
func BenchmarkIntake(b *testing.B) {
	var ids atomic.Int64
	body := make([]byte, 4096)
	rand.Read(body)
	run := func(b *testing.B, s store.Store) {
		b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := int(ids.Add(1))
				sub := testSubmission(n)
				sub.Size, sub.Body = int64(len(body)), body
				if _, created, err := s.AddSubmission(context.Background(), sub); err != nil || !created {
					b.Errorf("AddSubmission = %v, %v", created, err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		s, err := sqlite.Open(filepath.Join(b.TempDir(), "meta.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s := openTest(b, newDatabase(b))
		run(b, s)
	})
}
