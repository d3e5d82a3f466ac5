package desk_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"testimony/desk"
	"testimony/internal/blob/disk"
	"testimony/internal/pseudonym"
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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

const testPass = "correct horse battery staple"

// org is an organisation with a real server (SQLite file, blob directory,
// loopback listener) and a desk profile for each person.
type org struct {
	dir, url string
	homes    map[string]string // label → desk home
	store    *sqlite.Store
	// roster and device are the organisation's verified roster and
	// laptop-1's signing key, for tests that act as a laptop directly.
	roster *keys.Roster
	device *keys.SigningKey
	// admin is the organisation's admin key (to sign forms), ids the
	// identities of the reviewers and the custodian.
	admin *keys.SigningKey
	ids   map[string]*keys.Identity
}

func newOrg(t *testing.T) *org {
	t.Helper()
	return newOrgWith(t, orgOptions{})
}

// orgOptions changes the organisation newOrgWith makes.
type orgOptions struct {
	// unsigned names a reviewer whose signing key the roster does not list.
	unsigned string
}

func newOrgWith(t *testing.T, opt orgOptions) *org {
	t.Helper()
	o := &org{dir: t.TempDir(), homes: map[string]string{}}
	admin := must(keys.GenerateSigningKey("admin"))
	device := must(keys.GenerateSigningKey("laptop-1"))
	ids := map[string]*keys.Identity{}
	r := must(keys.NewRoster("Example NGO"))
	for _, who := range []string{"reviewer 1", "reviewer 2", "custodian 1"} {
		ids[who] = must(keys.GenerateIdentity(keys.Hybrid))
		role := keys.Reviewer
		if who == "custodian 1" {
			role = keys.Custodian
		}
		// Reviewers sign their annotations with a key derived from their
		// identity, which the roster lists.
		var signer keys.Verifier
		if role == keys.Reviewer && who != opt.unsigned {
			signer = must(keys.ParseVerifier(must(ids[who].ReviewerSigner()).Verifier()))
		}
		if err := r.Add(role, who, ids[who].Recipient()); err != nil {
			t.Fatal(err)
		}
		if !signer.IsZero() {
			if err := r.SetSigner(who, signer); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.AddDevice("laptop-1", must(keys.ParseVerifier(device.Verifier())))
	logKey := must(keys.GenerateSigningKey("testimony-log-test"))
	r.SetLog(must(keys.ParseVerifier(logKey.Verifier())))
	signed := must(r.Sign(admin))
	o.roster = must(keys.VerifyRoster(signed, must(keys.ParseVerifier(admin.Verifier())), nil))
	o.device = device
	o.admin, o.ids = admin, ids

	ctx := context.Background()
	o.store = must(sqlite.Open(filepath.Join(o.dir, "meta.db")))
	t.Cleanup(func() { o.store.Close() })
	if err := o.store.Init(ctx, admin.Verifier(), r.Version, signed); err != nil {
		t.Fatal(err)
	}
	blobs := must(disk.Open(filepath.Join(o.dir, "blobs")))
	t.Cleanup(func() { blobs.Close() })
	srv := must(server.New(ctx, server.Config{Store: o.store, Blobs: blobs, MaxUpload: 8 << 20, LogKey: logKey,
		Logger: server.NewLogger(slog.DiscardHandler)}))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	o.url = hs.URL

	pass := must(keys.NewPassphrase(testPass))
	pkey := must(keys.GeneratePseudonymKey())
	for _, who := range []string{"laptop 1", "reviewer 1", "reviewer 2", "custodian 1"} {
		role := map[string]string{"laptop 1": desk.Interviewer, "custodian 1": desk.Custodian}[who]
		if role == "" {
			role = desk.Reviewer
		}
		token, id, hash := server.NewToken()
		tk := store.Token{ID: id, Role: store.Role(role), Label: who, Created: "2026-12-01"}
		s := desk.Setup{Role: role, Label: who, Server: o.url, AdminPub: admin.Verifier(), Roster: signed, Token: token, Passphrase: pass}
		if role == desk.Interviewer {
			tk.Device, tk.DevicePub = "laptop-1", device.Verifier()
			s.Device, s.DeviceKey, s.PseudonymKey = "laptop-1", device, pkey
		} else {
			s.Identity = ids[who]
		}
		if err := o.store.AddToken(ctx, tk, hash); err != nil {
			t.Fatal(err)
		}
		home := filepath.Join(o.dir, "desks", strings.ReplaceAll(who, " ", "-"))
		if err := desk.Create(home, s); err != nil {
			t.Fatal(err)
		}
		o.homes[who] = home
	}
	return o
}

// tab is a person's browser tab on their desk, made of plain HTTP
// requests: it keeps cookies, and does not follow redirects.
type tab struct {
	t      *testing.T
	base   string // http://127.0.0.1:PORT
	url    string // the printed address, with the secret
	c      *http.Client
	lang   string
	header http.Header
}

// start runs a desk for home and returns a tab that has opened its
// printed address.
func start(t *testing.T, home string, cfg desk.Config) *tab {
	t.Helper()
	cfg.Home = home
	d, err := desk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := desk.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	jar, _ := cookiejar.New(nil)
	tb := &tab{t: t, base: "http://" + ln.Addr().String(), url: d.URL(ln), lang: "en",
		c: &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code, loc, _ := tb.get(strings.TrimPrefix(tb.url, tb.base)); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("opening the printed address: %d to %q", code, loc)
	}
	return tb
}

func (tb *tab) do(req *http.Request) (int, string, string) {
	tb.t.Helper()
	req.Header.Set("Accept-Language", tb.lang)
	resp, err := tb.c.Do(req)
	if err != nil {
		tb.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	tb.header = resp.Header
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

func (tb *tab) get(path string) (int, string, string) {
	tb.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, tb.base+path, nil)
	return tb.do(req)
}

func (tb *tab) post(path string, form url.Values) (int, string, string) {
	tb.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, tb.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", tb.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return tb.do(req)
}

func (tb *tab) unlock() {
	tb.t.Helper()
	if code, loc, body := tb.post("/unlock", url.Values{"passphrase": {testPass}, "next": {"/"}}); code != http.StatusSeeOther || loc != "/" {
		tb.t.Fatalf("unlock: %d to %q\n%s", code, loc, body)
	}
}

// submit posts form as its page would, checks that the desk answers with
// a redirect (Post, Redirect, Get: a refresh must not send the form again),
// and follows it. It returns where the desk sent the tab (with its
// "#fragment", if any) and the page there.
func (tb *tab) submit(path string, form url.Values) (string, string) {
	tb.t.Helper()
	code, loc, body := tb.post(path, form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/") {
		tb.t.Fatalf("POST %s: %d to %q, want a redirect to a desk page (303)\n%s", path, code, loc, body)
	}
	target, _, _ := strings.Cut(loc, "#")
	code, _, page := tb.get(target)
	if code != http.StatusOK {
		tb.t.Fatalf("GET %s after POST %s: %d\n%s", target, path, code, page)
	}
	return loc, page
}

// waitPull starts a pull and waits until it is done.
func (tb *tab) waitPull() string {
	tb.t.Helper()
	if code, loc, _ := tb.post("/pull", nil); code != http.StatusSeeOther || loc != "/pull" {
		tb.t.Fatalf("pull: %d to %q", code, loc)
	}
	for range 300 {
		_, _, page := tb.get("/pull")
		if !strings.Contains(page, `role="status"`) || tb.header.Get("Refresh") == "" {
			return page
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.t.Fatal("the pull did not finish within 30 s")
	return ""
}

var idRE = regexp.MustCompile(`/interview/([0-9a-f]{32})`)

func TestInterviewReviewReidentify(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()

	// A new interview; the note names two declared people and one
	// undeclared one with a title.
	code, loc, _ := lap.post("/interview/new", nil)
	m := idRE.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("new interview: %d to %q", code, loc)
	}
	draft := "/interview/" + m[1]
	note := "박영수는 2019년에 혜산을 떠났다. 김영철 씨가 도와주었다.\nPak Yong-su left Hyesan in 2019."
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {note},
		"pnames": {"박영수, Pak Yong-su", ""}, "psex": {"m", ""}, "prole": {"interviewee", ""},
		"lnames": {"혜산, Hyesan"}, "lprov": {""}}
	with := func(action string) url.Values {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("action", action)
		return f
	}
	// The preview replaces the declared names and flags the undeclared one.
	code, _, preview := lap.post(draft+"/preview", with(""))
	if code != http.StatusOK {
		t.Fatalf("preview: %d\n%s", code, preview)
	}
	for _, real := range []string{"박영수", "Pak Yong-su", "혜산", "Hyesan"} {
		if strings.Contains(preview, real) {
			t.Errorf("the preview still shows %q", real)
		}
	}
	if !strings.Contains(preview, `<mark class="rep"  title="person">`) || !strings.Contains(preview, `<mark class="flag" data-flag=`) {
		t.Fatalf("the preview marks no replacement or no flag:\n%s", preview)
	}
	// The draft on disk is encrypted.
	drafts, _ := filepath.Glob(filepath.Join(o.homes["laptop 1"], "drafts", "*.age"))
	for _, f := range drafts {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("박영수")) || bytes.Contains(b, []byte("Pak Yong-su")) {
			t.Errorf("draft %s holds the note in the clear", f)
		}
	}
	// Sealing with a flag open is refused, and nothing is sealed.
	if loc, page := lap.submit(draft, with("seal")); !strings.HasSuffix(loc, "#flags") || !strings.Contains(page, "not resolved") {
		t.Fatalf("sealing with an open flag: to %q\n%s", loc, page)
	}
	if files, _ := filepath.Glob(filepath.Join(o.homes["laptop 1"], "outbox", "*")); len(files) != 0 {
		t.Fatalf("a refused seal left %v", files)
	}
	// Declare the flagged name as a person: the table grows, the flag goes.
	flagID := regexp.MustCompile(`value="declare:([^"]+)"`).FindStringSubmatch(preview)
	if flagID == nil {
		t.Fatalf("no declare button for the flag:\n%s", preview)
	}
	_, page := lap.submit(draft, with("declare:"+flagID[1]))
	if !strings.Contains(page, `value="김영철"`) {
		t.Fatalf("declaring the flagged name did not add it to the people table")
	}
	names := regexp.MustCompile(`name="pnames" value="([^"]*)"`).FindAllStringSubmatch(page, -1)
	form["pnames"], form["psex"], form["prole"] = nil, nil, nil
	for _, n := range names {
		form.Add("pnames", n[1])
		form.Add("psex", "")
		form.Add("prole", "")
	}
	form.Set("prole", "interviewee") // the first row
	if code, loc, page := lap.post(draft, with("seal")); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/outbox?sealed=") {
		t.Fatalf("seal: %d to %q\n%s", code, loc, page)
	}
	if _, err := os.Stat(filepath.Join(o.homes["laptop 1"], "drafts", m[1]+".age")); !os.IsNotExist(err) {
		t.Error("the draft is still on disk after sealing")
	}
	if _, page := lap.submit("/outbox/sync", nil); !strings.Contains(page, "sent, in the log") || !strings.Contains(page, "This sync") {
		t.Fatalf("sync:\n%s", page)
	}

	// Reviewer 1 pulls, finds the note by search in both scripts, reads it
	// with pseudonyms only, and tags it.
	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	if page := r1.waitPull(); !strings.Contains(page, "Done: 1 new file") {
		t.Fatalf("reviewer 1's pull:\n%s", page)
	}
	_, _, inbox := r1.get("/")
	tid := regexp.MustCompile(`/t/([0-9a-f]{32})`).FindStringSubmatch(inbox)
	if tid == nil || !strings.Contains(inbox, "verified") {
		t.Fatalf("the inbox shows no verified testimony:\n%s", inbox)
	}
	for q, want := range map[string]bool{"도와주었다": true, "LEFT": true, "2019": true, "없는말": false} {
		_, _, res := r1.get("/?q=" + url.QueryEscape(q))
		if got := strings.Contains(res, "/t/"+tid[1]); got != want {
			t.Errorf("search %q found it: %v, want %v", q, got, want)
		}
	}
	// Switching language keeps the search.
	if _, _, res := r1.get("/?q=LEFT"); !strings.Contains(res, "back=%2f%3fq%3dLEFT") {
		t.Errorf("the language switch on a search result loses the search")
	}
	if code, loc, _ := r1.get("/lang?to=en&back=" + url.QueryEscape("/?q=LEFT")); code != http.StatusSeeOther || loc != "/?q=LEFT" {
		t.Errorf("switching language: %d to %q, want the search again", code, loc)
	}
	_, _, read := r1.get("/t/" + tid[1])
	// The interviewee's pseudonym, searched in Hangul, finds the romanized
	// mention too; searched in Latin letters, the Hangul one.
	// The subject is marked as a pseudonym, as are its mentions in the note.
	subj := regexp.MustCompile(`<dt>Subject</dt><dd><span class="pseudo" title="pseudonym">([^<]+)</span></dd>`).FindStringSubmatch(read)
	if subj == nil {
		t.Fatalf("the testimony page shows no subject pseudonym")
	}
	_, roman, ok := pseudonym.PseudonymSpellings(subj[1])
	if !ok || !strings.Contains(read, roman) {
		t.Fatalf("the note does not hold the romanized pseudonym %q of %q", roman, subj[1])
	}
	if note := between(read, `id="note"`, "</div>"); !strings.Contains(note, `<span class="pseudo" title="pseudonym">`+roman+`</span>`) || !strings.Contains(note, `<span class="pseudo" title="pseudonym">`+subj[1]+`</span>`) {
		t.Errorf("the note does not mark the pseudonym %q / %q as a pseudonym:\n%s", subj[1], roman, note)
	}
	if !strings.Contains(read, `<dt>Form</dt><dd><span title="note/1">Interview note</span></dd>`) {
		t.Errorf("the testimony page does not name the form as an interview note:\n%s", between(read, "<dt>Form</dt>", "</dd>"))
	}
	if !strings.Contains(read, `id="pseudonym-legend"`) {
		t.Errorf("the testimony page has no legend for the pseudonyms' mark")
	}
	for _, q := range []string{subj[1], roman, strings.ToLower(strings.ReplaceAll(roman, "-", ""))} {
		if _, _, res := r1.get("/?q=" + url.QueryEscape(q)); !strings.Contains(res, "/t/"+tid[1]) {
			t.Errorf("searching the pseudonym as %q finds nothing", q)
		}
	}
	for _, real := range []string{"박영수", "Pak Yong-su", "혜산", "Hyesan", "김영철"} {
		if strings.Contains(read, real) {
			t.Errorf("the reviewer reads the real name %q", real)
		}
	}
	if !strings.Contains(read, "도와주었다") {
		t.Fatalf("the testimony page does not show the note:\n%s", read)
	}
	if code, loc, _ := r1.post("/t/"+tid[1]+"/annotate", url.Values{"tags": {"detention, border"}, "text": {"Follow up."}}); code != http.StatusSeeOther || !strings.HasSuffix(loc, "saved=1") {
		t.Fatalf("annotate: %d to %q", code, loc)
	}
	if _, _, read = r1.get("/t/" + tid[1]); !strings.Contains(read, "detention") || !strings.Contains(read, "Follow up.") {
		t.Errorf("the tag is not shown after saving")
	}
	// A mistake in the form shows the error with the notes still there.
	if _, page := r1.submit("/t/"+tid[1]+"/annotate", url.Values{"tags": {" "}, "text": {""}}); !strings.Contains(page, "Write a tag or a note first.") || !strings.Contains(page, "Follow up.") {
		t.Errorf("an empty annotation: the page lost the notes or says nothing")
	}
	if loc, v := r1.submit("/verify", nil); !strings.HasPrefix(loc, "/verify?m=") || !strings.Contains(v, "All is well") {
		t.Errorf("log check: to %q\n%s", loc, v)
	}

	// Reviewer 2 sees reviewer 1's tag, and reads the desk in Korean.
	r2 := start(t, o.homes["reviewer 2"], desk.Config{})
	r2.lang = "ko-KR,ko;q=0.9"
	r2.unlock()
	r2.waitPull()
	_, _, read2 := r2.get("/t/" + tid[1])
	if !strings.Contains(read2, "detention") || !strings.Contains(read2, "reviewer 1") {
		t.Errorf("reviewer 2 does not see reviewer 1's tag")
	}
	if !strings.Contains(read2, "2026년 3월 14일") || !strings.Contains(read2, "검토자 메모") {
		t.Errorf("the page is not in Korean for a Korean browser")
	}

	// The custodian looks up the interviewee's pseudonym, with a reason.
	subject := regexp.MustCompile(`<dt>Subject</dt><dd><span class="pseudo" title="pseudonym">([^<]+)</span></dd>`).FindStringSubmatch(read)
	if subject == nil {
		t.Fatalf("the testimony page shows no subject pseudonym")
	}
	cu := start(t, o.homes["custodian 1"], desk.Config{})
	cu.unlock()
	cu.waitPull()
	before := must(o.store.LogSize(context.Background()))
	if _, page := cu.submit("/lookup", url.Values{"pseudonym": {subject[1]}, "reason": {"short"}}); !strings.Contains(page, "at least 10 characters") || !strings.Contains(page, `value="`+subject[1]+`"`) {
		t.Errorf("a lookup without a real reason: no message, or the pseudonym typed is lost")
	}
	loc, res := cu.submit("/lookup", url.Values{"pseudonym": {subject[1]}, "reason": {"The interviewee asked to withdraw consent."}})
	if !strings.Contains(res, "박영수") || !strings.Contains(res, "recorded in the log as entry") {
		t.Fatalf("lookup:\n%s", res)
	}
	// The address names neither the pseudonym nor the reason.
	for _, s := range []string{subject[1], url.QueryEscape(subject[1]), "withdraw"} {
		if strings.Contains(loc, s) {
			t.Errorf("the address after a lookup (%q) holds %q", loc, s)
		}
	}
	if after := must(o.store.LogSize(context.Background())); after != before+1 {
		t.Errorf("the lookup added %d log entries, want 1", after-before)
	}
	// An unknown pseudonym finds nothing, and records nothing.
	if _, res := cu.submit("/lookup", url.Values{"pseudonym": {"없는사람"}, "reason": {"checking a spelling from a phone call"}}); !strings.Contains(res, "No record") {
		t.Errorf("an unknown pseudonym: %s", res)
	}
	if after := must(o.store.LogSize(context.Background())); after != before+1 {
		t.Errorf("a lookup that found nothing was recorded")
	}

	// Nothing the people typed reached the server's files in the clear:
	// not the names, not the note, not the tag, not the lookup's reason.
	canaries := []string{"박영수", "Pak Yong-su", "김영철", "도와주었다", "Follow up.", "detention", "withdraw consent"}
	filepath.WalkDir(o.dir, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			if de != nil && de.IsDir() && de.Name() == "desks" {
				return filepath.SkipDir
			}
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, c := range canaries {
			if bytes.Contains(b, []byte(c)) || bytes.Contains(b, []byte(norm.NFD.String(c))) {
				t.Errorf("the server's %s holds %q", path, c)
			}
		}
		return nil
	})

	// Every page and message seen in Korean has its Korean.
	for _, tb := range []*tab{lap, r1, cu} {
		tb.lang = "ko"
	}
	lap.get("/")
	lap.get("/outbox")
	lap.submit("/outbox/sync", nil)
	lap.submit("/outbox/export", url.Values{"dir": {"relative"}})
	lap.submit("/outbox/import", url.Values{"dir": {t.TempDir()}})
	_, loc, _ = lap.post("/interview/new", nil)
	lap.get(loc)
	form.Set("note", "김영철 씨가 회령에서 왔다. 010-1234-5678")
	draft = strings.Split(loc, "?")[0]
	lap.post(draft+"/preview", with(""))
	lap.submit(draft, with("seal"))
	lap.submit(draft, with("save"))
	form.Set("day", "14/03/2026")
	lap.submit(draft, with("save"))
	form.Set("note", " ")
	form.Set("day", "2026-03-14")
	lap.submit(draft, with("seal"))
	lap.get("/interview/00000000000000000000000000000000")
	r1.get("/")
	r1.get("/?q=" + url.QueryEscape("없는말"))
	r1.get("/t/" + tid[1])
	r1.submit("/t/"+tid[1]+"/annotate", nil)
	r1.waitPull()
	r1.submit("/verify", nil)
	r1.get("/verify")
	r1.get("/nowhere")
	cu.get("/")
	cu.submit("/lookup", url.Values{"pseudonym": {subject[1]}, "reason": {"second check for the follow-up call"}})
	cu.submit("/lookup", url.Values{"pseudonym": {"없는사람"}, "reason": {"checking a spelling from a phone call"}})
	cu.submit("/lookup", url.Values{"pseudonym": {""}})
	cu.post("/lock", nil)
	cu.get("/unlock")
	cu.post("/unlock", url.Values{"passphrase": {"not the passphrase"}})
	if m := desk.MissingKorean(); len(m) > 0 {
		t.Errorf("texts without Korean:\n%s", strings.Join(m, "\n"))
	}
}

