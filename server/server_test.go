package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"testimony/internal/blob/disk"
	"testimony/internal/envelope"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/keys"
	"testimony/server"
)

// org is an organisation with its keys and a running server over a real
// SQLite file, a real blob directory and a real loopback listener.
type org struct {
	admin      *keys.SigningKey
	logKey     *keys.SigningKey
	device     *keys.SigningKey
	reviewers  []*keys.Identity
	custodian  *keys.Identity
	roster     *keys.Roster
	signed     []byte
	dir        string
	url        string
	tokens     map[store.Role]string
	logs       *bytes.Buffer
	store      *sqlite.Store
	httpServer *httptest.Server
}

// must returns v, or panics (failing the test) if err is set.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func newOrg(t *testing.T, configure ...func(*server.Config)) *org {
	t.Helper()
	o := &org{dir: t.TempDir(), tokens: map[store.Role]string{}, logs: &bytes.Buffer{}}
	o.admin = must(keys.GenerateSigningKey("admin"))
	o.device = must(keys.GenerateSigningKey("laptop-1"))
	r := must(keys.NewRoster("Example NGO"))
	for i := range 2 {
		id := must(keys.GenerateIdentity(keys.Hybrid))
		o.reviewers = append(o.reviewers, id)
		r.Add(keys.Reviewer, fmt.Sprintf("reviewer %d", i+1), id.Recipient())
	}
	o.custodian = must(keys.GenerateIdentity(keys.Hybrid))
	r.Add(keys.Custodian, "custodian 1", o.custodian.Recipient())
	r.AddDevice("laptop-1", must(keys.ParseVerifier(o.device.Verifier())))
	o.logKey = must(keys.GenerateSigningKey("testimony-log-test"))
	r.SetLog(must(keys.ParseVerifier(o.logKey.Verifier())))
	o.signed = must(r.Sign(o.admin))
	o.roster = must(keys.VerifyRoster(o.signed, must(keys.ParseVerifier(o.admin.Verifier())), nil))

	o.store = must(sqlite.Open(filepath.Join(o.dir, "meta.db")))
	t.Cleanup(func() { o.store.Close() })
	ctx := context.Background()
	if err := o.store.Init(ctx, o.admin.Verifier(), o.roster.Version, o.signed); err != nil {
		t.Fatal(err)
	}
	for _, role := range []store.Role{store.Interviewer, store.Reviewer, store.Custodian, store.Admin} {
		tok, id, hash := server.NewToken()
		tk := store.Token{ID: id, Role: role, Label: string(role), Created: "2026-11-22"}
		if role == store.Interviewer {
			tk.Device, tk.DevicePub = "laptop-1", o.device.Verifier()
		}
		if err := o.store.AddToken(ctx, tk, hash); err != nil {
			t.Fatal(err)
		}
		o.tokens[role] = tok
	}
	blobs := must(disk.Open(filepath.Join(o.dir, "blobs")))
	t.Cleanup(func() { blobs.Close() })
	cfg := server.Config{
		Store: o.store, Blobs: blobs, MaxUpload: 8 << 20, LogKey: o.logKey,
		Logger: server.NewLogger(slog.NewJSONHandler(&syncWriter{w: o.logs}, nil)),
	}
	for _, f := range configure {
		f(&cfg)
	}
	srv := must(server.New(ctx, cfg))
	o.httpServer = httptest.NewUnstartedServer(srv.Handler())
	o.httpServer.Config = server.NewHTTPServer(srv.Handler(), server.NewLogger(slog.NewJSONHandler(&syncWriter{w: o.logs}, nil)))
	o.httpServer.Start()
	t.Cleanup(o.httpServer.Close)
	o.url = o.httpServer.URL
	return o
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// seal makes a sealed file for the org's roster (or another roster).
func (o *org) seal(t testing.TB, r *keys.Roster, note string) (string, []byte) {
	t.Helper()
	if r == nil {
		r = o.roster
	}
	var buf bytes.Buffer
	id := envelope.NewID()
	if _, err := envelope.Seal(&buf, envelope.Contents{Note: []byte(note)}, envelope.Options{Roster: r, Device: o.device, DeviceID: "laptop-1", ID: id}); err != nil {
		t.Fatal(err)
	}
	return id, buf.Bytes()
}

