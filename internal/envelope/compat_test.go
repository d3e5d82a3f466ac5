package envelope

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"testimony/keys"
)

const v1Dir = "../../testdata/v1"

// v1IDs are the submission IDs the frozen version 1 files were sealed under.
var v1IDs = map[string]string{"hybrid": "b1fb5a75de82d61e528f78bcd5f4d047", "classic": "e82db0208e16e77b2d0eeb22561184aa"}

// TestCompatV1 opens files sealed by an earlier version of this code (the
// code that wrote them is gone: Seal writes version 2, whose frozen files
// internal/intake's TestCompatV2 checks). They must open forever: if this
// test fails, the change broke the format. A version 1 file is bound to its
// submission ID too: filed under another, it is refused.
func TestCompatV1(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(v1Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin, err := keys.ParseVerifier(string(bytes.TrimSpace(read("admin.pub"))))
	if err != nil {
		t.Fatal(err)
	}
	pass := func(string) (keys.Passphrase, error) {
		return keys.ExistingPassphrase(string(bytes.TrimSpace(read("passphrase.txt"))))
	}
	for _, org := range []string{"hybrid", "classic"} {
		roster, err := keys.VerifyRoster(read(org+"-roster.txt"), admin, nil)
		if err != nil {
			t.Fatalf("%s roster: %v", org, err)
		}
		sealed := read(org + ".age")
		for _, key := range []string{org + "-reviewer-1.key", org + "-reviewer-2.key"} {
			id, err := keys.LoadIdentity(filepath.Join(v1Dir, key), keys.Unlock{Passphrase: pass})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			m, op, err := openAs(sealed, id, roster, v1IDs[org])
			if err != nil {
				t.Fatalf("%s with %s: %v", org, key, err)
			}
			if op.Manifest.Format != FormatV1 || op.Manifest.Reid != "" {
				t.Errorf("%s: format %q, reid %q", org, op.Manifest.Format, op.Manifest.Reid)
			}
			if _, _, err := openAs(sealed, id, roster, testID); !errors.Is(err, ErrWrongID) {
				t.Errorf("%s filed under another ID: got %v, want ErrWrongID", org, err)
			}
			if op.Manifest.Day != "2026-03-14" || op.Manifest.Device != "laptop-1" || op.Manifest.RosterVersion != 4 {
				t.Errorf("%s: manifest %+v", org, op.Manifest)
			}
			for _, name := range []string{"note.md", "answers.json", "attachments/01.jpg"} {
				if !bytes.Equal(m.Entries[name], read("expected/"+name)) {
					t.Errorf("%s with %s: %s differs from expected/%s", org, key, name, name)
				}
			}
		}
	}
}
