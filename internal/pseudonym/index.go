package pseudonym

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Keyed computes HMAC-SHA256 under the organisation's pseudonym key
// (keys.PseudonymKey).
type Keyed interface {
	MAC(msg []byte) [32]byte
}

type entKind uint8

const (
	kindPerson entKind = iota + 1
	kindPlace
)

// form is how a match wrote the name, which decides how its replacement is
// written.
type form uint8

const (
	formFull    form = iota + 1 // surname, then given name; a whole place name
	formWestern                 // given name, then surname
	formGiven                   // given name alone
	formAlias                   // an alias, written as declared
)

// entity is a declared person or place with its replacement.
type entity struct {
	id   string
	kind entKind
	// canon is the canonical identity the pseudonym is keyed on: the
	// Hangul name in its South Korean spelling, or the folded first name.
	canon          string
	surname, given string // Hangul parts of a person's canonical name
	sex            string

	// The replacement: for a person, the pseudonym in Hangul (full and
	// given name) and romanized (surname first, given name alone, given
	// name first); for a place, its province or label.
	hangul, hangulGiven             string
	roman, romanGiven, romanWestern string
}

type target struct {
	ent  int32
	form form
}

type latinPattern struct {
	toks []int32
	t    target
}

type hanAlias struct {
	runes []rune
	t     target
}

// index is everything the matcher needs about the declared entities.
type index struct {
	ents []entity

	tokID     map[string]int32          // folded Latin token → ID
	tokFilter *bloom                    // a quick "certainly not a token" before tokID
	latin     map[uint64][]latinPattern // hash of a token ID sequence → patterns
	maxLatin  int

	hangul     map[string][]target // Hangul word (without endings) → targets
	hangulPair *pairSet            // the first two syllables of its keys
	maxHangul  int                 // in syllables
	surnameSyl sylSet              // first syllables of hangulSurname keys
	shortSyl   sylSet              // keys of shortGivenHangul
	// hangulStart holds the syllables a Hangul word must start with for
	// matchHangul to find anything (hangulPair.first, surnameSyl), and
	// hangulCheck those checkHangul looks at (lexicon.interesting,
	// shortSyl).
	hangulStart, hangulCheck sylSet
	pseudoPair               *pairSet // the first two syllables of pseudoHangul keys
	// hangulSurname maps a Hangul surname to the people who have it, for
	// 김 석한 (surname and given name apart) and for flags.
	hangulSurname map[string][]int32
	latinSurname  map[int32][]int32 // token ID of a surname spelling → people
	// full holds the romanized names derived from the Hangul ones, which
	// latin does not (fullnames.go).
	full *fullNames

	declaredCache map[string]bool // declaredSpelling's answers while pseudonyms are chosen

	han map[rune][]hanAlias // by first character

	// Single-syllable given names, which alone are too ambiguous to
	// replace: they are flagged.
	shortGivenLatin  map[int32][]int32
	shortGivenHangul map[string][]int32

	// pseudoLatin and pseudoHangul hold every replacement (romanized: its
	// folded tokens joined by spaces), so that a second run does not flag
	// them.
	pseudoLatin  map[string]bool
	pseudoHangul map[string]bool

	// declaredLandmark holds the bundled landmarks (places.go) declared as
	// places: those are replaced, not kept.
	declaredLandmark map[int32]bool

	pers *personIndex // titles, lone surnames, initials, names a pseudonym must not echo (persons.go)
}

func (x *index) id(tok string) int32 {
	if id, ok := x.tokID[tok]; ok {
		return id
	}
	id := int32(len(x.tokID))
	x.tokID[tok] = id
	return id
}

// ids returns the IDs of folded tokens, giving new ones IDs; false if a
// token is empty.
func (x *index) ids(toks []string) ([]int32, bool) {
	ids := make([]int32, len(toks))
	for i, tk := range toks {
		if tk == "" {
			return nil, false
		}
		ids[i] = x.id(tk)
	}
	return ids, true
}