func (o *org) do(t testing.TB, method, path string, role store.Role, body []byte, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, o.url+path, bytes.NewReader(body))
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+o.tokens[role])
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func digestHeader(b []byte) map[string]string {
	return map[string]string{"Content-Digest": server.ContentDigest(sha256.Sum256(b))}
}

func (o *org) put(t testing.TB, id string, b []byte) (int, []byte) {
	return o.do(t, "PUT", "/api/v1/submissions/"+id, store.Interviewer, b, digestHeader(b))
}

func code(t testing.TB, body []byte) string {
	var e struct{ Code string }
	json.Unmarshal(body, &e)
	return e.Code
}

func TestSubmitListFetchOpen(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "박영수 씨의 증언\n")
	st, body := o.put(t, id, sealed)
	if st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, body)
	}
	var rc server.Receipt
	json.Unmarshal(body, &rc)
	sum := sha256.Sum256(sealed)
	if rc.ID != id || rc.SHA256 != fmt.Sprintf("%x", sum) || rc.Size != int64(len(sealed)) || len(rc.Day) != 10 {
		t.Errorf("receipt %+v", rc)
	}
	// Again: the same receipt, 200.
	st, body2 := o.put(t, id, sealed)
	if st != http.StatusOK || !bytes.Equal(body, body2) {
		t.Errorf("retry: %d %s", st, body2)
	}
	// Another file under the same ID: 409.
	_, other := o.seal(t, nil, "another note\n")
	if st, body := o.put(t, id, other); st != http.StatusConflict || code(t, body) != "conflict" {
		t.Errorf("other body: %d %s", st, body)
	}
	st, body = o.do(t, "GET", "/api/v1/submissions", store.Reviewer, nil, nil)
	var list struct {
		Submissions []server.Listed
		Next        int64
	}
	json.Unmarshal(body, &list)
	if st != 200 || len(list.Submissions) != 1 || list.Submissions[0].ID != id || list.Submissions[0].Device != "laptop-1" || list.Next != 1 {
		t.Fatalf("list: %d %s", st, body)
	}
	st, body = o.do(t, "GET", "/api/v1/submissions?after=1", store.Reviewer, nil, nil)
	if st != 200 || !strings.Contains(string(body), `"submissions":[]`) {
		t.Errorf("list after: %d %s", st, body)
	}
	st, got := o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil)
	if st != 200 || !bytes.Equal(got, sealed) {
		t.Fatalf("GET: %d, %d bytes", st, len(got))
	}
	m := &envelope.Memory{}
	if _, err := envelope.Open(bytes.NewReader(got), int64(len(got)), m, envelope.OpenOptions{Identity: o.reviewers[1], Roster: o.roster, ID: id}); err != nil {
		t.Fatalf("the fetched file does not open: %v", err)
	}
	if string(m.Entries["note.md"]) != "박영수 씨의 증언\n" {
		t.Errorf("note %q", m.Entries["note.md"])
	}
}

