package desk_test

import (
	"bytes"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"testimony/desk"
)

// Every way a request names where to go next (back= after switching
// language, next= after unlocking, the page a locked desk was asked for)
// ends on one of the desk's own pages: never on another host, whatever a
// browser makes of the address.
func TestRedirectsStayOnDesk(t *testing.T) {
	o := newOrg(t)
	tb := start(t, o.homes["reviewer 1"], desk.Config{})
	nasty := []string{"/\t/evil.example", "/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example", "/%2F%2Fevil.example", "javascript:alert(1)", " /pull"}
	for _, target := range nasty {
		if code, loc, _ := tb.get("/lang?to=ko&back=" + url.QueryEscape(target)); code != http.StatusSeeOther || loc != "/" {
			t.Errorf("back=%q: %d to %q, want /", target, code, loc)
		}
		if code, loc, _ := tb.get("/unlock?next=" + url.QueryEscape(target)); code != http.StatusOK {
			t.Errorf("GET /unlock?next=%q: %d", target, code)
		} else if _, _, page := tb.get("/unlock?next=" + url.QueryEscape(target)); !strings.Contains(page, `name="next" value="/"`) {
			t.Errorf("GET /unlock?next=%q carries it on into the form (%q)", target, loc)
		}
	}
	// A locked desk asked for a page with encoded slashes in it.
	if code, loc, _ := tb.get("/t/%2F%2Fevil.example"); code != http.StatusSeeOther || loc != "/unlock?next=%2F" {
		t.Errorf("a locked /t/%%2F%%2Fevil.example: %d to %q", code, loc)
	}
	for _, target := range nasty {
		if code, loc, _ := tb.post("/unlock", url.Values{"passphrase": {testPass}, "next": {target}}); code != http.StatusSeeOther || loc != "/" {
			t.Errorf("unlocking with next=%q: %d to %q, want /", target, code, loc)
		}
	}
	// The desk's own pages are kept.
	if code, loc, _ := tb.get("/lang?to=en&back=" + url.QueryEscape("/?q=%EA%B9%80")); code != http.StatusSeeOther || loc != "/?q=%EA%B9%80" {
		t.Errorf("back to a search: %d to %q", code, loc)
	}
	if code, loc, _ := tb.post("/unlock", url.Values{"passphrase": {testPass}, "next": {"/pull"}}); code != http.StatusSeeOther || loc != "/pull" {
		t.Errorf("unlocking with next=/pull: %d to %q", code, loc)
	}
	// The language links of a page carry the page back, as a desk page
	// whose query stays a query.
	_, _, page := tb.get("/pull?x=%09%2F%2Fevil.example")
	link, err := url.Parse(html.UnescapeString(between(page, "/lang?to=ko", `"`)))
	if back := link.Query().Get("back"); err != nil || back != "/pull?x=%09%2F%2Fevil.example" {
		t.Errorf("the language link carries back=%q (%v)", back, err)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// A file too large to be sealed testimony is refused by its size, with a
// message that says so, before it is read.
func TestImportRefusesOversize(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	usb := t.TempDir()
	f, err := os.Create(filepath.Join(usb, "0123456789abcdef0123456789abcdef.age"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2<<30 + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if _, page := lap.submit("/outbox/import", url.Values{"dir": {usb}}); !strings.Contains(page, "larger than a sealed file can be") {
		t.Errorf("importing a file of 2 GiB + 1:\n%s", between(page, `role="alert"`, "</div>"))
	}
	if files, _ := os.ReadDir(filepath.Join(o.homes["laptop 1"], "outbox")); len(files) != 0 {
		t.Errorf("a refused import left %d file(s) in the outbox", len(files))
	}
}

// The desk's log keeps times only to the hour: it must not tell when an
// interview was sealed or sent more precisely than the sealed file's day.
func TestLogTimesToTheHour(t *testing.T) {
	o := newOrg(t)
	var buf lockedBuffer
	lap := start(t, o.homes["laptop 1"], desk.Config{Log: slog.New(slog.NewJSONHandler(&buf, nil)).With("desk", "laptop 1")})
	lap.unlock()
	_, loc, _ := lap.post("/interview/new", nil)
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {"떠났다."}, "action": {"seal"}}
	if code, loc, _ := lap.post(loc, form); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/outbox?sealed=") {
		t.Fatalf("seal: %d to %q", code, loc)
	}
	lap.post("/outbox/sync", nil)
	lap.post("/lock", nil)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	msgs := map[string]bool{}
	for _, line := range lines {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line that is not JSON: %q", line)
		}
		msgs[rec.Msg] = true
		if rec.Time.IsZero() || !rec.Time.Truncate(time.Hour).Equal(rec.Time) {
			t.Errorf("a log time finer than the hour: %q", line)
		}
	}
	for _, m := range []string{"unlocked", "sealed an interview into the outbox", "synced the outbox", "locked by its user"} {
		if !msgs[m] {
			t.Errorf("no %q in the log:\n%s", m, buf.String())
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
