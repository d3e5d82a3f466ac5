package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/store"
	"testimony/internal/store/storetest"
)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, filepath.Join(t.TempDir(), "meta.db"))
	})
}

func TestSnapshotConformance(t *testing.T) {
	storetest.RunSnapshot(t, func(t *testing.T) store.Store {
		return openTest(t, filepath.Join(t.TempDir(), "meta.db"))
	})
}

func TestDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	open := func(t *testing.T) store.Store { return openTest(t, path) }
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

// The database, its WAL and its shared-memory file are 0600 whatever the
// umask: Open creates the database itself and SQLite copies its mode.
func TestFileModes(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o277} {
		t.Run(fmt.Sprintf("umask %#o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			path := filepath.Join(t.TempDir(), "meta.db")
			s := openTest(t, path)
			if _, _, err := s.AddSubmission(context.Background(), testSubmission(1)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Submission(context.Background(), testSubmission(1).ID); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %v; want 0600", filepath.Base(name), fi.Mode().Perm())
				}
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	execRaw(t, path, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion+1))
	s, err = Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema: %v; want it to say newer", err)
	}
}

func TestForeignFilesRefused(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	execRaw(t, other, "PRAGMA application_id = 42")
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database\n"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{other, notDB, dir} {
		if s, err := Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", filepath.Base(path))
		}
	}
}

// execRaw runs SQL on the database file without this package.
func execRaw(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidInput(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "meta.db"))
	good := store.Token{ID: "0123456789abcdef", Role: store.Reviewer, Created: "2031-05-06"}
	mod := func(f func(*store.Token)) store.Token { t := good; f(&t); return t }
	for _, tok := range []store.Token{
		mod(func(t *store.Token) { t.ID = "0123456789ABCDEF" }),   // upper case
		mod(func(t *store.Token) { t.ID = "0123456789abcde" }),    // short
		mod(func(t *store.Token) { t.ID = "../../etc/passwd00" }), // not hex
		mod(func(t *store.Token) { t.Role = "root" }),
		mod(func(t *store.Token) { t.Created = "2031-05-06T12:00:00Z" }), // time of day
		mod(func(t *store.Token) { t.Created = "2031-02-30" }),
	} {
		if err := s.AddToken(ctx, tok, [32]byte{}); err == nil {
			t.Errorf("AddToken(%+v) succeeded", tok)
		}
	}
	if err := s.AddEnrollment(ctx, [32]byte{1}, store.Enrollment{Role: "root", Label: "x", Expires: time.Now().Add(time.Hour)}); err == nil {
		t.Error("AddEnrollment with an unknown role succeeded")
	}
	good2 := testSubmission(1)
	modS := func(f func(*store.Submission)) store.Submission { s := good2; f(&s); return s }
	for _, sub := range []store.Submission{
		modS(func(s *store.Submission) { s.ID = "abc" }),
		modS(func(s *store.Submission) { s.ID = strings.Repeat("G", 32) }),
		modS(func(s *store.Submission) { s.Day = "06/05/2031" }),
		modS(func(s *store.Submission) { s.Size = -1 }),
		modS(func(s *store.Submission) { s.HasReid, s.ReidSize = true, -1 }),
	} {
		if _, _, err := s.AddSubmission(ctx, sub); err == nil {
			t.Errorf("AddSubmission(%+v) succeeded", sub)
		}
	}
	if _, err := s.Submissions(ctx, 0, 0); err == nil {
		t.Error("Submissions with limit 0 succeeded")
	}
	goodA := store.Annotation{ID: fmt.Sprintf("%032x", 0xabcdef), Digest: sha256.Sum256(nil), Size: 3, Author: "reviewer 1", Day: "2031-05-06"}
	modA := func(f func(*store.Annotation)) store.Annotation { a := goodA; f(&a); return a }
	for _, a := range []store.Annotation{
		modA(func(a *store.Annotation) { a.ID = "../" + a.ID[3:] }),
		modA(func(a *store.Annotation) { a.ID = strings.ToUpper(a.ID) }),
		modA(func(a *store.Annotation) { a.Day = "2031-05-06T10:00:00Z" }),
		modA(func(a *store.Annotation) { a.Size = -1 }),
		modA(func(a *store.Annotation) { a.Body = []byte("four") }),
	} {
		if _, _, err := s.AddAnnotation(ctx, a); err == nil {
			t.Errorf("AddAnnotation(%+v) succeeded", a)
		}
	}
	if _, err := s.Annotations(ctx, 0, 0); err == nil {
		t.Error("Annotations with limit 0 succeeded")
	}
	if _, _, err := s.AddSubmission(ctx, good2); err != nil {
		t.Fatal(err)
	}
	goodL := testLookup(testSubmission(2).ID, good2.ID)
	modL := func(f func(*store.Lookup)) store.Lookup { l := goodL; f(&l); return l }
	for _, l := range []store.Lookup{
		modL(func(l *store.Lookup) { l.ID = "abc" }),
		modL(func(l *store.Lookup) { l.Submission = "../meta.db" }),
		modL(func(l *store.Lookup) { l.Custodian = "custodian 1" }),      // a label, not a token ID
		modL(func(l *store.Lookup) { l.Custodian = "0123456789ABCDEF" }), // upper case
		modL(func(l *store.Lookup) { l.Day = "06/05/2031" }),
		modL(func(l *store.Lookup) { l.Body = nil }),
		modL(func(l *store.Lookup) { l.Size++ }),
		modL(func(l *store.Lookup) { l.Body, l.Size = make([]byte, store.MaxInlineBody+1), store.MaxInlineBody+1 }),
	} {
		if _, _, err := s.AddLookup(ctx, l); err == nil {
			t.Errorf("AddLookup(%+v) succeeded", l.ID)
		}
	}
	if _, err := s.Lookups(ctx, 0, 0); err == nil {
		t.Error("Lookups with limit 0 succeeded")
	}
	if as, _ := s.Annotations(ctx, 0, 10); len(as) != 0 {
		t.Errorf("invalid annotations were stored: %v", as)
	}
	if ls, _ := s.Lookups(ctx, 0, 10); len(ls) != 0 {
		t.Errorf("invalid lookups were stored: %v", ls)
	}
	if n, _ := s.LogSize(ctx); n != 1 {
		t.Errorf("invalid lookups appended to the log: %d leaves; want 1", n)
	}
	if ts, _ := s.Tokens(ctx); len(ts) != 0 {
		t.Errorf("invalid tokens were stored: %v", ts)
	}
	if subs, _ := s.Submissions(ctx, 0, 10); len(subs) != 1 {
		t.Errorf("invalid submissions were stored: %v", subs)
	}
}

