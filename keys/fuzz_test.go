package keys_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

// fuzzAdmin returns a fixed admin key, so that rosters saved in
// testdata/fuzz stay signed by the key the fuzz targets verify with. It is
// derived from a public seed: it protects nothing.
func fuzzAdmin(f *testing.F) (*keys.SigningKey, keys.Verifier) {
	seed := sha256.Sum256([]byte("testimony keys fuzz admin (public test key)"))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(adminName, pub)
	if err != nil {
		f.Fatal(err)
	}
	hash := strings.Split(vkey, "+")[1]
	skey := "PRIVATE+KEY+" + adminName + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, seed[:]...))
	path := filepath.Join(f.TempDir(), "admin.key")
	if err := os.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	k, err := keys.LoadSigningKey(path, keys.Unlock{})
	if err != nil {
		f.Fatal(err)
	}
	if k.Verifier() != vkey {
		f.Fatalf("fuzz admin verifier = %s, want %s", k.Verifier(), vkey)
	}
	return k, mustVerifier(f, k)
}

// addRosterSeeds adds valid rosters signed by admin, and a few broken ones.
// Most seeds use classic keys: a hybrid recipient is 1,959 characters, and
// the fuzzer spends its time minimizing long inputs.
func addRosterSeeds(f *testing.F, admin *keys.SigningKey) {
	rf := newRosterFixture(f)
	rf.admin = admin
	full := rf.roster(f, keys.Classic)
	signed := mustSign(f, full, admin)
	f.Add(signed)
	f.Add([]byte(full.Text()))         // unsigned
	f.Add(mustSign(f, full, rf.other)) // another signer
	f.Add(bytes.Replace(signed, []byte("version 3"), []byte("version 4"), 1))

	hybrid, _ := keys.NewRoster("h")
	hybrid.Add(keys.Reviewer, "r", rf.hybrid[0].Recipient())
	f.Add(mustSign(f, hybrid, admin))

	empty, _ := keys.NewRoster("북한인권 NGO")
	f.Add(mustSign(f, empty, admin))

	small, _ := keys.NewRoster("o")
	small.Add(keys.Reviewer, "r", rf.classic[0].Recipient())
	small.Add(keys.Custodian, "c c", rf.classic[1].Recipient())
	small.AddDevice("d", mustVerifier(f, rf.devices[0]))
	f.Add(mustSign(f, small, admin))

	f.Add(signText(f, rosterText("o", "1", rf.reviewer(1, keys.Classic, "b"), rf.reviewer(0, keys.Classic, "a")), admin))

	// Version 2: signing keys, "-", and the frozen roster.
	f.Add(mustSign(f, rf.roster2(f, keys.Classic), admin))
	small2, _ := keys.NewRoster("o")
	small2.AddReviewer("r", rf.classic[0].Recipient(), rf.signer(f, keys.Classic, 0))
	small2.AddReviewer("s", rf.classic[1].Recipient(), keys.Verifier{})
	small2.AddDevice("d", mustVerifier(f, rf.devices[0]))
	f.Add(mustSign(f, small2, admin))
	f.Add([]byte(small2.Text()))
	f.Add(signText(f, rosterText2("o", "1", rf.reviewer2(0, keys.Classic, "-", "a")), admin))
	f.Add(signText(f, rosterText2("o", "1", rf.reviewer2(0, keys.Classic, rf.signer(f, keys.Classic, 1).String(), "a")), admin))
	if b, err := os.ReadFile(filepath.Join(v2Dir, "roster.txt")); err == nil {
		f.Add(b)
	}
	f.Add(signText(f, rosterText("o", "0"), admin))
	f.Add([]byte{})
}

// checkVerified checks what VerifyRoster returns for signed.
func checkVerified(t *testing.T, signed []byte, admin *keys.SigningKey, pin keys.Verifier) {
	r, err := keys.VerifyRoster(signed, pin, nil)
	if err != nil {
		if r != nil {
			t.Fatalf("VerifyRoster returned a roster and an error: %v", err)
		}
		if !errors.Is(err, keys.ErrRoster) {
			t.Fatalf("VerifyRoster error %q does not match ErrRoster", err)
		}
		return
	}
	n, err := note.Open(signed, note.VerifierList(pin.Note()))
	if err != nil {
		t.Fatalf("VerifyRoster accepted a note that note.Open rejects: %v", err)
	}
	if r.Text() != n.Text {
		t.Fatalf("Text() = %q, signed text = %q", r.Text(), n.Text)
	}
	resigned, err := r.Sign(admin)
	if err != nil {
		t.Fatalf("a verified roster does not sign again: %v", err)
	}
	r2, err := keys.VerifyRoster(resigned, pin, nil)
	if err != nil {
		t.Fatalf("a re-signed verified roster does not verify: %v", err)
	}
	if !reflect.DeepEqual(viewOf(r2), viewOf(r)) || r2.Text() != r.Text() {
		t.Fatalf("re-signed roster differs:\n%+v\nwant\n%+v", viewOf(r2), viewOf(r))
	}
	if _, err := keys.VerifyRoster(signed, pin, r); !errors.Is(err, keys.ErrRosterRollback) {
		t.Fatalf("a roster pinned against itself: error = %v, want %v", err, keys.ErrRosterRollback)
	}
	u, err := keys.ReadUnverifiedRoster(signed)
	if err != nil || !reflect.DeepEqual(viewOf(u), viewOf(r)) {
		t.Fatalf("ReadUnverifiedRoster disagrees with VerifyRoster: %v", err)
	}
}

