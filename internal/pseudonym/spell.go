package pseudonym

import (
	"strings"
	"sync"
	"unicode"
)

// PseudonymSpellings returns the Hangul and the romanized spelling of a
// name made, as pseudonyms are, from a bundled surname and given name,
// written in either script and either order: "김영석", "Kim Young-seok",
// "kim youngseok", "Young-seok Kim". Reviewers search notes for a
// pseudonym in both scripts with it. It knows nothing of real people.
func PseudonymSpellings(name string) (hangul, roman string, ok bool) {
	m := spellings()
	if s, found := m.byHangul[strings.Join(strings.Fields(name), "")]; found {
		return s[0], s[1], true
	}
	if s, found := m.byRoman[foldLatinName(name)]; found {
		return s[0], s[1], true
	}
	return "", "", false
}

type spellingMaps struct {
	byHangul map[string][2]string // 김영석 → {김영석, Kim Young-seok}
	byRoman  map[string][2]string // kimyoungseok, youngseokkim → the same
}

var spellings = sync.OnceValue(func() spellingMaps {
	m := spellingMaps{byHangul: map[string][2]string{}, byRoman: map[string][2]string{}}
	for _, s := range surnames() {
		for _, g := range givenNames() {
			pair := [2]string{s.Hangul + g.Hangul, s.Roman + " " + g.Roman}
			m.byHangul[pair[0]] = pair
			m.byRoman[foldLatinName(s.Roman+g.Roman)] = pair
			m.byRoman[foldLatinName(g.Roman+s.Roman)] = pair
		}
	}
	return m
})

// foldLatinName keeps a name's letters, lower case, without marks, spaces
// or hyphens.
func foldLatinName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) && r < 0x250 {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
