package desk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"testimony/internal/envelope"
	"testimony/keys"
)

// smallReviewer makes a reviewer home whose inbox holds one sealed file
// with a note and a recording, and returns the desk, the file's ID and the
// recording.
func smallReviewer(t *testing.T) (*Desk, string, []byte) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "reviewer")
	admin := must(keys.GenerateSigningKey("admin"))
	device := must(keys.GenerateSigningKey("laptop-1"))
	id := must(keys.GenerateIdentity(keys.Hybrid))
	r := must(keys.NewRoster("Example NGO"))
	r.Add(keys.Reviewer, "reviewer 1", id.Recipient())
	r.AddDevice("laptop-1", must(keys.ParseVerifier(device.Verifier())))
	r.SetLog(must(keys.ParseVerifier(must(keys.GenerateSigningKey("testimony-log")).Verifier())))
	signed := must(r.Sign(admin))
	if err := Create(home, Setup{Role: Reviewer, Label: "reviewer 1", Server: "http://127.0.0.1:9", AdminPub: admin.Verifier(),
		Roster: signed, Token: "tmy_0123456789abcdef_" + strings.Repeat("A", 43), Passphrase: must(keys.NewPassphrase(benchPass)), Identity: id}); err != nil {
		t.Fatal(err)
	}
	roster := must(keys.VerifyRoster(signed, must(keys.ParseVerifier(admin.Verifier())), nil))
	// Three age chunks and a bit, with a pattern, so that ranges show.
	rec := make([]byte, 200<<10+123)
	for i := range rec {
		rec[i] = byte(i*7 + i>>16)
	}
	copy(rec, "ID3") // sniffs as audio
	tid := envelope.NewID()
	os.MkdirAll(filepath.Join(home, "inbox"), 0o700)
	out := must(os.Create(filepath.Join(home, "inbox", tid+".age")))
	att := envelope.Attachment{Ext: "mp3", Size: int64(len(rec)), Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(rec)), nil }}
	if _, err := envelope.Seal(out, envelope.Contents{Note: []byte("그날 밤 우리는 강을 건넜다. Canary-note."), Attachments: []envelope.Attachment{att}},
		envelope.Options{Roster: roster, Device: device, DeviceID: "laptop-1", ID: tid, Day: "2026-03-14", Language: "ko"}); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return must(New(Config{Home: home})), tid, rec
}

// A sealed file is opened once, when the desk first finds it; unlocking
// again lists it from the encrypted store without opening it; its page
// opens it again with full authentication; its recording streams from a
// temporary file that holds no plaintext, with ranges, and is gone at lock.
func TestInboxOnDemand(t *testing.T) {
	d, tid, rec := smallReviewer(t)
	pass := must(keys.ExistingPassphrase(benchPass))
	u, err := d.unlockWith(context.Background(), pass)
	if err != nil {
		t.Fatal(err)
	}
	waitImported := func(u *unlocked) *testimony {
		t.Helper()
		<-u.inbox.searchReady
		for range 200 {
			u.inbox.mu.RLock()
			it, pending := u.inbox.items[tid], u.inbox.pending
			u.inbox.mu.RUnlock()
			if it != nil && pending == 0 {
				return it
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the sealed file was not imported")
		return nil
	}
	if it := waitImported(u); it.M == nil || it.M.Day != "2026-03-14" || !it.indexed {
		t.Fatalf("imported: %+v", it)
	}
	if v := d.inboxData(t.Context(), u, "canary note", 1); v.Matches != 1 {
		t.Errorf("search found %d, want 1", v.Matches)
	}

	// The page: note and attachment, opened from the file.
	v := testimonyData(u, tid)
	if v == nil || v.T.M == nil || !strings.Contains(v.T.Note, "Canary-note") || len(v.T.Attached) != 1 || v.T.Attached[0].Kind() != "audio" {
		t.Fatalf("page: %+v", v)
	}
	get := func(rng string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/t/"+tid+"/a/01.mp3", nil)
		req.SetPathValue("id", tid)
		req.SetPathValue("n", "01.mp3")
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		w := httptest.NewRecorder()
		d.attachment(w, req, u)
		return w
	}
	if w := get(""); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), rec) {
		t.Fatalf("attachment: %d, %d bytes", w.Code, w.Body.Len())
	}
	from := 70 << 10
	if w := get(fmt.Sprintf("bytes=%d-%d", from, from+99)); w.Code != http.StatusPartialContent || !bytes.Equal(w.Body.Bytes(), rec[from:from+100]) {
		t.Fatalf("range: %d, %d bytes", w.Code, w.Body.Len())
	}
	kept, _ := filepath.Glob(filepath.Join(d.cacheDir(), "*"))
	if len(kept) != 1 {
		t.Fatalf("kept attachments: %v", kept)
	}
	if b := must(os.ReadFile(kept[0])); bytes.Contains(b, rec[1000:1064]) {
		t.Error("the kept attachment holds plaintext")
	}
	u.forget()
	if _, err := os.Stat(d.cacheDir()); !os.IsNotExist(err) {
		t.Errorf("kept attachments after lock: %v", err)
	}

	// Change the sealed file but keep its size and time: unlocking again
	// lists it from the store without opening it (a full re-open at
	// unlock would mark it), and its page, which opens it, refuses it.
	path := filepath.Join(d.path("inbox"), tid+".age")
	fi := must(os.Stat(path))
	b := must(os.ReadFile(path))
	b[len(b)-100] ^= 1
	os.WriteFile(path, b, 0o600)
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	u, err = d.unlockWith(context.Background(), pass)
	if err != nil {
		t.Fatal(err)
	}
	defer u.forget()
	if it := waitImported(u); it.M == nil || it.Err != "" {
		t.Errorf("listed after unlock: %+v; want the stored entry, not a new opening", it)
	}
	if v := testimonyData(u, tid); v == nil || v.T.M != nil || v.T.Err == "" {
		t.Errorf("the page of a changed file: %+v", v.T)
	}
	if w := get(""); w.Code != http.StatusNotFound {
		t.Errorf("an attachment of a changed file: %d", w.Code)
	}
	if kept, _ := filepath.Glob(filepath.Join(d.cacheDir(), "*")); len(kept) != 0 {
		t.Errorf("a changed file left kept attachments: %v", kept)
	}
	// A file whose time changed is opened again, and shown as refused.
	os.Chtimes(path, fi.ModTime().Add(time.Second), fi.ModTime().Add(time.Second))
	if err := d.importInbox(u.inbox); err != nil {
		t.Fatal(err)
	}
	u.inbox.mu.RLock()
	it := u.inbox.items[tid]
	u.inbox.mu.RUnlock()
	if it.M != nil || it.Err == "" {
		t.Errorf("re-imported changed file: %+v", it)
	}
}
