package envelope

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"testimony/keys"
)

// org is a test organisation: an admin, two reviewers, an outsider and an
// enrolled device, with the verified roster.
type org struct {
	admin     *keys.SigningKey
	reviewers []*keys.Identity
	outsider  *keys.Identity
	device    *keys.SigningKey
	roster    *keys.Roster
	signed    []byte
}

func newOrg(t testing.TB, kind keys.Kind) *org {
	t.Helper()
	o := &org{}
	var err error
	if o.admin, err = keys.GenerateSigningKey("admin"); err != nil {
		t.Fatal(err)
	}
	if o.device, err = keys.GenerateSigningKey("laptop-1"); err != nil {
		t.Fatal(err)
	}
	r, err := keys.NewRoster("Example NGO")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		id, err := keys.GenerateIdentity(kind)
		if err != nil {
			t.Fatal(err)
		}
		o.reviewers = append(o.reviewers, id)
		if err := r.Add(keys.Reviewer, "reviewer "+string(rune('1'+i)), id.Recipient()); err != nil {
			t.Fatal(err)
		}
	}
	if o.outsider, err = keys.GenerateIdentity(kind); err != nil {
		t.Fatal(err)
	}
	if err := r.AddDevice("laptop-1", verifier(t, o.device)); err != nil {
		t.Fatal(err)
	}
	r.Version = 3
	o.roster, o.signed = o.sign(t, r)
	return o
}

// sign signs r with the org's admin key and returns it verified.
func (o *org) sign(t testing.TB, r *keys.Roster) (*keys.Roster, []byte) {
	t.Helper()
	signed, err := r.Sign(o.admin)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keys.VerifyRoster(signed, verifier(t, o.admin), nil)
	if err != nil {
		t.Fatal(err)
	}
	return v, signed
}

