package pseudonym

import "testing"

func TestPseudonymSpellings(t *testing.T) {
	s, g := surnames()[0], givenNames()[0]
	wantH, wantR := s.Hangul+g.Hangul, s.Roman+" "+g.Roman
	for _, in := range []string{wantH, wantR, g.Roman + " " + s.Roman, "  " + wantR + " ", foldLatinName(wantR)} {
		h, r, ok := PseudonymSpellings(in)
		if !ok || h != wantH || r != wantR {
			t.Errorf("PseudonymSpellings(%q) = %q, %q, %v; want %q, %q", in, h, r, ok, wantH, wantR)
		}
	}
	for _, in := range []string{"", "Pakistan", "한국", "김", "Kim"} {
		if _, _, ok := PseudonymSpellings(in); ok {
			t.Errorf("PseudonymSpellings(%q) found a name", in)
		}
	}
}

// The pseudonym a note gets is spelled as PseudonymSpellings says, in both
// scripts.
func TestPseudonymSpellingsMatchRedact(t *testing.T) {
	e, err := ParseEntities([]byte(`{"people":[{"id":"p1","names":["김석한","Kim Suk-han"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(e, testKey{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.Redact("김석한은 왔다. Kim Suk-han came.")
	entry := res.Reid.People[0]
	h, rom, ok := PseudonymSpellings(entry.Pseudonym)
	if !ok || h != entry.Pseudonym || rom != entry.Romanized {
		t.Errorf("PseudonymSpellings(%q) = %q, %q, %v; the note has %q and %q", entry.Pseudonym, h, rom, ok, entry.Pseudonym, entry.Romanized)
	}
}
