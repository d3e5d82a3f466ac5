package keys_test

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

func TestSigningKeyVerifier(t *testing.T) {
	k := mustSigningKey(t, "admin.example-ngo")
	if k.Name() != "admin.example-ngo" {
		t.Errorf("Name() = %q", k.Name())
	}
	v, err := keys.ParseVerifier(k.Verifier())
	if err != nil {
		t.Fatalf("ParseVerifier(Verifier()): %v", err)
	}
	if v.String() != k.Verifier() {
		t.Errorf("ParseVerifier(%q).String() = %q", k.Verifier(), v.String())
	}
	if v.IsZero() || v.Note().Name() != k.Name() || v.Note().KeyHash() != k.KeyHash() {
		t.Errorf("verifier %s does not match the signing key %s/%08x", v, k.Name(), k.KeyHash())
	}
	// Surrounding whitespace (a pasted line) is accepted.
	if v2, err := keys.ParseVerifier("  " + k.Verifier() + "\n"); err != nil || v2.String() != k.Verifier() {
		t.Errorf("ParseVerifier with surrounding spaces = %q, %v", v2, err)
	}

	const text = "testimony signing test\n"
	signed, err := note.Sign(&note.Note{Text: text}, k)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(v.Note()))
	if err != nil {
		t.Fatalf("note.Open with the verifier: %v", err)
	}
	if n.Text != text || len(n.Sigs) != 1 || n.Sigs[0].Name != k.Name() {
		t.Fatalf("note.Open = %+v", n)
	}

	// A signature by another key of the same name must not verify.
	other := mustSigningKey(t, "admin.example-ngo")
	if other.Verifier() == k.Verifier() {
		t.Fatal("two generated keys have the same verifier")
	}
	forged, err := note.Sign(&note.Note{Text: text}, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(forged, note.VerifierList(v.Note())); err == nil {
		t.Fatal("a signature by another key verified")
	}
	// Flipping a byte of the text breaks the signature.
	tampered := []byte(string(signed))
	tampered[0] ^= 1
	if _, err := note.Open(tampered, note.VerifierList(v.Note())); err == nil {
		t.Fatal("a tampered note verified")
	}
}

func TestSigningKeyFileRoundTrip(t *testing.T) {
	for _, protected := range []bool{false, true} {
		k := mustSigningKey(t, "device-1")
		var pass *keys.Passphrase
		if protected {
			p := mustPassphrase(t, testPassphrase)
			pass = &p
		}
		path := filepath.Join(t.TempDir(), "device.key")
		if err := keys.WriteSigningKeyFile(path, k, pass); err != nil {
			t.Fatal(err)
		}
		asked := 0
		loaded, err := keys.LoadSigningKey(path, unlockWith(t, testPassphrase, &asked))
		if err != nil {
			t.Fatalf("LoadSigningKey (protected=%v): %v", protected, err)
		}
		if want := map[bool]int{false: 0, true: 1}[protected]; asked != want {
			t.Errorf("protected=%v: passphrase asked %d times, want %d", protected, asked, want)
		}
		if loaded.Verifier() != k.Verifier() || loaded.Name() != k.Name() || loaded.KeyHash() != k.KeyHash() {
			t.Fatalf("loaded key %s, want %s", loaded.Verifier(), k.Verifier())
		}
		// The loaded key signs, and its signature verifies with the
		// original verifier.
		signed, err := note.Sign(&note.Note{Text: "hello\n"}, loaded)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := note.Open(signed, note.VerifierList(mustVerifier(t, k).Note())); err != nil {
			t.Fatalf("signature by the loaded key does not verify: %v", err)
		}
	}
}

func TestParseVerifierErrors(t *testing.T) {
	var k *keys.SigningKey
	var v, name, hash, key string
	for !strings.ContainsAny(hash, "abcdef") { // the upper-case row needs a letter in the hash
		k = mustSigningKey(t, "admin")
		v = k.Verifier()
		var rest string
		name, rest, _ = strings.Cut(v, "+")
		hash, key, _ = strings.Cut(rest, "+")
	}
	secret := signingSecret(t, k)
	for _, tc := range []struct {
		name, in, msg string
	}{
		{"private key", secret, "private signing key"},
		{"private key with spaces", " " + secret + "\n", "private signing key"},
		{"empty", "", "malformed verifier key"},
		{"name only", name, "malformed verifier key"},
		{"wrong hash", name + "+00000000+" + key, "malformed verifier key"},
		{"other name", "other+" + hash + "+" + key, "malformed verifier key"},
		{"short hash", name + "+" + hash[1:] + "+" + key, "malformed verifier key"},
		{"truncated key", v[:len(v)-4], "malformed verifier key"},
		{"not base64", name + "+" + hash + "+" + key[:len(key)-1] + "!", "malformed verifier key"},
		{"age recipient", mustIdentity(t, keys.Classic).Recipient().String(), "malformed verifier key"},
		// note.NewVerifier accepts these two; one key has one spelling.
		{"upper-case hash", name + "+" + strings.ToUpper(hash) + "+" + key, "canonical form"},
		{"carriage return in the key", name + "+" + hash + "+" + key[:10] + "\r" + key[10:], "canonical form"},
		{"line break in the key", name + "+" + hash + "+" + key[:10] + "\n" + key[10:], "canonical form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.ParseVerifier(tc.in)
			if err == nil {
				t.Fatalf("ParseVerifier(%q) succeeded", tc.in)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error = %q, want it to contain %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[len(secret)-20:]) {
				t.Errorf("error echoes the private key: %q", err)
			}
		})
	}
	var zero keys.Verifier
	if !zero.IsZero() {
		t.Error("zero Verifier is not IsZero")
	}
}

func TestGenerateSigningKeyNames(t *testing.T) {
	for _, name := range []string{"", "a b", "a+b", "tab\there", "new\nline", "\xff", strings.Repeat("a", 65), "a\u00a0b"} {
		if k, err := keys.GenerateSigningKey(name); err == nil {
			t.Errorf("GenerateSigningKey(%q) = %s, want an error", name, k.Verifier())
		}
		if keys.ValidKeyName(name) {
			t.Errorf("ValidKeyName(%q) = true", name)
		}
	}
	for _, name := range []string{"a", "admin", "device-1.example_ngo", "관리자", strings.Repeat("a", 64)} {
		k, err := keys.GenerateSigningKey(name)
		if err != nil {
			t.Errorf("GenerateSigningKey(%q): %v", name, err)
			continue
		}
		if !strings.HasPrefix(k.Verifier(), name+"+") {
			t.Errorf("verifier %q does not start with %q", k.Verifier(), name+"+")
		}
	}
}