func TestCancelledContext(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "meta.db"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.AddSubmission(ctx, testSubmission(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("AddSubmission with a cancelled context: %v", err)
	}
	if _, err := s.Submission(context.Background(), testSubmission(1).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a cancelled AddSubmission stored something: %v", err)
	}
}

// hold makes the writer wait until release is closed, so that the writes
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

// Writes in one batch see each other, and one failing does not fail the
// others.
func TestBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "meta.db"))
	release := hold(s)

	type result struct {
		sub     store.Submission
		created bool
		err     error
	}
	ins := []store.Submission{testSubmission(1), testSubmission(2), testSubmission(1), testSubmission(1), testSubmission(3)}
	ins[3].Digest[0] ^= 1 // conflicts with the first, in the same batch
	res := make([]result, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			r := &res[i]
			r.sub, r.created, r.err = s.AddSubmission(ctx, in)
		})
		waitQueued(t, s, i+1) // keep the order
	}
	release()
	wg.Wait()

	wantSeq := []int64{1, 2, 1, 0, 3}
	wantCreated := []bool{true, true, false, false, true}
	for i, r := range res {
		if i == 3 {
			if !errors.Is(r.err, store.ErrConflict) {
				t.Errorf("write %d: %v; want ErrConflict", i, r.err)
			}
			continue
		}
		if r.err != nil || r.created != wantCreated[i] || r.sub.Seq != wantSeq[i] {
			t.Errorf("write %d = Seq %d, created %v, %v; want Seq %d, created %v", i, r.sub.Seq, r.created, r.err, wantSeq[i], wantCreated[i])
		}
	}
	if subs, err := s.Submissions(ctx, 0, 10); err != nil || len(subs) != 3 {
		t.Errorf("Submissions = %v, %v; want 3", subs, err)
	}
}

// A write whose context ends while it waits for the writer is not stored.
func TestCancelWhileQueued(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "meta.db"))
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
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := Open(path)
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
	s = openTest(t, path)
	subs, err := s.Submissions(ctx, 0, 1000)
	if err != nil || int64(len(subs)) != acked.Load() {
		t.Errorf("after reopening, %d submissions (%v); %d were acknowledged", len(subs), err, acked.Load())
	}
}

const crashEnv = "TESTIMONY_STORE_CRASH_DB"

