package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"testimony/internal/browsertest"
)

// The real names of the quickstart's sample note: no reviewer page may show
// them, and the preview must have replaced them.
var sampleRealNames = []string{"박영수", "박미경", "Pak Yong-su", "Pak Mi-gyong", "혜산", "Hyesan"}

// TestBrowserDesks runs the quickstart demo and uses its four desks in a
// real headless Chromium, as the people of the demo would: the interviewer
// writes, resolves flags, attaches a photo, seals and syncs; two reviewers
// pull, search, read and annotate; the custodian re-identifies the
// interviewee. Then it tries what the desk must refuse. Each person has a
// browser context of their own, so cookies do not mix.
//
// Screenshots of the main pages go to $TESTIMONY_SCREENSHOTS, or to a
// temporary directory.
func TestBrowserDesks(t *testing.T) {
	browser := startChromium(t)
	shots := os.Getenv("TESTIMONY_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	dir := filepath.Join(t.TempDir(), "demo")
	qs := startDemo(t, dir)
	lap, rev1, rev2, cust := qs.desks["laptop 1"], qs.desks["reviewer 1"], qs.desks["reviewer 2"], qs.desks["custodian 1"]

	// 1. The interviewer, on laptop 1.
	iv := newTab(t, browser, "interviewer", lap, shots)
	iv.open()
	iv.shot("01-unlock")
	iv.unlock()
	// The draft list names the sample draft by its kind and size, never
	// by its words (its note begins with a heading, then names).
	if home := iv.text("main"); !strings.Contains(home, "Interview note") || slices.ContainsFunc(sampleRealNames, func(n string) bool { return strings.Contains(home, n) }) {
		t.Fatalf("interviewer: the home page shows no sample draft, or its words:\n%s", home)
	}
	iv.shot("02-interviewer-home")
	iv.follow("continue the sample draft", chromedp.Click(chromedp.CSS(`a[href^="/interview/"]`)))
	preview := iv.text("#preview")
	for _, name := range sampleRealNames {
		if strings.Contains(preview, name) {
			t.Errorf("interviewer: the preview shows the real name %q:\n%s", name, preview)
		}
	}
	roles := evalIn[[]string](iv, "read the role choices", `[...document.querySelectorAll("select[name=prole] option")].map(o => o.textContent)`)
	if slices.ContainsFunc(roles, func(r string) bool { return strings.Contains(r, ":") }) {
		t.Errorf("interviewer: the role choices show message keys: %q", roles)
	}
	pseudonyms := pseudonymsIn(preview)
	if len(pseudonyms) < 2 {
		t.Fatalf("interviewer: the preview lists no pseudonyms for the two declared people:\n%s", preview)
	}
	t.Logf("pseudonyms in the sample note: %v", pseudonyms)

	// Typing updates the preview in place (desk.js posts the form to
	// /interview/{id}/preview): a declared name is replaced, undeclared
	// names with a title are flagged.
	iv.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	iv.do("type into the note",
		chromedp.Evaluate[chromedp.Void](`(() => { const n = document.getElementById("note"); n.focus(); n.selectionStart = n.selectionEnd = n.value.length; })()`),
		chromedp.SendKeys(chromedp.ID("note"), "\n박영수가 말했다.\n최영철 씨가 도와주었다.\n김철수 씨도 함께 있었다.\n"))
	iv.waitFor("the preview to show the typed sentences",
		`document.querySelector("#preview").dataset.state === "fresh" && document.querySelector("#preview .preview-text").innerText.includes("함께 있었다")`)
	if !evalIn[bool](iv, "check the page was not reloaded", `window.notReloaded === true`) {
		t.Error("interviewer: the page reloaded instead of updating the preview in place")
	}
	text := iv.text("#preview .preview-text")
	said := lineWith(text, "말했다.")
	if strings.Contains(said, "박영수") || !slices.ContainsFunc(pseudonyms, func(p string) bool { return strings.Contains(said, p) }) {
		t.Errorf("interviewer: the typed sentence %q is not pseudonymized in the preview (pseudonyms %v)", said, pseudonyms)
	}
	flagged := evalIn[[]string](iv, "list the open flags", `[...document.querySelectorAll("#preview ul.flags li.open strong.flagged")].map(e => e.innerText)`)
	if !slices.Contains(flagged, "최영철") {
		t.Fatalf("interviewer: no flag for the undeclared name 최영철 (with the title 씨); open flags: %q\n%s", flagged, iv.text("#preview"))
	}
	// 철수 is not in the pseudonymizer's list of given names: the title
	// alone must make it a name to decide.
	if !slices.Contains(flagged, "김철수") {
		t.Errorf("interviewer: no flag for the undeclared name 김철수 with the title 씨; open flags: %q", flagged)
	}
	iv.shot("03-interview-preview-flag")

	// Each flag is decided: the name is declared as a person, anything
	// else is kept as written (or, for a place, as its province).
	var declaredNames []string
	for range 10 {
		type flag struct{ ID, Text, Declare, Keep string }
		open := evalIn[[]flag](iv, "list the open flags", `[...document.querySelectorAll("#preview ul.flags li.open")].map(li => ({
			ID: li.id,
			Text: li.querySelector("strong.flagged")?.innerText ?? "",
			Declare: li.querySelector("button[value^='declare:']")?.value ?? "",
			Keep: li.querySelector("button[value^='accept:']")?.value ?? "",
		}))`)
		if len(open) == 0 {
			break
		}
		f := open[0]
		action := f.Keep
		if f.Text == "최영철" || f.Text == "김철수" {
			declaredNames = append(declaredNames, f.Text)
			if f.Declare == "" {
				t.Fatalf("interviewer: the flag on %s has no button to declare it as a person", f.Text)
			}
			action = f.Declare
		}
		if action == "" {
			t.Fatalf("interviewer: the flag %s (%q) has no button to decide it", f.ID, f.Text)
		}
		t.Logf("interviewer: flag %q → %s", f.Text, strings.SplitN(action, ":", 2)[0])
		iv.follow("decide a flag", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[name="action"][value=%q]`, action))))
		if iv.status != http.StatusOK {
			t.Fatalf("interviewer: deciding a flag answered %d:\n%s", iv.status, iv.text("main"))
		}
	}
	if n := evalIn[int](iv, "count the open flags", `document.querySelectorAll("#preview ul.flags li.open").length`); n != 0 {
		t.Fatalf("interviewer: %d flag(s) still open after deciding each one", n)
	}
	declared := evalIn[[]string](iv, "read the people table", `[...document.querySelectorAll("input[name=pnames]")].map(e => e.value)`)
	if !slices.ContainsFunc(declared, func(s string) bool { return strings.Contains(s, "최영철") }) {
		t.Errorf("interviewer: 최영철 was not added to the people table: %q", declared)
	}
	hidden := append(slices.Clone(sampleRealNames), declaredNames...)
	text = iv.text("#preview .preview-text")
	for _, name := range hidden {
		if strings.Contains(text, name) {
			t.Errorf("interviewer: after deciding the flags, the preview shows %q:\n%s", name, text)
		}
	}
	if !strings.Contains(text, "도와주었다") {
		t.Errorf("interviewer: the typed text was lost when a flag was decided:\n%s", text)
	}
	if n := evalIn[int](iv, "count the attachments", `document.querySelectorAll("ul.attachments li").length`); n != 0 {
		t.Errorf("interviewer: the draft has %d attachment(s) before any was added", n)
	}

	// The photo goes with the sealing.
	iv.do("attach the photo", chromedp.SetUploadFiles(chromedp.ID("attach"), []string{filepath.Join(dir, "photo.jpg")}))
	iv.follow("seal", chromedp.Click(chromedp.ID("seal")))
	if iv.status != http.StatusOK || !strings.HasPrefix(iv.path(), "/outbox") {
		t.Fatalf("interviewer: sealing answered %d at %s:\n%s", iv.status, iv.path(), iv.text("main"))
	}
	sealedID := evalIn[string](iv, "read the sealed ID", `new URLSearchParams(location.search).get("sealed") || ""`)
	if len(sealedID) != 32 {
		t.Fatalf("interviewer: sealing led to %s, which names no sealed ID", iv.path())
	}
	iv.follow("sync", chromedp.Click(chromedp.ID("sync")))
	if iv.status != http.StatusOK {
		t.Fatalf("interviewer: sync answered %d:\n%s", iv.status, iv.text("main"))
	}
	states := evalIn[[]string](iv, "read the outbox", `[...document.querySelectorAll("main table tbody tr")].map(tr => tr.innerText)`)
	// The demo's outbox also holds the made-up survey responses: every
	// row, the note's among them, must be sent.
	noteSent := false
	for _, row := range states {
		if !strings.Contains(row, "sent, in the log") {
			t.Errorf("interviewer: after sync, an outbox row is not sent: %q", row)
		}
		noteSent = noteSent || strings.HasPrefix(row, sealedID[:8])
	}
	if !noteSent || len(states) != demoResponses+1 {
		t.Errorf("interviewer: the outbox after sync has %d rows (want %d), the note's (%s) among them: %v", len(states), demoResponses+1, sealedID[:8], noteSent)
	}
	iv.shot("04-outbox-after-sync")

	// 2. Reviewer 1 pulls, finds, reads and annotates.
	r1 := newTab(t, browser, "reviewer 1", rev1, shots)
	r1.open()
	r1.unlock()
	r1.pull("05-pull")
	row := r1.text("table.inbox tbody")
	if !strings.Contains(row, "verified") {
		t.Errorf("reviewer 1: the inbox does not show the testimony as verified:\n%s", r1.text("main"))
	}
	r1.shot("06-reviewer-inbox")
	for _, q := range []struct {
		word string
		hits int
	}{
		{"도와주었다", 1},   // Hangul, typed by the interviewer
		{"winter", 1},  // Latin letters, from the sample
		{"WINTER", 1},  // any case
		{"qzxwvkj", 0}, // nothing
	} {
		r1.do("clear the search", chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""`))
		r1.do("type a search", chromedp.SendKeys(chromedp.ID("q"), q.word))
		r1.follow("search", chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)))
		got := evalIn[int](r1, "count the hits", `document.querySelectorAll('table.inbox a[href^="/t/"]').length`)
		if got != q.hits {
			t.Errorf("reviewer 1: searching %q found %d testimonies, want %d:\n%s", q.word, got, q.hits, r1.text("main"))
		}
		if q.hits == 0 && !strings.Contains(r1.text("main"), "Nothing matches.") {
			t.Errorf("reviewer 1: searching %q does not say nothing matches:\n%s", q.word, r1.text("main"))
		}
	}
	r1.do("clear the search", chromedp.Evaluate[chromedp.Void](`document.getElementById("q").value = ""`))
	r1.do("search again", chromedp.SendKeys(chromedp.ID("q"), "도와주었다"))
	r1.follow("search", chromedp.Click(chromedp.CSS(`form.search button[type="submit"]`)))
	r1.follow("open the testimony", chromedp.Click(chromedp.CSS(`table.inbox a[href^="/t/"]`)))
	testimonyPath := r1.path()
	note := r1.text("#note")
	for _, name := range hidden {
		if strings.Contains(note, name) {
			t.Errorf("reviewer 1: the note shows the real name %q:\n%s", name, note)
		}
	}
	subject := r1.text("dl.meta dt:nth-of-type(2) + dd")
	if !slices.Contains(pseudonyms, subject) || !strings.Contains(note, subject) {
		t.Errorf("reviewer 1: the subject %q is not one of the note's pseudonyms %v, or not in the note:\n%s", subject, pseudonyms, note)
	}
	if !strings.Contains(note, "도와주었다") {
		t.Errorf("reviewer 1: the note lacks what the interviewer typed:\n%s", note)
	}
	r1.waitFor("the photo to load", `(() => { const i = document.querySelector(".attached img"); return !!i && i.complete; })()`)
	if w := evalIn[int](r1, "measure the photo", `document.querySelector(".attached img").naturalWidth`); w <= 0 {
		t.Errorf("reviewer 1: the photo did not load (naturalWidth %d)", w)
	}
	// The demo photo carries a GPS-like EXIF tag; sealing removed it.
	photo := runIn(r1, "fetch the photo", chromedp.Evaluate[string](`fetch(document.querySelector(".attached img").src)
		.then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b)))`, chromedp.EvalAwaitPromise))
	if len(photo) == 0 || strings.Contains(photo, "GPS") || strings.Contains(photo, "Exif") {
		t.Errorf("reviewer 1: the photo (%d bytes) still has its EXIF data, or is empty", len(photo))
	}
	r1.do("write a tag and a note",
		chromedp.SendKeys(chromedp.ID("tags"), "border-crossing, 국경"),
		chromedp.SendKeys(chromedp.ID("text"), "Dates checked against the 2019 survey."))
	r1.follow("save the annotation", chromedp.Click(chromedp.ID("annotate")))
	aside := r1.text("aside")
	if r1.status != http.StatusOK || !strings.Contains(r1.text("main"), "Saved and sealed to the reviewers.") ||
		!strings.Contains(aside, "border-crossing") || !strings.Contains(aside, "국경") || !strings.Contains(aside, "Dates checked against the 2019 survey.") {
		t.Errorf("reviewer 1: the annotation is not on the page (%d):\n%s", r1.status, r1.text("main"))
	}
	r1.shot("07-testimony-photo-tag")

	// 3. Reviewer 2, whose browser asks for Korean, sees reviewer 1's tag.
	r2 := newTab(t, browser, "reviewer 2", rev2, shots)
	r2.do("ask for Korean", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "ko-KR,ko;q=0.9"}})
		return err
	}))
	r2.open()
	if h := r2.text("h1"); h != "데스크 잠금 해제" {
		t.Errorf("reviewer 2: the unlock page is not in Korean with Accept-Language ko: %q", h)
	}
	r2.unlock()
	r2.pull("")
	if !strings.Contains(r2.text("main"), "받은 편지함") || !strings.Contains(r2.text("table.inbox"), "2026년 3월 14일") {
		t.Errorf("reviewer 2: the inbox is not in Korean, or its date not in Korean form:\n%s", r2.text("main"))
	}
	r2.shot("08-reviewer-inbox-korean")
	r2.follow("open the testimony", chromedp.Click(chromedp.CSS(`table.inbox a[href="`+testimonyPath+`"]`)))
	if r2.path() != testimonyPath {
		t.Errorf("reviewer 2 opened %s, reviewer 1 %s", r2.path(), testimonyPath)
	}
	if aside := r2.text("aside"); !strings.Contains(aside, "border-crossing") || !strings.Contains(aside, "국경") {
		t.Errorf("reviewer 2 does not see reviewer 1's tags:\n%s", aside)
	}
	r2.follow("switch to English", chromedp.Click(chromedp.CSS(`.lang a[lang="en"]`)))
	if m := r2.text("main"); !strings.Contains(m, "Reviewers' notes") || !strings.Contains(m, "14 March 2026") || strings.Contains(m, "검토자 메모") {
		t.Errorf("reviewer 2: the English switch did not return to English:\n%s", m)
	}
	r2.follow("switch to Korean", chromedp.Click(chromedp.CSS(`.lang a[lang="ko"]`)))
	if m := r2.text("main"); !strings.Contains(m, "검토자 메모") || !strings.Contains(m, "2026년 3월 14일") {
		t.Errorf("reviewer 2: the 한국어 switch did not turn the page Korean:\n%s", m)
	}

	// 4. The custodian re-identifies the interviewee, with a reason.
	cu := newTab(t, browser, "custodian 1", cust, shots)
	cu.open()
	cu.unlock()
	cu.pull("")
	cu.do("ask for a lookup",
		chromedp.SendKeys(chromedp.ID("pseudonym"), subject),
		chromedp.SendKeys(chromedp.ID("reason"), "Follow-up interview: the interviewee asked to add to the testimony."))
	cu.follow("look up", chromedp.Click(chromedp.ID("lookup")))
	result := cu.text("main")
	entry := regexp.MustCompile(`recorded in the log as entry (\d+)`).FindStringSubmatch(result)
	if strings.Contains(result, "kind:") {
		t.Errorf("custodian: the result shows a message key:\n%s", result)
	}
	if cu.status != http.StatusOK || !strings.Contains(cu.text(".match .real"), "박영수") || entry == nil {
		t.Errorf("custodian: looking up %q does not show 박영수 and its log entry (%d):\n%s", subject, cu.status, result)
	} else {
		t.Logf("custodian: %s → %s, log entry %s", subject, cu.text(".match .real"), entry[1])
	}
	cu.shot("09-custodian-result")

	// 5. What the desks refuse.
	// Security headers, on a page the browser loaded.
	resp := iv.navigate(iv.base + "/outbox")
	hdr := func(name string) string {
		for k, v := range resp.Headers {
			if strings.EqualFold(k, name) {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	if csp := hdr("Content-Security-Policy"); csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the desk's Content-Security-Policy is %q", csp)
	}
	if cc := hdr("Cache-Control"); cc != "no-store" {
		t.Errorf("the desk's Cache-Control is %q, want no-store", cc)
	}
	if xfo := hdr("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("the desk's X-Frame-Options is %q, want DENY", xfo)
	}
	cookies := runIn(iv, "read the cookies", func(ctx context.Context, _ *chromedp.Target) ([]*network.Cookie, error) {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{iv.base + "/"}})
		return res.Cookies, err
	})
	i := slices.IndexFunc(cookies, func(c *network.Cookie) bool { return strings.HasPrefix(c.Name, "testimony-desk-") })
	if i < 0 {
		t.Errorf("the interviewer's browser holds no desk cookie: %+v", cookies)
	} else if c := cookies[i]; !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
		t.Errorf("the desk's cookie is not HttpOnly and SameSite=Strict: %+v", c)
	}

	// Without the secret: a fresh browser, and plain Go.
	stranger := newTab(t, browser, "stranger", lap, shots)
	if resp := stranger.navigate(lap.base + "/"); resp.Status != http.StatusForbidden || !strings.Contains(stranger.text("main"), "Open the desk with the address it printed") {
		t.Errorf("a browser without the secret opened the desk: %d\n%s", resp.Status, stranger.text("main"))
	}
	if n := evalIn[int](stranger, "count the language links", `document.querySelectorAll('a[href^="/lang"]').length`); n != 0 {
		t.Errorf("the refusal page offers %d language link(s), which the desk refuses too", n)
	}
	stranger.shot("10-refused")
	if resp := stranger.navigate(lap.base + "/outbox"); resp.Status != http.StatusForbidden {
		t.Errorf("a browser without the secret opened the outbox: %d", resp.Status)
	}
	for _, path := range []string{"/", "/outbox", "/t/00000000000000000000000000000000"} {
		if code := httpStatus(t, http.DefaultClient, http.MethodGet, lap.base+path, ""); code != http.StatusForbidden {
			t.Errorf("GET %s without the cookie: %d, want 403", path, code)
		}
	}
	// The refusal page is styled: its stylesheet needs no cookie (it is
	// in the binary, and holds nothing secret).
	if n := evalIn[int](stranger, "count the stylesheet's rules", `[...document.styleSheets].reduce((n, s) => n + s.cssRules.length, 0)`); n == 0 {
		t.Errorf("the refusal page has no stylesheet")
	}
	if code := httpStatus(t, http.DefaultClient, http.MethodPost, lap.base+"/lock", ""); code != http.StatusForbidden {
		t.Errorf("POST /lock without the cookie: %d, want 403", code)
	}

	// Another host name for the desk's address (DNS rebinding) is refused,
	// even with the cookie; the same request with the desk's host is not.
	jar, _ := cookiejar.New(nil)
	goBrowser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if code := httpStatus(t, goBrowser, http.MethodGet, lap.url, ""); code != http.StatusOK {
		t.Fatalf("plain Go with the printed address: %d", code)
	}
	if code := httpStatus(t, goBrowser, http.MethodGet, lap.base+"/outbox", ""); code != http.StatusOK {
		t.Errorf("plain Go with the cookie: %d, want 200", code)
	}
	if code := httpStatus(t, goBrowser, http.MethodGet, lap.base+"/outbox", "rebind.example:"+port(lap.base)); code != http.StatusForbidden {
		t.Errorf("a request for the host rebind.example: %d, want 403", code)
	}

	// A page of another origin on this machine (another port) posts to the
	// desk in the browser that holds the desk's cookie.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>a page elsewhere</title>
