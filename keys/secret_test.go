package keys_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"testimony/keys"
)

func TestNewPassphrase(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
		msg      string
	}{
		{"long enough", "correct horse battery", true, ""},
		{"exactly the minimum", strings.Repeat("a", keys.MinPassphraseLength), true, ""},
		{"Korean, counted in characters", "비밀번호는길어야합니다", true, ""}, // 11 characters, 33 bytes
		{"spaces inside", "a b c d e f g", true, ""},
		{"empty", "", false, "too short"},
		{"one short", strings.Repeat("a", keys.MinPassphraseLength-1), false, "too short"},
		{"short in characters, long in bytes", "비밀번호", false, "too short"}, // 4 characters, 12 bytes
		{"newline", "correct horse\nbattery", false, "control character"},
		{"trailing newline", "correct horse battery\n", false, "control character"},
		{"tab", "correct\thorse battery", false, "control character"},
		{"NUL", "correct horse\x00battery", false, "control character"},
		{"DEL", "correct horse\x7fbattery", false, "control character"},
		{"C1 control (NEL)", "correct horse\u0085battery", false, "control character"},
		{"escape sequence", "correct horse\x1b[2Jbattery", false, "control character"},
		{"invalid UTF-8", "correct horse \xff\xfe battery", false, "UTF-8"},
		{"truncated UTF-8", "correct horse battery \xed\x95", false, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := keys.NewPassphrase(tc.in)
			if tc.ok {
				if err != nil {
					t.Fatalf("NewPassphrase(%q): %v", tc.in, err)
				}
				if p.String() != "**redacted**" {
					t.Fatalf("String() = %q", p.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("NewPassphrase(%q) succeeded", tc.in)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error = %q, want it to contain %q", err, tc.msg)
			}
			if tc.in != "" && strings.Contains(err.Error(), tc.in) {
				t.Errorf("error echoes the passphrase: %q", err)
			}
		})
	}
}

// TestExistingPassphrase checks that unlocking takes whatever passphrase the
// file was protected with, even one NewPassphrase would refuse today.
func TestExistingPassphrase(t *testing.T) {
	if _, err := keys.ExistingPassphrase(""); err == nil {
		t.Error("ExistingPassphrase(\"\") succeeded")
	}
	for _, in := range []string{"a", "short", "tab\there", "\xff", " "} {
		if _, err := keys.ExistingPassphrase(in); err != nil {
			t.Errorf("ExistingPassphrase(%q): %v", in, err)
		}
	}
}

// TestShortExistingPassphraseUnlocks checks that a passphrase accepted by
// ExistingPassphrase actually reaches age: a file protected elsewhere with a
// short passphrase opens.
func TestShortExistingPassphraseUnlocks(t *testing.T) {
	// A stock `age -p -a` file holding an identity, made here with the
	// library: passphrase "short".
	id := mustIdentity(t, keys.Classic)
	secret := identitySecret(t, id)
	path := writeScryptArmored(t, "short", "# made by age -p\n"+secret+"\n")
	got, err := keys.LoadIdentity(path, unlockWith(t, "short", nil))
	if err != nil {
		t.Fatalf("LoadIdentity: %v", err)
	}
	if got.Recipient().String() != id.Recipient().String() {
		t.Fatal("loaded the wrong identity")
	}
}

// secrets returns each secret type with the string it must never print.
func secrets(t *testing.T) []struct {
	name   string
	value  any
	secret string
} {
	hybrid := mustIdentity(t, keys.Hybrid)
	classic := mustIdentity(t, keys.Classic)
	sk := mustSigningKey(t, "admin")
	pass := mustPassphrase(t, testPassphrase)
	return []struct {
		name   string
		value  any
		secret string
	}{
		{"hybrid identity", hybrid, identitySecret(t, hybrid)},
		{"classic identity", classic, identitySecret(t, classic)},
		{"signing key", sk, signingSecret(t, sk)},
		{"passphrase", pass, testPassphrase},
		{"passphrase pointer", &pass, testPassphrase},
	}
}