// TestCrash kills a process that is adding submissions and checks that
// every submission it acknowledged survived, numbered without gaps.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("crash test skipped in short mode")
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	total := 0
	for round := range 5 {
		acked := runCrashChild(t, path, round)
		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: Open after kill -9: %v", round, err)
		}
		subs, err := s.Submissions(context.Background(), 0, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		lookups, err := s.Lookups(context.Background(), 0, 1<<30)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		stored := make(map[string]bool)
		for i, sub := range subs {
			if sub.Seq != int64(i+1) {
				t.Fatalf("round %d: submission %d has Seq %d; want %d", round, i, sub.Seq, i+1)
			}
			stored[sub.ID] = true
		}
		for i, l := range lookups {
			if l.Seq != int64(i+1) {
				t.Fatalf("round %d: lookup %d has Seq %d; want %d", round, i, l.Seq, i+1)
			}
			stored[l.ID] = true
		}
		for _, id := range acked {
			if !stored[id] {
				t.Errorf("round %d: acknowledged submission or lookup %s is lost", round, id)
			}
		}
		// Every stored submission and lookup has its leaf, and the log
		// nothing else: both or neither, across kill -9.
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		storetest.CheckLogEntries(t, s, subs, lookups)
		s.Close()
		if len(subs)+len(lookups) < total+len(acked) {
			t.Errorf("round %d: %d stored; want at least %d", round, len(subs), total+len(acked))
		}
		t.Logf("round %d: %d acknowledged before kill -9, %d submissions and %d lookups stored in all", round, len(acked), len(subs), len(lookups))
		total = len(subs) + len(lookups)
	}
}

// runCrashChild starts the test binary as a crash child, kills it with
// SIGKILL 300 ms after its first acknowledgement and returns the IDs it
// acknowledged.
func runCrashChild(t *testing.T, path string, round int) []string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("TESTIMONY_STORE_CRASH_ROUND=%d", round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	lines := make(chan []string, 1)
	go func() {
		var ids []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			// A line is complete only with its newline: a write cut
			// by the kill is no acknowledgement.
			if id := sc.Text(); store.ValidHex(id, 32) {
				if len(ids) == 0 {
					close(first)
				}
				ids = append(ids, id)
			}
		}
		lines <- ids
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the crash child acknowledged nothing; stderr:\n%s", stderr.String())
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ids := <-lines
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the crash child ended with %v, not by SIGKILL; stderr:\n%s", err, stderr.String())
	}
	return ids
}

// crashChild adds submissions, and lookups of every third of them, from
// several goroutines until it is killed, printing each ID once AddSubmission
// or AddLookup has returned.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	round, _ := strconv.Atoi(os.Getenv("TESTIMONY_STORE_CRASH_ROUND"))
	var n atomic.Int64
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			for {
				i := n.Add(1)
				sub := testSubmission(0)
				sub.ID = fmt.Sprintf("%08x%08x%016x", round, g, i)
				sub.Digest = sha256.Sum256([]byte(sub.ID))
				if _, _, err := s.AddSubmission(context.Background(), sub); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				os.Stdout.WriteString(sub.ID + "\n")
				mu.Unlock()
				if i%3 != 0 {
					continue
				}
				l := testLookup(fmt.Sprintf("%08x%08x%016x", round, 8+g, i), sub.ID)
				if _, _, err := s.AddLookup(context.Background(), l); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				os.Stdout.WriteString(l.ID + "\n")
				mu.Unlock()
			}
		}()
	}
	select {}
}

// BenchmarkAddSubmission measures new submissions per second, one caller
// at a time and 32 at once, with group commit and (nobatch) with one
// transaction per submission.
func BenchmarkAddSubmission(b *testing.B) {
	var ids atomic.Int64
	add := func(b *testing.B, s *Store) {
		sub := testSubmission(int(ids.Add(1)))
		if _, created, err := s.AddSubmission(context.Background(), sub); err != nil || !created {
			b.Errorf("AddSubmission = %v, %v", created, err)
		}
	}
	openBench := func(b *testing.B, maxBatch int) *Store {
		s, err := open(filepath.Join(b.TempDir(), "meta.db"), maxBatch)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
	}
	b.Run("serial", func(b *testing.B) {
		s := openBench(b, defaultMaxBatch)
		b.ResetTimer()
		for range b.N {
			add(b, s)
		}
		report(b)
	})
	for _, c := range []struct {
		name     string
		maxBatch int
	}{{"parallel32", defaultMaxBatch}, {"parallel32-nobatch", 1}} {
		b.Run(c.name, func(b *testing.B) {
			s := openBench(b, c.maxBatch)
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					add(b, s)
				}
			})
			report(b)
		})
	}
}

