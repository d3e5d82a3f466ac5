package server_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// sealFor encrypts text (padded with n random bytes, which do not compress)
// to ids, as a desk seals an annotation or a lookup's reason.
func sealFor(t testing.TB, text string, n int, ids ...*keys.Identity) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := ageEncrypt(&buf, ids...)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, text)
	io.CopyN(w, rand.Reader, int64(n))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newID returns a random record ID, as a desk chooses one.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

func (o *org) putAnnotation(t testing.TB, id string, b []byte) (int, []byte) {
	t.Helper()
	return o.do(t, "PUT", "/api/v1/annotations/"+id, store.Reviewer, b, digestHeader(b))
}

// TestAnnotations: a reviewer's annotation, sealed to the roster's
// reviewers, is stored, listed with who wrote it, fetched whole and opened
// by another reviewer; a retry is a success, another file under its ID a
// conflict; it is not a log leaf.
func TestAnnotations(t *testing.T) {
	o := newOrg(t)
	id := newID()
	sealed := sealFor(t, "tags: follow-up\n", 0, o.reviewers...)
	st, body := o.putAnnotation(t, id, sealed)
	if st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, body)
	}
	var a server.Annotation
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	want := server.Annotation{ID: id, Seq: 1, SHA256: fmt.Sprintf("%x", sha256.Sum256(sealed)), Size: int64(len(sealed)), Author: "reviewer", Day: a.Day}
	if a != want || len(a.Day) != 10 {
		t.Errorf("answer %+v; want %+v", a, want)
	}
	for _, k := range []string{`"id"`, `"seq"`, `"sha256"`, `"size"`, `"author"`, `"day"`} {
		if !strings.Contains(string(body), k) {
			t.Errorf("the answer has no %s: %s", k, body)
		}
	}
	// Again: the same answer, 200.
	if st, again := o.putAnnotation(t, id, sealed); st != http.StatusOK || !bytes.Equal(again, body) {
		t.Errorf("retry: %d %s", st, again)
	}
	// Another file under the ID: 409.
	if st, body := o.putAnnotation(t, id, sealFor(t, "tags: other\n", 0, o.reviewers...)); st != http.StatusConflict || code(t, body) != "conflict" {
		t.Errorf("other file: %d %s", st, body)
	}
	// Another reviewer fetches and opens it.
	st, got := o.do(t, "GET", "/api/v1/annotations/"+id, store.Reviewer, nil, nil)
	if st != http.StatusOK || !bytes.Equal(got, sealed) {
		t.Fatalf("GET: %d, %d bytes", st, len(got))
	}
	r, err := age.Decrypt(bytes.NewReader(got), o.reviewers[1])
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(r); string(plain) != "tags: follow-up\n" {
		t.Errorf("opened %q", plain)
	}
	var list server.AnnotationList
	st, body = o.do(t, "GET", "/api/v1/annotations", store.Reviewer, nil, nil)
	if err := json.Unmarshal(body, &list); st != 200 || err != nil || len(list.Annotations) != 1 || list.Annotations[0] != want || list.Next != 1 {
		t.Errorf("list: %d %s", st, body)
	}
	if st, body := o.do(t, "GET", "/api/v1/annotations?after=1", store.Reviewer, nil, nil); st != 200 || string(body) != `{"annotations":[],"next":1}`+"\n" {
		t.Errorf("list after the last: %d %s", st, body)
	}
	if st, body := o.do(t, "GET", "/api/v1/annotations/"+newID(), store.Reviewer, nil, nil); st != 404 || code(t, body) != "not_found" {
		t.Errorf("GET of an unknown annotation: %d %s", st, body)
	}
	// Not in the log, not a submission.
	if cp := o.checkpoint(t); cp.Size != 0 {
		t.Errorf("an annotation made the log %d leaves long", cp.Size)
	}
	if st, body := o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil); st != 404 {
		t.Errorf("the annotation is served as a submission: %d %s", st, body)
	}
}