// checkNoSecret fails if out contains secret (or its hex encoding) or lacks
// "**redacted**".
func checkNoSecret(t *testing.T, what, out, secret string) {
	t.Helper()
	// The random part of a key is enough to leak it: look for a long piece.
	for _, s := range []string{secret, secret[len(secret)/2:], hex.EncodeToString([]byte(secret)), strings.ToLower(secret[len(secret)/2:])} {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks the secret:\n%s", what, out)
			return
		}
	}
	if !strings.Contains(out, "**redacted**") {
		t.Errorf("%s does not say **redacted**:\n%s", what, out)
	}
}

func TestSecretsDoNotFormat(t *testing.T) {
	for _, s := range secrets(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3s", "%d"} {
				checkNoSecret(t, "Sprintf("+verb+")", fmt.Sprintf(verb, s.value), s.secret)
			}
			checkNoSecret(t, "Sprint", fmt.Sprint(s.value), s.secret)
			checkNoSecret(t, "Sprintln", fmt.Sprintln(s.value), s.secret)
			checkNoSecret(t, "Sprint(slice)", fmt.Sprint([]any{s.value}), s.secret)
			checkNoSecret(t, "Sprint(map)", fmt.Sprint(map[string]any{"k": s.value}), s.secret)

			// Inside a struct, exported and unexported fields: fmt does not
			// call methods on unexported fields, so the type itself must not
			// hold the secret where reflection prints it.
			exported := struct {
				Name string
				Key  any
			}{"x", s.value}
			unexported := struct {
				name string
				key  any
			}{"x", s.value}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
				checkNoSecret(t, "exported field "+verb, fmt.Sprintf(verb, exported), s.secret)
				out := fmt.Sprintf(verb, unexported)
				if strings.Contains(out, s.secret) || strings.Contains(out, s.secret[len(s.secret)/2:]) {
					t.Errorf("unexported field %s leaks the secret: %s", verb, out)
				}
			}
			checkNoSecret(t, "Sprint(struct)", fmt.Sprint(exported), s.secret)
		})
	}
}

// TestSecretValuesInStructs puts the secret types themselves (not an
// interface holding them) in unexported struct fields, where fmt prints by
// reflection and never calls String or Format.
func TestSecretValuesInStructs(t *testing.T) {
	pass := mustPassphrase(t, testPassphrase)
	id := mustIdentity(t, keys.Hybrid)
	idSecret := identitySecret(t, id)
	sk := mustSigningKey(t, "admin")
	skSecret := signingSecret(t, sk)

	type config struct {
		pass keys.Passphrase
		id   *keys.Identity
		sk   *keys.SigningKey
	}
	c := config{pass, id, sk}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		for _, secret := range []string{testPassphrase, idSecret, skSecret} {
			if strings.Contains(out, secret) {
				t.Errorf("%s of a struct with secret fields leaks %.20q…: %s", verb, secret, out)
			}
		}
	}
	// Values copied out of the pointers are no safer to print by mistake.
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(verb, *id); strings.Contains(out, idSecret[len(idSecret)/2:]) {
			t.Errorf("%s of an Identity value leaks the secret: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, *sk); strings.Contains(out, skSecret[len(skSecret)/2:]) {
			t.Errorf("%s of a SigningKey value leaks the secret: %s", verb, out)
		}
	}
	// slog's text handler prints structs with %+v.
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "c", c)
	for _, secret := range []string{testPassphrase, idSecret, skSecret} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("slog text handler leaks %.20q…: %s", secret, buf.String())
		}
	}
}

func TestSecretsDoNotLog(t *testing.T) {
	for _, s := range secrets(t) {
		t.Run(s.name, func(t *testing.T) {
			for _, h := range []struct {
				name string
				new  func(*bytes.Buffer) slog.Handler
			}{
				{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
				{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
			} {
				var buf bytes.Buffer
				log := slog.New(h.new(&buf))
				log.Info("attr", "key", s.value)
				log.Info("group", slog.Group("g", slog.Any("key", s.value), slog.Group("inner", "key", s.value)))
				log.With("key", s.value).WithGroup("wg").Info("with", "key", s.value)
				out := buf.String()
				checkNoSecret(t, h.name+" handler", out, s.secret)
				if n := strings.Count(out, "**redacted**"); n != 5 {
					t.Errorf("%s handler: %d redactions in the output, want 5:\n%s", h.name, n, out)
				}
			}
		})
	}
}
