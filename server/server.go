// Package server is the central intake server. It accepts sealed testimony
// from enrolled devices, checks every upload against the age header policy
// and the roster without decrypting it, stores the ciphertext durably, and
// hands it to reviewers. It also keeps reviewers' annotations, sealed to the
// reviewers, and records custodians' lookups of re-identification records
// in the transparency log, with their reasons sealed to the custodians. No
// code path here can decrypt: the server holds no identity, only the public
// roster.
//
// The route table is in routes.go; errors map to HTTP statuses in one place,
// errors.go. Logs carry only the attributes in logAttrs: no addresses, no
// tokens, no submission IDs, no bodies.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"testimony/internal/blob"
	"testimony/internal/store"
	"testimony/keys"
)

// DefaultMaxUpload is the default limit on one uploaded file.
const DefaultMaxUpload = 2 << 30

// Config configures a [Server].
type Config struct {
	// Store keeps metadata; Blobs keeps ciphertext. Both are required.
	Store store.Store
	Blobs blob.Store
	// Logger receives the request log. Nil discards it.
	Logger *slog.Logger
	// MaxUpload limits each uploaded file, in bytes; DefaultMaxUpload if 0.
	MaxUpload int64
	// Now returns the current time; time.Now if nil. Only the day is kept.
	Now func() time.Time
	// RatePerAddress and RatePerToken limit requests per minute from one
	// client address and with one token; the defaults if 0, no limit if
	// negative.
	RatePerAddress, RatePerToken int
	// LogKey signs the log's checkpoints; required. Its name is the log's
	// origin. 'testimony server init' keeps it in the data directory; the
	// admin names its verifier key in the roster.
	LogKey *keys.SigningKey

	// Deadlines (limits.go). None bounds a whole transfer, only each wait
	// for the next bytes, so that a 2 GiB upload or download over a slow
	// link goes through while a client that stalls is cut. The defaults
	// (Default…) if 0; negative is an error.
	//
	// HeaderTimeout bounds the TLS handshake and reading a request's
	// headers. BodyIdleTimeout bounds a request body: from the start of
	// the request until it is authenticated (all of an unauthenticated
	// request's body must arrive within it), then each wait for more.
	// WriteIdleTimeout bounds each wait for the client to take more of a
	// response. IdleTimeout bounds how long a kept-alive connection waits
	// for its next request.
	HeaderTimeout, BodyIdleTimeout, WriteIdleTimeout, IdleTimeout time.Duration
	// MaxConns caps the connections open at once (enforced by
	// [Server.Listener]; further ones wait for a free slot).
	// MaxUnauthenticated caps the requests not yet authenticated: every
	// request until its token checks, and enrollment throughout; one more
	// is answered 503 with Retry-After at once. The defaults if 0, no cap
	// if negative.
	MaxConns, MaxUnauthenticated int
}

// Server is the intake server. Its Handler is safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	admin  keys.Verifier
	roster atomic.Pointer[currentRoster]
	// rosterSync serializes reading the stored roster and replacing
	// roster; rosterRead is when the stored one was last read (unix
	// nanoseconds). See syncRoster.
	rosterSync sync.Mutex
	rosterRead atomic.Int64
	heads      headCache
	// tokenLimit wraps what runs once a request is authenticated: the
	// request leaves the unauthenticated cap (limits.go), then meets the
	// one per-token limiter all routes share.
	tokenLimit func(http.Handler) http.Handler
}

type currentRoster struct {
	signed []byte
	r      *keys.Roster
}

// New returns a server over an initialized store. It verifies the stored
// roster against the pinned admin key, and refuses to start otherwise.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Blobs == nil {
		return nil, errors.New("server: a store and a blob store are required")
	}
	if cfg.LogKey == nil {
		return nil, errors.New("server: a log key is required")
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.RatePerAddress == 0 {
		cfg.RatePerAddress = DefaultRatePerAddress
	}
	if cfg.RatePerToken == 0 {
		cfg.RatePerToken = DefaultRatePerToken
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := setLimitDefaults(&cfg); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	byToken := s.limitByToken(cfg.RatePerToken)
	s.tokenLimit = func(h http.Handler) http.Handler { return s.authenticated(byToken(h)) }
	pub, err := cfg.Store.AdminPub(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to read the pinned admin key: %w", err)
	}
	if s.admin, err = keys.ParseVerifier(pub); err != nil {
		return nil, fmt.Errorf("the pinned admin key is malformed: %w", err)
	}
	_, signed, err := cfg.Store.Roster(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to read the roster: %w", err)
	}
	r, err := keys.VerifyRoster(signed, s.admin, nil)
	if err != nil {
		return nil, fmt.Errorf("the stored roster does not verify: %w", err)
	}
	s.roster.Store(&currentRoster{signed: signed, r: r})
	s.rosterRead.Store(time.Now().UnixNano())
	if err := s.checkLogKey(r); err != nil {
		// Not fatal: the admin needs a running server to publish the
		// roster that fixes it. Until then clients refuse the receipts.
		s.log.Warn("the roster does not name this server's log key: clients will refuse its receipts until the admin publishes a roster with it (testimony roster set-log-key)")
	}
	if _, err := s.checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("failed to read the log: %w", err)
	}
	return s, nil
}

// checkLogKey checks that roster r names this server's log key, if it names
// one.
func (s *Server) checkLogKey(r *keys.Roster) error {
	if r.Log.IsZero() {
		return errNoLogKey
	}
	if r.Log.String() != s.cfg.LogKey.Verifier() {
		return apiErr(http.StatusUnprocessableEntity, "log_key",
			fmt.Sprintf("the roster names the log key %q, but this server's log key is %s: set it with 'testimony roster set-log-key'", r.Log.Note().Name(), s.cfg.LogKey.Verifier()))
	}
	return nil
}

var errNoLogKey = errors.New("the roster names no log key")

// day returns today's date, which is all the server records of time.
func (s *Server) day() string { return s.cfg.Now().UTC().Format(time.DateOnly) }
