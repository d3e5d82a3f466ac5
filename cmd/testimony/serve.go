package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"testimony/internal/blob/disk"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/keys"
	"testimony/server"
)

const serverHelp = `
Usage:
  testimony server init --data DIR --admin-pub PUB --roster R
  testimony serve --data DIR --listen ADDR [--tls-cert F --tls-key F] [--max-upload BYTES]
                  [--rate-per-address N] [--rate-per-token N]
                  [--max-conns N] [--max-unauthenticated N]
                  [--header-timeout D] [--body-idle-timeout D]
                  [--write-idle-timeout D] [--idle-timeout D]
  testimony admin token  --data DIR --role ROLE --label L
  testimony admin enroll --data DIR --role ROLE --label L [--device-id ID]
  testimony admin tokens --data DIR
  testimony admin revoke --data DIR --id TOKEN-ID

The intake server stores sealed testimony it cannot read. 'server init' makes
DIR (metadata in DIR/meta.db, ciphertext in DIR/blobs/) and pins the admin key
and the first roster. It also makes the log key (DIR/log.key), which signs the
checkpoints of the server's transparency log, and prints its verifier key on
stdout: the admin adds it to the roster with 'testimony roster set-log-key'
and publishes that roster. 'serve' runs the server; it needs nothing else
installed.

'admin token' prints a bearer token for ROLE (interviewer, reviewer,
custodian, admin): the scripting and bootstrap path. 'admin enroll' prints a
single-use code, valid 15 minutes, that a person exchanges for their own
token with 'testimony enroll'. An interviewer's code is for one laptop: the
admin chooses its device ID (--device-id, required), and the token the code
makes is bound to that ID and to the key the laptop sends. It may push and
fetch back what it pushed only once the roster lists that ID with that key;
the admin adds it with 'testimony roster add-device' after comparing the
key's fingerprint with the one the laptop printed, read over the phone or in
person. 'admin tokens' lists tokens (never their secrets) and 'admin revoke'
ends one at once. All run on the server machine,
beside a running server or not. Tokens are stored only as hashes.

Without --tls-cert, serve speaks plain HTTP: put it behind a TLS proxy, or
bind it to loopback.

Clients that connect and then stall are cut: a request's headers must
arrive within --header-timeout, and its body keeps arriving with no gap
longer than --body-idle-timeout (before the request is authenticated, all
of the body within it); a response keeps being taken with no gap longer
than --write-idle-timeout. No limit bounds a whole upload or download, so
a 2 GiB file over a slow link goes through. At most --max-conns
connections are open at once (more wait), and at most
--max-unauthenticated requests are before their token is checked (more
are answered 503 with Retry-After).

Examples:
  testimony server init --data /srv/testimony --admin-pub "$(cat admin.pub)" --roster roster.txt
  testimony serve --data /srv/testimony --listen 127.0.0.1:8443
  testimony admin enroll --data /srv/testimony --role interviewer --label "laptop 1" --device-id laptop-1
  testimony admin enroll --data /srv/testimony --role reviewer --label "reviewer 1"
`

// logKeyFile is the log key's file in the data directory. The server signs
// checkpoints unattended, so the key is not passphrase-protected: it is
// protected by the file's mode, like the server's TLS key. Someone who
// takes it can sign checkpoints, but cannot make a client accept a history
// that contradicts the checkpoints it kept.
const logKeyFile = "log.key"

// loadLogKey loads the data directory's log key.
func loadLogKey(dir string, e *env) (*keys.SigningKey, error) {
	path := filepath.Join(dir, logKeyFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s has no log key (it was made by an older testimony); run 'testimony server init --data %s ...' again to create one", dir, dir)
	}
	return keys.LoadSigningKey(path, keys.Unlock{Warn: e.warn})
}

// createLogKey makes the log key, named for the log it signs, and prints
// its verifier key alone on a line of stdout.
func createLogKey(dir string, e *env) error {
	var b [8]byte
	rand.Read(b[:])
	k, err := keys.GenerateSigningKey("testimony-log-" + hex.EncodeToString(b[:]))
	if err != nil {
		return err
	}
	if err := keys.WriteSigningKeyFile(filepath.Join(dir, logKeyFile), k, nil); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k.Verifier())
	return nil
}

func openData(dir string) (*sqlite.Store, *disk.Store, error) {
	if fi, err := os.Stat(filepath.Join(dir, "meta.db")); err != nil || !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a server data directory; run 'testimony server init' first", dir)
	}
	st, err := sqlite.Open(filepath.Join(dir, "meta.db"))
	if err != nil {
		return nil, nil, err
	}
	bl, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, bl, nil
}

