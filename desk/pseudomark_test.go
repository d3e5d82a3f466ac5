package desk

import (
	"strings"
	"testing"
)

func TestPseudoSegments(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string // the pseudonyms marked, in order
	}{
		// A Hangul pseudonym alone, with a particle, and romanized in
		// either order.
		{"김영석은 2019년에 떠났다. Kim Young-seok left; Young-seok Kim stayed.", []string{"김영석", "Kim Young-seok", "Young-seok Kim"}},
		// A title before a romanized name does not hide it.
		{"Mr Kim Young-seok", []string{"Kim Young-seok"}},
		// Words that are not names made from the bundled lists.
		{"한국에서 혜산을 떠났다. Pakistan, Hyesan.", nil},
		// Lowercase is not a name in running text.
		{"kim young-seok", nil},
	} {
		var got []string
		var joined strings.Builder
		for _, s := range pseudoSegments(tc.text) {
			joined.WriteString(s.Text)
			if s.P {
				got = append(got, s.Text)
			}
		}
		if joined.String() != tc.text {
			t.Errorf("%q: the segments do not add up to the text: %q", tc.text, joined.String())
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: marked %q, want %q", tc.text, got, tc.want)
		}
	}
}

// FuzzPseudoSegments: whatever the text, the segments add up to it, and
// every marked one is a pseudonym's spelling (with nothing around it).
func FuzzPseudoSegments(f *testing.F) {
	for _, s := range []string{"김영석은 떠났다", "Kim Young-seok", "Young-seok Kim", "", "\xff김영석", "A B-C D-E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var joined strings.Builder
		for _, s := range pseudoSegments(text) {
			joined.WriteString(s.Text)
			if s.P && (s.Text == "" || strings.TrimSpace(s.Text) != s.Text) {
				t.Errorf("a marked segment %q", s.Text)
			}
		}
		if joined.String() != text {
			t.Errorf("the segments of %q add up to %q", text, joined.String())
		}
	})
}