// TestMigrateV1 opens a database of schema version 1 (before the log): the
// log is created with a leaf for every stored submission, in Seq order, and
// new submissions go on from there.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execRaw(t, path, schema+fmt.Sprintf("PRAGMA user_version = 1; PRAGMA application_id = %d;", applicationID))
	var subs []store.Submission
	for i := range 5 {
		sub := testSubmission(i + 1)
		reid := "NULL, NULL"
		if i == 2 {
			sub.HasReid, sub.ReidDigest, sub.ReidSize = true, sha256.Sum256([]byte("reid")), 7
			reid = fmt.Sprintf("x'%x', 7", sub.ReidDigest)
		}
		sub.Seq = int64(i + 1)
		execRaw(t, path, fmt.Sprintf(`INSERT INTO submissions (id, digest, size, reid_digest, reid_size, device, day)
			VALUES ('%s', x'%x', %d, %s, '%s', '%s')`, sub.ID, sub.Digest, sub.Size, reid, sub.Device, sub.Day))
		subs = append(subs, sub)
	}
	s := openTest(t, path)
	got, err := s.Submissions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range subs {
		subs[i].Leaf = int64(i)
	}
	if !slices.EqualFunc(got, subs, func(a, b store.Submission) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("after migration, Submissions =\n%+v\nwant\n%+v", got, subs)
	}
	storetest.CheckLog(t, s, got)
	next, _, err := s.AddSubmission(ctx, testSubmission(99))
	if err != nil || next.Leaf != 5 || next.Seq != 6 {
		t.Errorf("AddSubmission after migration = %+v, %v; want Seq 6, leaf 5", next, err)
	}
	var version int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, schemaVersion)
	}
}

// TestMigrateV2 opens a database of schema version 2 (before annotations
// and lookups): its submissions and log are kept as they were, and
// annotations and lookups can be added, lookups' leaves after the log's
// existing ones.
func TestMigrateV2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	execRaw(t, path, schema+schemaLog+fmt.Sprintf("PRAGMA user_version = 2; PRAGMA application_id = %d;", applicationID))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var subs []store.Submission
	st := &setupTx{ctx: ctx, tx: tx}
	for i := range 4 {
		sub := testSubmission(i + 1)
		sub.Seq, sub.Leaf = int64(i+1), int64(i)
		leaf, err := appendSubmissionLeaf(st, sub)
		if err != nil || leaf != sub.Leaf {
			t.Fatalf("leaf %d, %v", leaf, err)
		}
		if _, err := st.exec(`INSERT INTO submissions (id, digest, size, device, day, leaf) VALUES (?, ?, ?, ?, ?, ?)`,
			sub.ID, sub.Digest[:], sub.Size, sub.Device, sub.Day, leaf); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	st.close()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTest(t, path)
	var version int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, schemaVersion)
	}
	got, err := s.Submissions(ctx, 0, 100)
	if err != nil || !slices.EqualFunc(got, subs, func(a, b store.Submission) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("after migration, Submissions =\n%+v, %v\nwant\n%+v", got, err, subs)
	}
	storetest.CheckLog(t, s, got)
	if as, err := s.Annotations(ctx, 0, 10); err != nil || len(as) != 0 {
		t.Errorf("after migration, Annotations = %v, %v; want none", as, err)
	}
	a, created, err := s.AddAnnotation(ctx, store.Annotation{ID: testSubmission(9).ID, Digest: sha256.Sum256([]byte("x")), Size: 1, Author: "reviewer 1", Day: "2031-05-07", Body: []byte("x")})
	if err != nil || !created || a.Seq != 1 {
		t.Errorf("AddAnnotation after migration = %+v, %v, %v; want Seq 1", a, created, err)
	}
	l, created, err := s.AddLookup(ctx, testLookup(testSubmission(10).ID, subs[2].ID))
	if err != nil || !created || l.Seq != 1 || l.Leaf != 4 {
		t.Errorf("AddLookup after migration = %+v, %v, %v; want Seq 1, leaf 4", l, created, err)
	}
	next, _, err := s.AddSubmission(ctx, testSubmission(99))
	if err != nil || next.Seq != 5 || next.Leaf != 5 {
		t.Errorf("AddSubmission after migration = %+v, %v; want Seq 5, leaf 5", next, err)
	}
	storetest.CheckLogEntries(t, s, append(got, next), []store.Lookup{l})
	// Opening it again migrates nothing twice.
	s.Close()
	s = openTest(t, path)
	if ls, err := s.Lookups(ctx, 0, 10); err != nil || len(ls) != 1 || !reflect.DeepEqual(ls[0], l) {
		t.Errorf("after reopening, Lookups = %+v, %v; want %+v", ls, err, l)
	}
}

