package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"testimony/internal/client"
	"testimony/internal/client/socks5test"
	"testimony/internal/store"
	"testimony/server"
)

// onion is an onion service's address as Tor's proxy knows it. Nothing on
// this machine can resolve it (Go refuses to look up .onion names, RFC
// 7686), so a client that tried would fail.
var onion = strings.Repeat("t", 56) + ".onion"

// dials records every address a client's transport dials, and fails the
// test for any that is not on the allowed list: a client that dialled the
// server, or looked up its name, would have to pass the server's name or
// address here.
func dials(t *testing.T, allowed ...string) *[]string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	restore := client.SetDial(func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		seen = append(seen, addr)
		mu.Unlock()
		if !slices.Contains(allowed, addr) {
			t.Errorf("the client dialled %s, which is not the proxy", addr)
			return nil, errors.New("dial refused by the test")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	})
	t.Cleanup(restore)
	return &seen
}

// clearProxyEnv unsets every variable that may name a proxy.
func clearProxyEnv(t *testing.T) {
	for _, v := range []string{"ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		t.Setenv(v, "")
	}
}

// TestProxy: push, pull and verify through a SOCKS5 proxy reach the real
// server, under its onion name; the proxy is sent the name (not an
// address: this machine resolved nothing) and is the only thing the client
// dials.
func TestProxy(t *testing.T) {
	clearProxyEnv(t)
	for _, tc := range []struct {
		name, scheme, user, password string
	}{
		{"socks5h", "socks5h", "", ""},
		// socks5:// resolves through the proxy too in Go's transport.
		{"socks5", "socks5", "", ""},
		// Tor isolates streams by SOCKS user name and password.
		{"password", "socks5h", "isolate-1", "s3cret-pw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			o := newOrg(t)
			srv := must(url.Parse(o.url)).Host
			px := must(socks5test.Start(socks5test.Options{Hosts: map[string]string{onion: srv}, User: tc.user, Password: tc.password}))
			defer px.Close()
			seen := dials(t, px.Addr)
			proxyURL := tc.scheme + "://" + px.Addr
			if tc.user != "" {
				proxyURL = tc.scheme + "://" + url.UserPassword(tc.user, tc.password).String() + "@" + px.Addr
			}
			via := func(role store.Role) *client.Client {
				c, err := client.New("http://"+onion, o.tokens[role], func(w string) { t.Errorf("unexpected warning: %s", w) }, client.WithProxy(proxyURL))
				if err != nil {
					t.Fatal(err)
				}
				if c.Proxy() != tc.scheme+"://"+px.Addr {
					t.Errorf("Proxy() = %q", c.Proxy())
				}
				return c
			}
			id := o.seal(t, o.path("outbox"), "a note sent through Tor\n", true)
			logKey := o.roster.Log.Note()
			if _, err := via(store.Interviewer).Push(ctx, o.path("outbox", id+".age"), logKey, o.path("receipts")); err != nil {
				t.Fatalf("push through the proxy: %v", err)
			}
			res, err := via(store.Reviewer).Pull(ctx, o.path("inbox"), o.path("inbox", "receipts"), logKey, nil)
			if err != nil || !slices.Equal(res.New, []string{id}) {
				t.Fatalf("pull through the proxy: %+v, %v", res, err)
			}
			if rep, err := via(store.Interviewer).Verify(ctx, o.path("receipts"), logKey); err != nil || len(rep.Problems) != 0 {
				t.Fatalf("verify through the proxy: %+v, %v", rep, err)
			}
			reqs := px.Requests()
			if len(reqs) == 0 {
				t.Fatal("the proxy saw no request")
			}
			for _, r := range reqs {
				if !r.Name || r.Host != onion || r.Port != 80 || r.User != tc.user {
					t.Errorf("the proxy was asked for %+v, want the name %s:80 (user %q)", r, onion, tc.user)
				}
			}
			for _, a := range *seen {
				if a != px.Addr {
					t.Errorf("the client dialled %s", a)
				}
			}
		})
	}
}