func TestRoles(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "x")
	for _, tc := range []struct {
		method, path string
		role         store.Role
		body         []byte
		want         int
	}{
		{"PUT", "/api/v1/submissions/" + id, "", sealed, 401},
		{"PUT", "/api/v1/submissions/" + id, store.Reviewer, sealed, 403},
		{"PUT", "/api/v1/submissions/" + id, store.Admin, sealed, 403},
		{"GET", "/api/v1/submissions", store.Interviewer, nil, 403},
		{"GET", "/api/v1/submissions", store.Admin, nil, 403},
		{"GET", "/api/v1/submissions/" + id, store.Custodian, nil, 403},
		{"GET", "/api/v1/submissions/" + id + "/reid", store.Reviewer, nil, 403},
		{"PUT", "/api/v1/roster", store.Reviewer, o.signed, 403},
		{"GET", "/api/v1/roster", "", nil, 401},
		{"GET", "/api/v1/roster", store.Interviewer, nil, 200},
		{"GET", "/healthz", "", nil, 200},
	} {
		st, body := o.do(t, tc.method, tc.path, tc.role, tc.body, digestHeader(tc.body))
		if st != tc.want {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.role, st, body, tc.want)
		}
	}
	// A token that was changed, and one that was revoked.
	tok := o.tokens[store.Reviewer]
	forged := "A"
	if strings.HasSuffix(tok, forged) {
		forged = "B" // the token must change
	}
	o.tokens["forged"] = tok[:len(tok)-1] + forged
	if st, _ := o.do(t, "GET", "/api/v1/submissions", "forged", nil, nil); st != 401 {
		t.Errorf("forged token: %d", st)
	}
	tid, _, _ := server.ParseToken(tok)
	o.store.RevokeToken(context.Background(), tid)
	if st, _ := o.do(t, "GET", "/api/v1/submissions", store.Reviewer, nil, nil); st != 401 {
		t.Errorf("revoked token: %d", st)
	}
}

// TestRejectsLeaveNothing: every refused upload leaves no file and no row.
func TestRejectsLeaveNothing(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "x")
	// A roster with one more reviewer: a file sealed to it has 3 stanzas.
	extra := *o.roster
	extra.Reviewers = append(extra.Reviewers[:2:2], keys.Member{Label: "reviewer 3", Recipient: o.custodian.Recipient()})
	extra.Custodians = nil
	_, three := o.seal(t, &extra, "x")
	classic := must(keys.GenerateIdentity(keys.Classic))
	var buf bytes.Buffer
	w, _ := ageEncrypt(&buf, classic, classic)
	w.Write(make([]byte, 2000))
	w.Close()

	for _, tc := range []struct {
		name   string
		id     string
		body   []byte
		header map[string]string
		status int
		code   string
	}{
		{"three recipients", id, three, nil, 422, "policy"},
		{"classic recipients", id, buf.Bytes(), nil, 422, "policy"},
		{"not age", id, []byte("hello world, this is plain text"), nil, 422, "policy"},
		{"truncated", id, sealed[:len(sealed)-100], nil, 422, "policy"},
		{"digest mismatch", id, sealed, digestHeader([]byte("other")), 400, "digest_mismatch"},
		{"no digest", id, sealed, map[string]string{"Content-Digest": ""}, 400, "digest_required"},
		{"too large", id, append(bytes.Clone(sealed), make([]byte, 9<<20)...), nil, 413, "too_large"},
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
			st, body := o.do(t, "PUT", "/api/v1/submissions/"+tc.id, store.Interviewer, tc.body, h)
			if st != tc.status || code(t, body) != tc.code {
				t.Errorf("%d %s, want %d %s", st, body, tc.status, tc.code)
			}
		})
	}
	if st, body := o.do(t, "GET", "/api/v1/submissions", store.Reviewer, nil, nil); !strings.Contains(string(body), `"submissions":[]`) {
		t.Errorf("something was listed: %d %s", st, body)
	}
	entries, _ := os.ReadDir(filepath.Join(o.dir, "blobs"))
	for _, e := range entries {
		t.Errorf("left in the blob directory: %s", e.Name())
	}
	// And the real file is still accepted afterwards.
	if st, body := o.put(t, id, sealed); st != 201 {
		t.Errorf("valid upload after rejections: %d %s", st, body)
	}
}

