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
	"strings"
	"time"

	"testimony/internal/durable"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

const serverHelp = `
Usage:
  testimony server init STORAGE --admin-pub PUB --roster R
  testimony serve STORAGE --listen ADDR [--tls-cert F --tls-key F] [--max-upload BYTES]
                  [--rate-per-address N] [--rate-per-token N]
                  [--max-conns N] [--max-unauthenticated N]
                  [--header-timeout D] [--body-idle-timeout D]
                  [--write-idle-timeout D] [--idle-timeout D]
  testimony admin token  STORAGE --role ROLE --label L
  testimony admin enroll STORAGE --role ROLE --label L [--device-id ID]
  testimony admin tokens STORAGE
  testimony admin revoke STORAGE --id TOKEN-ID

STORAGE is where the server keeps its data, the same for every command:
  --data DIR                the embedded default: metadata in DIR/meta.db
                            (SQLite), ciphertext in DIR/blobs/, the log key
                            in DIR/log.key; needs nothing else installed
  --store postgres://USER@HOST:PORT/DB?sslmode=verify-full
                            metadata and log in PostgreSQL instead; the
                            password from PGPASSWORD or a passfile
                            (~/.pgpass, PGPASSFILE), never the URL
  --blobs s3://BUCKET/PREFIX/?endpoint=https://HOST
                            large ciphertext in an existing S3-compatible
                            bucket instead; credentials from
                            AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or
                            a file (credentials=FILE in the URL)
  --log-key FILE            the log key instead of DIR/log.key (server init
                            and serve; needed with --store and --blobs when
                            there is no --data)
  --config FILE             the same in a JSON file: {"data", "store",
                            "store_password_file", "blobs", "log_key"};
                            flags given override it

The intake server stores sealed testimony it cannot read. 'server init'
makes the store (the data directory, or PostgreSQL's tables in an existing
database) and pins the admin key and the first roster. It also makes the log
key, which signs the checkpoints of the server's transparency log, and
prints its verifier key on stdout: the admin adds it to the roster with
'testimony roster set-log-key' and publishes that roster. 'serve' runs the
server. Several serve processes may share one PostgreSQL store and one S3
bucket (behind a load balancer): each needs a copy of the same log key file
(mode 0600); they build one log.

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
  PGPASSFILE=/etc/testimony/pgpass testimony serve --listen 127.0.0.1:8443 \
      --store 'postgres://testimony@db.internal/testimony?sslmode=verify-full' \
      --blobs 's3://testimony-blobs/?endpoint=https://s3.internal&credentials=/etc/testimony/s3-credentials' \
      --log-key /etc/testimony/log.key
  testimony serve --config /etc/testimony/storage.json --listen 127.0.0.1:8443
  testimony admin enroll --data /srv/testimony --role interviewer --label "laptop 1" --device-id laptop-1
  testimony admin enroll --data /srv/testimony --role reviewer --label "reviewer 1"
`

// logKeyFile is the log key's file in the data directory. The server signs
// checkpoints unattended, so the key is not passphrase-protected: it is
// protected by the file's mode, like the server's TLS key. Someone who
// takes it can sign checkpoints, but cannot make a client accept a history
// that contradicts the checkpoints it kept.
const logKeyFile = "log.key"

