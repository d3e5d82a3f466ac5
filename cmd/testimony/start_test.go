package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the desk writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStart runs testimony as a double-click does (no arguments) and as
// 'testimony start', with the browser replaced by a recorder, and opens
// the address it was given as the browser would.
func TestStart(t *testing.T) {
	tests := []struct {
		name     string
		args     func(home string) []string
		opened   bool   // the browser is asked to open the desk
		failOpen bool   // and fails to
		where    string // the profile folder, under the home folder
	}{
		// Double-clicked, nothing set up yet: the setup page of
		// ~/testimony-desk opens in the browser.
		{"no arguments", func(string) []string { return nil }, true, false, "testimony-desk"},
		// The same, typed.
		{"start", func(string) []string { return []string{"start"} }, true, false, "testimony-desk"},
		// Another profile folder.
		{"start --home", func(h string) []string { return []string{"start", "--home", filepath.Join(h, "other")} }, true, false, "other"},
		// --no-browser: only the printed address.
		{"no browser", func(string) []string { return []string{"start", "--no-browser"} }, false, false, "testimony-desk"},
		// No browser could be started: a warning, and the desk still runs
		// at the printed address.
		{"browser fails", func(string) []string { return nil }, true, true, "testimony-desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("USERPROFILE", home)
			opened := make(chan string, 2)
			defer func(f func(string) error) { openBrowser = f }(openBrowser)
			openBrowser = func(url string) error {
				opened <- url
				if tt.failOpen {
					return os.ErrNotExist
				}
				return nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuffer
			done := make(chan error, 1)
			go func() { done <- run(ctx, tt.args(home), strings.NewReader(""), &stdout, &stderr) }()
			stopped := false
			defer func() {
				cancel()
				if stopped {
					return
				}
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("run returned %v after its context ended\nstderr:\n%s", err, stderr.String())
					}
				case <-time.After(20 * time.Second):
					t.Error("the desk did not stop within 20 s of its context ending")
				}
			}()

			// The address the desk printed.
			var url string
			for deadline := time.Now().Add(20 * time.Second); url == ""; {
				for _, f := range strings.Fields(stdout.String()) {
					if strings.HasPrefix(f, "http://127.0.0.1:") {
						url = f
					}
				}
				select {
				case err := <-done:
					stopped = true
					t.Fatalf("run stopped early: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatalf("no desk address printed within 20 s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				}
			}
			visit := url
			if tt.opened {
				select {
				case got := <-opened:
					// A one-time address on the same port: the printed
					// one's secret must not show in the process list.
					base, secret, _ := strings.Cut(url, "/?k=")
					if !strings.HasPrefix(got, base+"/?launch=") || secret == "" || strings.Contains(got, secret) {
						t.Errorf("the browser was asked to open %q, the desk printed %q", got, url)
					}
					if !tt.failOpen {
						visit = got
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the browser was not asked to open the desk")
				}
			} else {
				select {
				case got := <-opened:
					t.Fatalf("the browser was asked to open %q with --no-browser", got)
				case <-time.After(200 * time.Millisecond):
				}
			}
			if warned := strings.Contains(stderr.String(), "failed to open the browser"); warned != tt.failOpen {
				t.Errorf("warning about the browser: %v, want %v\nstderr:\n%s", warned, tt.failOpen, stderr.String())
			}

			// The browser's visit: the setup page of the expected folder.
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
			resp, err := c.Get(visit)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Set up this desk") {
				t.Errorf("the address answers %s, not the setup page:\n%.600s", resp.Status, body)
			}

			// Started again while it runs (a second double-click): no
			// second desk, the browser is sent to the running one.
			if tt.failOpen {
				return
			}
			var out2, err2 syncBuffer
			if err := run(context.Background(), tt.args(home), strings.NewReader(""), &out2, &err2); err != nil {
				t.Fatalf("second start: %v\n%s", err, err2.String())
			}
			if !strings.Contains(out2.String(), "already running") || !strings.Contains(out2.String(), url) {
				t.Errorf("second start printed:\n%s\nwant the running desk's address %s", out2.String(), url)
			}
			if !tt.opened {
				return
			}
			select {
			case got := <-opened:
				base, _, _ := strings.Cut(url, "/?k=")
				if !strings.HasPrefix(got, base+"/?launch=") {
					t.Fatalf("the second start opened %q, not the running desk at %s", got, base)
				}
				jar, _ := cookiejar.New(nil)
				c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
				resp, err := c.Get(got)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("the second start's address answers %s", resp.Status)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the second start did not open the running desk")
			}
			if _, err := os.Stat(filepath.Join(home, tt.where)); err != nil {
				t.Errorf("the desk's folder: %v", err)
			}
		})
	}
}

// TestStartErrors: what start refuses, and a home folder it cannot use.
func TestStartErrors(t *testing.T) {
	defer func(f func(string) error) { openBrowser = f }(openBrowser)
	openBrowser = func(url string) error { t.Errorf("the browser was asked to open %q", url); return nil }

	// An argument start does not take.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"start", "now"}, strings.NewReader(""), &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitUsage {
		t.Errorf("start now: exit code %d, want %d (%v)", code, exitUsage, err)
	}

	// The home folder is a file: no desk can be made there, and the
	// double-click says where it tried.
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", file)
	t.Setenv("USERPROFILE", file)
	stderr.Reset()
	err = run(context.Background(), nil, strings.NewReader(""), &stdout, &stderr)
	if code := exitCode(err, &stderr); code == exitOK || !strings.Contains(stderr.String(), "not-a-folder") {
		t.Errorf("a home folder that is a file: exit code %d, stderr:\n%s", code, stderr.String())
	}
}

// TestOpenBrowser runs the real opener against a stand-in xdg-open that
// records its arguments: the desk's address is one argument, as given,
// never read by a shell; other addresses are refused.
func TestOpenBrowser(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the stand-in opener is a shell script for xdg-open")
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	url := "http://127.0.0.1:4321/?k=a$(touch x);b`c`&d"
	if err := openBrowser(url); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if got, err = os.ReadFile(record); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("xdg-open was not run within 10 s")
		}
	}
	if string(got) != url+"\n" {
		t.Errorf("xdg-open got the arguments %q, want only %q", got, url)
	}

	for _, bad := range []string{"https://example.org/", "file:///etc/passwd", "http://127.0.0.1.example.org/", "-a"} {
		if err := openBrowser(bad); err == nil {
			t.Errorf("openBrowser(%q) opened it", bad)
		}
	}
}
