package keys_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"testimony/internal/durable"
	"testimony/keys"
)

func TestIdentityFileRoundTrip(t *testing.T) {
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		for _, protected := range []bool{false, true} {
			name := kind.StanzaType()
			if protected {
				name += "/protected"
			} else {
				name += "/plain"
			}
			t.Run(name, func(t *testing.T) {
				id := mustIdentity(t, kind)
				if got := id.Recipient().Kind(); got != kind {
					t.Fatalf("generated recipient kind = %v, want %v", got, kind)
				}
				var pass *keys.Passphrase
				if protected {
					p := mustPassphrase(t, testPassphrase)
					pass = &p
				}
				path := filepath.Join(t.TempDir(), "id.age")
				if err := keys.WriteIdentityFile(path, id, pass); err != nil {
					t.Fatalf("WriteIdentityFile: %v", err)
				}

				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("identity file mode = %04o, want 0600", perm)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := bytes.Contains(data, []byte("AGE-SECRET-KEY-")); got == protected {
					t.Errorf("secret key in the file in the clear = %v, want %v", got, !protected)
				}
				if protected && !bytes.HasPrefix(data, []byte(armor.Header)) {
					t.Errorf("protected identity file is not armored:\n%s", data)
				}

				asked := 0
				loaded, err := keys.LoadIdentity(path, unlockWith(t, testPassphrase, &asked))
				if err != nil {
					t.Fatalf("LoadIdentity: %v", err)
				}
				wantAsked := 0
				if protected {
					wantAsked = 1
				}
				if asked != wantAsked {
					t.Errorf("passphrase asked %d times, want %d", asked, wantAsked)
				}
				if got, want := loaded.Recipient().String(), id.Recipient().String(); got != want {
					t.Fatalf("loaded recipient = %s, want %s", got, want)
				}
				if got := loaded.Recipient().Kind(); got != kind {
					t.Errorf("loaded kind = %v, want %v", got, kind)
				}
				checkDecrypts(t, loaded, id.Recipient().Age())
			})
		}
	}
}

// TestProtectedIdentityStockAge opens a protected identity file the way
// `age -d -i FILE` does: dearmor, decrypt with the passphrase, parse the
// identities.
func TestProtectedIdentityStockAge(t *testing.T) {
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		t.Run(kind.StanzaType(), func(t *testing.T) {
			id := mustIdentity(t, kind)
			pass := mustPassphrase(t, testPassphrase)
			path := filepath.Join(t.TempDir(), "id.age")
			if err := keys.WriteIdentityFile(path, id, &pass); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()

			sid, err := age.NewScryptIdentity(testPassphrase)
			if err != nil {
				t.Fatal(err)
			}
			r, err := age.Decrypt(armor.NewReader(f), sid)
			if err != nil {
				t.Fatalf("stock age cannot decrypt the identity file: %v", err)
			}
			ids, err := age.ParseIdentities(r)
			if err != nil {
				t.Fatalf("stock age cannot parse the decrypted identity file: %v", err)
			}
			if len(ids) != 1 {
				t.Fatalf("stock age found %d identities, want 1", len(ids))
			}
			checkDecrypts(t, ids[0], id.Recipient().Age())
		})
	}
}

func TestPlainIdentityStockAge(t *testing.T) {
	id := mustIdentity(t, keys.Hybrid)
	path := filepath.Join(t.TempDir(), "id.txt")
	if err := keys.WriteIdentityFile(path, id, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		t.Fatalf("stock age cannot parse the plain identity file: %v", err)
	}
	if len(ids) != 1 {
		t.Fatalf("stock age found %d identities, want 1", len(ids))
	}
	checkDecrypts(t, ids[0], id.Recipient().Age())
}

func TestKeyFileNeverOverwritten(t *testing.T) {
	pass := mustPassphrase(t, testPassphrase)
	for _, tc := range []struct {
		name  string
		write func(path string) error
	}{
		{"identity", func(path string) error { return keys.WriteIdentityFile(path, mustIdentity(t, keys.Classic), nil) }},
		{"identity/protected", func(path string) error {
			return keys.WriteIdentityFile(path, mustIdentity(t, keys.Hybrid), &pass)
		}},
		{"signing", func(path string) error { return keys.WriteSigningKeyFile(path, mustSigningKey(t, "dev"), nil) }},
		{"signing/protected", func(path string) error {
			return keys.WriteSigningKeyFile(path, mustSigningKey(t, "dev"), &pass)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "key")
			const original = "precious existing content\n"
			if err := os.WriteFile(path, []byte(original), 0o600); err != nil {
				t.Fatal(err)
			}
			err := tc.write(path)
			if !errors.Is(err, durable.ErrExists) {
				t.Fatalf("writing over an existing file: error = %v, want %v", err, durable.ErrExists)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != original {
				t.Fatalf("existing file was changed to:\n%s", got)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("directory holds %v, want only the original file", names)
			}
		})
	}
}

func TestSecondWriteToSamePathFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.txt")
	first := mustIdentity(t, keys.Classic)
	if err := keys.WriteIdentityFile(path, first, nil); err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteIdentityFile(path, mustIdentity(t, keys.Classic), nil); err == nil {
		t.Fatal("second WriteIdentityFile to the same path succeeded")
	}
	loaded, err := keys.LoadIdentity(path, keys.Unlock{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Recipient().String() != first.Recipient().String() {
		t.Fatal("the first identity was replaced by the second")
	}
}

func TestLoadIdentityWrongPassphrase(t *testing.T) {
	id := mustIdentity(t, keys.Hybrid)
	pass := mustPassphrase(t, testPassphrase)
	path := filepath.Join(t.TempDir(), "id.age")
	if err := keys.WriteIdentityFile(path, id, &pass); err != nil {
		t.Fatal(err)
	}
	_, err := keys.LoadIdentity(path, unlockWith(t, "incorrect horse battery staple", nil))
	wantErr(t, err, keys.ErrWrongPassphrase)
	if strings.Contains(err.Error(), "incorrect horse") {
		t.Errorf("error echoes the passphrase: %v", err)
	}

	k := mustSigningKey(t, "admin")
	spath := filepath.Join(t.TempDir(), "admin.key")
	if err := keys.WriteSigningKeyFile(spath, k, &pass); err != nil {
		t.Fatal(err)
	}
	_, err = keys.LoadSigningKey(spath, unlockWith(t, "incorrect horse battery staple", nil))
	wantErr(t, err, keys.ErrWrongPassphrase)
}

func TestLoadProtectedWithoutPassphraseFunc(t *testing.T) {
	pass := mustPassphrase(t, testPassphrase)
	dir := t.TempDir()
	idPath := filepath.Join(dir, "id.age")
	if err := keys.WriteIdentityFile(idPath, mustIdentity(t, keys.Hybrid), &pass); err != nil {
		t.Fatal(err)
	}
	_, err := keys.LoadIdentity(idPath, keys.Unlock{})
	wantErr(t, err, keys.ErrPassphraseRequired)

	skPath := filepath.Join(dir, "admin.key")
	if err := keys.WriteSigningKeyFile(skPath, mustSigningKey(t, "admin"), &pass); err != nil {
		t.Fatal(err)
	}
	_, err = keys.LoadSigningKey(skPath, keys.Unlock{})
	wantErr(t, err, keys.ErrPassphraseRequired)
}

func TestLoadPassphraseFuncError(t *testing.T) {
	pass := mustPassphrase(t, testPassphrase)
	path := filepath.Join(t.TempDir(), "id.age")
	if err := keys.WriteIdentityFile(path, mustIdentity(t, keys.Classic), &pass); err != nil {
		t.Fatal(err)
	}
	errCancelled := errors.New("cancelled at the prompt")
	_, err := keys.LoadIdentity(path, keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) {
		return keys.Passphrase{}, errCancelled
	}})
	wantErr(t, err, errCancelled)

	// A zero Passphrase (a buggy PassphraseFunc) must fail, not unlock.
	_, err = keys.LoadIdentity(path, keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) {
		return keys.Passphrase{}, nil
	}})
	if err == nil {
		t.Fatal("a zero Passphrase unlocked the file")
	}
}

func TestKeyFileKindMismatch(t *testing.T) {
	dir := t.TempDir()
	idPath := filepath.Join(dir, "id.txt")
	if err := keys.WriteIdentityFile(idPath, mustIdentity(t, keys.Hybrid), nil); err != nil {
		t.Fatal(err)
	}
	skPath := filepath.Join(dir, "admin.key")
	if err := keys.WriteSigningKeyFile(skPath, mustSigningKey(t, "admin"), nil); err != nil {
		t.Fatal(err)
	}
	pass := mustPassphrase(t, testPassphrase)
	idProt := filepath.Join(dir, "id.age")
	if err := keys.WriteIdentityFile(idProt, mustIdentity(t, keys.Classic), &pass); err != nil {
		t.Fatal(err)
	}
	skProt := filepath.Join(dir, "admin.key.age")
	if err := keys.WriteSigningKeyFile(skProt, mustSigningKey(t, "admin"), &pass); err != nil {
		t.Fatal(err)
	}
	u := unlockWith(t, testPassphrase, nil)

	for _, path := range []string{skPath, skProt} {
		_, err := keys.LoadIdentity(path, u)
		if err == nil || !strings.Contains(err.Error(), "is a signing key, not an age identity") {
			t.Errorf("LoadIdentity(signing key file %s): error = %v, want it to say it is a signing key", filepath.Base(path), err)
		}
		if err != nil && strings.Contains(err.Error(), "PRIVATE+KEY") {
			t.Errorf("error echoes the signing key: %v", err)
		}
	}
	for _, path := range []string{idPath, idProt} {
		_, err := keys.LoadSigningKey(path, u)
		if err == nil || !strings.Contains(err.Error(), "is an age identity, not a signing key") {
			t.Errorf("LoadSigningKey(identity file %s): error = %v, want it to say it is an age identity", filepath.Base(path), err)
		}
		if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("error echoes the identity: %v", err)
		}
	}
}

