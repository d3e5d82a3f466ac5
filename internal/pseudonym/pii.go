package pseudonym

// This file finds the personal identifiers that are masked whether or not
// anyone declared them: phone numbers, e-mail addresses, South Korean
// resident registration numbers, PRC identity card numbers, passport
// numbers, messenger IDs and exact birth dates.
//
// findPII makes one pass over the bytes. Most bytes are looked at once, in a
// table lookup; only digits, '+', '@', ASCII words and the first syllable of
// a few Korean and Chinese keywords start a closer look, and every closer
// look is local (a few dozen bytes either side). No regular expression runs
// over the whole text.
//
// Rules worth knowing (tests in pii_test.go hold each one):
//
//   - A number is one token with what it is glued to: digits preceded by an
//     ASCII letter or digit, '_', '+', or by one to three of - . / , ( )
//     after a digit are never the start of a match, and a match never ends
//     where the token goes on (letter, digit, '_', '@', '+', or one to three
//     of - . / , ( ) before a digit). A number that matches nothing is
//     skipped as a whole, so the tail of "978-89-010-1234-5678" is not
//     masked.
//   - Tokens with "://" and tokens starting "www." (URLs) are skipped whole.
//   - Dates are masked only as birth dates, and only with a birth context: a
//     label before them on the same line ("생년월일", "출생일", "출생:",
//     "생일", "born", "DOB", "D.O.B.", "date of birth", "birth date",
//     "birthday", "b.", "出生", "生日") with nothing but particles, colons and
//     (in English) a few small words or place names in between, or a word
//     after them ("…4일생", "… 출생", "…에 태어났다", "…出生"). Dates of
//     events ("2009년 3월 4일 탈북") stay.
//   - A birth date keeps its year, written as the date wrote it:
//     "1985년 3월 4일" → "1985년", "85년 3월 4일" → "85년",
//     "주체74(1985)년 3월 4일" → "주체74(1985)년", "1985年3月4日" → "1985年",
//     "4 March 1985", "March 4, 1985", "1985-03-04", "04/03/1985",
//     "19850304" → "1985". A two-digit year without a marker ("85.3.4",
//     "850304") is written out in full: years 31–99 are 1931–1999, years
//     00–30 are 2000–2030.
//   - Placeholders are Korean when Hangul words outnumber or equal Latin
//     words (of two letters or more) on the same line within 120 bytes of the
//     identifier, English otherwise; with no words nearby, within 2 KiB;
//     Korean when there are none at all.
//   - Messenger IDs: after a messenger name, the next ASCII token. With a
//     marker (':', '=', '#', "ID", "아이디", "号", "账号") any token of four
//     characters or more; otherwise the token must look like an ID: mix
//     letters with digits or '_', be a '@handle', or be a number of seven
//     digits or more. "LINE", "Signal", "라인" and "시그널" are also ordinary
//     words: they need "ID" (or "아이디", …), or a colon and a token that
//     looks like an ID. QQ takes numbers of 5–11 digits; "QQ12345678" goes
//     whole.
//
// Idempotence. findPII on its own output finds nothing. Placeholders hold
// no digits and start with '[', but masking changes what surrounds the
// text that is left, so every rule that looks at a neighbour is written to
// decide the same way whether the neighbour is the original or its
// placeholder: the glue rules above apply on both sides of a match; a label
// reaching back stops at a digit or ']'; an e-mail address takes every
// label of its domain; a messenger ID rule that accepts a prefix of a token
// accepts the token; a birth date is left alone where its bare year would
// join a neighbouring number, month or 년 into another match. FuzzFindPII
// checks this on random bytes and on random notes built from fragments.

import (
	"strings"
	"unicode/utf8"
)

// piiSpan is one identifier found in text: the byte range [Start, End) in
// the text given to findPII, its kind, and the text that replaces it.
type piiSpan struct {
	Start, End  int
	Kind        string // one of the pii* constants
	Replacement string
}

const (
	piiPhone     = "phone"
	piiEmail     = "email"
	piiRRN       = "resident-registration-number" // South Korean 주민등록번호
	piiPRCID     = "chinese-id-number"            // PRC resident identity card, 18 chars
	piiPassport  = "passport-number"
	piiBirthDate = "birth-date"
	piiMessenger = "messenger-id"
)

// piiLabels holds the Korean and English placeholder of each kind but birth
// dates, which keep their year instead.
var piiLabels = map[string][2]string{
	piiPhone:     {"[전화번호]", "[phone]"},
	piiEmail:     {"[이메일]", "[email]"},
	piiRRN:       {"[주민등록번호]", "[ID number]"},
	piiPRCID:     {"[중국 신분증 번호]", "[Chinese ID number]"},
	piiPassport:  {"[여권번호]", "[passport number]"},
	piiMessenger: {"[메신저 ID]", "[messenger ID]"},
}

// findPII returns the identifiers in text (NFC, any mix of Korean, English and
// Chinese), in order, never overlapping. Replacements keep the text readable
// and say what was there, in the language around it where that is obvious:
// phones "[전화번호]"/"[phone]", e-mail "[이메일]"/"[email]", ID numbers "[주민등록번호]"/
// "[ID number]", PRC ID "[중국 신분증 번호]"/"[Chinese ID number]", passport
// "[여권번호]"/"[passport number]", messenger IDs "[메신저 ID]"/"[messenger ID]"; an
// exact birth date keeps only its year in the same style: "1985년 3월 4일생" →
// "1985년생", "1985년 3월 4일" → "1985년", "4 March 1985" → "1985", "March 4, 1985"
// → "1985", "1985-03-04" → "1985", "85.3.4" (2-digit year) → "1985" only if it is
// clearly a birth date context (생, born, 출생, DOB, 생년월일) else leave dates alone
// (dates of events — arrival, crossing — are NOT personal identifiers and must
// stay: "2009년 3월 4일 탈북" stays). Juche years: "주체74(1985)년 3월 4일생" →
// "주체74(1985)년생". Replacement text must never itself be matched by
// findPII (running findPII on an output finds nothing new: idempotence).
//
// Text that is not valid UTF-8 is scanned all the same; spans then still
// start and end on ASCII bytes or after whole keywords.
func findPII(text string) []piiSpan {
	s := piiScanner{t: text}
	s.scan()
	return s.spans
}

// piiScanner is one findPII call.
type piiScanner struct {
	t       string
	spans   []piiSpan
	lastEnd int // end of the last span: nothing may start before it

	// the last language decided from the wide window, and where: reused
	// within 1 KiB, so that a long list of bare numbers stays linear
	wideAt int
	wideKo bool
}

// Byte classes of the main loop.
const (
	pcOther uint8 = iota
	pcDigit
	pcLetter
	pcPlus
	pcAt
	pcWide // lead byte of a three-byte sequence: Hangul syllables and CJK ideographs
)

var piiClass = func() (c [256]uint8) {
	for b := '0'; b <= '9'; b++ {
		c[b] = pcDigit
	}
	for b := 'a'; b <= 'z'; b++ {
		c[b], c[b-'a'+'A'] = pcLetter, pcLetter
	}
	c['+'], c['@'] = pcPlus, pcAt
	for b := 0xE4; b <= 0xED; b++ {
		c[b] = pcWide
	}
	return c
}()

func (s *piiScanner) scan() {
	t := s.t
	for i := 0; i < len(t); {
		next := i + 1
		switch piiClass[t[i]] {
		case pcDigit:
			next = s.atDigit(i)
		case pcLetter:
			next = s.atWord(i)
		case pcPlus:
			next = s.atPlus(i)
		case pcAt:
			next = s.atAt(i)
		case pcWide:
			// Most are Hangul syllables that start nothing: skip them
			// here, as atWide would.
			if i+2 < len(t) && t[i+1]&0xC0 == 0x80 && t[i+2]&0xC0 == 0x80 && piiWideFirst[t[i]&0x0F]&(1<<(t[i+1]&0x3F)) == 0 {
				next = i + 3
			} else {
				next = s.atWide(i)
			}
		}
		i = max(next, i+1)
	}
}

// emit records a span with the placeholder of its kind and returns its end.
func (s *piiScanner) emit(start, end int, kind string) int {
	l := piiLabels[kind]
	rep := l[1]
	if s.korean(start, end) {
		rep = l[0]
	}
	return s.emitText(start, end, kind, rep)
}

