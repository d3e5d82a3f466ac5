package desk

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"testimony/internal/envelope"
	"testimony/keys"
)

// The store's rows round-trip, and a value sealed for one row or column
// does not open for another.
func TestInboxStoreSealed(t *testing.T) {
	dir := t.TempDir()
	id := must(keys.GenerateIdentity(keys.Hybrid))
	s, rebuilt, err := openInboxStore(dir, id)
	if err != nil || !rebuilt {
		t.Fatalf("new store: rebuilt %v, %v", rebuilt, err)
	}
	a, b := envelope.NewID(), envelope.NewID()
	m := &envelope.Manifest{ID: a, Format: envelope.FormatV2, Form: "note/1", Day: "2026-03-14", Language: "ko", Subject: "김영석", Device: "laptop-1"}
	if err := s.put([]storedItem{
		{t: &testimony{ID: a, M: m, Logged: true}, size: 1, mtime: 2, search: fold("그날 밤 Secret canary"), answers: []byte(`{"a":1}`)},
		{t: &testimony{ID: b, Err: "bad header MAC", CopyOf: ""}, size: 3, mtime: 4},
	}); err != nil {
		t.Fatal(err)
	}
	s.close()
	// Nothing of the text is in the database file in clear.
	for _, f := range []string{storeDBName, storeDBName + "-wal"} {
		raw, _ := os.ReadFile(filepath.Join(dir, f))
		for _, canary := range []string{"canary", "김영석", "2026-03-14", "note/1", "laptop-1", `{"a":1}`} {
			if bytes.Contains(raw, []byte(canary)) {
				t.Errorf("%s holds %q in clear", f, canary)
			}
		}
	}
	s, rebuilt, err = openInboxStore(dir, id)
	if err != nil || rebuilt {
		t.Fatalf("reopened store: rebuilt %v, %v", rebuilt, err)
	}
	defer s.close()
	got := map[string]*testimony{}
	if err := s.list(func(t *testimony) { got[t.ID] = t }); err != nil {
		t.Fatal(err)
	}
	if ta := got[a]; ta == nil || ta.M == nil || ta.M.Subject != m.Subject || ta.M.Day != m.Day || ta.M.Form != m.Form || ta.M.Device != m.Device || ta.M.Language != m.Language || !ta.Logged {
		t.Errorf("row a: %+v", ta)
	}
	if tb := got[b]; tb == nil || tb.M != nil || tb.Err != "bad header MAC" {
		t.Errorf("row b: %+v", tb)
	}
	ans, err := s.answers([]string{a, b})
	if err != nil || string(ans[a]) != `{"a":1}` || ans[b] != nil {
		t.Errorf("answers: %q, %v", ans, err)
	}
	var texts []string
	s.searchTexts(t.Context(), func(id, text string) bool { texts = append(texts, id+":"+text); return true })
	if !strings.Contains(strings.Join(texts, "\n"), a+":"+fold("그날 밤 Secret canary")) {
		t.Errorf("search texts: %q", texts)
	}
	// A sealed value moved to another row or column does not open.
	sealed := s.seal("meta", a, encodeMeta(got[a]))
	if _, err := s.open("meta", b, sealed); err == nil {
		t.Error("a value sealed for row a opened for row b")
	}
	if _, err := s.open("search", a, sealed); err == nil {
		t.Error("a meta value opened as search text")
	}
	// Padded: two texts of different lengths in one PADMÉ step seal alike.
	if len(s.seal("search", a, make([]byte, 1000))) != len(s.seal("search", a, make([]byte, 1010))) {
		t.Error("sealed lengths show the exact text length")
	}
}

// A key file this reviewer did not sign, or that another identity holds,
// is refused and the store rebuilt empty; the old rows are gone.
func TestInboxStoreForeignKey(t *testing.T) {
	dir := t.TempDir()
	id := must(keys.GenerateIdentity(keys.Hybrid))
	other := must(keys.GenerateIdentity(keys.Hybrid))
	// Someone who knows only the public recipient writes a key file and a
	// database sealed under their key.
	s, _, err := openInboxStore(dir, other)
	if err != nil {
		t.Fatal(err)
	}
	x := envelope.NewID()
	s.put([]storedItem{{t: &testimony{ID: x, M: &envelope.Manifest{ID: x, Day: "2026-01-01"}, Logged: true}, search: "forged"}})
	s.close()
	os.Remove(filepath.Join(dir, storeKeyName))
	forged := must(newStoreKey(filepath.Join(dir, "forged.key"), other))
	_ = forged
	// Re-seal the forger's key to the victim's recipient, signed by the forger.
	plain := append([]byte(storeKeyLabel), forged...)
	signer := must(other.ReviewerSigner())
	sig := must(signer.Sign(plain))
	var buf bytes.Buffer
	w := must(age.Encrypt(&buf, id.Recipient().Age()))
	w.Write(append(plain, sig...))
	w.Close()
	os.WriteFile(filepath.Join(dir, storeKeyName), buf.Bytes(), 0o600)
	if _, err := loadStoreKey(filepath.Join(dir, storeKeyName), id); err == nil {
		t.Fatal("a key file signed by another reviewer was accepted")
	}
	s, rebuilt, err := openInboxStore(dir, id)
	if err != nil || !rebuilt {
		t.Fatalf("rebuilt %v, %v", rebuilt, err)
	}
	defer s.close()
	n := 0
	s.list(func(*testimony) { n++ })
	if n != 0 {
		t.Errorf("%d forged rows survived the rebuild", n)
	}
}

// decodeMeta refuses what encodeMeta does not make, and round-trips what
// it does.
func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(&testimony{M: &envelope.Manifest{Form: "note/1", Day: "2026-03-14", Subject: "김영석"}, Logged: true}))
	f.Add(encodeMeta(&testimony{Err: "bad"}))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeMeta("x", b)
		if err != nil {
			return
		}
		if again := encodeMeta(got); !bytes.Equal(again, b) {
			t.Errorf("decode then encode: %x, want %x", again, b)
		}
	})
}
