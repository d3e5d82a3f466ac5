package keys_test

import (
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/keys"
)

// fixedVerifier returns the verifier named name of the ed25519 public key
// 01 02 … 20 (hex).
func fixedVerifier(t *testing.T, name string) keys.Verifier {
	t.Helper()
	pub := make(ed25519.PublicKey, ed25519.PublicKeySize)
	for i := range pub {
		pub[i] = byte(i + 1)
	}
	s, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keys.ParseVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFingerprintVector freezes the fingerprint format: base32 of SHA-256
// of 0x01 ‖ public key, first 20 characters in groups of four. The vector
// was computed with Python's hashlib and base64, not with this package.
func TestFingerprintVector(t *testing.T) {
	const want = "GX7H-63SJ-TF7G-P4P4-WPAK"
	for _, name := range []string{"laptop-1", "another-name"} {
		if got := fixedVerifier(t, name).Fingerprint(); got != want {
			t.Errorf("Fingerprint of %s = %s; want %s (the name is not part of it)", name, got, want)
		}
	}
}

// TestFingerprintStockTools computes the fingerprint of a new key with the
// shell pipeline the package documentation gives, so that an admin can
// check one without testimony.
func TestFingerprintStockTools(t *testing.T) {
	for _, tool := range []string{"sh", "cut", "base64", "sha256sum", "tr", "basenc", "base32"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	k, err := keys.GenerateSigningKey("laptop-1")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := keys.ParseVerifier(k.Verifier())
	pub := filepath.Join(t.TempDir(), "laptop-1.pub")
	if err := os.WriteFile(pub, []byte(k.Verifier()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", "cut -d+ -f3- "+pub+" | base64 -d | sha256sum | cut -c1-26 | tr a-f A-F | basenc --base16 -d | base32 | cut -c1-20").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), strings.ReplaceAll(v.Fingerprint(), "-", ""); got != want {
		t.Errorf("stock tools say %s; Fingerprint says %s", got, want)
	}
}

func TestSameKey(t *testing.T) {
	a, b := fixedVerifier(t, "laptop-1"), fixedVerifier(t, "renamed")
	k, err := keys.GenerateSigningKey("laptop-1")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := keys.ParseVerifier(k.Verifier())
	switch {
	case !a.SameKey(b):
		t.Error("SameKey of one key under two names = false")
	case a.SameKey(other):
		t.Error("SameKey of two keys with one name = true")
	case a.SameKey(keys.Verifier{}), (keys.Verifier{}).SameKey(keys.Verifier{}):
		t.Error("SameKey with a zero Verifier = true")
	}
	if a.Fingerprint() == other.Fingerprint() {
		t.Error("two keys have one fingerprint")
	}
}

func TestCheckFingerprint(t *testing.T) {
	v := fixedVerifier(t, "laptop-1")
	for _, ok := range []string{"GX7H-63SJ-TF7G-P4P4-WPAK", "gx7h 63sj tf7g p4p4 wpak", "GX7H63SJTF7GP4P4WPAK", " GX7H-63SJ-TF7G-P4P4-WPAK\t"} {
		if err := v.CheckFingerprint(ok); err != nil {
			t.Errorf("CheckFingerprint(%q): %v", ok, err)
		}
	}
	for _, tc := range []struct {
		typed    string
		mismatch bool // else malformed
	}{
		{"GX7H-63SJ-TF7G-P4P4-WPAL", true}, // one character off
		{"AAAA-AAAA-AAAA-AAAA-AAAA", true},
		{"GX7H-63SJ-TF7G-P4P4", false},       // too short
		{"GX7H-63SJ-TF7G-P4P4-WPAKX", false}, // too long
		{"GX7H-63SJ-TF7G-P4P4-WPA1", false},  // 1 is not base32
		{"", false},
	} {
		err := v.CheckFingerprint(tc.typed)
		if err == nil {
			t.Errorf("CheckFingerprint(%q) = nil; want an error", tc.typed)
			continue
		}
		if errors.Is(err, keys.ErrFingerprint) != tc.mismatch {
			t.Errorf("CheckFingerprint(%q) = %v; want mismatch %v", tc.typed, err, tc.mismatch)
		}
		// A wrong fingerprint is never answered with the right one.
		if tc.mismatch && strings.Contains(strings.ReplaceAll(err.Error(), "-", ""), "GX7H63SJTF7GP4P4WPAK") {
			t.Errorf("CheckFingerprint(%q) = %v: it shows the key's fingerprint", tc.typed, err)
		}
	}
}
