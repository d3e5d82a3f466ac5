package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"testimony/internal/store"
)

// annotation returns an annotation whose ID and digest follow from n, with
// its body inline or (as for a file the blob store holds) without.
func annotation(n int, inline bool) store.Annotation {
	a := store.Annotation{
		ID:     fmt.Sprintf("%032x", 0xc0000000+n),
		Digest: hash(fmt.Sprint("annotation ", n)),
		Size:   int64(200 + n),
		Author: fmt.Sprintf("reviewer %d", n%3),
		Day:    "2031-05-06",
	}
	if inline {
		a.Body = bytes.Repeat([]byte{byte(n)}, int(a.Size))
	}
	return a
}

// lookup returns a lookup of submission sub whose ID, digest and body follow
// from n.
func lookup(n int, sub string) store.Lookup {
	body := fmt.Appendf(nil, "sealed reason %d", n)
	return store.Lookup{
		ID:         fmt.Sprintf("%032x", 0xd0000000+n),
		Submission: sub,
		Digest:     hash(string(body)),
		Size:       int64(len(body)),
		Custodian:  token(n%2, store.Custodian).ID,
		Day:        "2031-05-06",
		Body:       body,
	}
}

// sameAnnotation and sameLookup compare records, Body included.
func sameAnnotation(a, b store.Annotation) bool { return reflect.DeepEqual(a, b) }
func sameLookup(a, b store.Lookup) bool         { return reflect.DeepEqual(a, b) }

// listAllAnnotations pages through every annotation, limit at a time,
// checking that the pages are ordered, no longer than limit and bodiless.
func listAllAnnotations(t *testing.T, s store.Store, limit int) []store.Annotation {
	t.Helper()
	return listAllOf(t, "Annotations", limit, s.Annotations, func(a store.Annotation) (int64, bool) { return a.Seq, a.Body == nil })
}

// listAllLookups pages through every lookup, as listAllAnnotations does.
func listAllLookups(t *testing.T, s store.Store, limit int) []store.Lookup {
	t.Helper()
	return listAllOf(t, "Lookups", limit, s.Lookups, func(l store.Lookup) (int64, bool) { return l.Seq, l.Body == nil })
}