func runServer(e *env, args []string) error {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprint(e.stderr, strings.TrimLeft(serverHelp, "\n"))
		return usagef("server: the only subcommand is init")
	}
	fs := e.flagSet("server init", serverHelp)
	data := fs.String("data", "", "data `DIR` to create")
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	rosterPath := fs.String("roster", "", "the first signed roster `R`")
	if err := parseFlags(fs, args[1:], "data", "admin-pub", "roster"); err != nil {
		return err
	}
	r, err := loadRoster(*rosterPath, *adminPub, "", false)
	if err != nil {
		return err
	}
	signed, err := os.ReadFile(*rosterPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", *data, err)
	}
	st, err := sqlite.Open(filepath.Join(*data, "meta.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	admin, _ := keys.ParseVerifier(valueOrFile(*adminPub))
	if err := st.Init(e.ctx, admin.String(), r.Version, signed); err != nil {
		if !errors.Is(err, store.ErrAlreadyInitialized) {
			return err
		}
		// A data directory from before the log gets its log key;
		// anything else initialized is left alone.
		if _, err := os.Stat(filepath.Join(*data, logKeyFile)); !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is already initialized", *data)
		}
		if err := createLogKey(*data, e); err != nil {
			return err
		}
		e.info("%s was already initialized; created its missing log key (printed above): add it to the roster with 'testimony roster set-log-key' and publish the roster", *data)
		return nil
	}
	if err := createLogKey(*data, e); err != nil {
		return err
	}
	bl, err := disk.Open(filepath.Join(*data, "blobs"))
	if err != nil {
		return err
	}
	bl.Close()
	e.info("initialized %s for %q with roster version %d; the log key's verifier is printed above: add it to the roster with 'testimony roster set-log-key --key VERIFIER' and publish it; start the server with: testimony serve --data %s --listen 127.0.0.1:8443", *data, r.Org, r.Version, *data)
	return nil
}

