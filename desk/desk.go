// Package desk is the local web app of testimony: the only place where
// plaintext exists. An interviewer writes a note, sees it pseudonymized and
// seals it; a reviewer pulls, reads and searches testimony and annotates it
// for colleagues; a custodian re-identifies a pseudonym, leaving a trace in
// the server's log. One desk serves one person's profile (see [Profile]).
//
// # Who may use it
//
// A desk listens on loopback only. It prints an address with a secret drawn
// at launch; the first visit trades the secret for a cookie
// (HttpOnly, SameSite=Strict), and every request without one is refused.
// Requests for another host name (DNS rebinding), cross-origin and
// cross-site requests are refused; every answer is no-store with a strict
// Content-Security-Policy (no inline scripts, nothing from elsewhere).
//
// # What stays where
//
// The keys are unlocked with the person's passphrase and held in memory
// until the desk locks itself, after Config.IdleLock without a request, or
// when the person locks it. Decrypted testimony lives in memory only.
// Drafts are encrypted on disk to a key of the profile; sealed files wait
// in the outbox until they are sent.
//
// A Desk is safe for concurrent use.
package desk

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"testimony/internal/client"
	"testimony/keys"
)

// Config is how a desk runs.
type Config struct {
	// Home is the profile directory.
	Home string
	// IdleLock is how long the desk stays unlocked without a request;
	// 10 minutes if zero.
	IdleLock time.Duration
	// Log receives operational messages (never names, text, keys or
	// addresses), with times cut to the hour; nil discards them.
	Log *slog.Logger
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Proxy, if set, is the SOCKS5 proxy to reach the server through for
	// this run, instead of the profile's (see [Profile.Proxy]).
	Proxy string
}

// Desk is one person's local app.
type Desk struct {
	cfg     Config
	profile *Profile
	admin   keys.Verifier
	secret  string // in the printed address, once per launch
	session string // the cookie's value
	cookie  string // the cookie's name: one per desk, as ports share cookies
	host    string // the Host header requests must carry
	pages   *pages
	kept    *keptAddress // the address kept across launches
	setup   *setupState  // nil once the home holds a profile

	mu       sync.Mutex
	roster   *keys.Roster
	open     *unlocked // nil while locked
	lastSeen time.Time
	failures int // wrong passphrases in a row
	pull     pullState
	results  results              // what posts did, for the pages they redirect to
	progress progress             // the unlock running, for the unlock page to show
	launched map[string]time.Time // launch tokens used (see launch.go)
}

// New loads the profile in cfg.Home. The desk is locked. If cfg.Home holds
// no profile (or does not exist), the desk serves the setup page instead
// (see [Desk.InSetup]), which makes one; cfg.Home is then created.
func New(cfg Config) (*Desk, error) {
	if cfg.IdleLock == 0 {
		cfg.IdleLock = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Log = slog.New(hourly{cfg.Log.Handler()})
	p, admin, roster, err := loadProfile(cfg.Home)
	var setup *setupState
	if errors.Is(err, ErrNoProfile) {
		if setup, err = loadSetup(cfg.Home); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	// A proxy that cannot be used stops the desk now, not at unlock.
	if p != nil {
		if _, err := client.CheckProxy(p.Server, cmp.Or(cfg.Proxy, p.Proxy)); err != nil {
			return nil, err
		}
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	kept, err := keepAddress(cfg.Home)
	if err != nil {
		return nil, err
	}
	return &Desk{cfg: cfg, profile: p, admin: admin, roster: roster, pages: pg, kept: kept, setup: setup,
		secret: kept.Secret, session: kept.Session, cookie: "testimony-desk-" + kept.Cookie}, nil
}

// Profile returns the desk's profile; its Role is "" while the desk is in
// setup mode.
func (d *Desk) Profile() Profile {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.profile == nil {
		return Profile{}
	}
	return *d.profile
}

// InSetup reports whether the desk serves the setup page: its home holds
// no profile yet. It turns false once the setup page has made one.
func (d *Desk) InSetup() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.profile == nil
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Listen opens a loopback listener on addr ("127.0.0.1:0" for any port).
// Other addresses are refused: the desk holds plaintext.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q is not HOST:PORT: %w", addr, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("a desk listens on loopback only (127.0.0.1 or ::1), not %q: it shows plaintext to whoever connects", host)
	}
	return net.Listen("tcp", addr)
}

// URL returns the address to open, with the launch secret, for a desk
// listening on ln.
func (d *Desk) URL(ln net.Listener) string {
	return "http://" + ln.Addr().String() + "/?k=" + d.secret
}

// Serve serves the desk on ln until ctx ends, locking it on the way out.
func (d *Desk) Serve(ctx context.Context, ln net.Listener) error {
	d.host = ln.Addr().String()
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(d.cfg.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				srv.Shutdown(shut)
				cancel()
				close(done)
				return
			case <-t.C:
				d.lockIfIdle()
			}
		}
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		err = nil
	}
	d.lock()
	return err
}

