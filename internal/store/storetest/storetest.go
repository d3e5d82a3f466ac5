// Package storetest is the conformance suite for implementations of
// [store.Store]. Every backend's tests call [Run], and [RunDurability] when
// the backend can be closed and opened again on the same data:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(filepath.Join(t.TempDir(), "meta.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Every backend also calls [RunSnapshot], which checks [store.Snapshotter]:
// a snapshot restored into a fresh store answers alike, and broken
// snapshots are refused with nothing stored.
//
// The suite checks the contract written on [store.Store]: the sentinel
// errors, idempotent submissions, annotations, lookups and forms, forms'
// versions that only go up, single-use
// enrollment codes, ordering and paging, that the log holds exactly one leaf
// per submission and per lookup (and none for annotations), and that
// concurrent writes (run them with -race) neither lose nor duplicate
// anything. It cannot see durability after a power loss; backends test that
// with a crash test of their own.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/store"
)

// Open returns a new, empty store. The suite closes every store it opens;
// Close must therefore tolerate being called again by a cleanup of the
// backend's own.
type Open func(t *testing.T) store.Store

// Run runs the conformance suite. Each subtest opens its own store.
func Run(t *testing.T, open Open) {
	t.Run("Init", func(t *testing.T) { testInit(t, openClosed(t, open)) })
	t.Run("Roster", func(t *testing.T) { testRoster(t, openClosed(t, open)) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, openClosed(t, open)) })
	t.Run("Enroll", func(t *testing.T) { testEnroll(t, openClosed(t, open)) })
	t.Run("EnrollConcurrent", func(t *testing.T) { testEnrollConcurrent(t, openClosed(t, open)) })
	t.Run("Submissions", func(t *testing.T) { testSubmissions(t, openClosed(t, open)) })
	t.Run("SubmissionConflicts", func(t *testing.T) { testSubmissionConflicts(t, openClosed(t, open)) })
	t.Run("SubmissionInline", func(t *testing.T) { testInline(t, openClosed(t, open)) })
	t.Run("SubmissionPaging", func(t *testing.T) { testPaging(t, openClosed(t, open)) })
	t.Run("SubmissionSameIDConcurrent", func(t *testing.T) { testSameIDConcurrent(t, openClosed(t, open)) })
	t.Run("SubmissionSeqConcurrent", func(t *testing.T) { testSeqConcurrent(t, openClosed(t, open)) })
	t.Run("Log", func(t *testing.T) { testLog(t, openClosed(t, open)) })
	t.Run("Annotations", func(t *testing.T) { testAnnotations(t, openClosed(t, open)) })
	t.Run("AnnotationPaging", func(t *testing.T) { testAnnotationPaging(t, openClosed(t, open)) })
	t.Run("AnnotationSameIDConcurrent", func(t *testing.T) { testAnnotationSameIDConcurrent(t, openClosed(t, open)) })
	t.Run("Lookups", func(t *testing.T) { testLookups(t, openClosed(t, open)) })
	t.Run("LookupConflicts", func(t *testing.T) { testLookupConflicts(t, openClosed(t, open)) })
	t.Run("LookupPaging", func(t *testing.T) { testLookupPaging(t, openClosed(t, open)) })
	t.Run("LookupConcurrent", func(t *testing.T) { testLookupConcurrent(t, openClosed(t, open)) })
	t.Run("Forms", func(t *testing.T) { testForms(t, openClosed(t, open)) })
	t.Run("FormsConcurrent", func(t *testing.T) { testFormsConcurrent(t, openClosed(t, open)) })
}

