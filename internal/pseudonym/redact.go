package pseudonym

import (
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Redactor pseudonymizes notes for one set of declared entities under one
// pseudonym key. It is safe for concurrent use.
type Redactor struct {
	x             *index
	key           Keyed
	declaredNames map[string][]string // entity ID → names and aliases, for the record
	safe          map[string]bool     // replacements that hold no declared name (quick.go)
}

// New indexes the entities and picks their pseudonyms. It fails if two
// declared people cannot be told apart.
func New(e *Entities, key Keyed) (*Redactor, error) { return NewWithRegistry(e, key, nil) }

// NewWithRegistry is New with the organisation's registry of pseudonyms: a
// person it knows keeps the pseudonym recorded there, and no one else gets
// a pseudonym it gave to someone. New people are recorded in it; the
// caller saves it.
func NewWithRegistry(e *Entities, key Keyed, reg *Registry) (*Redactor, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	x, err := buildIndex(e, key, reg)
	if err != nil {
		return nil, err
	}
	r := &Redactor{x: x, key: key, declaredNames: map[string][]string{}}
	for _, p := range e.People {
		r.declaredNames[p.ID] = slices.Concat(p.Names, p.Aliases)
	}
	for _, p := range e.Places {
		r.declaredNames[p.ID] = slices.Concat(p.Names, p.Aliases)
	}
	r.safe = r.safeTexts()
	return r, nil
}

// Span is a byte range [Start, End) of the output text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Replacement says where a declared entity's pseudonym was written.
type Replacement struct {
	Entity    string `json:"entity"`
	Kind      string `json:"kind"` // person or place
	Pseudonym string `json:"pseudonym"`
	Spans     []Span `json:"spans"`
}

// Flag is something a person must decide before the note is sealed: a word
// that looks like a name nobody declared, a name that could be more than
// one declared person, a place generalized from the gazetteer. It never
// holds the flagged text; ID is stable for the same text under the same
// key, so that a decision (accept-flag) survives edits elsewhere.
type Flag struct {
	ID         string `json:"id"`
	Start      int    `json:"start"`
	End        int    `json:"end"`
	Reason     string `json:"reason"`
	Suggestion string `json:"suggestion"`
}

// Masked is an identifier that was masked.
type Masked struct {
	Kind  string `json:"kind"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Report lists what was done to a note, without any of the real text.
type Report struct {
	Format       string        `json:"format"`
	Replacements []Replacement `json:"replacements"`
	Flags        []Flag        `json:"flags"`
	Masked       []Masked      `json:"masked"`
}

// ReportFormat names the report's format.
const ReportFormat = "testimony-redact-report-v1"

// Reid is the re-identification record of one note, for custodians only:
// which real spellings were replaced by which pseudonym, and what was
// masked.
type Reid struct {
	Format string       `json:"format"`
	People []ReidEntry  `json:"people"`
	Places []ReidEntry  `json:"places"`
	Masked []ReidMasked `json:"masked"`
}

// ReidFormat names the re-identification record's format.
const ReidFormat = "testimony-reid-v1"

// ReidEntry maps a declared entity to its pseudonym and the spellings of
// it that the note contained.
type ReidEntry struct {
	Entity    string   `json:"entity"`
	Pseudonym string   `json:"pseudonym"`
	Romanized string   `json:"romanized,omitempty"`
	Declared  []string `json:"declared"`
	Found     []string `json:"found"`
}

// ReidMasked is a masked identifier and what replaced it.
type ReidMasked struct {
	Kind        string `json:"kind"`
	Original    string `json:"original"`
	Replacement string `json:"replacement"`
}

// Result is a pseudonymized note.
type Result struct {
	Text   string
	Report Report
	Reid   Reid
}

// editKind orders what happens to a stretch of text.
type editKind uint8

const (
	editReplace editKind = iota + 1
	editMask
	editFlag
)

// edit is a change (or a flag) at source bytes [start, end).
type edit struct {
	start, end int
	kind       editKind
	text       string // the replacement
	ent        int32  // the entity replaced, or -1
	original   string // the replaced name (for the record)
	maskKind   string
	flag       Flag
	flagKey    string
	flagLen    int // for a flagged replacement: the bytes of text the flag covers (0: all)
}

// token kinds.
const (
	tLatin uint8 = iota + 1
	tHangul
	tHan
	tOther
)

type token struct {
	s, e int   // folded runes [s, e); for Latin, e ends the name part
	full int   // end of the whole token (after a possessive 's)
	id   int32 // Latin: token ID, -1 if unknown
	// Hangul: where the token's syllables start in the source, when the
	// source is exactly those syllables (nothing invisible dropped
	// inside), else -1; and the index of its first syllable (see
	// syllable), for the syllable sets.
	src   int32
	syl   uint16
	kind  uint8
	upper bool  // Latin: starts with a capital letter in the source
	poss  bool  // Latin: ends in a possessive 's
	lex   uint8 // Latin: its classes in the bundled lists (lexTitle…)
}

// doc is one Redact call.
type doc struct {
	r     *Redactor
	x     *index
	v     *view
	toks  []token
	edits []edit
	pii   []piiSpan
	key   []byte // scratch
	wkey  []byte // scratch for word
	// tbuf and bestT are scratch for longestLatin.
	tbuf, bestT []target
	// inPII's cursor: the first span that may touch offset piiAt.
	piiCur, piiAt int
	quick         bool // declared names only: no flags, no gazetteer

	lones []lone // declared surnames alone, decided at the end (persons.go)
	tz    tokenizer

	// The bundled lists, fetched once for the call.
	lex      *lexicon
	latinLex *latinLexicon
	places   *pairSet // placePairs
}

// Redact pseudonymizes text. It never fails: what it cannot decide it
// flags.
func (r *Redactor) Redact(text string) *Result {
	res, made := r.redactOnce(toNFC(text))
	// A pseudonym can, next to a word the note left alone, spell another
	// declared name ("Suk" and "Kim Soon-ok" read as "Suk Kim"). Such a
	// name can only appear around a change, so the text around each change
	// is checked; if any changes, the whole output is run again until
	// nothing changes, so that the output is always its own
	// pseudonymization. Earlier spans are carried over.
	for range 3 {
		if !r.changesAround(res.Text, made) {
			break
		}
		next, applied := r.redactOnce(res.Text)
		if next.Text == res.Text {
			break
		}
		res, made = merge(res, next, applied), applied
	}
	return res
}

// changesAround reports whether redacting the text around any of the edits
// (a few words on each side) would change it.
func (r *Redactor) changesAround(out string, made []applied) bool {
	const reach = 48 // bytes: more than the other words of any name
	lo, hi := -1, -1
	check := func() bool { return lo >= 0 && r.hasDeclared(out[lo:hi]) }
	for _, e := range made {
		if !r.mayJoin(out, e) {
			continue
		}
		a, b := snapBack(out, e.outStart-reach), snapForward(out, e.outEnd+reach)
		if lo >= 0 && a <= hi {
			hi = max(hi, b)
			continue
		}
		if check() {
			return true
		}
		lo, hi = a, b
	}
	return check()
}

// mayJoin reports whether the text an edit wrote could form a name with
// the words around it. Romanized text can (a given name before a surname);
// a Hangul word only after a declared surname on its own (김 + a given name)
// or across a line break.
func (r *Redactor) mayJoin(out string, e applied) bool {
	first, _ := utf8.DecodeRuneInString(out[e.outStart:])
	if !isHangul(first) {
		return r.latinMayJoin(out, e.outStart, e.outEnd)
	}
	if e.outEnd < len(out) && out[e.outEnd] == '\n' {
		return true
	}
	if e.outStart < 2 || (out[e.outStart-1] != ' ' && out[e.outStart-1] != '\n') {
		return false
	}
	before := out[:e.outStart-1]
	if i := strings.LastIndexAny(before, " \n\t"); i >= 0 {
		before = before[i+1:]
	}
	return len(r.x.hangulSurname[before]) > 0
}

// hasDeclared reports whether text holds a declared name, looking for
// nothing else.
func (r *Redactor) hasDeclared(text string) bool {
	d := docPool.Get().(*doc)
	defer d.release()
	d.r, d.x, d.quick = r, r.x, true
	d.read(text)
	d.match()
	for _, e := range d.edits {
		if e.kind == editReplace && e.ent >= 0 {
			return true
		}
	}
	return false
}

// snapBack moves i back to the start of a line or after a space (or 0);
// snapForward moves i forward to a space or line end (or the end): the
// windows changesAround checks do not cut words.
func snapBack(s string, i int) int {
	if i <= 0 {
		return 0
	}
	if j := strings.LastIndexAny(s[:i], " \n\t"); j >= 0 {
		return j + 1
	}
	return 0
}

func snapForward(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	if j := strings.IndexAny(s[i:], " \n\t"); j >= 0 {
		return i + j
	}
	return len(s)
}

// applied is an edit as made: source bytes [start, end) became output bytes
// [outStart, outEnd).
type applied struct{ start, end, outStart, outEnd int }

// mapOffset maps a byte offset of an input to the output of the edits.
func mapOffset(edits []applied, o int) int {
	delta := 0
	for _, e := range edits {
		switch {
		case o < e.start:
			return o + delta
		case o < e.end:
			return e.outStart
		}
		delta = e.outEnd - e.end
	}
	return o + delta
}

// merge carries the report and record of an earlier pass (prev, on the
// input of next) over to next.
func merge(prev, next *Result, edits []applied) *Result {
	span := func(s Span) Span {
		a, b := mapOffset(edits, s.Start), mapOffset(edits, s.End)
		return Span{a, max(a, b)}
	}
	out := next
	for _, rp := range prev.Report.Replacements {
		k := slices.IndexFunc(out.Report.Replacements, func(x Replacement) bool { return x.Entity == rp.Entity })
		if k < 0 {
			out.Report.Replacements = append(out.Report.Replacements, Replacement{Entity: rp.Entity, Kind: rp.Kind, Pseudonym: rp.Pseudonym})
			k = len(out.Report.Replacements) - 1
		}
		for _, s := range rp.Spans {
			out.Report.Replacements[k].Spans = append(out.Report.Replacements[k].Spans, span(s))
		}
	}
	for _, f := range prev.Report.Flags {
		s := span(Span{f.Start, f.End})
		f.Start, f.End = s.Start, s.End
		out.Report.Flags = append(out.Report.Flags, f)
	}
	for _, m := range prev.Report.Masked {
		s := span(Span{m.Start, m.End})
		m.Start, m.End = s.Start, s.End
		out.Report.Masked = append(out.Report.Masked, m)
	}
	for _, rp := range out.Report.Replacements {
		slices.SortFunc(rp.Spans, func(a, b Span) int { return a.Start - b.Start })
	}
	slices.SortStableFunc(out.Report.Flags, func(a, b Flag) int { return a.Start - b.Start })
	slices.SortStableFunc(out.Report.Masked, func(a, b Masked) int { return a.Start - b.Start })
	mergeEntries := func(dst *[]ReidEntry, src []ReidEntry) {
		for _, e := range src {
			k := slices.IndexFunc(*dst, func(x ReidEntry) bool { return x.Entity == e.Entity })
			if k < 0 {
				*dst = append(*dst, e)
				continue
			}
			for _, f := range e.Found {
				if !slices.Contains((*dst)[k].Found, f) {
					(*dst)[k].Found = append((*dst)[k].Found, f)
				}
			}
		}
	}
	mergeEntries(&out.Reid.People, prev.Reid.People)
	mergeEntries(&out.Reid.Places, prev.Reid.Places)
	out.Reid.Masked = append(prev.Reid.Masked, out.Reid.Masked...)
	return out
}

// redactOnce is one pass over src (NFC); it also returns the edits it made.
func (r *Redactor) redactOnce(src string) (*Result, []applied) {
	d := docPool.Get().(*doc)
	defer d.release()
	d.r, d.x = r, r.x
	d.read(src)
	d.pii = findPII(src)
	for _, p := range d.pii {
		d.edits = append(d.edits, edit{start: p.Start, end: p.End, kind: editMask, text: p.Replacement, ent: -1, maskKind: p.Kind, original: src[p.Start:p.End]})
	}
	d.match()
	return d.result()
}

// docPool keeps the buffers of finished calls: a note of a megabyte needs
// several megabytes of them.
var docPool = sync.Pool{New: func() any { return &doc{v: &view{}} }}

// release returns d to the pool, keeping its buffers and nothing else.
func (d *doc) release() {
	*d = doc{v: d.v, toks: d.toks[:0], edits: d.edits[:0], key: d.key[:0], wkey: d.wkey[:0], tbuf: d.tbuf[:0]}
	d.v.src, d.v.tagEnd = "", nil
	docPool.Put(d)
}

// inPII reports whether folded runes [s, e) touch a masked identifier.
func (d *doc) inPII(s, e int) bool {
	if len(d.pii) == 0 || s >= e {
		return false
	}
	a := int(d.v.start[s])
	// Tokens are asked about in order, with short looks ahead: move a
	// cursor forward, and search again only when asked about an earlier
	// place.
	if a < d.piiAt {
		d.piiCur = sort.Search(len(d.pii), func(i int) bool { return d.pii[i].End > a })
	}
	for d.piiCur < len(d.pii) && d.pii[d.piiCur].End <= a {
		d.piiCur++
	}
	d.piiAt = a
	return d.piiCur < len(d.pii) && d.pii[d.piiCur].Start < d.v.end(e-1)
}

// read folds src and splits it into words, in one pass.
func (d *doc) read(src string) {
	d.lex, d.latinLex, d.places = lex(), latinLex(), placePairs()
	if d.tz.latin == nil {
		d.tz.latin = d.latinWord
	}
	d.tz.toks = d.toks
	d.v = d.v.fold(src, &d.tz)
	d.toks = d.tz.toks
}

// latinWord looks a Latin word up: its token ID in the index, and its
// classes in the bundled lists.
func (d *doc) latinWord(letters []rune) (id int32, lex uint8) {
	d.key = d.key[:0]
	h := bloomStart // bloomHash(d.key), made with it
	for _, c := range letters {
		switch {
		case c < utf8.RuneSelf && c != foldApostrophe:
			d.key = append(d.key, byte(c))
			h = bloomStep(h, byte(c))
		case c >= utf8.RuneSelf:
			n := len(d.key)
			d.key = utf8.AppendRune(d.key, c)
			for _, b := range d.key[n:] {
				h = bloomStep(h, b)
			}
		}
	}
	h = bloomSum(h)
	id = -1
	if d.x.tokFilter.hasHash(h) {
		if n, ok := d.x.tokID[string(d.key)]; ok {
			id = n
		}
	}
	if d.latinLex.filter.hasHash(h) {
		lex = d.latinLex.class[string(d.key)]
	}
	return id, lex
}

func isLatinLetter(r rune) bool {
	if r < 0x80 {
		return 'a' <= r && r <= 'z'
	}
	return !isHangul(r) && !isHan(r) && unicode.IsLetter(r)
}

// sepOK reports whether the runes between two tokens may separate the
// parts of one name: spaces, line breaks, markup, and at most one hyphen
// ("Suk-Han", "Suk-\nHan", "Kim Suk Han").
func (d *doc) sepOK(a, b token) bool {
	if a.poss || b.s-a.full > 8 {
		return false
	}
	hyphens := 0
	for _, r := range d.v.runes[a.full:b.s] {
		switch r {
		case foldSpace, foldNewline, foldMarkup:
		case foldHyphen:
			hyphens++
		default:
			return false
		}
	}
	return hyphens <= 1
}

// match finds every declared name and every thing to flag.
func (d *doc) match() {
	for i := 0; i < len(d.toks); {
		t := d.toks[i]
		if d.inPII(t.s, t.full) {
			i++
			continue
		}
		next := -1
		switch t.kind {
		case tLatin:
			if t.lex&lexLandmark == 0 {
			} else if n := d.landmarkLatinAt(i, false); n > i { // "Changbai Mountains": not the county
				i = n
				continue
			}
			if t.id >= 0 { // every declared name starts with a known word
				next = d.matchLatin(i)
			}
		case tHangul:
			if d.endingsAfterParenthesis(i) {
				i++
				continue
			}
			if d.x.hangulStart.hasSyl(t.syl) {
				next = d.matchHangul(i)
			}
		case tHan:
			d.matchHan(i)
		}
		if next > i {
			i = next
			continue
		}
		if d.quick || t.kind == tLatin && !t.upper && t.lex&lexTitle == 0 || t.kind == tHangul && !d.x.hangulCheck.hasSyl(t.syl) {
			i++ // the first tests of checkLatin and checkHangul
			continue
		}
		if n := d.undeclaredBefore(i); n > i {
			i = n
			continue
		}
		i++
	}
	d.resolveLones()
}

// undeclaredBefore runs checkUndeclared at token i, but never over a
// declared name: a capitalized word joined before one ("Chang Jin Xihan",
// "Kim – Jin Xihan") can read with the name's first part as an undeclared
// name, and the declared name's first part would then be flagged instead
// of replaced, and its rest left as it is. When the check took in the
// first token of a declared romanized name, what it did is undone and it
// is run again on the tokens before that name only.
func (d *doc) undeclaredBefore(i int) int {
	edits, lones := len(d.edits), len(d.lones)
	n := d.checkUndeclared(i)
	if n <= i+1 || d.toks[i].kind != tLatin {
		return n
	}
	for _, e := range d.edits[edits:] {
		if e.kind == editReplace && e.ent >= 0 {
			return n // the check replaced a declared name itself ("Mr. Pak Chol-min")
		}
	}
	for k := i + 1; k < n; k++ {
		if d.toks[k].kind != tLatin {
			continue
		}
		if best, _ := d.longestLatin(k); best < 0 {
			continue
		}
		d.edits, d.lones = d.edits[:edits], d.lones[:lones]
		all := d.toks
		d.toks = d.toks[:k]
		n = d.checkUndeclared(i)
		d.toks = all
		return max(n, i+1)
	}
	return n
}

// matchLatin tries the longest declared romanized name starting at token
// i. It returns the index of the token after the match, or -1.
func (d *doc) matchLatin(i int) int {
	best, bestT := d.longestLatin(i)
	if best < 0 {
		return -1
	}
	first, last := d.toks[i], d.toks[best]
	start, end := d.v.span(first.s, last.e)
	t, ok := d.pick(bestT)
	if !ok {
		d.flagAmbiguous(start, end, bestT)
		return best + 1
	}
	en := &d.x.ents[t.ent]
	var text string
	switch t.form {
	case formWestern:
		text = en.romanWestern
	case formGiven:
		text = en.romanGiven
	default:
		text = en.roman
	}
	if orig := d.v.src[start:end]; isAllUpper(orig) {
		text = strings.ToUpper(text)
	}
	start, end, text = d.widenGiven(i, best, t, start, end, text)
	d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: text, ent: t.ent, original: d.v.src[start:end]})
	return best + 1
}

// longestLatin finds the longest declared romanized name starting at
// token i: the index of its last token and its targets (valid until the
// next call), or -1. It changes nothing else.
func (d *doc) longestLatin(i int) (int, []target) {
	var ids [8]int32
	n := 0
	best := -1
	d.bestT = d.bestT[:0]
	for k := i; k < len(d.toks) && n < d.x.maxLatin && n < len(ids); k++ {
		tk := d.toks[k]
		if tk.kind != tLatin || tk.id < 0 || (k > i && !d.sepOK(d.toks[k-1], tk)) || d.inPII(tk.s, tk.full) {
			break
		}
		ids[n] = tk.id
		n++
		d.tbuf = d.x.latinTargets(ids[:n], d.tbuf[:0])
		if len(d.tbuf) > 0 {
			best = k
			d.bestT = append(d.bestT[:0], d.tbuf...)
		}
		if tk.poss {
			break
		}
	}
	return best, d.bestT
}

func isAllUpper(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if !unicode.IsUpper(r) {
				return false
			}
		}
	}
	return letters > 1
}

// pick chooses among the targets of one spelling: they must all be one
// entity (the first form wins: full before western before given).
func (d *doc) pick(ts []target) (target, bool) {
	for _, t := range ts[1:] {
		if t.ent != ts[0].ent {
			return target{}, false
		}
	}
	best := ts[0]
	for _, t := range ts {
		if t.form < best.form {
			best = t
		}
	}
	return best, true
}

// matchHangul tries a declared Hangul name at the start of word i, followed
// only by endings; or a surname alone with the given name in the next word
// (김 석한).
func (d *doc) matchHangul(i int) int {
	t := d.toks[i]
	hs := d.hstr(t)
	n := t.e - t.s
	pair := d.x.hangulPair.first.hasSyl(t.syl) && d.x.hangulPair.has(hs)
	for l := min(n, d.x.maxHangul); l >= 2 && pair; l-- {
		ts := d.x.hangul[hs[:3*l]]
		if len(ts) == 0 {
			continue
		}
		ends, ok := splitEndings(hs[3*l:])
		if !ok && d.placeTargets(ts) && institutionTail(hs[3*l:]) {
			// 혜산시보안서에서: the place goes, the institution stays.
			d.replaceHangul(t.s, t.s+l, t.s+l, ts, nil)
			return i + 1
		}
		if !ok {
			continue
		}
		d.replaceHangul(t.s, t.s+l, t.e, ts, ends)
		return i + 1
	}
	if i+1 >= len(d.toks) {
		return -1
	}
	u := d.toks[i+1]
	if u.kind != tHangul || u.s-t.e != 1 {
		return -1
	}
	sep := d.v.runes[t.e]
	// A word broken across a line: 김석\n한은.
	if sep == foldNewline && n < d.x.maxHangul {
		joined := hs + d.hstr(u)
		for l := min(len(joined)/3, d.x.maxHangul); l > n; l-- {
			ts := d.x.hangul[joined[:3*l]]
			if len(ts) == 0 {
				continue
			}
			ends, ok := splitEndings(joined[3*l:])
			if !ok {
				continue
			}
			d.replaceHangul(t.s, u.s+(l-n), u.e, ts, ends)
			return i + 2
		}
	}
	// 김 석한: a surname word, a space, then the given name.
	if n > 2 || !d.x.surnameSyl.hasSyl(t.syl) {
		return -1
	}
	people := d.x.hangulSurname[hs]
	if len(people) == 0 || (sep != foldSpace && sep != foldNewline) {
		return -1
	}
	us := d.hstr(u)
	for l := min(len(us)/3, d.x.maxHangul); l >= 1; l-- {
		var mine []target
		for _, tg := range d.x.hangul[us[:3*l]] {
			if tg.form == formGiven && slices.Contains(people, tg.ent) {
				mine = append(mine, target{tg.ent, formFull})
			}
		}
		if len(mine) == 0 {
			continue
		}
		ends, ok := splitEndings(us[3*l:])
		if !ok {
			continue
		}
		d.replaceHangul(t.s, u.s+l, u.e, mine, ends)
		return i + 2
	}
	return -1
}

// endingsAfterParenthesis re-agrees endings that follow a replaced name in
// parentheses, as in 김석한(Kim Suk-Han)은 or 리영희(이영희)는: the ending
// belongs to the name before the parenthesis, and now to its pseudonym.
func (d *doc) endingsAfterParenthesis(i int) bool {
	if len(d.edits) == 0 || d.quick {
		return false
	}
	last := &d.edits[len(d.edits)-1]
	if last.kind != editReplace || last.ent < 0 || last.end >= len(d.v.src) || d.v.src[last.end] != ')' {
		return false
	}
	start := int(d.v.start[d.toks[i].s])
	if start != last.end+1 {
		return false
	}
	_, end := d.v.span(d.toks[i].s, d.toks[i].e)
	ends, ok := splitEndings(d.hstr(d.toks[i]))
	if !ok || len(ends) == 0 {
		return false
	}
	en := &d.x.ents[last.ent]
	text := en.hangul + agree(ends, en.hangul, true)
	d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: strings.TrimPrefix(text, en.hangul), ent: -1, original: d.v.src[start:end]})
	return true
}

// replaceHangul replaces the name at folded runes [s, nameEnd) and re-agrees
// the endings up to wordEnd.
func (d *doc) replaceHangul(s, nameEnd, wordEnd int, ts []target, ends []string) {
	start, end := d.v.span(s, wordEnd)
	_, nameEndByte := d.v.span(s, nameEnd)
	t, ok := d.pick(ts)
	if !ok {
		d.flagAmbiguous(start, nameEndByte, ts)
		return
	}
	en := &d.x.ents[t.ent]
	word := en.hangul
	if t.form == formGiven {
		word = en.hangulGiven
	}
	text := word + agree(ends, word, t.form != formGiven)
	d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: text, ent: t.ent, original: d.v.src[start:nameEndByte]})
}

// matchHan replaces declared aliases in Chinese characters anywhere in a
// run of them (Chinese has no spaces between words).
func (d *doc) matchHan(i int) {
	t := d.toks[i]
	rs := d.v.runes
	for p := t.s; p < t.e; {
		if n := d.hanLandmarkAt(p, t.e); n > 0 { // 长白山 is not 长白
			p += n
			continue
		}
		matched := false
		for _, a := range d.x.han[rs[p]] {
			if p+len(a.runes) <= t.e && slices.Equal(rs[p:p+len(a.runes)], a.runes) {
				start, end := d.v.span(p, p+len(a.runes))
				en := &d.x.ents[a.t.ent]
				d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: en.hangul, ent: a.t.ent, original: d.v.src[start:end]})
				p += len(a.runes)
				matched = true
				break
			}
		}
		if !matched {
			p++
		}
	}
}

func (d *doc) flagAmbiguous(start, end int, ts []target) {
	var ids []string
	for _, t := range ts {
		if id := d.x.ents[t.ent].id; !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	d.addFlag(start, end, "ambiguous",
		"this spelling fits more than one declared person ("+strings.Join(ids, ", ")+")",
		"write the name so that it is clear who is meant, or add a distinguishing spelling to one of them")
}

// addFlag records a flag at source bytes [start, end).
func (d *doc) addFlag(start, end int, kind, reason, suggestion string) {
	d.edits = append(d.edits, edit{start: start, end: end, kind: editFlag, ent: -1,
		flag: Flag{Reason: reason, Suggestion: suggestion}, flagKey: kind})
}

// result applies the edits and builds the report and the record.
func (d *doc) result() (*Result, []applied) {
	src := d.v.src
	// Masks and replacements first, then flags, by position; anything
	// overlapping an earlier edit is dropped (a flag inside a
	// replacement, say).
	slices.SortStableFunc(d.edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return int(a.kind) - int(b.kind)
	})
	var out strings.Builder
	out.Grow(len(src) + len(src)/8) // replacements may be longer than names
	res := &Result{Report: Report{Format: ReportFormat, Replacements: []Replacement{}, Flags: []Flag{}, Masked: []Masked{}},
		Reid: Reid{Format: ReidFormat, People: []ReidEntry{}, Places: []ReidEntry{}, Masked: []ReidMasked{}}}
	byEnt := map[int32]int{}
	found := map[int32][]string{}
	var made []applied
	pos := 0
	for _, e := range d.edits {
		if e.start < pos || e.end <= e.start {
			continue
		}
		out.WriteString(src[pos:e.start])
		o := out.Len()
		switch e.kind {
		case editFlag:
			out.WriteString(src[e.start:e.end])
			f := e.flag
			f.Start, f.End = o, out.Len()
			f.ID = d.flagID(e.flagKey, src[e.start:e.end])
			res.Report.Flags = append(res.Report.Flags, f)
		case editMask:
			out.WriteString(e.text)
			res.Report.Masked = append(res.Report.Masked, Masked{Kind: e.maskKind, Start: o, End: out.Len()})
			res.Reid.Masked = append(res.Reid.Masked, ReidMasked{Kind: e.maskKind, Original: e.original, Replacement: e.text})
		case editReplace:
			out.WriteString(e.text)
			if e.flagKey != "" {
				f := e.flag
				f.Start, f.End = o, out.Len()
				if e.flagLen > 0 {
					f.End = o + e.flagLen
				}
				f.ID = d.flagID(e.flagKey, e.original)
				res.Report.Flags = append(res.Report.Flags, f)
			}
			if e.ent < 0 {
				break
			}
			k, ok := byEnt[e.ent]
			if !ok {
				en := d.x.ents[e.ent]
				kind := "person"
				if en.kind == kindPlace {
					kind = "place"
				}
				k = len(res.Report.Replacements)
				byEnt[e.ent] = k
				res.Report.Replacements = append(res.Report.Replacements, Replacement{Entity: en.id, Kind: kind, Pseudonym: en.hangul})
			}
			r := &res.Report.Replacements[k]
			r.Spans = append(r.Spans, Span{o, out.Len()})
			if !slices.Contains(found[e.ent], e.original) {
				found[e.ent] = append(found[e.ent], e.original)
			}
		}
		if e.kind != editFlag {
			made = append(made, applied{e.start, e.end, o, out.Len()})
		}
		pos = e.end
	}
	out.WriteString(src[pos:])
	res.Text = out.String()
	for i, en := range d.x.ents {
		fs, ok := found[int32(i)]
		if !ok {
			continue
		}
		entry := ReidEntry{Entity: en.id, Pseudonym: en.hangul, Found: fs, Declared: d.declared(en)}
		if en.kind == kindPerson {
			entry.Romanized = en.roman
			res.Reid.People = append(res.Reid.People, entry)
		} else {
			res.Reid.Places = append(res.Reid.Places, entry)
		}
	}
	return res, made
}

// declared returns the names an entity was declared with.
func (d *doc) declared(en entity) []string {
	return d.r.declaredNames[en.id]
}

// flagID names a flag by a keyed hash of its kind and of the flagged text
// as the matcher sees it: the same text gets the same ID in every run, and
// the ID reveals nothing of the text without the key.
func (d *doc) flagID(kind, text string) string {
	m := d.r.key.MAC([]byte("testimony flag v1\x00" + kind + "\x00" + foldString(text)))
	return "f-" + hex.EncodeToString(m[:4])
}

// foldString folds s as the matcher sees it.
func foldString(s string) string {
	return string(newView(norm.NFC.String(s)).runes)
}

// toNFC normalizes s to NFC. Most notes are ASCII, Hangul syllables, CJK
// ideographs and common punctuation, which are NFC whatever precedes or
// follows them: for those the costly normalizer is skipped.
// Invalid UTF-8 becomes U+FFFD first.
func toNFC(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			// Then eight ASCII bytes at a time while they last.
			for i+8 <= len(s) && (uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
				uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56)&0x8080808080808080 == 0 {
				i += 8
			}
			continue
		}
		if c >= 0xEA && c <= 0xED && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			// A Hangul syllable, decoded here: they are most of a note.
			if r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F); isHangul(r) {
				i += 3
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !nfcStable(r) || (r == utf8.RuneError && size == 1) {
			return norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD"))
		}
		i += size
	}
	return s
}

// nfcStable reports runes that are in NFC and never combine with a
// neighbour (NFC_Quick_Check=Yes, canonical combining class 0, not a
// Hangul jamo that composes into a syllable).
func nfcStable(r rune) bool {
	switch {
	case 0xAC00 <= r && r <= 0xD7A3: // Hangul syllables
		return true
	case 0x4E00 <= r && r <= 0x9FFF: // CJK unified ideographs
		return true
	case 0x00A0 <= r && r <= 0x00FF: // Latin-1 supplement
		return true
	case 0x2010 <= r && r <= 0x205E: // general punctuation, not the spaces that decompose
		return true
	case 0x3000 <= r && r <= 0x3029, 0x3030 <= r && r <= 0x303F: // CJK punctuation, not the tone marks
		return true
	case 0x3131 <= r && r <= 0x318E: // Hangul compatibility jamo
		return true
	case 0xFF01 <= r && r <= 0xFFEE: // fullwidth and halfwidth forms
		return true
	}
	return false
}