// emitText records a span with the given replacement and returns its end.
func (s *piiScanner) emitText(start, end int, kind, rep string) int {
	if start < s.lastEnd || end <= start {
		return max(end, s.lastEnd) // cannot happen; never overlap
	}
	s.spans = append(s.spans, piiSpan{Start: start, End: end, Kind: kind, Replacement: rep})
	s.lastEnd = end
	return end
}

// korean reports whether the placeholder for t[start:end] should be Korean:
// see the rules at the top of the file.
func (s *piiScanner) korean(start, end int) bool {
	h, l := piiCountWords(s.t, start, end, 120, true)
	if h > 0 || l > 0 {
		return h >= l
	}
	if s.wideAt > 0 && start-s.wideAt < 1024 {
		return s.wideKo
	}
	h, l = piiCountWords(s.t, start, end, 2048, false)
	s.wideAt, s.wideKo = max(start, 1), h >= l
	return s.wideKo
}

// piiCountWords counts Hangul words and Latin words of two letters or more
// within reach bytes before start and after end, stopping at a newline when
// line is set.
func piiCountWords(t string, start, end, reach int, line bool) (hangul, latin int) {
	lo := max(0, start-reach)
	for lo < start && !utf8.RuneStart(t[lo]) {
		lo++
	}
	hi := min(len(t), end+reach)
	for hi > end && hi < len(t) && !utf8.RuneStart(t[hi]) {
		hi--
	}
	before, after := t[lo:start], t[end:hi]
	if line {
		if k := strings.LastIndexByte(before, '\n'); k >= 0 {
			before = before[k+1:]
		}
		if k := strings.IndexByte(after, '\n'); k >= 0 {
			after = after[:k]
		}
	}
	// Bytes, not runes: lead bytes EA–ED start Hangul syllables (and a few
	// rarer blocks), continuation bytes carry on the current word.
	for _, part := range [2]string{before, after} {
		run, inHangul := 0, false
		for k := 0; k <= len(part); k++ {
			var c byte = ' '
			if k < len(part) {
				c = part[k]
			}
			switch {
			case c >= 0x80 && c < 0xC0:
				continue
			case piiIsLetter(c) && !inHangul, c >= 0xEA && c <= 0xED && inHangul:
				run++
				continue
			}
			if run > 0 {
				if inHangul {
					hangul++
				} else if run >= 2 {
					latin++
				}
			}
			run, inHangul = 0, false
			switch {
			case piiIsLetter(c):
				run = 1
			case c >= 0xEA && c <= 0xED:
				run, inHangul = 1, true
			}
		}
	}
	return hangul, latin
}

// ---------------------------------------------------------------------------
// Small byte helpers.

func piiIsDigit(c byte) bool  { return '0' <= c && c <= '9' }
func piiIsLetter(c byte) bool { c |= 0x20; return 'a' <= c && c <= 'z' }
func piiIsAlnum(c byte) bool  { return piiIsDigit(c) || piiIsLetter(c) }
func piiIsWord(c byte) bool   { return piiIsAlnum(c) || c == '_' }

// piiDigitsEnd returns the end of the run of ASCII digits starting at i.
func piiDigitsEnd(t string, i int) int {
	for i < len(t) && piiIsDigit(t[i]) {
		i++
	}
	return i
}

// piiAtoi converts a short run of ASCII digits.
func piiAtoi[T string | []byte](d T) int {
	n := 0
	for i := 0; i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}

// piiSkipSpaces skips at most n ASCII spaces or tabs.
func piiSkipSpaces(t string, j, n int) int {
	for ; n > 0 && j < len(t) && (t[j] == ' ' || t[j] == '\t'); n-- {
		j++
	}
	return j
}

// piiHasPrefixFold is strings.HasPrefix with ASCII case folding; prefix is
// lower case.
func piiHasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// piiJoiners join digits into one longer token when one to three of them,
// without spaces, stand between digits.
const piiJoiners = "-./,()"

// piiJoinedAfter reports whether joiners at j lead on to a digit.
func piiJoinedAfter(t string, j int) bool {
	k := j
	for k < len(t) && k-j < 3 && strings.IndexByte(piiJoiners, t[k]) >= 0 {
		k++
	}
	return k > j && k < len(t) && piiIsDigit(t[k])
}

// piiJoinedBefore reports whether joiners before i lead back to a digit.
func piiJoinedBefore(t string, i int) bool {
	k := i
	for k > 0 && i-k < 3 && strings.IndexByte(piiJoiners, t[k-1]) >= 0 {
		k--
	}
	return k < i && k > 0 && piiIsDigit(t[k-1])
}

// piiEndOK reports whether a number or code ending at j is not glued to a
// longer token: see the rules at the top of the file.
func piiEndOK(t string, j int) bool {
	if j >= len(t) {
		return true
	}
	c := t[j]
	switch {
	case piiIsWord(c), c == '@', c == '+':
		return false
	case (c == '-' || c == '/') && j+1 < len(t) && piiIsDigit(t[j+1]):
		return false // the mirror of the '-' and '/' rules of piiDigitStartOK
	}
	return j == 0 || !piiIsDigit(t[j-1]) || !piiJoinedAfter(t, j)
}

// piiDigitStartOK reports whether the digits at i may start a match.
func piiDigitStartOK(t string, i int) bool {
	if i == 0 {
		return true
	}
	if piiJoinedBefore(t, i) {
		return false // "1.2.3", "3,000", "5678(1234"
	}
	var pp byte = ' '
	if i >= 2 {
		pp = t[i-2]
	}
	switch p := t[i-1]; {
	case piiIsWord(p), p == '+', p == '=', p == '&', p == '?', p == '%', p == '\\', p == '*':
		return false
	case p == '-':
		return !piiIsWord(pp) // "ID-850304-1234567"
	case p == '/':
		return pp == ' ' || pp == '\t' || pp == '\n' || pp >= utf8.RuneSelf // URL paths
	}
	return true
}

// piiSkipToken skips the number or word at i with whatever it is glued to.
func piiSkipToken(t string, i int) int {
	j := i
	for j < len(t) {
		c := t[j]
		if piiIsWord(c) {
			j++
			continue
		}
		if (c == '-' || c == '.' || c == '/' || c == ',' || c == ':') && j+1 < len(t) && piiIsDigit(t[j+1]) {
			j++
			continue
		}
		break
	}
	return max(j, i+1)
}

// piiDaysIn returns the number of days in month m (1–12) of year y.
func piiDaysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// piiValidDate reports whether y-m-d is a real date in 1900–2099.
func piiValidDate(y, m, d int) bool {
	return 1900 <= y && y <= 2099 && 1 <= m && m <= 12 && 1 <= d && d <= piiDaysIn(y, m)
}

// piiFullYear writes out a two-digit year: 31–99 → 19yy, 00–30 → 20yy.
func piiFullYear(yy int) int {
	if yy > 30 {
		return 1900 + yy
	}
	return 2000 + yy
}

// ---------------------------------------------------------------------------
// Numbers: PRC ID, RRN, phones and numeric dates.

func (s *piiScanner) atDigit(i int) int {
	t := s.t
	if !piiDigitStartOK(t, i) {
		return piiSkipToken(t, i)
	}
	if end := s.prcID(i); end > 0 {
		return end
	}
	if end := s.rrn(i); end > 0 {
		return end
	}
	if end := s.nationalPhone(i); end > 0 {
		return end
	}
	if end := s.dateFromDigits(i); end > 0 {
		return end
	}
	return piiSkipToken(t, i)
}

// prcIDWeights are the ISO 7064 MOD 11-2 weights of the first 17 digits.
var prcIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// prcShapeOK reports whether an 18-character PRC ID number has a plausible
// area code (first digit 1–8) and birth date.
func prcShapeOK(id []byte) bool {
	if id[0] < '1' || id[0] > '8' {
		return false
	}
	y := piiAtoi(id[6:10])
	return piiValidDate(y, piiAtoi(id[10:12]), piiAtoi(id[12:14]))
}