// TestProxyFromEnvironment: with no proxy given, the one ALL_PROXY (or
// the server scheme's own variable) names is used; one given wins over
// the environment.
func TestProxyFromEnvironment(t *testing.T) {
	clearProxyEnv(t)
	o := newOrg(t)
	px := must(socks5test.Start(socks5test.Options{Hosts: map[string]string{onion: must(url.Parse(o.url)).Host}}))
	defer px.Close()
	dials(t, px.Addr)
	t.Setenv("ALL_PROXY", "socks5h://"+px.Addr)
	c := must(client.New("http://"+onion, o.tokens[store.Reviewer], nil))
	if who, err := c.WhoAmI(context.Background()); err != nil || who.Role != "reviewer" {
		t.Fatalf("whoami through ALL_PROXY: %+v, %v", who, err)
	}
	if r := px.Requests(); len(r) != 1 || r[0].Host != onion || !r[0].Name {
		t.Errorf("the proxy saw %+v", r)
	}
}

// TestCheckProxy: which proxy a client of a server chooses, from the
// flag and the environment.
func TestCheckProxy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		server   string
		explicit string
		env      map[string]string
		want     string // the proxy chosen, "" for none
		err      error
		errHas   string
	}{
		{name: "none", server: "https://intake.example.org"},
		{name: "ALL_PROXY", server: "https://intake.example.org", env: map[string]string{"ALL_PROXY": "socks5h://127.0.0.1:9050"}, want: "socks5h://127.0.0.1:9050"},
		{name: "all_proxy", server: "http://" + onion, env: map[string]string{"all_proxy": "socks5h://127.0.0.1:9150"}, want: "socks5h://127.0.0.1:9150"},
		{name: "the scheme's own variable first", server: "https://intake.example.org",
			env: map[string]string{"HTTPS_PROXY": "socks5://127.0.0.1:1080", "ALL_PROXY": "socks5h://127.0.0.1:9050"}, want: "socks5://127.0.0.1:1080"},
		{name: "HTTPS_PROXY is not for http servers", server: "http://" + onion,
			env: map[string]string{"HTTPS_PROXY": "socks5://127.0.0.1:1080", "ALL_PROXY": "socks5h://127.0.0.1:9050"}, want: "socks5h://127.0.0.1:9050"},
		{name: "the flag wins", server: "https://intake.example.org", explicit: "socks5h://[::1]:9050",
			env: map[string]string{"ALL_PROXY": "http://proxy.example:3128"}, want: "socks5h://[::1]:9050"},
		// A web proxy in the environment is refused, not ignored: the
		// person meant to use a proxy, so connecting directly is wrong.
		{name: "a web proxy", server: "https://intake.example.org", env: map[string]string{"HTTPS_PROXY": "http://user:hunter2@proxy.example:3128"},
			err: client.ErrBadProxy, errHas: "HTTPS_PROXY names a proxy this client cannot use"},
		{name: "garbage", server: "https://intake.example.org", env: map[string]string{"ALL_PROXY": "socks5h://user:hunter2@host:port:x"}, err: client.ErrBadProxy},
		{name: "a bad flag", server: "https://intake.example.org", explicit: "127.0.0.1:9050", err: client.ErrBadProxy},
		// The environment's proxies are not for a server on this machine
		// (as in Go's net/http): the demo keeps working under Tor.
		{name: "loopback", server: "http://127.0.0.1:8443", env: map[string]string{"ALL_PROXY": "socks5h://127.0.0.1:9050"}},
		{name: "loopback with the flag", server: "http://127.0.0.1:8443", explicit: "socks5h://127.0.0.1:9050", want: "socks5h://127.0.0.1:9050"},
		{name: "an onion without a proxy", server: "http://" + onion, err: client.ErrOnionNeedsProxy},
		{name: "an onion, written with a final dot", server: "http://" + onion + ".", err: client.ErrOnionNeedsProxy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearProxyEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			p, err := client.CheckProxy(tc.server, tc.explicit)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("CheckProxy: %v, want %v", err, tc.err)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "user") {
					t.Errorf("the error shows the proxy's credentials: %v", err)
				}
				if _, err := client.New(tc.server, "", nil, client.WithProxy(tc.explicit)); !errors.Is(err, tc.err) {
					t.Errorf("New: %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := client.ProxyString(p); (p == nil && tc.want != "") || (p != nil && got != tc.want) {
				t.Errorf("CheckProxy chose %s, want %q", got, tc.want)
			}
		})
	}
}

