package desk_test

import (
	"bytes"
	"context"
	"database/sql"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"testimony/desk"
	"testimony/internal/annotation"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// reviewerToken makes a reviewer token labelled label, as the server's
// admin can.
func (o *org) reviewerToken(t *testing.T, label string) string {
	t.Helper()
	token, id, hash := server.NewToken()
	tk := store.Token{ID: id, Role: store.Reviewer, Label: label, Created: "2026-12-01"}
	if err := o.store.AddToken(context.Background(), tk, hash); err != nil {
		t.Fatal(err)
	}
	return token
}

// TestSignedAnnotations: a reviewer's annotation is shown with the author
// whose signature verifies, whatever the server says; a reviewer whose
// signing key the roster does not list cannot annotate and is told how to
// get it listed.
//
// The attacks, each against a real server and desk: the server relabels a
// genuine annotation's author; a genuine annotation is re-filed under
// another ID; an annotation signed by a key outside the roster is uploaded
// under a reviewer's label; an unsigned old-format annotation is uploaded
// under a reviewer's label.
func TestSignedAnnotations(t *testing.T) {
	o := newOrgWith(t, orgOptions{unsigned: "reviewer 2"})
	sub := envelope.NewID()
	sealed, reid, _ := o.sealGenuine(t, sub)
	o.push(t, o.laptopToken(t), sub, sealed, reid)

	// Reviewer 1 annotates; the note is signed by reviewer 1.
	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	r1.waitPull()
	if code, loc, _ := r1.post("/t/"+sub+"/annotate", url.Values{"tags": {"detention"}, "text": {"GENUINE NOTE"}}); code != http.StatusSeeOther || !strings.HasSuffix(loc, "saved=1") {
		t.Fatalf("annotate: %d to %q", code, loc)
	}
	if _, _, page := r1.get("/t/" + sub); !strings.Contains(page, "signed by reviewer 1") || !strings.Contains(page, "GENUINE NOTE") {
		t.Fatalf("reviewer 1's own note is not shown as signed by them:\n%s", page)
	}
	genuine, _ := filepath.Glob(filepath.Join(o.homes["reviewer 1"], "annotations", "*.age"))
	if len(genuine) != 1 {
		t.Fatalf("reviewer 1's desk holds %d sent annotations, want 1", len(genuine))
	}
	genuineBytes := must(os.ReadFile(genuine[0]))

	// Attack: the server relabels the genuine annotation as reviewer 2's.
	db := must(sql.Open("sqlite", filepath.Join(o.dir, "meta.db")))
	if _, err := db.Exec("UPDATE annotations SET author = 'reviewer 2'"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Attack: the genuine annotation re-filed under another ID, as if
	// reviewer 2 had written the same.
	tok2 := o.reviewerToken(t, "reviewer 2")
	o.upload(t, tok2, "/annotations/"+envelope.NewID(), genuineBytes, nil)

	// Attack: an annotation signed by a key outside the roster, uploaded
	// under reviewer 1's label.
	tok1 := o.reviewerToken(t, "reviewer 1")
	outsider := must(keys.GenerateIdentity(keys.Hybrid))
	var forged bytes.Buffer
	fid := envelope.NewID()
	if err := annotation.Seal(&forged, annotation.Annotation{ID: fid, Submission: sub, Tags: []string{"forged-tag"}, Text: "FORGED NOTE", Day: "2026-12-02"}, must(outsider.ReviewerSigner()), o.roster.Reviewers); err != nil {
		t.Fatal(err)
	}
	o.upload(t, tok1, "/annotations/"+fid, forged.Bytes(), nil)

	// An unsigned annotation in the old format, under reviewer 1's label:
	// shown, but as unverified, with the label as the server's claim.
	var old bytes.Buffer
	if err := intake.SealTo(&old, o.roster.Reviewers, []byte(`{"format":"testimony-annotation-v1","submission":"`+sub+`","tags":["old-tag"],"text":"OLD UNSIGNED NOTE","day":"2026-03-01"}`)); err != nil {
		t.Fatal(err)
	}
	o.upload(t, tok1, "/annotations/"+envelope.NewID(), old.Bytes(), nil)

	// Reviewer 2 reads the testimony.
	r2 := start(t, o.homes["reviewer 2"], desk.Config{})
	r2.unlock()
	r2.waitPull()
	_, _, page := r2.get("/t/" + sub)
	notes := between(page, "Reviewers&#39; notes", "</aside>")
	if notes == "" {
		notes = between(page, "Reviewers' notes", "</aside>")
	}
	for _, tc := range []struct {
		what  string
		text  string
		count int
	}{
		{"the genuine note, once, by its signer (not the server's relabel)", "signed by reviewer 1", 1},
		{"the genuine note's text, once", "GENUINE NOTE", 1},
		{"no note signed by reviewer 2", "signed by reviewer 2", 0},
		{"the re-filed copy, refused", "Refused: a copy of another note, filed under another ID.", 1},
		{"the forged note, refused", "Refused: not signed by a reviewer in the roster", 1},
		{"nothing of the forged note's content", "FORGED NOTE", 0},
		{"nothing of the forged note's tags", "forged-tag", 0},
		{"the old note, unverified", "unverified (unsigned, from before signatures)", 1},
		{"the old note's label as the server's claim", "the server says: reviewer 1", 1},
		{"the old note's text", "OLD UNSIGNED NOTE", 1},
	} {
		if n := strings.Count(notes, tc.text); n != tc.count {
			t.Errorf("%s: %q appears %d times, want %d", tc.what, tc.text, n, tc.count)
		}
	}
	if t.Failed() {
		t.Logf("the notes:\n%s", notes)
	}
	// The inbox's tag summary: the signed note's tag as it is, the
	// unsigned note's tag marked unverified, the forged note's not at all.
	_, _, inbox := r2.get("/")
	for _, tc := range []struct{ what, text string }{
		{"the signed tag", `<span class="tag">detention</span>`},
		{"the unsigned tag, marked", `<span class="tag unverified" title="Only unsigned notes carry this tag: unverified.">old-tag ?</span>`},
	} {
		if !strings.Contains(inbox, tc.text) {
			t.Errorf("the inbox does not show %s as %s", tc.what, tc.text)
		}
	}
	if strings.Contains(inbox, "forged-tag") || strings.Contains(inbox, `<span class="tag">old-tag</span>`) {
		t.Errorf("the inbox shows a forged tag, or an unsigned one as if signed:\n%s", inbox)
	}

	// Reviewer 2's signing key is not in the roster: no form, but the key
	// to hand to the admin; a post is refused and nothing is sealed.
	signer2 := ""
	for _, m := range o.roster.Reviewers {
		if m.Label == "reviewer 2" {
			if !m.Signer.IsZero() {
				t.Fatal("the roster lists reviewer 2's signing key")
			}
		}
	}
	if !strings.Contains(page, `id="unlisted"`) || strings.Contains(page, `id="annotate"`) {
		t.Errorf("reviewer 2 is offered the annotation form:\n%s", notes)
	}
	if i := strings.Index(page, "<code class=\"id\">reviewer-"); i >= 0 {
		signer2 = page[i+len(`<code class="id">`):]
		signer2 = html.UnescapeString(signer2[:strings.Index(signer2, "<")])
	}
	if _, err := keys.ParseVerifier(signer2); err != nil {
		t.Errorf("the page does not show reviewer 2's signing key: %q: %v", signer2, err)
	}
	if _, refused := r2.submit("/t/"+sub+"/annotate", url.Values{"tags": {"x"}, "text": {"UNLISTED NOTE"}}); !strings.Contains(refused, "Ask the admin to add it") {
		t.Errorf("an annotation by a reviewer without a listed key is not refused with a reason")
	}
	if pending, _ := filepath.Glob(filepath.Join(o.homes["reviewer 2"], "annotations", "pending", "*")); len(pending) != 0 {
		t.Errorf("a refused annotation was sealed: %v", pending)
	}

	// In Korean.
	r2.lang = "ko"
	r2.get("/t/" + sub)
	r2.submit("/t/"+sub+"/annotate", url.Values{"tags": {"x"}})
	if m := desk.MissingKorean(); len(m) > 0 {
		t.Errorf("texts without Korean:\n%s", strings.Join(m, "\n"))
	}
}

// TestAnnotationsKeptInStore: an annotation is opened once and kept in the
// inbox store, so that unlocking does not decrypt every annotation again;
// a changed file, or a row that does not open, is opened from the file
// again.
func TestAnnotationsKeptInStore(t *testing.T) {
	o := newOrg(t)
	sub := envelope.NewID()
	sealed, reid, _ := o.sealGenuine(t, sub)
	o.push(t, o.laptopToken(t), sub, sealed, reid)
	home := o.homes["reviewer 1"]
	r1 := start(t, home, desk.Config{})
	r1.unlock()
	r1.waitPull()
	if code, loc, _ := r1.post("/t/"+sub+"/annotate", url.Values{"tags": {"detention"}, "text": {"KEPT NOTE"}}); code != http.StatusSeeOther || !strings.HasSuffix(loc, "saved=1") {
		t.Fatalf("annotate: %d to %q", code, loc)
	}
	files, _ := filepath.Glob(filepath.Join(home, "annotations", "*.age"))
	if len(files) != 1 {
		t.Fatalf("%d annotations on disk, want 1", len(files))
	}
	age, meta := files[0], strings.TrimSuffix(files[0], ".age")+".json"
	metaBytes := must(os.ReadFile(meta))
	shown := func(when string, want bool) {
		t.Helper()
		r1.post("/lock", nil)
		r1.unlock()
		_, _, page := r1.get("/t/" + sub)
		if got := strings.Contains(page, "KEPT NOTE") && strings.Contains(page, "signed by reviewer 1"); got != want {
			t.Errorf("%s: the annotation shown %v, want %v", when, got, want)
		}
	}
	shown("unlocked again", true)

	// Were it opened again at unlock, an unreadable description beside it
	// would leave it out: it is shown, from the store.
	if err := os.WriteFile(meta, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	shown("unlocked with the description unreadable", true)
	// A changed file is opened again (and here cannot be).
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(age, later, later); err != nil {
		t.Fatal(err)
	}
	shown("unlocked after the file changed", false)

	// A row that does not open is not used: the file is opened again.
	os.WriteFile(meta, metaBytes, 0o600)
	r1.post("/lock", nil)
	db := must(sql.Open("sqlite", filepath.Join(home, "inbox", "index.db")))
	res, err := db.Exec(`UPDATE annotation SET view = randomblob(200)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d annotation rows in the store, want 1", n)
	}
	shown("unlocked with its row damaged", true)

	// Reviewer 2 reads it, signed by reviewer 1; once the admin removes
	// reviewer 1 from the roster, the kept row (checked with the old
	// roster) is not used: it is checked again, and refused.
	r2 := start(t, o.homes["reviewer 2"], desk.Config{})
	r2.unlock()
	r2.waitPull()
	if _, _, page := r2.get("/t/" + sub); !strings.Contains(page, "KEPT NOTE") || !strings.Contains(page, "signed by reviewer 1") {
		t.Fatalf("reviewer 2 does not see reviewer 1's note as signed:\n%s", page)
	}
	o.changeRoster(t, func(r *keys.Roster) error { return r.Remove(keys.Reviewer, "reviewer 1") })
	r2.post("/lock", nil)
	r2.unlock()
	r2.waitPull()
	_, _, page := r2.get("/t/" + sub)
	if strings.Contains(page, "KEPT NOTE") || !strings.Contains(page, "Refused: not signed by a reviewer in the roster") {
		t.Errorf("after reviewer 1 left the roster, their note is still shown as signed:\n%s", between(page, "Reviewers", "</aside>"))
	}
}
