package pseudonym

import (
	"slices"
	"strings"
	"sync"
	"unicode"
)

// What a declared person is called besides the full name, and what a
// pseudonym must never be.
//
//   - A title before the name ("Mr. Pak Chol-min", "Dr. HAN Kyong-ae",
//     "보위원 김철") is kept and the whole name after it replaced; a surname
//     the transcript wrote in capitals keeps its capitals ("Mr. CHOE
//     Myong-nam" → "Mr. KIM Sung-hwan"); a mistyped surname right before
//     the person's given name ("Mr. KHO Yong-chol" for Ko) goes with it.
//   - A declared surname alone ("Pak was 15", "Choe said", "Ms. KANG",
//     "박은 말했다", "윤 할머니가") is the person who carries it once that
//     person is named in the note: it becomes the pseudonym's surname. When
//     several declared people carry it, or its person is not named in the
//     note, it is flagged.
//   - Initials in speaker labels and abbreviations ("PCM:", "P.C.M.",
//     "K.S.") become the pseudonym's initials, written the same way.
//   - A pseudonym shares neither surname nor given name, in any spelling,
//     with the person it replaces, and, wherever the lists leave a choice,
//     with any declared person, and its initials are no declared person's:
//     otherwise the real name would show through ("최영희" for 김영희) or the
//     output would be read as a declared name again on a second pass. Nor
//     does it read as a place of the gazetteer with endings (성진아는).

// personIndex is what the index knows about declared people for the
// above.
type personIndex struct {
	// Every spelling of a declared surname or given name: the canonical
	// Hangul and the folded romanizations (given names joined: kyonghui).
	surnames, givens map[string]bool
	own              []ownNames // a person's own spellings, by entity
	// initials maps folded initials (pcm) to the people who have them.
	initials map[string][]int32
	// typos maps near-spellings of a declared romanized surname that are
	// no Korean surname (kho for Ko, cheo for Choe) to the spellings they
	// are near; latinSurname gives the people.
	typos map[string][]string
	// The romanized (folded) and Hangul surnames of the pseudonyms.
	pseudoSurLatin  map[string]bool
	pseudoSurHangul map[string]bool
	pseudoSurSyl    sylSet // pseudoSurHangul's first syllables
}

type ownNames struct{ surnames, givens []string }

func newPersonIndex() *personIndex {
	return &personIndex{surnames: map[string]bool{}, givens: map[string]bool{},
		initials: map[string][]int32{}, typos: map[string][]string{}, pseudoSurLatin: map[string]bool{}, pseudoSurHangul: map[string]bool{}}
}

