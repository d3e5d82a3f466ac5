package pseudonym

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// scalePeople makes n distinct declared people, the same for the same n:
// a surname from the bundled list and a two-syllable given name made of
// syllables of the bundled given names, in Hangul and in one romanization,
// as an organisation-wide registry would declare them. Every tenth person
// also has a Chinese-character alias.
func scalePeople(n int) *Entities {
	sur, giv := surnames(), givenNames()
	var first, second []rune
	seen1, seen2 := map[rune]bool{}, map[rune]bool{}
	for _, g := range giv {
		rs := []rune(g.Hangul)
		if len(rs) != 2 {
			continue
		}
		if !seen1[rs[0]] {
			seen1[rs[0]] = true
			first = append(first, rs[0])
		}
		if !seen2[rs[1]] {
			seen2[rs[1]] = true
			second = append(second, rs[1])
		}
	}
	hanzi := []rune("金李朴崔鄭姜趙尹張林韓吳申徐權黃安宋柳洪")
	rng := rand.New(rand.NewPCG(uint64(n), 14))
	e := &Entities{}
	taken := map[string]bool{}
	for len(e.People) < n {
		s := sur[rng.IntN(len(sur))]
		given := string([]rune{first[rng.IntN(len(first))], second[rng.IntN(len(second))]})
		full := s.Hangul + given
		if taken[canonicalHangul(full)] {
			continue
		}
		taken[canonicalHangul(full)] = true
		i := len(e.People)
		p := Person{ID: "p" + strconv.Itoa(i), Names: []string{full, s.Roman + " " + romanizeRR(given)}}
		switch i % 3 {
		case 1:
			p.Sex = "m"
		case 2:
			p.Sex = "f"
		}
		if i%10 == 0 {
			p.Aliases = []string{string([]rune{hanzi[i%len(hanzi)], hanzi[(i/7)%len(hanzi)], hanzi[(i/3)%len(hanzi)]})}
		}
		e.People = append(e.People, p)
	}
	return e
}

// BenchmarkBuildIndex builds the index of n declared people. Linear means
// the ns/person and the retained bytes/person stay flat as n grows:
//
//	go test -run '^$' -bench BenchmarkBuildIndex -benchtime 3x -count 5 ./internal/pseudonym
//
// cpu-ns/person is the CPU time of the whole process (the collector's
// threads too) a person, which a busy machine disturbs less than the wall
// clock; it includes one collection a run, outside the timer. heap-B/person
// is the heap still in use with the index alive, after a collection, over
// the heap before it was built.
func BenchmarkBuildIndex(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000, 20000, 50000} {
		e := scalePeople(n)
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			var before, after runtime.MemStats
			var r *Redactor
			cpu0 := cpuTime()
			for k := range b.N {
				if k == b.N-1 {
					b.StopTimer()
					r = nil
					runtime.GC()
					runtime.ReadMemStats(&before)
					b.StartTimer()
				}
				var err error
				if r, err = New(e, keyA); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(r)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/person")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/person")
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n), "heap-B/person")
		})
	}
}

// TestManyPeople: an entities file of as many people as the limit allows
// (an organisation's registry) is read and indexed, every person gets a
// pseudonym of their own that is no declared name, and their names are
// replaced in a note; one more person is refused with a clear error.
func TestManyPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the index of 50,000 people (seconds); run without -short")
	}
	e := scalePeople(maxEntities)
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxEntitiesSize/2 {
		t.Errorf("%d people take %d bytes, more than half of the %d allowed", maxEntities, len(data), MaxEntitiesSize)
	}
	parsed, err := ParseEntities(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(parsed, keyA)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, p := range parsed.People {
		declared[canonicalHangul(p.Names[0])] = true
	}
	given := map[string]string{}
	for _, en := range r.x.ents {
		c := canonicalHangul(en.hangul)
		if declared[c] {
			t.Fatalf("%s got %s, a declared name", en.id, en.hangul)
		}
		if other, ok := given[c]; ok {
			t.Fatalf("%s and %s both got %s", other, en.id, en.hangul)
		}
		given[c] = en.id
	}
	var note strings.Builder
	var ids []string
	for k := 0; k < len(parsed.People); k += 4999 {
		p := parsed.People[k]
		fmt.Fprintf(&note, "%s은 %s와 함께 왔다. %s said so.\n", p.Names[0], p.Names[0], p.Names[1])
		ids = append(ids, p.ID)
	}
	res := r.Redact(note.String())
	for _, id := range ids {
		if !slices.ContainsFunc(res.Report.Replacements, func(rp Replacement) bool { return rp.Entity == id && len(rp.Spans) == 3 }) {
			t.Errorf("%s was not replaced three times in:\n%s", id, res.Text)
		}
	}
	if again := r.Redact(res.Text); again.Text != res.Text {
		t.Errorf("not a fixpoint:\n%s\n%s", res.Text, again.Text)
	}

	one := scalePeople(maxEntities + 1)
	data, _ = json.Marshal(one)
	if _, err := ParseEntities(data); !errors.Is(err, ErrEntities) || !strings.Contains(err.Error(), "more than 50000") {
		t.Errorf("%d people: %v; want a refusal", maxEntities+1, err)
	}
}
