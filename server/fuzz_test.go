package server

import (
	"strings"
	"testing"
)

// FuzzParseContentDigest: no panic, and an accepted header formats back to
// a value that parses to the same digest.
func FuzzParseContentDigest(f *testing.F) {
	f.Add("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Add("sha-512=:AAAA:, sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Add("sha-256=:x:")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseContentDigest(v)
		if !ok {
			return
		}
		if d2, ok := ParseContentDigest(ContentDigest(d)); !ok || d2 != d {
			t.Fatalf("%q: round trip failed", v)
		}
	})
}

// FuzzParseToken: no panic; an accepted token is exactly tmy_ID_SECRET with
// a 16-hex ID that comes back unchanged.
func FuzzParseToken(f *testing.F) {
	tok, _, _ := NewToken()
	f.Add(tok)
	f.Add("tmy_0123456789abcdef_" + strings.Repeat("A", 43))
	f.Add("tmy__")
	f.Fuzz(func(t *testing.T, v string) {
		id, hash, ok := ParseToken(v)
		if !ok {
			return
		}
		if len(id) != 16 || !strings.Contains(v, "tmy_"+id+"_") {
			t.Fatalf("%q: parsed ID %q", v, id)
		}
		if _, h2, _ := ParseToken(strings.TrimSpace(v)); h2 != hash {
			t.Fatalf("%q: hash depends on surrounding space", v)
		}
	})
}

// FuzzEnrollmentCodeHash: typing a code in lower case, with spaces instead
// of dashes, gives the same hash.
func FuzzEnrollmentCodeHash(f *testing.F) {
	code, _ := NewEnrollmentCode()
	f.Add(code)
	f.Fuzz(func(t *testing.T, c string) {
		typed := strings.Map(func(r rune) rune {
			switch {
			case 'A' <= r && r <= 'Z':
				return r - 'A' + 'a'
			case r == '-':
				return ' '
			}
			return r
		}, c)
		if EnrollmentCodeHash(typed) != EnrollmentCodeHash(c) {
			t.Fatalf("%q: the hash depends on case or dashes", c)
		}
	})
}