// indexPeople records the spellings, initials and near-spellings of the
// declared people (entities 0 … len(e.People)-1 of x). Only spellings that
// a pseudonym's name can have are kept (a few thousand in all), so that
// the index stays small with tens of thousands of people.
func (x *index) indexPeople(e *Entities) {
	p := x.pers
	cands := candidateSet()
	// Many people share a surname or a given name: romanize each once.
	type surParts struct{ spellings, latin, letters []string }
	type givenParts struct{ spellings, letters []string }
	surMemo, givenMemo := map[string]*surParts{}, map[string]*givenParts{}
	typoDone := map[string]bool{} // spellings whose typos are recorded
	p.own = make([]ownNames, len(e.People))
	for k := range e.People {
		i := int32(k)
		en := &x.ents[i]
		own := &p.own[i]
		var surLatin []string
		inits := map[string]bool{}
		if en.surname != "" {
			sp := surMemo[en.surname]
			if sp == nil {
				sp = &surParts{latin: surnameRoman(en.surname)}
				for _, v := range append([]string{canonicalHangul(en.surname)}, sp.latin...) {
					if cands["s"+v] {
						sp.spellings = append(sp.spellings, v)
					}
				}
				for _, v := range sp.latin {
					if v != "" && !slices.Contains(sp.letters, v[:1]) {
						sp.letters = append(sp.letters, v[:1])
					}
				}
				surMemo[en.surname] = sp
			}
			gp := givenMemo[en.given]
			if gp == nil {
				gp = &givenParts{}
				if v := canonicalHangul(en.given); cands["g"+v] {
					gp.spellings = append(gp.spellings, v)
				}
				for _, f := range givenRoman(en.given) {
					if v := strings.Join(f, ""); cands["g"+v] {
						gp.spellings = append(gp.spellings, v)
					}
					if in := initialsOf(f); in != "" && !slices.Contains(gp.letters, in) {
						gp.letters = append(gp.letters, in)
					}
				}
				givenMemo[en.given] = gp
			}
			// Clipped: appending below copies instead of writing into
			// the shared arrays.
			own.surnames, own.givens = slices.Clip(sp.spellings), slices.Clip(gp.spellings)
			surLatin = slices.Clip(sp.latin)
			for _, a := range sp.letters {
				for _, b := range gp.letters {
					inits[a+b] = true
				}
			}
		}
		for _, n := range e.People[k].Names {
			if allHangul(strings.ReplaceAll(n, " ", "")) {
				continue
			}
			split, joined := latinTokens(n)
			if len(split) < 2 {
				continue
			}
			// Written surname first, as declared names usually are.
			// Usually already among the derived spellings: appending only
			// what is new keeps the shared lists uncopied.
			if cands["s"+split[0]] && !slices.Contains(own.surnames, split[0]) {
				own.surnames = append(own.surnames, split[0])
			}
			if g := strings.Join(joined[1:], ""); cands["g"+g] && !slices.Contains(own.givens, g) {
				own.givens = append(own.givens, g)
			}
			surLatin = append(surLatin, split[0])
			inits[initialsOf(split)] = true
		}
		for _, s := range own.surnames {
			p.surnames[s] = true
		}
		for _, g := range own.givens {
			p.givens[g] = true
		}
		// People are indexed in order, each once: appending keeps the
		// lists free of duplicates without searching them.
		for in := range inits {
			if len(in) >= 2 {
				p.initials[in] = append(p.initials[in], i)
			}
		}
		for _, s := range surLatin {
			if !typoDone[s] {
				typoDone[s] = true
				for _, t := range surnameTypos(s) {
					p.typos[t] = append(p.typos[t], s)
				}
			}
		}
	}
	// A near-spelling that is a real spelling of a surname is that
	// surname, not a typo.
	for t := range p.typos {
		if p.surnames[t] || lex().surnameLatin[t] {
			delete(p.typos, t)
		}
	}
}

// initialsOf returns the first letters of folded name parts (ASCII only).
func initialsOf(parts []string) string {
	b := make([]byte, 0, len(parts))
	for _, s := range parts {
		if s == "" || s[0] >= 0x80 {
			return ""
		}
		b = append(b, s[0])
	}
	return string(b)
}

// surnameTypos returns the misspellings of a folded romanized surname that
// transcripts show: an h after the first letter or at the end (Kho, Koh),
// two letters swapped (Cheo for Choe), a doubled vowel (Koo), an h dropped
// (Coe).
func surnameTypos(s string) []string {
	if len(s) < 2 || len(s) > 8 {
		return nil
	}
	var out []string
	out = append(out, s[:1]+"h"+s[1:], s+"h")
	for k := 0; k+1 < len(s); k++ {
		b := []byte(s)
		b[k], b[k+1] = b[k+1], b[k]
		out = append(out, string(b))
		if k > 0 && s[k] == 'h' {
			out = append(out, s[:k]+s[k+1:])
		}
	}
	if last := s[len(s)-1]; strings.IndexByte("aeiou", last) >= 0 {
		out = append(out, s+string(last))
	}
	return slices.DeleteFunc(out, func(t string) bool { return t == s })
}

