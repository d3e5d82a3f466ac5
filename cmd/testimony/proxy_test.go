package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/client/socks5test"
)

// runCLI runs a testimony command in this process and returns its stdout,
// its stderr with the error it ended with, and its exit code.
func runCLI(args ...string) (string, string, int) {
	var stdout, stderr bytes.Buffer
	code := exitCode(run(context.Background(), args, strings.NewReader(""), &stdout, &stderr), &stderr)
	return stdout.String(), stderr.String(), code
}

// TestProxy: every command that reaches the server (enroll, roster
// publish, push, pull, verify, desk init) does so through a SOCKS5 proxy
// given with --proxy or in ALL_PROXY, to the real server under an onion
// name that only the proxy can resolve; the proxy is asked for that name,
// never an address. With the proxy down, a command fails and says so, and
// does not go to the server directly, though the server is right there.
func TestProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("the proxy scenario is skipped with -short")
	}
	for _, v := range []string{"ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(v, "")
	}
	o := &tamperOrg{t: t, dir: t.TempDir()}
	o.setUp() // three submissions pushed directly, each role's receipts verified
	p := func(elem ...string) string { return filepath.Join(append([]string{o.dir}, elem...)...) }
	// Tor resolves the onion name; nothing on this machine can (Go refuses
	// to look up .onion names, RFC 7686).
	onion := strings.Repeat("x", 56) + ".onion"
	px := must(socks5test.Start(socks5test.Options{Hosts: map[string]string{onion: must(url.Parse(o.url)).Host}}))
	defer px.Close()
	onionURL, proxy := "http://"+onion, "socks5h://"+px.Addr
	pinned := []string{"--roster", p("roster.txt"), "--admin-pub", p("admin.pub")}

	// The admin enrolls a second reviewer and publishes a roster that
	// lists them, through the proxy.
	os.WriteFile(p("reviewer2.pub"), []byte(o.must("keygen", "--out", p("reviewer2.key"), "--insecure-no-passphrase")), 0o644)
	o.must("roster", "add-reviewer", "--label", "reviewer 2", "--recipient", p("reviewer2.pub"), "--roster", p("roster.txt"), "--admin-key", p("admin.key"))
	o.must("roster", "publish", "--server", onionURL, "--proxy", proxy, "--token-file", p("admin.token"), "--roster", p("roster.txt"))
	code := o.must("admin", "enroll", "--data", p("srv"), "--role", "reviewer", "--label", "reviewer 2")
	o.must("enroll", "--server", onionURL, "--proxy", proxy, "--code", code, "--out", p("reviewer2.token"))

	// The laptop pushes a fourth submission; the new reviewer pulls all
	// four and verifies; the laptop verifies its receipts.
	os.Mkdir(p("outbox-tor"), 0o700)
	seal := func() string {
		return o.must(append([]string{"seal", "--device-key", p("laptop.key"), "--device-id", "laptop-1", "--note", p("note.md"), "--out", p("outbox-tor") + "/"}, pinned...)...)
	}
	id := seal()
	o.must(append([]string{"push", "--server", onionURL, "--proxy", proxy, "--token-file", p("laptop.token"), "--receipts", p("receipts"), p("outbox-tor", id+".age")}, pinned...)...)
	o.must(append([]string{"pull", "--server", onionURL, "--proxy", proxy, "--token-file", p("reviewer2.token"), "--out", p("inbox2")}, pinned...)...)
	for _, want := range append(o.ids, id) {
		if _, err := os.Stat(p("inbox2", want+".age")); err != nil {
			t.Errorf("pull through the proxy: %v", err)
		}
	}
	o.must(append([]string{"verify", "--server", onionURL, "--proxy", proxy, "--token-file", p("laptop.token"), "--receipts", p("receipts")}, pinned...)...)

	// ALL_PROXY serves as well as --proxy.
	t.Setenv("ALL_PROXY", proxy)
	if out := o.must(append([]string{"verify", "--server", onionURL, "--token-file", p("reviewer2.token"), "--receipts", p("inbox2", "receipts")}, pinned...)...); !strings.Contains(out, "OK: ") {
		t.Errorf("verify through ALL_PROXY: %s", out)
	}

	// desk init keeps the proxy it used in the profile: --proxy, or
	// ALL_PROXY's.
	os.WriteFile(p("pass.txt"), []byte("correct horse battery staple\n"), 0o600)
	deskInit := func(home string, extra ...string) {
		o.must(append([]string{"desk", "init", "--home", p(home), "--server", onionURL, "--admin-pub", p("admin.pub"),
			"--token-file", p("reviewer2.token"), "--identity", p("reviewer2.key"), "--passphrase-file", p("pass.txt")}, extra...)...)
		var prof desk.Profile
		if err := json.Unmarshal(must(os.ReadFile(p(home, "profile.json"))), &prof); err != nil || prof.Proxy != proxy || prof.Server != onionURL {
			t.Errorf("%s: %+v, %v; want the proxy %s kept", home, prof, err, proxy)
		}
		if fi, err := os.Stat(p(home, "profile.json")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s/profile.json: %v, %v", home, fi.Mode(), err)
		}
	}
	deskInit("desk-env")
	t.Setenv("ALL_PROXY", "")
	deskInit("desk-flag", "--proxy", proxy)

	// The proxy was asked for the onion name every time, never an
	// address.
	reqs := px.Requests()
	if len(reqs) < 8 {
		t.Errorf("the proxy saw %d connections, want one at least per command", len(reqs))
	}
	for _, r := range reqs {
		if !r.Name || r.Host != onion {
			t.Errorf("the proxy was asked for %+v, want the name %s", r, onion)
		}
	}

	// The proxy stops. A push to the server's real, reachable loopback
	// address through it fails, says why, keeps no receipt, and did not
	// reach the server: a direct pull finds nothing new.
	px.Close()
	late := seal()
	_, errOut, code2 := runCLI(append([]string{"push", "--server", o.url, "--proxy", "socks5h://tor:s3cret@" + px.Addr, "--token-file", p("laptop.token"),
		"--receipts", p("receipts"), p("outbox-tor", late+".age")}, pinned...)...)
	if code2 != exitError || !strings.Contains(errOut, "failed to reach the proxy socks5h://"+px.Addr) || !strings.Contains(errOut, "does not connect without it") {
		t.Errorf("push with the proxy down: exit %d\n%s", code2, errOut)
	}
	if strings.Contains(errOut, "s3cret") || strings.Contains(errOut, "tor:") {
		t.Errorf("the proxy's credentials are shown:\n%s", errOut)
	}
	if _, err := os.Stat(p("receipts", late+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a receipt was kept: %v", err)
	}
	// Nor does a pull, or a verify.
	for _, cmd := range [][]string{
		{"pull", "--out", p("inbox3")},
		{"verify", "--receipts", p("inbox2", "receipts")},
	} {
		_, errOut, code := runCLI(append(append(cmd, "--server", o.url, "--proxy", "socks5h://"+px.Addr, "--token-file", p("reviewer2.token")), pinned...)...)
		if code != exitError || !strings.Contains(errOut, "failed to reach the proxy") {
			t.Errorf("%s with the proxy down: exit %d\n%s", cmd[0], code, errOut)
		}
	}
	if _, err := os.Stat(p("inbox3", o.ids[0]+".age")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a pull with the proxy down downloaded: %v", err)
	}
	if out, errOut, _ := runCLI(append([]string{"pull", "--server", o.url, "--token-file", p("reviewer2.token"), "--out", p("inbox2")}, pinned...)...); !strings.Contains(errOut, "pulled 0 new file(s)") {
		t.Errorf("the push with the proxy down reached the server:\n%s%s", out, errOut)
	}
	// The environment's proxy is no different.
	t.Setenv("ALL_PROXY", proxy)
	if _, errOut, code := runCLI(append([]string{"pull", "--server", onionURL, "--token-file", p("reviewer2.token"), "--out", p("inbox2")}, pinned...)...); code != exitError || !strings.Contains(errOut, "failed to reach the proxy") {
		t.Errorf("pull with ALL_PROXY down: exit %d\n%s", code, errOut)
	}
	t.Setenv("ALL_PROXY", "")
}

