package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFile(t *testing.T) {
	dir := t.TempDir()
	pass, _ := NewPassphrase("correct horse battery")
	path := filepath.Join(dir, "token.age")
	if err := WriteSecretFile(path, "tmy_0123456789abcdef_secret", pass); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "secret") {
		t.Fatal("the secret is in the file in the clear")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	s, err := LoadSecretFile(path, Unlock{Passphrase: func(string) (Passphrase, error) { return pass, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if s.Reveal() != "tmy_0123456789abcdef_secret" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
	if out := fmt.Sprintf("%v %s %+v %#v %q", s, s, s, s, s); strings.Contains(out, "secret_") || strings.Contains(out, "tmy_") {
		t.Errorf("a Secret printed its text: %s", out)
	}
	wrong, _ := NewPassphrase("wrong horse battery")
	if _, err := LoadSecretFile(path, Unlock{Passphrase: func(string) (Passphrase, error) { return wrong, nil }}); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
	if err := WriteSecretFile(path, "again", pass); err == nil {
		t.Error("WriteSecretFile overwrote an existing file")
	}
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte(secretFileHeader+"x\n"), 0o600)
	if _, err := LoadSecretFile(plain, Unlock{Passphrase: func(string) (Passphrase, error) { return pass, nil }}); err == nil {
		t.Error("a file without a passphrase was accepted")
	}
	for _, bad := range []string{"", "two\nlines", "tab\there"} {
		if err := WriteSecretFile(filepath.Join(dir, "bad"), bad, pass); err == nil {
			t.Errorf("WriteSecretFile(%q) accepted", bad)
		}
	}
}