// candidateSpellings are the spellings of every bundled surname and of
// every given name a pseudonym can be made of (the list's and the wider
// pool's, pool.go), as indexPeople records declared ones.
var candidateSpellings = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, s := range surnames() {
		m["s"+s.Hangul] = append([]string{canonicalHangul(s.Hangul)}, surnameRoman(s.Hangul)...)
	}
	for _, g := range pseudonymPools().all {
		v := []string{canonicalHangul(g.Hangul)}
		for _, f := range givenRoman(g.Hangul) {
			v = append(v, strings.Join(f, ""))
		}
		m["g"+g.Hangul] = v
	}
	return m
})

// candidateSet holds every spelling of candidateSpellings, surnames
// prefixed "s", given names "g".
var candidateSet = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for k, vs := range candidateSpellings() {
		for _, v := range vs {
			m[k[:1]+v] = true
		}
	}
	return m
})

// pseudonymInitials returns the folded initials of a pseudonym written
// s.Roman g.Roman ("Kim Sung-hwan" → ksh).
func pseudonymInitials(roman string) string {
	split, _ := latinTokens(roman)
	return initialsOf(split)
}

// echoes reports whether the candidate pseudonym s g for person i would
// be read as a place, or shares a surname or a given name, in any
// spelling, with that person; with others, also whether it shares one
// with any declared person, has a declared person's initials, or has the
// surname of a pseudonym given out before it.
func (p *personIndex) echoes(i int32, s surnameEntry, g givenEntry, others bool) bool {
	if readsAsPlace(s.Hangul+g.Hangul) || readsAsPlace(g.Hangul) {
		return true
	}
	cs, cg := candidateSpellings()["s"+s.Hangul], candidateSpellings()["g"+g.Hangul]
	if int(i) < len(p.own) {
		own := &p.own[i]
		for _, v := range cs {
			if slices.Contains(own.surnames, v) {
				return true
			}
		}
		for _, v := range cg {
			if slices.Contains(own.givens, v) {
				return true
			}
		}
	}
	if !others {
		return false
	}
	// Two people of a note with one pseudonym surname would read as one
	// person where the note has the surname alone ("Lim said").
	if p.pseudoSurHangul[s.Hangul] {
		return true
	}
	for _, v := range cs {
		if p.surnames[v] {
			return true
		}
	}
	for _, v := range cg {
		if p.givens[v] {
			return true
		}
	}
	return len(p.initials[pseudonymInitials(s.Roman+" "+g.Roman)]) > 0
}

// sharesGiven reports whether the given name g, in any spelling, is a
// declared person's given name.
func (p *personIndex) sharesGiven(g givenEntry) bool {
	for _, v := range candidateSpellings()["g"+g.Hangul] {
		if p.givens[v] {
			return true
		}
	}
	return false
}

// readsAsPlace reports whether a Hangul name would be read as a place of
// the gazetteer with endings after it (성진아는: 성진 and 아는), which a
// second pass would generalize.
func readsAsPlace(h string) bool {
	l := lex()
	for k := len(h) / 3; k >= 2; k-- {
		if _, ok := l.placeHangul[h[:3*k]]; ok {
			if _, ok := firstEnding(h[3*k:]); ok {
				return true
			}
		}
	}
	return false
}

// othersLeaveChoice reports whether enough of the bundled names are free of
// every declared spelling for pseudonyms to avoid them all: with a few
// declared people they are; with an organisation's whole registry every
// common surname is someone's, and then only a person's own name is
// avoided.
func (p *personIndex) othersLeaveChoice(sur []surnameEntry, giv []givenEntry) bool {
	var free, total float64
	for _, s := range sur {
		total += s.Share
		if !slices.ContainsFunc(candidateSpellings()["s"+s.Hangul], func(v string) bool { return p.surnames[v] }) {
			free += s.Share
		}
	}
	freeGiven := 0
	for _, g := range giv {
		if !slices.ContainsFunc(candidateSpellings()["g"+g.Hangul], func(v string) bool { return p.givens[v] }) {
			freeGiven++
		}
	}
	return total > 0 && len(giv) > 0 && free/total*float64(freeGiven)/float64(len(giv)) >= 0.05
}

