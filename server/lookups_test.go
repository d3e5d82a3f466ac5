package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"filippo.io/age"

	"testimony/internal/auditlog"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// putLookup records a lookup of submission sub with the sealed reason b.
func (o *org) putLookup(t testing.TB, id, sub string, b []byte) (int, []byte) {
	t.Helper()
	h := digestHeader(b)
	h["Testimony-Submission"] = sub
	return o.do(t, "PUT", "/api/v1/lookups/"+id, store.Custodian, b, h)
}

// lookup records a lookup of sub and returns its receipt, verified.
func (o *org) lookup(t *testing.T, sub, reason string) server.LookupReceipt {
	t.Helper()
	st, body := o.putLookup(t, newID(), sub, sealFor(t, reason, 0, o.custodian))
	if st != http.StatusCreated {
		t.Fatalf("PUT lookup: %d %s", st, body)
	}
	var rc server.LookupReceipt
	if err := json.Unmarshal(body, &rc); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Verify(o.roster.Log.Note()); err != nil {
		t.Fatalf("lookup receipt does not verify: %v", err)
	}
	return rc
}

// tokenID returns the ID of the org's token of role.
func (o *org) tokenID(role store.Role) string {
	id, _, _ := server.ParseToken(o.tokens[role])
	return id
}

// TestLookupReceipt: a custodian's lookup is recorded with the reason sealed
// to the custodians, and its receipt proves, with the log key, that the
// log holds a leaf naming the submission, the custodian's token and the
// day; a retry proves the same leaf, and anything else under the ID is a
// conflict.
func TestLookupReceipt(t *testing.T) {
	o := newOrg(t)
	subs := o.pushN(t, 2)
	id := newID()
	reason := sealFor(t, "follow-up interview requested by the subject\n", 0, o.custodian)
	st, body := o.putLookup(t, id, subs[0].ID, reason)
	if st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, body)
	}
	var rc server.LookupReceipt
	if err := json.Unmarshal(body, &rc); err != nil {
		t.Fatal(err)
	}
	if rc.ID != id || rc.Submission != subs[0].ID || rc.SHA256 != fmt.Sprintf("%x", sha256.Sum256(reason)) || rc.Size != int64(len(reason)) ||
		rc.Custodian != o.tokenID(store.Custodian) || len(rc.Day) != 10 || rc.Log == nil || rc.Log.Index != 2 {
		t.Errorf("receipt %s", body)
	}
	for _, k := range []string{`"id"`, `"submission"`, `"sha256"`, `"size"`, `"day"`, `"custodian"`, `"log"`, `"index"`, `"proof"`, `"checkpoint"`} {
		if !strings.Contains(string(body), k) {
			t.Errorf("the receipt has no %s: %s", k, body)
		}
	}
	cp, err := rc.Verify(o.roster.Log.Note())
	if err != nil {
		t.Fatalf("the receipt does not verify: %v", err)
	}
	if cp.Size != 3 {
		t.Errorf("checkpoint of %d leaves; want 3", cp.Size)
	}
	// The leaf the server serves is the leaf the receipt builds.
	want, _ := rc.Leaf()
	st, leaf := o.do(t, "GET", "/api/v1/log/leaves/2", store.Reviewer, nil, nil)
	if st != 200 || !bytes.Equal(leaf, want) {
		t.Errorf("leaf 2: %d\n%s\nwant\n%s", st, leaf, want)
	}
	parsed, err := auditlog.ParseLeaf(leaf)
	if l, ok := parsed.(*auditlog.Lookup); err != nil || !ok || l.Custodian != rc.Custodian || l.Submission != rc.Submission {
		t.Errorf("ParseLeaf of the served leaf = %+v, %v", parsed, err)
	}

	// The receipt binds the lookup: changing any field fails.
	for name, change := range map[string]func(*server.LookupReceipt){
		"digest":     func(rc *server.LookupReceipt) { rc.SHA256 = fmt.Sprintf("%064x", 1) },
		"submission": func(rc *server.LookupReceipt) { rc.Submission = subs[1].ID },
		"custodian":  func(rc *server.LookupReceipt) { rc.Custodian = o.tokenID(store.Reviewer) },
		"day":        func(rc *server.LookupReceipt) { rc.Day = "2001-01-01" },
		"id":         func(rc *server.LookupReceipt) { rc.ID = newID() },
		"index":      func(rc *server.LookupReceipt) { rc.Log.Index = 1 },
	} {
		c := rc
		lp := *rc.Log
		c.Log = &lp
		change(&c)
		if _, err := c.Verify(o.roster.Log.Note()); !errors.Is(err, auditlog.ErrNotIncluded) {
			t.Errorf("receipt with another %s: %v; want ErrNotIncluded", name, err)
		}
	}
	// The submission's own receipt is no lookup receipt, nor the reverse.
	as := server.Receipt{ID: rc.ID, SHA256: rc.SHA256, Day: rc.Day, Log: rc.Log}
	if _, err := as.Verify(o.roster.Log.Note()); !errors.Is(err, auditlog.ErrNotIncluded) {
		t.Errorf("the lookup's proof verified a submission receipt: %v", err)
	}
	other := must(keys.GenerateSigningKey("testimony-log-test"))
	if _, err := rc.Verify(must(keys.ParseVerifier(other.Verifier())).Note()); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("receipt checked with another log key: %v; want ErrSignature", err)
	}
	if _, err := (&server.LookupReceipt{}).Verify(o.roster.Log.Note()); err == nil {
		t.Error("a receipt without a log proof verified")
	}

	// A retry: 200, the same leaf, proved in the log as it is then.
	o.pushN(t, 1)
	st, body = o.putLookup(t, id, subs[0].ID, reason)
	var again server.LookupReceipt
	json.Unmarshal(body, &again)
	if cp, err := again.Verify(o.roster.Log.Note()); st != 200 || err != nil || again.Log.Index != 2 || cp.Size != 4 {
		t.Errorf("retry: %d, %v, %s", st, err, body)
	}
	// Another reason, another submission, or another custodian under the
	// ID: 409, and nothing appended.
	if st, body := o.putLookup(t, id, subs[0].ID, sealFor(t, "another reason\n", 0, o.custodian)); st != 409 || code(t, body) != "conflict" {
		t.Errorf("another reason: %d %s", st, body)
	}
	if st, body := o.putLookup(t, id, subs[1].ID, reason); st != 409 || code(t, body) != "conflict" {
		t.Errorf("another submission: %d %s", st, body)
	}
	o.addToken(t, "custodian 2", store.Custodian)
	h := digestHeader(reason)
	h["Testimony-Submission"] = subs[0].ID
	if st, body := o.do(t, "PUT", "/api/v1/lookups/"+id, "custodian 2", reason, h); st != 409 || code(t, body) != "conflict" {
		t.Errorf("another custodian: %d %s", st, body)
	}
	if cp := o.checkpoint(t); cp.Size != 4 {
		t.Errorf("the log has %d leaves after conflicts; want 4", cp.Size)
	}

	// The custodian fetches the reason and opens it.
	st, got := o.do(t, "GET", "/api/v1/lookups/"+id, store.Custodian, nil, nil)
	if st != 200 || !bytes.Equal(got, reason) {
		t.Fatalf("GET: %d, %d bytes", st, len(got))
	}
	r, err := age.Decrypt(bytes.NewReader(got), o.custodian)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(r)
	if plain.String() != "follow-up interview requested by the subject\n" {
		t.Errorf("opened %q", plain.String())
	}
	if st, body := o.do(t, "GET", "/api/v1/lookups/"+newID(), store.Custodian, nil, nil); st != 404 || code(t, body) != "not_found" {
		t.Errorf("GET of an unknown lookup: %d %s", st, body)
	}
}

