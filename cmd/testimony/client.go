package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"testimony/internal/auditlog"
	"testimony/internal/durable"
	"testimony/keys"
	"testimony/server"
)

const clientHelp = `
Usage:
  testimony enroll --server URL --code CODE --out TOKEN-FILE [--device-key K --device-id ID]
  testimony push --server URL --token-file F --roster R --admin-pub PUB --receipts DIR FILE.age...
  testimony pull --server URL --token-file F --roster R --admin-pub PUB --out DIR [--receipts DIR]
  testimony verify --server URL --token-file F --roster R --admin-pub PUB --receipts DIR

enroll exchanges a single-use code from the admin for a token of your own,
written to TOKEN-FILE (mode 0600). An interviewer's laptop also registers its
signing key (--device-key, --device-id), which the admin then adds to the
roster.

push uploads sealed files named <id>.age (seal --out DIR names them so),
with <id>.reid.age beside one if there is one. Retrying is safe: the same
file under the same ID is accepted once. An upload counts as done only when
its receipt proves, with a checkpoint signed by the log key the roster names,
that the server's append-only log holds it. Receipts are kept in
DIR/<id>.json and every checkpoint seen in DIR/checkpoints/.

pull downloads what is new into DIR as <id>.age (reviewers) or <id>.reid.age
(custodians), checks that the log holds each file as listed before taking
it, checks each file's SHA-256, and picks up where it stopped. It keeps a
receipt for each file (in DIR/receipts unless --receipts says otherwise).

verify checks that the server still holds everything it gave receipts for:
each receipt's entry is still in the log, the log still extends every
checkpoint kept in DIR/checkpoints (it was not rolled back or forked), and
the file the server returns now has the SHA-256 the receipt names. It lists
every problem, naming the submission, and exits with status 9 if there is
any. Reviewers check sealed files, custodians re-identification records, and
an interviewer's laptop both, for what it submitted itself.

Examples:
  testimony enroll --server https://intake.example.org --code ABCDE-FGHIJ-KLMNO-PQRST \
      --device-key laptop-1.key --device-id laptop-1 --out token.txt
  testimony push --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --receipts receipts/ outbox/*.age
  testimony pull --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --out inbox/
  testimony verify --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --receipts receipts/
`

// client talks to the intake server.
type client struct {
	base  *url.URL
	token string
	http  *http.Client
	warn  func(string)
}

func newClient(serverURL, tokenFile string, e *env) (*client, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef("--server must be a URL like https://intake.example.org")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		e.warn("the server URL is plain http: tokens and ciphertext cross the network unprotected; use https")
	}
	c := &client{base: u, warn: e.warn, http: &http.Client{Timeout: 0, Transport: &http.Transport{
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
	}}}
	if tokenFile != "" {
		fi, err := os.Stat(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read token file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			e.warn(fmt.Sprintf("token file %s can be read by other users; run: chmod 600 %s", tokenFile, tokenFile))
		}
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read token file: %w", err)
		}
		c.token = strings.TrimSpace(string(b))
		if _, _, ok := server.ParseToken(c.token); !ok {
			return nil, fmt.Errorf("%s does not hold a testimony token (tmy_…)", tokenFile)
		}
	}
	return c, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

func (c *client) url(path string) string {
	return strings.TrimSuffix(c.base.String(), "/") + "/api/v1" + path
}

// do sends a request and returns the response if its status is one of ok;
// otherwise the server's error.
func (c *client) do(req *http.Request, ok ...int) (*http.Response, error) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &retryable{fmt.Errorf("failed to reach the server: %w", err)}
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	var ae struct{ Code, Message string }
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&ae)
	err = fmt.Errorf("server refused (%d %s): %s", resp.StatusCode, ae.Code, ae.Message)
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, &retryable{err}
	}
	return nil, err
}

// retryable is an error worth trying again: the network or the server
// failed, not the request.
type retryable struct{ error }

func (r *retryable) Unwrap() error { return r.error }