// RunDurability stores one of everything in a store from open, closes it,
// and checks that the store from reopen (the same data, opened again) holds
// all of it and goes on from there: Seq continues, used codes stay used.
func RunDurability(t *testing.T, open, reopen Open) {
	ctx := context.Background()
	s := open(t)
	mustInit(t, s)
	if err := s.PutRoster(ctx, 2, []byte("roster v2")); err != nil {
		t.Fatal(err)
	}
	tok := token(1, store.Reviewer)
	tok.Revoked = true
	if err := s.AddToken(ctx, tok, hash("secret 1")); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 5, 6, 12, 0, 0, 0, time.UTC)
	if err := s.AddEnrollment(ctx, hash("used code"), enrollment(store.Interviewer, "laptop 7", "device-2", now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	fresh := enrollment(store.Interviewer, "laptop 8", "device-4", now.Add(time.Hour))
	if err := s.AddEnrollment(ctx, hash("fresh code"), fresh); err != nil {
		t.Fatal(err)
	}
	enrolled, err := s.Enroll(ctx, hash("used code"), now, token(2, store.Admin), hash("secret 2"))
	if err != nil {
		t.Fatal(err)
	}
	var subs []store.Submission
	for i := range 10 {
		sub, _, err := s.AddSubmission(ctx, submission(i, i%3 == 0))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	var anns []store.Annotation
	for i := range 3 {
		a, _, err := s.AddAnnotation(ctx, annotation(i, i != 1))
		if err != nil {
			t.Fatal(err)
		}
		anns = append(anns, a)
	}
	var looks []store.Lookup
	for i := range 2 {
		l, _, err := s.AddLookup(ctx, lookup(i, subs[i].ID))
		if err != nil {
			t.Fatal(err)
		}
		looks = append(looks, l)
	}
	for _, f := range []store.Form{form("household", 1, 0), form("household", 2, 0)} {
		if _, _, err := s.PutForm(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = reopen(t)
	defer s.Close()
	if pub, err := s.AdminPub(ctx); err != nil || pub != adminPub {
		t.Errorf("after reopening, AdminPub = %q, %v; want %q", pub, err, adminPub)
	}
	if v, r, err := s.Roster(ctx); err != nil || v != 2 || string(r) != "roster v2" {
		t.Errorf("after reopening, Roster = %d, %q, %v; want 2, %q", v, r, err, "roster v2")
	}
	checkToken(t, s, tok, hash("secret 1"))
	checkToken(t, s, enrolled, hash("secret 2"))
	if _, err := s.Enroll(ctx, hash("used code"), now, token(3, store.Admin), hash("secret 3")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("after reopening, Enroll with a used code: %v; want ErrConflict", err)
	}
	if e, err := s.Enrollment(ctx, hash("fresh code"), now); err != nil || !sameEnrollment(e, fresh) {
		t.Errorf("after reopening, Enrollment = %+v, %v; want %+v", e, err, fresh)
	}
	if _, err := s.Enroll(ctx, hash("fresh code"), now, token(4, store.Admin), hash("secret 4")); err != nil {
		t.Errorf("after reopening, Enroll with an unused code: %v", err)
	}
	if got := listAll(t, s, 3); !slices.EqualFunc(got, subs, sameSubmission) {
		t.Errorf("after reopening, Submissions =\n%v\nwant\n%v", got, subs)
	}
	again, created, err := s.AddSubmission(ctx, submission(0, true))
	if err != nil || created || !sameSubmission(again, subs[0]) {
		t.Errorf("after reopening, AddSubmission of a stored one = %v, %v, %v; want %v, false", again, created, err, subs[0])
	}
	next, created, err := s.AddSubmission(ctx, submission(10, false))
	if err != nil || !created || next.Seq != 11 || next.Leaf != 12 {
		t.Errorf("after reopening, AddSubmission of a new one = %v, %v, %v; want Seq 11, Leaf 12, created", next, created, err)
	}
	if got := listAllAnnotations(t, s, 2); !slices.EqualFunc(got, anns, sameAnnotation) {
		t.Errorf("after reopening, Annotations =\n%v\nwant\n%v", got, anns)
	}
	for i, a := range anns {
		body, ok, err := s.AnnotationBody(ctx, a.ID)
		if want := annotation(i, i != 1).Body; err != nil || ok != (want != nil) || !bytes.Equal(body, want) {
			t.Errorf("after reopening, AnnotationBody(%s) = %d bytes, %v, %v", a.ID, len(body), ok, err)
		}
	}
	if got := listAllLookups(t, s, 1); !slices.EqualFunc(got, looks, sameLookup) {
		t.Errorf("after reopening, Lookups =\n%v\nwant\n%v", got, looks)
	}
	if body, err := s.LookupBody(ctx, looks[1].ID); err != nil || !bytes.Equal(body, lookup(1, subs[1].ID).Body) {
		t.Errorf("after reopening, LookupBody = %q, %v", body, err)
	}
	nextA, created, err := s.AddAnnotation(ctx, annotation(3, true))
	if err != nil || !created || nextA.Seq != 4 {
		t.Errorf("after reopening, AddAnnotation of a new one = %v, %v, %v; want Seq 4, created", nextA, created, err)
	}
	nextL, created, err := s.AddLookup(ctx, lookup(2, next.ID))
	if err != nil || !created || nextL.Seq != 3 || nextL.Leaf != 13 {
		t.Errorf("after reopening, AddLookup of a new one = %v, %v, %v; want Seq 3, Leaf 13, created", nextL, created, err)
	}
	if fs, err := s.Forms(ctx); err != nil || !reflect.DeepEqual(fs, []store.Form{bodiless(form("household", 1, 0)), bodiless(form("household", 2, 0))}) {
		t.Errorf("after reopening, Forms = %+v, %v", fs, err)
	}
	if b, err := s.FormBody(ctx, "household", 2); err != nil || !bytes.Equal(b, form("household", 2, 0).Body) {
		t.Errorf("after reopening, FormBody = %q, %v", b, err)
	}
	if _, _, err := s.PutForm(ctx, form("household", 1, 1)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("after reopening, PutForm of another form under a stored version: %v; want ErrConflict", err)
	}
	CheckLogEntries(t, s, append(subs, next), append(looks, nextL))
}

// openClosed opens a store and closes it when the test ends.
func openClosed(t *testing.T, open Open) store.Store {
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

const adminPub = "testimony-verifier-admin-test"

func mustInit(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Init(context.Background(), adminPub, 1, []byte("roster v1")); err != nil {
		t.Fatalf("Init: %v", err)
	}
}

func hash(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// token returns a token with every field set; the ID follows from n.
func token(n int, role store.Role) store.Token {
	return store.Token{
		ID:        fmt.Sprintf("%016x", 0xa0000000+n),
		Role:      role,
		Label:     fmt.Sprintf("token %d", n),
		Device:    fmt.Sprintf("device-%d", n),
		DevicePub: fmt.Sprintf("testimony-verifier-device-%d", n),
		Created:   "2031-05-06",
	}
}

// submission returns a submission whose ID and digests follow from n.
func submission(n int, reid bool) store.Submission {
	s := store.Submission{
		ID:     fmt.Sprintf("%032x", 0xb0000000+n),
		Digest: hash(fmt.Sprint("sealed ", n)),
		Size:   int64(1000 + n),
		Device: "device-1",
		Day:    "2031-05-06",
	}
	if reid {
		s.HasReid, s.ReidDigest, s.ReidSize = true, hash(fmt.Sprint("reid ", n)), int64(100+n)
	}
	return s
}

func checkToken(t *testing.T, s store.Store, want store.Token, wantHash [32]byte) {
	t.Helper()
	got, h, err := s.Token(context.Background(), want.ID)
	if err != nil {
		t.Errorf("Token(%s): %v", want.ID, err)
		return
	}
	if got != want || h != wantHash {
		t.Errorf("Token(%s) = %+v, %x; want %+v, %x", want.ID, got, h, want, wantHash)
	}
}

// listAll pages through every submission, limit at a time, checking that
// the pages are ordered and no longer than limit.
func listAll(t *testing.T, s store.Store, limit int) []store.Submission {
	t.Helper()
	var all []store.Submission
	after := int64(0)
	for {
		page, err := s.Submissions(context.Background(), after, limit)
		if err != nil {
			t.Fatalf("Submissions(%d, %d): %v", after, limit, err)
		}
		if len(page) > limit {
			t.Fatalf("Submissions(%d, %d) returned %d", after, limit, len(page))
		}
		if len(page) == 0 {
			return all
		}
		for _, sub := range page {
			if sub.Seq <= after {
				t.Fatalf("Submissions(%d, %d): Seq %d out of order", after, limit, sub.Seq)
			}
			after = sub.Seq
		}
		all = append(all, page...)
	}
}

func testInit(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.AdminPub(ctx); !errors.Is(err, store.ErrNotInitialized) {
		t.Errorf("AdminPub before Init: %v; want ErrNotInitialized", err)
	}
	if _, _, err := s.Roster(ctx); !errors.Is(err, store.ErrNotInitialized) {
		t.Errorf("Roster before Init: %v; want ErrNotInitialized", err)
	}
	if err := s.PutRoster(ctx, 2, []byte("roster v2")); !errors.Is(err, store.ErrNotInitialized) {
		t.Errorf("PutRoster before Init: %v; want ErrNotInitialized", err)
	}
	mustInit(t, s)
	if err := s.Init(ctx, "another key", 5, []byte("roster v5")); !errors.Is(err, store.ErrAlreadyInitialized) {
		t.Errorf("second Init: %v; want ErrAlreadyInitialized", err)
	}
	if pub, err := s.AdminPub(ctx); err != nil || pub != adminPub {
		t.Errorf("AdminPub = %q, %v; want %q", pub, err, adminPub)
	}
	if v, r, err := s.Roster(ctx); err != nil || v != 1 || string(r) != "roster v1" {
		t.Errorf("Roster = %d, %q, %v; want 1, %q", v, r, err, "roster v1")
	}
}

func testRoster(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustInit(t, s)
	steps := []struct {
		version uint64
		roster  string
		err     error  // nil or the sentinel wanted
		want    uint64 // the version stored afterwards
	}{
		{2, "roster v2", nil, 2},
		{2, "another roster v2", store.ErrConflict, 2}, // same version: a replay
		{1, "roster v1", store.ErrConflict, 2},         // older: a rollback
		{10, "roster v10", nil, 10},                    // versions may skip
		{1 << 63, "roster v2^63", nil, 1 << 63},        // the whole uint64 range
		{1<<63 - 1, "roster below", store.ErrConflict, 1 << 63},
	}
	wantRoster := "roster v2"
	for _, st := range steps {
		err := s.PutRoster(ctx, st.version, []byte(st.roster))
		if st.err == nil && err != nil || st.err != nil && !errors.Is(err, st.err) {
			t.Errorf("PutRoster(%d): %v; want %v", st.version, err, st.err)
		}
		if err == nil {
			wantRoster = st.roster
		}
		v, r, err := s.Roster(ctx)
		if err != nil || v != st.want || string(r) != wantRoster {
			t.Errorf("after PutRoster(%d), Roster = %d, %q, %v; want %d, %q", st.version, v, r, err, st.want, wantRoster)
		}
	}
	if pub, err := s.AdminPub(ctx); err != nil || pub != adminPub {
		t.Errorf("AdminPub after PutRoster = %q, %v; want %q", pub, err, adminPub)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	if ts, err := s.Tokens(ctx); err != nil || len(ts) != 0 {
		t.Errorf("Tokens of an empty store = %v, %v", ts, err)
	}
	// Added out of order, listed by ID.
	var want []store.Token
	for _, n := range []int{3, 1, 4, 2} {
		tok := token(n, store.Role([]store.Role{store.Interviewer, store.Reviewer, store.Custodian, store.Admin}[n%4]))
		if n == 4 {
			tok.Device, tok.DevicePub = "", ""
		}
		if err := s.AddToken(ctx, tok, hash(tok.ID)); err != nil {
			t.Fatalf("AddToken(%s): %v", tok.ID, err)
		}
		want = append(want, tok)
	}
	slices.SortFunc(want, func(a, b store.Token) int { return strings.Compare(a.ID, b.ID) })
	for _, tok := range want {
		checkToken(t, s, tok, hash(tok.ID))
	}
	if _, _, err := s.Token(ctx, token(99, store.Admin).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Token of an unknown ID: %v; want ErrNotFound", err)
	}

	// A second token under an ID fails and leaves the first.
	dup := token(1, store.Admin)
	dup.Label = "impostor"
	if err := s.AddToken(ctx, dup, hash("other secret")); err == nil {
		t.Errorf("AddToken with a duplicate ID succeeded")
	}
	checkToken(t, s, token(1, store.Reviewer), hash(token(1, store.Reviewer).ID))

	if err := s.RevokeToken(ctx, want[1].ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	want[1].Revoked = true
	checkToken(t, s, want[1], hash(want[1].ID))
	if err := s.RevokeToken(ctx, token(99, store.Admin).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken of an unknown ID: %v; want ErrNotFound", err)
	}

	got, err := s.Tokens(ctx)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Tokens = %+v, %v; want %+v", got, err, want)
	}
}

// enrollment returns an enrollment code's fields.
func enrollment(role store.Role, label, device string, expires time.Time) store.Enrollment {
	return store.Enrollment{Role: role, Label: label, Device: device, Expires: expires}
}

// sameEnrollment compares enrollment codes, their expiries to the second.
func sameEnrollment(a, b store.Enrollment) bool {
	return a.Role == b.Role && a.Label == b.Label && a.Device == b.Device && a.Expires.Unix() == b.Expires.Unix()
}

func testEnroll(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2031, 5, 6, 12, 0, 0, 0, time.UTC)
	code, expired := hash("code"), hash("expired code")
	if err := s.AddEnrollment(ctx, code, enrollment(store.Interviewer, "laptop 7", "device-1", now.Add(15*time.Minute))); err != nil {
		t.Fatalf("AddEnrollment: %v", err)
	}
	if err := s.AddEnrollment(ctx, expired, enrollment(store.Interviewer, "laptop 8", "device-5", now.Add(15*time.Minute))); err != nil {
		t.Fatalf("AddEnrollment: %v", err)
	}
	if err := s.AddEnrollment(ctx, code, enrollment(store.Reviewer, "desk 1", "", now.Add(15*time.Minute))); !errors.Is(err, store.ErrConflict) {
		t.Errorf("AddEnrollment of a stored code: %v; want ErrConflict", err)
	}

	// Enrollment reads the code back, the expiry to the second.
	if e, err := s.Enrollment(ctx, code, now); err != nil || !sameEnrollment(e, enrollment(store.Interviewer, "laptop 7", "device-1", now.Add(15*time.Minute))) {
		t.Errorf("Enrollment = %+v, %v; want laptop 7 for device-1, expiring %v", e, err, now.Add(15*time.Minute))
	}

	// Role and label come from the code, not from the token passed in.
	in := token(1, store.Admin)
	in.Revoked = true
	got, err := s.Enroll(ctx, code, now, in, hash("secret"))
	if err != nil {
		t.Fatalf("Enroll: %v", err)
	}
	want := in
	want.Role, want.Label, want.Revoked = store.Interviewer, "laptop 7", false
	if got != want {
		t.Errorf("Enroll = %+v; want %+v", got, want)
	}
	checkToken(t, s, want, hash("secret"))

	if _, err := s.Enrollment(ctx, code, now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Enrollment of a used code: %v; want ErrConflict", err)
	}
	if _, err := s.Enroll(ctx, code, now, token(2, store.Admin), hash("secret 2")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second Enroll with a code: %v; want ErrConflict", err)
	}
	if _, err := s.Enrollment(ctx, expired, now.Add(15*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Enrollment of an expired code: %v; want ErrConflict", err)
	}
	if _, err := s.Enroll(ctx, expired, now.Add(15*time.Minute+time.Second), token(3, store.Admin), hash("secret 3")); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Enroll with an expired code: %v; want ErrConflict", err)
	}
	if _, err := s.Enrollment(ctx, hash("unknown"), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Enrollment of an unknown code: %v; want ErrNotFound", err)
	}
	if _, err := s.Enroll(ctx, hash("unknown"), now, token(4, store.Admin), hash("secret 4")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Enroll with an unknown code: %v; want ErrNotFound", err)
	}
	// A code made for device-5 makes no token for another device, nor
	// one without a device.
	for _, device := range []string{"device-1", ""} {
		other := token(6, store.Interviewer)
		other.Device = device
		if _, err := s.Enroll(ctx, expired, now, other, hash("secret 6")); !errors.Is(err, store.ErrWrongDevice) {
			t.Errorf("Enroll of device %q with a code for device-5: %v; want ErrWrongDevice", device, err)
		}
	}
	// The failed attempts stored no token.
	ts, err := s.Tokens(ctx)
	if err != nil || len(ts) != 1 || ts[0] != want {
		t.Errorf("Tokens after enrolling = %+v, %v; want only %+v", ts, err, want)
	}
	// The expired code is still there, unused: it fails as expired, not
	// as unknown, and it works before its expiry, for its own device.
	if _, err := s.Enroll(ctx, expired, now, token(5, store.Admin), hash("secret 5")); err != nil {
		t.Errorf("Enroll before expiry, after failed attempts: %v", err)
	}

	// A code without a device makes no device token.
	plain := hash("reviewer code")
	if err := s.AddEnrollment(ctx, plain, enrollment(store.Reviewer, "desk 1", "", now.Add(time.Hour))); err != nil {
		t.Fatalf("AddEnrollment: %v", err)
	}
	if _, err := s.Enroll(ctx, plain, now, token(7, store.Reviewer), hash("secret 7")); !errors.Is(err, store.ErrWrongDevice) {
		t.Errorf("Enroll of a device with a code for none: %v; want ErrWrongDevice", err)
	}
	// A token given without a role or label, as the server builds it:
	// both come from the code.
	r := token(8, store.Admin)
	r.Device, r.DevicePub, r.Role, r.Label = "", "", "", ""
	if got, err := s.Enroll(ctx, plain, now, r, hash("secret 8")); err != nil || got.Role != store.Reviewer || got.Label != "desk 1" || got.Device != "" {
		t.Errorf("Enroll with a code for no device = %+v, %v; want a reviewer token without a device", got, err)
	}
}

func testEnrollConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2031, 5, 6, 12, 0, 0, 0, time.UTC)
	code := hash("code")
	if err := s.AddEnrollment(ctx, code, enrollment(store.Interviewer, "laptop 1", "laptop-1", now.Add(time.Hour))); err != nil {
		t.Fatalf("AddEnrollment: %v", err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok := token(i, store.Admin)
			tok.Device = "laptop-1"
			_, errs[i] = s.Enroll(ctx, code, now, tok, hash(fmt.Sprint("secret ", i)))
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("Enroll %d: %v; want nil or ErrConflict", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent Enroll calls with one code succeeded; want 1", ok, n)
	}
	if ts, err := s.Tokens(ctx); err != nil || len(ts) != 1 {
		t.Errorf("Tokens after concurrent enrollment = %+v, %v; want one", ts, err)
	}
}

func testSubmissions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Submission(ctx, submission(0, false).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Submission of an unknown ID: %v; want ErrNotFound", err)
	}
	if subs, err := s.Submissions(ctx, 0, 10); err != nil || len(subs) != 0 {
		t.Errorf("Submissions of an empty store = %v, %v", subs, err)
	}
	var stored []store.Submission
	for i := range 5 {
		in := submission(i, i%2 == 1)
		got, created, err := s.AddSubmission(ctx, in)
		if err != nil || !created {
			t.Fatalf("AddSubmission %d = %v, %v", i, created, err)
		}
		in.Seq, in.Leaf = int64(i+1), int64(i)
		if !sameSubmission(got, in) {
			t.Errorf("AddSubmission = %+v; want %+v", got, in)
		}
		if sub, err := s.Submission(ctx, in.ID); err != nil || !sameSubmission(sub, in) {
			t.Errorf("Submission(%s) = %+v, %v; want %+v", in.ID, sub, err, in)
		}
		stored = append(stored, got)
	}

	// The same ID and digests again: the original, whatever else differs.
	for i, orig := range stored {
		again := submission(i, i%2 == 1)
		again.Day, again.Device = "2031-05-07", "device-2"
		got, created, err := s.AddSubmission(ctx, again)
		if err != nil || created || !sameSubmission(got, orig) {
			t.Errorf("AddSubmission again = %+v, %v, %v; want %+v, false", got, created, err, orig)
		}
	}
	if got := listAll(t, s, 100); !slices.EqualFunc(got, stored, sameSubmission) {
		t.Errorf("Submissions after repeats =\n%v\nwant\n%v", got, stored)
	}
}

func testSubmissionConflicts(t *testing.T, s store.Store) {
	ctx := context.Background()
	plain, withReid := submission(1, false), submission(2, true)
	for _, in := range []store.Submission{plain, withReid} {
		if _, _, err := s.AddSubmission(ctx, in); err != nil {
			t.Fatalf("AddSubmission: %v", err)
		}
	}
	otherDigest := plain
	otherDigest.Digest = hash("other")
	reidAdded := plain
	reidAdded.HasReid, reidAdded.ReidDigest, reidAdded.ReidSize = true, hash("reid"), 10
	reidDropped := withReid
	reidDropped.HasReid = false
	otherReid := withReid
	otherReid.ReidDigest = hash("other reid")
	for _, c := range []struct {
		name string
		in   store.Submission
	}{
		{"other digest", otherDigest},
		{"reid present, was absent", reidAdded},
		{"reid absent, was present", reidDropped},
		{"other reid digest", otherReid},
	} {
		if _, _, err := s.AddSubmission(ctx, c.in); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AddSubmission with %s: %v; want ErrConflict", c.name, err)
		}
	}
	// Nothing changed.
	want := []store.Submission{plain, withReid}
	want[0].Seq, want[1].Seq = 1, 2
	want[0].Leaf, want[1].Leaf = 0, 1
	if got := listAll(t, s, 10); !slices.EqualFunc(got, want, sameSubmission) {
		t.Errorf("Submissions after conflicts =\n%v\nwant\n%v", got, want)
	}
	CheckLog(t, s, want)
}

func testPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []store.Submission
	for i := range 25 {
		sub, _, err := s.AddSubmission(ctx, submission(i, i%4 == 0))
		if err != nil {
			t.Fatalf("AddSubmission: %v", err)
		}
		want = append(want, sub)
	}
	for _, limit := range []int{1, 7, 25, 26, 1000} {
		if got := listAll(t, s, limit); !slices.EqualFunc(got, want, sameSubmission) {
			t.Errorf("paging by %d =\n%v\nwant\n%v", limit, got, want)
		}
	}
	// A cursor in the middle.
	got, err := s.Submissions(ctx, want[9].Seq, 5)
	if err != nil || !slices.EqualFunc(got, want[10:15], sameSubmission) {
		t.Errorf("Submissions(%d, 5) = %v, %v; want %v", want[9].Seq, got, err, want[10:15])
	}
	got, err = s.Submissions(ctx, want[24].Seq, 5)
	if err != nil || len(got) != 0 {
		t.Errorf("Submissions after the last = %v, %v; want none", got, err)
	}
}

func testSameIDConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Something before, so that the Seq is not trivially 1.
	if _, _, err := s.AddSubmission(ctx, submission(0, false)); err != nil {
		t.Fatal(err)
	}
	const n = 100
	type result struct {
		sub     store.Submission
		created bool
		err     error
	}
	res := make([]result, n)
	in := submission(1, true)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sub := in
			sub.Day = fmt.Sprintf("2031-05-%02d", 1+i%28) // must not matter
			r := &res[i]
			r.sub, r.created, r.err = s.AddSubmission(ctx, sub)
		})
	}
	wg.Wait()
	created := 0
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("AddSubmission %d: %v", i, r.err)
		}
		if r.created {
			created++
		}
		if !sameSubmission(r.sub, res[0].sub) {
			t.Errorf("AddSubmission %d = %+v; call 0 got %+v", i, r.sub, res[0].sub)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d concurrent AddSubmission calls created it; want 1", created, n)
	}
	if res[0].sub.Seq != 2 {
		t.Errorf("Seq = %d; want 2", res[0].sub.Seq)
	}
	if got, err := s.Submissions(ctx, 0, 10); err != nil || len(got) != 2 {
		t.Errorf("Submissions = %v, %v; want 2", got, err)
	}
}

func testSeqConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 200
	subs := make([]store.Submission, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var created bool
			subs[i], created, errs[i] = s.AddSubmission(ctx, submission(i, i%5 == 0))
			if errs[i] == nil && !created {
				errs[i] = errors.New("not created")
			}
		})
	}
	wg.Wait()
	seen := make(map[int64]store.Submission)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("AddSubmission %d: %v", i, err)
		}
		if prev, ok := seen[subs[i].Seq]; ok {
			t.Errorf("Seq %d given to %s and %s", subs[i].Seq, prev.ID, subs[i].ID)
		}
		seen[subs[i].Seq] = subs[i]
	}
	for seq := int64(1); seq <= n; seq++ {
		if _, ok := seen[seq]; !ok {
			t.Errorf("no submission got Seq %d", seq)
		}
	}
	// The list agrees with what the callers were told.
	got := listAll(t, s, 64)
	if len(got) != n {
		t.Fatalf("listed %d submissions; want %d", len(got), n)
	}
	for _, sub := range got {
		if !sameSubmission(sub, seen[sub.Seq]) {
			t.Errorf("listed %+v; its caller was told %+v", sub, seen[sub.Seq])
		}
	}
	// The log holds one leaf per submission, appended in Seq order.
	CheckLog(t, s, got)
}

