package annotation_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"testimony/internal/annotation"
	"testimony/internal/intake"
	"testimony/keys"
)

func TestMain(m *testing.M) {
	keys.ScryptWorkFactor = 10
	os.Exit(m.Run())
}

const (
	v1Dir    = "../../testdata/v1"
	rosterV2 = "../../testdata/v2/roster"
	annDir   = "../../testdata/v2/annotation"

	sub   = "5eed0f7e5eed0f7e5eed0f7e5eed0f7e"
	other = "0123456789abcdef0123456789abcdef"
	aid   = "a11071a7a11071a7a11071a7a11071a7"
)

// must panics on err: for test setup that cannot fail.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func frozenUnlock(t testing.TB) keys.Unlock {
	pass := strings.TrimSpace(string(must(os.ReadFile(filepath.Join(v1Dir, "passphrase.txt")))))
	return keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) { return keys.ExistingPassphrase(pass) }}
}

// fixture is an organisation with two reviewers whose signing keys are in
// the roster, one reviewer without, and people outside it.
type fixture struct {
	r1, r2, r3 *keys.Identity // r3 is a reviewer without a signing key
	outsider   *keys.Identity // not in the roster
	s1, s2     *keys.SigningKey
	device     *keys.SigningKey
	roster     *keys.Roster
}

// newFixture uses the frozen classic identities of testdata/v1, so that
// fuzz seeds stay signed by keys of the roster.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{
		r1:       must(keys.LoadIdentity(filepath.Join(v1Dir, "classic-reviewer-1.key"), frozenUnlock(t))),
		r2:       must(keys.LoadIdentity(filepath.Join(v1Dir, "classic-reviewer-2.key"), frozenUnlock(t))),
		r3:       must(keys.GenerateIdentity(keys.Classic)),
		outsider: must(keys.GenerateIdentity(keys.Classic)),
		device:   must(keys.GenerateSigningKey("laptop-1")),
	}
	f.s1 = must(f.r1.ReviewerSigner())
	f.s2 = must(f.r2.ReviewerSigner())
	admin := must(keys.GenerateSigningKey("admin"))
	r := must(keys.NewRoster("Example NGO"))
	for _, err := range []error{
		r.AddReviewer("reviewer 1", f.r1.Recipient(), must(keys.ParseVerifier(f.s1.Verifier()))),
		r.AddReviewer("reviewer 2", f.r2.Recipient(), must(keys.ParseVerifier(f.s2.Verifier()))),
		r.AddReviewer("reviewer 3", f.r3.Recipient(), keys.Verifier{}),
		r.AddDevice("laptop-1", must(keys.ParseVerifier(f.device.Verifier()))),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.roster = must(keys.VerifyRoster(must(r.Sign(admin)), must(keys.ParseVerifier(admin.Verifier())), nil))
	return f
}

func sample() annotation.Annotation {
	return annotation.Annotation{ID: aid, Submission: sub, Tags: []string{"detention", "국경"}, Text: "Follow up.\n<b>two</b> lines & \"quotes\"", Day: "2026-12-01"}
}

