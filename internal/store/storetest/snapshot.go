package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/store"
)

// RunSnapshot runs the conformance suite of [store.Snapshotter]: every
// store from open must implement it. It fills a store with every kind of
// record, snapshots it, restores the snapshot into a fresh store from open,
// and checks that both give the same answers to every method and the same
// snapshot again; that a snapshot taken while writes go on is one
// consistent state; and that Restore refuses a store already initialized
// and a snapshot with a gap in its leaves, a row pointing at a missing or
// another leaf, a leaf no row records, records out of order, or an error
// from next, leaving the store uninitialized each time.
func RunSnapshot(t *testing.T, open Open) {
	t.Run("RoundTrip", func(t *testing.T) { testSnapshotRoundTrip(t, open) })
	t.Run("Empty", func(t *testing.T) { testSnapshotEmpty(t, open) })
	t.Run("EmitError", func(t *testing.T) { testSnapshotEmitError(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testSnapshotConcurrent(t, open) })
	t.Run("RestoreRefusals", func(t *testing.T) { testRestoreRefusals(t, open) })
}

func openSnapshotter(t *testing.T, open Open) interface {
	store.Store
	store.Snapshotter
} {
	t.Helper()
	s := openClosed(t, open)
	ss, ok := s.(interface {
		store.Store
		store.Snapshotter
	})
	if !ok {
		t.Fatalf("%T does not implement store.Snapshotter", s)
	}
	return ss
}

// snapshotNow is the time the filled store's enrollment codes are checked
// at.
var snapshotNow = time.Date(2031, 5, 6, 12, 0, 0, 0, time.UTC)

// filled is what fillStore stored, for the checks that need to know it.
type filled struct {
	codes [][32]byte // every enrollment code: used, unused and expired
	subs  []store.Submission
	anns  []store.Annotation
	looks []store.Lookup
	forms []store.Form
}

// fillStore stores every kind of record: a roster past version 1, tokens
// (revoked, enrolled with a device), enrollment codes used, unused and
// expired, submissions inline and in the blob store, with and without a
// re-identification record, annotations inline and not, lookups whose
// leaves come between submissions' leaves, and forms in several versions.
func fillStore(t *testing.T, s store.Store) filled {
	t.Helper()
	ctx := context.Background()
	var f filled
	mustInit(t, s)
	if err := s.PutRoster(ctx, 3, []byte("roster v3")); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		tok := token(i, []store.Role{store.Admin, store.Reviewer, store.Custodian, store.Interviewer}[i])
		tok.Revoked = i == 1
		if err := s.AddToken(ctx, tok, hash(fmt.Sprint("secret ", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range []store.Enrollment{
		enrollment(store.Interviewer, "laptop 7", "device-7", snapshotNow.Add(time.Hour)), // used below
		enrollment(store.Interviewer, "laptop 8", "device-8", snapshotNow.Add(time.Hour)), // unused
		enrollment(store.Reviewer, "reviewer 9", "", snapshotNow.Add(-time.Hour)),         // expired
		enrollment(store.Custodian, "custodian 10", "", snapshotNow.Add(2*time.Hour)),     // used below
		enrollment(store.Reviewer, "reviewer 11", "", snapshotNow.Add(30*24*time.Hour)),   // unused
	} {
		code := hash(fmt.Sprint("code ", i))
		if err := s.AddEnrollment(ctx, code, e); err != nil {
			t.Fatal(err)
		}
		f.codes = append(f.codes, code)
	}
	enrolled := token(7, store.Interviewer)
	if _, err := s.Enroll(ctx, f.codes[0], snapshotNow, enrolled, hash("secret 7")); err != nil {
		t.Fatal(err)
	}
	custodian := token(10, store.Custodian)
	custodian.Device, custodian.DevicePub = "", ""
	if _, err := s.Enroll(ctx, f.codes[3], snapshotNow, custodian, hash("secret 10")); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		sub := submission(i, i%3 == 0)
		if i%2 == 0 {
			sub.Body = bytes.Repeat([]byte{byte(i)}, int(sub.Size))
		}
		stored, _, err := s.AddSubmission(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		f.subs = append(f.subs, stored)
		if i%4 == 1 {
			l, _, err := s.AddLookup(ctx, lookup(len(f.looks), f.subs[i/2].ID))
			if err != nil {
				t.Fatal(err)
			}
			f.looks = append(f.looks, l)
		}
		if i%3 == 2 {
			a, _, err := s.AddAnnotation(ctx, annotation(len(f.anns), len(f.anns)%2 == 0))
			if err != nil {
				t.Fatal(err)
			}
			f.anns = append(f.anns, a)
		}
	}
	for _, fm := range []store.Form{form("household", 2, 0), form("a", 9, 0), form("household", 10, 0), form("a.b", 1, 0)} {
		if _, _, err := s.PutForm(ctx, fm); err != nil {
			t.Fatal(err)
		}
		f.forms = append(f.forms, fm)
	}
	return f
}

// snapshotOf returns a store's whole snapshot.
func snapshotOf(t *testing.T, s store.Snapshotter) []store.Record {
	t.Helper()
	var recs []store.Record
	if err := s.Snapshot(context.Background(), func(r store.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return recs
}

// from returns a next function that yields recs.
func from(recs []store.Record) func() (store.Record, bool, error) {
	i := 0
	return func() (store.Record, bool, error) {
		if i == len(recs) {
			return store.Record{}, false, nil
		}
		i++
		return recs[i-1], true, nil
	}
}

// checkSnapshotOrder checks the order the contract gives: one config,
// tokens by ID, codes by hash, leaves by index from 0, then submissions,
// annotations and lookups by Seq, then forms by ID and version.
func checkSnapshotOrder(t *testing.T, recs []store.Record) {
	t.Helper()
	kind := func(r store.Record) int {
		switch {
		case r.Config != nil:
			return 0
		case r.Token != nil:
			return 1
		case r.Enrollment != nil:
			return 2
		case r.Leaf != nil:
			return 3
		case r.Submission != nil:
			return 4
		case r.Annotation != nil:
			return 5
		case r.Lookup != nil:
			return 6
		case r.Form != nil:
			return 7
		}
		return -1
	}
	if len(recs) == 0 || recs[0].Config == nil {
		t.Fatal("a snapshot does not start with its config record")
	}
	var leaves int64
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1], recs[i]
		ka, kb := kind(a), kind(b)
		if kb <= 0 || kb < ka {
			t.Fatalf("record %d (kind %d) after kind %d: out of order", i, kb, ka)
		}
		if kb == 3 {
			if b.Leaf.Index != leaves {
				t.Fatalf("leaf %d where %d comes next", b.Leaf.Index, leaves)
			}
			leaves++
		}
		if ka != kb {
			continue
		}
		switch kb {
		case 1:
			if a.Token.Token.ID >= b.Token.Token.ID {
				t.Errorf("tokens not by ID: %s then %s", a.Token.Token.ID, b.Token.Token.ID)
			}
		case 2:
			if bytes.Compare(a.Enrollment.CodeHash[:], b.Enrollment.CodeHash[:]) >= 0 {
				t.Errorf("enrollment codes not by hash")
			}
		case 4:
			if a.Submission.Seq >= b.Submission.Seq {
				t.Errorf("submissions not by Seq")
			}
		case 5:
			if a.Annotation.Seq >= b.Annotation.Seq {
				t.Errorf("annotations not by Seq")
			}
		case 6:
			if a.Lookup.Seq >= b.Lookup.Seq {
				t.Errorf("lookups not by Seq")
			}
		case 7:
			if a.Form.ID > b.Form.ID || a.Form.ID == b.Form.ID && a.Form.Version >= b.Form.Version {
				t.Errorf("forms not by ID and version: %s@%d then %s@%d", a.Form.ID, a.Form.Version, b.Form.ID, b.Form.Version)
			}
		}
	}
}

// sameAnswers checks that two stores answer every method alike.
func sameAnswers(t *testing.T, want, got store.Store, f filled) {
	t.Helper()
	ctx := context.Background()
	eq := func(what string, w, g any) {
		t.Helper()
		if !reflect.DeepEqual(w, g) {
			t.Errorf("%s differs:\n got %+v\nwant %+v", what, g, w)
		}
	}
	call := func(vals ...any) []any { return vals }
	errText := func(err error) string {
		switch {
		case err == nil:
			return ""
		case errors.Is(err, store.ErrNotFound):
			return "ErrNotFound"
		case errors.Is(err, store.ErrConflict):
			return "ErrConflict"
		}
		return "other error: " + err.Error()
	}
	pub1, err1 := want.AdminPub(ctx)
	pub2, err2 := got.AdminPub(ctx)
	eq("AdminPub", call(pub1, err1), call(pub2, err2))
	v1, r1, err1 := want.Roster(ctx)
	v2, r2, err2 := got.Roster(ctx)
	eq("Roster", call(v1, r1, err1), call(v2, r2, err2))
	ts1, err1 := want.Tokens(ctx)
	ts2, err2 := got.Tokens(ctx)
	eq("Tokens", call(ts1, err1), call(ts2, err2))
	for _, tok := range ts1 {
		a1, h1, err1 := want.Token(ctx, tok.ID)
		a2, h2, err2 := got.Token(ctx, tok.ID)
		eq("Token "+tok.ID, call(a1, h1, err1), call(a2, h2, err2))
	}
	for i, code := range f.codes {
		e1, err1 := want.Enrollment(ctx, code, snapshotNow)
		e2, err2 := got.Enrollment(ctx, code, snapshotNow)
		eq(fmt.Sprint("Enrollment of code ", i), call(e1.Role, e1.Label, e1.Device, e1.Expires.Unix(), errText(err1)),
			call(e2.Role, e2.Label, e2.Device, e2.Expires.Unix(), errText(err2)))
	}
	eq("Submissions", listAll(t, want, 5), listAll(t, got, 5))
	for _, sub := range f.subs {
		s1, err1 := want.Submission(ctx, sub.ID)
		s2, err2 := got.Submission(ctx, sub.ID)
		eq("Submission "+sub.ID, call(s1, err1), call(s2, err2))
		b1, ok1, err1 := want.SubmissionBody(ctx, sub.ID)
		b2, ok2, err2 := got.SubmissionBody(ctx, sub.ID)
		eq("SubmissionBody "+sub.ID, call(b1, ok1, err1), call(b2, ok2, err2))
	}
	eq("Annotations", listAllAnnotations(t, want, 2), listAllAnnotations(t, got, 2))
	for _, a := range f.anns {
		a1, err1 := want.Annotation(ctx, a.ID)
		a2, err2 := got.Annotation(ctx, a.ID)
		eq("Annotation "+a.ID, call(a1, err1), call(a2, err2))
		b1, ok1, err1 := want.AnnotationBody(ctx, a.ID)
		b2, ok2, err2 := got.AnnotationBody(ctx, a.ID)
		eq("AnnotationBody "+a.ID, call(b1, ok1, err1), call(b2, ok2, err2))
	}
	eq("Lookups", listAllLookups(t, want, 2), listAllLookups(t, got, 2))
	for _, l := range f.looks {
		l1, err1 := want.Lookup(ctx, l.ID)
		l2, err2 := got.Lookup(ctx, l.ID)
		eq("Lookup "+l.ID, call(l1, err1), call(l2, err2))
		b1, err1 := want.LookupBody(ctx, l.ID)
		b2, err2 := got.LookupBody(ctx, l.ID)
		eq("LookupBody "+l.ID, call(b1, err1), call(b2, err2))
	}
	fs1, err1 := want.Forms(ctx)
	fs2, err2 := got.Forms(ctx)
	eq("Forms", call(fs1, err1), call(fs2, err2))
	if len(fs1) != len(f.forms) {
		t.Errorf("the store has %d forms; want %d", len(fs1), len(f.forms))
	}
	for _, fm := range f.forms {
		b1, err1 := want.FormBody(ctx, fm.ID, fm.Version)
		b2, err2 := got.FormBody(ctx, fm.ID, fm.Version)
		eq(fmt.Sprintf("FormBody %s@%d", fm.ID, fm.Version), call(b1, err1), call(b2, err2))
		if !bytes.Equal(b1, fm.Body) {
			t.Errorf("FormBody %s@%d = %q; want %q", fm.ID, fm.Version, b1, fm.Body)
		}
	}
	n1, err1 := want.LogSize(ctx)
	n2, err2 := got.LogSize(ctx)
	eq("LogSize", call(n1, err1), call(n2, err2))
	for i := range n1 {
		l1, err1 := want.LogLeaf(ctx, i)
		l2, err2 := got.LogLeaf(ctx, i)
		eq(fmt.Sprint("LogLeaf ", i), call(l1, err1), call(l2, err2))
	}
	idx := make([]int64, tlog.StoredHashCount(n1))
	for i := range idx {
		idx[i] = int64(i)
	}
	h1, err1 := want.LogHashes(ctx, idx)
	h2, err2 := got.LogHashes(ctx, idx)
	eq("LogHashes", call(h1, err1), call(h2, err2))
}

// testSnapshotRoundTrip: a restored store answers every method as the
// original does, snapshots to the same records, refuses Init, and goes on
// after the highest Seq and the last leaf.
func testSnapshotRoundTrip(t *testing.T, open Open) {
	ctx := context.Background()
	src := openSnapshotter(t, open)
	f := fillStore(t, src)
	recs := snapshotOf(t, src)
	checkSnapshotOrder(t, recs)
	var inlineSubs, inlineAnns, lookupBodies int
	for _, r := range recs {
		switch {
		case r.Submission != nil && r.Submission.Body != nil:
			inlineSubs++
		case r.Annotation != nil && r.Annotation.Body != nil:
			inlineAnns++
		case r.Lookup != nil && r.Lookup.Body != nil:
			lookupBodies++
		}
	}
	if inlineSubs != 6 || inlineAnns != 2 || lookupBodies != len(f.looks) {
		t.Errorf("the snapshot has %d inline submission bodies, %d annotation bodies, %d lookup bodies; want 6, 2, %d", inlineSubs, inlineAnns, lookupBodies, len(f.looks))
	}
	for _, r := range recs {
		if r.Enrollment != nil && r.Enrollment.CodeHash == f.codes[0] && r.Enrollment.TokenID != token(7, store.Interviewer).ID {
			t.Errorf("the used code's record names token %q, not the one it made", r.Enrollment.TokenID)
		}
	}

	dst := openSnapshotter(t, open)
	if err := dst.Restore(ctx, from(recs)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameAnswers(t, src, dst, f)
	if again := snapshotOf(t, dst); !reflect.DeepEqual(again, recs) {
		t.Errorf("the restored store's snapshot differs from the one restored")
	}
	CheckLogEntries(t, dst, f.subs, f.looks)

	if err := dst.Init(ctx, adminPub, 1, []byte("roster v1")); !errors.Is(err, store.ErrAlreadyInitialized) {
		t.Errorf("Init of a restored store: %v; want ErrAlreadyInitialized", err)
	}
	if err := dst.Restore(ctx, from(recs)); !errors.Is(err, store.ErrAlreadyInitialized) {
		t.Errorf("Restore into a restored store: %v; want ErrAlreadyInitialized", err)
	}
	// Both go on alike from here.
	n := int64(len(f.subs) + len(f.looks))
	for _, s := range []store.Store{src, dst} {
		sub, created, err := s.AddSubmission(ctx, submission(100, true))
		if err != nil || !created || sub.Seq != f.subs[len(f.subs)-1].Seq+1 || sub.Leaf != n {
			t.Errorf("AddSubmission after restore = %+v, %v, %v; want Seq %d, Leaf %d", sub, created, err, f.subs[len(f.subs)-1].Seq+1, n)
		}
		if _, created, err := s.AddSubmission(ctx, f.subs[0]); err != nil || created {
			t.Errorf("AddSubmission of a restored one = %v, %v; want it found", created, err)
		}
		l, created, err := s.AddLookup(ctx, lookup(100, sub.ID))
		if err != nil || !created || l.Seq != f.looks[len(f.looks)-1].Seq+1 || l.Leaf != n+1 {
			t.Errorf("AddLookup after restore = %+v, %v, %v", l, created, err)
		}
		a, created, err := s.AddAnnotation(ctx, annotation(100, false))
		if err != nil || !created || a.Seq != f.anns[len(f.anns)-1].Seq+1 {
			t.Errorf("AddAnnotation after restore = %+v, %v, %v", a, created, err)
		}
		if _, err := s.Enroll(ctx, f.codes[0], snapshotNow, token(20, store.Interviewer), hash("x")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("Enroll with a code used before the snapshot: %v; want ErrConflict", err)
		}
		if _, err := s.Enroll(ctx, f.codes[1], snapshotNow, func() store.Token { tk := token(21, store.Interviewer); tk.Device = "device-8"; return tk }(), hash("y")); err != nil {
			t.Errorf("Enroll with a code unused at the snapshot: %v", err)
		}
	}
	sameAnswers(t, src, dst, f)
	CheckLogEntries(t, dst, append(slices.Clone(f.subs), must(dst.Submission(ctx, submission(100, true).ID))),
		append(slices.Clone(f.looks), must(dst.Lookup(ctx, lookup(100, "").ID))))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testSnapshotEmpty: an uninitialized store has no snapshot; an
// initialized one with nothing else restores to the same.
func testSnapshotEmpty(t *testing.T, open Open) {
	ctx := context.Background()
	s := openSnapshotter(t, open)
	if err := s.Snapshot(ctx, func(store.Record) error { return nil }); !errors.Is(err, store.ErrNotInitialized) {
		t.Errorf("Snapshot of an uninitialized store: %v; want ErrNotInitialized", err)
	}
	mustInit(t, s)
	recs := snapshotOf(t, s)
	if len(recs) != 1 || recs[0].Config == nil || recs[0].Config.AdminPub != adminPub || string(recs[0].Config.Roster) != "roster v1" {
		t.Fatalf("snapshot of a store with nothing but its config = %+v", recs)
	}
	dst := openSnapshotter(t, open)
	if err := dst.Restore(ctx, from(recs)); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	sameAnswers(t, s, dst, filled{})
	if err := openSnapshotter(t, open).Restore(ctx, from(nil)); err == nil {
		t.Error("Restore of a snapshot without a config record succeeded")
	}
}

// testSnapshotEmitError: Snapshot stops at emit's first error and returns
// it, and at a cancelled context.
func testSnapshotEmitError(t *testing.T, open Open) {
	s := openSnapshotter(t, open)
	fillStore(t, s)
	errStop := errors.New("disk full")
	n := 0
	err := s.Snapshot(context.Background(), func(store.Record) error {
		n++
		if n == 8 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || n != 8 {
		t.Errorf("Snapshot with emit failing at record 8: %v after %d records; want the error after 8", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = s.Snapshot(ctx, func(store.Record) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if err == nil {
		t.Error("Snapshot went on after its context was cancelled")
	}
}

// testSnapshotConcurrent: a snapshot taken while submissions, lookups and
// annotations keep arriving is one state: it restores (so every leaf has
// its row and the other way round) and the restored log is a prefix of the
// source's.
func testSnapshotConcurrent(t *testing.T, open Open) {
	ctx := context.Background()
	src := openSnapshotter(t, open)
	fillStore(t, src)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				n := 1000 + w*100000 + i
				sub, _, err := src.AddSubmission(ctx, submission(n, n%2 == 0))
				if err != nil {
					t.Error(err)
					return
				}
				if i%3 == 0 {
					if _, _, err := src.AddLookup(ctx, lookup(n, sub.ID)); err != nil {
						t.Error(err)
						return
					}
				}
				if i%5 == 0 {
					if _, _, err := src.AddAnnotation(ctx, annotation(n, false)); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	// Let writes start, then snapshot slowly while they go on.
	time.Sleep(20 * time.Millisecond)
	var recs []store.Record
	err := src.Snapshot(ctx, func(r store.Record) error {
		recs = append(recs, r)
		if len(recs)%10 == 0 {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	stop.Store(true)
	wg.Wait()
	checkSnapshotOrder(t, recs)
	dst := openSnapshotter(t, open)
	if err := dst.Restore(ctx, from(recs)); err != nil {
		t.Fatalf("Restore of a snapshot taken during writes: %v", err)
	}
	n, err := dst.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	full, err := src.LogSize(ctx)
	if err != nil || full <= n {
		t.Logf("the writes all committed before the snapshot began (source %d leaves, snapshot %d)", full, n)
	}
	for i := range n {
		a, _ := src.LogLeaf(ctx, i)
		b, _ := dst.LogLeaf(ctx, i)
		if !bytes.Equal(a, b) {
			t.Fatalf("leaf %d of the restored log differs from the source's", i)
		}
	}
	srcRoot, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return src.LogHashes(ctx, idx) }))
	if err != nil {
		t.Fatal(err)
	}
	dstRoot, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return dst.LogHashes(ctx, idx) }))
	if err != nil || dstRoot != srcRoot {
		t.Errorf("the restored tree of %d leaves has root %v (%v), the source's %v", n, dstRoot, err, srcRoot)
	}
}

// cloneRecords copies records deeply enough that a test can change one.
func cloneRecords(recs []store.Record) []store.Record {
	out := make([]store.Record, len(recs))
	for i, r := range recs {
		switch {
		case r.Config != nil:
			c := *r.Config
			r.Config = &c
		case r.Token != nil:
			c := *r.Token
			r.Token = &c
		case r.Enrollment != nil:
			c := *r.Enrollment
			r.Enrollment = &c
		case r.Leaf != nil:
			c := *r.Leaf
			c.Data = slices.Clone(c.Data)
			r.Leaf = &c
		case r.Submission != nil:
			c := *r.Submission
			r.Submission = &c
		case r.Annotation != nil:
			c := *r.Annotation
			r.Annotation = &c
		case r.Lookup != nil:
			c := *r.Lookup
			r.Lookup = &c
		case r.Form != nil:
			c := *r.Form
			r.Form = &c
		}
		out[i] = r
	}
	return out
}

// testRestoreRefusals: each broken snapshot is refused, and the store is
// left uninitialized: a good snapshot restores into it afterwards.
func testRestoreRefusals(t *testing.T, open Open) {
	ctx := context.Background()
	src := openSnapshotter(t, open)
	f := fillStore(t, src)
	good := snapshotOf(t, src)
	first := func(kind func(store.Record) bool) int {
		for i, r := range good {
			if kind(r) {
				return i
			}
		}
		t.Fatal("no such record")
		return -1
	}
	isLeaf := func(r store.Record) bool { return r.Leaf != nil }
	isSub := func(r store.Record) bool { return r.Submission != nil }
	isLookup := func(r store.Record) bool { return r.Lookup != nil }
	isAnn := func(r store.Record) bool { return r.Annotation != nil }
	isForm := func(r store.Record) bool { return r.Form != nil }
	lastLeaf := first(isSub) - 1
	errNext := errors.New("the backup file is cut short")

	for _, tc := range []struct {
		name   string
		change func(recs []store.Record) []store.Record
		next   func(recs []store.Record) func() (store.Record, bool, error)
		want   error // the error Restore must wrap, if a particular one
	}{
		{name: "gap in the leaves", change: func(recs []store.Record) []store.Record {
			i := first(isLeaf) + 3
			return slices.Delete(recs, i, i+1)
		}},
		{name: "leaves out of order", change: func(recs []store.Record) []store.Record {
			i := first(isLeaf) + 2
			recs[i], recs[i+1] = recs[i+1], recs[i]
			return recs
		}},
		{name: "last leaf missing (a submission points past the end)", change: func(recs []store.Record) []store.Record {
			return slices.Delete(recs, lastLeaf, lastLeaf+1)
		}},
		{name: "submission pointing at a missing leaf", change: func(recs []store.Record) []store.Record {
			recs[first(isSub)].Submission.Leaf = 1000
			return recs
		}},
		{name: "submission pointing at another's leaf", change: func(recs []store.Record) []store.Record {
			i := first(isSub)
			recs[i].Submission.Leaf, recs[i+1].Submission.Leaf = recs[i+1].Submission.Leaf, recs[i].Submission.Leaf
			return recs
		}},
		{name: "submission changed after its leaf", change: func(recs []store.Record) []store.Record {
			recs[first(isSub)+1].Submission.Digest = hash("another file")
			return recs
		}},
		{name: "lookup pointing at a missing leaf", change: func(recs []store.Record) []store.Record {
			recs[first(isLookup)].Lookup.Leaf = -1
			return recs
		}},
		{name: "lookup of a missing submission", change: func(recs []store.Record) []store.Record {
			i := first(isLookup)
			recs[i].Lookup.Submission = submission(999, false).ID
			return recs
		}},
		{name: "leaf that no row records", change: func(recs []store.Record) []store.Record {
			i := first(isLookup)
			return slices.Delete(recs, i, i+1)
		}},
		{name: "leaf that is not a leaf", change: func(recs []store.Record) []store.Record {
			recs[lastLeaf].Leaf.Data = []byte("not a leaf\n")
			return recs
		}},
		{name: "submission Seq repeated", change: func(recs []store.Record) []store.Record {
			i := first(isSub)
			recs[i+1].Submission.Seq = recs[i].Submission.Seq
			return recs
		}},
		{name: "inline body of the wrong size", change: func(recs []store.Record) []store.Record {
			i := first(isSub) // submission 0 is inline
			recs[i].Submission.Body = recs[i].Submission.Body[1:]
			return recs
		}},
		{name: "bad submission ID", change: func(recs []store.Record) []store.Record {
			recs[first(isSub)].Submission.ID = "../../etc/passwd"
			return recs
		}},
		{name: "bad annotation day", change: func(recs []store.Record) []store.Record {
			recs[first(isAnn)].Annotation.Day = "2031-02-30"
			return recs
		}},
		{name: "records out of order", change: func(recs []store.Record) []store.Record {
			i := first(isAnn)
			return append(recs, recs[i])
		}},
		{name: "forms out of order", change: func(recs []store.Record) []store.Record {
			i := first(isForm)
			recs[i], recs[i+1] = recs[i+1], recs[i]
			return recs
		}},
		{name: "a form's version repeated", change: func(recs []store.Record) []store.Record {
			i := first(isForm)
			return slices.Insert(recs, i+1, recs[i])
		}},
		{name: "form without a body", change: func(recs []store.Record) []store.Record {
			recs[first(isForm)].Form.Body = nil
			return recs
		}},
		{name: "form with a bad ID", change: func(recs []store.Record) []store.Record {
			recs[first(isForm)].Form.ID = "../a"
			return recs
		}},
		{name: "form before lookups", change: func(recs []store.Record) []store.Record {
			i := first(isForm)
			fr := recs[i]
			recs = slices.Delete(recs, i, i+1)
			return slices.Insert(recs, first(isLookup), fr)
		}},
		{name: "no config first", change: func(recs []store.Record) []store.Record {
			return recs[1:]
		}},
		{name: "two records in one", change: func(recs []store.Record) []store.Record {
			recs[1].Leaf = recs[first(isLeaf)].Leaf
			return recs
		}},
		{name: "enrollment naming a missing token", change: func(recs []store.Record) []store.Record {
			for _, r := range recs {
				if r.Enrollment != nil && r.Enrollment.TokenID != "" {
					r.Enrollment.TokenID = "ffffffffffffffff"
				}
			}
			return recs
		}},
		{name: "error from next midway", want: errNext, next: func(recs []store.Record) func() (store.Record, bool, error) {
			n := from(recs)
			i := 0
			return func() (store.Record, bool, error) {
				if i++; i == first(isAnn) {
					return store.Record{}, false, errNext
				}
				return n()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := openSnapshotter(t, open)
			recs := cloneRecords(good)
			if tc.change != nil {
				recs = tc.change(recs)
			}
			next := from(recs)
			if tc.next != nil {
				next = tc.next(recs)
			}
			err := dst.Restore(ctx, next)
			if err == nil {
				t.Fatal("Restore succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Restore: %v; want it to wrap %v", err, tc.want)
			}
			t.Logf("refused: %v", err)
			checkUninitialized(t, dst)
			if err := dst.Restore(ctx, from(good)); err != nil {
				t.Fatalf("Restore of the good snapshot after a refused one: %v", err)
			}
			sameAnswers(t, src, dst, f)
		})
	}

	t.Run("into an initialized store", func(t *testing.T) {
		dst := openSnapshotter(t, open)
		mustInit(t, dst)
		if err := dst.Restore(ctx, from(good)); !errors.Is(err, store.ErrAlreadyInitialized) {
			t.Errorf("Restore into an initialized store: %v; want ErrAlreadyInitialized", err)
		}
		if n, err := dst.LogSize(ctx); err != nil || n != 0 {
			t.Errorf("after a refused Restore, LogSize = %d, %v", n, err)
		}
	})
	t.Run("into a store that has tokens", func(t *testing.T) {
		dst := openSnapshotter(t, open)
		if err := dst.AddToken(ctx, token(50, store.Admin), hash("s")); err != nil {
			t.Fatal(err)
		}
		if err := dst.Restore(ctx, from(good)); !errors.Is(err, store.ErrAlreadyInitialized) {
			t.Errorf("Restore into a store holding a token: %v; want ErrAlreadyInitialized", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		dst := openSnapshotter(t, open)
		cctx, cancel := context.WithCancel(ctx)
		n := from(good)
		i := 0
		err := dst.Restore(cctx, func() (store.Record, bool, error) {
			if i++; i == 5 {
				cancel()
			}
			return n()
		})
		if err == nil {
			t.Fatal("Restore went on after its context was cancelled")
		}
		checkUninitialized(t, dst)
	})
}

// checkUninitialized checks that a store holds nothing at all.
func checkUninitialized(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.AdminPub(ctx); !errors.Is(err, store.ErrNotInitialized) {
		t.Errorf("after a refused Restore, AdminPub: %v; want ErrNotInitialized", err)
	}
	if n, err := s.LogSize(ctx); err != nil || n != 0 {
		t.Errorf("after a refused Restore, LogSize = %d, %v; want 0", n, err)
	}
	if ts, err := s.Tokens(ctx); err != nil || len(ts) != 0 {
		t.Errorf("after a refused Restore, Tokens = %d, %v; want none", len(ts), err)
	}
	if subs, err := s.Submissions(ctx, 0, 10); err != nil || len(subs) != 0 {
		t.Errorf("after a refused Restore, Submissions = %d, %v; want none", len(subs), err)
	}
	if _, err := s.LogHashes(ctx, []int64{0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a refused Restore, LogHashes(0): %v; want ErrNotFound", err)
	}
}