func hashTokens(ids []int32) uint64 {
	h := uint64(14695981039346656037)
	for _, id := range ids {
		h ^= uint64(id) + 1
		h *= 1099511628211
	}
	return h
}

// addLatin registers a romanized spelling, as folded tokens.
func (x *index) addLatin(toks []string, t target) {
	if len(toks) == 0 {
		return
	}
	ids, ok := x.ids(toks)
	if !ok {
		return
	}
	h := hashTokens(ids)
	for _, p := range x.latin[h] {
		if p.t == t && slices.Equal(p.toks, ids) {
			return
		}
	}
	x.latin[h] = append(x.latin[h], latinPattern{ids, t})
	x.maxLatin = max(x.maxLatin, len(ids))
}

func (x *index) addHangul(word string, t target) {
	if word == "" {
		return
	}
	if slices.Contains(x.hangul[word], t) {
		return
	}
	x.hangul[word] = append(x.hangul[word], t)
	x.maxHangul = max(x.maxHangul, len([]rune(word)))
}

// compoundSurnames are the two-syllable surnames.
var compoundSurnames = map[string]bool{
	"남궁": true, "선우": true, "제갈": true, "황보": true, "독고": true, "사공": true,
	"서문": true, "동방": true, "어금": true, "망절": true, "강전": true, "소봉": true,
}

// splitName splits a Hangul full name into surname and given name.
func splitName(h string) (string, string) {
	rs := []rune(h)
	switch {
	case len(rs) < 2:
		return "", h
	case len(rs) >= 4 && compoundSurnames[canonicalHangul(string(rs[:2]))]:
		// 남궁민수; a three-syllable 남궁민 is read as 남 + 궁민, the far
		// more common split.
		return string(rs[:2]), string(rs[2:])
	}
	return string(rs[:1]), string(rs[1:])
}

// allHangul reports whether s (without spaces) is Hangul syllables only.
func allHangul(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isHangul(r) {
			return false
		}
	}
	return true
}

func allHan(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isHan(r) {
			return false
		}
	}
	return true
}

