package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"testimony/internal/blob/disk"
	"testimony/internal/client"
	"testimony/internal/envelope"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/keys"
	"testimony/server"
)

func TestMain(m *testing.M) {
	// Key files in tests unlock in milliseconds; real ones use 18.
	keys.ScryptWorkFactor = 10
	os.Exit(m.Run())
}

// org is an organisation with a running server over a real SQLite file, a
// real blob directory and a real loopback listener, and a token per role
// (the interviewer's bound to the enrolled laptop).
type org struct {
	admin, device, logKey *keys.SigningKey
	custodian             *keys.Identity
	roster                *keys.Roster
	dir, url              string
	store                 *sqlite.Store
	tokens                map[store.Role]string
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func newOrg(t *testing.T) *org {
	t.Helper()
	o := &org{dir: t.TempDir(), tokens: map[store.Role]string{}}
	o.admin = must(keys.GenerateSigningKey("admin"))
	o.device = must(keys.GenerateSigningKey("laptop-1"))
	r := must(keys.NewRoster("Example NGO"))
	r.Add(keys.Reviewer, "reviewer 1", must(keys.GenerateIdentity(keys.Hybrid)).Recipient())
	o.custodian = must(keys.GenerateIdentity(keys.Hybrid))
	r.Add(keys.Custodian, "custodian 1", o.custodian.Recipient())
	r.AddDevice("laptop-1", must(keys.ParseVerifier(o.device.Verifier())))
	o.logKey = must(keys.GenerateSigningKey("testimony-log-test"))
	r.SetLog(must(keys.ParseVerifier(o.logKey.Verifier())))
	signed := must(r.Sign(o.admin))
	o.roster = must(keys.VerifyRoster(signed, must(keys.ParseVerifier(o.admin.Verifier())), nil))

	ctx := context.Background()
	o.store = must(sqlite.Open(filepath.Join(o.dir, "meta.db")))
	t.Cleanup(func() { o.store.Close() })
	if err := o.store.Init(ctx, o.admin.Verifier(), o.roster.Version, signed); err != nil {
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
	srv := must(server.New(ctx, server.Config{Store: o.store, Blobs: blobs, MaxUpload: 8 << 20, LogKey: o.logKey,
		Logger: server.NewLogger(slog.DiscardHandler)}))
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Config = server.NewHTTPServer(srv.Handler(), server.NewLogger(slog.DiscardHandler))
	hs.Start() // on 127.0.0.1
	t.Cleanup(hs.Close)
	o.url = hs.URL
	return o
}

// client returns a client with the token of role; warnings fail the test.
func (o *org) client(t *testing.T, role store.Role) *client.Client {
	t.Helper()
	c, err := client.New(o.url, o.tokens[role], func(w string) { t.Errorf("unexpected warning: %s", w) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seal seals note into dir as <id>.age, with a re-identification record
// as <id>.reid.age if reid is set, and returns the ID.
func (o *org) seal(t *testing.T, dir, note string, reid bool) string {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	var buf bytes.Buffer
	id := envelope.NewID()
	if _, err := envelope.Seal(&buf, envelope.Contents{Note: []byte(note)}, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", ID: id}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".age"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if reid {
		var rec bytes.Buffer
		w := must(age.Encrypt(&rec, o.custodian.Recipient().Age()))
		io.WriteString(w, `{"p1": "a real name"}`)
		w.Close()
		if err := os.WriteFile(filepath.Join(dir, id+".reid.age"), rec.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func (o *org) path(elem ...string) string { return filepath.Join(append([]string{o.dir}, elem...)...) }

// bigNote is larger than the server keeps inline, so that it is a blob.
var bigNote = strings.Repeat("면담 기록, pseudonyms only.\n", 4000)

// pushed is an org whose laptop pushed a small note (A) and a big note
// with a re-identification record (B), in that order.
func pushed(t *testing.T) (o *org, a, b string) {
	t.Helper()
	o = newOrg(t)
	a = o.seal(t, o.path("outbox"), "a short note\n", false)
	b = o.seal(t, o.path("outbox"), bigNote, true)
	c := o.client(t, store.Interviewer)
	for i, id := range []string{a, b} {
		rc, err := c.Push(context.Background(), o.path("outbox", id+".age"), o.roster.Log.Note(), o.path("receipts"))
		if err != nil {
			t.Fatalf("push %s: %v", id, err)
		}
		if rc.ID != id || rc.Log == nil || rc.Log.Index != int64(i) || (rc.Reid != nil) != (id == b) {
			t.Fatalf("receipt of %s: %+v", id, rc)
		}
	}
	return o, a, b
}

func TestPushPullVerify(t *testing.T) {
	ctx := context.Background()
	o, a, b := pushed(t)
	logKey := o.roster.Log.Note()

	// Push kept a receipt per file and the checkpoints it saw.
	for _, id := range []string{a, b} {
		var rc server.Receipt
		if err := json.Unmarshal(must(os.ReadFile(o.path("receipts", id+".json"))), &rc); err != nil || rc.ID != id {
			t.Errorf("kept receipt of %s: %+v, %v", id, rc, err)
		}
	}
	if cps, _ := filepath.Glob(o.path("receipts", "checkpoints", "*")); len(cps) != 2 {
		t.Errorf("kept checkpoints: %v, want one per push", cps)
	}
	// Pushing again is safe and gives the same receipt.
	again, err := o.client(t, store.Interviewer).Push(ctx, o.path("outbox", b+".age"), logKey, o.path("receipts"))
	if err != nil || again.ID != b || again.Log.Index != 1 {
		t.Fatalf("push again: %+v, %v", again, err)
	}

	// The reviewer pulls both sealed files, with progress.
	rev := o.client(t, store.Reviewer)
	var seen []client.Progress
	res, err := rev.Pull(ctx, o.path("inbox"), o.path("inbox", "receipts"), logKey, func(p client.Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.New, []string{a, b}) || res.Already != 0 {
		t.Errorf("pull: %+v, want %s and %s new", res, a, b)
	}
	for _, id := range []string{a, b} {
		if !bytes.Equal(must(os.ReadFile(o.path("inbox", id+".age"))), must(os.ReadFile(o.path("outbox", id+".age")))) {
			t.Errorf("pulled %s differs from the pushed file", id)
		}
		if _, err := os.Stat(o.path("inbox", "receipts", id+".json")); err != nil {
			t.Errorf("no receipt kept for pulled %s: %v", id, err)
		}
	}
	checkProgress(t, seen, map[string]int64{a: fileSize(t, o.path("outbox", a+".age")), b: fileSize(t, o.path("outbox", b+".age"))})

	// Again: nothing new, both already there.
	if res, err := rev.Pull(ctx, o.path("inbox"), o.path("inbox", "receipts"), logKey, nil); err != nil || len(res.New) != 0 || res.Already != 0 {
		// The cursor is past both: they are not even listed.
		t.Errorf("pull again: %+v, %v", res, err)
	}
	// A lost file, a partial download left behind and a lost cursor: the
	// next pull takes the file again and removes the partial one.
	os.Remove(o.path("inbox", a+".age"))
	os.Remove(o.path("inbox", ".pull-cursor"))
	os.WriteFile(o.path("inbox", "."+b+".age.tmp-1"), []byte("partial"), 0o600)
	if res, err := rev.Pull(ctx, o.path("inbox"), o.path("inbox", "receipts"), logKey, nil); err != nil || !slices.Equal(res.New, []string{a}) || res.Already != 1 {
		t.Errorf("pull after a loss: %+v, %v", res, err)
	}
	if _, err := os.Stat(o.path("inbox", "."+b+".age.tmp-1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial download is still there: %v", err)
	}

	// The custodian pulls the one re-identification record.
	res, err = o.client(t, store.Custodian).Pull(ctx, o.path("records"), o.path("records", "receipts"), logKey, nil)
	if err != nil || !slices.Equal(res.New, []string{b}) {
		t.Fatalf("custodian pull: %+v, %v", res, err)
	}
	if !bytes.Equal(must(os.ReadFile(o.path("records", b+".reid.age"))), must(os.ReadFile(o.path("outbox", b+".reid.age")))) {
		t.Errorf("pulled record differs from the pushed one")
	}

	// Every role's verify finds nothing wrong.
	for _, tc := range []struct {
		role     store.Role
		receipts string
		want     int
	}{
		{store.Interviewer, "receipts", 2},
		{store.Reviewer, "inbox/receipts", 2},
		{store.Custodian, "records/receipts", 1},
	} {
		rep, err := o.client(t, tc.role).Verify(ctx, o.path(tc.receipts), logKey)
		if err != nil {
			t.Fatalf("%s's verify: %v", tc.role, err)
		}
		if len(rep.Problems) != 0 || rep.Receipts != tc.want || rep.Checkpoints == 0 || rep.Checkpoint == nil || rep.Checkpoint.Size != 2 {
			t.Errorf("%s's verify: %+v", tc.role, rep)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// checkProgress checks that progress was reported for each file in order:
// from 0 up to its size, with the count of files taken.
func checkProgress(t *testing.T, seen []client.Progress, sizes map[string]int64) {
	t.Helper()
	last := map[string]client.Progress{}
	var order []string
	for _, p := range seen {
		prev, ok := last[p.ID]
		switch {
		case !ok && p.Bytes != 0:
			t.Errorf("progress of %s starts at %d bytes", p.ID, p.Bytes)
		case ok && p.Bytes < prev.Bytes:
			t.Errorf("progress of %s goes back from %d to %d", p.ID, prev.Bytes, p.Bytes)
		case p.Size != sizes[p.ID] || p.Bytes > p.Size:
			t.Errorf("progress %+v for a file of %d bytes", p, sizes[p.ID])
		}
		if !ok {
			order = append(order, p.ID)
		}
		last[p.ID] = p
	}
	if len(order) != len(sizes) {
		t.Fatalf("progress reported for %v, want %d files", order, len(sizes))
	}
	// Files download at once, so they may finish in any order; but each
	// finish counts one more file taken.
	var counts []int
	for _, id := range order {
		p := last[id]
		if p.Bytes != sizes[id] {
			t.Errorf("last progress of %s: %+v, want all %d bytes", id, p, sizes[id])
		}
		counts = append(counts, p.Files)
	}
	slices.Sort(counts)
	for i, n := range counts {
		if n != i+1 {
			t.Errorf("files taken when each download finished: %v, want 1 to %d once each", counts, len(sizes))
			break
		}
	}
}

// TestVerifyFindsProblems: a blob changed or removed on the server's disk
// is reported, naming the submission; the other one is not.
func TestVerifyFindsProblems(t *testing.T) {
	ctx := context.Background()
	o, a, b := pushed(t)
	logKey := o.roster.Log.Note()
	blob := o.path("blobs", b)
	orig, err := os.ReadFile(blob)
	if err != nil {
		t.Fatalf("the big note is not a blob: %v", err)
	}
	changed := bytes.Clone(orig)
	changed[len(changed)/2] ^= 1
	os.WriteFile(blob, changed, 0o600)
	rep, err := o.client(t, store.Interviewer).Verify(ctx, o.path("receipts"), logKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "submission "+b+" (log entry 1") ||
		!strings.Contains(rep.Problems[0], "the sealed file was changed: the server returns a file with SHA-256 ") ||
		strings.Contains(strings.Join(rep.Problems, "\n"), a) {
		t.Errorf("problems after a byte changed in %s: %q", b, rep.Problems)
	}

	os.Remove(o.path("blobs", b+".reid"))
	rep, err = o.client(t, store.Interviewer).Verify(ctx, o.path("receipts"), logKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 2 || !strings.Contains(rep.Problems[1], "submission "+b) || !strings.HasSuffix(rep.Problems[1], "the re-identification record is gone: the server no longer has it") {
		t.Errorf("problems after the record was removed: %q", rep.Problems)
	}
}

// TestVerifyCannotRun: no receipts to check, or a request that cannot be
// made, is an error, not a problem found.
func TestVerifyCannotRun(t *testing.T) {
	o, _, _ := pushed(t)
	c := o.client(t, store.Reviewer)
	if _, err := c.Verify(context.Background(), o.path("nothing-here"), o.roster.Log.Note()); !errors.Is(err, client.ErrNoReceipts) {
		t.Errorf("verify of an empty directory: %v, want ErrNoReceipts", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := o.client(t, store.Interviewer).Verify(ctx, o.path("receipts"), o.roster.Log.Note())
	if !errors.Is(err, context.Canceled) || len(rep.Problems) != 0 {
		t.Errorf("verify with a cancelled context: %+v, %v", rep, err)
	}
}

// TestRetries: a busy server is asked again, with a warning; a refused
// request is not.
func TestRetries(t *testing.T) {
	var calls int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v1/bad":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":"bad_request","message":"no"}`)
		case calls == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"code":"busy","message":"try later"}`)
		default:
			io.WriteString(w, `{"role":"reviewer"}`)
		}
	}))
	defer hs.Close()
	var warnings []string
	tok, _, _ := server.NewToken()
	c := must(client.New(hs.URL, tok, func(w string) { warnings = append(warnings, w) }))
	who, err := c.WhoAmI(context.Background())
	if err != nil || who.Role != "reviewer" || calls != 2 {
		t.Fatalf("whoami after a 503: %+v, %v, %d calls", who, err, calls)
	}
	if len(warnings) != 1 || warnings[0] != "server refused (503 busy): try later; trying again in 500ms" {
		t.Errorf("warnings: %q", warnings)
	}
	var se *client.StatusError
	if _, err := c.Get(context.Background(), "/bad", 100); !errors.As(err, &se) || se.Status != 400 || calls != 3 {
		t.Errorf("a 400: %v after %d calls, want one call", err, calls-2)
	}
}

func TestStatusError(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	id := o.seal(t, o.path("outbox"), "a note\n", false)
	sealed := must(os.ReadFile(o.path("outbox", id+".age")))
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"a reviewer may not upload", func() error {
			_, err := o.client(t, store.Reviewer).Put(ctx, "/submissions/"+id, sealed, nil, http.StatusCreated)
			return err
		}, 403, "forbidden"},
		{"an unknown token", func() error {
			tok, _, _ := server.NewToken()
			c := must(client.New(o.url, tok, nil))
			_, err := c.WhoAmI(ctx)
			return err
		}, 401, "unauthorized"},
		{"a bad enrollment code", func() error {
			_, err := o.client(t, "").Enroll(ctx, server.EnrollRequest{Code: "AAAAA-BBBBB-CCCCC-DDDDD"})
			return err
		}, 403, "bad_code"},
		{"a file not sealed to the roster", func() error {
			_, err := o.client(t, store.Interviewer).Put(ctx, "/submissions/"+id, []byte("not sealed"), nil, http.StatusCreated)
			return err
		}, 422, "policy"},
		{"an invalid ID", func() error {
			_, err := o.client(t, store.Reviewer).Get(ctx, "/submissions/nope", 1<<20)
			return err
		}, 400, "bad_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var se *client.StatusError
			if !errors.As(err, &se) || se.Status != tc.status || se.Code != tc.code || se.Message == "" {
				t.Fatalf("error %v (%#v), want status %d code %s", err, se, tc.status, tc.code)
			}
			if want := "server refused (" + strconv.Itoa(tc.status) + " " + tc.code + "): "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error text %q does not start with %q", err, want)
			}
		})
	}
}

func TestPutGet(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	id := o.seal(t, o.path("outbox"), bigNote, false)
	sealed := must(os.ReadFile(o.path("outbox", id+".age")))

	// An upload goes with its Content-Digest, which the server checks.
	body, err := o.client(t, store.Interviewer).Put(ctx, "/submissions/"+id, sealed, nil, http.StatusCreated)
	if err != nil {
		t.Fatal(err)
	}
	var rc server.Receipt
	sum := sha256.Sum256(sealed)
	if err := json.Unmarshal(body, &rc); err != nil || rc.ID != id || rc.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("receipt %s, %v", body, err)
	}
	got, err := o.client(t, store.Reviewer).Get(ctx, "/submissions/"+id, int64(len(sealed)))
	if err != nil || !bytes.Equal(got, sealed) {
		t.Fatalf("get: %d bytes, %v; want the %d bytes put", len(got), err, len(sealed))
	}
	if _, err := o.client(t, store.Reviewer).Get(ctx, "/submissions/"+id, int64(len(sealed)-1)); err == nil {
		t.Errorf("get with a limit below the size: no error")
	}

	// The admin publishes a newer roster; Roster returns it.
	next := must(keys.VerifyRoster(must(o.roster.Sign(o.admin)), must(keys.ParseVerifier(o.admin.Verifier())), nil))
	next.Version++
	next.AddDevice("laptop-2", must(keys.ParseVerifier(must(keys.GenerateSigningKey("laptop-2")).Verifier())))
	signed := must(next.Sign(o.admin))
	if _, err := o.client(t, store.Admin).Put(ctx, "/roster", signed, http.Header{"X-Unused": {"1"}}, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	if got, err := o.client(t, store.Reviewer).Roster(ctx); err != nil || !bytes.Equal(got, signed) {
		t.Errorf("roster after publishing: %q, %v", got, err)
	}

	who, err := o.client(t, store.Interviewer).WhoAmI(ctx)
	if err != nil || who.Role != "interviewer" || who.Device != "laptop-1" || who.Label != "interviewer" || who.ID == "" {
		t.Errorf("whoami: %+v, %v", who, err)
	}
}

func TestEnroll(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	code, hash := server.NewEnrollmentCode()
	if err := o.store.AddEnrollment(ctx, hash, store.Enrollment{Role: store.Interviewer, Label: "laptop 2", Device: "laptop-2", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	laptop := must(keys.GenerateSigningKey("laptop-2"))
	er, err := o.client(t, "").Enroll(ctx, server.EnrollRequest{Code: code, DevicePub: laptop.Verifier()})
	if err != nil || !client.ValidToken(er.Token) || er.Role != store.Interviewer || er.Label != "laptop 2" || er.Device != "laptop-2" {
		t.Fatalf("enroll: %+v, %v", er, err)
	}
	who, err := must(client.New(o.url, er.Token, nil)).WhoAmI(ctx)
	if err != nil || who.Role != "interviewer" || who.Device != "laptop-2" {
		t.Errorf("whoami with the new token: %+v, %v", who, err)
	}
	// A code works once.
	var se *client.StatusError
	if _, err := o.client(t, "").Enroll(ctx, server.EnrollRequest{Code: code}); !errors.As(err, &se) || se.Code != "bad_code" {
		t.Errorf("enroll again: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "intake.example.org", "ftp://intake.example.org", "https://", "http:///api", "//intake.example.org", "https://intake.example.org:bad port", "file:///etc/passwd"} {
		if _, err := client.New(u, "", nil); !errors.Is(err, client.ErrBadURL) {
			t.Errorf("New(%q): %v, want ErrBadURL", u, err)
		}
		if err := client.CheckURL(u); !errors.Is(err, client.ErrBadURL) {
			t.Errorf("CheckURL(%q): %v, want ErrBadURL", u, err)
		}
	}
	for _, tc := range []struct {
		url, route, want string
		warns            bool
	}{
		{"https://intake.example.org", "/whoami", "https://intake.example.org/api/v1/whoami", false},
		{"https://intake.example.org/ngo/", "/roster", "https://intake.example.org/ngo/api/v1/roster", false},
		{"http://127.0.0.1:8080", "/whoami", "http://127.0.0.1:8080/api/v1/whoami", false},
		{"http://localhost:8080", "/whoami", "http://localhost:8080/api/v1/whoami", false},
		{"http://[::1]:8080", "/whoami", "http://[::1]:8080/api/v1/whoami", false},
		// Plain http to another host sends the token in the clear.
		{"http://intake.example.org", "/whoami", "http://intake.example.org/api/v1/whoami", true},
	} {
		var warnings []string
		c, err := client.New(tc.url, "", func(w string) { warnings = append(warnings, w) })
		if err != nil {
			t.Errorf("New(%q): %v", tc.url, err)
			continue
		}
		if got := c.URL(tc.route); got != tc.want {
			t.Errorf("New(%q).URL(%q) = %q, want %q", tc.url, tc.route, got, tc.want)
		}
		if warned := len(warnings) == 1 && strings.Contains(warnings[0], "plain http"); warned != tc.warns || len(warnings) > 1 {
			t.Errorf("New(%q) warned %q", tc.url, warnings)
		}
	}
	tok, _, _ := server.NewToken()
	if _, err := client.New("https://intake.example.org", tok, nil); err != nil || !client.ValidToken(tok) {
		t.Errorf("a valid token: %v", err)
	}
	for _, bad := range []string{"tmy_", "not a token", tok + "x", "Bearer " + tok} {
		if client.ValidToken(bad) {
			t.Errorf("ValidToken(%q) = true", bad)
		}
		if _, err := client.New("https://intake.example.org", bad, nil); !errors.Is(err, client.ErrBadToken) {
			t.Errorf("New with token %q: %v, want ErrBadToken", bad, err)
		}
	}
}

func TestLogKey(t *testing.T) {
	o := newOrg(t)
	key, err := client.LogKey(o.roster)
	if err != nil || key.Name() != "testimony-log-test" {
		t.Errorf("LogKey: %v, %v", key, err)
	}
	r := must(keys.NewRoster("Example NGO"))
	if _, err := client.LogKey(r); err == nil || !strings.Contains(err.Error(), "names no log key") {
		t.Errorf("LogKey of a roster without one: %v", err)
	}
}

// TestPushRefusesUnprovedReceipts: a receipt that the roster's log key does
// not prove is no upload, and is not kept.
func TestPushRefusesUnprovedReceipts(t *testing.T) {
	o := newOrg(t)
	id := o.seal(t, o.path("outbox"), "a note\n", false)
	other := must(keys.ParseVerifier(must(keys.GenerateSigningKey("testimony-log-test")).Verifier()))
	_, err := o.client(t, store.Interviewer).Push(context.Background(), o.path("outbox", id+".age"), other.Note(), o.path("receipts"))
	if err == nil || !strings.Contains(err.Error(), "does not prove that its log holds it") || errors.Is(err, client.ErrLocal) {
		t.Errorf("push checked with another log key: %v", err)
	}
	if _, err := os.Stat(o.path("receipts", id+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a receipt was kept for an unproved upload: %v", err)
	}
}

func TestPushErrors(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	c := o.client(t, store.Interviewer)
	logKey := o.roster.Log.Note()
	id := o.seal(t, o.path("outbox"), "a note\n", false)
	os.WriteFile(o.path("note.age"), []byte("x"), 0o600)
	if _, err := c.Push(ctx, o.path("note.age"), logKey, o.path("receipts")); err == nil || !strings.Contains(err.Error(), "not named <id>.age") {
		t.Errorf("push of a file not named by its ID: %v", err)
	}
	// A receipts directory that cannot be made: the upload was accepted,
	// but the error is this machine's.
	os.WriteFile(o.path("file"), nil, 0o600)
	if _, err := c.Push(ctx, o.path("outbox", id+".age"), logKey, o.path("file")); !errors.Is(err, client.ErrLocal) {
		t.Errorf("push into a receipts directory that is a file: %v, want ErrLocal", err)
	}
}

func TestPullRoles(t *testing.T) {
	o := newOrg(t)
	for _, role := range []store.Role{store.Interviewer, store.Admin} {
		_, err := o.client(t, role).Pull(context.Background(), o.path("inbox"), o.path("inbox", "receipts"), o.roster.Log.Note(), nil)
		if err == nil || !strings.Contains(err.Error(), "only reviewers and custodians pull") {
			t.Errorf("%s pulls: %v", role, err)
		}
	}
}

// TestConcurrentUse: one client serves many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	o, a, _ := pushed(t)
	c := o.client(t, store.Reviewer)
	want := must(os.ReadFile(o.path("outbox", a+".age")))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if who, err := c.WhoAmI(context.Background()); err != nil || who.Role != "reviewer" {
				t.Errorf("whoami: %+v, %v", who, err)
			}
			if got, err := c.Get(context.Background(), "/submissions/"+a, 1<<20); err != nil || !bytes.Equal(got, want) {
				t.Errorf("get: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestRateLimited: a server that answers 429 with Retry-After is asked
// again only after the wait it asked for; and verify, refused for its rate
// of requests, reports that the check could not be made, never that the
// server lost the files it could not fetch.
func TestRateLimited(t *testing.T) {
	ctx := context.Background()
	o, _, _ := pushed(t)
	target := must(url.Parse(o.url))
	var mu sync.Mutex
	var limitFiles bool
	first := true
	proxy := httputil.NewSingleHostReverseProxy(target)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		limit := first || (limitFiles && strings.HasPrefix(r.URL.Path, "/api/v1/submissions/"))
		first = false
		mu.Unlock()
		if limit {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"code":"rate_limited","message":"too many requests; wait a minute and try again"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer hs.Close()
	var warnings []string
	c := must(client.New(hs.URL, o.tokens[store.Interviewer], func(w string) { mu.Lock(); warnings = append(warnings, w); mu.Unlock() }))

	start := time.Now()
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("asked again after %v, before the 2 s the server asked for", took)
	}
	if len(warnings) != 1 || !strings.HasSuffix(warnings[0], "trying again in 2s") {
		t.Errorf("warnings: %q", warnings)
	}

	mu.Lock()
	limitFiles = true
	mu.Unlock()
	rep, err := c.Verify(ctx, o.path("receipts"), o.roster.Log.Note())
	if err == nil || !strings.Contains(err.Error(), "rate limit stopped the check") {
		t.Errorf("verify refused for its rate: %v, want an error saying the check could not be made", err)
	}
	for _, p := range rep.Problems {
		if strings.Contains(p, "cannot be fetched") || strings.Contains(p, "gone") {
			t.Errorf("a file the rate limit kept from verify is reported lost: %s", p)
		}
	}
}