// TestAbortedUploadLeavesNothing cuts an upload halfway through.
func TestAbortedUploadLeavesNothing(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, strings.Repeat("long note ", 50000))
	conn, err := net.Dial("tcp", strings.TrimPrefix(o.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /api/v1/submissions/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Digest: %s\r\nContent-Length: %d\r\n\r\n",
		id, o.tokens[store.Interviewer], server.ContentDigest(sha256.Sum256(sealed)), len(sealed))
	conn.Write(sealed[:len(sealed)/2])
	conn.Close()
	// The server notices the cut when it next reads; a healthz round trip
	// cannot prove that, so retry the check a bounded number of times.
	for range 50 {
		if st, _ := o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil); st != 404 {
			t.Fatalf("a cut upload is visible: %d", st)
		}
		entries, _ := os.ReadDir(filepath.Join(o.dir, "blobs"))
		if len(entries) == 0 {
			break
		}
	}
	if st, _ := o.put(t, id, sealed); st != 201 {
		t.Errorf("the whole upload after a cut one: %d", st)
	}
	// A file this large lives in the blob store, not in the database.
	if _, err := os.Stat(filepath.Join(o.dir, "blobs", id)); err != nil {
		t.Errorf("a %d-byte file is not in the blob store: %v", len(sealed), err)
	}
	if st, got := o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil); st != 200 || !bytes.Equal(got, sealed) {
		t.Errorf("GET of the large file: %d, %d bytes", st, len(got))
	}
}

// TestSmallFilesInline: a note is stored in the metadata transaction, not as
// a blob, and served whole.
func TestSmallFilesInline(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "short note\n")
	if st, body := o.put(t, id, sealed); st != 201 {
		t.Fatalf("PUT: %d %s", st, body)
	}
	if entries, _ := os.ReadDir(filepath.Join(o.dir, "blobs")); len(entries) != 0 {
		t.Errorf("a %d-byte note went to the blob store", len(sealed))
	}
	st, got := o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil)
	if st != 200 || !bytes.Equal(got, sealed) {
		t.Errorf("GET: %d, %d bytes", st, len(got))
	}
}

func TestConcurrentSameID(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "x")
	var wg sync.WaitGroup
	statuses := make([]int, 100)
	bodies := make([][]byte, 100)
	for i := range 100 {
		wg.Go(func() { statuses[i], bodies[i] = o.put(t, id, sealed) })
	}
	wg.Wait()
	created := 0
	for i, st := range statuses {
		if st == 201 {
			created++
		} else if st != 200 {
			t.Errorf("upload %d: %d %s", i, st, bodies[i])
		}
		var a, b server.Receipt
		json.Unmarshal(bodies[i], &a)
		json.Unmarshal(bodies[0], &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("upload %d: receipt %+v differs from %+v", i, a, b)
		}
		if _, err := a.Verify(o.roster.Log.Note()); err != nil {
			t.Errorf("upload %d: receipt does not verify: %v", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d uploads created the submission, want 1", created)
	}
}

func TestReidCommittedTogether(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "x")
	reid := sealTo(t, o.custodian, "p1 김석한 → 박영수\n")
	rh := digestHeader(reid)
	// The sealed file naming a record that was never uploaded: refused.
	h := digestHeader(sealed)
	h["Testimony-Reid-Digest"] = rh["Content-Digest"]
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, store.Interviewer, sealed, h); st != 409 || code(t, body) != "reid_missing" {
		t.Fatalf("without the record: %d %s", st, body)
	}
	// A record sealed to the reviewers (two stanzas) is refused: the
	// policy counts custodians.
	if st, _ := o.do(t, "PUT", "/api/v1/submissions/"+id+"/reid", store.Interviewer, sealed, digestHeader(sealed)); st != 422 {
		t.Errorf("record to the wrong recipients: %d", st)
	}
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id+"/reid", store.Interviewer, reid, rh); st != 202 {
		t.Fatalf("PUT reid: %d %s", st, body)
	}
	// Staged, not visible.
	if st, _ := o.do(t, "GET", "/api/v1/submissions/"+id+"/reid", store.Custodian, nil, nil); st != 404 {
		t.Errorf("staged record visible: %d", st)
	}
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, store.Interviewer, sealed, h); st != 201 || !strings.Contains(string(body), `"reid"`) {
		t.Fatalf("PUT with record: %d %s", st, body)
	}
	st, got := o.do(t, "GET", "/api/v1/submissions/"+id+"/reid", store.Custodian, nil, nil)
	if st != 200 || !bytes.Equal(got, reid) {
		t.Errorf("GET reid: %d", st)
	}
	// The same file without its record is another submission: 409.
	if st, _ := o.put(t, id, sealed); st != 409 {
		t.Errorf("same file without the record: %d", st)
	}
}