// prcCheckOK reports whether the last character of an 18-character PRC ID
// number is its ISO 7064 MOD 11-2 check digit.
func prcCheckOK(id []byte) bool {
	sum := 0
	for k, w := range prcIDWeights {
		sum += int(id[k]-'0') * w
	}
	want := "10X98765432"[sum%11]
	got := id[17]
	if got == 'x' {
		got = 'X'
	}
	return got == want
}

// prcID matches a PRC resident identity card number at i: 17 digits and a
// check digit or X, contiguous or grouped 6-8-4, with a plausible area code
// and birth date; 18 digits must carry the right check digit unless an ID
// card label precedes them. The old 15-digit form counts only after a label.
func (s *piiScanner) prcID(i int) int {
	t := s.t
	var id [18]byte
	j := piiDigitsEnd(t, i)
	switch j - i {
	case 18:
		copy(id[:], t[i:j])
	case 17:
		if j >= len(t) || (t[j] != 'X' && t[j] != 'x') {
			return 0
		}
		copy(id[:], t[i:j+1])
		j++
	case 6:
		// 222401 19850304 123X
		if j >= len(t) || (t[j] != ' ' && t[j] != '-') {
			return 0
		}
		sep := t[j]
		k := piiDigitsEnd(t, j+1)
		if k-(j+1) != 8 || k >= len(t) || t[k] != sep {
			return 0
		}
		m := piiDigitsEnd(t, k+1)
		switch m - (k + 1) {
		case 4:
		case 3:
			if m >= len(t) || (t[m] != 'X' && t[m] != 'x') {
				return 0
			}
			m++
		default:
			return 0
		}
		n := copy(id[:], t[i:j])
		n += copy(id[n:], t[j+1:k])
		copy(id[n:], t[k+1:m])
		j = m
	case 15:
		// Old form: area, YYMMDD, sequence; no check digit, so only after
		// a label, and then whatever its digits say.
		if !piiEndOK(t, j) || !s.idCardBefore(i) {
			return 0
		}
		return s.emit(i, j, piiPRCID)
	default:
		return 0
	}
	// The check digit decides for 18 digits; a final X never ends an
	// ordinary number, so it needs only the shape. After a label that
	// says this is an ID number, a mistyped number (a wrong check digit,
	// a birth date that cannot be) is still the number a person can be
	// found by: the 18 characters alone decide.
	if !piiEndOK(t, j) {
		return 0
	}
	if s.idCardBefore(i) {
		return s.emit(i, j, piiPRCID)
	}
	if !prcShapeOK(id[:]) || (!prcCheckOK(id[:]) && id[17] != 'X' && id[17] != 'x') {
		return 0
	}
	return s.emit(i, j, piiPRCID)
}

// idCardLabels say that the number after them is an identity card number:
// Chinese (身份证号码, 公民身份号码, 证件号码), Korean (신분증 번호, 공민증) and
// English ("ID card", "ID no.", "ID number", "identification number").
// Latin labels must start a word ("paid no" is no label).
var idCardLabels = [...]string{"身份证", "身份證", "身分证", "身分證", "身份号码", "身份號碼", "证件号", "證件號", "신분증", "공민증", "신분번호",
	"id card", "identity card", "id no", "id number", "id #", "id#", "identity number", "identification number", "identification no",
	"resident id", "citizen id", "prc id"}

// idCardBefore reports whether an identity card label closely precedes i.
func (s *piiScanner) idCardBefore(i int) bool {
	w := piiLineBefore(s.t, i, 48)
	for _, kw := range idCardLabels {
		p := piiLastIndexFold(w, kw)
		if p < 0 {
			continue
		}
		if kw[0] < utf8.RuneSelf && p > 0 && piiASCIILetter(w[p-1]) {
			continue
		}
		gap := w[p+len(kw):]
		// no digits and no placeholder between: see piiEndOK
		if len(gap) <= 24 && strings.IndexAny(gap, "0123456789[]") < 0 {
			return true
		}
	}
	return false
}

// rrn matches a resident registration number at i: YYMMDD, then '-', a
// space or nothing, then seven digits whose first (1–8) gives the century;
// also the usual partly hidden forms "850304-1******" and "850304-*******".
func (s *piiScanner) rrn(i int) int {
	t := s.t
	j := piiDigitsEnd(t, i)
	var back string
	switch j - i {
	case 13:
		back = t[i+6 : j]
	case 6:
		k := j
		switch {
		case k < len(t) && (t[k] == '-' || t[k] == ' '):
			k++
		case strings.HasPrefix(t[k:], "–"):
			k += len("–")
		default:
			return 0
		}
		m := piiDigitsEnd(t, k)
		switch {
		case m-k == 7:
		case m-k <= 1 && m+7-(m-k) <= len(t) && strings.Count(t[m:m+7-(m-k)], "*") == 7-(m-k):
			m += 7 - (m - k)
		default:
			return 0
		}
		back, j = t[k:m], m
	default:
		return 0
	}
	if !piiEndOK(t, j) {
		return 0
	}
	yy, mm, dd := piiAtoi(t[i:i+2]), piiAtoi(t[i+2:i+4]), piiAtoi(t[i+4:i+6])
	switch g := back[0]; {
	case g == '1' || g == '2' || g == '5' || g == '6':
		yy += 1900
	case g == '3' || g == '4' || g == '7' || g == '8':
		yy += 2000
	case g == '*':
		if piiValidDate(1900+yy, mm, dd) {
			yy += 1900
		} else {
			yy += 2000
		}
	default:
		return 0
	}
	if !piiValidDate(yy, mm, dd) || s.afterISBN(i) {
		return 0
	}
	return s.emit(i, j, piiRRN)
}

// afterISBN reports whether the number at i is labelled as a book or
// serial number: "ISBN ", "ISSN: ", "DOI " right before it, the label a
// word of its own.
func (s *piiScanner) afterISBN(i int) bool {
	t := s.t
	p := i
	for p > 0 && i-p < 3 && (t[p-1] == ' ' || t[p-1] == ':' || t[p-1] == '-') {
		p--
	}
	for _, kw := range [...]string{"isbn", "issn", "doi"} {
		n := p - len(kw)
		if n >= 0 && piiHasPrefixFold(t[n:], kw) && (n == 0 || !(piiIsWord(t[n-1]) || t[n-1] == '.' || t[n-1] == '-' || t[n-1] == '@')) {
			return true
		}
	}
	return false
}

// piiGroups are runs of digits joined by short separators, as phone numbers
// are written: "010-1234-5678", "+86 138 0013 8000", "(02) 123-4567".
type piiGroups struct {
	n          int
	start, end [piiMaxGroups]int
	weak       [piiMaxGroups]bool // the separator before group k has a space
}

const piiMaxGroups = 8

// piiReadGroups reads digit groups from i, which holds a digit. A
// separator is one to three bytes of ' ', '-', '.', '(' and ')', with at
// most two spaces and one '-' or '.'.
func piiReadGroups(t string, i int) (g piiGroups) {
	for g.n < piiMaxGroups {
		j := piiDigitsEnd(t, i)
		g.start[g.n], g.end[g.n] = i, j
		g.n++
		k, spaces, marks := j, 0, 0
	sep:
		for k < len(t) && k-j < 3 {
			switch t[k] {
			case ' ':
				spaces++
			case '-', '.':
				marks++
			case '(', ')':
			default:
				break sep
			}
			k++
		}
		if k == j || k >= len(t) || !piiIsDigit(t[k]) || spaces > 2 || marks > 1 || g.n == piiMaxGroups {
			return g
		}
		g.weak[g.n] = spaces > 0
		i = k
	}
	return g
}

// digits appends the digits of groups [0, k) to dst and the group lengths
// to lens.
func (g *piiGroups) digits(t string, k int, dst []byte, lens []int) ([]byte, []int) {
	for x := range k {
		dst = append(dst, t[g.start[x]:g.end[x]]...)
		lens = append(lens, g.end[x]-g.start[x])
	}
	return dst, lens
}