func (f *fixture) seal(t testing.TB, a annotation.Annotation, signer note.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := annotation.Seal(&buf, a, signer, f.roster.Reviewers); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sealPlain seals a plaintext as it is, the way a forger with the roster's
// public keys can.
func (f *fixture) sealPlain(t testing.TB, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := intake.SealTo(&buf, f.roster.Reviewers, plain); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip: an annotation signed by reviewer 1 opens for every
// reviewer, with reviewer 1's roster label as its author.
func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	sealed := f.seal(t, sample(), f.s1)
	for _, id := range []*keys.Identity{f.r1, f.r2, f.r3} {
		o, err := annotation.Open(sealed, aid, id, f.roster)
		if err != nil {
			t.Fatal(err)
		}
		want := sample()
		want.Format = annotation.FormatV2
		if !o.Signed || o.Author != "reviewer 1" || o.Signer != f.s1.Verifier() {
			t.Errorf("Signed %v, Author %q, Signer %q", o.Signed, o.Author, o.Signer)
		}
		got, _ := json.Marshal(o.Annotation)
		wantB, _ := json.Marshal(want)
		if !bytes.Equal(got, wantB) {
			t.Errorf("opened %s, want %s", got, wantB)
		}
	}
	if _, err := annotation.Open(sealed, aid, f.outsider, f.roster); !errors.Is(err, annotation.ErrWrongIdentity) {
		t.Errorf("an outsider opens it: %v", err)
	}
	// Tags only, or text only.
	a := sample()
	a.Tags = nil
	if o, err := annotation.Open(f.seal(t, a, f.s2), aid, f.r1, f.roster); err != nil || o.Author != "reviewer 2" || len(o.Tags) != 0 {
		t.Errorf("text only: %v", err)
	}
}

// TestSealRefuses: what the format cannot hold is refused when writing.
func TestSealRefuses(t *testing.T) {
	f := newFixture(t)
	for name, change := range map[string]func(*annotation.Annotation){
		"empty":             func(a *annotation.Annotation) { a.Tags, a.Text = nil, " " },
		"bad ID":            func(a *annotation.Annotation) { a.ID = "../x" },
		"bad submission":    func(a *annotation.Annotation) { a.Submission = strings.ToUpper(sub) },
		"bad day":           func(a *annotation.Annotation) { a.Day = "2026-13-01" },
		"comma in a tag":    func(a *annotation.Annotation) { a.Tags = []string{"a,b"} },
		"duplicate tag":     func(a *annotation.Annotation) { a.Tags = []string{"a", "a"} },
		"bidi in a tag":     func(a *annotation.Annotation) { a.Tags = []string{"a\u202eb"} },
		"long tag":          func(a *annotation.Annotation) { a.Tags = []string{strings.Repeat("x", 65)} },
		"long text":         func(a *annotation.Annotation) { a.Text = strings.Repeat("x", annotation.MaxText+1) },
		"text not UTF-8":    func(a *annotation.Annotation) { a.Text = "\xff" },
		"too many tags":     func(a *annotation.Annotation) { a.Tags = strings.Split(strings.Repeat("t,", 70), ",") },
		"space around tags": func(a *annotation.Annotation) { a.Tags = []string{" a"} },
	} {
		a := sample()
		change(&a)
		var buf bytes.Buffer
		if err := annotation.Seal(&buf, a, f.s1, f.roster.Reviewers); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
}

// resign returns the plaintext of a format 2 annotation with its JSON text
// changed by edit, keeping the original signature line.
func resign(t testing.TB, signed []byte, edit func(string) string) []byte {
	t.Helper()
	text, sig, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		t.Fatal("no signature block")
	}
	return []byte(edit(string(text)) + "\n\n" + string(sig))
}

// The attacks we test: a server (which stores the ciphertext and may relabel
// its metadata) or another reviewer (who can decrypt and re-seal) tries to
// make an annotation appear as a reviewer's that they did not write as it is
// shown. Each is refused with its own error.
func TestAttacks(t *testing.T) {
	f := newFixture(t)
	signed := must(annotation.Sign(sample(), f.s1))
	outsiderSigner := must(f.outsider.ReviewerSigner())
	r3Signer := must(f.r3.ReviewerSigner())
	// A key under reviewer 1's signing key name but another key.
	sameName := must(keys.GenerateSigningKey(f.s1.Name()))
	for _, tc := range []struct {
		name  string
		plain []byte
		id    string
		want  error
	}{
		// A forger who knows only public keys signs with a key of their
		// own, under any name.
		{"forged: signed by a key outside the roster", must(annotation.Sign(sample(), outsiderSigner)), aid, annotation.ErrUnknownSigner},
		{"forged: signed by a key with a reviewer's key name", must(annotation.Sign(sample(), sameName)), aid, annotation.ErrUnknownSigner},
		{"forged: signed by a device key", must(annotation.Sign(sample(), f.device)), aid, annotation.ErrUnknownSigner},
		{"forged: signed by a reviewer whose key the roster does not list", must(annotation.Sign(sample(), r3Signer)), aid, annotation.ErrUnknownSigner},
		// A genuine annotation filed again under another ID, to look like
		// a second reviewer's agreement or to replace another.
		{"re-filed under another ID", signed, other, annotation.ErrWrongID},
		// Another reviewer decrypts, edits and re-seals, keeping the
		// signature.
		{"moved to another submission", resign(t, signed, func(s string) string { return strings.Replace(s, sub, other, 1) }), aid, annotation.ErrBadSignature},
		{"text changed", resign(t, signed, func(s string) string { return strings.Replace(s, "Follow up.", "Ignore this.", 1) }), aid, annotation.ErrBadSignature},
		{"tag removed", resign(t, signed, func(s string) string { return strings.Replace(s, `"detention",`, "", 1) }), aid, annotation.ErrBadSignature},
		{"ID inside changed to match the new filing", resign(t, signed, func(s string) string { return strings.Replace(s, aid, other, 1) }), other, annotation.ErrBadSignature},
		// Re-attributed: a second signature added, or the signature line
		// renamed to another reviewer's key name.
		{"second signature added", must(note.Sign(must(note.Open(signed, note.VerifierList(must(keys.ParseVerifier(f.s1.Verifier())).Note()))), f.s2)), aid, annotation.ErrMalformed},
		{"signature relabelled as reviewer 2's", bytes.Replace(signed, []byte("— "+f.s1.Name()+" "), []byte("— "+f.s2.Name()+" "), 1), aid, annotation.ErrUnknownSigner},
		{"unsigned format 2", []byte(strings.SplitN(string(signed), "\n", 2)[0] + "\n"), aid, annotation.ErrMalformed},
		{"unknown field added", resign(t, signed, func(s string) string { return strings.Replace(s, `"day"`, `"author":"reviewer 2","day"`, 1) }), aid, annotation.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := annotation.Open(f.sealPlain(t, tc.plain), tc.id, f.r2, f.roster)
			if !errors.Is(err, tc.want) || o != nil {
				t.Fatalf("Open = %+v, %v; want %v", o, err, tc.want)
			}
		})
	}
	// A refused annotation says which testimony it claims, so the desk can
	// say there that something was refused.
	_, err := annotation.Open(f.sealPlain(t, must(annotation.Sign(sample(), outsiderSigner))), aid, f.r2, f.roster)
	var refused *annotation.RefusedError
	if !errors.As(err, &refused) || refused.Submission != sub {
		t.Errorf("refused: %v, want a RefusedError claiming %s", err, sub)
	}
}