// withRetries runs f up to five times while it fails with a retryable error,
// saying on stderr that it waits and why.
func (c *client) withRetries(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 5 {
		if err = f(); err == nil {
			return nil
		}
		var r *retryable
		if !errors.As(err, &r) || attempt == 4 {
			return err
		}
		wait := time.Duration(1<<attempt) * 500 * time.Millisecond
		c.warn(fmt.Sprintf("%v; trying again in %v", err, wait))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return err
}

func runEnroll(e *env, args []string) error {
	fs := e.flagSet("enroll", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	code := fs.String("code", "", "enrollment `CODE` from the admin")
	out := fs.String("out", "", "`TOKEN-FILE` to write (must not exist)")
	deviceKey := fs.String("device-key", "", "this laptop's signing key `FILE`, to register it")
	deviceID := fs.String("device-id", "", "this laptop's device `ID`")
	passFile := fs.String("passphrase-file", "", "read the device key's passphrase from `F`")
	if err := parseFlags(fs, args, "server", "code", "out"); err != nil {
		return err
	}
	if (*deviceKey == "") != (*deviceID == "") {
		return usagef("enroll: give both --device-key and --device-id, or neither")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite it", *out)
	}
	c, err := newClient(*srv, "", e)
	if err != nil {
		return err
	}
	req := server.EnrollRequest{Code: *code}
	if *deviceKey != "" {
		k, err := keys.LoadSigningKey(*deviceKey, e.unlock(*passFile))
		if err != nil {
			return err
		}
		req.DeviceID, req.DevicePub = *deviceID, k.Verifier()
	}
	body, _ := json.Marshal(req)
	hr, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, c.url("/enroll"), bytes.NewReader(body))
	hr.Header.Set("Content-Type", "application/json")
	resp, err := c.do(hr, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var er server.EnrollResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&er); err != nil {
		return fmt.Errorf("the server's answer is not an enrollment: %w", err)
	}
	if _, _, ok := server.ParseToken(er.Token); !ok {
		return errors.New("the server's answer holds no valid token")
	}
	if err := durable.WriteNew(*out, []byte(er.Token+"\n"), 0o600); err != nil {
		return err
	}
	e.info("enrolled as %s %q; token written to %s", er.Role, er.Label, *out)
	if req.DevicePub != "" {
		e.info("ask the admin to add this device to the roster: testimony roster add-device --id %s --public-key %s", req.DeviceID, req.DevicePub)
	}
	return nil
}

var sealedName = regexp.MustCompile(`^([0-9a-f]{32})\.age$`)

func runPush(e *env, args []string) error {
	fs := e.flagSet("push", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	tokenFile := fs.String("token-file", "", "your token `FILE`")
	receipts := fs.String("receipts", "", "`DIR` to keep receipts in")
	rosterPath := fs.String("roster", "", "the pinned roster `R`, which names the server's log key")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	files, err := parse(fs, args)
	if err == nil {
		err = need(fs, "server", "token-file", "roster", "admin-pub", "receipts")
	}
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("push: give the sealed files to upload")
	}
	_, logKey, err := logRoster(*rosterPath, *adminPub)
	if err != nil {
		return err
	}
	c, err := newClient(*srv, *tokenFile, e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*receipts, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", *receipts, err)
	}
	failed := 0
	for _, path := range files {
		rc, err := c.pushOne(e.ctx, path)
		var cp auditlog.Checkpoint
		if err == nil {
			if cp, err = rc.Verify(logKey); err != nil {
				err = fmt.Errorf("the server accepted the file, but its receipt does not prove that its log holds it (%w); the upload does not count: push again, and if this repeats, tell the admin", err)
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(e.stderr, "testimony: %s: %v\n", path, err)
			continue
		}
		if err := keepCheckpoint(*receipts, cp, []byte(rc.Log.Checkpoint)); err != nil {
			return err
		}
		if err := writeReceipt(*receipts, rc); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\t%s\taccepted %s\n", rc.ID, path, rc.Day)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not accepted; fix what is said above and push again (retrying is safe)", failed, len(files))
	}
	return nil
}

// pushOne uploads one sealed file (and its re-identification record, if it
// has one) and checks the receipt.
func (c *client) pushOne(ctx context.Context, path string) (*server.Receipt, error) {
	m := sealedName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return nil, errors.New("not named <id>.age: seal with --out DIR to name files by their submission ID")
	}
	id := m[1]
	digest, size, err := fileDigest(path)
	if err != nil {
		return nil, err
	}
	header := http.Header{}
	reidPath := strings.TrimSuffix(path, ".age") + ".reid.age"
	var reidDigest *[32]byte
	if _, err := os.Stat(reidPath); err == nil {
		rd, _, err := fileDigest(reidPath)
		if err != nil {
			return nil, err
		}
		reidDigest = &rd
		if err := c.withRetries(ctx, func() error {
			_, err := c.upload(ctx, "/submissions/"+id+"/reid", reidPath, rd, nil, http.StatusAccepted, http.StatusOK)
			return err
		}); err != nil {
			return nil, fmt.Errorf("re-identification record: %w", err)
		}
		header.Set("Testimony-Reid-Digest", server.ContentDigest(rd))
	}
	var rc server.Receipt
	err = c.withRetries(ctx, func() error {
		body, err := c.upload(ctx, "/submissions/"+id, path, digest, header, http.StatusCreated, http.StatusOK)
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &rc)
	})
	if err != nil {
		return nil, err
	}
	if rc.ID != id || rc.SHA256 != hex.EncodeToString(digest[:]) || rc.Size != size {
		return nil, fmt.Errorf("the server's receipt does not match the file (id %q, sha256 %s, size %d)", rc.ID, rc.SHA256, rc.Size)
	}
	if (rc.Reid == nil) != (reidDigest == nil) || (reidDigest != nil && rc.Reid.SHA256 != hex.EncodeToString(reidDigest[:])) {
		return nil, errors.New("the server's receipt does not match the re-identification record sent with the file")
	}
	return &rc, nil
}