// piiNationalPhone reports whether digits d, written in groups of lens,
// look like a phone number written without '+': South Korean mobiles and
// landlines, Chinese mobiles and landlines, North Korean numbers, and
// international numbers dialled with 00.
func piiNationalPhone(d []byte, lens []int) bool {
	n := len(d)
	if n < 9 || n > 17 {
		return false
	}
	if d[0] == '0' && d[1] == '0' {
		return d[2] != '0' && n-2 >= 9 && n-2 <= 15
	}
	if len(lens) == 1 {
		switch {
		case d[0] == '1' && d[1] >= '3':
			return n == 11 // Chinese mobile
		case d[0] == '0' && d[1] == '1' && strings.IndexByte("016789", d[2]) >= 0:
			return n == 10 || n == 11 // South Korean mobile
		case d[0] == '0' && d[1] == '2':
			return n == 9 || n == 10 // Seoul
		case d[0] == '0' && '3' <= d[1] && d[1] <= '6' && '1' <= d[2] && d[2] <= '5':
			return n == 10 || n == 11 // South Korean provinces
		case d[0] == '0' && d[1] == '7' && d[2] == '0':
			return n == 11
		case string(d[:4]) == "8502":
			return n == 11 || n == 12 // Pyongyang, dialled from abroad
		}
		return false
	}
	first, last := lens[0], lens[len(lens)-1]
	switch {
	case d[0] == '0' && 2 <= first && first <= 4:
		// 02-123-4567, 031-1234-5678, 010-1234-5678, 0191-234-5678, 010-12345678
		switch len(lens) {
		case 2:
			return lens[1] == 7 || lens[1] == 8
		case 3:
			return (lens[1] == 3 || lens[1] == 4) && last == 4
		}
	case first == 3 && d[0] == '1' && d[1] >= '3' && len(lens) == 3 && last == 4:
		// 138 0013 8000 (China); 191 234 5678 (North Korean mobile)
		return lens[1] == 4 || (d[1] == '9' && '1' <= d[2] && d[2] <= '5' && lens[1] == 3)
	case first == 3 && string(d[:3]) == "850":
		return len(lens) >= 3 && n-3 >= 7 && n-3 <= 10 // 850-2-381-2345
	case first == 4 && string(d[:4]) == "8502":
		return n == 11 || n == 12 // 8502-381-2345
	}
	return false
}

// nationalPhone matches a phone number written without '+' at i.
func (s *piiScanner) nationalPhone(i int) int {
	t := s.t
	if (t[i] != '0' && t[i] != '1' && t[i] != '8') || piiDigitsEnd(t, i)-i < 2 {
		return 0 // no national number starts so
	}
	g := piiReadGroups(t, i)
	var dbuf [piiMaxGroups * 20]byte
	var lbuf [piiMaxGroups]int
	for k := g.n; k >= 1; k-- {
		if k < g.n && !g.weak[k] {
			continue // a cut inside a number joined by '-' or '.'
		}
		end := g.end[k-1]
		if !piiEndOK(t, end) {
			continue
		}
		if end-i > 40 {
			continue // longer than any phone number
		}
		d, lens := g.digits(t, k, dbuf[:0], lbuf[:0])
		if !piiNationalPhone(d, lens) || s.afterISBN(i) {
			continue
		}
		start := i
		// "(02) 123-4567": take the opening parenthesis too
		if i > s.lastEnd && t[i-1] == '(' && k > 1 && strings.IndexByte(t[g.end[0]:g.start[1]], ')') >= 0 {
			start = i - 1
		}
		return s.emit(start, end, piiPhone)
	}
	return 0
}

// atPlus matches an international number: '+', the country code and 7–15
// digits in all, in groups.
func (s *piiScanner) atPlus(i int) int {
	t := s.t
	if i > 0 && (piiIsWord(t[i-1]) || t[i-1] == '+') {
		return i + 1
	}
	j := i + 1
	if j < len(t) && t[j] == ' ' {
		j++
	}
	if j < len(t) && t[j] == '(' {
		j++
	}
	if j >= len(t) || !piiIsDigit(t[j]) || t[j] == '0' {
		return i + 1
	}
	g := piiReadGroups(t, j)
	best, total := 0, 0
	for k := 0; k < g.n; k++ {
		l := g.end[k] - g.start[k]
		if k > 0 && g.weak[k] && total >= 9 && l <= 2 {
			break // "+850 191 234 5678 24 times"
		}
		total += l
		if total > 15 {
			break
		}
		if total >= 7 && (k+1 == g.n || g.weak[k+1]) && piiEndOK(t, g.end[k]) {
			best = k + 1
		}
	}
	if best == 0 {
		return i + 1
	}
	end := g.end[best-1]
	start := i
	if i > s.lastEnd && t[i-1] == '(' && strings.IndexByte(t[i:end], ')') >= 0 {
		start = i - 1 // "(+86) 138 0013 8000"
	}
	return s.emit(start, end, piiPhone)
}

// ---------------------------------------------------------------------------
// Birth dates.

// dateFromDigits matches a birth date that starts with digits at i.
func (s *piiScanner) dateFromDigits(i int) int {
	t := s.t
	j := piiDigitsEnd(t, i)
	l := j - i
	// 1985년 3월 4일, 85년 3월 4일, 1985年3月4日
	if l == 2 || l == 4 {
		k := piiSkipSpaces(t, j, 1)
		for _, m := range [...][3]string{{"년", "월", "일"}, {"年", "月", "日"}} {
			if !strings.HasPrefix(t[k:], m[0]) {
				continue
			}
			y := piiAtoi(t[i:j])
			if l == 2 {
				y = piiFullYear(y)
			}
			yEnd := k + len(m[0])
			end, ok := piiDateTail(t, yEnd, y, m[1], m[2])
			if ok && !piiYearJoins(t, i, end, false) && s.birthContext(i, end) {
				return s.emitText(i, end, piiBirthDate, t[i:yEnd])
			}
			return 0
		}
	}
	// 1985-03-04, 1985. 3. 4., 85.3.4, 04/03/1985
	if j < len(t) && (t[j] == '.' || t[j] == '-' || t[j] == '/') {
		if end, y, ok := piiNumericDate(t, i); ok && !piiYearJoins(t, i, end, true) && s.birthContext(i, end) {
			return s.emitText(i, end, piiBirthDate, piiYearText(y))
		}
		return 0
	}
	// 4 March 1985, 4th of March, 1985, 04-MAR-1985
	if l <= 2 {
		if end, y, ok := piiDayFirst(t, i, j); ok && !piiYearJoins(t, i, end, true) && s.birthContext(i, end) {
			return s.emitText(i, end, piiBirthDate, piiYearText(y))
		}
		return 0
	}
	// 19850304, 850304
	if (l == 8 || l == 6) && piiEndOK(t, j) {
		var y int
		if l == 8 {
			y = piiAtoi(t[i : i+4])
		} else {
			y = piiFullYear(piiAtoi(t[i : i+2]))
		}
		if piiValidDate(y, piiAtoi(t[j-4:j-2]), piiAtoi(t[j-2:j])) && !piiYearJoins(t, i, j, true) && s.birthContext(i, j) {
			return s.emitText(i, j, piiBirthDate, piiYearText(y))
		}
	}
	return 0
}

func piiYearText(y int) string {
	return string([]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10)})
}

// piiSmallNumber reads a number of one or two digits at j.
func piiSmallNumber(t string, j int) (int, int, bool) {
	k := piiDigitsEnd(t, j)
	if k == j || k-j > 2 {
		return 0, j, false
	}
	return piiAtoi(t[j:k]), k, true
}

// piiDateTail reads " 3월 4일" after the year marker at j and checks the
// date; it returns the end of the day marker.
func piiDateTail(t string, j, y int, monthMark, dayMark string) (int, bool) {
	j = piiSkipSpaces(t, j, 2)
	m, j, ok := piiSmallNumber(t, j)
	if !ok {
		return 0, false
	}
	j = piiSkipSpaces(t, j, 1)
	if !strings.HasPrefix(t[j:], monthMark) {
		return 0, false
	}
	j = piiSkipSpaces(t, j+len(monthMark), 2)
	d, j, ok := piiSmallNumber(t, j)
	if !ok {
		return 0, false
	}
	j = piiSkipSpaces(t, j, 1)
	if !strings.HasPrefix(t[j:], dayMark) {
		return 0, false
	}
	return j + len(dayMark), piiValidDate(y, m, d)
}