// sameSubmission compares submissions, Body included.
func sameSubmission(a, b store.Submission) bool { return reflect.DeepEqual(a, b) }

// testInline: a small sealed file stored in the row comes back whole from
// SubmissionBody, never in listings; a file the blob store holds has none.
func testInline(t *testing.T, s store.Store) {
	ctx := context.Background()
	small := submission(1, false)
	small.Body = bytes.Repeat([]byte{0xa5}, int(small.Size))
	got, created, err := s.AddSubmission(ctx, small)
	if err != nil || !created || got.Body != nil {
		t.Fatalf("AddSubmission with a body = %+v, %v, %v; want it created, Body not echoed", got, created, err)
	}
	body, ok, err := s.SubmissionBody(ctx, small.ID)
	if err != nil || !ok || !bytes.Equal(body, small.Body) {
		t.Errorf("SubmissionBody = %d bytes, %v, %v; want the body", len(body), ok, err)
	}
	if sub, err := s.Submission(ctx, small.ID); err != nil || sub.Body != nil {
		t.Errorf("Submission carries the body: %v", err)
	}
	if subs, _ := s.Submissions(ctx, 0, 10); len(subs) != 1 || subs[0].Body != nil {
		t.Errorf("Submissions carries the body")
	}
	big := submission(2, false)
	if _, _, err := s.AddSubmission(ctx, big); err != nil {
		t.Fatal(err)
	}
	if body, ok, err := s.SubmissionBody(ctx, big.ID); err != nil || ok || body != nil {
		t.Errorf("SubmissionBody of a blob-stored file = %d bytes, %v, %v", len(body), ok, err)
	}
	if _, _, err := s.SubmissionBody(ctx, submission(3, false).ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SubmissionBody of an unknown ID: %v; want ErrNotFound", err)
	}
	wrong := submission(4, false)
	wrong.Body = []byte("shorter than Size")
	if _, _, err := s.AddSubmission(ctx, wrong); err == nil {
		t.Error("AddSubmission accepted a body whose length is not Size")
	}
}

