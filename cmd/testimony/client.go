package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/keys"
	"testimony/server"
)

const clientHelp = `
Usage:
  testimony enroll --server URL [--proxy URL] --code CODE --out TOKEN-FILE [--device-key K [--device-id ID]]
  testimony push --server URL [--proxy URL] --token-file F --roster R --admin-pub PUB --receipts DIR FILE.age...
  testimony pull --server URL [--proxy URL] --token-file F --roster R --admin-pub PUB --out DIR [--receipts DIR]
  testimony verify --server URL [--proxy URL] --token-file F --roster R --admin-pub PUB --receipts DIR

enroll exchanges a single-use code from the admin for a token of your own,
written to TOKEN-FILE (mode 0600). An interviewer's code is for one laptop,
whose device ID the admin chose when making it: the laptop sends its signing
key (--device-key); --device-id is optional and, if given, must be the
code's. The server refuses a key other than the one the roster lists for
that device. enroll prints the key's fingerprint: read it to the admin over
the phone or in person, and give them the laptop's verifier key (the .pub
file); the admin checks the fingerprint before adding the key to the roster
(roster add-device --fingerprint). Until the roster lists the laptop with
this key, its token can push nothing.

push uploads sealed files named <id>.age (seal --out DIR names them so),
with <id>.reid.age beside one if there is one. Retrying is safe: the same
file under the same ID is accepted once. An upload counts as done only when
its receipt proves, with a checkpoint signed by the log key the roster names,
that the server's append-only log holds it. Receipts are kept in
DIR/<id>.json and every checkpoint seen in DIR/checkpoints/.

pull downloads what is new into DIR as <id>.age (reviewers) or <id>.reid.age
(custodians), checks that the log holds each file as listed before taking
it, checks each file's SHA-256, and picks up where it stopped. It keeps a
receipt for each file (in DIR/receipts unless --receipts says otherwise),
and the published survey forms in DIR/forms, each verified against the
admin key (export reads them there); a form that does not verify is not
kept, and pull then exits with status 9.

verify checks that the server still holds everything it gave receipts for:
each receipt's entry is still in the log, the log still extends every
checkpoint kept in DIR/checkpoints (it was not rolled back or forked), and
the file the server returns now has the SHA-256 the receipt names. It lists
every problem, naming the submission, and exits with status 9 if there is
any. Reviewers check sealed files, custodians re-identification records, and
an interviewer's laptop both, for what it submitted itself.

--proxy sends every connection to the server through a SOCKS5 proxy, such
as Tor's: --proxy socks5h://127.0.0.1:9050 (Tor Browser's is port 9150).
Without --proxy, the proxy in HTTPS_PROXY (for an https server) or
HTTP_PROXY, or else ALL_PROXY, is used, if one is set (not for a server on
this computer). The proxy resolves the server's name: this computer looks
up nothing but the proxy's own address. If the proxy cannot be reached, the
command fails; it never connects directly instead. Only SOCKS5 proxies
(socks5h://, socks5://) are used: a proxy of another kind named in the
environment is an error, not a reason to go direct. A .onion server is
reached only through a proxy.

Examples:
  testimony enroll --server https://intake.example.org --code ABCDE-FGHIJ-KLMNO-PQRST \
      --device-key laptop-1.key --out token.txt
  testimony push --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --receipts receipts/ outbox/*.age
  testimony pull --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --out inbox/
  testimony verify --server https://intake.example.org --token-file token.txt \
      --roster roster.txt --admin-pub admin.pub --receipts receipts/
  # The same push, through Tor to the organisation's onion service:
  testimony push --server http://ONION-ADDRESS.onion --proxy socks5h://127.0.0.1:9050 \
      --token-file token.txt --roster roster.txt --admin-pub admin.pub --receipts receipts/ outbox/*.age
`

// serverClient is the intake server's client as the commands use it.
type serverClient struct{ *client.Client }

func (c *serverClient) url(route string) string { return c.URL(route) }

func (c *serverClient) do(req *http.Request, ok ...int) (*http.Response, error) {
	return c.Do(req, ok...)
}

// proxyFlag defines --proxy on fs, for the commands that reach the server.
func proxyFlag(fs *flag.FlagSet) *string {
	return fs.String("proxy", "", "reach the server only through this SOCKS5 proxy `URL`, like socks5h://127.0.0.1:9050 for Tor (default: HTTPS_PROXY or HTTP_PROXY, then ALL_PROXY, if set)")
}

// checkProxy returns the proxy choice's error for a client of serverURL
// as a usage error when the flag was wrong.
func checkProxy(serverURL, proxy string) error {
	_, err := client.CheckProxy(serverURL, proxy)
	if err != nil && proxy != "" && errors.Is(err, client.ErrBadProxy) {
		return usagef("--proxy: %v", err)
	}
	return err
}

// newClient returns a client for the server at serverURL, reached through
// proxy (or the one the environment names, if ""), with the token in
// tokenFile (none if "").
func newClient(serverURL, proxy, tokenFile string, e *env) (*serverClient, error) {
	if err := client.CheckURL(serverURL); err != nil {
		return nil, usagef("--server must be a URL like https://intake.example.org")
	}
	if err := checkProxy(serverURL, proxy); err != nil {
		return nil, err
	}
	token := ""
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
		token = strings.TrimSpace(string(b))
		if !client.ValidToken(token) {
			return nil, fmt.Errorf("%s does not hold a testimony token (tmy_…)", tokenFile)
		}
	}
	c, err := client.New(serverURL, token, e.warn, client.WithProxy(proxy))
	if err != nil {
		return nil, err
	}
	return &serverClient{c}, nil
}