// notePseudonym records the surname of a pseudonym given out.
func (p *personIndex) notePseudonym(s surnameEntry) {
	split, _ := latinTokens(s.Roman)
	if len(split) == 1 {
		p.pseudoSurLatin[split[0]] = true
	}
	p.pseudoSurHangul[s.Hangul] = true
	p.pseudoSurSyl.add(s.Hangul)
}

// pseudoSurname returns the Hangul and romanized surname of a person's
// pseudonym.
func (en *entity) pseudoSurname() (hangul, roman string) {
	rs := []rune(en.hangul)
	roman, _, _ = strings.Cut(en.roman, " ")
	return string(rs[:1]), roman
}

// ---------------------------------------------------------------------
// In a note.

// lone is a declared surname standing alone, decided once the whole note
// has been read: flag bytes [flagStart, end), replace [start, end).
type lone struct {
	flagStart, start, end int
	people                []int32
	upper                 bool     // written in capitals (KANG)
	hangul                bool     // a Hangul surname, with endings after it
	ends                  []string // the endings, for a Hangul surname
}

// Latin words that are also surnames' spellings: at the start of a
// sentence they are words ("So we left", "No one came", "Park the car").
var englishSurnames = map[string]bool{
	"so": true, "no": true, "do": true, "an": true, "oh": true, "ha": true, "ma": true, "ho": true, "go": true,
	"son": true, "song": true, "moon": true, "park": true, "young": true, "gang": true, "bang": true, "sin": true,
	"won": true, "yu": true, "ye": true, "yo": true, "in": true, "im": true, "on": true, "ok": true, "bo": true,
	"to": true, "me": true, "sung": true, "chin": true, "pack": true, "peak": true, "gun": true, "man": true, "mun": true,
	"hang": true, "hong": true, "pyo": true, "ban": true, "jin": true, "sun": true, "yoon": true, "tae": true, "han": true,
	"bin": true, "key": true, "wee": true, "woo": true, "pa": true, "pi": true, "am": true, "see": true, "sea": true, "bay": true,
}

// articles before a capitalized surname make it a thing: "the Han", "a Kang".
var articles = map[string]bool{"the": true, "a": true, "an": true, "this": true, "that": true}

// afterTitle handles the name after a title ("Mr." at token i-1, the name
// at j): a declared name is replaced, a mistyped surname goes with the
// given name after it, a lone declared surname is decided later, a
// pseudonym's surname is left alone. It returns the next token to look at,
// or -1 if none of these applies.
func (d *doc) afterTitle(title, j int) int {
	if n := d.matchLatin(j); n > 0 {
		return n
	}
	if len(d.x.pers.typos[string(d.word(j))]) > 0 && j+1 < len(d.toks) && d.sepOK(d.toks[j], d.toks[j+1]) {
		before := len(d.edits)
		if n := d.matchLatin(j + 1); n > 0 && len(d.edits) > before && d.edits[len(d.edits)-1].start == int(d.v.start[d.toks[j].s]) {
			return n
		}
	}
	if n := d.loneLatin(j, title); n > 0 {
		return n
	}
	return -1
}

// loneLatin records a declared romanized surname standing alone at token
// i (after a title at token title, or -1). A pseudonym's surname there is
// skipped, not flagged. It returns the next token, or -1.
func (d *doc) loneLatin(i, title int) int {
	t := d.toks[i]
	// One letter is a word or an initial (I, A), not a surname.
	if !t.upper || t.id < 0 && title < 0 || t.e-t.s < 2 {
		return -1
	}
	w := string(d.word(i))
	var people []int32
	if t.id >= 0 {
		people = d.x.latinSurname[t.id]
	}
	if len(people) == 0 && title >= 0 {
		// After a title a mistyped surname is a surname too (Mr. KHO).
		people = d.typoPeople(w)
	}
	if len(people) == 0 {
		if title >= 0 && d.x.pers.pseudoSurLatin[w] {
			return i + 1
		}
		return -1
	}
	// Followed by a capitalized word: a longer name ("Kim Chaek", "Han
	// River", an undeclared "Pak Mun-il").
	if j := d.nextLatin(i, false); j > 0 && d.toks[j].upper && !t.poss {
		return -1
	}
	if title < 0 {
		// After a capitalized word, an article, or (for a surname that
		// is also an English word) at the start of a sentence, it is no
		// surname standing alone.
		if i > 0 && d.toks[i-1].kind == tLatin && d.sepOK(d.toks[i-1], t) {
			prev := d.toks[i-1]
			if prev.upper || articles[string(d.word(i-1))] {
				return -1
			}
		}
		if englishSurnames[w] && d.sentenceStart(t.s) {
			return -1
		}
	}
	start, end := d.v.span(t.s, t.e)
	flagStart := start
	if title >= 0 {
		flagStart, _ = d.v.span(d.toks[title].s, d.toks[title].e)
	}
	d.lones = append(d.lones, lone{flagStart: flagStart, start: start, end: end, people: people, upper: isAllUpper(d.v.src[start:end])})
	return i + 1
}

