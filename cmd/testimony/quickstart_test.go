package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// qsBuffer is a bytes.Buffer that a running command writes while a test
// reads it.
type qsBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (q *qsBuffer) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.b.Write(p)
}

func (q *qsBuffer) String() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.b.String()
}

// qsDesk is a desk as quickstart printed it.
type qsDesk struct{ role, label, url, passphrase string }

var qsLine = regexp.MustCompile(`(?m)^  (\w+) +(.+?) +(http://127\.0\.0\.1:\d+/\?k=\S+)\n +passphrase: (\S+)$`)

// qsStart runs quickstart in dir until the returned stop is called, and
// returns the desks it printed.
func qsStart(t *testing.T, dir string) (desks map[string]qsDesk, out *qsBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &qsBuffer{}
	errs := &qsBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"quickstart", "--dir", dir}, nil, out, errs) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("quickstart did not stop within 30 s of Ctrl-C")
			return nil
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := qsLine.FindAllStringSubmatch(out.String(), -1); len(m) == 4 && strings.Contains(out.String(), "Press Ctrl-C") {
			desks = map[string]qsDesk{}
			for _, x := range m {
				desks[x[2]] = qsDesk{x[1], x[2], x[3], x[4]}
			}
			return desks, out, stop
		}
		select {
		case err := <-done:
			t.Fatalf("quickstart stopped early: %v\nstdout:\n%s\nstderr:\n%s", err, out, errs)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	t.Fatalf("quickstart printed no desks within 90 s:\n%s\nstderr:\n%s", out, errs)
	return nil, nil, nil
}

// qsBrowser is a cookie-keeping HTTP client that does not follow
// redirects, like a browser tab the test inspects step by step.
func qsBrowser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func qsGet(t *testing.T, c *http.Client, u string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

func TestQuickstart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	desks, out, stop := qsStart(t, dir)
	if !strings.Contains(out.String(), "Creating a demo organisation") {
		t.Errorf("the first run did not say it creates the organisation:\n%s", out)
	}
	for _, label := range []string{"laptop 1", "reviewer 1", "reviewer 2", "custodian 1"} {
		if _, ok := desks[label]; !ok {
			t.Errorf("no desk printed for %s", label)
		}
	}
	// Secrets on disk are passphrase-protected.
	for _, f := range []string{"reviewer-1.key", "desks/reviewer-1/identity.key", "desks/laptop-1/device.key", "desks/laptop-1/pseudonym.key", "desks/custodian-1/token.age"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("BEGIN AGE ENCRYPTED FILE")) || bytes.Contains(b, []byte("SECRET-KEY")) || bytes.Contains(b, []byte("tmy_")) {
			t.Errorf("%s is not passphrase-protected", f)
		}
	}

	// The interviewer opens the printed address, unlocks, and finds the
	// sample interview waiting as a draft.
	lap := desks["laptop 1"]
	c := qsBrowser(t)
	if code, loc, _ := qsGet(t, c, lap.url); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("opening the printed address: %d to %q, want 303 to /", code, loc)
	}
	base := strings.SplitN(lap.url, "/?", 2)[0]
	if code, loc, _ := qsGet(t, c, base+"/"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/unlock") {
		t.Fatalf("a locked desk: %d to %q, want 303 to /unlock", code, loc)
	}
	unlock := func(pass string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, base+"/unlock", strings.NewReader(url.Values{"passphrase": {pass}, "next": {"/"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	if code, _ := unlock(desks["reviewer 1"].passphrase); code != http.StatusForbidden {
		t.Errorf("another person's passphrase: %d, want 403", code)
	}
	if code, loc := unlock(lap.passphrase); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("unlocking with the printed passphrase: %d to %q", code, loc)
	}
	code, _, page := qsGet(t, c, base+"/")
	// The draft list names a draft by its kind and size, never by its words.
	if code != http.StatusOK || !strings.Contains(page, "/interview/") || !strings.Contains(page, "Interview note") || strings.Contains(page, "박영수") {
		t.Fatalf("the interviewer's home shows no sample draft, or shows its words (%d):\n%s", code, page)
	}
	if err := stop(); err != nil {
		t.Fatalf("quickstart returned %v after Ctrl-C", err)
	}

	// Again: the same organisation, the same desks, the draft still there.
	desks2, out2, stop2 := qsStart(t, dir)
	if !strings.Contains(out2.String(), "Reusing the demo organisation") {
		t.Errorf("the second run did not reuse the organisation:\n%s", out2)
	}
	if desks2["laptop 1"].passphrase != lap.passphrase {
		t.Error("the second run printed another passphrase for the same desk")
	}
	// The desk keeps its address: a bookmark of the first run's opens it.
	if desks2["laptop 1"].url != lap.url {
		t.Errorf("the second run moved the desk from %s to %s", lap.url, desks2["laptop 1"].url)
	}
	c2 := qsBrowser(t)
	if code, loc, _ := qsGet(t, c2, lap.url); code != http.StatusSeeOther || loc != "/" {
		t.Errorf("the first run's address on the second run: %d to %q", code, loc)
	}
	base2 := strings.SplitN(desks2["laptop 1"].url, "/?", 2)[0]
	if code, _, _ := qsGet(t, c2, base2+"/?k=not-the-secret-of-this-desk"); code != http.StatusForbidden {
		t.Errorf("another secret opens the desk: %d", code)
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}

	// A directory that is something else is left alone.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "file.txt"), []byte("x"), 0o644)
	var o, e bytes.Buffer
	err := run(context.Background(), []string{"quickstart", "--dir", other}, nil, &o, &e)
	if err == nil || !strings.Contains(err.Error(), "not a quickstart directory") {
		t.Errorf("quickstart in a foreign directory: %v", err)
	}
	// Nor is a file.
	file := filepath.Join(other, "file.txt")
	err = run(context.Background(), []string{"quickstart", "--dir", file}, nil, &o, &e)
	if err == nil || !strings.Contains(err.Error(), "is a file, not a directory") {
		t.Errorf("quickstart with a file as its directory: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("the file given as the directory was changed: %q", b)
	}
}

// TestQuickstartCutShort: a quickstart stopped while it creates the demo
// leaves a directory it marked as its own; the next run says so and starts
// over, instead of refusing the directory as someone else's.
func TestQuickstartCutShort(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs qsBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"quickstart", "--dir", dir}, nil, &out, &errs) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "passphrases", "admin.txt")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the first run made no passphrase within 60 s:\n%s\n%s", &out, &errs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel() // Ctrl-C while the keys are being made
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a quickstart stopped while creating the demo reported success")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the first run did not stop within 60 s of Ctrl-C")
	}
	if _, err := os.Stat(filepath.Join(dir, "roster.txt")); err == nil {
		t.Fatal("the first run finished the demo before it was stopped; nothing was cut short")
	}
	if _, err := os.Stat(filepath.Join(dir, demoMark)); err != nil {
		t.Fatalf("the cut-short demo is not marked as the quickstart's: %v", err)
	}

	desks, out2, stop := qsStart(t, dir)
	defer stop()
	if !strings.Contains(out2.String(), "was not finished") || !strings.Contains(out2.String(), "Creating a demo organisation") {
		t.Errorf("the second run did not say it starts the unfinished demo over:\n%s", out2)
	}
	if len(desks) != 4 {
		t.Errorf("the second run printed %d desks, want 4", len(desks))
	}
}