// TestAnnotationRoles: only reviewer tokens annotate and read annotations.
func TestAnnotationRoles(t *testing.T) {
	o := newOrg(t)
	id := newID()
	sealed := sealFor(t, "x", 0, o.reviewers...)
	if st, body := o.putAnnotation(t, id, sealed); st != 201 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	for _, tc := range []struct {
		method, path string
		role         store.Role
		want         int
	}{
		{"PUT", "/api/v1/annotations/" + newID(), "", 401},
		{"PUT", "/api/v1/annotations/" + newID(), store.Interviewer, 403},
		{"PUT", "/api/v1/annotations/" + newID(), store.Custodian, 403},
		{"PUT", "/api/v1/annotations/" + newID(), store.Admin, 403},
		{"GET", "/api/v1/annotations", "", 401},
		{"GET", "/api/v1/annotations", store.Interviewer, 403},
		{"GET", "/api/v1/annotations", store.Custodian, 403},
		{"GET", "/api/v1/annotations", store.Admin, 403},
		{"GET", "/api/v1/annotations/" + id, store.Interviewer, 403},
		{"GET", "/api/v1/annotations/" + id, store.Custodian, 403},
		{"GET", "/api/v1/annotations/" + id, store.Admin, 403},
		{"GET", "/api/v1/annotations/" + id, store.Reviewer, 200},
	} {
		st, body := o.do(t, tc.method, tc.path, tc.role, sealed, digestHeader(sealed))
		if st != tc.want {
			t.Errorf("%s %s as %q: %d %s; want %d", tc.method, tc.path, tc.role, st, body, tc.want)
		}
	}
	if st, body := o.do(t, "GET", "/api/v1/annotations", store.Reviewer, nil, nil); !strings.Contains(string(body), `"next":1`) {
		t.Errorf("refused uploads were stored: %d %s", st, body)
	}
}

// TestAnnotationRejects: every refused upload gets its error and leaves no
// row and no file.
func TestAnnotationRejects(t *testing.T) {
	o := newOrg(t)
	id := newID()
	sealed := sealFor(t, "x", 0, o.reviewers...)
	outsider := must(keys.GenerateIdentity(keys.Hybrid))
	classic := must(keys.GenerateIdentity(keys.Classic))
	for _, tc := range []struct {
		name   string
		id     string
		body   []byte
		header map[string]string
		status int
		code   string
	}{
		// The reviewers and someone not in the roster: three stanzas.
		{"sealed to an outsider too", id, sealFor(t, "x", 0, o.reviewers[0], o.reviewers[1], outsider), nil, 422, "policy"},
		// Someone not in the roster only.
		{"sealed to an outsider", id, sealFor(t, "x", 0, outsider), nil, 422, "policy"},
		// The custodian is not a reviewer.
		{"sealed to the custodian", id, sealFor(t, "x", 0, o.custodian), nil, 422, "policy"},
		// A classic key in a post-quantum organisation.
		{"classic", id, sealFor(t, "x", 0, classic, classic), nil, 422, "policy"},
		{"not age", id, []byte("tags: follow-up"), nil, 422, "policy"},
		// Cut inside the header. (A cut in the payload that leaves a
		// length age can produce is caught only by the reviewer who
		// opens it: without a key, nothing tells it apart.)
		{"truncated", id, sealed[:200], nil, 422, "policy"},
		{"empty", id, []byte{}, nil, 422, "policy"},
		{"digest mismatch", id, sealed, digestHeader([]byte("other")), 400, "digest_mismatch"},
		{"no digest", id, sealed, map[string]string{"Content-Digest": ""}, 400, "digest_required"},
		{"digest of another kind", id, sealed, map[string]string{"Content-Digest": "sha-512=:AAAA:"}, 400, "digest_required"},
		{"too large", id, sealFor(t, "x", server.MaxAnnotationSize, o.reviewers...), nil, 413, "too_large"},
		{"upper-case ID", strings.ToUpper(id), sealed, nil, 400, "bad_id"},
		{"short ID", id[:31], sealed, nil, 400, "bad_id"},
		{"fullwidth digit", "０" + id[1:], sealed, nil, 400, "bad_id"},
		{"traversal", "..%2f..%2fmeta.db", sealed, nil, 400, "bad_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := digestHeader(tc.body)
			for k, v := range tc.header {
				h[k] = v
			}
			st, body := o.do(t, "PUT", "/api/v1/annotations/"+tc.id, store.Reviewer, tc.body, h)
			if st != tc.status || code(t, body) != tc.code {
				t.Errorf("%d %s, want %d %s", st, body, tc.status, tc.code)
			}
		})
	}
	if st, body := o.do(t, "GET", "/api/v1/annotations", store.Reviewer, nil, nil); !strings.Contains(string(body), `"annotations":[]`) {
		t.Errorf("something was listed: %d %s", st, body)
	}
	entries, _ := os.ReadDir(filepath.Join(o.dir, "blobs"))
	for _, e := range entries {
		t.Errorf("left in the blob directory: %s", e.Name())
	}
	if st, body := o.putAnnotation(t, id, sealed); st != 201 {
		t.Errorf("valid upload after rejections: %d %s", st, body)
	}
}

