package desk_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/client/socks5test"
)

// setProfile changes the profile in home as a person editing profile.json
// would.
func setProfile(t *testing.T, home string, change func(*desk.Profile)) {
	t.Helper()
	path := filepath.Join(home, "profile.json")
	var p desk.Profile
	if err := json.Unmarshal(must(os.ReadFile(path)), &p); err != nil {
		t.Fatal(err)
	}
	change(&p)
	if err := os.WriteFile(path, must(json.MarshalIndent(p, "", "  ")), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDeskProxy: a desk reaches its server through the proxy its profile
// keeps, or the one it is started with, or else ALL_PROXY's, under an
// onion name only the proxy can resolve; with the proxy down, a pull
// fails and says so, and never goes to the server directly.
func TestDeskProxy(t *testing.T) {
	for _, v := range []string{"ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(v, "")
	}
	o := newOrg(t)
	onion := strings.Repeat("d", 56) + ".onion"
	server := strings.TrimPrefix(o.url, "http://")
	px := must(socks5test.Start(socks5test.Options{Hosts: map[string]string{onion: server}}))
	defer px.Close()
	home := o.homes["reviewer 1"]
	pull := func(cfg desk.Config) string {
		t.Helper()
		tb := start(t, home, cfg)
		tb.unlock()
		return tb.waitPull()
	}
	checkProxied := func(what string, n int) {
		t.Helper()
		reqs := px.Requests()
		if len(reqs) <= n {
			t.Errorf("%s: the proxy saw no connection", what)
		}
		for _, r := range reqs {
			if !r.Name || r.Host != onion {
				t.Errorf("%s: the proxy was asked for %+v, want the name %s", what, r, onion)
			}
		}
	}

	// The profile's proxy.
	setProfile(t, home, func(p *desk.Profile) { p.Server, p.Proxy = "http://"+onion, "socks5h://"+px.Addr })
	if page := pull(desk.Config{}); !strings.Contains(page, "Done: 0 new file(s)") {
		t.Errorf("pull through the profile's proxy:\n%s", page)
	}
	checkProxied("the profile's proxy", 0)

	// ALL_PROXY, for a profile without a proxy.
	setProfile(t, home, func(p *desk.Profile) { p.Proxy = "" })
	t.Setenv("ALL_PROXY", "socks5h://"+px.Addr)
	n := len(px.Requests())
	if page := pull(desk.Config{}); !strings.Contains(page, "Done: 0 new file(s)") {
		t.Errorf("pull through ALL_PROXY:\n%s", page)
	}
	checkProxied("ALL_PROXY", n)
	t.Setenv("ALL_PROXY", "")

	// The proxy is down. The profile names the server's real address,
	// which is right there on loopback: the pull still fails.
	dead := must(socks5test.Start(socks5test.Options{}))
	dead.Close()
	setProfile(t, home, func(p *desk.Profile) { p.Server, p.Proxy = o.url, "socks5h://"+dead.Addr })
	if page := pull(desk.Config{}); !strings.Contains(page, "The pull stopped") || !strings.Contains(page, "failed to reach the proxy socks5h://"+dead.Addr) {
		t.Errorf("pull with the proxy down:\n%s", page)
	}

	// desk --proxy, for one run, instead of the profile's.
	setProfile(t, home, func(p *desk.Profile) { p.Server = "http://" + onion })
	n = len(px.Requests())
	if page := pull(desk.Config{Proxy: "socks5h://" + px.Addr}); !strings.Contains(page, "Done: 0 new file(s)") {
		t.Errorf("pull through the run's proxy:\n%s", page)
	}
	checkProxied("the run's proxy", n)

	// A profile whose proxy is not SOCKS5, or an onion server without a
	// proxy, does not start.
	setProfile(t, home, func(p *desk.Profile) { p.Proxy = "http://proxy.example:3128" })
	if _, err := desk.New(desk.Config{Home: home}); err == nil || !strings.Contains(err.Error(), "only SOCKS5 proxies") {
		t.Errorf("a web proxy in the profile: %v", err)
	}
	setProfile(t, home, func(p *desk.Profile) { p.Proxy = "" })
	if _, err := desk.New(desk.Config{Home: home}); err == nil || !strings.Contains(err.Error(), "reached only through Tor") {
		t.Errorf("an onion server without a proxy: %v", err)
	}
}
