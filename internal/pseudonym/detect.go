package pseudonym

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// What nobody declared but a person must look at: words that look like a
// Korean name (a surname and a given name, in Hangul or romanized), a name
// with a title (Mr. Kim, 김 씨, 영철 동무), a declared person's one-syllable
// given name alone (Chol, 철이가), and places from the bundled gazetteer,
// which are generalized to their province.

// lexicon is what the detectors know about Korean names and places, built
// once from the bundled data.
type lexicon struct {
	surnameLatin  map[string]bool // folded spellings of Korean surnames
	surnameHangul map[string]bool
	syllables     map[string]bool // folded romanized given-name syllables
	givenHangul   map[string]bool // the given names of the bundled list
	placeHangul   map[string]placeEntry
	placeStart    sylSet   // first syllables of placeHangul keys
	surnameSyl    sylSet   // one-syllable surnames
	givenPair     *pairSet // givenHangul keys (all two syllables)
	surnamePair   *pairSet // two-syllable surnames
	// interesting holds every syllable a Hangul check can start with:
	// a word starting with any other is skipped at once.
	interesting   sylSet
	placeLatin    map[string]placeEntry // folded romanized name (without suffix)
	provinceRoman map[string]string     // province (Hangul) → romanized
}

// Classes of a romanized word in the bundled lists, looked up once when
// the text is tokenized (token.lex) instead of in each check.
const (
	lexTitle    uint8 = 1 << iota // latinTitles: "mr", "dr"
	lexSurname                    // lexicon.surnameLatin: "kim", "pak"
	lexLandmark                   // placeLexicon.landmarkFirst: "tumen", "mount"
	lexPlace                      // lexicon.placeLatin: "hoeryong"
)

// latinLex maps the folded words of the bundled lists to their classes,
// behind a Bloom filter (bloomHash, shared with the index's tokFilter).
var latinLex = sync.OnceValue(func() *latinLexicon {
	x := &latinLexicon{class: map[string]uint8{}}
	add := func(w string, c uint8) {
		x.class[w] |= c
		x.filter.add([]byte(w))
	}
	for w := range latinTitles {
		add(w, lexTitle)
	}
	for w := range lex().surnameLatin {
		add(w, lexSurname)
	}
	for w := range placeLex().landmarkFirst {
		add(w, lexLandmark)
	}
	for w := range lex().placeLatin {
		add(w, lexPlace)
	}
	return x
})

type latinLexicon struct {
	class  map[string]uint8
	filter bloom
}

// placeStoplist holds gazetteer names that are also everyday words (안주
// "snacks", 운전 "driving", 구성 "composition"…): they are recognized only
// with their administrative suffix (안주시, 운전군).
var placeStoplist = map[string]bool{
	// Chinese places whose stem is a common word: 관전 (watching), 백산,
	// 삼합 (and 안도, 통화, 집안 below).
	"관전": true, "백산": true, "삼합": true,
	"안주": true, "개천": true, "구성": true, "순천": true, "문천": true, "송림": true, "영광": true,
	"연사": true, "온천": true, "운전": true, "과일": true, "중화": true, "신흥": true, "장연": true,
	"은산": true, "고원": true, "금야": true, "정주": true, "대흥": true, "신천": true, "강동": true,
	"강서": true, "강남": true, "중강": true, "화평": true, "우시": true, "평원": true, "양덕": true,
	"성천": true, "회창": true, "대동": true, "연산": true, "수안": true, "곡산": true, "신평": true,
	"장풍": true, "판문": true, "백암": true, "고산": true, "세포": true, "평강": true, "이천": true,
	"법동": true, "안변": true, "통천": true, "고성": true, "금강": true, "창도": true, "김화": true,
	"철원": true, "회양": true, "청단": true, "연안": true, "배천": true, "해주": true, "옹진": true,
	"집안": true, "통화": true, "안도": true, "위원": true, "대안": true, "신원": true,
}

