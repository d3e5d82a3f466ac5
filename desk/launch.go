package desk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Opening the desk in a browser, and finding a desk already running.
//
// The address a desk prints carries its kept secret (see addressFile), so
// that a bookmark keeps working. That address must not be handed to the
// browser on its command line: other accounts of the computer can read
// every process's command line (ps), and the secret is what keeps them
// out. The browser is given a launch address instead: a one-time token,
// good for launchValid, that the desk trades for its cookie once, like the
// secret, and that is worthless afterwards. A token is an HMAC under the
// kept secret of a random nonce and the time it was made, so that a second
// start of the same desk (a second double-click) can make one for the desk
// already running, which it finds with an authenticated probe, and open
// that instead of starting another.

const (
	// launchValid is how long a launch address can be used.
	launchValid = 2 * time.Minute
	launchLabel = "testimony desk launch v1\n"
	aliveLabel  = "testimony desk alive v1\n"
	// alivePath answers a probe from another start of the same desk.
	alivePath = "/.testimony-desk-alive"
)

// mac is HMAC-SHA256 under the desk's kept secret.
func mac(secret, label, msg string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	io.WriteString(h, label)
	io.WriteString(h, msg)
	return h.Sum(nil)
}

// launchToken makes a token good for launchValid from now.
func launchToken(secret string, now time.Time) string {
	var nonce [16]byte
	rand.Read(nonce[:])
	msg := strconv.FormatInt(now.Unix(), 10) + "." + hex.EncodeToString(nonce[:])
	return msg + "." + hex.EncodeToString(mac(secret, launchLabel, msg))
}

// launchURL is the address that opens the desk on addr (HOST:PORT) once.
func launchURL(addr, secret string, now time.Time) string {
	return "http://" + addr + "/?launch=" + launchToken(secret, now)
}

// LaunchURL returns a one-time address that opens the desk listening on ln
// in a browser: give it to the browser instead of [Desk.URL], whose secret
// would show in the process list. Each call makes a new one.
func (d *Desk) LaunchURL(ln net.Listener) string {
	return launchURL(ln.Addr().String(), d.secret, d.cfg.Now())
}

// useLaunch reports whether token is a launch token of this desk, made
// within launchValid and not used before, and marks it used.
func (d *Desk) useLaunch(token string) bool {
	msg, sum, ok := cutLast(token, ".")
	if !ok {
		return false
	}
	secs, _, ok := strings.Cut(msg, ".")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sum)
	if err != nil || !hmac.Equal(got, mac(d.secret, launchLabel, msg)) {
		return false
	}
	t, err := strconv.ParseInt(secs, 10, 64)
	now := d.cfg.Now()
	if err != nil || now.Sub(time.Unix(t, 0)) > launchValid || time.Unix(t, 0).Sub(now) > time.Minute {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, at := range d.launched {
		if now.Sub(at) > launchValid+time.Minute {
			delete(d.launched, k)
		}
	}
	if _, used := d.launched[msg]; used {
		return false
	}
	if d.launched == nil {
		d.launched = map[string]time.Time{}
	}
	d.launched[msg] = now
	return true
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// alive answers a probe from another start of this desk: the HMAC of the
// probe's challenge under the kept secret, which only a desk of the same
// home can give (and which is no launch token: its label differs).
func (d *Desk) alive(w http.ResponseWriter, r *http.Request) {
	c := r.URL.Query().Get("c")
	if len(c) != 32 {
		http.Error(w, "bad challenge", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, hex.EncodeToString(mac(d.secret, aliveLabel, c)))
}

// Running reports whether this desk's home is already served by a desk
// at its kept address (a second start, or a second double-click), and if
// so returns a one-time address that opens it in a browser, and the
// address with the kept secret to print. Another program on that port,
// or a desk of another home, is not taken for it.
func (d *Desk) Running(ctx context.Context) (launch, printed string, ok bool) {
	if d.kept.Port == 0 {
		return "", "", false
	}
	addr := "127.0.0.1:" + strconv.Itoa(d.kept.Port)
	var c [16]byte
	rand.Read(c[:])
	challenge := hex.EncodeToString(c[:])
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+alivePath+"?c="+challenge, nil)
	if err != nil {
		return "", "", false
	}
	// Straight to loopback: never through a proxy from the environment.
	cl := &http.Client{Transport: &http.Transport{Proxy: nil}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		return "", "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 128))
	want := hex.EncodeToString(mac(d.secret, aliveLabel, challenge))
	if err != nil || resp.StatusCode != http.StatusOK || subtle.ConstantTimeCompare(b, []byte(want)) != 1 {
		return "", "", false
	}
	return launchURL(addr, d.secret, d.cfg.Now()), fmt.Sprintf("http://%s/?k=%s", addr, d.secret), true
}
