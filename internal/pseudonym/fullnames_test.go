package pseudonym

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestFullNamesAsProduct: the factored index of derived romanized names
// (fullnames.go) answers every token sequence of the product it replaces —
// each surname spelling with each given-name spelling, surname first or
// last, given name split or joined, and the given name alone — with exactly
// the targets the product gave it. The product is written out here as the
// index used to store it.
func TestFullNamesAsProduct(t *testing.T) {
	e := loadEntities(t, "testdata/entities-public.json")
	extra := []Person{
		{Names: []string{"리명옥"}},                  // North Korean initial sound
		{Names: []string{"박명옥", "Park Myung-ok"}}, // the same given name, another surname
		{Names: []string{"남궁민수"}},                 // compound surname
		{Names: []string{"김철"}},                   // one-syllable given name
		{Names: []string{"박철"}},                   // the same, shared
		{Names: []string{"최련화", "최연화"}},           // two Hangul names
		{Names: []string{"Kim Dae"}},              // no Hangul
	}
	seen := map[string]bool{}
	for _, p := range e.People {
		seen[canonicalHangul(p.Names[0])] = true
	}
	for _, p := range append(extra, scalePeople(400).People...) {
		if !seen[canonicalHangul(p.Names[0])] {
			seen[canonicalHangul(p.Names[0])] = true
			e.People = append(e.People, p)
		}
	}
	for i := range e.People {
		e.People[i].ID = fmt.Sprintf("q%d", i) // scalePeople's IDs repeat the others'
	}
	r, err := New(e, keyA)
	if err != nil {
		t.Fatal(err)
	}
	x := r.x

	want := map[string][]target{} // tokens joined by spaces → targets
	add := func(toks []string, tg target) {
		k := strings.Join(toks, " ")
		if !slices.Contains(want[k], tg) {
			want[k] = append(want[k], tg)
		}
	}
	for k, p := range e.People {
		i := int32(k)
		for _, n := range p.Names {
			h := strings.ReplaceAll(n, " ", "")
			if !allHangul(h) {
				continue
			}
			sur, given := splitName(h)
			var surs []string
			if sur != "" {
				surs = surnameRoman(sur)
			}
			for _, g := range givenRoman(given) {
				joined := strings.Join(g, "")
				for _, s := range surs {
					add(append([]string{s}, g...), target{i, formFull})
					add([]string{s, joined}, target{i, formFull})
					add(append(slices.Clone(g), s), target{i, formWestern})
					add([]string{joined, s}, target{i, formWestern})
				}
				if len([]rune(given)) >= 2 {
					add(g, target{i, formGiven})
					add([]string{joined}, target{i, formGiven})
				}
			}
		}
	}
	if len(want) < 20000 {
		t.Fatalf("only %d sequences in the product: the test people are not what they should be", len(want))
	}
	// And the other way: every sequence the index can answer, from its
	// own tables, answers only what the product holds.
	names := make([]string, len(x.tokID))
	for tk, id := range x.tokID {
		names[id] = tk
	}
	str := func(ids []int32) string {
		var w []string
		for _, id := range ids {
			w = append(w, names[id])
		}
		return strings.Join(w, " ")
	}
	byGid := map[int32][][]int32{}
	for _, ss := range x.full.spellings {
		for _, sp := range ss {
			byGid[sp.gid] = append(byGid[sp.gid], sp.toks)
		}
	}
	bySid := map[int32][]int32{}
	for tok, sids := range x.full.surTok {
		for _, sid := range sids {
			bySid[sid] = append(bySid[sid], tok)
		}
	}
	check := func(ids []int32) {
		for _, tg := range x.full.targets(ids, hashTokens(ids), nil) {
			if !slices.Contains(want[str(ids)], tg) {
				t.Fatalf("%q: %s (form %d) is extra; want %v", str(ids), x.ents[tg.ent].id, tg.form, want[str(ids)])
			}
		}
	}
	for _, sps := range byGid {
		for _, sp := range sps {
			check(sp)
		}
	}
	for k := range x.full.byName {
		sid, gid := int32(k>>32), int32(uint32(k))
		for _, tok := range bySid[sid] {
			for _, sp := range byGid[gid] {
				check(append([]int32{tok}, sp...))
				check(append(slices.Clone(sp), tok))
			}
		}
	}

	for k, ts := range want {
		var ids []int32
		for _, tk := range strings.Split(k, " ") {
			id, ok := x.tokID[tk]
			if !ok {
				t.Fatalf("%q: token %q is not in the index", k, tk)
			}
			ids = append(ids, id)
		}
		if len(ids) > x.maxLatin {
			t.Fatalf("%q: %d tokens, but the matcher looks at %d at most", k, len(ids), x.maxLatin)
		}
		got := x.full.targets(ids, hashTokens(ids), nil)
		for _, tg := range ts {
			if !slices.Contains(got, tg) {
				t.Fatalf("%q: %s (form %d) is missing; got %v", k, x.ents[tg.ent].id, tg.form, got)
			}
		}
		for _, tg := range got {
			if !slices.Contains(ts, tg) {
				t.Fatalf("%q: %s (form %d) is extra; want %v", k, x.ents[tg.ent].id, tg.form, ts)
			}
		}
	}
}
