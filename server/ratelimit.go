package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/httprate"
)

// Default rate limits, in requests per minute.
const (
	DefaultRatePerAddress = 1200
	DefaultRatePerToken   = 600
)

// limitByAddress limits requests per client address. The limiter keys its
// counters by an HMAC of the address under a key made at start-up and never
// stored, so that not even the limiter's memory holds an address.
//
// Behind a proxy every client shares the proxy's address: raise or disable
// the limit (0) there, and let the proxy limit per address.
func (s *Server) limitByAddress(perMinute int) func(http.Handler) http.Handler {
	if perMinute <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	key := func(r *http.Request) (string, error) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(httprate.CanonicalizeIP(host)))
		return hex.EncodeToString(m.Sum(nil)[:16]), nil
	}
	return httprate.LimitBy(perMinute, time.Minute, key, httprate.WithLimitHandler(s.rateLimited))
}

// limitByToken limits requests per authenticated token. It runs after
// authentication, so that nobody can use up another person's allowance by
// sending their token ID with a wrong secret.
func (s *Server) limitByToken(perMinute int) func(http.Handler) http.Handler {
	if perMinute <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	return httprate.LimitBy(perMinute, time.Minute, func(r *http.Request) (string, error) {
		return tokenOf(r).ID, nil
	}, httprate.WithLimitHandler(s.rateLimited))
}

func (s *Server) rateLimited(w http.ResponseWriter, _ *http.Request) {
	s.fail(w, apiErr(http.StatusTooManyRequests, "rate_limited", "too many requests; wait a minute and try again"))
}
