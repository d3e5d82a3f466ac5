// Package client talks to a testimony intake server: enrollment, pushing
// sealed files, pulling them, and verifying that the server still holds,
// unchanged, everything it gave receipts for. The command line (enroll,
// push, pull, verify) and the local desk both use it.
//
// # Trust
//
// The only thing this package trusts is the log key that the caller's
// pinned, verified roster names (see [LogKey]); the server and the network
// are trusted with nothing. A receipt, a listed submission or a downloaded
// file counts only when a checkpoint signed by that key proves that the
// server's append-only log holds it, and a file only when its SHA-256 and
// size are those the log commits to. [Client.Roster] returns the server's
// roster unverified: the caller verifies it against the pinned admin key
// with keys.VerifyRoster before taking a log key from it.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by several goroutines. The
// directories that [Client.Push], [Client.Pull] and [Client.Verify] keep
// receipts, checkpoints and downloads in are not locked: two calls must not
// work on the same directory at the same time.
//
// # Durability
//
// Receipts, checkpoints, downloads and the pull cursor are written with
// package durable: after a crash a file is either absent or whole, and a
// partial download is never visible under its final name.
//
// # Errors
//
// A request the server refuses is a [*StatusError]. Network errors and 5xx
// and 429 answers are tried again, up to five times with a growing wait,
// unless the context ends; each wait is announced to the warn function.
// Errors of this machine's files match [ErrLocal].
//
// # Proxies
//
// A client reaches the server either directly or through one SOCKS5 proxy,
// such as Tor's (socks5h://127.0.0.1:9050): the one [WithProxy] names, or
// else the one the environment names (HTTPS_PROXY or HTTP_PROXY as the
// server's scheme is, then ALL_PROXY, each also in lower case; not for a
// server on loopback). Which is decided once, in [New]: when a proxy is
// chosen, every connection goes through it, and when it cannot be reached
// the request fails with [ErrProxyUnreachable]; the client never falls
// back to a direct connection. A proxy of another kind (http://) is
// refused, not ignored. A .onion server without a proxy is refused
// ([ErrOnionNeedsProxy]).
//
// The server's host name is sent to the proxy, which resolves it: this
// machine looks up no name but the proxy's own. That holds for socks5h://
// and, in this client (as in Go's net/http), for socks5:// too; curl and
// others resolve names locally with socks5://, so write socks5h:// to mean
// the same to all of them.
//
// # Secrets
//
// The token is sent only in the Authorization header to the server URL the
// Client was made for. The package logs nothing; the warnings it passes to
// the warn function and the errors it returns never contain the token, nor
// the proxy's user name or password.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
	"testimony/server"
)

// Client talks to one intake server with one token.
type Client struct {
	base  string // the server URL without a trailing slash
	token string
	proxy *url.URL // nil: direct
	http  *http.Client
	warn  func(string)
}

// ErrBadURL is returned by [New] and [CheckURL] for a server URL that is not
// http or https with a host.
var ErrBadURL = errors.New("the server URL must be like https://intake.example.org")

// ErrBadToken is returned by [New] for a token that does not have the form
// of a testimony token.
var ErrBadToken = errors.New("not a testimony token (tmy_…)")

// CheckURL returns an error wrapping [ErrBadURL] unless serverURL is an http
// or https URL with a host.
func CheckURL(serverURL string) error {
	_, err := parseURL(serverURL)
	return err
}

func parseURL(serverURL string) (*url.URL, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, ErrBadURL
	}
	return u, nil
}