// upload PUTs the file at path and returns the response body.
func (c *client) upload(ctx context.Context, route, path string, digest [32]byte, header http.Header, ok ...int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.url(route), f)
	if err != nil {
		return nil, err
	}
	req.ContentLength = fi.Size()
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Digest", server.ContentDigest(digest))
	resp, err := c.do(req, ok...)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 64<<10))
}

func fileDigest(path string) ([32]byte, int64, error) {
	var d [32]byte
	f, err := os.Open(path)
	if err != nil {
		return d, 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return d, 0, fmt.Errorf("failed to read %s: %w", path, err)
	}
	copy(d[:], h.Sum(nil))
	return d, n, nil
}

func runPull(e *env, args []string) error {
	fs := e.flagSet("pull", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	tokenFile := fs.String("token-file", "", "your token `FILE`")
	out := fs.String("out", "", "`DIR` to download into")
	receipts := fs.String("receipts", "", "`DIR` to keep receipts and checkpoints in (default: OUT/receipts)")
	rosterPath := fs.String("roster", "", "the pinned roster `R`, which names the server's log key")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	if err := parseFlags(fs, args, "server", "token-file", "roster", "admin-pub", "out"); err != nil {
		return err
	}
	if *receipts == "" {
		*receipts = filepath.Join(*out, "receipts")
	}
	_, logKey, err := logRoster(*rosterPath, *adminPub)
	if err != nil {
		return err
	}
	c, err := newClient(*srv, *tokenFile, e)
	if err != nil {
		return err
	}
	for _, d := range []string{*out, *receipts} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("failed to create %s: %w", d, err)
		}
	}
	// Partial downloads of an interrupted pull are never visible; their
	// temporary files are removed here.
	if olds, _ := filepath.Glob(filepath.Join(*out, ".*.tmp-*")); len(olds) > 0 {
		for _, f := range olds {
			os.Remove(f)
		}
	}
	var who struct{ Role string }
	if err := c.getJSON(e.ctx, "/whoami", &who); err != nil {
		return err
	}
	suffix, route := ".age", ""
	switch who.Role {
	case "reviewer":
	case "custodian":
		suffix, route = ".reid.age", "/reid"
	default:
		return fmt.Errorf("this token is for a %s; only reviewers and custodians pull", who.Role)
	}
	cursorPath := filepath.Join(*out, ".pull-cursor")
	cursor := int64(0)
	if b, err := os.ReadFile(cursorPath); err == nil {
		cursor, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	cp, signed, err := c.checkpoint(e.ctx, logKey)
	if err != nil {
		return err
	}
	if err := keepCheckpoint(*receipts, cp, signed); err != nil {
		return err
	}
	progress := newProgress(e.stderr)
	got, skipped := 0, 0
	for {
		var page struct {
			Submissions []server.Listed
			Next        int64
		}
		if err := c.getJSON(e.ctx, "/submissions?after="+strconv.FormatInt(cursor, 10), &page); err != nil {
			return err
		}
		if len(page.Submissions) == 0 {
			break
		}
		for _, s := range page.Submissions {
			ref := &server.FileRef{SHA256: s.SHA256, Size: s.Size}
			if route != "" {
				if s.Reid == nil {
					continue
				}
				ref = s.Reid
			}
			if !idPattern.MatchString(s.ID) {
				return fmt.Errorf("the server listed an invalid submission ID")
			}
			dst := filepath.Join(*out, s.ID+suffix)
			if d, _, err := fileDigest(dst); err == nil && hex.EncodeToString(d[:]) == ref.SHA256 {
				skipped++
				continue
			}
			// Take nothing the log does not hold as listed.
			if s.Leaf >= cp.Size {
				if cp, signed, err = c.checkpoint(e.ctx, logKey); err != nil {
					return err
				}
				if err := keepCheckpoint(*receipts, cp, signed); err != nil {
					return err
				}
			}
			rc := s.Receipt
			proof, err := c.inclusion(e.ctx, s.Leaf, cp.Size)
			if err == nil {
				rc.Log = &server.LogProof{Index: s.Leaf, Proof: proof, Checkpoint: string(signed)}
				_, err = rc.Verify(logKey)
			}
			if err != nil {
				progress.done()
				return fmt.Errorf("%s: the server lists this submission, but its log does not hold it as listed: %w; nothing was taken", s.ID, err)
			}
			progress.start(s.ID, ref.Size)
			if err := c.withRetries(e.ctx, func() error {
				return c.download(e.ctx, "/submissions/"+s.ID+route, dst, ref, progress)
			}); err != nil {
				progress.done()
				return fmt.Errorf("%s: %w", s.ID, err)
			}
			if err := writeReceipt(*receipts, &rc); err != nil {
				return err
			}
			got++
		}
		cursor = page.Next
		if err := durable.Replace(cursorPath, []byte(strconv.FormatInt(cursor, 10)+"\n"), 0o600); err != nil {
			return err
		}
	}
	progress.done()
	e.info("pulled %d new file(s) into %s (%d already there)", got, *out, skipped)
	return nil
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (c *client) getJSON(ctx context.Context, route string, v any) error {
	return c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(route), nil)
		if err != nil {
			return err
		}
		resp, err := c.do(req, http.StatusOK)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
			return &retryable{fmt.Errorf("failed to read the server's answer: %w", err)}
		}
		return nil
	})
}