func TestRefusals(t *testing.T) {
	o := newOrg(t)
	tb := start(t, o.homes["reviewer 1"], desk.Config{})
	tb.unlock()
	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func(c *http.Client, method, u string, h map[string]string) int {
		req, _ := http.NewRequest(method, u, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name   string
		c      *http.Client
		method string
		path   string
		h      map[string]string
	}{
		{"no secret, no cookie", plain, "GET", "/", nil},
		{"a static file from another site", plain, "GET", "/static/desk.css", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"a wrong secret", plain, "GET", "/?k=wrong", nil},
		{"another host name (DNS rebinding)", tb.c, "GET", "/", map[string]string{"Host": "evil.example:80"}},
		{"a cross-site navigation", tb.c, "GET", "/", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"another desk on this machine", tb.c, "GET", "/", map[string]string{"Sec-Fetch-Site": "same-site"}},
		{"a cross-origin POST", tb.c, "POST", "/lock", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"a cross-origin POST without Sec-Fetch-Site", tb.c, "POST", "/lock", map[string]string{"Origin": "http://evil.example"}},
	} {
		req, _ := http.NewRequest(tc.method, tb.base+tc.path, nil)
		for k, v := range tc.h {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := tc.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, resp.StatusCode)
		}
	}
	// The stylesheet is served without the cookie (a refusal page needs
	// it; it holds nothing secret), but nothing else is.
	if s := status(plain, "GET", tb.base+"/static/desk.css", nil); s != http.StatusOK {
		t.Errorf("the stylesheet without a cookie: %d, want 200", s)
	}
	if s := status(plain, "POST", tb.base+"/static/desk.css", nil); s != http.StatusForbidden {
		t.Errorf("a POST under /static/ without a cookie: %d, want 403", s)
	}
	// The refused POST /lock did not lock the desk.
	if code, _, _ := tb.get("/"); code != http.StatusOK {
		t.Errorf("after a refused cross-origin lock, the desk answers %d", code)
	}
	if s := status(tb.c, "GET", tb.base+"/", nil); s != http.StatusOK {
		t.Errorf("the desk's own tab: %d", s)
	}
	// Every answer: no-store, a strict CSP, no framing.
	tb.get("/")
	csp := tb.header.Get("Content-Security-Policy")
	if tb.header.Get("Cache-Control") != "no-store" || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || tb.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", tb.header)
	}
	// Lock is a same-origin POST; afterwards the pages need the passphrase.
	if code, loc, _ := tb.post("/lock", nil); code != http.StatusSeeOther || loc != "/unlock" {
		t.Errorf("lock: %d to %q", code, loc)
	}
	if code, loc, _ := tb.get("/"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/unlock") {
		t.Errorf("a locked desk served / (%d to %q)", code, loc)
	}
	if code, _, _ := tb.post("/unlock", url.Values{"passphrase": {"not the passphrase"}}); code != http.StatusForbidden {
		t.Errorf("a wrong passphrase: %d, want 403", code)
	}
	// Only loopback.
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:0", "localhost:0"} {
		if ln, err := desk.Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) accepted a non-loopback address", addr)
		}
	}
}