// TestLargeAnnotation: an annotation larger than a note goes to the blob
// store, durable before its row; the largest one accepted is accepted.
func TestLargeAnnotation(t *testing.T) {
	o := newOrg(t)
	id := newID()
	big := sealFor(t, "", 200<<10, o.reviewers...)
	if st, body := o.putAnnotation(t, id, big); st != 201 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	if _, err := os.Stat(filepath.Join(o.dir, "blobs", id+".ann")); err != nil {
		t.Errorf("a %d-byte annotation is not in the blob store: %v", len(big), err)
	}
	if st, got := o.do(t, "GET", "/api/v1/annotations/"+id, store.Reviewer, nil, nil); st != 200 || !bytes.Equal(got, big) {
		t.Errorf("GET: %d, %d bytes", st, len(got))
	}
	if st, body := o.putAnnotation(t, id, big); st != 200 {
		t.Errorf("retry: %d %s", st, body)
	}
	// Exactly MaxAnnotationSize bytes: the age overhead of two hybrid
	// stanzas, a nonce and 17 chunk tags comes off the plaintext.
	probe := sealFor(t, "", 0, o.reviewers...)
	n := server.MaxAnnotationSize - len(probe) - 16*(server.MaxAnnotationSize/(64<<10)+1)
	largest := sealFor(t, "", n, o.reviewers...)
	for len(largest) < server.MaxAnnotationSize {
		n++
		largest = sealFor(t, "", n, o.reviewers...)
	}
	if len(largest) != server.MaxAnnotationSize {
		t.Fatalf("could not make a file of exactly %d bytes (%d)", server.MaxAnnotationSize, len(largest))
	}
	if st, body := o.putAnnotation(t, newID(), largest); st != 201 {
		t.Errorf("PUT of %d bytes: %d %s", len(largest), st, body)
	}
}

// TestAnnotationPaging: the list pages by Seq like the submission list.
func TestAnnotationPaging(t *testing.T) {
	o := newOrg(t)
	var ids []string
	for i := range 5 {
		id := newID()
		if st, body := o.putAnnotation(t, id, sealFor(t, fmt.Sprint("note ", i), 0, o.reviewers...)); st != 201 {
			t.Fatalf("PUT: %d %s", st, body)
		}
		ids = append(ids, id)
	}
	var got []string
	after := int64(0)
	for pages := 0; ; pages++ {
		var list server.AnnotationList
		st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/annotations?after=%d&limit=2", after), store.Reviewer, nil, nil)
		if st != 200 || json.Unmarshal(body, &list) != nil || len(list.Annotations) > 2 {
			t.Fatalf("page after %d: %d %s", after, st, body)
		}
		if len(list.Annotations) == 0 {
			if list.Next != after || pages != 3 {
				t.Errorf("the last page: next %d after %d, %d pages", list.Next, after, pages)
			}
			break
		}
		for _, a := range list.Annotations {
			if a.Seq <= after {
				t.Errorf("Seq %d after %d", a.Seq, after)
			}
			got = append(got, a.ID)
		}
		after = list.Next
	}
	if strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("listed %v; want %v", got, ids)
	}
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=1001", "limit=x"} {
		if st, body := o.do(t, "GET", "/api/v1/annotations?"+q, store.Reviewer, nil, nil); st != 400 || code(t, body) != "bad_request" {
			t.Errorf("?%s: %d %s", q, st, body)
		}
	}
}