func TestParseProxy(t *testing.T) {
	for _, ok := range []string{"socks5h://127.0.0.1:9050", "socks5://[::1]:1080", "SOCKS5H://tor.internal:9050", "socks5h://u:p@127.0.0.1:9050/"} {
		if _, err := client.ParseProxy(ok); err != nil {
			t.Errorf("ParseProxy(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "127.0.0.1:9050", "localhost:9050", "http://127.0.0.1:8080", "https://proxy.example:443", "socks4://127.0.0.1:1080",
		"socks5h://127.0.0.1", "socks5h://:9050", "socks5h://127.0.0.1:9050/x", "socks5h://127.0.0.1:9050?a=b",
		"socks5h://secret-user:secret-pw@127.0.0.1", "socks5h://secret-user:secret-pw@127.0.0.1:9050/x", "http://secret-user:secret-pw@proxy:80",
		"socks5h://secret-user:secret-pw@[::1", "socks5h:secret-pw",
	} {
		_, err := client.ParseProxy(bad)
		if !errors.Is(err, client.ErrBadProxy) {
			t.Errorf("ParseProxy(%q): %v, want ErrBadProxy", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseProxy(%q): the error shows the credentials: %v", bad, err)
		}
	}
}

// TestProxyDown: when the proxy is not there, or refuses, the client
// fails with a clear error and never tries the server directly, though the
// server is right there on loopback.
func TestProxyDown(t *testing.T) {
	clearProxyEnv(t)
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(`{"role":"reviewer"}`))
	}))
	defer hs.Close()
	tok, _, _ := server.NewToken()

	// A proxy that has stopped: its port is closed.
	px := must(socks5test.Start(socks5test.Options{}))
	dead := px.Addr
	px.Close()
	seen := dials(t, dead)
	var warnings []string
	c := must(client.New(hs.URL, tok, func(w string) { warnings = append(warnings, w) }, client.WithProxy("socks5h://"+dead)))
	_, err := c.WhoAmI(context.Background())
	if !errors.Is(err, client.ErrProxyUnreachable) || !strings.Contains(err.Error(), "socks5h://"+dead) || !strings.Contains(err.Error(), "does not connect without it") {
		t.Errorf("whoami with the proxy down: %v", err)
	}
	// Not retried: the proxy is not the server, and waiting would not
	// bring it back.
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if !slices.Equal(*seen, []string{dead}) {
		t.Errorf("the client dialled %q, want only the proxy", *seen)
	}

	// A proxy that refuses the password. The error does not show it.
	px = must(socks5test.Start(socks5test.Options{User: "u", Password: "right", Hosts: map[string]string{"intake.test": must(url.Parse(hs.URL)).Host}}))
	defer px.Close()
	dials(t, px.Addr)
	warnings = nil
	c = must(client.New(strings.Replace(hs.URL, "127.0.0.1", "intake.test", 1), tok, func(w string) { warnings = append(warnings, w) },
		client.WithProxy("socks5h://u:wrong-secret@"+px.Addr)))
	if _, err := c.WhoAmI(context.Background()); err == nil || !strings.Contains(err.Error(), "refused this client") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("whoami with a wrong proxy password: %v", err)
	}
	if slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "trying again") }) {
		t.Errorf("a refusal by the proxy was retried: %q", warnings)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the server was reached %d times, not through the proxy", n)
	}
}