// addToken adds a token of role to the org, used as role name.
func (o *org) addToken(t *testing.T, name string, role store.Role) {
	t.Helper()
	tok, id, hash := server.NewToken()
	if err := o.store.AddToken(t.Context(), store.Token{ID: id, Role: role, Label: name, Created: "2026-11-22"}, hash); err != nil {
		t.Fatal(err)
	}
	o.tokens[store.Role(name)] = tok
}

// TestLookupRoles: only custodian tokens record and read lookups.
func TestLookupRoles(t *testing.T) {
	o := newOrg(t)
	sub := o.pushN(t, 1)[0]
	rc := o.lookup(t, sub.ID, "x")
	reason := sealFor(t, "y", 0, o.custodian)
	h := digestHeader(reason)
	h["Testimony-Submission"] = sub.ID
	for _, tc := range []struct {
		method, path string
		role         store.Role
		want         int
	}{
		{"PUT", "/api/v1/lookups/" + newID(), "", 401},
		{"PUT", "/api/v1/lookups/" + newID(), store.Interviewer, 403},
		{"PUT", "/api/v1/lookups/" + newID(), store.Reviewer, 403},
		{"PUT", "/api/v1/lookups/" + newID(), store.Admin, 403},
		{"GET", "/api/v1/lookups", "", 401},
		{"GET", "/api/v1/lookups", store.Interviewer, 403},
		{"GET", "/api/v1/lookups", store.Reviewer, 403},
		{"GET", "/api/v1/lookups", store.Admin, 403},
		{"GET", "/api/v1/lookups/" + rc.ID, store.Interviewer, 403},
		{"GET", "/api/v1/lookups/" + rc.ID, store.Reviewer, 403},
		{"GET", "/api/v1/lookups/" + rc.ID, store.Admin, 403},
		{"GET", "/api/v1/lookups/" + rc.ID, store.Custodian, 200},
		{"GET", "/api/v1/lookups", store.Custodian, 200},
	} {
		st, body := o.do(t, tc.method, tc.path, tc.role, reason, h)
		if st != tc.want {
			t.Errorf("%s %s as %q: %d %s; want %d", tc.method, tc.path, tc.role, st, body, tc.want)
		}
	}
	if cp := o.checkpoint(t); cp.Size != 2 {
		t.Errorf("the log has %d leaves; want 2", cp.Size)
	}
}