// New checks serverURL (http or https with a host) and returns a client.
// token may be "" (enroll only). warn receives warnings (plain http to a
// non-loopback host; retries); nil discards them. The client reaches the
// server through the proxy [WithProxy] names or else the environment's
// (see Proxies in the package doc); a proxy that is not SOCKS5 is an
// error wrapping [ErrBadProxy].
func New(serverURL, token string, warn func(string), opts ...Option) (*Client, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	u, err := parseURL(serverURL)
	if err != nil {
		return nil, err
	}
	if token != "" && !ValidToken(token) {
		return nil, ErrBadToken
	}
	proxy, err := CheckProxy(serverURL, o.proxy)
	if err != nil {
		return nil, err
	}
	if warn == nil {
		warn = func(string) {}
	}
	// An onion service's address is its key: Tor encrypts and
	// authenticates the connection end to end, http or not.
	if u.Scheme == "http" && !isLoopback(u.Hostname()) && !isOnion(u.Hostname()) {
		warn("the server URL is plain http: tokens and ciphertext cross the network unprotected; use https")
	}
	return &Client{
		base:  strings.TrimSuffix(u.String(), "/"),
		token: token,
		proxy: proxy,
		warn:  warn,
		http: &http.Client{Timeout: 0, Transport: &http.Transport{
			Proxy:                 proxyFunc(proxy),
			DialContext:           dialContext,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		}},
	}, nil
}

// dialContext makes every connection: to the server, or to the proxy when
// there is one. Tests replace it to see what is dialled.
var dialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext

// Proxy returns the proxy the client reaches the server through, without
// its user name or password, or "" if it connects directly.
func (c *Client) Proxy() string {
	if c.proxy == nil {
		return ""
	}
	return ProxyString(c.proxy)
}

// ValidToken reports whether s has the form of a testimony token.
func ValidToken(s string) bool {
	_, _, ok := server.ParseToken(s)
	return ok
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// URL returns the address of route (like "/whoami") in the server's API,
// under /api/v1.
func (c *Client) URL(route string) string {
	return c.base + "/api/v1" + route
}

// StatusError is returned for an answer with a refused status: Status, Code
// and Message from the server's JSON error.
type StatusError struct {
	Status        int
	Code, Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// retryable is an error worth trying again: the network or the server
// failed, not the request.
type retryable struct {
	error
	// after is how long the server asked to wait (Retry-After of a 429
	// or 503 answer), at most maxRetryAfter; 0 if it did not say.
	after time.Duration
}

// maxRetryAfter bounds the wait a server's Retry-After can ask for.
const maxRetryAfter = 2 * time.Minute

// retryAfter is the wait a 429 or 503 answer asks for in its Retry-After
// header (in seconds; a date is not used), at most maxRetryAfter.
func retryAfter(resp *http.Response) time.Duration {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxRetryAfter)
}

func (r *retryable) Unwrap() error { return r.error }

// Do sends req once, with the token, and returns the response if its status
// is one of ok; otherwise a [*StatusError] (and closes the body). It does not
// retry.
func (c *Client) Do(req *http.Request, ok ...int) (*http.Response, error) {
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	var ae struct{ Code, Message string }
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ae)
	se := &StatusError{Status: resp.StatusCode, Code: ae.Code, Message: ae.Message}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, &retryable{error: se, after: retryAfter(resp)}
	}
	return nil, se
}

// send sends req once, with the token. A network error is retryable,
// unless it is the proxy's (see proxyError).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if perr := proxyError(err, c.proxy); perr != nil {
			return nil, perr
		}
		return nil, &retryable{error: fmt.Errorf("failed to reach the server: %w", err)}
	}
	return resp, nil
}

// withRetries runs f up to five times while it fails with a retryable error,
// warning that it waits and why.
func (c *Client) withRetries(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 5 {
		if err = f(); err == nil {
			return nil
		}
		var r *retryable
		if !errors.As(err, &r) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err() // not the server's fault: no retry, no warning
		}
		if attempt == 4 {
			return err
		}
		// A server that asks for a longer wait (its rate limit, say) gets it.
		wait := max(time.Duration(1<<attempt)*500*time.Millisecond, r.after)
		c.warn(fmt.Sprintf("%v; trying again in %v", err, wait))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return err
}

// GetJSON gets route and decodes the JSON answer (at most 16 MiB) into v,
// retrying as [Client.Get] does.
func (c *Client) GetJSON(ctx context.Context, route string, v any) error {
	return c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(route), nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req, http.StatusOK)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
			return &retryable{error: fmt.Errorf("failed to read the server's answer: %w", err)}
		}
		return nil
	})
}