func TestWorldReadableKeyFileWarns(t *testing.T) {
	pass := mustPassphrase(t, testPassphrase)
	for _, tc := range []struct {
		name  string
		write func(path string) error
		load  func(path string, u keys.Unlock) error
	}{
		{"identity", func(p string) error { return keys.WriteIdentityFile(p, mustIdentity(t, keys.Hybrid), nil) },
			func(p string, u keys.Unlock) error { _, err := keys.LoadIdentity(p, u); return err }},
		{"identity/protected", func(p string) error { return keys.WriteIdentityFile(p, mustIdentity(t, keys.Hybrid), &pass) },
			func(p string, u keys.Unlock) error { _, err := keys.LoadIdentity(p, u); return err }},
		{"signing", func(p string) error { return keys.WriteSigningKeyFile(p, mustSigningKey(t, "dev"), nil) },
			func(p string, u keys.Unlock) error { _, err := keys.LoadSigningKey(p, u); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := tc.write(path); err != nil {
				t.Fatal(err)
			}
			var warnings []string
			u := keys.Unlock{
				Passphrase: func(string) (keys.Passphrase, error) { return keys.ExistingPassphrase(testPassphrase) },
				Warn:       func(msg string) { warnings = append(warnings, msg) },
			}
			// Mode 0600 (as written): no warning.
			if err := tc.load(path, u); err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Fatalf("warnings for a 0600 file: %q", warnings)
			}
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tc.load(path, u); err != nil {
				t.Fatalf("a world-readable key file must still load (with a warning): %v", err)
			}
			if len(warnings) != 1 {
				t.Fatalf("got %d warnings, want 1: %q", len(warnings), warnings)
			}
			if !strings.Contains(warnings[0], "chmod 600") || !strings.Contains(warnings[0], path) {
				t.Errorf("warning %q does not say to run chmod 600 on %s", warnings[0], path)
			}
			// A nil Warn discards the warning without panicking.
			u.Warn = nil
			if err := tc.load(path, u); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLoadBadKeyFiles(t *testing.T) {
	random := make([]byte, 4096)
	rand.Read(random)

	// An age file encrypted to a recipient, not to a passphrase.
	var toRecipient bytes.Buffer
	aw := armor.NewWriter(&toRecipient)
	w, err := age.Encrypt(aw, mustIdentity(t, keys.Classic).Recipient().Age())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "AGE-SECRET-KEY-1XXXX\n")
	w.Close()
	aw.Close()

	// A protected file with two identities inside.
	two := identitySecret(t, mustIdentity(t, keys.Classic)) + "\n" + identitySecret(t, mustIdentity(t, keys.Classic)) + "\n"

	// A valid identity with one character of its secret changed.
	corrupt := []byte(identitySecret(t, mustIdentity(t, keys.Classic)))
	corrupt[len(corrupt)-3] ^= 1

	for _, tc := range []struct {
		name string
		data []byte
		want string // part of the error message; "" for any error
	}{
		{"empty", nil, "found 0 key lines"},
		{"only whitespace", []byte("\n \n\t\n"), "found 0 key lines"},
		{"only comments", []byte("# public key: age1xyz\n"), "found 0 key lines"},
		{"random bytes", random, ""},
		{"nul bytes", make([]byte, 100), ""},
		{"text", []byte("hello, world\n"), "not a testimony identity file"},
		{"public key", []byte(mustIdentity(t, keys.Classic).Recipient().String() + "\n"), "not a testimony identity file"},
		{"two identities", []byte(two), "found 2 key lines"},
		{"corrupt secret", append(corrupt, '\n'), "not a testimony identity file"},
		{"ssh key", []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), ""},
		{"age header only", []byte("age-encryption.org/v1\n"), "failed to decrypt key file"},
		{"armor header only", []byte(armor.Header + "\n"), "failed to decrypt key file"},
		{"armor garbage", []byte(armor.Header + "\nnot base64!\n" + armor.Footer + "\n"), "failed to decrypt key file"},
		{"encrypted to a recipient", toRecipient.Bytes(), "not to a passphrase"},
		{"too large", bytes.Repeat([]byte("# comment\n"), 7000), "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			u := unlockWith(t, testPassphrase, nil)
			_, err := keys.LoadIdentity(path, u)
			if err == nil {
				t.Fatal("LoadIdentity succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadIdentity error = %q, want it to contain %q", err, tc.want)
			}
			for line := range strings.Lines(string(tc.data)) {
				if line = strings.TrimSpace(line); len(line) >= 16 && strings.Contains(err.Error(), line) {
					t.Errorf("LoadIdentity error echoes the file content %q: %v", line, err)
				}
			}
			if _, err := keys.LoadSigningKey(path, u); err == nil {
				t.Fatal("LoadSigningKey succeeded")
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := keys.LoadIdentity(path, keys.Unlock{})
	wantErr(t, err, os.ErrNotExist)
	_, err = keys.LoadSigningKey(path, keys.Unlock{})
	wantErr(t, err, os.ErrNotExist)
}

// TestLoadStockAgeIdentityFile loads identity files as age-keygen writes them,
// with comments and without the testimony header.
func TestLoadStockAgeIdentityFile(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	h, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		secret, recipient string
		kind              keys.Kind
	}{
		{x.String(), x.Recipient().String(), keys.Classic},
		{h.String(), h.Recipient().String(), keys.Hybrid},
	} {
		path := filepath.Join(t.TempDir(), "key.txt")
		data := "# created: 2025-01-01T00:00:00Z\n# public key: " + tc.recipient + "\n" + tc.secret + "\n"
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		id, err := keys.LoadIdentity(path, keys.Unlock{})
		if err != nil {
			t.Fatalf("LoadIdentity(age-keygen file): %v", err)
		}
		if id.Recipient().String() != tc.recipient || id.Recipient().Kind() != tc.kind {
			t.Errorf("loaded %v %s, want %v %s", id.Recipient().Kind(), id.Recipient(), tc.kind, tc.recipient)
		}
	}
}

func TestGenerateIdentityUnknownKind(t *testing.T) {
	for _, kind := range []keys.Kind{0, 3, -1} {
		if id, err := keys.GenerateIdentity(kind); err == nil {
			t.Errorf("GenerateIdentity(%d) = %v, want an error", kind, id.Recipient())
		}
	}
}

func TestParseRecipient(t *testing.T) {
	h := mustIdentity(t, keys.Hybrid).Recipient().String()
	c := mustIdentity(t, keys.Classic).Recipient().String()
	for _, tc := range []struct {
		in   string
		kind keys.Kind // 0: must fail
		msg  string
	}{
		{h, keys.Hybrid, ""},
		{c, keys.Classic, ""},
		{"", 0, "not an age recipient"},
		{strings.ToUpper(c), 0, "not an age recipient"},
		{c[:len(c)-1], 0, "invalid X25519 recipient"},
		{h[:len(h)-1], 0, "invalid post-quantum recipient"},
		{" " + c, 0, "not an age recipient"},
		{identitySecret(t, mustIdentity(t, keys.Classic)), 0, "this is a secret key"},
		{identitySecret(t, mustIdentity(t, keys.Hybrid)), 0, "this is a secret key"},
		{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN", 0, "not an age recipient"},
		{"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t", 0, "invalid X25519 recipient"},
	} {
		r, err := keys.ParseRecipient(tc.in)
		if tc.kind == 0 {
			if err == nil {
				t.Errorf("ParseRecipient(%.20q…) succeeded, want an error", tc.in)
			} else if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("ParseRecipient(%.20q…) error = %q, want it to contain %q", tc.in, err, tc.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRecipient(%.20q…): %v", tc.in, err)
			continue
		}
		if r.Kind() != tc.kind || r.String() != tc.in || r.Age() == nil {
			t.Errorf("ParseRecipient(%.20q…) = %v %.20q, want %v", tc.in, r.Kind(), r, tc.kind)
		}
		if len(r.Fingerprint()) != 64 || r.Fingerprint() != keys.Fingerprint(tc.in) {
			t.Errorf("Fingerprint = %q", r.Fingerprint())
		}
	}
	if keys.Hybrid.StanzaType() != "mlkem768x25519" || keys.Classic.StanzaType() != "X25519" || keys.Kind(0).StanzaType() != "" {
		t.Error("wrong stanza types")
	}
}