// TestLookupRejects: every refused lookup gets its error and leaves no row
// and no leaf.
func TestLookupRejects(t *testing.T) {
	o := newOrg(t)
	sub := o.pushN(t, 1)[0]
	id := newID()
	reason := sealFor(t, "x", 0, o.custodian)
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
		// The custodian and someone not in the roster: two stanzas.
		{"sealed to an outsider too", id, sealFor(t, "x", 0, o.custodian, outsider), nil, 422, "policy"},
		// The reviewers, who must not read why a name was looked up.
		{"sealed to the reviewers", id, sealFor(t, "x", 0, o.reviewers...), nil, 422, "policy"},
		// A classic key in a post-quantum organisation.
		{"classic", id, sealFor(t, "x", 0, classic), nil, 422, "policy"},
		{"not age", id, []byte("follow-up interview"), nil, 422, "policy"},
		{"truncated", id, reason[:200], nil, 422, "policy"},
		{"digest mismatch", id, reason, digestHeader([]byte("other")), 400, "digest_mismatch"},
		{"no digest", id, reason, map[string]string{"Content-Digest": ""}, 400, "digest_required"},
		{"too large", id, sealFor(t, "x", server.MaxLookupSize, o.custodian), nil, 413, "too_large"},
		{"no submission header", id, reason, map[string]string{"Testimony-Submission": ""}, 400, "bad_request"},
		{"submission header not an ID", id, reason, map[string]string{"Testimony-Submission": strings.ToUpper(sub.ID)}, 400, "bad_request"},
		{"unknown submission", id, reason, map[string]string{"Testimony-Submission": newID()}, 404, "no_submission"},
		{"upper-case ID", strings.ToUpper(id), reason, nil, 400, "bad_id"},
		{"short ID", id[:31], reason, nil, 400, "bad_id"},
		{"traversal", "..%2f..%2fmeta.db", reason, nil, 400, "bad_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := digestHeader(tc.body)
			h["Testimony-Submission"] = sub.ID
			for k, v := range tc.header {
				h[k] = v
			}
			st, body := o.do(t, "PUT", "/api/v1/lookups/"+tc.id, store.Custodian, tc.body, h)
			if st != tc.status || code(t, body) != tc.code {
				t.Errorf("%d %s, want %d %s", st, body, tc.status, tc.code)
			}
		})
	}
	if st, body := o.do(t, "GET", "/api/v1/lookups", store.Custodian, nil, nil); !strings.Contains(string(body), `"lookups":[]`) {
		t.Errorf("something was listed: %d %s", st, body)
	}
	if cp := o.checkpoint(t); cp.Size != 1 {
		t.Errorf("refused lookups made the log %d leaves long; want 1", cp.Size)
	}
	if st, body := o.putLookup(t, id, sub.ID, reason); st != 201 {
		t.Errorf("valid lookup after rejections: %d %s", st, body)
	}
}

// TestLookupWithoutCustodians: a roster without custodians can seal no
// reason to them: a clear 422.
func TestLookupWithoutCustodians(t *testing.T) {
	o := newOrg(t)
	sub := o.pushN(t, 1)[0]
	next := *o.roster
	next.Version++
	next.Custodians = nil
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, must(next.Sign(o.admin)), nil); st != 200 {
		t.Fatalf("roster without custodians: %d %s", st, body)
	}
	if st, body := o.putLookup(t, newID(), sub.ID, sealFor(t, "x", 0, o.custodian)); st != 422 || code(t, body) != "no_custodians" {
		t.Errorf("lookup without custodians: %d %s; want 422 no_custodians", st, body)
	}
}