func runServe(e *env, args []string) error {
	fs := e.flagSet("serve", serverHelp)
	data := fs.String("data", "", "data `DIR` made by server init")
	listen := fs.String("listen", "127.0.0.1:8443", "`ADDR` to listen on")
	cert := fs.String("tls-cert", "", "TLS certificate `FILE` (PEM)")
	key := fs.String("tls-key", "", "TLS private key `FILE` (PEM)")
	maxUpload := fs.Int64("max-upload", server.DefaultMaxUpload, "largest accepted file, in `BYTES`")
	perAddress := fs.Int("rate-per-address", server.DefaultRatePerAddress, "requests per minute from one client address (`N`; -1: no limit, e.g. behind a proxy that limits)")
	perToken := fs.Int("rate-per-token", server.DefaultRatePerToken, "requests per minute with one token (`N`; -1: no limit)")
	maxConns := fs.Int("max-conns", server.DefaultMaxConns, "connections open at once (`N`; more wait; -1: no cap)")
	maxUnauth := fs.Int("max-unauthenticated", server.DefaultMaxUnauthenticated, "requests at once before their token is checked (`N`; more get 503; -1: no cap)")
	headerTimeout := fs.Duration("header-timeout", server.DefaultHeaderTimeout, "longest wait for a request's headers and TLS handshake (`D`)")
	bodyIdle := fs.Duration("body-idle-timeout", server.DefaultBodyIdleTimeout, "longest gap in a request body (`D`)")
	writeIdle := fs.Duration("write-idle-timeout", server.DefaultWriteIdleTimeout, "longest wait for a client to take more of a response (`D`)")
	idle := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "longest wait for the next request on a kept-alive connection (`D`)")
	if err := parseFlags(fs, args, "data"); err != nil {
		return err
	}
	if (*cert == "") != (*key == "") {
		return usagef("serve: give both --tls-cert and --tls-key, or neither")
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"header-timeout", *headerTimeout}, {"body-idle-timeout", *bodyIdle}, {"write-idle-timeout", *writeIdle}, {"idle-timeout", *idle}} {
		if d.d <= 0 {
			return usagef("serve: --%s must be a positive duration, like 30s or 2m", d.name)
		}
	}
	if *maxConns == 0 || *maxUnauth == 0 {
		return usagef("serve: --max-conns and --max-unauthenticated must be positive, or -1 for no cap")
	}
	st, bl, err := openData(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	defer bl.Close()
	logKey, err := loadLogKey(*data, e)
	if err != nil {
		return err
	}
	log := server.NewLogger(slog.NewJSONHandler(e.stderr, nil))
	srv, err := server.New(e.ctx, server.Config{Store: st, Blobs: bl, Logger: log, MaxUpload: *maxUpload,
		RatePerAddress: *perAddress, RatePerToken: *perToken, LogKey: logKey,
		HeaderTimeout: *headerTimeout, BodyIdleTimeout: *bodyIdle, WriteIdleTimeout: *writeIdle, IdleTimeout: *idle,
		MaxConns: *maxConns, MaxUnauthenticated: *maxUnauth})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	hs := srv.HTTPServer()
	ln = srv.Listener(ln)
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	// The address is printed for the operator; it is not logged.
	fmt.Fprintf(e.stdout, "listening on %s://%s\n", scheme, ln.Addr())
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- hs.ServeTLS(ln, *cert, *key)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-e.ctx.Done():
	}
	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runAdmin(e *env, args []string) error {
	if len(args) > 0 && (args[0] == "tokens" || args[0] == "revoke") {
		return adminTokens(e, args[0], args[1:])
	}
	if len(args) == 0 || (args[0] != "token" && args[0] != "enroll") {
		fmt.Fprint(e.stderr, strings.TrimLeft(serverHelp, "\n"))
		return usagef("admin: use 'admin token', 'admin enroll', 'admin tokens' or 'admin revoke'")
	}
	sub := args[0]
	fs := e.flagSet("admin "+sub, serverHelp)
	data := fs.String("data", "", "the server's data `DIR`")
	role := fs.String("role", "", "`ROLE`: interviewer, reviewer, custodian or admin")
	label := fs.String("label", "", "`LABEL` saying whose token it is, like \"laptop 1\"")
	deviceID := fs.String("device-id", "", "the interviewer laptop's device `ID` in the roster, like laptop-1 (admin enroll --role interviewer)")
	if err := parseFlags(fs, args[1:], "data", "role", "label"); err != nil {
		return err
	}
	if !store.Role(*role).Valid() {
		return usagef("admin %s: --role must be interviewer, reviewer, custodian or admin", sub)
	}
	if !validLabel(*label) {
		return usagef("admin %s: --label must be 1 to 64 printable characters", sub)
	}
	switch {
	case sub == "token" && *deviceID != "":
		return usagef("admin token: --device-id is for 'admin enroll', which binds a laptop's key to the ID")
	case sub == "enroll" && store.Role(*role) == store.Interviewer && *deviceID == "":
		return usagef("admin enroll: an interviewer's code is for one laptop: give --device-id, the ID the roster will list it under (like laptop-1)")
	case sub == "enroll" && store.Role(*role) != store.Interviewer && *deviceID != "":
		return usagef("admin enroll: --device-id is for interviewer laptops only")
	case *deviceID != "" && !keys.ValidDeviceID(*deviceID):
		return usagef("admin enroll: --device-id must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	st, bl, err := openData(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	bl.Close()
	day := time.Now().UTC().Format(time.DateOnly)
	if sub == "token" {
		token, id, hash := server.NewToken()
		if err := st.AddToken(e.ctx, store.Token{ID: id, Role: store.Role(*role), Label: *label, Created: day}, hash); err != nil {
			return err
		}
		e.info("made %s token %s for %q; it is shown once, on stdout: keep it in a file only its owner can read", *role, id, *label)
		fmt.Fprintln(e.stdout, token)
		return nil
	}
	code, hash := server.NewEnrollmentCode()
	expires := time.Now().Add(server.EnrollmentLifetime)
	if err := st.AddEnrollment(e.ctx, hash, store.Enrollment{Role: store.Role(*role), Label: *label, Device: *deviceID, Expires: expires}); err != nil {
		return err
	}
	if *deviceID != "" {
		e.info("enrollment code for %s %q, device %s, valid 15 minutes and once: testimony enroll --server URL --code CODE --device-key KEY --out FILE", *role, *label, *deviceID)
	} else {
		e.info("enrollment code for %s %q, valid 15 minutes and once: testimony enroll --server URL --code CODE --out FILE", *role, *label)
	}
	fmt.Fprintln(e.stdout, code)
	return nil
}

func validLabel(s string) bool {
	return s != "" && len(s) <= 64 && strings.TrimSpace(s) == s && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// adminTokens lists tokens or revokes one.
func adminTokens(e *env, sub string, args []string) error {
	fs := e.flagSet("admin "+sub, serverHelp)
	data := fs.String("data", "", "the server's data `DIR`")
	id := fs.String("id", "", "the `TOKEN-ID` to revoke (the 16 hex digits after tmy_)")
	required := []string{"data"}
	if sub == "revoke" {
		required = append(required, "id")
	}
	if err := parseFlags(fs, args, required...); err != nil {
		return err
	}
	st, bl, err := openData(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	bl.Close()
	if sub == "revoke" {
		if err := st.RevokeToken(e.ctx, *id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no token %q; 'testimony admin tokens' lists them", *id)
			}
			return err
		}
		e.info("revoked token %s; it is refused from now on", *id)
		return nil
	}
	ts, err := st.Tokens(e.ctx)
	if err != nil {
		return err
	}
	enrolled := false
	for _, t := range ts {
		state := "active"
		if t.Revoked {
			state = "revoked"
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, state, t.Created, t.Label, t.Device)
		if t.DevicePub != "" {
			enrolled = true
		}
	}
	if enrolled {
		// The key a device token names came through the server: it is
		// what the laptop claimed, or what whoever controls the server
		// put there. It is not printed here, so that nobody pastes it
		// into the roster.
		e.info("to add an enrolled laptop to the roster, take its key file (the .pub that 'testimony keygen --signing' wrote) and its fingerprint from the laptop itself, not from this server: testimony roster add-device --id ID --public-key FILE --fingerprint XXXX-XXXX-XXXX-XXXX-XXXX")
	}
	return nil
}