// piiNumericDate reads Y-M-D, YY-M-D or D-M-Y (or M-D-Y) at i with '.', '-'
// or '/' between the parts, the same each time; '.' may be followed by a
// space ("1985. 3. 4."). It returns the end of the last part and the year.
func piiNumericDate(t string, i int) (end, year int, ok bool) {
	var part [3][2]int
	j, sep, spaced := i, byte(0), false
	for p := range 3 {
		if p > 0 {
			if j >= len(t) {
				return 0, 0, false
			}
			c := t[j]
			if p == 1 {
				sep = c
				spaced = c == '.' && j+1 < len(t) && t[j+1] == ' '
			}
			if c != sep {
				return 0, 0, false
			}
			j++
			if spaced {
				if j >= len(t) || t[j] != ' ' {
					return 0, 0, false
				}
				j++
			}
		}
		k := piiDigitsEnd(t, j)
		if k == j || k-j > 4 {
			return 0, 0, false
		}
		part[p] = [2]int{j, k}
		j = k
	}
	if !piiEndOK(t, j) {
		return 0, 0, false
	}
	n := func(p int) int { return piiAtoi(t[part[p][0]:part[p][1]]) }
	l := func(p int) int { return part[p][1] - part[p][0] }
	switch {
	case (l(0) == 4 || l(0) == 2) && l(1) <= 2 && l(2) <= 2:
		y := n(0)
		if l(0) == 2 {
			y = piiFullYear(y)
		}
		return j, y, piiValidDate(y, n(1), n(2))
	case l(0) <= 2 && l(1) <= 2 && l(2) == 4:
		y := n(2)
		return j, y, piiValidDate(y, n(1), n(0)) || piiValidDate(y, n(0), n(1))
	}
	return 0, 0, false
}

// piiOrdinal skips "st", "nd", "rd" or "th" after a day number.
func piiOrdinal(t string, j int) int {
	for _, o := range [...]string{"st", "nd", "rd", "th"} {
		if piiHasPrefixFold(t[j:], o) && (j+2 >= len(t) || !piiIsLetter(t[j+2])) {
			return j + 2
		}
	}
	return j
}

// piiMonth returns the month (1–12) named by the ASCII word w, full or
// abbreviated, or 0.
func piiMonth(w string) int {
	if len(w) < 3 || len(w) > 9 {
		return 0
	}
	var b [9]byte
	for k := range len(w) {
		b[k] = w[k] | 0x20
	}
	return piiMonthLower(string(b[:len(w)]))
}

// piiMonthLower is piiMonth for a word already in lower case.
func piiMonthLower(w string) int {
	switch w {
	case "jan", "january":
		return 1
	case "feb", "february":
		return 2
	case "mar", "march":
		return 3
	case "apr", "april":
		return 4
	case "may":
		return 5
	case "jun", "june":
		return 6
	case "jul", "july":
		return 7
	case "aug", "august":
		return 8
	case "sep", "sept", "september":
		return 9
	case "oct", "october":
		return 10
	case "nov", "november":
		return 11
	case "dec", "december":
		return 12
	}
	return 0
}

// piiWordEnd returns the end of the run of ASCII letters at j.
func piiWordEnd(t string, j int) int {
	for j < len(t) && piiIsLetter(t[j]) {
		j++
	}
	return j
}

// piiYear4 reads a four-digit year at j that ends a date.
func piiYear4(t string, j int) (int, int, bool) {
	k := piiDigitsEnd(t, j)
	if k-j != 4 || !piiEndOK(t, k) {
		return 0, 0, false
	}
	return piiAtoi(t[j:k]), k, true
}

// piiDayFirst reads "4 March 1985", "4th of March, 1985" or "04-MAR-1985";
// the day is t[i:j].
func piiDayFirst(t string, i, j int) (end, year int, ok bool) {
	d := piiAtoi(t[i:j])
	k := piiOrdinal(t, j)
	if k >= len(t) {
		return 0, 0, false
	}
	dash := t[k] == '-'
	if t[k] != ' ' && !dash {
		return 0, 0, false
	}
	k++
	if !dash && piiHasPrefixFold(t[k:], "of ") {
		k += 3
	}
	me := piiWordEnd(t, k)
	m := piiMonth(t[k:me])
	if m == 0 {
		return 0, 0, false
	}
	k = me
	if k < len(t) && t[k] == '.' {
		k++
	}
	switch {
	case dash && k < len(t) && t[k] == '-':
		k++
	case !dash:
		if k < len(t) && t[k] == ',' {
			k++
		}
		if k >= len(t) || t[k] != ' ' {
			return 0, 0, false
		}
		k++
	default:
		return 0, 0, false
	}
	y, end, ok := piiYear4(t, k)
	if !ok || !piiValidDate(y, m, d) {
		return 0, 0, false
	}
	return end, y, true
}

// monthFirst matches "March 4, 1985" or "Mar. 4th 1985" where t[i:j] names
// the month.
func (s *piiScanner) monthFirst(i, j, m int) int {
	t := s.t
	k := j
	if k < len(t) && t[k] == '.' {
		k++
	}
	if k >= len(t) || t[k] != ' ' {
		return 0
	}
	d, k, ok := piiSmallNumber(t, k+1)
	if !ok {
		return 0
	}
	k = piiOrdinal(t, k)
	if k < len(t) && t[k] == ',' {
		k++
	}
	if k >= len(t) || t[k] != ' ' {
		return 0
	}
	y, end, ok := piiYear4(t, k+1)
	if !ok || !piiValidDate(y, m, d) || piiYearJoins(t, i, end, true) || !s.birthContext(i, end) {
		return 0
	}
	return s.emitText(i, end, piiBirthDate, piiYearText(y))
}

// juche matches "주체74(1985)년 3월 4일" and "주체74년 3월 4일" at i.
func (s *piiScanner) juche(i int) int {
	t := s.t
	j := piiSkipSpaces(t, i+len("주체"), 1)
	k := piiDigitsEnd(t, j)
	if k == j || k-j > 3 {
		return 0
	}
	y := piiAtoi(t[j:k]) + 1911
	if k < len(t) && t[k] == '(' {
		e := piiDigitsEnd(t, k+1)
		if e-(k+1) != 4 || e >= len(t) || t[e] != ')' {
			return 0
		}
		y = piiAtoi(t[k+1 : e])
		k = e + 1
	}
	k = piiSkipSpaces(t, k, 1)
	if !strings.HasPrefix(t[k:], "년") {
		return 0
	}
	yEnd := k + len("년")
	end, ok := piiDateTail(t, yEnd, y, "월", "일")
	if !ok || piiYearJoins(t, i, end, false) || !s.birthContext(i, end) {
		return 0
	}
	return s.emitText(i, end, piiBirthDate, t[i:yEnd])
}

// birthContext reports whether the date t[start:end] is said to be a birth
// date: see the rules at the top of the file.
func (s *piiScanner) birthContext(start, end int) bool {
	return s.birthAfter(end) || s.birthBefore(start)
}

// piiYearJoins reports whether a birth date at [start, end) replaced by its
// year could join what surrounds it into something findPII masks, which
// would break idempotence: a bare year after digits ("010 1234 85.3.4생" →
// "010 1234 1985생"), after a month or a day ("born 4 March 85.3.4생"), or
// before 년 or 年; a Korean year ("85년") before another number ("… 3월
// 5일"). Such dates are left alone.
func piiYearJoins(t string, start, end int, bare bool) bool {
	k := piiSkipSpaces(t, end, 2)
	if !bare {
		return k < len(t) && piiIsDigit(t[k])
	}
	if strings.HasPrefix(t[k:], "년") || strings.HasPrefix(t[k:], "年") {
		return true
	}
	k = start
	for k > 0 && start-k < 3 && strings.IndexByte(" ,-.()", t[k-1]) >= 0 {
		k--
	}
	if k > 0 && (piiIsDigit(t[k-1]) || t[k-1] == ']') {
		return true // a placeholder counts as the number it replaced
	}
	q := k
	for q > 0 && piiIsLetter(t[q-1]) {
		q--
	}
	w := t[q:k]
	if piiMonth(w) > 0 {
		return true
	}
	for _, o := range [...]string{"st", "nd", "rd", "th"} {
		if len(w) == 2 && piiHasPrefixFold(w, o) && q > 0 && piiIsDigit(t[q-1]) {
			return true
		}
	}
	return false
}