// TestUnsigned: a format 1 annotation (or a signed one with its signature
// stripped and rewritten as format 1) opens, but never as signed and never
// with an author.
func TestUnsigned(t *testing.T) {
	f := newFixture(t)
	plain := []byte(`{"format":"testimony-annotation-v1","submission":"` + sub + `","tags":["detention"],"text":"Follow up.","day":"2026-03-01"}`)
	o, err := annotation.Open(f.sealPlain(t, plain), aid, f.r1, f.roster)
	if err != nil {
		t.Fatal(err)
	}
	if o.Signed || o.Author != "" || o.Signer != "" || o.Format != annotation.FormatV1 || o.ID != aid || o.Submission != sub || o.Text != "Follow up." {
		t.Errorf("format 1: %+v", o)
	}
	for name, p := range map[string]string{
		"unknown field":  `{"format":"testimony-annotation-v1","submission":"` + sub + `","tags":null,"text":"x","day":"2026-03-01","author":"reviewer 1"}`,
		"bad submission": `{"format":"testimony-annotation-v1","submission":"x","tags":null,"text":"x","day":"2026-03-01"}`,
		"not canonical":  `{"format":"testimony-annotation-v1", "submission":"` + sub + `","tags":null,"text":"x","day":"2026-03-01"}`,
		"unknown format": `{"format":"testimony-annotation-v9"}`,
	} {
		if _, err := annotation.Open(f.sealPlain(t, []byte(p)), aid, f.r1, f.roster); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

var update = flag.Bool("update", false, "write the frozen files of testdata/v2/annotation if they do not exist (never rewrite a released format)")

// TestCompat opens the frozen annotations of testdata/v2/annotation with a
// frozen identity and the frozen version 2 roster: a signed one (format 2,
// by reviewer 1) and one written before signatures (format 1).
func TestCompat(t *testing.T) {
	if *update {
		writeFrozen(t)
	}
	admin := must(keys.ParseVerifier(string(must(os.ReadFile(filepath.Join(rosterV2, "admin.pub"))))))
	roster := must(keys.VerifyRoster(must(os.ReadFile(filepath.Join(rosterV2, "roster.txt"))), admin, nil))
	id := must(keys.LoadIdentity(filepath.Join(v1Dir, "hybrid-reviewer-2.key"), frozenUnlock(t)))
	for _, name := range []string{"signed", "unsigned-v1"} {
		sealed := must(os.ReadFile(filepath.Join(annDir, name+".age")))
		o, err := annotation.Open(sealed, aid, id, roster)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := must(json.MarshalIndent(o, "", "  "))
		want := must(os.ReadFile(filepath.Join(annDir, name+".json")))
		if !bytes.Equal(append(got, '\n'), want) {
			t.Errorf("%s opened as\n%s\nwant\n%s", name, got, want)
		}
	}
}

func writeFrozen(t *testing.T) {
	if _, err := os.Stat(filepath.Join(annDir, "signed.age")); err == nil {
		t.Fatal("testdata/v2/annotation exists: a released format is never rewritten")
	}
	if err := os.MkdirAll(annDir, 0o755); err != nil {
		t.Fatal(err)
	}
	admin := must(keys.ParseVerifier(string(must(os.ReadFile(filepath.Join(rosterV2, "admin.pub"))))))
	roster := must(keys.VerifyRoster(must(os.ReadFile(filepath.Join(rosterV2, "roster.txt"))), admin, nil))
	r1 := must(keys.LoadIdentity(filepath.Join(v1Dir, "hybrid-reviewer-1.key"), frozenUnlock(t)))
	var buf bytes.Buffer
	a := sample()
	if err := annotation.Seal(&buf, a, must(r1.ReviewerSigner()), roster.Reviewers); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(annDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("signed.age", buf.Bytes())
	// Format 1, as the desk wrote it before signatures.
	buf.Reset()
	v1 := []byte(`{"format":"testimony-annotation-v1","submission":"` + sub + `","tags":["detention","국경"],"text":"Follow up.","day":"2026-03-14"}`)
	if err := intake.SealTo(&buf, roster.Reviewers, v1); err != nil {
		t.Fatal(err)
	}
	write("unsigned-v1.age", buf.Bytes())
	id := must(keys.LoadIdentity(filepath.Join(v1Dir, "hybrid-reviewer-2.key"), frozenUnlock(t)))
	for _, name := range []string{"signed", "unsigned-v1"} {
		o, err := annotation.Open(must(os.ReadFile(filepath.Join(annDir, name+".age"))), aid, id, roster)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".json", append(must(json.MarshalIndent(o, "", "  ")), '\n'))
	}
}
