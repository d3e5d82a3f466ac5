package pseudonym

import "strings"

// Korean attaches particles, copulas and titles to a name without a space:
// 김석한은, 석한이가, 김석한씨는, 혜산에서. A Hangul word is a declared name only if
// what follows the name in the word is such a chain of endings: that keeps
// 한 from matching inside 한국 and 남양 inside 남양주시. When the name is replaced,
// the first ending re-agrees with the new name: 은/는, 이/가, 을/를, 과/와,
// 으로/로 depend on whether the last syllable has a final consonant (and
// 으로/로 on whether that consonant is ㄹ).

// alternating maps each form of an ending that depends on the final
// consonant to its pair: {after a consonant, after a vowel}. Source: the
// standard grammar of Korean particles (National Institute of Korean
// Language, 표준국어대사전, entries for each particle).
var alternating = map[string][2]string{}

// endingPairs lists the alternating endings as {after a consonant, after a
// vowel}. The 으로 family has a third rule (after ㄹ: the vowel form) that
// agree applies.
var endingPairs = [][2]string{
	{"은", "는"}, {"이", "가"}, {"을", "를"}, {"과", "와"},
	{"으로", "로"}, {"으로서", "로서"}, {"으로써", "로써"}, {"으로부터", "로부터"}, {"으로는", "로는"}, {"으로도", "로도"}, {"으로만", "로만"},
	{"이랑", "랑"}, {"이나", "나"}, {"이나마", "나마"}, {"이며", "며"}, {"이든", "든"}, {"이든지", "든지"},
	{"이라도", "라도"}, {"이라는", "라는"}, {"이라고", "라고"}, {"이라면", "라면"}, {"이란", "란"}, {"이라", "라"},
	{"이여", "여"}, {"이야", "야"}, {"이에요", "예요"}, {"이었다", "였다"}, {"이었고", "였고"}, {"이었던", "였던"},
	{"이었는데", "였는데"}, {"이었어", "였어"}, {"이었어요", "였어요"}, {"이었습니다", "였습니다"}, {"이고", "고"},
	{"이다", "다"}, {"이지만", "지만"}, {"이니까", "니까"}, {"이라서", "라서"}, {"이면", "면"},
	// Last, so that 야 after a name reads as the vocative (영희야 ↔ 석한아),
	// far more common than the copula (이야).
	{"아", "야"},
}

// fixedEndings are endings and titles whose form does not depend on the
// name: case particles, auxiliary particles, the copula's polite form, and
// the titles and kinship words people attach to names.
var fixedEndings = []string{
	"의", "에게", "한테", "께", "께서", "께서는", "에", "에서", "에게서", "한테서", "에게는", "한테는",
	"도", "만", "까지", "부터", "보다", "처럼", "같이", "마저", "조차", "밖에", "하고", "더러", "보고",
	"요", "들", "네", "뿐", "대로", "입니다", "입니까", "인", "인데", "인가", "이니", "이네", "이지",
	"씨", "님", "선생", "선생님", "동무", "동지", "여사", "군", "양", "씨네",
	"형", "누나", "언니", "오빠", "엄마", "아빠", "어머니", "아버지", "할머니", "할아버지", "동생", "아들", "딸", "부인", "남편",
}

// endings holds every ending, for segmenting; maxEnding is the longest, in
// syllables.
var (
	endings   = map[string]bool{}
	maxEnding int
)

func init() {
	add := func(e string) {
		endings[e] = true
		maxEnding = max(maxEnding, len([]rune(e)))
	}
	for _, p := range endingPairs {
		alternating[p[0]] = p
		alternating[p[1]] = p
		add(p[0])
		add(p[1])
	}
	for _, e := range fixedEndings {
		add(e)
	}
	if maxEnding > maxEndingCap {
		panic("an ending is longer than maxEndingCap syllables")
	}
	for e := range endings {
		for _, r := range e {
			if !isHangul(r) {
				panic("an ending is not Hangul syllables: " + e)
			}
		}
	}
}