// download fetches a file into dst, visible only once complete and checked
// against the digest the list gave.
func (c *client) download(ctx context.Context, route, dst string, ref *server.FileRef, p *progress) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(route), nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := durable.CreateReplace(dst, 0o600)
	if err != nil {
		return err
	}
	defer f.Abort()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h, p), io.LimitReader(resp.Body, ref.Size+1))
	if err != nil {
		return &retryable{fmt.Errorf("download interrupted: %w", err)}
	}
	if n != ref.Size || hex.EncodeToString(h.Sum(nil)) != ref.SHA256 {
		return errors.New("the downloaded file does not match the digest the server listed")
	}
	return f.Commit()
}

// progress draws a one-line progress bar on a terminal, and nothing
// elsewhere.
type progress struct {
	w          io.Writer
	on         bool
	id         string
	total, n   int64
	lastRedraw time.Time
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) start(id string, total int64) { p.id, p.total, p.n = id, total, 0; p.draw() }

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if time.Since(p.lastRedraw) > 100*time.Millisecond || p.n == p.total {
		p.draw()
	}
	return len(b), nil
}

func (p *progress) draw() {
	if !p.on {
		return
	}
	p.lastRedraw = time.Now()
	const width = 30
	filled := width
	if p.total > 0 {
		filled = int(p.n * width / p.total)
	}
	fmt.Fprintf(p.w, "\r%s… [%s%s] %s / %s", p.id[:8], strings.Repeat("#", filled), strings.Repeat(".", width-filled), size(p.n), size(p.total))
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
