package desk

import (
	"testing"

	"testimony/internal/envelope"
	"testimony/internal/pseudonym"
)

// A pseudonym is found in the other script too, and folding makes case,
// hyphens, spaces and marks not matter.
func TestSearch(t *testing.T) {
	h, r, ok := pseudonym.PseudonymSpellings("김영석")
	if !ok {
		t.Skip("김영석 is not made from the bundled lists any more; pick another pseudonym")
	}
	in := newInbox()
	add := func(id, note string) {
		in.keep(&testimony{ID: id, M: &envelope.Manifest{Day: "2026-03-14"}, Note: note}, fold(note))
	}
	add("latin", "Then "+r+" crossed the river at Hyesan-si.")
	add("hangul", h+"은 강을 건넜다.")
	add("other", "Nobody crossed.")
	// A romanized pseudonym that reads as another one given name first
	// (서진우 "Seo Jin-woo", 우서진 "Woo Seo-jin"): searched as written, it
	// finds its note in both scripts.
	add("seo-latin", "Seo Jin-woo left.")
	add("seo-hangul", "서진우는 떠났다.")
	close(in.searchReady)
	u := &unlocked{inbox: in}
	d := &Desk{}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{h, []string{"latin", "hangul"}},
		{r, []string{"latin", "hangul"}},
		{"kim youngseok", []string{"latin", "hangul"}},
		{"CROSSED", []string{"latin", "other"}},
		{"hyesan si", []string{"latin"}},
		{"건넜다", []string{"hangul"}},
		{"없는말", nil},
		{"Seo Jin-woo", []string{"seo-latin", "seo-hangul"}},
		{"seo jinwoo", []string{"seo-latin", "seo-hangul"}},
		{"서진우", []string{"seo-latin", "seo-hangul"}},
	} {
		got := map[string]bool{}
		for _, it := range d.inboxData(t.Context(), u, tc.q, 1).Items {
			got[it.ID] = true
		}
		if len(got) != len(tc.want) {
			t.Errorf("search %q found %v, want %v", tc.q, got, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !got[w] {
				t.Errorf("search %q found %v, want %v", tc.q, got, tc.want)
			}
		}
	}
}