func verifier(t testing.TB, k *keys.SigningKey) keys.Verifier {
	t.Helper()
	v, err := keys.ParseVerifier(k.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (o *org) options() Options {
	return Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Day: "2026-03-14", Language: "ko", Subject: "Pak Yong-su", ID: testID}
}

func bytesAttachment(ext string, b []byte) Attachment {
	return Attachment{Ext: ext, Size: int64(len(b)), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}

func sampleContents() Contents {
	rng := rand.NewChaCha8([32]byte{1})
	audio := make([]byte, 200_000)
	rng.Read(audio)
	return Contents{
		Note:        []byte("# 면담 기록\n\n박영수 씨는 2019년에 혜산을 떠났다.\nPak Yong-su left Hyesan in 2019.\n"),
		Answers:     []byte(`{"year_left": 2019, "sex": "m"}`),
		Attachments: []Attachment{bytesAttachment("m4a", audio), bytesAttachment("", []byte("plain text attachment"))},
	}
}

func seal(t testing.TB, c Contents, o Options) ([]byte, *Sealed) {
	t.Helper()
	var buf bytes.Buffer
	s, err := Seal(&buf, c, o)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if s.Size != int64(buf.Len()) {
		t.Fatalf("Seal reported %d bytes, wrote %d", s.Size, buf.Len())
	}
	return buf.Bytes(), s
}

// testID is the submission ID of the files the tests seal.
const testID = "0123456789abcdef0123456789abcdef"

// open opens sealed as filed under testID.
func open(sealed []byte, id age.Identity, r *keys.Roster) (*Memory, *Opened, error) {
	return openAs(sealed, id, r, testID)
}

func openAs(sealed []byte, id age.Identity, r *keys.Roster, sub string) (*Memory, *Opened, error) {
	m := &Memory{}
	op, err := Open(bytes.NewReader(sealed), int64(len(sealed)), m, OpenOptions{Identity: id, Roster: r, ID: sub})
	return m, op, err
}

func TestSealOpenRoundTrip(t *testing.T) {
	for _, kind := range []keys.Kind{keys.Hybrid, keys.Classic} {
		t.Run(kind.StanzaType(), func(t *testing.T) {
			o := newOrg(t, kind)
			c := sampleContents()
			sealed, s := seal(t, c, o.options())
			for i, id := range o.reviewers {
				m, op, err := open(sealed, id, o.roster)
				if err != nil {
					t.Fatalf("reviewer %d: Open: %v", i+1, err)
				}
				want := map[string][]byte{
					"note.md":            c.Note,
					"answers.json":       c.Answers,
					"attachments/01.m4a": mustRead(t, c.Attachments[0]),
					"attachments/02":     []byte("plain text attachment"),
				}
				if len(m.Entries) != len(want) {
					t.Errorf("got entries %v, want %d", slices.Sorted(mapsKeys(m.Entries)), len(want))
				}
				for name, b := range want {
					if !bytes.Equal(m.Entries[name], b) {
						t.Errorf("entry %s differs", name)
					}
				}
				got := op.Manifest
				if got.ID != s.Manifest.ID || len(got.ID) != 32 || got.Device != "laptop-1" || got.Day != "2026-03-14" ||
					got.Language != "ko" || got.Subject != "Pak Yong-su" || got.RosterVersion != 3 || got.Org != "Example NGO" || got.Form != "note/1" {
					t.Errorf("manifest = %+v", got)
				}
			}
			// A second seal of the same contents gets a fresh ID.
			fresh := o.options()
			fresh.ID = ""
			again, s2 := seal(t, c, fresh)
			if s2.Manifest.ID == s.Manifest.ID {
				t.Error("two seals share a submission ID")
			}
			if bytes.Equal(again, sealed) {
				t.Error("two seals are identical")
			}
		})
	}
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mustRead(t testing.TB, a Attachment) []byte {
	t.Helper()
	rc, err := a.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plaintext decrypts sealed with plain age, as a stock tool would.
func plaintext(t testing.TB, sealed []byte, id age.Identity) []byte {
	t.Helper()
	r, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStockReadable reads a sealed file with nothing but age.Decrypt and
// archive/tar, as `age -d | tar -x` would, and checks the layout the package
// documentation promises.
func TestStockReadable(t *testing.T) {
	o := newOrg(t, keys.Hybrid)
	sealed, _ := seal(t, sampleContents(), o.options())
	p := plaintext(t, sealed, o.reviewers[1])
	if uint64(len(p)) != Padme(uint64(len(p))) {
		t.Errorf("plaintext length %d is not a PADMÉ length", len(p))
	}
	tr := tar.NewReader(bytes.NewReader(p))
	var names []string
	var manifest []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.ModTime.Unix() != 0 || h.Uname != "" || h.Uid != 0 {
			t.Errorf("%s carries metadata: %v %q %d", h.Name, h.ModTime, h.Uname, h.Uid)
		}
		names = append(names, h.Name)
		if h.Name == ManifestName {
			manifest, _ = io.ReadAll(tr)
		}
	}
	want := []string{"note.md", "answers.json", "attachments/01.m4a", "attachments/02", "testimony.json", "signature"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
	var m map[string]any
	if err := json.Unmarshal(manifest, &m); err != nil || m["format"] != FormatV2 {
		t.Errorf("manifest %s: %v", manifest, err)
	}
}

func TestPadme(t *testing.T) {
	for _, tc := range []struct{ in, want uint64 }{
		{0, 0}, {1, 1}, {2, 2}, {3, 3}, {9, 10}, {1000, 1024}, {1025, 1088},
		{100_000, 100_352}, {1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<15},
	} {
		if got := Padme(tc.in); got != tc.want {
			t.Errorf("Padme(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		n := rng.Uint64N(1<<40) + 2
		p := Padme(n)
		if p < n || float64(p-n) > 0.12*float64(n) || Padme(p) != p {
			t.Fatalf("Padme(%d) = %d: not within 12%% or not idempotent", n, p)
		}
	}
}

// TestWrongID: a sealed file copied (or re-uploaded) under another submission
// ID is refused with ErrWrongID, not reported as damage and never opened as
// a testimony of its own. The attack: the same bytes PUT under a new ID
// would otherwise show as a second, independent, verified testimony.
func TestWrongID(t *testing.T) {
	o := newOrg(t, keys.Hybrid)
	sealed, _ := seal(t, sampleContents(), o.options())
	other := "fedcba9876543210fedcba9876543210"
	_, op, err := openAs(sealed, o.reviewers[0], o.roster, other)
	if !errors.Is(err, ErrWrongID) {
		t.Fatalf("opened under another ID: %v, want ErrWrongID", err)
	}
	if errors.Is(err, ErrTampered) || errors.Is(err, ErrBadSignature) {
		t.Errorf("a copy is reported as tampering: %v", err)
	}
	if op != nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), testID) {
		t.Errorf("error %q should name both IDs", err)
	}

	// No ID at all is a programming error, refused before anything is read.
	for _, bad := range []string{"", "../" + testID, strings.ToUpper(testID)} {
		if _, _, err := openAs(sealed, o.reviewers[0], o.roster, bad); err == nil || errors.Is(err, ErrWrongID) {
			t.Errorf("ID %q: %v", bad, err)
		}
	}
	// A reid digest is signed with the ID it belongs to.
	opts := o.options()
	opts.Reid = strings.Repeat("ab", 32)
	sealed, s := seal(t, sampleContents(), opts)
	if _, op, err := open(sealed, o.reviewers[0], o.roster); err != nil || op.Manifest.Reid != opts.Reid || s.Manifest.Format != FormatV2 {
		t.Fatalf("reid digest not carried: %v", err)
	}
	opts.ID = ""
	if _, err := Seal(io.Discard, sampleContents(), opts); err == nil {
		t.Error("a reid digest without a submission ID was accepted")
	}
	opts.ID, opts.Reid = testID, "not a digest"
	if _, err := Seal(io.Discard, sampleContents(), opts); err == nil {
		t.Error("an invalid reid digest was accepted")
	}
}