// CheckLog checks that the log holds exactly one leaf per submission in
// subs (in Seq order), each recording that submission, and nothing else;
// see [CheckLogEntries].
func CheckLog(t *testing.T, s store.Store, subs []store.Submission) {
	t.Helper()
	CheckLogEntries(t, s, subs, nil)
}

// CheckLogEntries checks that the log holds exactly one leaf per submission
// in subs and per lookup in lookups and nothing else, each at the index its
// Leaf names and recording it; that submissions' leaves follow their Seq
// and lookups' leaves theirs; and that the stored tree hashes are those of
// a tree built from the leaves alone.
func CheckLogEntries(t *testing.T, s store.Store, subs []store.Submission, lookups []store.Lookup) {
	t.Helper()
	ctx := context.Background()
	want := make(map[int64][]byte)
	expect := func(what string, index int64, l interface{ MarshalLeaf() ([]byte, error) }) {
		t.Helper()
		leaf, err := l.MarshalLeaf()
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := want[index]; dup {
			t.Errorf("%s has leaf %d, which another entry has too", what, index)
		}
		want[index] = leaf
	}
	subs = slices.Clone(subs)
	slices.SortFunc(subs, func(a, b store.Submission) int { return int(a.Seq - b.Seq) })
	for i, sub := range subs {
		if i > 0 && sub.Leaf <= subs[i-1].Leaf {
			t.Errorf("submission Seq %d has leaf %d, not after leaf %d of Seq %d (leaves in Seq order)", sub.Seq, sub.Leaf, subs[i-1].Leaf, subs[i-1].Seq)
		}
		l := auditlog.Submission{ID: sub.ID, SHA256: sub.Digest, Device: sub.Device, Day: sub.Day}
		if sub.HasReid {
			l.Reid = &sub.ReidDigest
		}
		expect("submission "+sub.ID, sub.Leaf, l)
	}
	lookups = slices.Clone(lookups)
	slices.SortFunc(lookups, func(a, b store.Lookup) int { return int(a.Seq - b.Seq) })
	for i, lk := range lookups {
		if i > 0 && lk.Leaf <= lookups[i-1].Leaf {
			t.Errorf("lookup Seq %d has leaf %d, not after leaf %d of Seq %d (leaves in Seq order)", lk.Seq, lk.Leaf, lookups[i-1].Leaf, lookups[i-1].Seq)
		}
		expect("lookup "+lk.ID, lk.Leaf, auditlog.Lookup{ID: lk.ID, SHA256: lk.Digest, Submission: lk.Submission, Custodian: lk.Custodian, Day: lk.Day})
	}
	n, err := s.LogSize(ctx)
	if err != nil || n != int64(len(subs)+len(lookups)) {
		t.Fatalf("LogSize = %d, %v; want %d (%d submissions, %d lookups)", n, err, len(subs)+len(lookups), len(subs), len(lookups))
	}
	// Build the reference tree in memory from the leaves.
	var mem []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			hs[i] = mem[x]
		}
		return hs, nil
	})
	for i := range n {
		leaf, err := s.LogLeaf(ctx, i)
		if err != nil {
			t.Fatalf("LogLeaf(%d): %v", i, err)
		}
		if w, ok := want[i]; !ok {
			t.Errorf("LogLeaf(%d) records no entry given:\n%s", i, leaf)
		} else if !bytes.Equal(leaf, w) {
			t.Errorf("LogLeaf(%d) =\n%s\nwant\n%s", i, leaf, w)
		}
		hs, err := tlog.StoredHashes(i, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		mem = append(mem, hs...)
	}
	idx := make([]int64, len(mem))
	for i := range idx {
		idx[i] = int64(i)
	}
	stored, err := s.LogHashes(ctx, idx)
	if err != nil {
		t.Fatalf("LogHashes: %v", err)
	}
	if !slices.Equal(stored, mem) {
		t.Errorf("the stored tree hashes are not those of the leaves")
	}
	if _, err := s.LogLeaf(ctx, n); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LogLeaf(%d) past the end: %v; want ErrNotFound", n, err)
	}
	if _, err := s.LogHashes(ctx, []int64{int64(len(mem))}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LogHashes past the end: %v; want ErrNotFound", err)
	}
}

// testLog: every new submission appends one leaf; repeats and conflicts
// append nothing; a proof made from the store's hashes verifies.
func testLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, err := s.LogSize(ctx); err != nil || n != 0 {
		t.Fatalf("LogSize of an empty store = %d, %v", n, err)
	}
	var subs []store.Submission
	for i := range 37 {
		sub, _, err := s.AddSubmission(ctx, submission(i, i%4 == 0))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
		// A repeat and a conflict append nothing.
		if _, created, err := s.AddSubmission(ctx, submission(i, i%4 == 0)); err != nil || created {
			t.Fatalf("repeat: %v, %v", created, err)
		}
		other := submission(i, i%4 == 0)
		other.Digest = hash("other")
		if _, _, err := s.AddSubmission(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("conflict: %v", err)
		}
	}
	CheckLog(t, s, subs)
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.LogHashes(ctx, idx) })
	root, err := tlog.TreeHash(37, reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int64{0, 17, 36} {
		p, err := tlog.ProveRecord(37, i, reader)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := s.LogLeaf(ctx, i)
		if err := tlog.CheckRecord(p, 37, root, i, tlog.RecordHash(leaf)); err != nil {
			t.Errorf("inclusion proof of leaf %d: %v", i, err)
		}
	}
}