// sentenceStart reports whether folded rune s begins a sentence: only
// spaces, quotes and brackets since the start of the text or a . ! ? : or
// line break.
func (d *doc) sentenceStart(s int) bool {
	for k := s - 1; k >= 0; k-- {
		switch r := d.v.runes[k]; {
		case r == foldSpace || r == foldMarkup || r == '"' || r == '(' || r == '[' || r == '\'' || r == '“' || r == '‘':
		case r == '.' || r == '!' || r == '?' || r == ':' || r == foldNewline:
			return true
		default:
			return false
		}
	}
	return true
}

// hangulLoneSafe are the surnames whose syllable with a case particle
// (김은, 박이, 최를) is hardly ever a word: alone with a particle they are
// read as the surname. Others (이는 "this is", 강에 "to the river", 정을
// "affection") count only with a title.
// (권 is left out: 세 권을 counts books.)
var hangulLoneSafe = map[string]bool{"김": true, "박": true, "최": true, "윤": true, "리": true, "림": true, "류": true, "곽": true, "엄": true, "맹": true}

// firstOf returns the first ending of a chain of endings, or "".
func firstOf(s string) string {
	f, _ := firstEnding(s)
	return f
}

// loneParticles are the case and auxiliary particles that may follow a
// surname standing alone (김은, 박이, 최를, 윤의, 김한테).
var loneParticles = map[string]bool{
	"은": true, "는": true, "이": true, "가": true, "을": true, "를": true, "의": true, "에게": true, "한테": true,
	"께": true, "께서": true, "께서는": true, "과": true, "와": true, "도": true, "만": true, "하고": true, "이랑": true, "랑": true,
	"에게서": true, "한테서": true, "에게는": true, "한테는": true, "처럼": true, "보다": true,
}

// hangulTitles2 are the titles, forms of address and job titles written
// after a surname: 김 씨, 윤 할머니, 박 보위원.
var hangulTitles2 = []string{
	"씨", "님", "선생님", "선생", "동무", "동지", "여사", "군", "양",
	"할머니", "할아버지", "아바이", "아바지", "오마니", "아주머니", "아줌마", "아저씨", "아지미", "영감", "형님", "누님",
	"교수", "박사", "기자", "위원장", "보위원", "보위지도원", "보안원", "안전원", "지도원", "반장", "소장", "부장", "과장",
	"비서", "지배인", "중대장", "대대장", "군관", "관리원", "단장", "사장",
}

// titleSyl holds the first syllables of hangulTitles2, loneSafeSyl the
// surnames of hangulLoneSafe: quick tests before the maps. titleSet is
// hangulTitles2 as a set, maxTitle its longest title in syllables.
var titleSyl, loneSafeSyl, titleSet, maxTitle = func() (t, s sylSet, set map[string]bool, n int) {
	set = map[string]bool{}
	for _, x := range hangulTitles2 {
		t.add(x)
		set[x] = true
		n = max(n, len(x)/3)
	}
	for x := range hangulLoneSafe {
		s.add(x)
	}
	return t, s, set, n
}()