func listAllOf[T any](t *testing.T, name string, limit int, list func(context.Context, int64, int) ([]T, error), seqOf func(T) (int64, bool)) []T {
	t.Helper()
	var all []T
	after := int64(0)
	for {
		page, err := list(context.Background(), after, limit)
		if err != nil {
			t.Fatalf("%s(%d, %d): %v", name, after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("%s(%d, %d) returned %d", name, after, limit, len(page))
		}
		if len(page) == 0 {
			return all
		}
		for _, e := range page {
			seq, bodiless := seqOf(e)
			if seq <= after {
				t.Fatalf("%s(%d, %d): Seq %d out of order", name, after, limit, seq)
			}
			if !bodiless {
				t.Fatalf("%s(%d, %d): Seq %d listed with its body", name, after, limit, seq)
			}
			after = seq
		}
		all = append(all, page...)
	}
}

// testAnnotations: annotations are stored and returned as given, bodies
// inline or not; a repeat returns the original, another digest is a
// conflict; none of it touches the log.
func testAnnotations(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Annotation(ctx, annotation(0, true).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Annotation of an unknown ID: %v; want ErrNotFound", err)
	}
	if _, _, err := s.AnnotationBody(ctx, annotation(0, true).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AnnotationBody of an unknown ID: %v; want ErrNotFound", err)
	}
	if as, err := s.Annotations(ctx, 0, 10); err != nil || len(as) != 0 {
		t.Errorf("Annotations of an empty store = %v, %v", as, err)
	}
	// A submission first: annotations number on their own.
	if _, _, err := s.AddSubmission(ctx, submission(0, false)); err != nil {
		t.Fatal(err)
	}
	var stored []store.Annotation
	for i := range 5 {
		in := annotation(i, i%2 == 0)
		got, created, err := s.AddAnnotation(ctx, in)
		if err != nil || !created {
			t.Fatalf("AddAnnotation %d = %v, %v", i, created, err)
		}
		want := in
		want.Seq, want.Body = int64(i+1), nil
		if !sameAnnotation(got, want) {
			t.Errorf("AddAnnotation = %+v; want %+v", got, want)
		}
		if a, err := s.Annotation(ctx, in.ID); err != nil || !sameAnnotation(a, want) {
			t.Errorf("Annotation(%s) = %+v, %v; want %+v", in.ID, a, err, want)
		}
		body, ok, err := s.AnnotationBody(ctx, in.ID)
		if err != nil || ok != (in.Body != nil) || !bytes.Equal(body, in.Body) {
			t.Errorf("AnnotationBody(%s) = %d bytes, %v, %v; want %d bytes, %v", in.ID, len(body), ok, err, len(in.Body), in.Body != nil)
		}
		stored = append(stored, got)
	}
	// The same ID and digest again: the original, whoever sends it.
	for i, orig := range stored {
		again := annotation(i, i%2 == 0)
		again.Author, again.Day = "another reviewer", "2031-05-07"
		got, created, err := s.AddAnnotation(ctx, again)
		if err != nil || created || !sameAnnotation(got, orig) {
			t.Errorf("AddAnnotation again = %+v, %v, %v; want %+v, false", got, created, err, orig)
		}
	}
	// Another digest under a stored ID: a conflict, nothing changes.
	other := annotation(2, true)
	other.Digest = hash("other")
	if _, _, err := s.AddAnnotation(ctx, other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddAnnotation with another digest: %v; want ErrConflict", err)
	}
	if body, _, err := s.AnnotationBody(ctx, other.ID); err != nil || !bytes.Equal(body, annotation(2, true).Body) {
		t.Errorf("after a conflict, AnnotationBody = %d bytes, %v", len(body), err)
	}
	// An inline body must be the file.
	wrong := annotation(9, false)
	wrong.Body = []byte("shorter than Size")
	if _, _, err := s.AddAnnotation(ctx, wrong); err == nil {
		t.Error("AddAnnotation accepted a body whose length is not Size")
	}
	if got := listAllAnnotations(t, s, 100); !slices.EqualFunc(got, stored, sameAnnotation) {
		t.Errorf("Annotations =\n%v\nwant\n%v", got, stored)
	}
	// Annotations are not in the log.
	if n, err := s.LogSize(ctx); err != nil || n != 1 {
		t.Errorf("LogSize after annotations = %d, %v; want 1 (the submission only)", n, err)
	}
}

func testAnnotationPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []store.Annotation
	for i := range 25 {
		a, _, err := s.AddAnnotation(ctx, annotation(i, i%3 == 0))
		if err != nil {
			t.Fatalf("AddAnnotation: %v", err)
		}
		want = append(want, a)
	}
	for _, limit := range []int{1, 7, 25, 26, 1000} {
		if got := listAllAnnotations(t, s, limit); !slices.EqualFunc(got, want, sameAnnotation) {
			t.Errorf("paging by %d =\n%v\nwant\n%v", limit, got, want)
		}
	}
	got, err := s.Annotations(ctx, want[9].Seq, 5)
	if err != nil || !slices.EqualFunc(got, want[10:15], sameAnnotation) {
		t.Errorf("Annotations(%d, 5) = %v, %v; want %v", want[9].Seq, got, err, want[10:15])
	}
	got, err = s.Annotations(ctx, want[24].Seq, 5)
	if err != nil || len(got) != 0 {
		t.Errorf("Annotations after the last = %v, %v; want none", got, err)
	}
}

func testAnnotationSameIDConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 50
	res := make([]store.Annotation, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := annotation(1, i%2 == 0) // inline or not must not matter
			a.Author = fmt.Sprintf("reviewer %d", i)
			res[i], created[i], errs[i] = s.AddAnnotation(ctx, a)
		})
	}
	wg.Wait()
	count := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("AddAnnotation %d: %v", i, errs[i])
		}
		if created[i] {
			count++
		}
		if !sameAnnotation(res[i], res[0]) {
			t.Errorf("AddAnnotation %d = %+v; call 0 got %+v", i, res[i], res[0])
		}
	}
	if count != 1 || res[0].Seq != 1 {
		t.Errorf("%d of %d concurrent AddAnnotation calls created it, Seq %d; want 1, Seq 1", count, n, res[0].Seq)
	}
}

