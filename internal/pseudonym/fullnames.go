package pseudonym

import (
	"slices"
	"strings"
)

// The romanized spellings of a name declared in Hangul are the spellings
// of its surname (about ten) times those of its given name (up to 48)
// times the orders (surname first or last, given name split at syllables
// or joined): about two thousand token sequences a person. Stored one by
// one they made the index grow by about 14 KB and 230 µs a person, and an
// organisation's registry of tens of thousands of people took seconds and
// gigabytes. fullNames stores the factors instead: the spellings of each
// distinct given name once (people share given names), which surnames a
// token spells, and which people have a given surname and given name. A
// token sequence is then a full name if its first (or last) token spells a
// surname and the rest spells a given name that a person with that surname
// has: the same sequences, with the same targets, as the product.

// givenSpelling is one romanized spelling (as token IDs) of a given name.
type givenSpelling struct {
	toks []int32
	gid  int32
}

// fullNames indexes the romanized names derived from declared Hangul names.
type fullNames struct {
	gids      map[string]int32 // given name (Hangul, as declared) → its ID
	spellings map[uint64][]givenSpelling
	maxToks   int // the longest given-name spelling, in tokens

	sids   map[string]int32  // surname (Hangul, as declared) → its ID
	surTok map[int32][]int32 // token ID → surname IDs it spells

	byName map[uint64][]int32 // surname ID << 32 | given name ID → people
	// alone holds, by given name ID, the people whose given name is
	// matched alone (formGiven: two syllables or more).
	alone map[int32][]int32

	givenRoman map[string][][]string // givenRoman's answers, by given name
}

func newFullNames() *fullNames {
	return &fullNames{gids: map[string]int32{}, spellings: map[uint64][]givenSpelling{}, sids: map[string]int32{},
		surTok: map[int32][]int32{}, byName: map[uint64][]int32{}, alone: map[int32][]int32{}, givenRoman: map[string][][]string{}}
}

// roman returns givenRoman(given), computed once a build.
func (f *fullNames) roman(given string) [][]string {
	if g, ok := f.givenRoman[given]; ok {
		return g
	}
	g := givenRoman(given)
	f.givenRoman[given] = g
	return g
}

// givenID returns the ID of a given name, indexing its spellings the first
// time it is seen.
func (f *fullNames) givenID(x *index, given string) int32 {
	if id, ok := f.gids[given]; ok {
		return id
	}
	id := int32(len(f.gids))
	f.gids[given] = id
	for _, g := range f.roman(given) {
		f.addSpelling(x, g, id)
		if len(g) > 1 {
			f.addSpelling(x, []string{strings.Join(g, "")}, id)
		}
	}
	return id
}

func (f *fullNames) addSpelling(x *index, toks []string, gid int32) {
	ids, ok := x.ids(toks)
	if !ok {
		return
	}
	h := hashTokens(ids)
	for _, s := range f.spellings[h] {
		if s.gid == gid && slices.Equal(s.toks, ids) {
			return
		}
	}
	f.spellings[h] = append(f.spellings[h], givenSpelling{ids, gid})
	f.maxToks = max(f.maxToks, len(ids))
}

// surnameID returns the ID of a surname, recording the tokens that spell
// it (surnameRoman) the first time it is seen.
func (f *fullNames) surnameID(x *index, sur string, spellings []string) int32 {
	if id, ok := f.sids[sur]; ok {
		return id
	}
	id := int32(len(f.sids))
	f.sids[sur] = id
	for _, s := range spellings {
		tok := x.id(s)
		f.surTok[tok] = appendUnique(f.surTok[tok], id)
	}
	return id
}

// add records that person i has the Hangul name sur + given; surs are the
// surname's romanizations (empty if there is no surname).
func (f *fullNames) add(x *index, i int32, sur, given string, surs []string) {
	gid := f.givenID(x, given)
	if len([]rune(given)) >= 2 {
		f.alone[gid] = appendUnique(f.alone[gid], i)
	}
	if len(surs) == 0 {
		return
	}
	sid := f.surnameID(x, sur, surs)
	k := uint64(sid)<<32 | uint64(uint32(gid))
	f.byName[k] = appendUnique(f.byName[k], i)
}

// people appends the people of surname IDs sids and the given names
// spelled by ids, as form fm.
func (f *fullNames) people(sids []int32, ids []int32, h uint64, fm form, dst []target) []target {
	for _, s := range f.spellings[h] {
		if !slices.Equal(s.toks, ids) {
			continue
		}
		for _, sid := range sids {
			for _, p := range f.byName[uint64(sid)<<32|uint64(uint32(s.gid))] {
				dst = append(dst, target{p, fm})
			}
		}
	}
	return dst
}

// targets appends the targets of the token sequence ids (whose
// hashTokens is h) as a derived name: a given name alone, surname first,
// or given name first.
func (f *fullNames) targets(ids []int32, h uint64, dst []target) []target {
	n := len(ids)
	if n == 0 || n > f.maxToks+1 {
		return dst
	}
	if n <= f.maxToks {
		for _, s := range f.spellings[h] {
			if slices.Equal(s.toks, ids) {
				for _, p := range f.alone[s.gid] {
					dst = append(dst, target{p, formGiven})
				}
			}
		}
	}
	if n < 2 {
		return dst
	}
	if sids := f.surTok[ids[0]]; len(sids) > 0 {
		dst = f.people(sids, ids[1:], hashTokens(ids[1:]), formFull, dst)
	}
	if sids := f.surTok[ids[n-1]]; len(sids) > 0 {
		dst = f.people(sids, ids[:n-1], hashTokens(ids[:n-1]), formWestern, dst)
	}
	return dst
}

// latinTargets appends the targets of the token sequence ids: the
// spellings stored as they are (declared romanizations, aliases, places)
// and the derived ones.
func (x *index) latinTargets(ids []int32, dst []target) []target {
	h := hashTokens(ids)
	for _, p := range x.latin[h] {
		if slices.Equal(p.toks, ids) {
			dst = append(dst, p.t)
		}
	}
	return x.full.targets(ids, h, dst)
}