// Get gets route under /api/v1 with the token and returns the answer, which
// must be 200 OK and at most limit bytes. It retries on network errors and
// on 5xx and 429 answers, up to five tries with a growing wait, and gives up
// when ctx is done. A refused request is a [*StatusError].
func (c *Client) Get(ctx context.Context, route string, limit int64) ([]byte, error) {
	b, err := c.get(ctx, route, limit+1, "the server's answer")
	if err == nil && int64(len(b)) > limit {
		return nil, fmt.Errorf("the server's answer is larger than %d bytes", limit)
	}
	return b, err
}

// get is Get, returning at most limit bytes of a longer answer; what names
// the answer in errors.
func (c *Client) get(ctx context.Context, route string, limit int64, what string) ([]byte, error) {
	var b []byte
	err := c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(route), nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req, http.StatusOK)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if b, err = io.ReadAll(io.LimitReader(resp.Body, limit)); err != nil {
			return &retryable{error: fmt.Errorf("failed to read %s: %w", what, err)}
		}
		return nil
	})
	return b, err
}

// Put sends body to route under /api/v1 with Content-Type
// application/octet-stream and a Content-Digest header (sha-256, see
// server.ContentDigest), plus header, and returns the response body (at most
// 64 KiB) if the status is one of ok. It retries as [Client.Get] does.
func (c *Client) Put(ctx context.Context, route string, body []byte, header http.Header, ok ...int) ([]byte, error) {
	digest := sha256.Sum256(body)
	var out []byte
	err := c.withRetries(ctx, func() error {
		var err error
		out, err = c.put(ctx, route, bytes.NewReader(body), int64(len(body)), digest, header, ok...)
		return err
	})
	return out, err
}

// put sends one PUT of size bytes from body, whose SHA-256 is digest.
func (c *Client) put(ctx context.Context, route string, body io.Reader, size int64, digest [32]byte, header http.Header, ok ...int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.URL(route), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Digest", server.ContentDigest(digest))
	resp, err := c.Do(req, ok...)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, &retryable{error: fmt.Errorf("failed to read the server's answer: %w", err)}
	}
	return b, nil
}

// Enroll exchanges a single-use enrollment code (and, for an interviewer's
// laptop, its device ID and signing key) for a token. It is not retried: a
// code works once.
func (c *Client) Enroll(ctx context.Context, req server.EnrollRequest) (*server.EnrollResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL("/enroll"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(hr, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var er server.EnrollResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&er); err != nil {
		return nil, fmt.Errorf("the server's answer is not an enrollment: %w", err)
	}
	if !ValidToken(er.Token) {
		return nil, errors.New("the server's answer holds no valid token")
	}
	return &er, nil
}

// WhoAmI is what the server says a token is.
type WhoAmI struct {
	ID     string `json:"id"`
	Role   string `json:"role"` // interviewer, reviewer, custodian or admin
	Label  string `json:"label"`
	Device string `json:"device"` // the device an interviewer's token is bound to, if any
}

// WhoAmI asks the server what the client's token is.
func (c *Client) WhoAmI(ctx context.Context) (WhoAmI, error) {
	var w WhoAmI
	err := c.GetJSON(ctx, "/whoami", &w)
	return w, err
}

// Roster returns the signed roster the server holds (GET /api/v1/roster),
// unverified.
func (c *Client) Roster(ctx context.Context) ([]byte, error) {
	return c.Get(ctx, "/roster", keys.MaxRosterSize)
}

// LogKey returns the log key a verified roster names, or an error saying to
// ask the admin for one.
func LogKey(r *keys.Roster) (note.Verifier, error) {
	if r.Log.IsZero() {
		return nil, fmt.Errorf("the roster (version %d) names no log key, so the server's receipts cannot be checked: ask the admin for a roster with the server's log key ('testimony roster set-log-key')", r.Version)
	}
	return r.Log.Note(), nil
}
