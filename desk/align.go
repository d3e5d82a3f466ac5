package desk

import (
	"unicode/utf16"
	"unicode/utf8"
)

// The pseudonymizer reports where its flags are in the text it wrote, not
// in the text typed (its report never holds the real words). The
// interviewer must see what they typed: "회령" that will become "함경북도".
// The text outside its changes is copied as it was, so aligning the two
// texts finds, for each flag, the words typed.

// changed is a stretch that differs: src[srcStart:srcEnd] became
// out[outStart:outEnd].
type changed struct{ srcStart, srcEnd, outStart, outEnd int }

// Limits of the alignment: a change is at most alignWindow bytes long on
// either side (a name, a phone number, a province with its particle), and
// texts longer than maxAligned are not aligned (a note of several
// megabytes shows its flags by their replacement only).
const (
	alignWindow = 160
	alignAnchor = 8 // bytes that must agree after a change
	maxAligned  = 1 << 20
)

// align returns the stretches where out differs from src, in order, or
// false if the texts cannot be aligned within the limits.
func align(src, out string) ([]changed, bool) {
	if len(src) > maxAligned || len(out) > maxAligned {
		return nil, false
	}
	var cs []changed
	i, j := 0, 0
	for {
		for i < len(src) && j < len(out) && src[i] == out[j] {
			i, j = i+1, j+1
		}
		if i == len(src) && j == len(out) {
			return cs, true
		}
		// A change starts at the start of a character on both sides (the
		// bytes before are the same on both).
		for i > 0 && j > 0 && (i < len(src) && !utf8.RuneStart(src[i]) || j < len(out) && !utf8.RuneStart(out[j])) {
			i, j = i-1, j-1
		}
		a, b, ok := resync(src, out, i, j)
		if !ok {
			return nil, false
		}
		cs = append(cs, changed{i, a, j, b})
		i, j = a, b
	}
}

// resync finds the nearest (a, b), a ≥ i and b ≥ j, from which src and
// out agree again for alignAnchor bytes (or both end).
func resync(src, out string, i, j int) (int, int, bool) {
	for d := 1; d <= 2*alignWindow; d++ {
		for k := max(0, d-alignWindow); k <= min(d, alignWindow); k++ {
			a, b := i+k, j+d-k
			if a > len(src) || b > len(out) {
				continue
			}
			if a < len(src) && !utf8.RuneStart(src[a]) || b < len(out) && !utf8.RuneStart(out[b]) {
				continue
			}
			n := min(alignAnchor, len(src)-a, len(out)-b)
			if n == 0 && (a != len(src) || b != len(out)) {
				continue
			}
			if src[a:a+n] == out[b:b+n] {
				return a, b, true
			}
		}
	}
	return 0, 0, false
}

// srcOffset maps an offset of out to one of src: into a change, its start
// (or its end, for end offsets).
func srcOffset(cs []changed, o int, end bool) int {
	delta := 0
	for _, c := range cs {
		switch {
		case o < c.outStart || o == c.outStart && !end:
			return o + delta
		case o < c.outEnd || o == c.outEnd && end && c.outStart < o:
			if end {
				return c.srcEnd
			}
			return c.srcStart
		}
		delta = c.srcEnd - c.outEnd
	}
	return o + delta
}

// utf16Len is the length of s in UTF-16 code units, as a page's script
// counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.AppendRune(nil, r))
	}
	return n
}