func TestRosterUpdate(t *testing.T) {
	o := newOrg(t)
	next := *o.roster
	next.Version++
	newer := must(next.Sign(o.admin))
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, newer, nil); st != 200 {
		t.Fatalf("newer roster: %d %s", st, body)
	}
	if st, body := o.do(t, "GET", "/api/v1/roster", store.Reviewer, nil, nil); st != 200 || !bytes.Equal(body, newer) {
		t.Errorf("GET roster after update: %d", st)
	}
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, o.signed, nil); st != 422 || !strings.Contains(string(body), "rollback") {
		t.Errorf("older roster: %d %s", st, body)
	}
	mallory := must(keys.GenerateSigningKey("admin"))
	next.Version++
	forged := must(next.Sign(mallory))
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, forged, nil); st != 422 || code(t, body) != "roster" {
		t.Errorf("roster by another key: %d %s", st, body)
	}
}

// TestLogsCarryNothingIdentifying checks the request log after a full
// flow: no submission ID, no token, no address.
func TestLogsCarryNothingIdentifying(t *testing.T) {
	o := newOrg(t)
	id, sealed := o.seal(t, nil, "x")
	o.put(t, id, sealed)
	o.do(t, "GET", "/api/v1/submissions/"+id, store.Reviewer, nil, nil)
	o.do(t, "GET", "/api/v1/submissions/"+strings.ToUpper(id), store.Reviewer, nil, nil)
	logs := o.logs.String()
	if !strings.Contains(logs, `"route":"/api/v1/submissions/{id}"`) {
		t.Fatalf("the log lacks the requests: %s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct{ Time string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || !strings.HasSuffix(rec.Time, ":00:00Z") {
			t.Errorf("log time %q is not cut to the hour (%v)", rec.Time, err)
		}
	}
	for _, secret := range []string{id, strings.ToUpper(id), o.tokens[store.Interviewer], o.tokens[store.Reviewer][4:20], "127.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// TestRateLimits: a token, and an address, past their allowance get 429;
// another token from another address is not affected by the first.
func TestRateLimits(t *testing.T) {
	o := newOrg(t, func(c *server.Config) { c.RatePerToken = 3; c.RatePerAddress = 1000 })
	for i := range 4 {
		st, body := o.do(t, "GET", "/api/v1/whoami", store.Reviewer, nil, nil)
		if want := map[bool]int{true: 200, false: 429}[i < 3]; st != want {
			t.Errorf("request %d with one token: %d %s, want %d", i+1, st, body, want)
		}
	}
	if st, _ := o.do(t, "GET", "/api/v1/whoami", store.Custodian, nil, nil); st != 200 {
		t.Errorf("another token was limited too: %d", st)
	}
	p := newOrg(t, func(c *server.Config) { c.RatePerAddress = 2; c.RatePerToken = -1 })
	for i := range 3 {
		st, body := p.do(t, "GET", "/healthz", "", nil, nil)
		if want := map[bool]int{true: 200, false: 429}[i < 2]; st != want {
			t.Errorf("request %d from one address: %d %s, want %d", i+1, st, body, want)
		}
	}
}