// testLookups: a lookup needs its submission, appends exactly one leaf,
// and comes back as given; a repeat appends nothing.
func testLookups(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Lookup(ctx, lookup(0, "").ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Lookup of an unknown ID: %v; want ErrNotFound", err)
	}
	if _, err := s.LookupBody(ctx, lookup(0, "").ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LookupBody of an unknown ID: %v; want ErrNotFound", err)
	}
	// A lookup of a submission the store does not hold: nothing stored,
	// nothing appended.
	if _, _, err := s.AddLookup(ctx, lookup(0, submission(0, false).ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddLookup of an unknown submission: %v; want ErrNotFound", err)
	}
	if n, err := s.LogSize(ctx); err != nil || n != 0 {
		t.Errorf("LogSize after a refused lookup = %d, %v; want 0", n, err)
	}
	var subs []store.Submission
	for i := range 2 {
		sub, _, err := s.AddSubmission(ctx, submission(i, true))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	in := lookup(0, subs[1].ID)
	got, created, err := s.AddLookup(ctx, in)
	if err != nil || !created {
		t.Fatalf("AddLookup = %v, %v", created, err)
	}
	want := in
	want.Seq, want.Leaf, want.Body = 1, 2, nil
	if !sameLookup(got, want) {
		t.Errorf("AddLookup = %+v; want %+v", got, want)
	}
	if l, err := s.Lookup(ctx, in.ID); err != nil || !sameLookup(l, want) {
		t.Errorf("Lookup = %+v, %v; want %+v", l, err, want)
	}
	if body, err := s.LookupBody(ctx, in.ID); err != nil || !bytes.Equal(body, in.Body) {
		t.Errorf("LookupBody = %q, %v; want %q", body, err, in.Body)
	}
	CheckLogEntries(t, s, subs, []store.Lookup{got})
	// A repeat: the original, no new leaf.
	again, created, err := s.AddLookup(ctx, in)
	if err != nil || created || !sameLookup(again, want) {
		t.Errorf("AddLookup again = %+v, %v, %v; want %+v, false", again, created, err, want)
	}
	// A second lookup of the same submission is a record of its own.
	second, created, err := s.AddLookup(ctx, lookup(1, subs[1].ID))
	if err != nil || !created || second.Seq != 2 || second.Leaf != 3 {
		t.Errorf("a second lookup = %+v, %v, %v; want Seq 2, Leaf 3", second, created, err)
	}
	// A submission after the lookups takes the next leaf.
	sub, _, err := s.AddSubmission(ctx, submission(2, false))
	if err != nil || sub.Leaf != 4 {
		t.Errorf("AddSubmission after lookups = %+v, %v; want Leaf 4", sub, err)
	}
	CheckLogEntries(t, s, append(subs, sub), []store.Lookup{got, second})
	// A lookup must carry its sealed reason.
	bodiless := lookup(2, subs[0].ID)
	bodiless.Body = nil
	if _, _, err := s.AddLookup(ctx, bodiless); err == nil {
		t.Error("AddLookup accepted a lookup without its body")
	}
	short := lookup(3, subs[0].ID)
	short.Body = short.Body[1:]
	if _, _, err := s.AddLookup(ctx, short); err == nil {
		t.Error("AddLookup accepted a body whose length is not Size")
	}
	if got := listAllLookups(t, s, 10); len(got) != 2 {
		t.Errorf("Lookups = %v; want the two stored", got)
	}
}

// testLookupConflicts: another digest, submission or custodian under a
// stored lookup ID is a conflict that stores and appends nothing.
func testLookupConflicts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var subs []store.Submission
	for i := range 2 {
		sub, _, err := s.AddSubmission(ctx, submission(i, true))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	orig, _, err := s.AddLookup(ctx, lookup(0, subs[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	otherDigest := lookup(0, subs[0].ID)
	otherDigest.Body = []byte("another sealed reason")
	otherDigest.Digest, otherDigest.Size = hash(string(otherDigest.Body)), int64(len(otherDigest.Body))
	otherSub := lookup(0, subs[1].ID)
	otherCustodian := lookup(0, subs[0].ID)
	otherCustodian.Custodian = token(7, store.Custodian).ID
	for _, c := range []struct {
		name string
		in   store.Lookup
	}{
		{"other digest", otherDigest},
		{"other submission", otherSub},
		{"other custodian", otherCustodian},
	} {
		if _, _, err := s.AddLookup(ctx, c.in); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddLookup with %s: %v; want ErrConflict", c.name, err)
		}
	}
	if body, err := s.LookupBody(ctx, orig.ID); err != nil || !bytes.Equal(body, lookup(0, subs[0].ID).Body) {
		t.Errorf("after conflicts, LookupBody = %q, %v", body, err)
	}
	CheckLogEntries(t, s, subs, []store.Lookup{orig})
}

func testLookupPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var subs []store.Submission
	var want []store.Lookup
	for i := range 25 {
		if i%3 == 0 {
			sub, _, err := s.AddSubmission(ctx, submission(i, true))
			if err != nil {
				t.Fatal(err)
			}
			subs = append(subs, sub)
		}
		l, _, err := s.AddLookup(ctx, lookup(i, subs[len(subs)-1].ID))
		if err != nil {
			t.Fatalf("AddLookup: %v", err)
		}
		want = append(want, l)
	}
	for _, limit := range []int{1, 7, 25, 26, 1000} {
		if got := listAllLookups(t, s, limit); !slices.EqualFunc(got, want, sameLookup) {
			t.Errorf("paging by %d =\n%v\nwant\n%v", limit, got, want)
		}
	}
	got, err := s.Lookups(ctx, want[9].Seq, 5)
	if err != nil || !slices.EqualFunc(got, want[10:15], sameLookup) {
		t.Errorf("Lookups(%d, 5) = %v, %v; want %v", want[9].Seq, got, err, want[10:15])
	}
	got, err = s.Lookups(ctx, want[24].Seq, 5)
	if err != nil || len(got) != 0 {
		t.Errorf("Lookups after the last = %v, %v; want none", got, err)
	}
	// Submissions are listed as before, lookups in between or not.
	if got := listAll(t, s, 4); !slices.EqualFunc(got, subs, sameSubmission) {
		t.Errorf("Submissions =\n%v\nwant\n%v", got, subs)
	}
	CheckLogEntries(t, s, subs, want)
}

// testLookupConcurrent adds submissions and lookups at once, each lookup
// sent several times: every new one gets one Seq and one leaf, no repeat
// gets any.
func testLookupConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	first, _, err := s.AddSubmission(ctx, submission(0, true))
	if err != nil {
		t.Fatal(err)
	}
	const n, repeats = 60, 3
	subs := make([]store.Submission, n)
	looks := make([]store.Lookup, n*repeats)
	created := make([]bool, n*repeats)
	errs := make([]error, n+n*repeats)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			subs[i], _, errs[i] = s.AddSubmission(ctx, submission(i+1, i%2 == 0))
		})
		for r := range repeats {
			wg.Go(func() {
				k := i*repeats + r
				looks[k], created[k], errs[n+k] = s.AddLookup(ctx, lookup(i, first.ID))
			})
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	var unique []store.Lookup
	for i := range n {
		c := 0
		for r := range repeats {
			k := i*repeats + r
			if created[k] {
				c++
				unique = append(unique, looks[k])
			}
			if !sameLookup(looks[k], looks[i*repeats]) {
				t.Errorf("lookup %d, call %d = %+v; call 0 got %+v", i, r, looks[k], looks[i*repeats])
			}
		}
		if c != 1 {
			t.Errorf("lookup %d was created by %d of %d calls; want 1", i, c, repeats)
		}
	}
	listed := listAllLookups(t, s, 16)
	if len(listed) != n {
		t.Fatalf("listed %d lookups; want %d", len(listed), n)
	}
	for i, l := range listed {
		if l.Seq != int64(i+1) {
			t.Errorf("lookup %d has Seq %d; want %d (no gaps)", i, l.Seq, i+1)
		}
	}
	CheckLogEntries(t, s, append(subs, first), unique)
}
