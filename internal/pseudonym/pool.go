package pseudonym

import (
	"strings"
	"sync"
)

// The given names a pseudonym is drawn from. The bundled list (given.tsv)
// holds about 400 names, about 200 for each sex: with the bundled surnames
// that is fewer than 20,000 full names for a man and as many for a woman,
// not enough for an organisation's registry of tens of thousands of people,
// each of whom needs a pseudonym of their own. So a person whose first
// draws from the list are all taken (the list is crowded) draws from a
// wider pool: given names made of a first syllable of a listed name and a
// second syllable of another listed name of the same sex (영 of 영수 and 철
// of 동철: 영철), romanized with the one spelling the list gives each
// syllable in that place. Those are names in the way of the list, and there
// are about seven times as many (1,630 for a man, 1,281 for a woman): with
// the surnames, over 100,000 full names for each sex.

// crowdedAfter is the number of draws from the bundled list after which a
// person draws from the wider pool. Each draw costs a MAC, and when the list
// is crowded nearly every draw is taken: more would only cost time. While
// fewer than a tenth of the list's full names are taken (a few thousand
// declared people), 8 draws that are all taken happen less than once in
// ten million people.
const crowdedAfter = 8

// givenPools are the given names a pseudonym can be drawn from, for one sex.
type givenPools struct {
	listed []givenEntry // from the bundled list
	wider  []givenEntry // made of its syllables (the crowded case)
}

// namePools holds the pools by sex ("m", "f", or "" for either) and every
// given name of any pool by its Hangul, for the registry.
type namePools struct {
	bySex map[string]*givenPools
	all   map[string]givenEntry
}

var pseudonymPools = sync.OnceValue(func() *namePools {
	giv := givenNames()
	np := &namePools{bySex: map[string]*givenPools{}, all: map[string]givenEntry{}}
	for _, g := range giv {
		np.all[g.Hangul] = g
	}
	// Names a wider pool must not make: a pseudonym's given name, written
	// alone, must not read as a place or a title on the next pass.
	l := lex()
	avoid := func(h, roman string) bool {
		if _, ok := l.placeHangul[h]; ok {
			return true
		}
		if _, ok := l.placeLatin[strings.ToLower(strings.ReplaceAll(roman, "-", ""))]; ok {
			return true
		}
		return hangulTitles[h]
	}
	for _, sex := range []string{"", "m", "f"} {
		p := &givenPools{}
		var firsts, seconds []rune
		firstRoman, secondRoman := map[rune]string{}, map[rune]string{}
		for _, g := range giv {
			if sex != "" && g.Sex != 'u' && string(g.Sex) != sex {
				continue
			}
			p.listed = append(p.listed, g)
			rs := []rune(g.Hangul)
			a, b, ok := strings.Cut(g.Roman, "-")
			if len(rs) != 2 || !ok {
				continue
			}
			if _, seen := firstRoman[rs[0]]; !seen {
				firstRoman[rs[0]] = a
				firsts = append(firsts, rs[0])
			}
			if _, seen := secondRoman[rs[1]]; !seen {
				secondRoman[rs[1]] = b
				seconds = append(seconds, rs[1])
			}
		}
		for _, a := range firsts {
			for _, b := range seconds {
				h := string([]rune{a, b})
				if a == b {
					continue // 영영
				}
				if _, listed := np.all[h]; listed {
					continue
				}
				g := givenEntry{Hangul: h, Roman: firstRoman[a] + "-" + secondRoman[b], Sex: 'u'}
				if sex != "" {
					g.Sex = sex[0]
				}
				if avoid(h, g.Roman) {
					continue
				}
				p.wider = append(p.wider, g)
			}
		}
		np.bySex[sex] = p
	}
	// A name the wider pools make for both sexes is the same name.
	for _, sex := range []string{"", "m", "f"} {
		for _, g := range np.bySex[sex].wider {
			if _, ok := np.all[g.Hangul]; !ok {
				np.all[g.Hangul] = g
			}
		}
	}
	return np
})