// logRoster loads the pinned roster and returns it with the log key it
// names; clients trust the server's log only through it.
func logRoster(rosterPath, adminPub string) (*keys.Roster, note.Verifier, error) {
	r, err := loadRoster(rosterPath, adminPub, "", false)
	if err != nil {
		return nil, nil, err
	}
	key, err := client.LogKey(r)
	if err != nil {
		return nil, nil, err
	}
	return r, key, nil
}

func runEnroll(e *env, args []string) error {
	fs := e.flagSet("enroll", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
	code := fs.String("code", "", "enrollment `CODE` from the admin")
	out := fs.String("out", "", "`TOKEN-FILE` to write (must not exist)")
	deviceKey := fs.String("device-key", "", "this laptop's signing key `FILE`, to register it (an interviewer's code needs it)")
	deviceID := fs.String("device-id", "", "this laptop's device `ID`, to check it against the one the admin chose for the code (optional)")
	passFile := fs.String("passphrase-file", "", "read the device key's passphrase from `F`")
	if err := parseFlags(fs, args, "server", "code", "out"); err != nil {
		return err
	}
	if *deviceID != "" && *deviceKey == "" {
		return usagef("enroll: --device-id goes with --device-key")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite it", *out)
	}
	c, err := newClient(*srv, *proxy, "", e)
	if err != nil {
		return err
	}
	req := server.EnrollRequest{Code: *code}
	var fingerprint string
	if *deviceKey != "" {
		k, err := keys.LoadSigningKey(*deviceKey, e.unlock(*passFile))
		if err != nil {
			return err
		}
		v, err := keys.ParseVerifier(k.Verifier())
		if err != nil {
			return err
		}
		req.DeviceID, req.DevicePub, fingerprint = *deviceID, v.String(), v.Fingerprint()
	}
	er, err := c.Enroll(e.ctx, req)
	if err != nil {
		return err
	}
	if er.Device != "" && req.DevicePub == "" {
		return errors.New("the server answered with a device token for a request without a device key")
	}
	if err := durable.WriteNew(*out, []byte(er.Token+"\n"), 0o600); err != nil {
		return err
	}
	if er.Device == "" {
		e.info("enrolled as %s %q; token written to %s", er.Role, er.Label, *out)
		return nil
	}
	e.info("enrolled as %s %q, device %s; token written to %s", er.Role, er.Label, er.Device, *out)
	// The fingerprint is computed here, from the key file, not taken from
	// the server: it is what the admin compares before signing the key
	// into the roster.
	e.info("this laptop's key fingerprint: %s", fingerprint)
	e.info("read it to the admin over the phone or in person, and give them this laptop's verifier key (the .pub file keygen --signing wrote); the laptop may push once the roster lists it")
	return nil
}

func runPush(e *env, args []string) error {
	fs := e.flagSet("push", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
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
	c, err := newClient(*srv, *proxy, *tokenFile, e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*receipts, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", *receipts, err)
	}
	failed := 0
	for _, path := range files {
		rc, err := c.Push(e.ctx, path, logKey, *receipts)
		if errors.Is(err, client.ErrLocal) {
			return err // the receipts directory fails: stop here
		}
		if err != nil {
			failed++
			fmt.Fprintf(e.stderr, "testimony: %s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\taccepted %s\n", rc.ID, path, rc.Day)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files were not accepted; fix what is said above and push again (retrying is safe)", failed, len(files))
	}
	return nil
}

func runPull(e *env, args []string) error {
	fs := e.flagSet("pull", clientHelp)
	srv := fs.String("server", "", "server `URL`")
	proxy := proxyFlag(fs)
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
	r, logKey, err := logRoster(*rosterPath, *adminPub)
	if err != nil {
		return err
	}
	c, err := newClient(*srv, *proxy, *tokenFile, e)
	if err != nil {
		return err
	}
	bar := newProgress(e.stderr)
	res, err := c.Pull(e.ctx, *out, *receipts, logKey, bar.report)
	bar.done()
	if err != nil {
		return err
	}
	e.info("pulled %d new file(s) into %s (%d already there)", len(res.New), *out, res.Already)
	// The published forms, verified, into OUT/forms (form_pull.go).
	return pullForms(e, c, r, *adminPub, *out)
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

// report is Pull's progress callback: it starts a bar for each download
// and redraws it at most every 100ms, and when the file is complete.
func (p *progress) report(pr client.Progress) {
	if pr.ID != p.id || pr.Bytes == 0 {
		p.id, p.total, p.n = pr.ID, pr.Size, pr.Bytes
		p.draw()
		return
	}
	p.n = pr.Bytes
	if time.Since(p.lastRedraw) > 100*time.Millisecond || p.n == p.total {
		p.draw()
	}
}

func (p *progress) draw() {
	if !p.on {
		return
	}
	p.lastRedraw = time.Now()
	const width = 30
	filled := width
	if p.total > 0 {
		filled = int(min(p.n, p.total) * width / p.total)
	}
	fmt.Fprintf(p.w, "\r%s… [%s%s] %s / %s", p.id[:min(8, len(p.id))], strings.Repeat("#", filled), strings.Repeat(".", width-filled), size(p.n), size(p.total))
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