// hangulTitle reports whether the Hangul word hs (3 bytes a syllable) is a
// title followed only by endings.
func hangulTitle(hs string) bool {
	if !titleSyl.has(hs) {
		return false
	}
	for k := min(len(hs)/3, maxTitle); k >= 1; k-- {
		if titleSet[hs[:3*k]] {
			if _, ok := firstEnding(hs[3*k:]); ok {
				return true
			}
		}
	}
	return false
}

// loneHangul records a declared Hangul surname standing alone at token i:
// with a title (김씨가, 김 씨가, 윤 할머니가) or, for the surnames of
// hangulLoneSafe, with a particle (박은 말했다). A pseudonym's surname with a
// title is skipped, not flagged. It returns the next token, or -1.
func (d *doc) loneHangul(i int) int {
	t := d.toks[i]
	if !d.x.surnameSyl.hasSyl(t.syl) && !d.x.pers.pseudoSurSyl.hasSyl(t.syl) {
		return -1
	}
	hs := d.hstr(t)
	// Right after a digit or a letter it is part of something else (10리).
	if t.s > 0 && (unicode.IsDigit(d.v.runes[t.s-1]) || unicode.IsLetter(d.v.runes[t.s-1])) {
		return -1
	}
	for sl := 1; sl <= 2 && 3*sl <= len(hs); sl++ {
		sur, rest := hs[:3*sl], hs[3*sl:]
		titled := false
		switch {
		case rest != "":
			titled = hangulTitle(rest)
		case i+1 < len(d.toks) && d.toks[i+1].kind == tHangul && d.toks[i+1].s-t.e == 1 && d.v.runes[t.e] == foldSpace:
			titled = hangulTitle(d.hstr(d.toks[i+1]))
		}
		// A job title as the word before, on its own (보위원 강이 말했다;
		// not 보위원이 강을 건넜다).
		if !titled && rest != "" && i > 0 && d.toks[i-1].kind == tHangul && t.s-d.toks[i-1].e == 1 && d.v.runes[t.s-1] == foldSpace {
			if prev := d.toks[i-1]; titleSyl.hasSyl(prev.syl) && titleSet[d.hstr(prev)] {
				titled = loneParticles[firstOf(rest)]
			}
		}
		if !titled && (rest == "" || sl != 1 || !loneSafeSyl.has(sur)) {
			continue
		}
		people := d.x.hangulSurname[sur]
		if len(people) == 0 {
			if titled && d.x.pers.pseudoSurHangul[sur] {
				return i + 1
			}
			continue
		}
		ends, ok := splitEndings(rest)
		// Without a title the surname must be followed by a case
		// particle: 최고의 is 최고 ("best") and 의, not 최 and 고의.
		if !ok || !titled && !loneParticles[ends[0]] {
			continue
		}
		start, end := d.v.span(t.s, t.e)
		d.lones = append(d.lones, lone{flagStart: start, start: start, end: end, people: people, hangul: true, ends: ends})
		if rest == "" && titled {
			return i + 2
		}
		return i + 1
	}
	return -1
}

// typoPeople returns the declared people whose romanized surname the
// folded word w is a near-spelling of.
func (d *doc) typoPeople(w string) []int32 {
	var people []int32
	for _, s := range d.x.pers.typos[w] {
		if id, ok := d.x.tokID[s]; ok {
			for _, p := range d.x.latinSurname[id] {
				people = appendUnique(people, p)
			}
		}
	}
	return people
}