// clock is a clock a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestIdleLock(t *testing.T) {
	o := newOrg(t)
	c := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	tb := start(t, o.homes["laptop 1"], desk.Config{IdleLock: 5 * time.Minute, Now: c.Now})
	tb.unlock()
	c.add(4 * time.Minute)
	if code, _, _ := tb.get("/"); code != http.StatusOK {
		t.Fatalf("after 4 minutes: %d, want the page", code)
	}
	c.add(4 * time.Minute) // 4 minutes since the last request
	if code, _, _ := tb.get("/"); code != http.StatusOK {
		t.Fatalf("4 minutes after the last request: %d, want the page", code)
	}
	c.add(6 * time.Minute)
	if code, loc, _ := tb.get("/"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/unlock") {
		t.Errorf("6 minutes idle: %d to %q, want locked", code, loc)
	}
}

func TestNoProfile(t *testing.T) {
	if d, err := desk.New(desk.Config{Home: t.TempDir()}); err != nil || !d.InSetup() {
		t.Errorf("an empty home: %v, want the setup page", err)
	}
	var _ net.Listener // keep net for Listen's type in docs
}

// An interview sealed where there is no network goes out on a USB drive:
// export, import on a desk that is online, sync.
func TestExportImport(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	_, loc, _ := lap.post("/interview/new", nil)
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {"박영수는 떠났다."},
		"pnames": {"박영수"}, "psex": {"m"}, "prole": {"interviewee"}, "action": {"seal"}}
	if code, loc, _ := lap.post(loc, form); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/outbox?sealed=") {
		t.Fatalf("seal: %d to %q", code, loc)
	}
	usb := t.TempDir()
	if _, page := lap.submit("/outbox/export", url.Values{"dir": {usb}}); !strings.Contains(page, "Exported") {
		t.Fatalf("export:\n%s", page)
	}
	exported, _ := filepath.Glob(filepath.Join(usb, "testimony-outbox-*", "*"))
	if len(exported) != 2 {
		t.Fatalf("exported %v, want the sealed file and its record", exported)
	}
	for _, f := range exported {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("박영수")) || !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) {
			t.Errorf("%s is not a sealed age file", f)
		}
	}
	// Another desk would import it; here the outbox forgets the files, as
	// a desk that never had them.
	outbox := filepath.Join(o.homes["laptop 1"], "outbox")
	os.RemoveAll(outbox)
	junk := filepath.Join(usb, "junk")
	os.Mkdir(junk, 0o700)
	os.WriteFile(filepath.Join(junk, "0123456789abcdef0123456789abcdef.age"), []byte("not age"), 0o600)
	if _, page := lap.submit("/outbox/import", url.Values{"dir": {junk}}); !strings.Contains(page, "not sealed testimony files") || !strings.Contains(page, `value="`+junk+`"`) {
		t.Errorf("importing a file that is not sealed: no message, or the folder typed is lost")
	}
	if files, _ := os.ReadDir(outbox); len(files) != 0 {
		t.Errorf("a refused import left %d file(s) in the outbox", len(files))
	}
	dir := filepath.Dir(exported[0])
	if _, page := lap.submit("/outbox/import", url.Values{"dir": {dir}}); !strings.Contains(page, "Imported 1 sealed file") {
		t.Fatalf("import:\n%s", page)
	}
	if _, page := lap.submit("/outbox/sync", nil); !strings.Contains(page, "sent, in the log") {
		t.Fatalf("sync after import:\n%s", page)
	}
	if n := must(o.store.LogSize(context.Background())); n != 1 {
		t.Errorf("the log holds %d entries after the imported file was sent, want 1", n)
	}
	// Importing again changes nothing.
	if _, page := lap.submit("/outbox/import", url.Values{"dir": {dir}}); !strings.Contains(page, "Imported 0 sealed file") {
		t.Errorf("importing the same files again:\n%s", page)
	}
}

