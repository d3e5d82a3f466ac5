package keys_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"testimony/keys"
)

// testPassphrase is the passphrase of protected test key files.
const testPassphrase = "correct horse battery staple"

func mustPassphrase(t testing.TB, s string) keys.Passphrase {
	t.Helper()
	p, err := keys.NewPassphrase(s)
	if err != nil {
		t.Fatalf("NewPassphrase(%q): %v", s, err)
	}
	return p
}

// unlockWith returns an Unlock that answers every passphrase question with s
// and counts the questions in *asked (if asked is not nil).
func unlockWith(t testing.TB, s string, asked *int) keys.Unlock {
	return keys.Unlock{
		Passphrase: func(string) (keys.Passphrase, error) {
			if asked != nil {
				*asked++
			}
			return keys.ExistingPassphrase(s)
		},
		Warn: func(msg string) { t.Errorf("unexpected warning: %s", msg) },
	}
}

func mustIdentity(t testing.TB, kind keys.Kind) *keys.Identity {
	t.Helper()
	id, err := keys.GenerateIdentity(kind)
	if err != nil {
		t.Fatalf("GenerateIdentity(%v): %v", kind, err)
	}
	return id
}

func mustSigningKey(t testing.TB, name string) *keys.SigningKey {
	t.Helper()
	k, err := keys.GenerateSigningKey(name)
	if err != nil {
		t.Fatalf("GenerateSigningKey(%q): %v", name, err)
	}
	return k
}

func mustVerifier(t testing.TB, k *keys.SigningKey) keys.Verifier {
	t.Helper()
	v, err := keys.ParseVerifier(k.Verifier())
	if err != nil {
		t.Fatalf("ParseVerifier(%q): %v", k.Verifier(), err)
	}
	return v
}

// secretLine returns the only line of the plain key file at path that starts
// with prefix: the secret key itself.
func secretLine(t testing.TB, path, prefix string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(line, prefix) {
			found = append(found, strings.TrimSpace(line))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: want one %s… line, found %d in:\n%s", path, prefix, len(found), data)
	}
	return found[0]
}

// identitySecret writes id to a plain file and returns its secret key line.
func identitySecret(t testing.TB, id *keys.Identity) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "id.txt")
	if err := keys.WriteIdentityFile(path, id, nil); err != nil {
		t.Fatal(err)
	}
	return secretLine(t, path, "AGE-SECRET-KEY-")
}

// signingSecret writes k to a plain file and returns its secret key line.
func signingSecret(t testing.TB, k *keys.SigningKey) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signing.key")
	if err := keys.WriteSigningKeyFile(path, k, nil); err != nil {
		t.Fatal(err)
	}
	return secretLine(t, path, "PRIVATE+KEY+")
}

// checkDecrypts encrypts a message to want with age directly and checks that
// id decrypts it.
func checkDecrypts(t testing.TB, id age.Identity, want age.Recipient) {
	t.Helper()
	const msg = "testimony round trip"
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(&buf, id)
	if err != nil {
		t.Fatalf("failed to decrypt with the loaded identity: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("failed to read decrypted payload: %v", err)
	}
	if string(got) != msg {
		t.Fatalf("decrypted %q, want %q", got, msg)
	}
}

// wantErr fails unless err matches target.
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// writeScryptArmored writes plain encrypted to passphrase and armored, the
// way `age -p -a` does, and returns the path of the file.
func writeScryptArmored(t testing.TB, passphrase, plain string) string {
	t.Helper()
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(keys.ScryptWorkFactor)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.age")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
