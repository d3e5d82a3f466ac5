package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"testimony/internal/store"
)

// form returns a published form whose digest and body follow from id,
// version and variant (another variant is other content under the same
// version).
func form(id string, version uint64, variant int) store.Form {
	body := fmt.Appendf(nil, "signed form %s@%d variant %d\n", id, version, variant)
	return store.Form{
		ID:      id,
		Version: version,
		Digest:  hash(fmt.Sprintf("form %s@%d variant %d", id, version, variant)),
		Day:     "2031-05-06",
		Body:    body,
	}
}

// bodiless returns f without its Body, as Forms lists it.
func bodiless(f store.Form) store.Form {
	f.Body = nil
	return f
}

// testForms: PutForm keeps forms by ID and version, is idempotent, refuses
// another digest under a version and a version below the newest, lists
// every version by ID and version without bodies, and returns each body.
func testForms(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustInit(t, s)
	if fs, err := s.Forms(ctx); err != nil || len(fs) != 0 {
		t.Errorf("Forms of an empty store = %v, %v; want none", fs, err)
	}
	if _, err := s.FormBody(ctx, "household", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FormBody of a missing form: %v; want ErrNotFound", err)
	}
	puts := []store.Form{form("household", 2026120601, 0), form("household", 2026120702, 0), form("a.b", 1, 0), form("a", 7, 0)}
	for _, f := range puts {
		got, created, err := s.PutForm(ctx, f)
		if err != nil || !created || !reflect.DeepEqual(got, bodiless(f)) {
			t.Fatalf("PutForm(%s@%d) = %+v, %v, %v; want it created", f.ID, f.Version, got, created, err)
		}
	}
	want := []store.Form{bodiless(puts[3]), bodiless(puts[2]), bodiless(puts[0]), bodiless(puts[1])}
	if got, err := s.Forms(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Forms = %+v, %v;\nwant %+v", got, err, want)
	}
	for _, f := range puts {
		if b, err := s.FormBody(ctx, f.ID, f.Version); err != nil || !bytes.Equal(b, f.Body) {
			t.Errorf("FormBody(%s@%d) = %q, %v; want %q", f.ID, f.Version, b, err, f.Body)
		}
	}

	// The same form again, even published on another day: the stored one.
	again := puts[0]
	again.Day = "2031-06-01"
	if got, created, err := s.PutForm(ctx, again); err != nil || created || !reflect.DeepEqual(got, bodiless(puts[0])) {
		t.Errorf("PutForm of a stored form = %+v, %v, %v; want the stored one, not created", got, created, err)
	}
	for _, tc := range []struct {
		name string
		f    store.Form
	}{
		// A server cannot swap a form under its version...
		{"another digest under the newest version", form("household", 2026120702, 1)},
		{"another digest under an older version", form("household", 2026120601, 1)},
		// ...nor bring back an older version that was never published.
		{"a version below the newest", form("household", 2026120650, 0)},
		{"version 0 below the newest", form("household", 0, 0)},
	} {
		if _, _, err := s.PutForm(ctx, tc.f); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutForm of %s: %v; want ErrConflict", tc.name, err)
		}
	}
	if b, err := s.FormBody(ctx, "household", 2026120702); err != nil || !bytes.Equal(b, puts[1].Body) {
		t.Errorf("after refused puts, FormBody = %q, %v; want the first", b, err)
	}
	// A newer version goes on.
	if _, created, err := s.PutForm(ctx, form("household", 2026120703, 0)); err != nil || !created {
		t.Errorf("PutForm of a newer version = %v, %v", created, err)
	}

	for _, tc := range []struct {
		name   string
		change func(*store.Form)
	}{
		{"bad ID", func(f *store.Form) { f.ID = "../x" }},
		{"uppercase ID", func(f *store.Form) { f.ID = "Household" }},
		{"ID note", func(f *store.Form) { f.ID = "note" }},
		{"version of 11 digits", func(f *store.Form) { f.Version = 10_000_000_000 }},
		{"bad day", func(f *store.Form) { f.Day = "2031-02-30" }},
		{"no digest", func(f *store.Form) { f.Digest = [32]byte{} }},
		{"no body", func(f *store.Form) { f.Body = nil }},
		{"body too large", func(f *store.Form) { f.Body = bytes.Repeat([]byte("x"), store.MaxFormSize+1) }},
	} {
		f := form("other", 1, 0)
		tc.change(&f)
		_, _, err := s.PutForm(ctx, f)
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("PutForm with %s: %v; want a plain refusal", tc.name, err)
		}
	}
	fs, err := s.Forms(ctx)
	if err != nil || len(fs) != 5 {
		t.Errorf("Forms after refusals = %d forms, %v; want 5", len(fs), err)
	}
	for _, f := range fs {
		if strings.HasPrefix(f.ID, "other") || f.ID == "Household" {
			t.Errorf("a refused form was stored: %+v", f)
		}
	}
}

// testFormsConcurrent: many callers putting forms at once, the same one
// and others: exactly one creates each, none is lost, none conflicts.
func testFormsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustInit(t, s)
	const n = 16
	var wg sync.WaitGroup
	created := make([]bool, n)
	errs := make([]error, 2*n)
	for i := range n {
		wg.Go(func() {
			_, created[i], errs[i] = s.PutForm(ctx, form("same", 3, 0))
		})
		wg.Go(func() {
			_, _, errs[n+i] = s.PutForm(ctx, form(fmt.Sprintf("form-%02d", i), 1, 0))
		})
	}
	wg.Wait()
	nc := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutForm %d: %v", i, err)
		}
	}
	for _, c := range created {
		if c {
			nc++
		}
	}
	if nc != 1 {
		t.Errorf("%d concurrent PutForms of one form created it; want exactly 1", nc)
	}
	if fs, err := s.Forms(ctx); err != nil || len(fs) != n+1 {
		t.Errorf("Forms = %d, %v; want %d", len(fs), err, n+1)
	}
}
