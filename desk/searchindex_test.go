package desk

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The index finds what a search of each text alone finds, over random
// texts of a small alphabet (so that matches are many and overlap), across
// block boundaries, with texts longer than a block and zero bytes inside.
func TestSearchIndexAgreesWithEachText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "강", "건", "\x00", " "}
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	var x searchIndex
	var ts []*testimony
	var texts []string
	for i := range 3000 {
		n := rng.IntN(40)
		switch {
		case i%1000 == 999:
			n = searchBlockSize/3 + rng.IntN(searchBlockSize) // some texts longer than a block
		case i%7 == 0:
			n = 0
		}
		text := word(n)
		tm := &testimony{seq: int32(i)}
		x.add(tm, text)
		ts, texts = append(ts, tm), append(texts, strings.ReplaceAll(text, "\x00", " "))
	}
	if len(x.blocks) < 3 {
		t.Fatalf("%d blocks: the test wants texts over several", len(x.blocks))
	}
	for range 100 {
		qs := []string{word(1 + rng.IntN(3))}
		if rng.IntN(3) == 0 {
			qs = append(qs, word(1+rng.IntN(2)))
		}
		var want []int32
		for i, text := range texts {
			for _, q := range qs {
				if !strings.Contains(q, "\x00") && strings.Contains(text, q) {
					want = append(want, ts[i].seq)
					break
				}
			}
		}
		var got []int32
		x.search(qs, func(t *testimony) { got = append(got, t.seq) })
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("search %q found %d texts, each text alone %d", qs, len(got), len(want))
		}
	}
}

// A match never spans two testimonies' texts, and a zero byte in a query
// finds nothing.
func TestSearchIndexBoundaries(t *testing.T) {
	var x searchIndex
	a, b := &testimony{ID: "a"}, &testimony{ID: "b"}
	x.add(a, "혜산")
	x.add(b, "시장")
	var got []string
	for _, q := range []string{"산시", "혜산\x00시장", "\x00", "", "장"} {
		x.search([]string{q}, func(t *testimony) { got = append(got, q+"→"+t.ID) })
	}
	if !slices.Equal(got, []string{"장→b"}) {
		t.Errorf("found %q, want only 장 in b", got)
	}
}