// TestProxyRefused: a proxy that is not SOCKS5, on the command line or in
// the environment, and an onion server without a proxy, are refused
// before anything is sent, with a message that says what to do and
// never shows the proxy's password.
func TestProxyRefused(t *testing.T) {
	for _, v := range []string{"ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	onion := "http://" + strings.Repeat("x", 56) + ".onion"
	for _, tc := range []struct {
		name string
		env  [2]string
		args []string
		code int
		want string
	}{
		{"a web proxy", [2]string{}, []string{"enroll", "--server", "https://intake.example.org", "--proxy", "http://user:s3cret@proxy.example:3128", "--code", "X", "--out", filepath.Join(dir, "t")},
			exitUsage, "--proxy: testimony uses only SOCKS5 proxies, not http://"},
		{"no scheme", [2]string{}, []string{"enroll", "--server", "https://intake.example.org", "--proxy", "127.0.0.1:9050", "--code", "X", "--out", filepath.Join(dir, "t")},
			exitUsage, "the proxy must be a SOCKS5 URL like socks5h://127.0.0.1:9050"},
		{"a web proxy in the environment", [2]string{"HTTPS_PROXY", "http://user:s3cret@proxy.example:3128"}, []string{"enroll", "--server", "https://intake.example.org", "--code", "X", "--out", filepath.Join(dir, "t")},
			exitError, "HTTPS_PROXY names a proxy this client cannot use"},
		{"an onion without a proxy", [2]string{}, []string{"enroll", "--server", onion, "--code", "X", "--out", filepath.Join(dir, "t")},
			exitError, "a .onion server is reached only through Tor"},
		{"desk init", [2]string{}, []string{"desk", "init", "--home", filepath.Join(dir, "d"), "--server", onion, "--proxy", "socks4://user:s3cret@127.0.0.1:1080",
			"--admin-pub", "x", "--token-file", os.DevNull}, exitUsage, "--proxy: testimony uses only SOCKS5 proxies, not socks4://"},
		{"desk", [2]string{}, []string{"desk", "--home", filepath.Join(dir, "d"), "--proxy", "https://user:s3cret@proxy.example"}, exitUsage, "--proxy: testimony uses only SOCKS5 proxies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			_, errOut, code := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", code, tc.code, tc.want, errOut)
			}
			if strings.Contains(errOut, "s3cret") {
				t.Errorf("the password is shown:\n%s", errOut)
			}
		})
	}
}
