package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"testimony/internal/auditlog"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// pushN submits n sealed notes and returns their receipts.
func (o *org) pushN(t *testing.T, n int) []server.Receipt {
	t.Helper()
	var rcs []server.Receipt
	for i := range n {
		id, sealed := o.seal(t, nil, fmt.Sprintf("note %d\n", i))
		st, body := o.put(t, id, sealed)
		if st != http.StatusCreated {
			t.Fatalf("PUT: %d %s", st, body)
		}
		var rc server.Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			t.Fatal(err)
		}
		rcs = append(rcs, rc)
	}
	return rcs
}

func (o *org) checkpoint(t *testing.T) auditlog.Checkpoint {
	t.Helper()
	st, body := o.do(t, "GET", "/api/v1/log/checkpoint", store.Interviewer, nil, nil)
	if st != 200 {
		t.Fatalf("GET checkpoint: %d %s", st, body)
	}
	cp, err := auditlog.Open(body, o.roster.Log.Note())
	if err != nil {
		t.Fatalf("checkpoint does not verify: %v\n%s", err, body)
	}
	return cp
}

// TestReceiptsProveInclusion: every receipt carries a checkpoint signed by
// the roster's log key and a proof that the submission's leaf, built from
// the receipt alone, is in its tree; the leaf the server serves is that
// leaf; a retry's receipt proves the same leaf.
func TestReceiptsProveInclusion(t *testing.T) {
	o := newOrg(t)
	rcs := o.pushN(t, 5)
	for i, rc := range rcs {
		cp, err := rc.Verify(o.roster.Log.Note())
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if rc.Log.Index != int64(i) || cp.Size != int64(i+1) || rc.Device != "laptop-1" {
			t.Errorf("receipt %d: index %d, checkpoint size %d, device %q", i, rc.Log.Index, cp.Size, rc.Device)
		}
		st, leaf := o.do(t, "GET", fmt.Sprintf("/api/v1/log/leaves/%d", i), store.Reviewer, nil, nil)
		want, _ := rc.Leaf()
		if st != 200 || string(leaf) != string(want) {
			t.Errorf("leaf %d: %d\n%s\nwant\n%s", i, st, leaf, want)
		}
	}
	// The receipt binds the submission: another digest, day or device
	// does not verify against the same proof.
	for name, change := range map[string]func(*server.Receipt){
		"digest": func(rc *server.Receipt) { rc.SHA256 = fmt.Sprintf("%064x", 1) },
		"day":    func(rc *server.Receipt) { rc.Day = "2001-01-01" },
		"device": func(rc *server.Receipt) { rc.Device = "laptop-2" },
		"index":  func(rc *server.Receipt) { rc.Log.Index = 3 },
		"reid":   func(rc *server.Receipt) { rc.Reid = &server.FileRef{SHA256: fmt.Sprintf("%064x", 2)} },
	} {
		rc := rcs[2]
		lp := *rc.Log
		rc.Log = &lp
		change(&rc)
		if _, err := rc.Verify(o.roster.Log.Note()); !errors.Is(err, auditlog.ErrNotIncluded) {
			t.Errorf("receipt with another %s: %v; want ErrNotIncluded", name, err)
		}
	}
	// A checkpoint signed by another key is refused.
	other := must(keys.GenerateSigningKey("testimony-log-test"))
	if _, err := rcs[0].Verify(must(keys.ParseVerifier(other.Verifier())).Note()); !errors.Is(err, auditlog.ErrSignature) {
		t.Errorf("receipt checked with another log key: %v; want ErrSignature", err)
	}

	// A retry gets a receipt for the same leaf, proved in today's tree.
	id, sealed := o.seal(t, nil, "again\n")
	o.put(t, id, sealed)
	st, body := o.put(t, id, sealed)
	var again server.Receipt
	json.Unmarshal(body, &again)
	if cp, err := again.Verify(o.roster.Log.Note()); st != 200 || err != nil || again.Log.Index != 5 || cp.Size != 6 {
		t.Errorf("retry: %d, %v, %+v", st, err, again.Log)
	}
}

