package desk

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"testimony/internal/pseudonym"
)

// A reviewer reads pseudonyms that look like real names ("한지훈", "Han
// Ji-hun"). The testimony page marks them, so that nobody quotes one as a
// person's name: pseudoSegments cuts a text into plain parts and the
// names that are made, as pseudonyms are, from the bundled surnames and
// given names (pseudonym.PseudonymSpellings). The sealed note does not say
// where its pseudonyms are, so this is a recognition, not a record: a
// real name that happens to be made the same way is marked too, which errs
// on the side of caution (the desk never replaces a declared name by
// anything but such a name).

// pseudoSegment is a stretch of text; P is true for a pseudonym, whose
// Title is the word "pseudonym" in the page's language.
type pseudoSegment struct {
	Text, Title string
	P           bool
}

// pseudoMarks is pseudoSegments for a page in the language l.
func pseudoMarks(l, text string) []pseudoSegment {
	segs := pseudoSegments(text)
	for i := range segs {
		if segs[i].P {
			segs[i].Title = tr(l, "pseudonym")
		}
	}
	return segs
}

// hangulParticles are the endings a Hangul pseudonym may carry in a note
// (re-agreed by the pseudonymizer), longest first.
var hangulParticles = []string{"에게서", "께서는", "에게는", "께서", "에게", "한테", "으로", "이가", "이는", "이를", "이와", "이의",
	"은", "는", "이", "가", "을", "를", "과", "와", "의", "도", "만", "로", "께", "아", "야", "씨"}

// latinWord is a word of a romanized name.
var latinWord = regexp.MustCompile(`[A-Za-z]+`)

// maxMarkedText is the longest text that is searched for pseudonyms;
// longer ones are shown plain (as one segment).
const maxMarkedText = 4 << 20

func pseudoSegments(text string) []pseudoSegment {
	if len(text) > maxMarkedText {
		return []pseudoSegment{{Text: text}}
	}
	type span struct{ start, end int }
	var found []span
	// Hangul: a run of syllables that is a pseudonym, or one followed by
	// a particle.
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !isSyllable(r) {
			i += n
			continue
		}
		j := i
		for j < len(text) {
			r, n := utf8.DecodeRuneInString(text[j:])
			if !isSyllable(r) {
				break
			}
			j += n
		}
		run := text[i:j]
		if name := hangulName(run); name != "" {
			found = append(found, span{i, i + len(name)})
		}
		i = j
	}
	// Latin: two to four words joined by one space or hyphen ("Han
	// Ji-hun", "Ji-hun Han", "Han Ji Hun"), the first capitalized.
	words := latinWord.FindAllStringIndex(text, -1)
	for i := 0; i < len(words); i++ {
		if c := text[words[i][0]]; c < 'A' || c > 'Z' {
			continue
		}
		for j := min(i+3, len(words)-1); j > i; j-- {
			joined := true
			for k := i; k < j; k++ {
				if gap := text[words[k][1]:words[k+1][0]]; gap != " " && gap != "-" {
					joined = false
				}
			}
			if !joined {
				continue
			}
			if _, _, ok := pseudonym.PseudonymSpellings(text[words[i][0]:words[j][1]]); ok {
				found = append(found, span{words[i][0], words[j][1]})
				i = j
				break
			}
		}
	}
	if len(found) == 0 {
		return []pseudoSegment{{Text: text}}
	}
	// Hangul spans come first, in order, then Latin ones: sort by start.
	for i := 1; i < len(found); i++ {
		for j := i; j > 0 && found[j].start < found[j-1].start; j-- {
			found[j], found[j-1] = found[j-1], found[j]
		}
	}
	var out []pseudoSegment
	pos := 0
	for _, s := range found {
		if s.start < pos {
			continue
		}
		if s.start > pos {
			out = append(out, pseudoSegment{Text: text[pos:s.start]})
		}
		out = append(out, pseudoSegment{Text: text[s.start:s.end], P: true})
		pos = s.end
	}
	if pos < len(text) {
		out = append(out, pseudoSegment{Text: text[pos:]})
	}
	return out
}

// hangulName returns the pseudonym a run of Hangul syllables is, alone or
// with a particle, or "".
func hangulName(run string) string {
	if n := utf8.RuneCountInString(run); n < 2 || n > 8 {
		return ""
	}
	if h, _, ok := pseudonym.PseudonymSpellings(run); ok && h == run {
		return run
	}
	for _, p := range hangulParticles {
		if name, ok := strings.CutSuffix(run, p); ok && name != "" {
			if h, _, ok := pseudonym.PseudonymSpellings(name); ok && h == name {
				return name
			}
		}
	}
	return ""
}

func isSyllable(r rune) bool { return unicode.Is(unicode.Hangul, r) && r >= 0xAC00 && r <= 0xD7A3 }
