package pseudonym

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Quick tests that let most words of a note through before any string is
// hashed (see also sylSet and pairSet in fold.go).

// placePairs holds the first two syllables of every Hangul place of the
// gazetteer: a word that starts with no such pair starts with no place.
var placePairs = sync.OnceValue(func() *pairSet {
	p := newPairSet()
	for k := range lex().placeHangul {
		p.add(k)
	}
	return p
})

// safeTexts returns the romanized texts a replacement of a declared
// entity writes (surname first, given name alone, given name first, in
// capitals too) that hold no declared name on their own.
func (r *Redactor) safeTexts() map[string]bool {
	safe := map[string]bool{}
	for _, en := range r.x.ents {
		for _, t := range []string{en.roman, en.romanGiven, en.romanWestern} {
			for _, v := range []string{t, strings.ToUpper(t)} {
				if v != "" && !safe[v] && !r.hasDeclared(v) {
					safe[v] = true
				}
			}
		}
	}
	return safe
}

// latinMayJoin reports whether the text an edit wrote at output bytes
// [a, b), which does not start with Hangul, could be or form a declared
// name: unless it is a replacement known to hold none, only with a word
// beside it that is part of a declared spelling. Anything the quick look
// cannot rule out counts as a possible name.
func (r *Redactor) latinMayJoin(out string, a, b int) bool {
	return !r.safe[out[a:b]] || r.mayJoinWord(out, a, -1) || r.mayJoinWord(out, b, 1)
}

// mayJoinWord reports whether the word beside output byte at (before it
// for dir -1, after it for dir 1), past the separators that may part the
// words of a name, could join a name written at.
func (r *Redactor) mayJoinWord(out string, at, dir int) bool {
	j, skipped := at, 0
	next := func() (byte, bool) {
		if dir < 0 {
			if j == 0 {
				return 0, false
			}
			return out[j-1], true
		}
		if j >= len(out) {
			return 0, false
		}
		return out[j], true
	}
	for {
		c, ok := next()
		if !ok {
			return false
		}
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f', '*', '_', '~', '-':
			j += dir
			skipped++
			continue
		}
		break
	}
	c, _ := next()
	switch {
	case c >= utf8.RuneSelf:
		var rr rune
		if dir < 0 {
			rr, _ = utf8.DecodeLastRuneInString(out[:j])
		} else {
			rr, _ = utf8.DecodeRuneInString(out[j:])
		}
		return !isHangul(rr) && !isHan(rr) // an accented or look-alike letter, a dash, a space…
	case 'a' <= c|0x20 && c|0x20 <= 'z':
	case c == '\'' || c == '`' || c == '<' || c == '>' || c == '&':
		return true // an apostrophe inside a word, markup
	default:
		return false // digits and punctuation part no name
	}
	if skipped == 0 {
		return true // glued to the text
	}
	k := j
	var key [32]byte
	n := 0
	for {
		var c byte
		if dir < 0 {
			if k == 0 {
				break
			}
			c = out[k-1]
		} else {
			if k >= len(out) {
				break
			}
			c = out[k]
		}
		if c >= utf8.RuneSelf || c == '\'' || c == '`' {
			return true
		}
		if !('a' <= c|0x20 && c|0x20 <= 'z') {
			break
		}
		if n == len(key) {
			return true
		}
		key[n] = c | 0x20
		n++
		k += dir
	}
	w := key[:n]
	if dir < 0 {
		slices.Reverse(w)
	}
	if !r.x.tokFilter.has(w) {
		return false
	}
	_, ok := r.x.tokID[string(w)]
	return ok
}