// TestLogProofs: the checkpoint, inclusion and consistency endpoints agree
// with each other and with the receipts, and refuse sizes beyond the log.
func TestLogProofs(t *testing.T) {
	o := newOrg(t)
	rcs := o.pushN(t, 3)
	old, err := rcs[2].Verify(o.roster.Log.Note())
	if err != nil {
		t.Fatal(err)
	}
	o.pushN(t, 8)
	cp := o.checkpoint(t)
	if cp.Size != 11 {
		t.Fatalf("checkpoint size %d; want 11", cp.Size)
	}
	for _, rc := range rcs {
		var p server.InclusionProof
		st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/log/inclusion?index=%d&size=%d", rc.Log.Index, cp.Size), store.Interviewer, nil, nil)
		if st != 200 || json.Unmarshal(body, &p) != nil {
			t.Fatalf("inclusion: %d %s", st, body)
		}
		leaf, _ := rc.Leaf()
		if err := auditlog.CheckInclusion(cp, rc.Log.Index, leaf, p.Proof); err != nil {
			t.Errorf("inclusion of leaf %d in the new tree: %v", rc.Log.Index, err)
		}
	}
	var c server.ConsistencyProof
	st, body := o.do(t, "GET", fmt.Sprintf("/api/v1/log/consistency?from=%d&to=%d", old.Size, cp.Size), store.Interviewer, nil, nil)
	if st != 200 || json.Unmarshal(body, &c) != nil {
		t.Fatalf("consistency: %d %s", st, body)
	}
	if err := auditlog.CheckConsistency(old, cp, c.Proof); err != nil {
		t.Errorf("consistency %d → %d: %v", old.Size, cp.Size, err)
	}
	for _, tc := range []struct {
		path string
		role store.Role
		want int
	}{
		{"/api/v1/log/inclusion?index=0&size=12", store.Reviewer, 404},  // beyond the log
		{"/api/v1/log/inclusion?index=11&size=11", store.Reviewer, 400}, // index not below size
		{"/api/v1/log/inclusion?index=-1&size=11", store.Reviewer, 400}, // negative
		{"/api/v1/log/inclusion?index=x&size=11", store.Reviewer, 400},  // not a number
		{"/api/v1/log/inclusion?index=0", store.Reviewer, 400},          // no size
		{"/api/v1/log/consistency?from=5&to=12", store.Reviewer, 404},   // beyond the log
		{"/api/v1/log/consistency?from=6&to=5", store.Reviewer, 400},    // from above to
		{"/api/v1/log/consistency?from=11&to=11", store.Reviewer, 200},  // empty proof
		{"/api/v1/log/leaves/11", store.Reviewer, 404},                  // no such leaf
		{"/api/v1/log/leaves/-1", store.Reviewer, 400},                  // negative
		{"/api/v1/log/leaves/0", store.Custodian, 200},                  // custodians may read leaves
		{"/api/v1/log/leaves/0", store.Interviewer, 403},                // interviewers may not
		{"/api/v1/log/checkpoint", "", 401},                             // tokens only
		{"/api/v1/log/inclusion?index=0&size=11", store.Admin, 200},     // any role may check
		{"/api/v1/log/consistency?from=1&to=11", store.Custodian, 200},  // any role may check
	} {
		if st, body := o.do(t, "GET", tc.path, tc.role, nil, nil); st != tc.want {
			t.Errorf("GET %s as %q: %d %s; want %d", tc.path, tc.role, st, body, tc.want)
		}
	}
}

// TestDeviceFetchesOwnSubmissions: an interviewer's token may fetch what its
// own device submitted (to verify it), nothing else.
func TestDeviceFetchesOwnSubmissions(t *testing.T) {
	o := newOrg(t)
	rc := o.pushN(t, 1)[0]
	if st, _ := o.do(t, "GET", "/api/v1/submissions/"+rc.ID, store.Interviewer, nil, nil); st != 200 {
		t.Errorf("own device: %d; want 200", st)
	}
	ctx := context.Background()
	for _, device := range []string{"laptop-2", ""} {
		tok, tid, hash := server.NewToken()
		if err := o.store.AddToken(ctx, store.Token{ID: tid, Role: store.Interviewer, Label: "other", Device: device, Created: "2026-11-22"}, hash); err != nil {
			t.Fatal(err)
		}
		o.tokens["other"] = tok
		for _, path := range []string{"/api/v1/submissions/" + rc.ID, "/api/v1/submissions/" + rc.ID + "/reid"} {
			if st, _ := o.do(t, "GET", path, "other", nil, nil); st != 404 {
				t.Errorf("device %q fetching another's %s: %d; want 404", device, path, st)
			}
		}
	}
}

// TestRosterLogKeyChecked: the server refuses a roster that names another
// log key, and accepts one that names its own.
func TestRosterLogKeyChecked(t *testing.T) {
	o := newOrg(t)
	r := *o.roster
	r.Version++
	r.SetLog(must(keys.ParseVerifier(must(keys.GenerateSigningKey("testimony-log-other")).Verifier())))
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, must(r.Sign(o.admin)), nil); st != 422 || code(t, body) != "log_key" {
		t.Errorf("roster with another log key: %d %s; want 422 log_key", st, body)
	}
	r.SetLog(must(keys.ParseVerifier(o.logKey.Verifier())))
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, must(r.Sign(o.admin)), nil); st != 200 {
		t.Errorf("roster with the server's log key: %d %s", st, body)
	}
}

// TestCheckpointMatchesStore: the served checkpoint's root is the tree hash
// of what the store holds.
func TestCheckpointMatchesStore(t *testing.T) {
	o := newOrg(t)
	o.pushN(t, 7)
	cp := o.checkpoint(t)
	ctx := context.Background()
	root, err := tlog.TreeHash(7, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return o.store.LogHashes(ctx, idx) }))
	if err != nil || cp.Root != root || cp.Origin != o.logKey.Name() {
		t.Errorf("checkpoint %+v; want root %x, origin %q (%v)", cp, root, o.logKey.Name(), err)
	}
}
