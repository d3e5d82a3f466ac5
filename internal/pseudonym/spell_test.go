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

// TestPseudonymReadings: a romanized name that reads as two pseudonyms
// ("Seo Jin-woo": 서진우, and 우서진 given name first) gives both, the
// surname-first reading first, for every surname-first spelling of the
// lists; PseudonymSpellings gives that reading.
func TestPseudonymReadings(t *testing.T) {
	rs := PseudonymReadings("Seo Jin-woo")
	if len(rs) != 2 || rs[0] != [2]string{"서진우", "Seo Jin-woo"} || rs[1] != [2]string{"우서진", "Woo Seo-jin"} {
		t.Errorf("PseudonymReadings(Seo Jin-woo) = %q", rs)
	}
	if h, r, ok := PseudonymSpellings("Seo Jin-woo"); !ok || h != "서진우" || r != "Seo Jin-woo" {
		t.Errorf("PseudonymSpellings(Seo Jin-woo) = %q, %q, %v", h, r, ok)
	}
	// Every name of the lists, written surname first, reads first as
	// itself.
	for _, s := range surnames() {
		for _, g := range givenNames() {
			if h, _, _ := PseudonymSpellings(s.Roman + " " + g.Roman); h != s.Hangul+g.Hangul {
				t.Fatalf("%s %s reads first as %s, not %s", s.Roman, g.Roman, h, s.Hangul+g.Hangul)
			}
		}
	}
}