// piiLineBefore returns up to n bytes before i on the same line, starting on
// a rune boundary.
func piiLineBefore(t string, i, n int) string {
	lo := max(0, i-n)
	for lo < i && !utf8.RuneStart(t[lo]) {
		lo++
	}
	w := t[lo:i]
	if k := strings.LastIndexByte(w, '\n'); k >= 0 {
		w = w[k+1:]
	}
	return w
}

// piiLastIndexFold is strings.LastIndex with ASCII case folding; sub is
// lower case.
func piiLastIndexFold(s, sub string) int {
	for p := len(s) - len(sub); p >= 0; p-- {
		if piiHasPrefixFold(s[p:], sub) {
			return p
		}
	}
	return -1
}

// birthLabelsWide are Korean and Chinese birth-date labels. Bare 출생 and
// 出生 usually follow what they describe ("혜산 출생, 2009년 …"), so before a
// date they count only as a label with a colon ("출생: …").
var birthLabelsWide = [...]struct {
	s         string
	needColon bool
}{
	{"생년월일", false}, {"출생일", false}, {"생일", false}, {"出生日期", false}, {"生日", false},
	{"출생", true}, {"出生", true},
}

// birthLabelsEn are English birth-date labels, lower case.
var birthLabelsEn = [...]string{"date of birth", "birth date", "birthdate", "birthday", "born", "d.o.b", "dob", "b."}

// birthBefore reports whether a birth-date label closely precedes start.
// It walks back over what may stand between a label and a date and looks
// for a label where that stops, so its cost is the length of the gap.
func (s *piiScanner) birthBefore(start int) bool {
	return s.wideLabelBefore(start) || s.englishLabelBefore(start)
}

// wideLabelBefore looks for a Korean or Chinese label followed by at most
// 24 bytes of spaces, punctuation and particles: "생년월일: ", "출생일은 ",
// "생년월일 (양력) ".
func (s *piiScanner) wideLabelBefore(start int) bool {
	t := s.t
	p, colon := start, false
gap:
	for {
		if start-p > 24 {
			return false
		}
		r, size := utf8.DecodeLastRuneInString(t[:p])
		switch r {
		case ':', '：', '=':
			colon = true
		case ' ', '\t', '-', '(', ')', ',', '은', '는', '이', '가', '양', '음', '력', '是', '为', '為':
		default:
			break gap
		}
		p -= size
	}
	for _, kw := range birthLabelsWide {
		if strings.HasSuffix(t[:p], kw.s) && (colon || !kw.needColon) && !piiYearBefore(t, p-len(kw.s)) {
			return true
		}
	}
	return false
}

// piiYearBefore reports whether the label at p follows a year or another
// number ("1980년 출생, …"): then it describes that, not what comes after
// it. A placeholder (']') counts as the number it replaced.
func piiYearBefore(t string, p int) bool {
	for p > 0 && t[p-1] == ' ' {
		p--
	}
	r, _ := utf8.DecodeLastRuneInString(t[:p])
	return r == '년' || r == '年' || r == ']' || (r < utf8.RuneSelf && piiIsDigit(byte(r)))
}

// englishLabelBefore looks for an English label followed by at most 48
// bytes of punctuation, small words and up to three capitalized words
// (places): "born in Hyesan, Ryanggang, on ", "DOB: ", "D.O.B. ".
func (s *piiScanner) englishLabelBefore(start int) bool {
	t := s.t
	p, caps := start, 0
	for start-p <= 48 {
		for p > 0 && strings.IndexByte(" \t,:-()=", t[p-1]) >= 0 {
			p--
		}
		if piiEnglishLabelAt(t[:p]) || (p > 0 && t[p-1] == '.' && piiEnglishLabelAt(t[:p-1])) {
			return true
		}
		q := p
		if q > 0 && t[q-1] >= utf8.RuneSelf {
			for q > 0 && t[q-1] >= utf8.RuneSelf {
				q-- // a word in another script: a place name
			}
			caps++
		} else {
			for q > 0 && piiIsLetter(t[q-1]) {
				q--
			}
			switch w := t[q:p]; {
			case q == p:
				return false
			case piiSmallWord(w):
			case 'A' <= w[0] && w[0] <= 'Z':
				caps++
			default:
				return false
			}
		}
		if caps > 3 || (q > 0 && (piiIsWord(t[q-1]) || t[q-1] >= utf8.RuneSelf)) {
			return false
		}
		p = q
	}
	return false
}

// piiSmallWord reports whether w may stand between an English label and a
// date.
func piiSmallWord(w string) bool {
	for _, s := range [...]string{"on", "in", "at", "the", "of", "is", "was", "date", "day"} {
		if len(w) == len(s) && piiHasPrefixFold(w, s) {
			return true
		}
	}
	return false
}

// piiEnglishLabelAt reports whether h ends with an English birth-date label
// that starts a word.
func piiEnglishLabelAt(h string) bool {
	for _, kw := range birthLabelsEn {
		n := len(h) - len(kw)
		if n >= 0 && piiHasPrefixFold(h[n:], kw) && (n == 0 || !piiIsLetter(h[n-1])) {
			return true
		}
	}
	return false
}

// piiBirthWords follow a birth date in Korean and Chinese.
var piiBirthWords = [...]string{"출생", "태어", "出生", "生于"}

// birthAfter reports whether the words after a date at end make it a birth
// date: "…4일생", "…4일 출생", "…4일 혜산에서 태어났다", "…4日出生".
func (s *piiScanner) birthAfter(end int) bool {
	t := s.t
	k := end
	if k < len(t) && t[k] == '.' {
		k++
	}
	if strings.HasPrefix(t[k:], "생") {
		r, _ := utf8.DecodeRuneInString(t[k+len("생"):])
		switch r {
		case '활', '산', '각', '명', '존', '겨', '긴', '겼', '기', '성', '략', '필', '전':
			// 생활, 생산, 생각, … : another word
		default:
			return true
		}
	}
	if strings.HasPrefix(t[k:], "生") || strings.HasPrefix(t[k:], "出生") {
		return true
	}
	k = piiSkipSpaces(t, end, 2)
	if k < len(t) && t[k] == ',' {
		k = piiSkipSpaces(t, k+1, 2)
	}
	if strings.HasPrefix(t[k:], "에서") {
		k += len("에서")
	} else if strings.HasPrefix(t[k:], "에") {
		k += len("에")
	}
	k = piiSkipSpaces(t, k, 2)
	if piiBirthWordAt(t, k) {
		return true
	}
	// one word between: "…4일 혜산에서 태어났다", "…4일 혜산 출생"
	w, n := k, 0
	for n < 6 && w < len(t) {
		r, size := utf8.DecodeRuneInString(t[w:])
		if r < 0xAC00 || r > 0xD7A3 {
			break
		}
		w += size
		n++
	}
	if n == 0 || w >= len(t) || t[w] != ' ' {
		return false
	}
	return piiBirthWordAt(t, piiSkipSpaces(t, w, 2))
}