// TestLookupPaging: the list pages by Seq, each entry with its leaf index
// (no proof), and every listed lookup proves with GET /log/inclusion.
func TestLookupPaging(t *testing.T) {
	o := newOrg(t)
	subs := o.pushN(t, 2)
	var want []server.LookupReceipt
	for i := range 5 {
		want = append(want, o.lookup(t, subs[i%2].ID, fmt.Sprint("reason ", i)))
	}
	cp := o.checkpoint(t)
	var got []server.ListedLookup
	after := int64(0)
	for {
		var list server.LookupList
		st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/lookups?after=%d&limit=2", after), store.Custodian, nil, nil)
		if st != 200 || json.Unmarshal(body, &list) != nil || len(list.Lookups) > 2 {
			t.Fatalf("page after %d: %d %s", after, st, body)
		}
		if strings.Contains(string(body), `"log"`) {
			t.Errorf("list entries carry proofs: %s", body)
		}
		if len(list.Lookups) == 0 {
			if list.Next != after {
				t.Errorf("the last page: next %d after %d", list.Next, after)
			}
			break
		}
		got = append(got, list.Lookups...)
		after = list.Next
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d lookups; want %d", len(got), len(want))
	}
	for i, l := range got {
		w := want[i]
		w.Log = nil
		if l.LookupReceipt != w || l.Seq != int64(i+1) || l.Leaf != int64(2+i) {
			t.Errorf("entry %d = %+v; want %+v, Seq %d, leaf %d", i, l, w, i+1, 2+i)
		}
		var p server.InclusionProof
		st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", l.Leaf, cp.Size), store.Custodian, nil, nil)
		if st != 200 || json.Unmarshal(body, &p) != nil {
			t.Fatalf("inclusion: %d %s", st, body)
		}
		rc := l.LookupReceipt
		leaf, _ := rc.Leaf()
		if err := auditlog.CheckInclusion(cp, l.Leaf, leaf, p.Proof); err != nil {
			t.Errorf("listed lookup %d: %v", i, err)
		}
	}
	for _, q := range []string{"after=-1", "limit=0", "limit=1001"} {
		if st, body := o.do(t, "GET", "/api/v1/lookups?"+q, store.Custodian, nil, nil); st != 400 || code(t, body) != "bad_request" {
			t.Errorf("?%s: %d %s", q, st, body)
		}
	}
}

// TestLogWithLookups: lookup leaves between submission leaves change
// nothing for those who read the log as before. Submission receipts,
// lookup receipts and the listed submissions (as pull checks them) all
// prove against the newest checkpoint; every checkpoint a receipt carried
// is consistent with it (as verify checks); every leaf is served and
// parses.
func TestLogWithLookups(t *testing.T) {
	o := newOrg(t)
	rcs := o.pushN(t, 3)
	l1 := o.lookup(t, rcs[1].ID, "consent withdrawn\n")
	rcs = append(rcs, o.pushN(t, 2)...)
	l2 := o.lookup(t, rcs[4].ID, "follow-up\n")
	l3 := o.lookup(t, rcs[0].ID, "spelling check\n")
	rcs = append(rcs, o.pushN(t, 3)...)
	cp := o.checkpoint(t)
	if cp.Size != 11 {
		t.Fatalf("checkpoint of %d leaves; want 11", cp.Size)
	}
	type proved struct {
		name  string
		index int64
		leaf  func() ([]byte, error)
		seen  auditlog.Checkpoint
	}
	var all []proved
	for i := range rcs {
		rc := &rcs[i]
		seen, err := rc.Verify(o.roster.Log.Note())
		if err != nil {
			t.Fatalf("submission receipt %d: %v", i, err)
		}
		all = append(all, proved{"submission " + rc.ID, rc.Log.Index, rc.Leaf, seen})
	}
	for _, l := range []*server.LookupReceipt{&l1, &l2, &l3} {
		seen, err := l.Verify(o.roster.Log.Note())
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, proved{"lookup " + l.ID, l.Log.Index, l.Leaf, seen})
	}
	if l1.Log.Index != 3 || l2.Log.Index != 6 || l3.Log.Index != 7 {
		t.Errorf("lookup leaves at %d, %d, %d; want 3, 6, 7", l1.Log.Index, l2.Log.Index, l3.Log.Index)
	}
	indexes := map[int64]bool{}
	for _, p := range all {
		indexes[p.index] = true
		leaf, _ := p.leaf()
		var ip server.InclusionProof
		st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", p.index, cp.Size), store.Reviewer, nil, nil)
		if st != 200 || json.Unmarshal(body, &ip) != nil {
			t.Fatalf("inclusion: %d %s", st, body)
		}
		if err := auditlog.CheckInclusion(cp, p.index, leaf, ip.Proof); err != nil {
			t.Errorf("%s in the newest tree: %v", p.name, err)
		}
		var c server.ConsistencyProof
		st, body = o.do(t, "GET", fmt.Sprintf("/api/v1/log/consistency?from=%d&to=%d", p.seen.Size, cp.Size), store.Interviewer, nil, nil)
		if st != 200 || json.Unmarshal(body, &c) != nil {
			t.Fatalf("consistency: %d %s", st, body)
		}
		if err := auditlog.CheckConsistency(p.seen, cp, c.Proof); err != nil {
			t.Errorf("the checkpoint of %s (%d leaves) and the newest: %v", p.name, p.seen.Size, err)
		}
		st, served := o.do(t, "GET", fmt.Sprintf("/api/v1/log/leaves/%d", p.index), store.Custodian, nil, nil)
		if st != 200 || !bytes.Equal(served, leaf) {
			t.Errorf("leaf %d of %s: %d\n%s\nwant\n%s", p.index, p.name, st, served, leaf)
		}
		if _, err := auditlog.ParseLeaf(served); err != nil {
			t.Errorf("leaf %d does not parse: %v", p.index, err)
		}
	}
	if len(indexes) != 11 {
		t.Errorf("the receipts name %d distinct leaves; want 11", len(indexes))
	}
	// As pull does: list the submissions and prove each listed one with
	// its leaf index; none is a lookup's.
	var list struct {
		Submissions []server.Listed
		Next        int64
	}
	st, body := o.do(t, "GET", "/api/v1/submissions", store.Reviewer, nil, nil)
	if st != 200 || json.Unmarshal(body, &list) != nil || len(list.Submissions) != 8 {
		t.Fatalf("list: %d %s", st, body)
	}
	for _, s := range list.Submissions {
		ip, err := o.inclusion(t, s.Leaf, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		rc := s.Receipt
		rc.Log = &server.LogProof{Index: s.Leaf, Proof: ip, Checkpoint: rcs[len(rcs)-1].Log.Checkpoint}
		if _, err := rc.Verify(o.roster.Log.Note()); err != nil {
			t.Errorf("listed submission %s (leaf %d): %v", s.ID, s.Leaf, err)
		}
	}
}