// resolveLones decides the lone surnames once the note has been read: a
// surname only one declared person carries becomes that person's
// pseudonym's surname if the note names the person; otherwise it is
// flagged.
func (d *doc) resolveLones() {
	if len(d.lones) == 0 {
		return
	}
	named := map[int32]bool{}
	for _, e := range d.edits {
		if e.kind == editReplace && e.ent >= 0 {
			named[e.ent] = true
		}
	}
	for _, l := range d.lones {
		flagEnd := l.end
		if l.hangul {
			flagEnd = l.start + len(d.v.src[l.start:l.end]) - len(strings.Join(l.ends, ""))
		}
		if len(l.people) > 1 {
			d.addFlag(l.flagStart, flagEnd, "lone-surname",
				"a surname alone that more than one declared person has ("+d.ids(l.people)+")",
				"write the full name (it is then replaced), or accept this flag if no one can be identified by it")
			continue
		}
		p := l.people[0]
		if !named[p] {
			d.addFlag(l.flagStart, flagEnd, "lone-surname",
				"the surname of "+d.ids(l.people)+", who is not named in this note",
				"write the full name (it is then replaced), or accept this flag if it is someone else")
			continue
		}
		en := &d.x.ents[p]
		h, r := en.pseudoSurname()
		text := r
		if l.upper {
			text = strings.ToUpper(r)
		}
		if l.hangul {
			text = h + agree(l.ends, h, true)
		}
		d.edits = append(d.edits, edit{start: l.start, end: l.end, kind: editReplace, text: text, ent: p, original: d.v.src[l.start:flagEnd]})
	}
}

// acronyms are upper-case words that are initials of no one in a note
// about North Korea; as a speaker label ("KSH:") they still count.
var acronyms = map[string]bool{
	"un": true, "us": true, "uk": true, "nk": true, "sk": true, "rok": true, "dprk": true, "prc": true, "ngo": true, "kpa": true,
	"nis": true, "mss": true, "coi": true, "icc": true, "ohchr": true, "hrc": true, "kpw": true, "usd": true, "cny": true,
	"krw": true, "tv": true, "id": true, "ok": true, "kcna": true, "wpk": true, "sms": true, "gps": true, "dmz": true,
	"jsa": true, "nhk": true, "bbc": true, "cnn": true, "kbs": true, "mbc": true, "sbs": true, "rfa": true, "voa": true,
	"am": true, "pm": true, "ad": true, "bc": true, "ie": true, "eg": true, "pc": true, "cd": true, "dvd": true, "usb": true,
}