func piiBirthWordAt(t string, k int) bool {
	for _, w := range piiBirthWords {
		if strings.HasPrefix(t[k:], w) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// E-mail.

func piiIsLocal(c byte) bool {
	return piiIsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// piiDomain reads a domain at j: labels of letters, digits and '-' joined
// by '.'. It returns the end of all the labels and whether some label
// after the first is all letters (a TLD). An address takes every label,
// even after its TLD ("b.com.G12345678"): what follows an accepted address
// is never left to be masked on its own, and so can never shorten it on a
// second run.
func piiDomain(t string, j int) (end int, tld bool) {
	for labels := 1; ; labels++ {
		k := j
		for k < len(t) && (piiIsAlnum(t[k]) || t[k] == '-') {
			k++
		}
		if k == j {
			return j, false
		}
		tld = tld || (labels >= 2 && k-j >= 2 && piiWordEnd(t, j) == k)
		if k+1 >= len(t) || t[k] != '.' || !piiIsAlnum(t[k+1]) {
			return k, tld
		}
		j = k + 1
	}
}

// piiGluedAddress reports whether an address ending at e goes on, as a
// number would (see piiEndOK), or with '_': then it is none, and nothing
// inside it is masked either, so that a second run sees the same text.
func piiGluedAddress(t string, e int) bool {
	return e < len(t) && (t[e] == '_' || !piiEndOK(t, e))
}

// piiLocalStartOK reports whether a local part may start at k. One that
// starts with a digit is held to the rules of a number: glued by a joiner
// to what precedes it, it would leave that to end in a joiner and a digit
// (and so be kept) in one run but not in the next ("13800138000/04@x.com").
func piiLocalStartOK(t string, k int) bool {
	return !piiIsDigit(t[k]) || piiDigitStartOK(t, k)
}

// atAt matches local@domain.tld around the '@' at i.
func (s *piiScanner) atAt(i int) int {
	t := s.t
	k := i
	for k > s.lastEnd && piiIsLocal(t[k-1]) {
		k--
	}
	for k < i && (t[k] == '.' || t[k] == '-' || t[k] == '+') {
		k++
	}
	if k == i || t[i-1] == '.' || !piiLocalStartOK(t, k) {
		return i + 1
	}
	end, tld := piiDomain(t, i+1)
	switch {
	case !tld:
		return i + 1
	case piiGluedAddress(t, end):
		return end
	}
	return s.emit(k, end, piiEmail)
}

// obfuscatedEmail matches "name at gmail dot com", "name [at] gmail [dot]
// com" and "name(at)gmail.com" where t[i:j] is the word "at".
func (s *piiScanner) obfuscatedEmail(i, j int) int {
	t := s.t
	bracketed := i > 0 && j < len(t) && ((t[i-1] == '[' && t[j] == ']') || (t[i-1] == '(' && t[j] == ')'))
	ls, le := i, j
	if bracketed {
		ls, le = i-1, j+1
	} else if end := min(len(t), j+48); !strings.Contains(t[j:end], "dot") {
		return j
	}
	k := ls
	for n := 0; n < 2 && k > s.lastEnd && t[k-1] == ' '; n++ {
		k--
	}
	localEnd := k
	for k > s.lastEnd && piiIsLocal(t[k-1]) {
		k--
	}
	for k < localEnd && (t[k] == '.' || t[k] == '-' || t[k] == '+') {
		k++
	}
	// The local part may be cut short by the span before it ("DOB 850304
	// at gmail dot com"): then mask from the "at", since that span's
	// replacement (a year) would become the local part on a second run.
	glued := k == localEnd && k == s.lastEnd && k > 0 && piiIsLocal(t[k-1])
	if !glued && (k == localEnd || t[localEnd-1] == '.' || (!bracketed && localEnd == ls) || !piiLocalStartOK(t, k)) {
		return j
	}
	if glued {
		k = ls
	}
	p := piiSkipSpaces(t, le, 2)
	labelEnd := func(p int) int {
		for p < len(t) && (piiIsAlnum(t[p]) || t[p] == '-') {
			p++
		}
		return p
	}
	e := labelEnd(p)
	if e == p {
		return j
	}
	// the address takes every label if one of them can end it (see
	// piiDomain)
	dots, dotWords, tld := 0, 0, false
	for {
		q := e
		switch {
		case q+1 < len(t) && t[q] == '.' && piiIsAlnum(t[q+1]):
			q++
		default:
			q = piiSkipSpaces(t, q, 2)
			switch {
			case strings.HasPrefix(t[q:], "[dot]"), strings.HasPrefix(t[q:], "(dot)"):
				q += 5
			case strings.HasPrefix(t[q:], "dot") && q > e && q+3 < len(t) && t[q+3] == ' ':
				q += 3
			default:
				q = -1
			}
			if q < 0 {
				break
			}
			dotWords++
			q = piiSkipSpaces(t, q, 2)
		}
		if q < 0 {
			break
		}
		f := labelEnd(q)
		if f == q {
			break
		}
		dots++
		e = f
		if f-q >= 2 && f-q <= 6 && piiWordEnd(t, q) == f && (bracketed || dotWords > 0) {
			tld = true
		}
	}
	switch {
	case !tld:
		return j
	case piiGluedAddress(t, e):
		return e
	}
	return s.emit(k, e, piiEmail)
}

// ---------------------------------------------------------------------------
// Words: URLs, months, messenger and passport keywords, bare passports.

// Messenger keyword modes.
const (
	msgPlain     = iota
	msgAmbiguous // also an ordinary word: needs ':' or ID, or a @handle
	msgQQ        // numeric IDs of 5–11 digits
)

// piiWords are the words atWord looks for, months with piiMonthLower
// included (TestPIIWordsListed holds this list to the code), and
// piiWordShape has a bit for each of their lengths by first letter: a
// quick test that skips most words.
var piiWords = []string{
	"http", "https", "ftp", "sftp", "www", "at", "passport",
	"wechat", "weixin", "kakaotalk", "telegram", "viber", "whatsapp", "skype", "kakao", "line", "signal", "qq",
	"jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july",
	"aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
}

var piiWordShape = func() (t [26]uint16) {
	for _, w := range piiWords {
		t[w[0]-'a'] |= 1 << len(w)
	}
	return t
}()

func (s *piiScanner) atWord(i int) int {
	t := s.t
	j := i
	for j < len(t) && piiIsWord(t[j]) {
		j++
	}
	if i > 0 && piiIsWord(t[i-1]) {
		return j // inside a token skipped before
	}
	w := t[i:j]
	if len(w) == 9 && piiBarePassport(w) && piiEndOK(t, j) {
		return s.emit(i, j, piiPassport)
	}
	if len(w) > 9 {
		// QQ12345678: the whole word goes, or "QQ" would be left glued to
		// the placeholder
		if len(w) <= 13 && piiHasPrefixFold(w, "qq") && piiDigitsEnd(w, 2) == len(w) && piiEndOK(t, j) {
			return s.emit(i, j, piiMessenger)
		}
		return j
	}
	if f := w[0] | 0x20; f < 'a' || f > 'z' || piiWordShape[f-'a']&(1<<len(w)) == 0 {
		return j // most words: no keyword has this first letter and length
	}
	var buf [9]byte
	for k := range len(w) {
		buf[k] = w[k] | 0x20 // letters only matter below
	}
	switch lw := string(buf[:len(w)]); lw {
	case "http", "https", "ftp", "sftp":
		if strings.HasPrefix(t[j:], "://") {
			return piiSkipURL(t, j)
		}
	case "www":
		if j < len(t) && t[j] == '.' {
			return piiSkipURL(t, j)
		}
	case "at":
		return max(j, s.obfuscatedEmail(i, j))
	case "passport":
		return s.passportAfter(j)
	case "wechat", "weixin", "kakaotalk", "telegram", "viber", "whatsapp", "skype":
		return s.messengerAfter(j, msgPlain)
	case "kakao":
		if piiHasPrefixFold(t[j:], " talk") && !piiIsLetter(t[min(len(t)-1, j+5)]) {
			j += 5
		} else if piiHasPrefixFold(t[j:], "talk") {
			j += 4
		}
		return s.messengerAfter(j, msgPlain)
	case "line", "signal":
		return s.messengerAfter(j, msgAmbiguous)
	case "qq":
		return s.messengerAfter(j, msgQQ)
	default:
		if m := piiMonthLower(lw); m > 0 {
			if end := s.monthFirst(i, j, m); end > 0 {
				return end
			}
		}
	}
	return j
}

// piiBarePassport reports whether a nine-character word is a passport
// number by its form alone: Korean M/S/R/O/D and Chinese E/G with eight
// digits, or the Korean 2021 form M123A4567.
func piiBarePassport(w string) bool {
	if strings.IndexByte("MSRODEG", w[0]) < 0 {
		return false
	}
	if piiDigitsEnd(w, 1) == 9 {
		return true
	}
	return strings.IndexByte("MSROD", w[0]) >= 0 && piiDigitsEnd(w, 1) == 4 &&
		'A' <= w[4] && w[4] <= 'Z' && piiDigitsEnd(w, 5) == 9
}

// piiSkipURL skips the rest of a URL: to the next space, quote, angle
// bracket or non-ASCII byte.
func piiSkipURL(t string, j int) int {
	for j < len(t) {
		switch c := t[j]; {
		case c <= ' ', c == '"', c == '\'', c == '<', c == '>', c >= utf8.RuneSelf:
			return j
		}
		j++
	}
	return j
}

// How plainly the words between a keyword and a token say that an
// identifier follows.
const (
	markNone  = iota
	markColon // ':', '=', '#', "No."
	markID    // "ID", "아이디", "账号", "号": the word for an identifier
)

// Markers between a keyword and the identifier.
var piiWideMarkers = [...]struct {
	s    string
	mark int
}{
	{"：", markColon}, {"아이디", markID}, {"계정", markID}, {"账号", markID}, {"帳號", markID},
	{"号码", markNone}, {"號碼", markNone}, {"号", markID}, {"號", markID}, {"번호", markNone},
	{"으로", markNone}, {"에서", markNone}, {"은", markNone}, {"는", markNone}, {"이", markNone},
	{"가", markNone}, {"을", markNone}, {"를", markNone}, {"도", markNone}, {"로", markNone},
	{"의", markNone},
}

// skipMarkers skips what may stand between a keyword and the identifier:
// spaces, ':', "ID", "No.", "아이디", "번호", "号", particles. It reports the
// position of the identifier and the plainest marker seen.
func (s *piiScanner) skipMarkers(j int) (int, int) {
	t := s.t
	start, mark := j, markNone
next:
	for steps := 0; steps < 8 && j < len(t) && j-start <= 32; steps++ {
		c := t[j]
		switch c {
		case ' ', '\t', '(':
			j++
			continue
		case ':', '=', '#':
			mark = max(mark, markColon)
			j++
			continue
		case '-':
			if j+1 < len(t) && t[j+1] == ' ' {
				j++
				continue
			}
			break next
		}
		if c < utf8.RuneSelf {
			e := piiWordEnd(t, j)
			if e < len(t) && piiIsDigit(t[e]) {
				break // a token like ID12345
			}
			switch strings.ToLower(t[j:e]) {
			case "id", "account", "handle", "username":
				mark = markID
				j = e
				continue
			case "no":
				if e < len(t) && (t[e] == '.' || t[e] == ':') {
					j = e + 1
					mark = max(mark, markColon)
					continue
				}
			case "number", "num", "nr", "is":
				j = e
				if e < len(t) && t[e] == '.' {
					j++
				}
				continue
			}
			break
		}
		for _, m := range piiWideMarkers {
			if strings.HasPrefix(t[j:], m.s) {
				j += len(m.s)
				mark = max(mark, m.mark)
				continue next
			}
		}
		break
	}
	return j, mark
}

// messengerAfter masks the ID after a messenger keyword ending at kwEnd.
func (s *piiScanner) messengerAfter(kwEnd, mode int) int {
	t := s.t
	j, mark := s.skipMarkers(kwEnd)
	if mode == msgQQ {
		// digits only: a token with letters could later shrink to its
		// digits when something after them is masked
		k := piiDigitsEnd(t, j)
		if k-j < 5 || k-j > 11 || !piiEndOK(t, k) || j < s.lastEnd {
			return kwEnd
		}
		return s.emit(j, k, piiMessenger)
	}
	k := j
	// a @handle, unless the '@' is glued to what precedes it (an address)
	handle := k < len(t) && t[k] == '@' && k > 0 && !piiIsLocal(t[k-1])
	if handle {
		k++
	}
	ts := k
	for k < len(t) && k-ts <= 64 && (piiIsWord(t[k]) || t[k] == '.' || t[k] == '-') {
		k++
	}
	if k-ts > 64 {
		// No ID is this long. Skip it, so that nothing inside it is
		// masked and it reads the same on a second run.
		return k
	}
	for k > ts && (t[k-1] == '.' || t[k-1] == '-') {
		k--
	}
	if k-ts < 4 || !piiIsAlnum(t[ts]) || !piiEndOK(t, k) {
		return kwEnd
	}
	tok := t[ts:k]
	letters, digits, underscore := 0, 0, false
	for x := 0; x < len(tok); x++ {
		switch c := tok[x]; {
		case piiIsDigit(c):
			digits++
		case piiIsLetter(c):
			letters++
		case c == '_':
			underscore = true
		}
	}
	idLike := handle || (letters > 0 && (digits > 0 || underscore)) || (letters == 0 && digits >= 7)
	// Both rules are monotone: if a prefix of the token passes, so does the
	// token, which keeps findPII idempotent when what follows is masked.
	switch mode {
	case msgAmbiguous:
		if mark < markID && !(mark == markColon && idLike) {
			return kwEnd
		}
	default:
		if mark == markNone && !idLike {
			return kwEnd
		}
	}
	start := ts
	if handle {
		start--
	}
	if start < s.lastEnd {
		return kwEnd
	}
	return s.emit(start, k, piiMessenger)
}

// passportAfter masks the passport number after a passport keyword ending
// at kwEnd: 1–2 letters and 7–8 digits, or nine letters and digits with at
// least six digits (836123456, M123A4567).
func (s *piiScanner) passportAfter(kwEnd int) int {
	t := s.t
	j, _ := s.skipMarkers(kwEnd)
	k := j
	for k < len(t) && k-j <= 10 && piiIsAlnum(t[k]) {
		k++
	}
	n := k - j
	if n < 8 || n > 10 || !piiEndOK(t, k) {
		return kwEnd
	}
	digits := 0
	for x := j; x < k; x++ {
		if piiIsDigit(t[x]) {
			digits++
		}
	}
	if digits < 6 || n-digits > 2 || (n == 10 && !piiIsLetter(t[j+1])) {
		return kwEnd
	}
	return s.emit(j, k, piiPassport)
}

// ---------------------------------------------------------------------------
// Korean and Chinese keywords.

// piiHangulBefore reports whether a Hangul syllable ends right before i
// ("온라인" is not "라인").
func piiHangulBefore(t string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return 0xAC00 <= r && r <= 0xD7A3
}

// piiWideFirst holds, for the first rune of each keyword, bit (b1 & 0x3F) of
// word (b0 & 0x0F), where b0 b1 are its first two UTF-8 bytes: a quick
// filter before decoding.
var piiWideFirst = func() (m [16]uint64) {
	for _, r := range "여护護카텔위왓바微라시주" {
		var b [4]byte
		utf8.EncodeRune(b[:], r)
		m[b[0]&0x0F] |= 1 << (b[1] & 0x3F)
	}
	return m
}()

func (s *piiScanner) atWide(i int) int {
	t := s.t
	if i+2 >= len(t) || t[i+1]&0xC0 != 0x80 || t[i+2]&0xC0 != 0x80 {
		return i + 1
	}
	if piiWideFirst[t[i]&0x0F]&(1<<(t[i+1]&0x3F)) == 0 {
		return i + 3
	}
	r, size := utf8.DecodeRuneInString(t[i:])
	rest := t[i:]
	kw := func(words ...string) int {
		for _, w := range words {
			if strings.HasPrefix(rest, w) {
				return i + len(w)
			}
		}
		return 0
	}
	switch r {
	case '여':
		if e := kw("여권"); e > 0 {
			return s.passportAfter(e)
		}
	case '护', '護':
		if e := kw("护照", "護照"); e > 0 {
			return s.passportAfter(e)
		}
	case '카':
		if e := kw("카카오톡", "카카오 톡", "카카오", "카톡"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '텔':
		if e := kw("텔레그램", "텔레"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '위':
		if e := kw("위챗"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '왓':
		if e := kw("왓츠앱", "왓츠업"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '바':
		if e := kw("바이버"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '微':
		if e := kw("微信"); e > 0 {
			return s.messengerAfter(e, msgPlain)
		}
	case '라':
		if e := kw("라인"); e > 0 && !piiHangulBefore(t, i) {
			return s.messengerAfter(e, msgAmbiguous)
		}
	case '시':
		if e := kw("시그널"); e > 0 && !piiHangulBefore(t, i) {
			return s.messengerAfter(e, msgAmbiguous)
		}
	case '주':
		if strings.HasPrefix(rest, "주체") {
			if end := s.juche(i); end > 0 {
				return end
			}
		}
	}
	return i + size
}

func piiASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