var lex = sync.OnceValue(func() *lexicon {
	l := &lexicon{
		surnameLatin: map[string]bool{}, surnameHangul: map[string]bool{}, syllables: map[string]bool{},
		givenHangul: map[string]bool{}, placeHangul: map[string]placeEntry{}, placeLatin: map[string]placeEntry{}, givenPair: newPairSet(), surnamePair: newPairSet(),
		provinceRoman: map[string]string{},
	}
	for _, s := range surnames() {
		for _, v := range hangulVariants(s.Hangul) {
			l.surnameHangul[v] = true
		}
		for _, r := range surnameRoman(s.Hangul) {
			l.surnameLatin[r] = true
		}
	}
	for _, g := range givenNames() {
		for _, v := range hangulVariants(g.Hangul) {
			l.givenHangul[v] = true
		}
		for _, c := range g.Hangul {
			a, b := syllableRoman(c)
			for _, s := range slices.Concat(a, b) {
				l.syllables[s] = true
			}
		}
	}
	for _, p := range gazetteer() {
		if p.Kind == "province" {
			l.provinceRoman[p.Hangul] = p.Roman
		}
	}
	for _, p := range gazetteer() {
		// The bare stem (회령 for 회령시) is a place too where it is rarely
		// anything else: North Korean cities and provinces, and the
		// Chinese cities and counties of the border crossings (장백 for
		// 장백현, 창바이 for 창바이현), unless the stem is a common word.
		bare := (p.Country == "KP" && (p.Kind == "city" || p.Kind == "special-city" || p.Kind == "province")) ||
			(p.Country == "CN" && (p.Kind == "city" || p.Kind == "county"))
		for _, h := range slices.Concat([]string{p.Hangul, p.HangulNK}, p.Other) {
			if h == "" {
				continue
			}
			stem, suffix := placeStem(h)
			for _, sv := range hangulVariants(stem) {
				if _, taken := l.placeHangul[sv+suffix]; !taken || h == p.Hangul || h == p.HangulNK {
					l.placeHangul[sv+suffix] = p
				}
				if len([]rune(sv)) >= 2 && !placeStoplist[canonicalHangul(sv)] && bare {
					if _, taken := l.placeHangul[sv]; !taken {
						l.placeHangul[sv] = p
					}
				}
			}
		}
		split, _ := latinTokens(p.Roman)
		for len(split) > 1 && isLatinSuffix(split[len(split)-1]) {
			split = split[:len(split)-1]
		}
		if j := strings.Join(split, ""); len(j) >= 4 {
			l.placeLatin[j] = p
		}
	}
	for k := range l.placeHangul {
		l.placeStart.add(k)
	}
	for k := range l.surnameHangul {
		if len(k) == 3 {
			l.surnameSyl.add(k)
		} else {
			l.surnamePair.add(k)
		}
	}
	for k := range l.givenHangul {
		l.givenPair.add(k)
	}
	for _, set := range []*sylSet{&l.placeStart, &l.surnameSyl, &l.givenPair.first, &l.surnamePair.first} {
		for i := range l.interesting {
			l.interesting[i] |= set[i]
		}
	}
	return l
})

func isLatinSuffix(t string) bool {
	for _, s := range placeSuffixLatin {
		if len(s) == 1 && s[0] == t {
			return true
		}
	}
	return false
}

var (
	latinTitles  = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "mister": true, "madam": true, "comrade": true, "sir": true, "prof": true, "professor": true, "uncle": true, "aunt": true, "auntie": true}
	hangulTitles = map[string]bool{"씨": true, "님": true, "동무": true, "동지": true, "선생": true, "선생님": true, "여사": true, "씨네": true}
)

// koreanish reports whether a folded word reads as one or two romanized
// Korean given-name syllables (young, chol, younghee).
func koreanish(w []byte, l *lexicon) bool {
	if len(w) < 2 || len(w) > 14 {
		return false
	}
	if l.syllables[string(w)] {
		return true
	}
	for i := 2; i <= len(w)-2; i++ {
		if l.syllables[string(w[:i])] && l.syllables[string(w[i:])] {
			return true
		}
	}
	return false
}

// word returns the folded letters of token i. The bytes are valid until
// the next call; use them as a map key (string(d.word(i))) or copy them.
func (d *doc) word(i int) []byte {
	t := d.toks[i]
	d.wkey = d.wkey[:0]
	for _, c := range d.v.runes[t.s:t.e] {
		if c != foldApostrophe {
			d.wkey = utf8.AppendRune(d.wkey, c)
		}
	}
	return d.wkey
}

// checkUndeclared flags or generalizes at token i, which no declared name
// matched. It returns the index of the next token to look at, or -1.
func (d *doc) checkUndeclared(i int) int {
	switch d.toks[i].kind {
	case tLatin:
		return d.checkLatin(i)
	case tHangul:
		return d.checkHangul(i)
	case tHan:
		return d.checkHan(i)
	}
	return -1
}