// capsWords are English words of three or four letters, which a heading
// or a shout writes in capitals.
var capsWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and but for nor yet his her hers him she was are not yes who why how you
		all any can did get got had has its let may new now old one our out own put say see set too two use way
		day man men off big end far few low run sat saw son war job car bus law sir god via per
		this that they them then than when what with from have were will been into only also just over some such
		very more most much many here there once upon said each both same back down even ever last like long
		made make went came come home left life kill dead jail camp help work food rice army navy`) {
		capsWords[w] = true
	}
}

// capsAround reports whether the Latin word before or after token i is in
// capitals too.
func (d *doc) capsAround(i int) bool {
	for _, k := range [2]int{i - 1, i + 1} {
		if k < 0 || k >= len(d.toks) || d.toks[k].kind != tLatin {
			continue
		}
		a, b := d.v.span(d.toks[k].s, d.toks[k].e)
		if isAllUpper(d.v.src[a:b]) {
			return true
		}
	}
	return false
}

// matchInitials replaces the initials of a declared person at token i:
// "PCM", "PC:" (two letters only before a colon), "P.C.M.", "P. C. M.". It
// returns the next token, or -1.
func (d *doc) matchInitials(i int) int {
	p := d.x.pers
	if len(p.initials) == 0 {
		return -1
	}
	rs := d.v.runes
	t := d.toks[i]
	var letters []byte
	last, dots, spaced := i, false, false
	switch n := t.e - t.s; {
	case n == 1:
		for k := i; k < len(d.toks) && len(letters) < 4; k++ {
			tk := d.toks[k]
			if tk.kind != tLatin || tk.e-tk.s != 1 || !tk.upper || tk.e >= len(rs) || rs[tk.e] != '.' || rs[tk.s] >= 0x80 {
				break
			}
			letters = append(letters, byte(rs[tk.s]))
			last = k
			if k+1 >= len(d.toks) || d.toks[k+1].e-d.toks[k+1].s != 1 {
				break
			}
			gap := d.toks[k+1].s - (tk.e + 1)
			if gap > 1 || (gap == 1 && rs[tk.e+1] != foldSpace) {
				break
			}
			spaced = spaced || gap == 1
		}
		if len(letters) < 2 {
			return -1
		}
		dots = true
	case n <= 4:
		start, end := d.v.span(t.s, t.e)
		if !isAllUpper(d.v.src[start:end]) || t.poss {
			return -1
		}
		w := d.word(i)
		for _, c := range w {
			if c < 'a' || c > 'z' {
				return -1
			}
		}
		colon := t.e < len(rs) && rs[t.e] == ':'
		// Without a colon, not a word in capitals (HIS, WHO) nor one
		// among words in capitals (a heading).
		if !colon && (n == 2 || acronyms[string(w)] || capsWords[string(w)] || d.capsAround(i)) {
			return -1
		}
		letters = append(letters, w...)
	default:
		return -1
	}
	people := p.initials[string(letters)]
	if len(people) == 0 {
		return -1
	}
	start, _ := d.v.span(t.s, t.e)
	_, end := d.v.span(d.toks[last].s, d.toks[last].e)
	if dots {
		end++ // the last dot
	}
	if len(people) > 1 {
		d.addFlag(start, end, "initials", "initials that more than one declared person has ("+d.ids(people)+")",
			"write the name (it is then replaced), or accept this flag if no one can be identified by them")
		return last + 1
	}
	en := &d.x.ents[people[0]]
	in := strings.ToUpper(pseudonymInitials(en.roman))
	text := in
	if dots {
		sep := "."
		if spaced {
			sep = ". "
		}
		text = strings.Join(strings.Split(in, ""), sep) + "."
	}
	d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: text, ent: people[0], original: d.v.src[start:end]})
	return last + 1
}

// widenGiven is called when matchLatin replaced tokens i … last with
// target t, written text at source bytes [start, end). A given name alone
// takes a mistyped surname of the same person beside it ("KHO Yong-chol",
// "Yong-chol Koh"); a surname written in capitals keeps its capitals
// ("CHOE Myong-nam" → "KIM Sung-hwan").
func (d *doc) widenGiven(i, last int, t target, start, end int, text string) (int, int, string) {
	en := &d.x.ents[t.ent]
	typoOf := func(k int) bool {
		tk := d.toks[k]
		return tk.kind == tLatin && tk.upper && tk.id < 0 && slices.Contains(d.typoPeople(string(d.word(k))), t.ent)
	}
	upperAt := func(k int) bool {
		a, b := d.v.span(d.toks[k].s, d.toks[k].e)
		return isAllUpper(d.v.src[a:b])
	}
	if isAllUpper(d.v.src[start:end]) {
		return start, end, text
	}
	_, sur := en.pseudoSurname()
	switch t.form {
	case formGiven:
		if i > 0 && d.sepOK(d.toks[i-1], d.toks[i]) && typoOf(i-1) {
			start, _ = d.v.span(d.toks[i-1].s, d.toks[i-1].e)
			text = en.roman
			if upperAt(i - 1) {
				text = strings.ToUpper(sur) + strings.TrimPrefix(text, sur)
			}
		} else if last+1 < len(d.toks) && !d.toks[last].poss && d.sepOK(d.toks[last], d.toks[last+1]) && typoOf(last+1) {
			_, end = d.v.span(d.toks[last+1].s, d.toks[last+1].e)
			text = en.romanWestern
			if upperAt(last + 1) {
				text = strings.TrimSuffix(text, sur) + strings.ToUpper(sur)
			}
		}
	case formFull:
		if last > i && upperAt(i) && strings.HasPrefix(text, sur+" ") {
			text = strings.ToUpper(sur) + strings.TrimPrefix(text, sur)
		}
	case formWestern:
		if last > i && upperAt(last) && strings.HasSuffix(text, " "+sur) {
			text = strings.TrimSuffix(text, sur) + strings.ToUpper(sur)
		}
	}
	return start, end, text
}