func FuzzVerifyRoster(f *testing.F) {
	admin, pin := fuzzAdmin(f)
	addRosterSeeds(f, admin)
	f.Fuzz(func(t *testing.T, signed []byte) {
		checkVerified(t, signed, admin, pin)

		// Mutations of the text almost never carry a valid signature. Sign
		// the text part again so that they reach the roster parser too.
		text := signed
		if i := bytes.LastIndex(signed, []byte("\n\n")); i >= 0 {
			text = signed[:i+1]
		}
		if len(text) == 0 || text[len(text)-1] != '\n' {
			return
		}
		resigned, err := note.Sign(&note.Note{Text: string(text)}, admin)
		if err != nil {
			t.Fatalf("note.Sign: %v", err)
		}
		checkVerified(t, resigned, admin, pin)
	})
}

func FuzzReadUnverifiedRoster(f *testing.F) {
	admin, pin := fuzzAdmin(f)
	addRosterSeeds(f, admin)
	f.Fuzz(func(t *testing.T, signed []byte) {
		r, err := keys.ReadUnverifiedRoster(signed)
		if err != nil {
			if r != nil {
				t.Fatalf("ReadUnverifiedRoster returned a roster and an error: %v", err)
			}
			if !errors.Is(err, keys.ErrRoster) {
				t.Fatalf("ReadUnverifiedRoster error %q does not match ErrRoster", err)
			}
			return
		}
		r2, err := keys.ReadUnverifiedRoster([]byte(r.Text()))
		if err != nil {
			t.Fatalf("Text() of a parsed roster does not parse: %v\n%q", err, r.Text())
		}
		if !reflect.DeepEqual(viewOf(r2), viewOf(r)) || r2.Text() != r.Text() {
			t.Fatalf("Text() round trip differs:\n%+v\nwant\n%+v", viewOf(r2), viewOf(r))
		}
		// Whatever parses follows the rules, so the admin can sign it and
		// a client will accept it.
		resigned, err := r.Sign(admin)
		if err != nil {
			t.Fatalf("a parsed roster does not sign: %v", err)
		}
		r3, err := keys.VerifyRoster(resigned, pin, nil)
		if err != nil {
			t.Fatalf("a parsed roster, signed, does not verify: %v\n%q", err, r.Text())
		}
		if !reflect.DeepEqual(viewOf(r3), viewOf(r)) {
			t.Fatalf("signed roster differs:\n%+v\nwant\n%+v", viewOf(r3), viewOf(r))
		}
	})
}

// FuzzCheckFingerprint: what an admin types for a device key's fingerprint
// is accepted only when, without case, spaces and dashes, it is the key's
// own fingerprint; a refusal never shows the fingerprint it expected.
func FuzzCheckFingerprint(f *testing.F) {
	k, err := keys.GenerateSigningKey("laptop-1")
	if err != nil {
		f.Fatal(err)
	}
	v, err := keys.ParseVerifier(k.Verifier())
	if err != nil {
		f.Fatal(err)
	}
	fp := v.Fingerprint()
	canon := strings.ReplaceAll(fp, "-", "")
	f.Add(fp)
	f.Add(strings.ToLower(fp))
	f.Add(strings.ReplaceAll(fp, "-", " "))
	f.Add("AAAA-BBBB-CCCC-DDDD-EEEE")
	f.Add("")
	f.Add(fp + "A")
	f.Fuzz(func(t *testing.T, typed string) {
		err := v.CheckFingerprint(typed)
		norm := strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r - 'a' + 'A' // ASCII only: no other letter may pass for one
			}
			return r
		}, strings.NewReplacer("-", "", " ", "", "\t", "").Replace(typed))
		if (err == nil) != (norm == canon) {
			t.Fatalf("CheckFingerprint(%q) = %v", typed, err)
		}
		echoed := strings.Contains(strings.ToUpper(typed), canon[:4])
		if err != nil && !echoed && strings.Contains(err.Error(), canon[:8]) {
			t.Fatalf("the refusal of %q shows the expected fingerprint: %v", typed, err)
		}
	})
}