// splitEndings splits s (Hangul syllables that follow a name in one word)
// into endings, preferring the fewest pieces. It reports false if s is not
// a chain of endings.
func splitEndings(s string) ([]string, bool) {
	var next [4*maxEndingCap + 1]int8
	n, ok := segment(s, &next)
	if !ok || n == 0 {
		return nil, ok
	}
	var out []string
	for i := 0; i < n; i = int(next[i]) {
		out = append(out, s[3*i:3*int(next[i])])
	}
	return out, true
}

// firstEnding is splitEndings without the allocation: it returns the first
// ending ("" if s is empty) and whether s is a chain of endings.
func firstEnding(s string) (string, bool) {
	var next [4*maxEndingCap + 1]int8
	n, ok := segment(s, &next)
	if !ok || n == 0 {
		return "", ok
	}
	return s[:3*int(next[0])], true
}

// maxEndingCap bounds maxEnding, for the arrays segment uses.
const maxEndingCap = 8

// segment finds the fewest endings that make up s, a string of Hangul
// syllables (3 bytes each in UTF-8): next[i] is where the ending that
// starts at syllable i ends. It returns the number of syllables.
func segment(s string, next *[4*maxEndingCap + 1]int8) (int, bool) {
	if s == "" {
		return 0, true
	}
	n := len(s) / 3
	if len(s)%3 != 0 || n > 4*maxEnding {
		return 0, false
	}
	var best [4*maxEndingCap + 1]int8
	best[n] = 0
	for i := n - 1; i >= 0; i-- {
		best[i] = -1
		for j := min(n, i+maxEnding); j > i; j-- {
			if best[j] >= 0 && endings[s[3*i:3*j]] && (best[i] < 0 || best[j]+1 < best[i]) {
				best[i], next[i] = best[j]+1, int8(j)
			}
		}
	}
	return n, best[0] >= 0
}

// finalConsonant returns the final consonant (jongseong) index of the last
// syllable of s: 0 for none, 8 for ㄹ; -1 if s does not end in a Hangul
// syllable.
func finalConsonant(s string) int {
	if s == "" {
		return -1
	}
	r := []rune(s)[len([]rune(s))-1]
	if r < 0xAC00 || r > 0xD7A3 {
		return -1
	}
	return int(r-0xAC00) % 28
}

const jongRieul = 8

// agree returns the endings that follow a replacement word: the first
// ending takes the form that agrees with the replacement's last syllable.
// fullName tells whether the name was a whole name (surname and given
// name): after a given name alone, a leading 이 is the familiar suffix
// (석한이가), which a name ending in a vowel drops (영희가).
func agree(endings []string, replacement string, fullName bool) string {
	if len(endings) == 0 {
		return ""
	}
	fc := finalConsonant(replacement)
	out := append([]string(nil), endings...)
	if fc < 0 {
		// Not a Hangul word (a label in brackets): the neutral form
		// Korean writes when the sound is not known, 은(는), (으)로.
		if pair, ok := alternating[out[0]]; ok && fullName {
			out[0] = neutralForm(pair)
		}
		return strings.Join(out, "")
	}
	if !fullName && out[0] == "이" && len(out) > 1 {
		// The familiar suffix: kept after a consonant, dropped after a
		// vowel; what follows it already has its after-a-vowel form.
		if fc == 0 {
			out = out[1:]
		}
		return strings.Join(out, "")
	}
	if pair, ok := alternating[out[0]]; ok {
		switch {
		case fc == 0:
			out[0] = pair[1]
		case fc == jongRieul && strings.HasPrefix(pair[0], "으로"):
			out[0] = pair[1]
		default:
			out[0] = pair[0]
		}
	}
	return strings.Join(out, "")
}

// neutralForm writes both forms of an alternating ending: 은(는), 이(가),
// (으)로, (이)라는.
func neutralForm(pair [2]string) string {
	c, v := pair[0], pair[1]
	switch {
	case strings.HasPrefix(c, "으") && strings.TrimPrefix(c, "으") == v:
		return "(으)" + v
	case strings.HasPrefix(c, "이") && strings.TrimPrefix(c, "이") == v:
		return "(이)" + v
	}
	return c + "(" + v + ")"
}
