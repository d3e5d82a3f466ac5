package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"testimony/internal/store"
)

// Tokens look like tmy_<16 hex ID>_<43 base64url characters of secret>. The
// store keeps the ID and the SHA-256 of the secret; the secret itself exists
// only with its holder.
const tokenPrefix = "tmy_"

var tokenPattern = regexp.MustCompile(`^tmy_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$`)

// NewToken returns a new token string, its ID and the hash of its secret.
func NewToken() (token, id string, hash [32]byte) {
	var idb [8]byte
	var secret [32]byte
	rand.Read(idb[:])
	rand.Read(secret[:])
	id = hex.EncodeToString(idb[:])
	enc := base64.RawURLEncoding.EncodeToString(secret[:])
	return tokenPrefix + id + "_" + enc, id, sha256.Sum256([]byte(enc))
}

// ParseToken splits a token into its ID and the hash of its secret.
func ParseToken(token string) (id string, hash [32]byte, ok bool) {
	m := tokenPattern.FindStringSubmatch(strings.TrimSpace(token))
	if m == nil {
		return "", hash, false
	}
	return m[1], sha256.Sum256([]byte(m[2])), true
}

// NewEnrollmentCode returns a single-use code a person can type (four groups
// of five letters and digits, 100 bits) and its hash.
func NewEnrollmentCode() (code string, hash [32]byte) {
	var b [13]byte
	rand.Read(b[:])
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:20]
	code = s[0:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20]
	return code, EnrollmentCodeHash(code)
}

// EnrollmentCodeHash hashes a code as typed: case, spaces and dashes do not
// matter.
func EnrollmentCodeHash(code string) [32]byte {
	c := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
	return sha256.Sum256([]byte("testimony enrollment code\n" + c))
}

type tokenKey struct{}

// authenticate returns the token of the request, or an error.
func (s *Server) authenticate(r *http.Request) (store.Token, error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return store.Token{}, errUnauthorized
	}
	id, hash, ok := ParseToken(raw)
	if !ok {
		return store.Token{}, errUnauthorized
	}
	t, stored, err := s.cfg.Store.Token(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, errUnauthorized
	}
	if err != nil {
		return store.Token{}, err
	}
	if subtle.ConstantTimeCompare(hash[:], stored[:]) != 1 || t.Revoked {
		return store.Token{}, errUnauthorized
	}
	return t, nil
}

// require lets through requests whose token has one of the roles.
func (s *Server) require(roles ...store.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		next = s.tokenLimit(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, err := s.authenticate(r)
			if err != nil {
				s.fail(w, err)
				return
			}
			if !slices.Contains(roles, t.Role) {
				s.fail(w, errForbidden)
				return
			}
			if err := s.syncRoster(r.Context(), false); err != nil {
				s.fail(w, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
		})
	}
}

func tokenOf(r *http.Request) store.Token {
	t, _ := r.Context().Value(tokenKey{}).(store.Token)
	return t
}

// fail writes err and notes its code for the request log.
func (s *Server) fail(w http.ResponseWriter, err error) {
	code := writeError(w, err)
	if sw, ok := w.(*statusWriter); ok {
		sw.code = code
	}
	if code == "internal" {
		// The error text may name files; it stays out of the log too.
		s.log.Error("internal error", "code", code)
	}
}