// lockIfIdle locks the desk if nobody used it for IdleLock.
func (d *Desk) lockIfIdle() {
	d.mu.Lock()
	idle := d.open != nil && d.cfg.Now().Sub(d.lastSeen) > d.cfg.IdleLock
	d.mu.Unlock()
	if idle {
		d.cfg.Log.Info("locked after inactivity")
		d.lock()
	}
}

// lock forgets the keys and everything decrypted.
func (d *Desk) lock() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open != nil {
		d.open.forget()
		d.open = nil
	}
	d.results.forget()
}

// security wraps h with the checks every request must pass.
func (d *Desk) security(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.refuse(w, r, http.StatusForbidden, "This request came from another site and was refused.")
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
		hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
		// A page on another host name that resolves to 127.0.0.1 (DNS
		// rebinding) must not reach the desk.
		if d.host != "" && r.Host != d.host && !isLocalhostAlias(r.Host, d.host) {
			d.refuse(w, r, http.StatusForbidden, "This address is not the desk's; open the address the desk printed.")
			return
		}
		// Other sites, and other desks on this machine, are refused.
		if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
			d.refuse(w, r, http.StatusForbidden, "This request came from another site and was refused.")
			return
		}
		if r.URL.Path == alivePath && r.Method == http.MethodGet {
			d.alive(w, r)
			return
		}
		if t := r.URL.Query().Get("launch"); t != "" && r.Method == http.MethodGet && r.URL.Path == "/" {
			if !d.useLaunch(t) {
				d.refuse(w, r, http.StatusForbidden, "This link to open the desk was used already or is too old. Start the desk again, or open the address it printed.")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: d.cookie, Value: d.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		if k := r.URL.Query().Get("k"); k != "" && r.Method == http.MethodGet && r.URL.Path == "/" {
			if subtle.ConstantTimeCompare([]byte(k), []byte(d.secret)) != 1 {
				d.refuse(w, r, http.StatusForbidden, "This address is from an earlier launch of the desk; open the address it printed this time.")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: d.cookie, Value: d.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		// The stylesheet, script and icons hold nothing secret (they are in
		// the binary); a refusal page needs them before there is a cookie.
		if strings.HasPrefix(r.URL.Path, "/static/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			h.ServeHTTP(w, r)
			return
		}
		c, err := r.Cookie(d.cookie)
		if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(d.session)) != 1 {
			d.refuse(w, r, http.StatusForbidden, "Open the desk with the address it printed when it started (it carries a secret).")
			return
		}
		cop.Handler(h).ServeHTTP(w, r)
	})
}

// isLocalhostAlias allows "localhost:PORT" for a desk on 127.0.0.1:PORT.
func isLocalhostAlias(got, want string) bool {
	_, port, err := net.SplitHostPort(want)
	return err == nil && strings.EqualFold(got, "localhost:"+port)
}
