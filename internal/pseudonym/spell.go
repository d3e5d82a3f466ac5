package pseudonym

import (
	"slices"
	"strings"
	"sync"
	"unicode"
)

// PseudonymSpellings returns the Hangul and the romanized spelling of a
// name made, as pseudonyms are, from a bundled surname and given name,
// written in either script and either order: "김영석", "Kim Young-seok",
// "kim youngseok", "Young-seok Kim". Reviewers search notes for a
// pseudonym in both scripts with it. It knows nothing of real people.
// Where a romanized name can be read as more than one pseudonym ("Seo
// Jin-woo" is 서진우, and also 우서진 written given name first), it returns
// the first of PseudonymReadings: a surname-first reading if there is one.
func PseudonymSpellings(name string) (hangul, roman string, ok bool) {
	rs := PseudonymReadings(name)
	if len(rs) == 0 {
		return "", "", false
	}
	return rs[0][0], rs[0][1], true
}

// PseudonymReadings returns every pseudonym, as its Hangul and romanized
// spellings, that name can be read as (see PseudonymSpellings): first
// those it spells word for word ("Yoo Na-young" is 유나영 before 윤아영,
// "Yoon A-young"), then the readings with the surname first, then those
// with the given name first.
func PseudonymReadings(name string) [][2]string {
	m := spellings()
	if s, found := m.byHangul[strings.Join(strings.Fields(name), "")]; found {
		return [][2]string{s}
	}
	rs := m.byRoman[foldLatinName(name)]
	if len(rs) < 2 {
		return rs
	}
	words := foldLatinWords(name)
	exact := func(p [2]string) bool {
		w := foldLatinWords(p[1])
		if w == words {
			return true
		}
		// Given name first: "Na-young Yoo".
		if i := strings.IndexByte(w, ' '); i > 0 {
			return w[i+1:]+" "+w[:i] == words
		}
		return false
	}
	out := make([][2]string, 0, len(rs))
	for _, p := range rs {
		if exact(p) {
			out = append(out, p)
		}
	}
	for _, p := range rs {
		if !exact(p) {
			out = append(out, p)
		}
	}
	return out
}

// foldLatinWords is foldLatinName with each run of other characters
// (spaces, hyphens) kept as one space between the words.
func foldLatinWords(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range s {
		if unicode.IsLetter(r) && r < 0x250 {
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			b.WriteRune(unicode.ToLower(r))
		} else {
			gap = true
		}
	}
	return b.String()
}

type spellingMaps struct {
	byHangul map[string][2]string   // 김영석 → {김영석, Kim Young-seok}
	byRoman  map[string][][2]string // kimyoungseok, youngseokkim → the same, and any other reading
}

var spellings = sync.OnceValue(func() spellingMaps {
	m := spellingMaps{byHangul: map[string][2]string{}, byRoman: map[string][][2]string{}}
	add := func(key string, pair [2]string) {
		if !slices.Contains(m.byRoman[key], pair) {
			m.byRoman[key] = append(m.byRoman[key], pair)
		}
	}
	// Surname first, then given name first, so that a name that reads
	// both ways is first read the usual way.
	for _, western := range []bool{false, true} {
		for _, s := range surnames() {
			for _, g := range givenNames() {
				pair := [2]string{s.Hangul + g.Hangul, s.Roman + " " + g.Roman}
				m.byHangul[pair[0]] = pair
				if western {
					add(foldLatinName(g.Roman+s.Roman), pair)
				} else {
					add(foldLatinName(s.Roman+g.Roman), pair)
				}
			}
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