// latinTokens folds a romanized name and splits it into tokens at spaces
// and hyphens; it also returns the form with hyphenated parts joined
// ("Suk-Han" → suk han; sukhan).
func latinTokens(s string) (split, joined []string) {
	v := newView(s)
	var cur []rune
	var parts [][]string // words, each split at hyphens
	word := []string{}
	flush := func() {
		if len(cur) > 0 {
			word = append(word, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range v.runes {
		switch {
		case r == foldApostrophe:
		case r == foldHyphen:
			flush()
		case r == foldSpace || r == foldNewline || r == foldMarkup || r == '.' || r == ',':
			flush()
			if len(word) > 0 {
				parts = append(parts, word)
				word = []string{}
			}
		default:
			cur = append(cur, r)
		}
	}
	flush()
	if len(word) > 0 {
		parts = append(parts, word)
	}
	for _, w := range parts {
		split = append(split, w...)
		joined = append(joined, strings.Join(w, ""))
	}
	return split, joined
}

var (
	// Longer suffixes first: 구역 and 지구 before 구.
	placeSuffixHangul = []string{"특별시", "직할시", "특급시", "광역시", "로동자구", "노동자구", "구역", "지구", "도", "시", "군", "구", "읍", "면", "리", "동", "현", "성", "진"}
	placeSuffixLatin  = [][]string{{"si"}, {"shi"}, {"city"}, {"gun"}, {"kun"}, {"county"}, {"do"}, {"province"}, {"namdo"}, {"bukto"}, {"up"}, {"eup"}, {"town"}, {"ri"}, {"village"}, {"dong"}, {"gu"}, {"ku"}, {"guyok"}, {"kuyok"}, {"chigu"}, {"district"}, {"rodongjagu"}, {"nodongjagu"}, {"workers", "district"}, {"xian"}, {"zhen"}}
)

// placeStem strips an administrative suffix from a Hangul place name.
func placeStem(h string) (stem, suffix string) {
	// The stem keeps at least two syllables: 청진 is a name, not 청 + 진.
	for _, s := range placeSuffixHangul {
		if rest, ok := strings.CutSuffix(h, s); ok && len([]rune(rest)) >= 2 {
			return rest, s
		}
	}
	return h, ""
}

// buildIndex indexes the entities and picks every replacement.
func buildIndex(e *Entities, key Keyed, reg *Registry) (*index, error) {
	x := &index{
		tokID:            map[string]int32{},
		latin:            map[uint64][]latinPattern{},
		hangul:           map[string][]target{},
		hangulSurname:    map[string][]int32{},
		latinSurname:     map[int32][]int32{},
		han:              map[rune][]hanAlias{},
		shortGivenLatin:  map[int32][]int32{},
		shortGivenHangul: map[string][]int32{},
		pseudoLatin:      map[string]bool{},
		pseudoHangul:     map[string]bool{},
		hangulPair:       newPairSet(),
		pseudoPair:       newPairSet(),
		full:             newFullNames(),
		declaredLandmark: declaredLandmarks(e),
		pers:             newPersonIndex(),
	}
	byCanon := map[string]string{}
	for _, p := range e.People {
		ent := entity{id: p.ID, kind: kindPerson, sex: p.Sex}
		i := int32(len(x.ents))
		var hangulNames []string
		for _, n := range p.Names {
			if h := strings.ReplaceAll(n, " ", ""); allHangul(h) {
				hangulNames = append(hangulNames, h)
			}
		}
		if len(hangulNames) > 0 {
			ent.surname, ent.given = splitName(hangulNames[0])
			ent.canon = canonicalHangul(ent.surname) + canonicalHangul(ent.given)
		} else {
			split, _ := latinTokens(p.Names[0])
			ent.canon = strings.Join(split, " ")
		}
		if other, ok := byCanon[ent.canon]; ok {
			return nil, fmt.Errorf("%w: %s and %s have the same name; two people a note cannot tell apart would share one pseudonym: declare them as one person, or tell them apart in the note (for example 큰 김영호 / 작은 김영호) and declare those spellings", ErrEntities, other, p.ID)
		}
		byCanon[ent.canon] = p.ID
		x.ents = append(x.ents, ent)

		for _, h := range hangulNames {
			sur, given := splitName(h)
			if sur != "" {
				for _, sv := range hangulVariants(sur) {
					x.hangulSurname[sv] = appendUnique(x.hangulSurname[sv], i)
					for _, gv := range hangulVariants(given) {
						x.addHangul(sv+gv, target{i, formFull})
					}
				}
			}
			gr := []rune(given)
			for _, gv := range hangulVariants(given) {
				if len(gr) >= 2 {
					x.addHangul(gv, target{i, formGiven})
				} else {
					x.shortGivenHangul[gv] = appendUnique(x.shortGivenHangul[gv], i)
				}
			}
			// Romanizations derived from the Hangul.
			var surs []string
			if sur != "" {
				surs = surnameRoman(sur)
			}
			for _, s := range surs {
				x.latinSurname[x.id(s)] = appendUnique(x.latinSurname[x.id(s)], i)
			}
			// Surname first or last, and the given name alone
			// (fullnames.go).
			x.full.add(x, i, sur, given, surs)
			if len(gr) < 2 {
				for _, g := range x.full.roman(given) {
					id := x.id(strings.Join(g, ""))
					x.shortGivenLatin[id] = appendUnique(x.shortGivenLatin[id], i)
				}
			}
		}
		// Romanized names as declared.
		for k, n := range p.Names {
			if allHangul(strings.ReplaceAll(n, " ", "")) {
				continue
			}
			if allHan(strings.ReplaceAll(n, " ", "")) { // 朴永洙: as an alias
				x.addAliases([]string{n}, i)
				continue
			}
			split, joined := latinTokens(n)
			x.addLatin(split, target{i, formFull})
			x.addLatin(joined, target{i, formFull})
			if len(hangulNames) == 0 && k == 0 && len(split) >= 2 {
				// Without Hangul, the first word is taken as the
				// surname, as Korean names are usually written.
				rest, restJoined := split[1:], joined[1:]
				x.addLatin(append(slices.Clone(rest), split[0]), target{i, formWestern})
				x.addLatin(append(slices.Clone(restJoined), split[0]), target{i, formWestern})
				if len(restJoined) == 1 && len(restJoined[0]) >= 4 {
					x.addLatin(rest, target{i, formGiven})
					x.addLatin(restJoined, target{i, formGiven})
				}
				x.latinSurname[x.id(split[0])] = appendUnique(x.latinSurname[x.id(split[0])], i)
			}
		}
		x.addAliases(p.Aliases, i)
	}
	for _, p := range e.Places {
		ent := entity{id: p.ID, kind: kindPlace}
		i := int32(len(x.ents))
		for _, n := range p.Names {
			h := strings.ReplaceAll(n, " ", "")
			if !allHangul(h) {
				continue
			}
			stem, suffix := placeStem(h)
			if ent.canon == "" {
				ent.canon = canonicalHangul(stem) + suffix
			}
			for _, sv := range hangulVariants(stem) {
				x.addHangul(sv+suffix, target{i, formFull})
				if suffix == "" || len([]rune(stem)) >= 2 {
					for _, s := range placeSuffixHangul {
						x.addHangul(sv+s, target{i, formFull})
					}
					if len([]rune(stem)) >= 2 {
						x.addHangul(sv, target{i, formFull})
					}
				}
			}
			std, extra := placeSpellings(stem)
			for _, r := range std {
				x.addPlaceLatin([]string{r}, i)
			}
			for _, r := range extra { // Chungjin, Hyesahn: with the common suffixes only
				x.addPlaceLatinCommon(r, i)
			}
			x.addAliases(gazetteerHan(stem), i) // 惠山 for 혜산
		}
		for _, n := range p.Names {
			if allHangul(strings.ReplaceAll(n, " ", "")) {
				continue
			}
			if allHan(strings.ReplaceAll(n, " ", "")) { // 淸津: as an alias
				x.addAliases([]string{n}, i)
				if ent.canon == "" {
					ent.canon = string(foldHan(n))
				}
				continue
			}
			split, joined := latinTokens(n)
			if ent.canon == "" {
				ent.canon = strings.Join(split, " ")
			}
			x.addLatin(split, target{i, formFull})
			x.addPlaceLatin(joined, i)
			// "Hyesan-si" declared: the bare name too.
			if len(split) >= 2 && slices.ContainsFunc(placeSuffixLatin, func(s []string) bool { return len(s) == 1 && s[0] == split[len(split)-1] }) {
				x.addPlaceLatin(split[:len(split)-1], i)
			}
		}
		if byCanon[ent.canon] != "" {
			return nil, fmt.Errorf("%w: %s and %s are the same place; declare it once", ErrEntities, byCanon[ent.canon], p.ID)
		}
		byCanon[ent.canon] = p.ID
		x.ents = append(x.ents, ent)
		x.addAliases(p.Aliases, i)
	}
	x.maxLatin = max(x.maxLatin, x.full.maxToks+1)
	x.indexPeople(e)
	if err := x.choosePseudonyms(e, key, reg); err != nil {
		return nil, err
	}
	x.declaredCache = nil
	x.tokFilter = &bloom{}
	for k := range x.tokID {
		x.tokFilter.add([]byte(k))
	}
	for k := range x.hangul {
		x.hangulPair.add(k)
	}
	for k := range x.hangulSurname {
		x.surnameSyl.add(k)
	}
	for k := range x.shortGivenHangul {
		x.shortSyl.add(k)
	}
	for k := range x.pseudoHangul {
		x.pseudoPair.add(k)
	}
	for i := range x.hangulStart {
		x.hangulStart[i] = x.hangulPair.first[i] | x.surnameSyl[i]
		x.hangulCheck[i] = lex().interesting[i] | x.shortSyl[i]
	}
	return x, nil
}

func (x *index) addPlaceLatin(toks []string, i int32) {
	x.addLatin(toks, target{i, formFull})
	for _, s := range placeSuffixLatin {
		x.addLatin(append(slices.Clone(toks), s...), target{i, formFull})
	}
}

func (x *index) addAliases(aliases []string, i int32) {
	for _, a := range aliases {
		h := strings.ReplaceAll(a, " ", "")
		switch {
		case allHan(h):
			var rs []rune
			for _, r := range h {
				rs = append(rs, foldRune(r, nil)...)
			}
			x.han[rs[0]] = append(x.han[rs[0]], hanAlias{rs, target{i, formAlias}})
		case allHangul(h):
			for _, v := range hangulVariants(h) {
				x.addHangul(v, target{i, formAlias})
			}
		default:
			split, joined := latinTokens(a)
			x.addLatin(split, target{i, formAlias})
			x.addLatin(joined, target{i, formAlias})
		}
	}
}

func appendUnique(s []int32, v int32) []int32 {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// choosePseudonyms picks every person's pseudonym and every place's
// replacement. A person's pseudonym is keyed on the canonical identity
// alone, so it is the same in every note; candidates are skipped while
// they are a famous name, a declared name, another entity's pseudonym, or
// would be read as a declared name. People are served in the order of their
// keyed hash, so that who skips for whom does not depend on the order of
// the entities file.
func (x *index) choosePseudonyms(e *Entities, key Keyed, reg *Registry) error {
	sur := surnames()
	var total float64
	for _, s := range sur {
		total += s.Share
	}
	famous := map[string]bool{}
	for _, f := range famousNames() {
		famous[canonicalHangul(f.Hangul)] = true
	}
	taken := map[string]bool{}
	for _, en := range x.ents {
		if en.kind == kindPerson && en.surname != "" {
			taken[en.canon] = true
		}
	}
	// Pseudonyms the registry gave to people of other notes.
	var regTaken map[string]string
	if reg != nil {
		regTaken = reg.taken()
	}
	// Other declared people's names are avoided too where the lists leave
	// a choice (persons.go).
	others := x.pers.othersLeaveChoice(sur, givenNames())
	order := make([]int, 0, len(x.ents))
	macs := make([][32]byte, len(x.ents))
	for i, en := range x.ents {
		if en.kind == kindPerson {
			order = append(order, i)
			macs[i] = key.MAC([]byte("testimony pseudonym v1\x00person\x00" + en.canon))
		}
	}
	sort.Slice(order, func(a, b int) bool {
		ma, mb := &macs[order[a]], &macs[order[b]]
		return string(ma[:]) < string(mb[:])
	})
	pools := pseudonymPools()
	for _, i := range order {
		en := &x.ents[i]
		gp := pools.bySex[en.sex]
		found := false
		var rk string
		if reg != nil {
			rk = registryKey(key, en.canon)
			if re, ok := reg.Entries[rk]; ok {
				// A recorded pseudonym is kept (the same person has
				// the same pseudonym in every note, case 48) unless it
				// echoes the person's own name, reads as a declared
				// one, or, where the lists leave a choice, has another
				// person's given name: someone declared after it was
				// recorded (김영철 beside a pseudonym 유영철) would have
				// their given name in it, and its romanized given name
				// would be read as theirs and replaced, giving one
				// person two pseudonyms in one note. The person then
				// gets a new pseudonym, recorded for the notes after
				// this one. A shared surname alone (이숙희 beside
				// 리영희) does not undo the record.
				if s, g, ok := findNames(sur, pools.all, re.Surname, re.Given); ok && !taken[canonicalHangul(s.Hangul+g.Hangul)] &&
					!x.readsAsDeclared(s, g) && !x.pers.echoes(int32(i), s, g, false) && !(others && x.pers.sharesGiven(g)) {
					x.setPseudonym(en, s, g)
					taken[canonicalHangul(s.Hangul+g.Hangul)] = true
					found = true
				}
			}
		}
		for n := 0; n < 1000 && !found; n++ {
			m := key.MAC(fmt.Appendf(nil, "testimony pseudonym v1\x00person\x00%s\x00%d", en.canon, n))
			u := float64(binary.BigEndian.Uint64(m[0:8])>>11) / (1 << 53) * total
			var s surnameEntry
			for _, c := range sur {
				if u < c.Share {
					s = c
					break
				}
				u -= c.Share
			}
			if s.Hangul == "" {
				s = sur[len(sur)-1]
			}
			pool := gp.listed
			if n >= crowdedAfter && len(gp.wider) > 0 {
				pool = gp.wider // the list is crowded (pool.go)
			}
			g := pool[binary.BigEndian.Uint64(m[8:16])%uint64(len(pool))]
			full := canonicalHangul(s.Hangul + g.Hangul)
			if taken[full] || famous[full] || x.readsAsDeclared(s, g) || x.pers.echoes(int32(i), s, g, others && n < 200) {
				continue
			}
			if other, ok := regTaken[full]; ok && other != rk {
				continue // another person of the organisation has it
			}
			taken[full] = true
			x.setPseudonym(en, s, g)
			if reg != nil {
				reg.Entries[rk] = registryEntry{Surname: s.Hangul, Given: g.Hangul}
				reg.changed = true
			}
			found = true
		}
		if !found {
			return fmt.Errorf("no pseudonym could be found for %s", en.id)
		}
		x.pseudoHangul[en.hangul] = true
		x.pseudoHangul[en.hangulGiven] = true
		for _, name := range []string{en.roman, en.romanGiven, en.romanWestern} {
			split, _ := latinTokens(name)
			x.pseudoLatin[strings.Join(split, " ")] = true
		}
	}
	places := map[string]placeEntry{}
	for _, p := range gazetteer() {
		stem, _ := placeStem(p.Hangul)
		places[canonicalHangul(stem)] = p
	}
	declared := map[string]bool{}
	for _, en := range x.ents {
		if en.kind == kindPlace {
			stem, _ := placeStem(en.canon)
			declared[canonicalHangul(stem)] = true
		}
	}
	pi := 0
	for i := range x.ents {
		en := &x.ents[i]
		if en.kind != kindPlace {
			continue
		}
		p := e.Places[pi]
		pi++
		prov := p.Province
		stem, _ := placeStem(en.canon)
		g, known := places[canonicalHangul(stem)]
		if prov == "" && known && g.Kind != "province" {
			prov = g.Province
		}
		provStem, _ := placeStem(prov)
		if prov != "" && p.Generalize != "label" && !declared[canonicalHangul(provStem)] {
			en.hangul = prov
			en.roman = prov
			if pg, ok := places[canonicalHangul(provStem)]; ok {
				en.roman = pg.Roman
			}
		} else {
			m := key.MAC([]byte("testimony pseudonym v1\x00place\x00" + en.canon))
			code := labelCode(m)
			en.hangul = "[장소 " + code + "]"
			en.roman = "[place " + code + "]"
		}
		en.hangulGiven, en.romanGiven, en.romanWestern = en.hangul, en.roman, en.roman
		x.pseudoHangul[en.hangul] = true
	}
	return nil
}

// setPseudonym gives en the pseudonym surname s, given name g.
func (x *index) setPseudonym(en *entity, s surnameEntry, g givenEntry) {
	x.pers.notePseudonym(s)
	en.hangul, en.hangulGiven = s.Hangul+g.Hangul, g.Hangul
	en.roman, en.romanGiven, en.romanWestern = s.Roman+" "+g.Roman, g.Roman, g.Roman+" "+s.Roman
	// A given name that is also a declared person's given name would be
	// read as that person: write such a pseudonym in full even where the
	// note had the given name alone.
	if x.declaredSpelling(g.Hangul, g.Roman) {
		en.hangulGiven, en.romanGiven = en.hangul, en.roman
	}
}

// findNames finds a registry entry's names in the lists and pools.
func findNames(sur []surnameEntry, giv map[string]givenEntry, s, g string) (surnameEntry, givenEntry, bool) {
	i := slices.IndexFunc(sur, func(e surnameEntry) bool { return e.Hangul == s })
	ge, ok := giv[g]
	if i < 0 || !ok {
		return surnameEntry{}, givenEntry{}, false
	}
	return sur[i], ge, true
}

// labelCode turns a MAC into three letters that cannot be misread.
func labelCode(m [32]byte) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	return string([]byte{letters[int(m[0])%len(letters)], letters[int(m[1])%len(letters)], letters[int(m[2])%len(letters)]})
}

// readsAsDeclared reports whether a candidate pseudonym, written in full,
// would itself be matched as a declared entity: then a second run would
// replace it again.
func (x *index) readsAsDeclared(s surnameEntry, g givenEntry) bool {
	return x.declaredSpelling(s.Hangul+g.Hangul, s.Roman+" "+g.Roman)
}

// declaredSpelling reports whether the Hangul word h or the romanized name
// r is a declared spelling.
func (x *index) declaredSpelling(h, r string) bool {
	// The declared spellings are all indexed before pseudonyms are
	// chosen, and the same candidates come up again and again when many
	// people are declared: remember the answers.
	k := h + "\x00" + r
	if v, ok := x.declaredCache[k]; ok {
		return v
	}
	v := x.isDeclaredSpelling(h, r)
	if x.declaredCache == nil {
		x.declaredCache = map[string]bool{}
	}
	x.declaredCache[k] = v
	return v
}

func (x *index) isDeclaredSpelling(h, r string) bool {
	for _, v := range hangulVariants(h) {
		if len(x.hangul[v]) > 0 {
			return true
		}
	}
	for _, name := range []string{r} {
		split, joined := latinTokens(name)
		for _, toks := range [][]string{split, joined} {
			ids := make([]int32, 0, len(toks))
			for _, t := range toks {
				id, ok := x.tokID[t]
				if !ok {
					break
				}
				ids = append(ids, id)
			}
			if len(ids) == len(toks) && len(x.latinTargets(ids, nil)) > 0 {
				return true
			}
		}
	}
	return false
}

// bloom is a one-hash Bloom filter over byte strings: has never says no for
// a key that was added.
type bloom [1 << 14]uint64 // 2^20 bits, 128 KiB

// bloomHash is FNV-1a, cut to 20 bits; bloomStep and bloomSum let a
// caller hash bytes as it makes them.
func bloomHash(b []byte) uint32 {
	h := bloomStart
	for _, c := range b {
		h = bloomStep(h, c)
	}
	return bloomSum(h)
}

const bloomStart = uint32(2166136261)

func bloomStep(h uint32, c byte) uint32 { return (h ^ uint32(c)) * 16777619 }
func bloomSum(h uint32) uint32          { return h >> 12 }

func (f *bloom) add(b []byte) {
	h := bloomHash(b)
	f[h/64] |= 1 << (h % 64)
}

func (f *bloom) has(b []byte) bool { return f.hasHash(bloomHash(b)) }

// hasHash is has for a hash from bloomHash, so that one hash serves
// several filters.
func (f *bloom) hasHash(h uint32) bool { return f[h/64]&(1<<(h%64)) != 0 }