// TestMigrateV3 opens a database of schema version 3 (before enrollment
// codes named a device) that holds an unused interviewer code: the code
// keeps working for what it was made for, a token without a device, and
// makes no device token, which would be bound to a device the admin never
// chose.
func TestMigrateV3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	now := time.Now()
	code := sha256.Sum256([]byte("old code"))
	execRaw(t, path, schema+schemaLog+schemaV3+fmt.Sprintf(`PRAGMA user_version = 3; PRAGMA application_id = %d;
		INSERT INTO enrollments (code_hash, role, label, expires) VALUES (x'%x', 'interviewer', 'laptop 1', %d);`,
		applicationID, code, now.Add(time.Hour).Unix()))
	s := openTest(t, path)
	var version int
	if err := s.rdb.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, schemaVersion)
	}
	e, err := s.Enrollment(ctx, code, now)
	if err != nil || e.Role != store.Interviewer || e.Label != "laptop 1" || e.Device != "" {
		t.Errorf("after migration, Enrollment = %+v, %v; want an interviewer code without a device", e, err)
	}
	tok := store.Token{ID: "0123456789abcdef", Device: "laptop-1", DevicePub: "laptop-1+00000000+AAAA", Created: "2031-05-06"}
	if _, err := s.Enroll(ctx, code, now, tok, sha256.Sum256([]byte("secret"))); !errors.Is(err, store.ErrWrongDevice) {
		t.Errorf("after migration, Enroll of a device with an old code: %v; want ErrWrongDevice", err)
	}
	// New codes keep their device.
	fresh := sha256.Sum256([]byte("new code"))
	if err := s.AddEnrollment(ctx, fresh, store.Enrollment{Role: store.Interviewer, Label: "laptop 2", Device: "laptop-2", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	tok.Device = "laptop-2"
	if got, err := s.Enroll(ctx, fresh, now, tok, sha256.Sum256([]byte("secret"))); err != nil || got.Device != "laptop-2" {
		t.Errorf("after migration, Enroll with a new code = %+v, %v", got, err)
	}
}

// BenchmarkLogAppend measures AddSubmission (which appends a leaf) on an
// empty log and on one of 10⁶ leaves, and reports the size of an inclusion
// and a consistency proof at that size. The big log is built once per run
// with the same append code, in large transactions.
func BenchmarkLogAppend(b *testing.B) {
	for _, size := range []int64{0, 1_000_000} {
		b.Run(fmt.Sprintf("leaves=%d", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "meta.db")
			s, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			prefill(b, s, size)
			var ids atomic.Int64
			ids.Store(size)
			b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sub := testSubmission(int(ids.Add(1)))
					if _, created, err := s.AddSubmission(context.Background(), sub); err != nil || !created {
						b.Errorf("AddSubmission = %v, %v", created, err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
			b.StopTimer()
			n, err := s.LogSize(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if n < 3 {
				return
			}
			reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.LogHashes(context.Background(), idx) })
			inc, err := tlog.ProveRecord(n, n/3, reader)
			if err != nil {
				b.Fatal(err)
			}
			con, err := tlog.ProveTree(n, n/3, reader)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(inc)*tlog.HashSize), "inclusion-B")
			b.ReportMetric(float64(len(con)*tlog.HashSize), "consistency-B")
		})
	}
}

// prefill appends n submissions with their leaves, 100,000 per transaction.
func prefill(b *testing.B, s *Store, n int64) {
	ctx := context.Background()
	for done := int64(0); done < n; {
		tx, err := s.wdb.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		t := &setupTx{ctx: ctx, tx: tx}
		for i := 0; i < 100_000 && done < n; i++ {
			sub := testSubmission(int(done))
			leaf, err := appendSubmissionLeaf(t, sub)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.exec(`INSERT INTO submissions (id, digest, size, device, day, leaf) VALUES (?, ?, ?, ?, ?, ?)`,
				sub.ID, sub.Digest[:], sub.Size, sub.Device, sub.Day, leaf); err != nil {
				b.Fatal(err)
			}
			done++
		}
		t.close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
