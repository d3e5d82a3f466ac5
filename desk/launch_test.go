package desk_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"testimony/desk"
)

// serveKept runs a desk for home on its kept address, as a launch does.
func serveKept(t *testing.T, home string, cfg desk.Config) (*desk.Desk, string) {
	t.Helper()
	cfg.Home = home
	d := must(desk.New(cfg))
	ln, _, err := d.ListenKept()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, d.LaunchURL(ln)
}

// opens reports the status and redirect of a fresh browser opening u, and
// whether it then reaches the desk's first page.
func opens(t *testing.T, u string) (int, bool) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return resp.StatusCode, false
	}
	base, _, _ := strings.Cut(u, "/?")
	resp, err = c.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return http.StatusSeeOther, resp.StatusCode == http.StatusOK
}

// The browser is handed a one-time launch address, never the kept secret:
// it opens the desk once, and is refused when used again, when old, when
// altered, or when made by the desk of another home.
func TestLaunchAddress(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	home := filepath.Join(t.TempDir(), "desk")
	d, launch := serveKept(t, home, desk.Config{Now: c.Now})
	_, printed, ok := d.Running(context.Background())
	_, secret, _ := strings.Cut(printed, "/?k=")
	if !ok || len(secret) < 32 || strings.Contains(launch, secret) {
		t.Fatalf("the launch address %s carries the kept secret of %s", launch, printed)
	}
	if code, ok := opens(t, launch); code != http.StatusSeeOther || !ok {
		t.Fatalf("the launch address: %d, reached the desk %v", code, ok)
	}
	if code, _ := opens(t, launch); code != http.StatusForbidden {
		t.Errorf("the launch address used twice: %d, want 403", code)
	}
	// Altered: each part of the token.
	base, tok, _ := strings.Cut(launch, "/?launch=")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("launch token %q", tok)
	}
	for i := range parts {
		alt := append([]string(nil), parts...)
		alt[i] = strings.Repeat("0", len(alt[i]))
		if code, _ := opens(t, base+"/?launch="+strings.Join(alt, ".")); code != http.StatusForbidden {
			t.Errorf("a launch token with part %d altered: %d, want 403", i, code)
		}
	}
	// Too old: made now, used after the time allowed.
	launch2, _, ok := d.Running(context.Background())
	if !ok {
		t.Fatal("the desk does not find itself running")
	}
	c.add(3 * time.Minute)
	if code, _ := opens(t, launch2); code != http.StatusForbidden {
		t.Errorf("a launch address 3 minutes old: %d, want 403", code)
	}
	// Made by a desk of another home, for this desk's port.
	other := must(desk.New(desk.Config{Home: filepath.Join(t.TempDir(), "other"), Now: c.Now}))
	otherLn := httptest.NewUnstartedServer(nil).Listener
	defer otherLn.Close()
	foreign := strings.Replace(other.LaunchURL(otherLn), otherLn.Addr().String(), strings.TrimPrefix(base, "http://"), 1)
	if code, _ := opens(t, foreign); code != http.StatusForbidden {
		t.Errorf("another desk's launch address: %d, want 403", code)
	}
}

// Started a second time (a second double-click), a desk finds the one
// already running for its home and hands out an address that opens it;
// another program on the kept port, or the desk of another home, is not
// taken for it.
func TestRunningDesk(t *testing.T) {
	home := filepath.Join(t.TempDir(), "desk")
	second := must(desk.New(desk.Config{Home: home}))
	if _, _, ok := second.Running(context.Background()); ok {
		t.Fatal("a desk never started is found running")
	}
	serveKept(t, home, desk.Config{})
	second = must(desk.New(desk.Config{Home: home}))
	launch, printed, ok := second.Running(context.Background())
	if !ok {
		t.Fatal("the running desk was not found")
	}
	if !strings.Contains(printed, "/?k=") || strings.Contains(launch, "k=") {
		t.Errorf("printed %s, launch %s", printed, launch)
	}
	if code, ok := opens(t, launch); code != http.StatusSeeOther || !ok {
		t.Errorf("the second start's launch address: %d, reached the desk %v", code, ok)
	}

	// Another home whose kept port another program answers on.
	imposter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("0", 64)))
	}))
	defer imposter.Close()
	for name, port := range map[string]string{"another program": strings.TrimPrefix(imposter.URL, "http://127.0.0.1:")} {
		h := filepath.Join(t.TempDir(), "third")
		d := must(desk.New(desk.Config{Home: h}))
		if err := desk.KeepPortForTest(d, port); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := d.Running(context.Background()); ok {
			t.Errorf("%s on the kept port was taken for the desk", name)
		}
	}
	// The desk of another home on this home's kept port.
	h := filepath.Join(t.TempDir(), "fourth")
	d := must(desk.New(desk.Config{Home: h}))
	_, port, _ := strings.Cut(strings.TrimPrefix(printed, "http://"), ":")
	port, _, _ = strings.Cut(port, "/")
	if err := desk.KeepPortForTest(d, port); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := d.Running(context.Background()); ok {
		t.Error("the desk of another home was taken for this one")
	}
}
