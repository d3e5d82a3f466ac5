package pseudonym

import (
	"strings"
	"testing"
)

// TestWiderPool: the given names made for a crowded list are new names of
// the list's syllables, for the right sex, spelled as the list spells each
// syllable in that place, and never a place or a title.
func TestWiderPool(t *testing.T) {
	np := pseudonymPools()
	listed := map[string]givenEntry{}
	first, second := map[rune]string{}, map[rune]string{}
	for _, g := range givenNames() {
		listed[g.Hangul] = g
		rs := []rune(g.Hangul)
		a, b, _ := strings.Cut(g.Roman, "-")
		first[rs[0]], second[rs[1]] = a, b
	}
	for _, sex := range []string{"", "m", "f"} {
		p := np.bySex[sex]
		if len(p.wider) < 5*len(p.listed) {
			t.Errorf("sex %q: %d wider names for %d listed: not the room a registry needs", sex, len(p.wider), len(p.listed))
		}
		for _, g := range p.wider {
			rs := []rune(g.Hangul)
			if _, ok := listed[g.Hangul]; ok || len(rs) != 2 || rs[0] == rs[1] {
				t.Fatalf("sex %q: %s is listed, or not two different syllables", sex, g.Hangul)
			}
			if want := first[rs[0]] + "-" + second[rs[1]]; g.Roman != want {
				t.Fatalf("%s is spelled %s, not %s", g.Hangul, g.Roman, want)
			}
			if sex != "" && string(g.Sex) != sex {
				t.Fatalf("%s in the pool of %q has sex %q", g.Hangul, sex, g.Sex)
			}
			if _, ok := lex().placeHangul[g.Hangul]; ok || hangulTitles[g.Hangul] {
				t.Fatalf("%s is a place or a title", g.Hangul)
			}
		}
	}
}

// TestRegistryKeepsWiderName: a person the registry gave a name of the
// wider pool keeps it in a later note, as with a listed name.
func TestRegistryKeepsWiderName(t *testing.T) {
	g := pseudonymPools().bySex["m"].wider[7]
	reg := &Registry{Format: RegistryFormat, Entries: map[string]registryEntry{
		registryKey(keyA, canonicalHangul("김석한")): {Surname: "박", Given: g.Hangul},
	}}
	r, err := NewWithRegistry(&Entities{People: []Person{{ID: "a", Names: []string{"김석한"}, Sex: "m"}}}, keyA, reg)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.x.ents[0].hangul; got != "박"+g.Hangul {
		t.Errorf("김석한 got %s, not 박%s from the registry", got, g.Hangul)
	}
}