// nextLatin returns the index of the Latin token after i if only spaces
// (and, with dot, a period) separate them.
func (d *doc) nextLatin(i int, dot bool) int {
	if i+1 >= len(d.toks) || d.toks[i+1].kind != tLatin || d.inPII(d.toks[i+1].s, d.toks[i+1].full) {
		return -1
	}
	if d.sepOK(d.toks[i], d.toks[i+1]) {
		return i + 1
	}
	if !dot {
		return -1
	}
	between := d.v.runes[d.toks[i].full:d.toks[i+1].s]
	if len(between) > 3 || len(between) == 0 || between[0] != '.' {
		return -1
	}
	for _, r := range between[1:] {
		if r != foldSpace && r != foldNewline {
			return -1
		}
	}
	return i + 1
}

// province reports whether token k is a province of the gazetteer, which
// is what a declared or generalized place becomes ("Jilin"). It is never
// part of an undeclared name: read as one ("Hye – Jilin Kim"), it would
// take in words that the run which wrote it checked on their own, and the
// output would not be its own pseudonymization.
func (d *doc) province(k int) bool {
	t := d.toks[k]
	return t.lex&lexPlace != 0 && d.lex.placeLatin[string(d.word(k))].Kind == "province"
}

// isPseudoLatin reports whether tokens from..to spell a pseudonym.
func (d *doc) isPseudoLatin(from, to int) bool {
	words := make([]string, 0, to-from+1)
	for k := from; k <= to; k++ {
		words = append(words, string(d.word(k)))
	}
	return d.x.pseudoLatin[strings.Join(words, " ")]
}

// pseudoLatinFrom returns the last token of a pseudonym that starts at
// token i and runs over up to two more Latin tokens ("Song Chang-nam",
// "Song Chang Nam"), or -1 if none does.
func (d *doc) pseudoLatinFrom(i int) int {
	found := -1
	for k, n := i, 0; n < 2; n++ {
		j := d.nextLatin(k, false)
		if j < 0 {
			break
		}
		if d.isPseudoLatin(i, j) {
			found = j
		}
		k = j
	}
	return found
}

func (d *doc) checkLatin(i int) int {
	l := d.lex
	t := d.toks[i]
	if !t.upper && t.lex&lexTitle == 0 {
		return -1 // every check but the title starts with a capital letter
	}
	if n := d.matchInitials(i); n > i {
		return n
	}
	wb := d.word(i)
	isTitle := t.lex&lexTitle != 0
	if !t.upper && !isTitle {
		return -1
	}
	isSurname := t.lex&lexSurname != 0
	isKoreanish := koreanish(wb, l)
	long := len(wb) >= 4
	// A landmark ("the Amnok"), or a place from the gazetteer:
	// "Hoeryŏng", "Hoeryong County", "Gimchaek" (places.go).
	if n := d.checkPlaceLatin(i); n > i {
		return n
	}
	// A title and a name: "Mr. Kim".
	if isTitle {
		if j := d.nextLatin(i, true); j > 0 && d.toks[j].upper && !d.isPseudoLatin(j, j) {
			if n := d.afterTitle(i, j); n > j {
				return n
			}
			start, end := d.v.span(t.s, d.toks[j].e)
			if people := d.x.latinSurname[d.toks[j].id]; d.toks[j].id >= 0 && len(people) > 0 {
				d.addFlag(start, end, "title-surname", "a surname with a title, which could be "+d.ids(people),
					"write the full name (it is then replaced), or accept this flag if no one can be identified by it")
			} else {
				d.addFlag(start, end, "title-name", "a name with a title that nobody declared",
					"declare the person in the entities file, or accept this flag if it is not a person")
			}
			return j + 1
		}
		return -1
	}
	// A declared person's one-syllable given name alone: "Chol came back".
	if people := d.x.shortGivenLatin[t.id]; t.id >= 0 && t.upper && len(people) > 0 {
		start, end := d.v.span(t.s, t.e)
		d.addFlag(start, end, "short-given", "a one-syllable given name of "+d.ids(people)+", too short to replace safely",
			"write the full name (it is then replaced), or accept this flag")
		return i + 1
	}
	if !t.upper {
		return -1
	}
	// A surname and a given name: "Kim Young-chol", "Pak Tong Gu".
	if isSurname {
		last := -1
		for k, n := i, 0; n < 2; n++ {
			j := d.nextLatin(k, false)
			// The second part of a hyphenated given name is often in
			// lower case: Young-chol.
			if j < 0 || !(d.toks[j].upper || (n == 1 && d.hyphenBefore(j))) || !koreanish(d.word(j), l) || d.province(j) {
				break
			}
			last, k = j, j
		}
		// A pseudonym is never flagged, even when a syllable of its
		// given name is not in the list of given-name syllables
		// ("Song Chang-nam"): skip all of it.
		if end := d.pseudoLatinFrom(i); end > 0 {
			return end + 1
		}
		if last > 0 && !d.isPseudoLatin(i, last) {
			start, end := d.v.span(t.s, d.toks[last].e)
			d.addFlag(start, end, "korean-name", "looks like a Korean name that nobody declared",
				"declare the person in the entities file, or accept this flag if it is not a person")
			return last + 1
		}
	}
	if n := d.loneLatin(i, -1); n > i {
		return n
	}
	// A given name and a surname: "Young-chol Kim".
	if isKoreanish && !d.province(i) {
		for k, n := i, 0; n < 2; n++ {
			j := d.nextLatin(k, false)
			if j < 0 || !d.toks[j].upper {
				break
			}
			if d.toks[j].lex&lexSurname != 0 {
				if !d.isPseudoLatin(i, j) && (n == 1 || long) {
					start, end := d.v.span(t.s, d.toks[j].e)
					d.addFlag(start, end, "korean-name", "looks like a Korean name that nobody declared",
						"declare the person in the entities file, or accept this flag if it is not a person")
					return j + 1
				}
				break
			}
			if !koreanish(d.word(j), l) || d.province(j) {
				break
			}
			k = j
		}
	}
	return -1
}

