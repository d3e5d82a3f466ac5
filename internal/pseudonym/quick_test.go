package pseudonym

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestRecheckSoup: the re-check around romanized replacements looks only
// where a name could form (latinMayJoin), so the output must still be its
// own pseudonymization when declared spellings, pseudonyms, words and
// every kind of separator are thrown together.
func TestRecheckSoup(t *testing.T) {
	r, err := New(loadEntities(t, "testdata/entities-public.json"), keyA)
	if err != nil {
		t.Fatal(err)
	}
	var words, names []string
	for _, en := range r.x.ents {
		for _, s := range []string{en.roman, en.romanGiven, en.romanWestern} {
			words = append(words, strings.FieldsFunc(s, func(c rune) bool { return c == ' ' || c == '-' })...)
		}
	}
	for _, ns := range r.declaredNames {
		for _, n := range ns {
			names = append(names, n)
			words = append(words, strings.FieldsFunc(n, func(c rune) bool { return c == ' ' || c == '-' })...)
		}
	}
	words = append(words, "the", "said", "Kim", "Pak", "Ri", "Lee", "in", "Sŏk", "Кim", "O'", "met", "Han's")
	seps := []string{" ", " ", " ", "-", "\n", " *", "_ ", ", ", ". ", "'", "’", "<b>", "</b> ", "é", "\u200b", " – ", "3", "(", ") "}
	rng := rand.New(rand.NewPCG(14, 80))
	for n := range 20000 {
		// Words, then a declared name, then words: the name is
		// replaced, and the words beside it may join its pseudonym.
		var b strings.Builder
		for k := rng.IntN(3) + 1; k > 0; k-- {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		b.WriteString(names[rng.IntN(len(names))])
		for k := rng.IntN(3) + 1; k > 0; k-- {
			b.WriteString(seps[rng.IntN(len(seps))])
			b.WriteString(words[rng.IntN(len(words))])
		}
		in := b.String()
		out := r.Redact(in).Text
		if again := r.Redact(out).Text; again != out {
			t.Fatalf("text %d: not a fixpoint:\nin    %q\nout   %q\nagain %q", n, in, out, again)
		}
	}
}