// newLogKey makes a log key, named for the log it signs, in a new file
// at path (mode 0600; an existing file is never replaced).
func newLogKey(path string) (*keys.SigningKey, error) {
	var b [8]byte
	rand.Read(b[:])
	k, err := keys.GenerateSigningKey("testimony-log-" + hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	if err := keys.WriteSigningKeyFile(path, k, nil); err != nil {
		return nil, err
	}
	return k, nil
}

func runServer(e *env, args []string) error {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprint(e.stderr, strings.TrimLeft(serverHelp, "\n"))
		return usagef("server: the only subcommand is init")
	}
	fs := e.flagSet("server init", serverHelp)
	bf := addBackendFlags(fs, true)
	adminPub := fs.String("admin-pub", "", "the admin verifier key `PUB` (or a file holding it)")
	rosterPath := fs.String("roster", "", "the first signed roster `R`")
	if err := parseFlags(fs, args[1:], "admin-pub", "roster"); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
		return err
	}
	logPath := b.logKeyPath()
	if logPath == "" {
		return usagef("server init: give --log-key FILE, where the log key is made, or --data DIR to keep it in")
	}
	r, err := loadRoster(*rosterPath, *adminPub, "", false)
	if err != nil {
		return err
	}
	signed, err := os.ReadFile(*rosterPath)
	if err != nil {
		return err
	}
	admin, _ := keys.ParseVerifier(valueOrFile(*adminPub))
	if b.Data != "" {
		if err := os.MkdirAll(b.Data, 0o700); err != nil {
			return fmt.Errorf("failed to create %s: %w", b.Data, err)
		}
	}
	be, err := b.open(e.ctx, true)
	if err != nil {
		return err
	}
	defer be.Close()
	if _, err := be.Store.AdminPub(e.ctx); err == nil {
		return initializedAlready(e, b, logPath)
	} else if !errors.Is(err, store.ErrNotInitialized) {
		return err
	}
	// The log key first, so that a store is never initialized without
	// one; it is removed again if the store turns out to be taken.
	k, err := newLogKey(logPath)
	if errors.Is(err, durable.ErrExists) {
		return fmt.Errorf("%s already exists: server init makes a new log key for a new store, and replaces no file; give another --log-key, or remove it if it belongs to no server", logPath)
	}
	if err != nil {
		return err
	}
	if err := be.Store.Init(e.ctx, admin.String(), r.Version, signed); err != nil {
		os.Remove(logPath)
		if errors.Is(err, store.ErrAlreadyInitialized) {
			// Another init got there between our check and now.
			return fmt.Errorf("%s is already initialized", b.where())
		}
		return err
	}
	fmt.Fprintln(e.stdout, k.Verifier())
	e.info("initialized %s for %q with roster version %d; the log key (in %s) has its verifier printed above: add it to the roster with 'testimony roster set-log-key --key VERIFIER' and publish it; start the server with: testimony serve %s --listen 127.0.0.1:8443", b.where(), r.Org, r.Version, logPath, b.flags())
	return nil
}

// initializedAlready handles server init on a store that is initialized:
// an embedded store from before the log gets its missing log key; anything
// else is left alone.
func initializedAlready(e *env, b Backend, logPath string) error {
	if _, err := os.Stat(logPath); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s is already initialized", b.where())
	}
	if !b.embedded() {
		return fmt.Errorf("%s is already initialized, and there is no log key at %s: a further server process on it needs a copy of the log key the first 'server init' made (mode 0600), not a new one", b.where(), logPath)
	}
	k, err := newLogKey(logPath)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k.Verifier())
	e.info("%s was already initialized; created its missing log key (printed above): add it to the roster with 'testimony roster set-log-key' and publish the roster", b.Data)
	return nil
}

func runServe(e *env, args []string) error {
	fs := e.flagSet("serve", serverHelp)
	bf := addBackendFlags(fs, true)
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
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
	logKey, err := b.loadLogKey(e)
	if err != nil {
		return err
	}
	be, err := b.open(e.ctx, false)
	if err != nil {
		return err
	}
	defer be.Close()
	log := server.NewLogger(slog.NewJSONHandler(e.stderr, nil))
	srv, err := server.New(e.ctx, server.Config{Store: be.Store, Blobs: be.Blobs, Logger: log, MaxUpload: *maxUpload,
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
	bf := addBackendFlags(fs, false)
	role := fs.String("role", "", "`ROLE`: interviewer, reviewer, custodian or admin")
	label := fs.String("label", "", "`LABEL` saying whose token it is, like \"laptop 1\"")
	deviceID := fs.String("device-id", "", "the interviewer laptop's device `ID` in the roster, like laptop-1 (admin enroll --role interviewer)")
	if err := parseFlags(fs, args[1:], "role", "label"); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
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
	st, err := b.openStore(e.ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
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
	bf := addBackendFlags(fs, false)
	id := fs.String("id", "", "the `TOKEN-ID` to revoke (the 16 hex digits after tmy_)")
	var required []string
	if sub == "revoke" {
		required = append(required, "id")
	}
	if err := parseFlags(fs, args, required...); err != nil {
		return err
	}
	b, err := bf.backend()
	if err != nil {
		return err
	}
	st, err := b.openStore(e.ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
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