func (d *doc) checkHangul(i int) int {
	l := d.lex
	t := d.toks[i]
	if !l.interesting.hasSyl(t.syl) && !d.x.shortSyl.hasSyl(t.syl) {
		return -1
	}
	hs := d.hstr(t) // 3 bytes a syllable
	n := len(hs) / 3
	// A place from the gazetteer.
	for k := min(n, 8); k >= 2 && d.places.has(hs); k-- {
		p, ok := l.placeHangul[hs[:3*k]]
		if !ok {
			continue
		}
		ends := hs[3*k:]
		if _, ok := firstEnding(ends); !ok {
			if !institutionTail(ends) { // 청진교화소: the place, then an institution
				continue
			}
			ends = ""
		}
		if p.Kind == "province" || d.x.pseudoHangul[hs[:3*k]] {
			return i + 1
		}
		d.generalize(t.s, t.s+k, p, ends, "")
		return i + 1
	}
	if d.x.pseudoPair.has(hs) && d.x.pseudoHangul[hs] {
		return -1
	}
	if n := d.loneHangul(i); n > i {
		return n
	}
	// A declared person's one-syllable given name with the familiar
	// suffix or a title: 철이가, 철 동무.
	if !d.x.shortSyl.hasSyl(t.syl) {
	} else if people := d.x.shortGivenHangul[hs[:3]]; len(people) > 0 {
		if first, ok := firstEnding(hs[3:]); ok && (first == "이" || first == "아" || hangulTitles[first]) && n > 1 {
			start, end := d.v.span(t.s, t.s+1)
			d.addFlag(start, end, "short-given", "a one-syllable given name of "+d.ids(people)+", too short to replace safely",
				"write the full name (it is then replaced), or accept this flag")
			return i + 1
		}
	}
	var next string // the next word, if a space separates it from this one
	if i+1 < len(d.toks) && d.toks[i+1].kind == tHangul && d.toks[i+1].s-t.e == 1 {
		next = d.hstr(d.toks[i+1])
	}
	for sl := 1; sl <= 2 && sl <= n; sl++ {
		sur := hs[:3*sl]
		if (sl == 1 && !l.surnameSyl.hasSyl(t.syl)) || (sl == 2 && !l.surnamePair.has(hs)) {
			continue
		}
		// A surname and a title: 김씨가; 김 씨가.
		if !titleAt(hs, sl) {
		} else if first, ok := firstEnding(hs[3*sl:]); ok && hangulTitles[first] {
			start, end := d.v.span(t.s, t.s+sl)
			d.addFlag(start, end, "title-surname", "a surname with a title"+d.declaredWith(sur),
				"write the full name (it is then replaced), or accept this flag if no one can be identified by it")
			return i + 1
		}
		if sl == n && next != "" && titleAt(next, 0) {
			if first, ok := firstEnding(next); ok && hangulTitles[first] {
				start, end := d.v.span(t.s, t.e)
				d.addFlag(start, end, "title-surname", "a surname with a title"+d.declaredWith(sur),
					"write the full name (it is then replaced), or accept this flag if no one can be identified by it")
				return i + 2
			}
		}
		// A surname and a given name from the list of names: 김영철은.
		if n >= sl+2 && l.givenPair.has(hs[3*sl:]) {
			if _, ok := firstEnding(hs[3*sl+6:]); ok && !d.x.pseudoHangul[hs[:3*sl+6]] {
				start, end := d.v.span(t.s, t.s+sl+2)
				d.addFlag(start, end, "korean-name", "looks like a Korean name that nobody declared",
					"declare the person in the entities file, or accept this flag if it is not a person")
				return i + 1
			}
		}
	}
	// A name, then a title as the next word: 영철 동무가, 김영철 씨.
	if next != "" && titleAt(next, 0) {
		first, ok := firstEnding(next)
		// Three syllables from a surname on, before a title, are a name
		// even when the given name is not in the list (김철수 씨).
		name := (n == 2 && l.givenPair.has(hs)) || (n == 3 && l.surnameSyl.has(hs))
		if ok && hangulTitles[first] && name {
			start, end := d.v.span(t.s, t.e)
			d.addFlag(start, end, "title-name", "a name with a title that nobody declared",
				"declare the person in the entities file, or accept this flag if it is not a person")
			return i + 2
		}
	}
	// A name with a title: 영철동무, 영철씨 are one word.
	for k := min(n-1, 4); k >= 2; k-- {
		if !titleAt(hs, k) {
			continue
		}
		first, ok := firstEnding(hs[3*k:])
		if !ok || !hangulTitles[first] || d.x.pseudoHangul[hs[:3*k]] {
			continue
		}
		if (k == 2 && l.givenPair.has(hs)) || l.surnameSyl.has(hs) {
			start, end := d.v.span(t.s, t.s+k)
			d.addFlag(start, end, "title-name", "a name with a title that nobody declared",
				"declare the person in the entities file, or accept this flag if it is not a person")
			return i + 1
		}
	}
	return -1
}