<form method="post" action="%[1]s/lock"><button id="lock">win a prize</button></form>
<form method="post" action="%[1]s/outbox/sync"><button id="sync">win another</button></form>`, lap.base)
	}))
	defer evil.Close()
	for _, target := range []string{"lock", "sync"} {
		iv.navigate(evil.URL)
		iv.follow("submit the other site's form to /"+target, chromedp.Click(chromedp.ID(target)))
		if iv.status != http.StatusForbidden || !strings.Contains(iv.text("main"), "came from another site") {
			t.Errorf("a cross-origin POST to the desk's %s: %d, want 403:\n%s", target, iv.status, iv.text("main"))
		}
	}
	iv.navigate(lap.base + "/")
	if p := iv.path(); p != "/" || !strings.Contains(iv.text("main"), "Drafts") {
		t.Errorf("after the cross-origin POST to /lock, the desk is at %s, want still unlocked:\n%s", p, iv.text("main"))
	}

	// 6. Stop the demo; run it again: the desk keeps its address, so the
	// first launch's (a bookmark) opens it; another secret is refused.
	if err := qs.stop(); err != nil {
		t.Fatalf("quickstart returned %v after its context ended", err)
	}
	again := startDemo(t, dir)
	lap2 := again.desks["laptop 1"]
	if lap2.url != lap.url {
		t.Errorf("the second launch moved the desk from %s to %s", lap.url, lap2.url)
	}
	late := newTab(t, browser, "late", lap2, shots)
	if resp := late.navigate(lap2.base + "/?k=not-the-secret-of-this-desk"); resp.Status != http.StatusForbidden || !strings.Contains(late.text("main"), "earlier launch") {
		t.Errorf("another secret on the second launch: %d\n%s", resp.Status, late.text("main"))
	}
	if resp := late.navigate(lap.url); resp.Status != http.StatusOK || !strings.HasPrefix(late.path(), "/unlock") {
		t.Errorf("the first launch's address on the second launch: %d at %s", resp.Status, late.path())
	}
	if err := again.stop(); err != nil {
		t.Fatalf("quickstart (second run) returned %v after its context ended", err)
	}
}

// demoRun is a quickstart running in the test.
type demoRun struct {
	desks map[string]browserDesk
	stop  func() error
}

// browserDesk is a desk as quickstart printed it.
type browserDesk struct {
	label, url, base, passphrase string
}

// startDemo runs quickstart in dir until stop, and waits (at most 60 s)
// for it to print the four desks.
func startDemo(t *testing.T, dir string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &qsBuffer{}, &qsBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"quickstart", "--dir", dir}, nil, stdout, stderr) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("quickstart did not return within 30 s of its context ending")
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out := stdout.String()
		if m := qsLine.FindAllStringSubmatch(out, -1); len(m) == 4 && strings.Contains(out, "Press Ctrl-C") {
			desks := map[string]browserDesk{}
			for _, x := range m {
				desks[x[2]] = browserDesk{label: x[2], url: x[3], base: strings.SplitN(x[3], "/?", 2)[0], passphrase: x[4]}
			}
			for _, label := range []string{"laptop 1", "reviewer 1", "reviewer 2", "custodian 1"} {
				if _, ok := desks[label]; !ok {
					t.Fatalf("quickstart printed no desk for %s:\n%s", label, out)
				}
			}
			return &demoRun{desks: desks, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("quickstart stopped early: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("quickstart printed no desks within 60 s:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	return nil
}

// startChromium starts a headless Chromium for the test, or skips the test
// if there is none (fails, with TESTIMONY_REQUIRE_TOOLS=1). The browser
// lives until the test ends, at most three minutes.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, 3*time.Minute)
}

// tab is one person's browser: a browser context of its own (its own
// cookies) with one tab on one desk.
type tab struct {
	t      *testing.T
	who    string
	ctx    context.Context
	desk   browserDesk
	base   string
	shots  string
	status int64 // of the last page loaded
}

func newTab(t *testing.T, browser context.Context, who string, d browserDesk, shots string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("%s: failed to open a tab: %v", who, err)
	}
	return &tab{t: t, who: who, ctx: ctx, desk: d, base: d.base, shots: shots}
}

// runIn runs one action in the tab, for at most 30 seconds.
func runIn[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: failed to %s: %v", b.who, what, err)
	}
	return v
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	runIn(b, what, chromedp.Steps(steps...))
}

// follow runs steps that load a page (a click on a link or a button) and
// waits for it; b.status is its HTTP status.
func (b *tab) follow(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: failed to %s: %v", b.who, what, err)
	}
	b.status = 0
	if resp != nil {
		b.status = resp.Status
	}
}

// navigate opens u and returns the response.
func (b *tab) navigate(u string) *network.Response {
	b.t.Helper()
	resp := runIn(b, "open "+u, chromedp.NavigateResponse(u))
	b.status = resp.Status
	return resp
}

// open opens the address the desk printed; a locked desk shows its
// unlock page.
func (b *tab) open() {
	b.t.Helper()
	b.navigate(b.desk.url)
	if !strings.HasPrefix(b.path(), "/unlock") || b.status != http.StatusOK {
		b.t.Fatalf("%s: the printed address led to %s (%d), want the unlock page", b.who, b.path(), b.status)
	}
}

func (b *tab) unlock() {
	b.t.Helper()
	b.do("type the passphrase", chromedp.SendKeys(chromedp.ID("passphrase"), b.desk.passphrase))
	b.follow("unlock", chromedp.Click(chromedp.CSS(`form[action="/unlock"] button[type="submit"]`)))
	// The page lists the unlock's steps while the keys open, then goes on
	// to the desk by itself.
	if strings.HasPrefix(b.path(), "/unlock") && b.status == http.StatusOK && b.text(".notice.error") == "" {
		b.waitFor("the unlock to finish", `location.pathname !== "/unlock" && document.readyState === "complete"`)
	}
	if b.status != http.StatusOK || b.path() != "/" {
		b.t.Fatalf("%s: unlocking led to %s (%d):\n%s", b.who, b.path(), b.status, b.text("main"))
	}
}

// pull starts a pull, waits until the pull page (which refreshes itself)
// says it is done, takes a screenshot named shot if any, and goes back.
func (b *tab) pull(shot string) {
	b.t.Helper()
	b.follow("start a pull", chromedp.Click(chromedp.ID("pull")))
	b.waitFor("the pull to finish", `document.readyState === "complete" && !!document.getElementById("back")`)
	if shot != "" {
		b.shot(shot)
	}
	if e := b.text(".notice.error"); e != "" {
		b.t.Fatalf("%s: the pull failed: %s", b.who, e)
	}
	b.follow("go back", chromedp.Click(chromedp.ID("back")))
}

// path is the path of the page the tab shows.
func (b *tab) path() string {
	return evalIn[string](b, "read the location", `location.pathname + location.search`)
}

// text is the visible text of the first element matching the CSS
// selector, or "" if there is none.
func (b *tab) text(sel string) string {
	q, _ := json.Marshal(sel)
	return evalIn[string](b, "read "+sel, fmt.Sprintf(`document.querySelector(%s)?.innerText ?? ""`, q))
}

// waitFor polls the JavaScript condition until it holds, for at most 30
// seconds, across page loads.
func (b *tab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("%s: waited 30 s for %s (last error: %v); the page says:\n%s", b.who, what, last, b.text("body"))
}

// shot writes a full-page PNG screenshot, scrolled to the top.
func (b *tab) shot(name string) {
	b.t.Helper()
	b.waitFor("the page to be laid out", `document.readyState === "complete" && document.documentElement.clientWidth > 0`)
	b.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	png := runIn(b, "take a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func evalIn[T any](b *tab, what, js string) T {
	b.t.Helper()
	return runIn(b, what, chromedp.Evaluate[T](js))
}

// pseudonymsIn reads the line "Pseudonyms in this note: A, B" of a
// preview.
func pseudonymsIn(preview string) []string {
	line := lineWith(preview, "Pseudonyms in this note:")
	_, list, ok := strings.Cut(line, ":")
	if !ok {
		return nil
	}
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// httpStatus sends a request with plain Go, with host as its Host header
// if not empty, and returns the status.
func httpStatus(t *testing.T, c *http.Client, method, u, host string) int {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func port(base string) string {
	return base[strings.LastIndexByte(base, ':')+1:]
}