// Locking while a pull runs loses nothing and crashes nothing: what the
// pull took is opened at the next unlock.
func TestLockDuringPull(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	for range 3 {
		_, loc, _ := lap.post("/interview/new", nil)
		form := url.Values{"day": {"2026-03-14"}, "note": {"박영수는 떠났다."}, "pnames": {"박영수"}, "psex": {"m"}, "prole": {"interviewee"}, "action": {"seal"}}
		if code, _, _ := lap.post(loc, form); code != http.StatusSeeOther {
			t.Fatalf("seal: %d", code)
		}
	}
	lap.submit("/outbox/sync", nil)
	for _, who := range []string{"reviewer 1", "custodian 1"} {
		tb := start(t, o.homes[who], desk.Config{})
		tb.unlock()
		tb.post("/pull", nil)
		tb.post("/lock", nil)
		tb.unlock()
		tb.waitPull()
		_, _, page := tb.get("/")
		want := map[string]string{"reviewer 1": "/t/", "custodian 1": "3 re-identification record(s)"}[who]
		if who == "reviewer 1" && strings.Count(page, want) != 3 || who == "custodian 1" && !strings.Contains(page, want) {
			t.Errorf("%s: after locking during a pull and unlocking, the desk does not show the three testimonies:\n%s", who, page)
		}
	}
}
