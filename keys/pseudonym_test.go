package keys_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"testimony/keys"
)

// TestPseudonymKeyFile: a pseudonym key survives its file, with and without
// a passphrase; the MAC is HMAC-SHA256 and depends on the key; the key never
// prints; other key files are refused with a clear message.
func TestPseudonymKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, err := keys.GeneratePseudonymKey()
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := keys.NewPassphrase("correct horse battery staple")
	for _, c := range []struct {
		name string
		pass *keys.Passphrase
	}{{"plain", nil}, {"protected", &pass}} {
		path := filepath.Join(dir, c.name+".key")
		if err := keys.WritePseudonymKeyFile(path, k, c.pass); err != nil {
			t.Fatal(err)
		}
		got, err := keys.LoadPseudonymKey(path, keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return pass, nil }})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got.MAC([]byte("김석한")) != k.MAC([]byte("김석한")) {
			t.Errorf("%s: the loaded key gives another MAC", c.name)
		}
		if err := keys.WritePseudonymKeyFile(path, k, c.pass); err == nil {
			t.Errorf("%s: an existing key file was overwritten", c.name)
		}
	}
	other, _ := keys.GeneratePseudonymKey()
	if other.MAC([]byte("x")) == k.MAC([]byte("x")) {
		t.Error("two keys give the same MAC")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		if s := fmt.Sprintf(verb, struct{ K *keys.PseudonymKey }{k}); strings.Contains(s, "TESTIMONY") || (!strings.Contains(s, "redacted") && !strings.Contains(s, "0x")) {
			t.Errorf("%s prints %q", verb, s)
		}
	}
	sk, _ := keys.GenerateSigningKey("laptop-1")
	sp := filepath.Join(dir, "signing.key")
	keys.WriteSigningKeyFile(sp, sk, nil)
	if _, err := keys.LoadPseudonymKey(sp, keys.Unlock{}); err == nil || !strings.Contains(err.Error(), "keygen --pseudonym") {
		t.Errorf("a signing key loaded as a pseudonym key: %v", err)
	}
}
