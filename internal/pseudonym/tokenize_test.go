package pseudonym

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tokensTwoPass splits an already folded view into words the way the
// matcher did before folding and splitting became one pass: a second walk
// over the folded runes. It is the reference the one-pass tokenizer is
// held to.
func tokensTwoPass(d *doc) []token {
	rs := d.v.runes
	var toks []token
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isHangul(r):
			j := i
			for j < len(rs) && isHangul(rs[j]) {
				j++
			}
			t := token{s: i, e: j, full: j, kind: tHangul, src: d.v.start[i], syl: uint16(r - 0xAC00)}
			if d.v.start[j-1]+3-t.src != int32(3*(j-i)) {
				t.src = -1
			}
			toks = append(toks, t)
			i = j
		case isHan(r):
			j := i
			for j < len(rs) && isHan(rs[j]) {
				j++
			}
			toks = append(toks, token{s: i, e: j, full: j, kind: tHan})
			i = j
		case isLatinLetter(r):
			j := i
			for j < len(rs) && (isLatinLetter(rs[j]) || (rs[j] == foldApostrophe && j+1 < len(rs) && isLatinLetter(rs[j+1]) && j > i)) {
				j++
			}
			t := token{s: i, e: j, full: j, kind: tLatin, id: -1}
			if j-i >= 3 && rs[j-1] == 's' && rs[j-2] == foldApostrophe {
				t.e, t.poss = j-2, true
			}
			if c := d.v.src[d.v.start[i]]; c < utf8.RuneSelf {
				t.upper = 'A' <= c && c <= 'Z'
			} else {
				c, _ := utf8.DecodeRuneInString(d.v.src[d.v.start[i]:])
				t.upper = unicode.IsUpper(c)
			}
			// The index and the lists directly, without their filters.
			var key []byte
			for _, c := range rs[t.s:t.e] {
				if c != foldApostrophe {
					key = utf8.AppendRune(key, c)
				}
			}
			if id, ok := d.x.tokID[string(key)]; ok {
				t.id = id
			}
			t.lex = latinLex().class[string(key)]
			toks = append(toks, t)
			i = j
		default:
			i++
		}
	}
	return toks
}

// checkOnePass reads text with the one-pass tokenizer and compares its
// folded runes and words with folding alone and the two-pass split.
func checkOnePass(t *testing.T, r *Redactor, text string) {
	t.Helper()
	text = toNFC(text)
	d := &doc{r: r, x: r.x, v: &view{}}
	d.read(text)
	got := slices.Clone(d.toks)
	plain := newView(text)
	if !slices.Equal(d.v.runes, plain.runes) || !slices.Equal(d.v.start, plain.start) {
		t.Fatalf("%q: folding while splitting changed the folded text", text)
	}
	want := tokensTwoPass(d)
	if !slices.Equal(got, want) {
		t.Fatalf("%q: words\n got  %+v\n want %+v", text, got, want)
	}
}

// TestOnePassTokens: folding and splitting into words in one pass gives
// the words the two passes gave, on the edge cases of apostrophes,
// possessives, invisible characters, markup and scripts side by side, and
// on random mixtures of them.
func TestOnePassTokens(t *testing.T) {
	r, err := New(loadEntities(t, "testdata/entities-public.json"), keyA)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"", "a", "'", "''", "a'", "'a", "a'b", "a''b", "a'b'", "Kim's", "O'Brien's house", "Ch'ŏngjin",
		"김석\u200b한은", "김석한 Kim Suk-Han 金錫漢", "Ｋｉｍ 𝐊𝐢𝐦 Кim", "<b>Kim</b>Suk", "x<i>y</i>",
		"ﬁne", "Æsop", "清津市에서", "가'나", "Kim’s", "Mr.Kim", "a\u00adb", "ß", "İstanbul",
		"김", "金", "k", "end'", "Han's'", "3Kim", "Kim3", "\u3131\u314f", "abc\u0301d",
	} {
		checkOnePass(t, r, text)
	}
	parts := []string{"Kim", "kim", "'", "’", "s", " ", "\n", "-", "김석한", "은", "金", "錫", "\u200b", "<b>", "</b>",
		"Ｋ", "é", "ﬁ", "O", "3", ".", "Ch", "ŏ", "가", "\u3131", "Кi", "x"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for k := rng.IntN(8); k >= 0; k-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		checkOnePass(t, r, b.String())
	}
}

func FuzzOnePassTokens(f *testing.F) {
	for _, s := range []string{"O'Brien's", "김석\u200b한은 Kim", "<b>Kim</b>", "a''b", "ﬁ'ne"} {
		f.Add(s)
	}
	r, err := New(loadEntities(f, "testdata/entities-public.json"), keyA)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			return
		}
		checkOnePass(t, r, text)
	})
}

// TestToNFC: toNFC's quick scan (eight ASCII bytes at a time, Hangul
// syllables decoded in place) gives what normalizing the whole text
// gives, with the mark or the invalid byte at every offset from a run of
// ASCII.
func TestToNFC(t *testing.T) {
	parts := []string{"abcdefgh", "a", "e\u0301", "\u0301", "김", "\u1100\u1161", "\xff", "ﬁ", " ", "Å", "A\u030a", "가\u11a8", "清", "\u212b"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b strings.Builder
		for k := rng.IntN(6); k >= 0; k-- {
			b.WriteString(parts[rng.IntN(len(parts))])
			if rng.IntN(2) == 0 {
				b.WriteString(strings.Repeat("x", rng.IntN(20)))
			}
		}
		s := b.String()
		if got, want := toNFC(s), norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")); got != want {
			t.Fatalf("toNFC(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzToNFC(f *testing.F) {
	f.Add("abcdefghe\u0301")
	f.Add("12345678\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := toNFC(s), norm.NFC.String(strings.ToValidUTF8(s, "\uFFFD")); got != want {
			t.Fatalf("toNFC(%q) = %q, want %q", s, got, want)
		}
	})
}