// inclusion fetches the inclusion proof of leaf index in the tree of size.
func (o *org) inclusion(t *testing.T, index, size int64) ([][]byte, error) {
	t.Helper()
	var p server.InclusionProof
	st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", index, size), store.Reviewer, nil, nil)
	if st != 200 {
		return nil, fmt.Errorf("inclusion: %d %s", st, body)
	}
	err := json.Unmarshal(body, &p)
	return p.Proof, err
}

// TestOversizeWithoutLength: an upload that does not announce its length
// (chunked) is cut at the limit all the same, inline or streaming to the
// blob store, and leaves nothing.
func TestOversizeWithoutLength(t *testing.T) {
	o := newOrg(t)
	sub := o.pushN(t, 1)[0]
	reason := sealFor(t, "x", server.MaxLookupSize, o.custodian)
	annotation := sealFor(t, "x", server.MaxAnnotationSize, o.reviewers...)
	for _, tc := range []struct {
		path string
		role store.Role
		body []byte
	}{
		{"/api/v1/lookups/" + newID(), store.Custodian, reason},
		{"/api/v1/annotations/" + newID(), store.Reviewer, annotation},
	} {
		req, _ := http.NewRequest("PUT", o.url+tc.path, io.MultiReader(bytes.NewReader(tc.body)))
		req.Header.Set("Authorization", "Bearer "+o.tokens[tc.role])
		req.Header.Set("Content-Digest", digestHeader(tc.body)["Content-Digest"])
		req.Header.Set("Testimony-Submission", sub.ID)
		resp, err := http.DefaultClient.Do(req)
		if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
			// The server answers 413 and closes without reading the rest;
			// a client still writing may see the reset before the answer.
			// Either way it was refused: what was stored is checked below.
			t.Logf("PUT %s, chunked: the connection was cut while the body was being sent: %v", tc.path, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if req.ContentLength != 0 || resp.StatusCode != 413 || code(t, body) != "too_large" {
			t.Errorf("PUT %s of %d bytes, chunked: %d %s; want 413 too_large", tc.path, len(tc.body), resp.StatusCode, body)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(o.dir, "blobs")); len(entries) != 0 {
		t.Errorf("an oversize upload left %d files in the blob store", len(entries))
	}
	if cp := o.checkpoint(t); cp.Size != 1 {
		t.Errorf("an oversize lookup was logged: %d leaves", cp.Size)
	}
}
