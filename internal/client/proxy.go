package client

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// ErrBadProxy is returned for a proxy that is not a SOCKS5 URL with a host
// and a port.
var ErrBadProxy = errors.New("the proxy must be a SOCKS5 URL like socks5h://127.0.0.1:9050 (Tor's SOCKS port)")

// ErrOnionNeedsProxy is returned by [New] for a .onion server without a
// proxy: onion services are reached only through Tor.
var ErrOnionNeedsProxy = errors.New("a .onion server is reached only through Tor: give --proxy socks5h://127.0.0.1:9050 (Tor's SOCKS port) or set ALL_PROXY")

// ErrProxyUnreachable is returned, wrapped, when the proxy itself cannot be
// reached. It is not retried, and the client does not connect without it.
var ErrProxyUnreachable = errors.New("failed to reach the proxy")

// Option changes how [New] makes a Client.
type Option func(*options)

type options struct {
	proxy string
}

// WithProxy makes the client reach the server only through the SOCKS5 proxy
// proxyURL (socks5h://[USER:PASSWORD@]HOST:PORT; socks5:// is the same
// here), whatever the environment says. "" leaves the choice to the
// environment, as without this option.
func WithProxy(proxyURL string) Option {
	return func(o *options) { o.proxy = proxyURL }
}

// ParseProxy checks proxyURL: socks5 or socks5h, a host and a port,
// optionally a user name and password, nothing else. Its errors wrap
// [ErrBadProxy] and never repeat the user name or password.
func ParseProxy(proxyURL string) (*url.URL, error) {
	u, err := url.Parse(proxyURL)
	if err != nil {
		// url.Parse's error quotes the whole input, credentials and all.
		return nil, ErrBadProxy
	}
	if u.Scheme != "socks5" && u.Scheme != "socks5h" {
		if u.Scheme == "" || u.Opaque != "" {
			return nil, ErrBadProxy
		}
		return nil, fmt.Errorf("testimony uses only SOCKS5 proxies, not %s://…: %w", u.Scheme, ErrBadProxy)
	}
	if u.Hostname() == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s: %w", ProxyString(u), ErrBadProxy)
	}
	return u, nil
}

// ProxyString is how a proxy is named in messages: scheme, host and port,
// without the user name or password.
func ProxyString(u *url.URL) string {
	if u == nil {
		return "no proxy"
	}
	return u.Scheme + "://" + u.Host
}

// proxyEnv lists the environment variables that may name a proxy for a
// server URL of the given scheme, in the order they are read: the
// scheme's own first, as curl reads them, then ALL_PROXY. NO_PROXY is not
// read: a client talks to one server, and a proxy once named is used.
func proxyEnv(scheme string) []string {
	if scheme == "https" {
		return []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"}
	}
	return []string{"HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"}
}

// chooseProxy returns the proxy to reach server through: explicit if it is
// not "", else the first proxy the environment names, unless the server is
// on this machine (environment proxies are not used for loopback, as in
// Go's net/http); nil for none. A proxy the environment names but this
// client cannot use is an error, not a reason to connect directly.
func chooseProxy(server *url.URL, explicit string, getenv func(string) string) (*url.URL, error) {
	if explicit != "" {
		return ParseProxy(explicit)
	}
	if isLoopback(server.Hostname()) {
		return nil, nil
	}
	for _, name := range proxyEnv(server.Scheme) {
		v := getenv(name)
		if v == "" {
			continue
		}
		u, err := ParseProxy(v)
		if err != nil {
			return nil, fmt.Errorf("%s names a proxy this client cannot use (%w); give --proxy socks5h://HOST:PORT, or unset %s to connect directly", name, err, name)
		}
		return u, nil
	}
	return nil, nil
}

// CheckProxy returns the error [New] would return for the proxy choice of
// a client of serverURL with the explicit proxy (or "" for the
// environment's), and otherwise the proxy it would use (nil for none).
func CheckProxy(serverURL, explicit string) (*url.URL, error) {
	u, err := parseURL(serverURL)
	if err != nil {
		return nil, err
	}
	p, err := chooseProxy(u, explicit, os.Getenv)
	if err != nil {
		return nil, err
	}
	if p == nil && isOnion(u.Hostname()) {
		return nil, ErrOnionNeedsProxy
	}
	return p, nil
}

func isOnion(host string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".onion")
}

// proxyError says plainly that the proxy could not be reached or refused
// this client, if that is what err is (the transport's own text,
// "proxyconnect tcp: …", is not plain). Neither is retried: waiting brings
// back neither the proxy nor a right password.
func proxyError(err error, proxy *url.URL) error {
	var op *net.OpError
	if proxy == nil || !errors.As(err, &op) {
		return nil
	}
	switch {
	case op.Op == "proxyconnect":
		hint := ""
		if proxy.Port() == "9050" || proxy.Port() == "9150" {
			hint = " (is Tor running?)"
		}
		return fmt.Errorf("%w %s%s: %v; testimony does not connect without it", ErrProxyUnreachable, ProxyString(proxy), hint, op.Err)
	case op.Op == "socks connect" && op.Err != nil && strings.Contains(op.Err.Error(), "authentication"):
		// "no acceptable authentication methods", "username/password
		// authentication failed": the transport's words, which hold no
		// credentials.
		return fmt.Errorf("the proxy %s refused this client: %v; check the user name and password in the proxy URL", ProxyString(proxy), op.Err)
	}
	return nil
}

// proxyFunc is the transport's Proxy: the one proxy for every request.
func proxyFunc(proxy *url.URL) func(*http.Request) (*url.URL, error) {
	if proxy == nil {
		return nil
	}
	return http.ProxyURL(proxy)
}