// hstr returns the Hangul of token t as a string, 3 bytes a syllable:
// usually a slice of the text itself, without copying.
func (d *doc) hstr(t token) string {
	// Every rune of a Hangul token is a syllable, 3 bytes in the source.
	if t.src >= 0 {
		return d.v.src[t.src : int(t.src)+3*(t.e-t.s)]
	}
	return string(d.v.runes[t.s:t.e]) // invisible characters were dropped inside
}

// generalize replaces an undeclared gazetteer place with its province and
// flags it. ends are the Hangul endings after it (re-agreed); latinProvince
// is the province's romanized name for romanized text.
func (d *doc) generalize(s, e int, p placeEntry, ends, latinProvince string) {
	start, end := d.v.span(s, e)
	place := d.v.src[start:end]
	text := p.Province
	if latinProvince != "" || !isHangulText(d.v.src[start:end]) {
		text = latinProvince
		if text == "" {
			text = p.Province
		}
	}
	flagLen := len(text)
	if ends != "" {
		e2, _ := splitEndings(ends)
		text += agree(e2, text, true)
		_, end = d.v.span(s, e+utf8.RuneCountInString(ends))
	}
	d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: text, ent: -1, original: place,
		flagKey: "place", flagLen: flagLen, flag: Flag{Reason: "a place that nobody declared was generalized to its province",
			Suggestion: "declare the place in the entities file to choose what replaces it, or accept this flag"}})
}

func isHangulText(s string) bool {
	for _, r := range s {
		if isHangul(r) {
			return true
		}
	}
	return false
}

func (d *doc) ids(people []int32) string {
	var ids []string
	for _, p := range people {
		ids = append(ids, d.x.ents[p].id)
	}
	return strings.Join(ids, " or ")
}

func (d *doc) declaredWith(sur string) string {
	if people := d.x.hangulSurname[sur]; len(people) > 0 {
		return ", which could be " + d.ids(people)
	}
	return ""
}

// hyphenBefore reports whether a hyphen (alone) separates token j from the
// token before it.
func (d *doc) hyphenBefore(j int) bool {
	between := d.v.runes[d.toks[j-1].full:d.toks[j].s]
	return len(between) == 1 && between[0] == foldHyphen
}

// titleAt reports whether syllable k of hs (3 bytes a syllable) can start a
// title (씨, 님, 동무, 동지, 선생, 여사): a cheap test before segmenting.
func titleAt(hs string, k int) bool {
	if len(hs) < 3*k+3 {
		return false
	}
	switch hs[3*k : 3*k+3] {
	case "씨", "님", "동", "선", "여":
		return true
	}
	return false
}
