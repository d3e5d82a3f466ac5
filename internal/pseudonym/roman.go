package pseudonym

// Korean romanization for the matcher: the Hangul spellings of a word under
// the initial-sound law, and the romanized spellings of surnames, given
// names and place names in the systems people actually write them in.
// Every romanized spelling returned here, except romanizeRR's, is folded:
// lowercase ASCII a–z, no breves, apostrophes, hyphens or spaces.
//
// Sources for the tables:
//   - Revised Romanization of Korean (국어의 로마자 표기법), Ministry of
//     Culture and Tourism notice 2000-8, National Institute of Korean
//     Language, 2000: initials, vowels and finals; ㄹㄹ → ll (ch. 2, art. 2);
//     sound changes in given names are not written (ch. 3, art. 4).
//   - G. M. McCune and E. O. Reischauer, "The Romanization of the Korean
//     Language", Transactions of the Korea Branch of the Royal Asiatic
//     Society 29 (1939), as kept in the Library of Congress ALA-LC Korean
//     romanization table (2009): voicing of ㄱ ㄷ ㅂ ㅈ between voiced
//     sounds, assimilation and liaison in place names, the surname 이 as Yi.
//     Breves and apostrophes are folded away (ŏ → o, ŭ → u, ch' → ch).
//   - North Korean romanization (조선어의 라틴문자표기법, 1992) as KCNA
//     prints it: MR without marks, syllables split, kh/th/ph for the
//     aspirates (Thae Yong Ho, Nampho), initial ㄹ kept (Ri, Ryang, Rim).
//   - Statistics Korea, 2015 Population and Housing Census, surnames (성씨):
//     the set of surnames and their order of frequency.
//   - The order of personal spellings (Lee, Park, Choi, Jung; young, hee,
//     soo) follows common passport usage; it is a judgement, not a count.

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hangul syllable arithmetic: U+AC00 + (L×21 + V)×28 + T.
const (
	romSBase  = 0xAC00
	romSCount = 19 * 21 * 28
	romVCount = 21
	romTCount = 28
)

// Initial consonant indices (L).
const (
	romLG = 0  // ㄱ
	romLN = 2  // ㄴ
	romLD = 3  // ㄷ
	romLR = 5  // ㄹ
	romLM = 6  // ㅁ
	romLB = 7  // ㅂ
	romLS = 9  // ㅅ
	romLO = 11 // ㅇ (silent)
	romLJ = 12 // ㅈ
	romLK = 15 // ㅋ
	romLT = 16 // ㅌ
	romLP = 17 // ㅍ
)

// Vowel indices (V) that rules single out.
const (
	romVWi = 16 // ㅟ
	romVI  = 20 // ㅣ
)

// Final consonant indices (T) that rules single out.
const (
	romTL  = 8  // ㄹ
	romTNG = 21 // ㅇ
	romTNH = 6  // ㄶ
	romTLH = 15 // ㅀ
	romTH  = 27 // ㅎ
)

// Sound classes of finals, as pronounced at the end of a syllable.
const (
	romCNone = iota
	romCK
	romCN
	romCT
	romCL
	romCM
	romCP
	romCNG
)

// romSyl is a Hangul syllable as indices of its initial (0–18), vowel
// (0–20) and final (0–27, 0 for none).
type romSyl struct{ l, v, t int }

func romDecompose(r rune) (romSyl, bool) {
	if r < romSBase || r >= romSBase+romSCount {
		return romSyl{}, false
	}
	i := int(r - romSBase)
	return romSyl{i / (romVCount * romTCount), i / romTCount % romVCount, i % romTCount}, true
}

func (s romSyl) rune() rune {
	return rune(romSBase + (s.l*romVCount+s.v)*romTCount + s.t)
}

// romSyllables decomposes a word made only of Hangul syllables.
func romSyllables(word string) ([]romSyl, bool) {
	if word == "" {
		return nil, false
	}
	var out []romSyl
	for _, r := range word {
		s, ok := romDecompose(r)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Initials in Revised Romanization: ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ.
var romInitRR = [19]string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}

// Initials in McCune–Reischauer, voiceless, apostrophes folded (ch' → ch, k' → k).
var romInitMR = [19]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch", "k", "t", "p", "h"}

// Vowels in Revised Romanization: ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ.
var romVowelRR = [21]string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}

// Vowels in McCune–Reischauer folded (ŏ → o, ŭ → u); North Korean the same.
var romVowelMR = [21]string{"a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i"}

// Personal spellings of vowels for syllables missing from romPersonal:
// ㅓ as u (Suk, Jung), ㅕ as yu (Hyun), ㅜ as oo (Soo), ㅠ as yoo (Yoo).
var romVowelPersonal = map[int]string{4: "u", 6: "yu", 13: "oo", 17: "yoo"}

// Finals: ㄱ ㄲ ㄳ ㄴ ㄵ ㄶ ㄷ ㄹ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅁ ㅂ ㅄ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ, by
// the sound they make at the end of a syllable (the same in RR and MR).
var romFinalClass = [28]int{romCNone,
	romCK, romCK, romCK, romCN, romCN, romCN, romCT, romCL, romCK, romCM, romCL, romCL, romCL, romCP,
	romCL, romCM, romCP, romCP, romCT, romCT, romCNG, romCT, romCT, romCK, romCT, romCP, romCT}

var romCodaSpelling = [8]string{"", "k", "n", "t", "l", "m", "p", "ng"}

// romLiaison is what stays and what moves on when a final meets a
// vowel-initial syllable (백암 → Pae-gam, 철원 → Ch'ŏr-wŏn, 남양 → Na-myang).
var romLiaison = [28][2]string{
	{"", ""}, {"", "g"}, {"", "kk"}, {"k", "s"}, {"", "n"}, {"n", "j"}, {"", "n"}, {"", "d"},
	{"", "r"}, {"l", "g"}, {"l", "m"}, {"l", "b"}, {"l", "s"}, {"l", "t"}, {"l", "p"}, {"", "r"},
	{"", "m"}, {"", "b"}, {"p", "s"}, {"", "s"}, {"", "ss"}, {"ng", ""}, {"", "j"}, {"", "ch"},
	{"", "k"}, {"", "t"}, {"", "p"}, {"", ""},
}

// romStyle selects a romanization system and the sound changes it writes.
type romStyle struct {
	mr          bool // McCune–Reischauer consonants and vowels (folded); otherwise Revised
	voicing     bool // MR: ㄱ ㄷ ㅂ ㅈ voiced after a vowel or ㄴ ㄹ ㅁ ㅇ
	firstVoiced bool // MR: ㄱ ㄷ ㅂ ㅈ voiced at the start too (Kim Jong Un, Jagang)
	assimilate  bool // nasal and lateral assimilation across syllables (Pongnam, Silla)
	liaison     bool // a final carried over to a vowel-initial syllable (Paegam)
	aspH        bool // North Korean kh, th, ph for ㅋ ㅌ ㅍ (Thae, Nampho)
	tenseAfterL bool // MR: ㄷ ㅈ after ㄹ stay voiceless (길주 Kilchu)
	initialL    bool // a word-initial ㄹ as l (Lim, Lyu, Li) rather than r
	sh          bool // ㅅ before ㅣ as sh (Shin, Shim)
}

var (
	romRRName  = romStyle{}                                                         // Revised, names rule
	romRRWord  = romStyle{assimilate: true}                                         // Revised, ordinary words
	romMRName  = romStyle{mr: true, voicing: true}                                  // ALA-LC personal names
	romMRWord  = romStyle{mr: true, voicing: true, assimilate: true}                // MR with assimilation
	romNK      = romStyle{mr: true, voicing: true, aspH: true}                      // North Korean
	romMRPlace = romStyle{mr: true, voicing: true, assimilate: true, liaison: true} // gazetteers
	romRRPlace = romStyle{assimilate: true, liaison: true}                          // Revised, place names
)

// romMaxGiven bounds the number of spellings givenRoman returns.
const romMaxGiven = 48

// romSpell romanizes syllables in one style, one string per syllable (a
// liaison moves a final to the next syllable's string).
func romSpell(ss []romSyl, st romStyle) []string {
	n := len(ss)
	on := make([]string, n)
	co := make([]string, n)
	for i, s := range ss {
		on[i] = romOnset(ss, i, st)
		co[i] = romCodaSpelling[romFinalClass[s.t]]
	}
	for i := 0; i+1 < n; i++ {
		t, l := ss[i].t, ss[i+1].l
		c := romFinalClass[t]
		if st.assimilate {
			switch {
			case l == romLN || l == romLM:
				switch c {
				case romCK:
					co[i] = "ng"
				case romCT:
					co[i] = "n"
				case romCP:
					co[i] = "m"
				case romCL:
					if l == romLN {
						on[i+1] = "l"
					}
				}
			case l == romLR:
				switch c {
				case romCK:
					co[i], on[i+1] = "ng", "n"
				case romCT:
					co[i], on[i+1] = "n", "n"
				case romCP:
					co[i], on[i+1] = "m", "n"
				case romCM, romCNG:
					on[i+1] = "n"
				case romCN:
					co[i], on[i+1] = "l", "l"
				}
			case (t == romTH || t == romTNH || t == romTLH) && (l == romLG || l == romLD || l == romLJ):
				// ㅎ before ㄱ ㄷ ㅈ makes them aspirated: ㄱ ㄷ ㅈ → ㅋ ㅌ ㅊ.
				switch l {
				case romLG:
					on[i+1] = "k"
				case romLD:
					on[i+1] = "t"
				default:
					on[i+1] = "ch"
				}
				co[i] = ""
				if t != romTH {
					co[i] = romCodaSpelling[romFinalClass[t]] // ㄶ, ㅀ keep ㄴ, ㄹ
				}
			}
		}
		if st.liaison && l == romLO && t != 0 && t != romTNG {
			co[i], on[i+1] = romLiaison[t][0], romLiaison[t][1]
		}
	}
	out := make([]string, n)
	for i, s := range ss {
		v := romVowelRR[s.v]
		if st.mr {
			v = romVowelMR[s.v]
		}
		out[i] = on[i] + v + co[i]
	}
	return out
}

// romOnset is the spelling of syllable i's initial before any change
// across the boundary with the syllable before it.
func romOnset(ss []romSyl, i int, st romStyle) string {
	s := ss[i]
	prev := romCNone
	if i > 0 {
		prev = romFinalClass[ss[i-1].t]
	}
	switch s.l {
	case romLG, romLD, romLB, romLJ:
		if !st.mr {
			return romInitRR[s.l]
		}
		voiced := st.firstVoiced
		if i > 0 {
			voiced = st.voicing && (prev == romCNone || prev == romCN || prev == romCL || prev == romCM || prev == romCNG)
			if st.tenseAfterL && prev == romCL && (s.l == romLD || s.l == romLJ) {
				voiced = false
			}
		}
		if voiced {
			return romInitRR[s.l]
		}
		return romInitMR[s.l]
	case romLR:
		if i == 0 {
			if st.initialL {
				return "l"
			}
			return "r"
		}
		if prev == romCL {
			return "l" // ㄹㄹ is ll in every system
		}
		return "r"
	case romLK, romLT, romLP:
		if st.aspH {
			return romInitMR[s.l] + "h"
		}
	case romLS:
		if (st.mr && s.v == romVWi) || (st.sh && (s.v == romVI || s.v == romVWi)) {
			return "sh"
		}
	}
	if st.mr {
		return romInitMR[s.l]
	}
	return romInitRR[s.l]
}

// romSet is an ordered set of strings.
type romSet struct {
	seen map[string]bool
	list []string
}

func (s *romSet) add(vs ...string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, v := range vs {
		if v != "" && !s.seen[v] {
			s.seen[v] = true
			s.list = append(s.list, v)
		}
	}
}

// Initial-sound law (두음 법칙). A word-initial ㄹ is read ㅇ before the
// i/y vowels ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ and ㄴ before the others; a word-initial ㄴ
// is read ㅇ before the i/y vowels. The South applies it in spelling, the
// North does not (리설주 = 이설주, 로동 = 노동, 녀성 = 여성).
var romIY = [21]bool{2: true, 3: true, 6: true, 7: true, 12: true, 17: true, 20: true}

// Sino-Korean readings with initial ㄹ, the only syllables whose South
// Korean ㅇ/ㄴ form can stand for a North Korean ㄹ form. 람 (藍, rare) and
// 롱 (弄) are left out: 남 (南) and 농 (農) are never ㄹ.
var romSinoR = romRuneSet("라락란랄랍랑래랭략량려력련렬렴렵령례로록론뢰료룡루류륙륜률륭륵름릉리린림립")

// Sino-Korean readings with ㄴ before an i/y vowel that the North writes in
// names and common words (녀성, 녕변). Rarer ones (니 尼, 뉴 紐, 뇨 尿, 닉 匿)
// are left out so that 이 maps to 리 alone, 유 to 류 alone.
var romSinoNY = romRuneSet("녀녕")

func romRuneSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// romLawForward gives the South Korean form of a North Korean initial.
func romLawForward(s romSyl) (romSyl, bool) {
	switch {
	case s.l == romLR && romIY[s.v]:
		s.l = romLO
	case s.l == romLR:
		s.l = romLN
	case s.l == romLN && romIY[s.v]:
		s.l = romLO
	default:
		return s, false
	}
	return s, true
}

// romLawReverse gives the North Korean forms a South Korean initial can
// stand for: ㄹ first, then ㄴ.
func romLawReverse(s romSyl) []romSyl {
	var out []romSyl
	switch {
	case s.l == romLO && romIY[s.v]:
		r, n := s, s
		r.l, n.l = romLR, romLN
		if romSinoR[r.rune()] {
			out = append(out, r)
		}
		if romSinoNY[n.rune()] {
			out = append(out, n)
		}
	case s.l == romLN && !romIY[s.v]:
		r := s
		r.l = romLR
		if romSinoR[r.rune()] {
			out = append(out, r)
		}
	}
	return out
}

// hangulVariants returns the Hangul spellings of a word under the
// initial-sound law, the word itself first: the North Korean spelling with
// initial ㄹ (or ㄴ before i/y vowels) on its first syllable and the South
// Korean one. "리영희" → ["리영희", "이영희"]; "이영희" → ["이영희", "리영희"];
// "량강도" → ["량강도", "양강도"]; "로동" → ["로동", "노동"]; "녀성" → ["녀성", "여성"];
// "김석한" → ["김석한"]. Only the first syllable changes. Input is NFC Hangul;
// anything that is not a Hangul syllable is returned unchanged, alone.
//
// A South Korean form gains a North Korean one only where that is a
// Sino-Korean reading (이 → 리, 노 → 로, 영 → 령, 녕); 남, 일, 안 stay alone.
func hangulVariants(word string) []string {
	r, size := utf8.DecodeRuneInString(word)
	s, ok := romDecompose(r)
	if !ok {
		return []string{word}
	}
	rest := word[size:]
	out := []string{word}
	if f, ok := romLawForward(s); ok {
		return append(out, string(f.rune())+rest)
	}
	for _, v := range romLawReverse(s) {
		out = append(out, string(v.rune())+rest)
	}
	return out
}

// canonicalHangul returns the South Korean (initial-sound-law) spelling of
// the first syllable: "리영희" → "이영희", "량강도" → "양강도", "림" → "임". It is the
// key used to identify a person or place across spellings.
func canonicalHangul(word string) string {
	r, size := utf8.DecodeRuneInString(word)
	s, ok := romDecompose(r)
	if !ok {
		return word
	}
	if f, ok := romLawForward(s); ok {
		return string(f.rune()) + word[size:]
	}
	return word
}

// romSurnames holds the folded romanizations of surnames, the most usual
// first, keyed by the South Korean spelling; the North Korean ㄹ forms
// (리, 림, 류, 로, 라, 량, 련, 렴, 려, 룡, 륙) share their entry. The set is the
// 2015 census surnames with more than about 10 000 bearers and the
// two-syllable surnames; systematic spellings (RR, MR, NK) are added to
// each entry by surnameRoman.
var romSurnames = map[string][]string{
	"김":  {"kim", "gim"},
	"이":  {"lee", "yi", "rhee", "ri", "li", "i", "rhie", "yee", "rhi"},
	"박":  {"park", "pak", "bak", "pahk"},
	"최":  {"choi", "choe", "chwe", "choy"},
	"정":  {"jung", "jeong", "chung", "chong", "jong", "joung", "cheong"},
	"강":  {"kang", "gang"},
	"조":  {"cho", "jo", "joe", "jho"},
	"윤":  {"yoon", "yun", "youn"},
	"장":  {"jang", "chang"},
	"임":  {"lim", "im", "rim", "yim", "leem", "lym"},
	"한":  {"han", "hahn"},
	"오":  {"oh", "o"},
	"서":  {"seo", "suh", "so", "su", "seoh"},
	"신":  {"shin", "sin", "shinn"},
	"권":  {"kwon", "gwon", "kweon"},
	"황":  {"hwang", "whang"},
	"안":  {"ahn", "an"},
	"송":  {"song"},
	"전":  {"jeon", "chun", "chon", "jun", "jon", "cheon"},
	"홍":  {"hong"},
	"유":  {"yoo", "yu", "ryu", "you", "rhyu", "lyu", "ryoo", "yuh"},
	"고":  {"ko", "go", "koh"},
	"문":  {"moon", "mun"},
	"양":  {"yang", "ryang", "lyang"},
	"손":  {"son", "sohn"},
	"배":  {"bae", "pae"},
	"백":  {"baek", "paek", "paik", "baik", "back"},
	"허":  {"heo", "hur", "huh", "ho", "her"},
	"남":  {"nam"},
	"심":  {"shim", "sim"},
	"노":  {"noh", "roh", "no", "ro", "rho", "nho"},
	"하":  {"ha", "hah"},
	"곽":  {"kwak", "gwak"},
	"성":  {"sung", "seong", "song"},
	"차":  {"cha"},
	"주":  {"joo", "ju", "chu", "choo"},
	"우":  {"woo", "u", "wu"},
	"구":  {"koo", "ku", "gu", "goo"},
	"민":  {"min"},
	"나":  {"na", "ra", "nah", "la"},
	"진":  {"jin", "chin"},
	"지":  {"ji", "chi", "jee"},
	"엄":  {"um", "eom", "uhm", "om"},
	"채":  {"chae", "chai", "che"},
	"원":  {"won", "weon", "wun"},
	"천":  {"cheon", "chun", "chon"},
	"방":  {"bang", "pang"},
	"공":  {"kong", "gong"},
	"현":  {"hyun", "hyeon", "hyon", "hyoun"},
	"함":  {"ham", "hahm"},
	"변":  {"byun", "byeon", "pyon", "byon", "pyun"},
	"염":  {"yeom", "yum", "youm", "yom", "ryom", "ryeom"},
	"여":  {"yeo", "yuh", "yo", "yoh", "ryo", "ryeo"},
	"추":  {"choo", "chu"},
	"도":  {"do", "doh", "to"},
	"소":  {"so", "soh"},
	"석":  {"seok", "suk", "sok"},
	"선":  {"sun", "seon", "son"},
	"설":  {"seol", "sul", "sol"},
	"마":  {"ma"},
	"길":  {"gil", "kil"},
	"연":  {"yeon", "yun", "youn", "yon", "ryon", "ryeon"},
	"위":  {"wi", "wee"},
	"표":  {"pyo", "pyoh", "phyo"},
	"명":  {"myung", "myeong", "myong"},
	"기":  {"ki", "gi", "kee"},
	"반":  {"ban", "pan"},
	"왕":  {"wang"},
	"금":  {"keum", "geum", "kum", "kuem"},
	"옥":  {"ok", "ock"},
	"육":  {"yook", "yuk", "ryuk"},
	"인":  {"in", "inn"},
	"맹":  {"maeng"},
	"제":  {"je", "jae", "che"},
	"모":  {"mo", "moh"},
	"탁":  {"tak", "tahk", "thak"},
	"국":  {"kook", "guk", "kuk"},
	"어":  {"eo", "uh", "o"},
	"은":  {"eun", "un"},
	"편":  {"pyun", "pyeon", "pyon", "phyon"},
	"용":  {"yong", "ryong", "yung"},
	"예":  {"ye", "yeh"},
	"경":  {"kyung", "kyeong", "gyeong", "kyong"},
	"봉":  {"bong", "pong"},
	"사":  {"sa"},
	"부":  {"boo", "bu", "pu"},
	"태":  {"tae", "thae", "tai"},
	"목":  {"mok"},
	"형":  {"hyung", "hyeong", "hyong"},
	"피":  {"pi", "pee", "phi"},
	"평":  {"pyeong", "pyung", "pyong", "phyong"},
	"두":  {"doo", "du", "tu"},
	"감":  {"kam", "gam"},
	"동":  {"dong", "tong"},
	"빈":  {"bin", "pin"},
	"호":  {"ho"},
	"계":  {"kye", "gye"},
	"좌":  {"jwa", "chwa"},
	"팽":  {"paeng", "phaeng"},
	"승":  {"seung", "sung"},
	"간":  {"kan", "gan"},
	"상":  {"sang"},
	"갈":  {"gal", "kal"},
	"견":  {"kyun", "gyeon", "kyon"},
	"당":  {"dang", "tang"},
	"화":  {"hwa"},
	"창":  {"chang"},
	"뇌":  {"noe", "roe", "rho"},
	"황보": {"hwangbo", "hwangpo"},
	"남궁": {"namgung", "namkung", "namkoong", "namgoong"},
	"선우": {"sunwoo", "seonu", "sonu", "sunoo", "sunu", "seonwoo"},
	"제갈": {"jegal", "chegal", "jekal"},
	"독고": {"dokgo", "dokko", "tokko"},
	"사공": {"sagong", "sakong"},
	"서문": {"seomun", "suhmoon", "somun", "seomoon"},
	"동방": {"dongbang", "tongbang"},
}

// romPersonal holds the folded spellings of common given-name syllables,
// the most usual first: personal spellings (young, hee, soo), Revised, and
// McCune–Reischauer / North Korean, with both the plain and the voiced
// consonant where MR voicing applies (동 dong/tong, 구 gu/ku). Systematic
// spellings missing here are added by syllableRoman.
var romPersonal = map[rune][]string{
	'가': {"ga", "ka"}, '각': {"gak", "kak"}, '갑': {"gap", "kap"}, '강': {"kang", "gang"},
	'개': {"gae", "kae"}, '건': {"gun", "geon", "kun", "kon", "keon", "gon"},
	'걸': {"geol", "gul", "kul", "kol"}, '겸': {"gyeom", "kyum", "gyum", "kyom"},
	'견': {"gyeon", "kyun", "kyon"}, '결': {"gyeol", "kyul", "kyol"},
	'경': {"kyung", "kyeong", "gyeong", "kyong", "kyoung", "gyung", "gyong"},
	'계': {"kye", "gye"}, '고': {"go", "ko"}, '곤': {"gon", "kon"}, '공': {"gong", "kong"},
	'관': {"kwan", "gwan"}, '광': {"kwang", "gwang"}, '교': {"kyo", "gyo"},
	'구': {"gu", "koo", "ku", "goo"}, '국': {"kook", "guk", "kuk", "gook"},
	'군': {"gun", "kun", "goon", "koon"}, '권': {"kwon", "gwon"}, '귀': {"kwi", "gwi"},
	'규': {"kyu", "gyu", "kyoo", "gyoo"}, '균': {"kyun", "gyun", "kyoon"},
	'극': {"geuk", "kuk", "keuk", "guk"}, '근': {"geun", "keun", "kun", "gun"},
	'금': {"geum", "keum", "kum", "gum"}, '기': {"ki", "gi", "kee"}, '길': {"gil", "kil"},
	'나': {"na"}, '낙': {"nak"}, '난': {"nan"}, '남': {"nam"}, '내': {"nae"}, '노': {"no", "noh"},
	'늘': {"neul", "nul"}, '다': {"da", "ta"}, '단': {"dan", "tan"}, '달': {"dal", "tal"},
	'담': {"dam", "tam"}, '당': {"dang", "tang"}, '대': {"dae", "tae"},
	'덕': {"deok", "duk", "dok", "tok"}, '도': {"do", "to", "doh"}, '돈': {"don", "ton"},
	'돌': {"dol", "tol"}, '동': {"dong", "tong"}, '두': {"doo", "du", "tu"},
	'득': {"deuk", "duk", "tuk"}, '라': {"ra", "la"}, '락': {"rak", "lak"}, '란': {"ran", "lan"},
	'람': {"ram", "lam"}, '랑': {"rang", "lang"}, '래': {"rae", "lae"}, '량': {"ryang", "lyang"},
	'려': {"ryeo", "ryo", "lyeo"}, '력': {"ryeok", "ryok", "lyeok"},
	'련': {"ryon", "ryeon", "lyon", "lyeon", "ryun"}, '렬': {"ryol", "ryeol", "lyeol", "ryul"},
	'령': {"ryong", "ryeong", "ryung"}, '례': {"rye", "lye"}, '로': {"ro", "lo", "roh"},
	'록': {"rok", "lok"}, '룡': {"ryong", "lyong", "ryung"}, '류': {"ryu", "lyu", "ryoo"},
	'륜': {"ryun", "lyun", "ryoon"}, '률': {"ryul", "lyul"}, '리': {"ri", "li", "lee", "rhee"},
	'린': {"rin", "lin"}, '림': {"rim", "lim"}, '립': {"rip", "lip"}, '마': {"ma"},
	'만': {"man"}, '매': {"mae"}, '명': {"myung", "myeong", "myong", "myoung"}, '모': {"mo"},
	'목': {"mok"}, '무': {"moo", "mu"}, '묵': {"muk", "mook"}, '문': {"moon", "mun"},
	'미': {"mi", "mee"}, '민': {"min"}, '박': {"bak", "pak", "park"}, '반': {"ban", "pan"},
	'방': {"bang", "pang"}, '배': {"bae", "pae"}, '백': {"baek", "paek", "paik", "baik"},
	'범': {"beom", "bum", "pom", "bom", "pum"}, '법': {"beop", "bup", "pop"},
	'벽': {"byeok", "byuk", "pyok"}, '변': {"byun", "byeon", "pyon", "byon"},
	'별': {"byeol", "byul", "pyol"}, '병': {"byung", "byeong", "pyong", "byong", "pyung"},
	'보': {"bo", "po"}, '복': {"bok", "pok"}, '봉': {"bong", "pong"}, '부': {"boo", "bu", "pu"},
	'분': {"bun", "boon", "pun"}, '빈': {"bin", "pin", "been"}, '사': {"sa"}, '산': {"san"},
	'삼': {"sam"}, '상': {"sang"}, '새': {"sae"}, '생': {"saeng"}, '서': {"seo", "suh", "so"},
	'석': {"seok", "suk", "sok"}, '선': {"sun", "seon", "son"}, '설': {"seol", "sul", "sol"},
	'섭': {"seop", "sub", "sup", "sop", "seob"}, '성': {"sung", "seong", "song"}, '세': {"se"},
	'소': {"so", "soh"}, '솔': {"sol"}, '송': {"song"}, '수': {"su", "soo"},
	'숙': {"suk", "sook"}, '순': {"soon", "sun"}, '숭': {"sung", "soong"},
	'슬': {"seul", "sul"}, '승': {"seung", "sung"}, '시': {"si", "shi"}, '식': {"sik", "shik"},
	'신': {"shin", "sin"}, '실': {"sil", "shil"}, '심': {"shim", "sim"}, '쌍': {"ssang"},
	'아': {"a", "ah"}, '안': {"an", "ahn"}, '암': {"am"}, '애': {"ae"}, '야': {"ya"},
	'양': {"yang"}, '억': {"eok", "uk", "ok"}, '언': {"eon", "un", "on"},
	'업': {"eop", "up", "op"}, '엄': {"eom", "um", "uhm", "om"}, '여': {"yeo", "yuh", "yo"},
	'연': {"yeon", "yun", "youn", "yon"}, '열': {"yeol", "yul", "yol"},
	'염': {"yeom", "yum", "yom"}, '엽': {"yeop", "yup", "yop"},
	'영': {"young", "yeong", "yong", "yung"}, '예': {"ye", "yeh"}, '오': {"oh", "o"},
	'옥': {"ok", "ock"}, '온': {"on"}, '완': {"wan"}, '왕': {"wang"}, '요': {"yo"},
	'용': {"yong", "yung"}, '우': {"woo", "u", "wu"}, '욱': {"wook", "uk", "ook"},
	'운': {"woon", "un", "oon", "wun"}, '웅': {"woong", "ung"}, '원': {"won", "weon", "wun"},
	'월': {"wol", "weol", "wul"}, '위': {"wi", "wee"}, '유': {"yu", "yoo"},
	'육': {"yuk", "yook"}, '윤': {"yoon", "yun"}, '율': {"yul", "yool"},
	'융': {"yung", "yoong"}, '은': {"eun", "un"}, '을': {"eul", "ul"}, '음': {"eum", "um"},
	'의': {"ui", "eui", "ee"}, '이': {"i", "yi", "ee", "lee"}, '익': {"ik", "ick"},
	'인': {"in"}, '일': {"il"}, '임': {"im", "lim", "yim"}, '자': {"ja", "cha"},
	'장': {"jang", "chang"}, '재': {"jae", "chae", "jay"},
	'전': {"jeon", "jun", "chon", "chun", "jon"}, '점': {"jeom", "jum", "chom", "jom"},
	'정': {"jung", "jeong", "chung", "chong", "jong", "joung"},
	'제': {"je", "jae", "che"}, '조': {"jo", "cho"}, '종': {"jong", "chong", "jung"},
	'주': {"joo", "ju", "chu", "choo"}, '준': {"joon", "jun", "chun", "choon"},
	'중': {"joong", "jung", "chung", "choong"}, '증': {"jeung", "jung", "chung"},
	'지': {"ji", "jee", "chi"}, '직': {"jik", "chik"}, '진': {"jin", "chin"},
	'찬': {"chan"}, '창': {"chang"}, '채': {"chae"}, '천': {"cheon", "chun", "chon"},
	'철': {"chul", "cheol", "chol"}, '청': {"cheong", "chung", "chong"}, '초': {"cho"},
	'총': {"chong"}, '추': {"choo", "chu"}, '춘': {"choon", "chun"},
	'충': {"choong", "chung"}, '치': {"chi"}, '칠': {"chil"}, '탁': {"tak", "tahk"},
	'탄': {"tan"}, '태': {"tae", "tai", "thae"}, '택': {"taek", "taik", "thaek"},
	'통': {"tong"}, '팔': {"pal", "phal"}, '편': {"pyun", "pyeon", "pyon"},
	'평': {"pyung", "pyeong", "pyong", "phyong"}, '표': {"pyo", "phyo"},
	'풍': {"pung", "poong", "phung"}, '필': {"pil", "phil"}, '하': {"ha", "hah"}, '학': {"hak"},
	'한': {"han"}, '함': {"ham"}, '항': {"hang"}, '해': {"hae"}, '행': {"haeng"},
	'향': {"hyang"}, '허': {"heo", "hur", "huh", "ho"}, '헌': {"heon", "hun", "hon"},
	'혁': {"hyuk", "hyeok", "hyok"}, '현': {"hyun", "hyeon", "hyon", "hyoun"},
	'형': {"hyung", "hyeong", "hyong"}, '혜': {"hye"}, '호': {"ho"}, '홍': {"hong"},
	'화': {"hwa"}, '환': {"hwan"}, '활': {"hwal"}, '황': {"hwang"},
	'회': {"hoe", "hwe", "hoi"}, '효': {"hyo"}, '후': {"hoo", "hu"}, '훈': {"hoon", "hun"},
	'휘': {"hwi", "hwee"}, '흠': {"heum", "hum"}, '흥': {"heung", "hung"},
	'희': {"hee", "hui", "heui", "hi"},
}

// surnameRoman returns the folded romanizations of a Korean surname (one or
// two Hangul syllables: 김, 이, 리, 남궁, 선우, 제갈, 황보, 독고…), the most usual
// first. Surnames in romSurnames get their listed spellings and the
// systematic ones (Revised, MR folded, North Korean); others get a
// generated set. A surname declared with initial ㄹ and its ㅇ/ㄴ form give
// the same set. Anything that is not Hangul syllables gives nil.
func surnameRoman(surname string) []string {
	if _, ok := romSyllables(surname); !ok {
		return nil
	}
	canon := canonicalHangul(surname)
	var set romSet
	if listed, ok := romSurnames[canon]; ok {
		set.add(listed...)
		cs, _ := romSyllables(canon)
		for _, st := range []romStyle{romRRName, romMRWord, romNK} {
			set.add(strings.Join(romSpell(cs, st), ""))
		}
		return set.list
	}
	for _, v := range hangulVariants(canon) {
		vs, _ := romSyllables(v)
		if len(vs) == 1 {
			initial, _ := syllableRoman(vs[0].rune())
			set.add(initial...)
			continue
		}
		for _, parts := range romGivenForms(vs, 16) {
			set.add(strings.Join(parts, ""))
		}
	}
	return set.list
}

// givenRoman returns the folded romanizations of a Korean given name (1–3
// Hangul syllables), each as its syllables: 석한 → [["seok","han"],
// ["suk","han"], ["sok","han"], ...]: personal spellings, Revised,
// McCune–Reischauer folded with its voicing, North Korean, and the
// assimilated spellings people write (복남 Bongnam, 영락 Yongnak). A given
// name declared with an initial ㄹ (련희) also gets the South Korean
// spellings (Yeon-hee), interleaved; one declared in the South Korean form
// gets the North Korean ones after its own. At most 48 entries, no
// duplicates, the most usual first. Anything that is not Hangul syllables
// gives nil.
func givenRoman(given string) [][]string {
	if _, ok := romSyllables(given); !ok {
		return nil
	}
	variants := hangulVariants(given)
	lists := make([][][]string, len(variants))
	for i, v := range variants {
		vs, _ := romSyllables(v)
		lists[i] = romGivenForms(vs, romMaxGiven)
	}
	if canonicalHangul(given) != given {
		// Declared in the North Korean form: the South Korean spelling
		// is the same name, so the two share the list, interleaved.
		var mixed [][]string
		for i := 0; i < romMaxGiven; i++ {
			for _, l := range lists {
				if i < len(l) {
					mixed = append(mixed, l[i])
				}
			}
		}
		return romUnique(romMaxGiven, mixed)
	}
	return romUnique(romMaxGiven, lists...)
}

// romGivenForms romanizes one spelling of a given name: the combinations
// of per-syllable spellings in order of the sum of their ranks (the best
// personal spelling first), then, if the limit left them out, the
// systematic spellings (Revised, MR, North Korean) and the assimilated
// ones (복남 Bongnam, 영락 Yongnak), up to limit entries. Names longer than
// three syllables get the systematic spellings only.
func romGivenForms(ss []romSyl, limit int) [][]string {
	var sys [][]string
	for _, st := range []romStyle{romRRName, romMRName, romNK, romRRWord, romMRWord} {
		sys = append(sys, romSpell(ss, st))
	}
	if len(ss) > 3 {
		return romUnique(limit, sys)
	}
	lists := romGivenLists(ss)
	// Every combination, ordered by the sum of the ranks; ties keep the
	// lexicographic order of the ranks.
	var tuples [][]int
	idx := make([]int, len(lists))
	for {
		tuples = append(tuples, slices.Clone(idx))
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(lists[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	sum := func(t []int) (n int) {
		for _, v := range t {
			n += v
		}
		return n
	}
	slices.SortStableFunc(tuples, func(a, b []int) int { return sum(a) - sum(b) })
	combos := make([][]string, len(tuples))
	for k, t := range tuples {
		combos[k] = make([]string, len(t))
		for i, r := range t {
			combos[k][i] = lists[i][r]
		}
	}
	combos = romUnique(len(combos), combos)
	// Keep room at the end for the systematic spellings the limit cut.
	var head, missing [][]string
	for room := 0; ; room = len(missing) {
		head = combos[:min(len(combos), max(limit-room, 0))]
		missing = romMissing(head, sys)
		if len(missing) <= room {
			break
		}
	}
	return romUnique(limit, head, missing)
}

// romUnique concatenates lists of spellings, dropping repeats, up to limit.
func romUnique(limit int, lists ...[][]string) [][]string {
	seen := map[string]bool{}
	var out [][]string
	for _, l := range lists {
		for _, parts := range l {
			k := strings.Join(parts, "-")
			if len(out) < limit && !seen[k] {
				seen[k] = true
				out = append(out, parts)
			}
		}
	}
	return out
}

// romMissing returns the spellings of want (without repeats) not in have.
func romMissing(have, want [][]string) [][]string {
	seen := map[string]bool{}
	for _, parts := range have {
		seen[strings.Join(parts, "-")] = true
	}
	var out [][]string
	for _, parts := range want {
		if k := strings.Join(parts, "-"); !seen[k] {
			seen[k] = true
			out = append(out, parts)
		}
	}
	return out
}

// romGivenLists returns, for each syllable of a given name, its spellings
// ordered for its context: the first syllable as name-initial, the others
// after the sound the syllable before ends in (voiced spellings first after
// a voiced sound, l after ㄹ, n for ㄹ only after a consonant that
// assimilates it).
func romGivenLists(ss []romSyl) [][]string {
	lists := make([][]string, len(ss))
	for i, s := range ss {
		initial, medial := syllableRoman(s.rune())
		if i == 0 {
			lists[i] = initial
			continue
		}
		prev := romFinalClass[ss[i-1].t]
		voicedPrev := prev == romCNone || prev == romCN || prev == romCL || prev == romCM || prev == romCNG
		rank := func(string) int { return 0 }
		switch s.l {
		case romLG, romLD, romLB, romLJ:
			rank = func(x string) int {
				if strings.ContainsRune("gdbj", rune(x[0])) == voicedPrev {
					return 0
				}
				return 1
			}
		case romLR:
			var order string
			switch prev {
			case romCL:
				order = "lr"
			case romCK, romCT, romCP, romCM, romCNG:
				order = "rnl"
			default:
				order = "rl"
			}
			medial = slices.DeleteFunc(slices.Clone(medial), func(x string) bool {
				return !strings.ContainsRune(order, rune(x[0]))
			})
			rank = func(x string) int { return strings.IndexRune(order, rune(x[0])) }
		}
		m := slices.Clone(medial)
		slices.SortStableFunc(m, func(a, b string) int { return rank(a) - rank(b) })
		lists[i] = m
	}
	return lists
}

// syllableRoman returns the folded romanizations of one Hangul syllable in
// name-initial position and in non-initial position (two lists), most usual
// first: the personal spellings of romPersonal, Revised, McCune–Reischauer
// (voiceless and voiced), North Korean (th, ph, kh), l for ㄹ, sh for ㅅ
// before ㅣ, and n for a non-initial ㄹ after a consonant (영락 Yongnak).
// A rune that is not a Hangul syllable gives nil, nil.
func syllableRoman(s rune) (initial, medial []string) {
	syl, ok := romDecompose(s)
	if !ok {
		return nil, nil
	}
	personal, listed := romPersonal[s]
	one := func(st romStyle) string { return romSpell([]romSyl{syl}, st)[0] }
	after := func(prevFinal int, st romStyle) string {
		return romSpell([]romSyl{{romLO, 0, prevFinal}, syl}, st)[1]
	}
	const vowel, stop, ng, rieul = 0, 1, romTNG, romTL
	generic := func(onsets ...string) []string {
		pv, ok := romVowelPersonal[syl.v]
		if listed || !ok {
			return nil
		}
		var out []string
		for _, o := range onsets {
			out = append(out, o+pv+romCodaSpelling[romFinalClass[syl.t]])
		}
		return out
	}

	var in romSet
	in.add(personal...)
	in.add(one(romRRName), one(romMRName), one(romStyle{mr: true, firstVoiced: true}), one(romNK))
	if syl.l == romLR {
		in.add(one(romStyle{initialL: true}), one(romStyle{mr: true, initialL: true}))
	}
	in.add(one(romStyle{sh: true}))
	in.add(generic(romInitRR[syl.l], romInitMR[syl.l])...)

	var med romSet
	med.add(personal...)
	med.add(after(vowel, romRRName), after(vowel, romMRName), after(stop, romMRName), after(stop, romNK))
	if syl.l == romLR {
		med.add(after(rieul, romRRName), after(rieul, romMRName))
		med.add(after(ng, romRRWord), after(ng, romMRWord))
	}
	med.add(after(vowel, romStyle{sh: true}))
	med.add(generic(romInitRR[syl.l], romInitMR[syl.l])...)
	return in.list, med.list
}

// placeRoman returns folded romanizations of a Hangul place-name stem (the
// name without its administrative suffix 도/시/군/구/읍/면/리/동/로동자구; the
// caller strips and re-adds suffixes): 혜산 → ["hyesan"], 량강 → ["ryanggang",
// "yanggang"], 회령 → ["hoeryong","hoeryeong"], 청진 → ["chongjin","cheongjin"],
// 남양 → ["namyang"], 평양 → ["pyongyang","pyeongyang","phyongyang"]. The order
// is MR folded as gazetteers write it (with assimilation and liaison),
// Revised, North Korean (Nampho), then spellings without the sound
// changes, for each Hangul variant of the stem. Places are single tokens.
// Anything that is not Hangul syllables gives nil.
func placeRoman(stem string) []string {
	if _, ok := romSyllables(stem); !ok {
		return nil
	}
	var set romSet
	for _, v := range hangulVariants(stem) {
		vs, _ := romSyllables(v)
		styles := []romStyle{
			romMRPlace, romRRPlace,
			{mr: true, voicing: true, assimilate: true, liaison: true, aspH: true},
			romRRName, romMRName,
			{mr: true, voicing: true, assimilate: true, liaison: true, tenseAfterL: true},
		}
		if vs[0].l == romLJ {
			// KCNA writes Jagang, not Chagang.
			styles = append(styles, romStyle{mr: true, voicing: true, assimilate: true, liaison: true, firstVoiced: true})
		}
		for _, st := range styles {
			set.add(strings.Join(romSpell(vs, st), ""))
		}
	}
	return set.list
}

// romanizeRR returns the Revised Romanization (2000 rules, with the
// name-style exceptions: no assimilation across the syllable boundary, no
// hyphen) of a Hangul string, each run of Hangul capitalised as a name:
// romanizeRR("혜산") = "Hyesan", romanizeRR("우진") = "Ujin", romanizeRR("정") =
// "Jeong". Anything that is not a Hangul syllable is copied unchanged.
// Pseudonyms written in romanized text use the personal spellings instead
// (the first entries of surnameRoman and givenRoman).
func romanizeRR(hangul string) string {
	var b strings.Builder
	var run []romSyl
	startsWord := true
	flush := func() {
		if len(run) == 0 {
			return
		}
		w := strings.Join(romSpell(run, romRRName), "")
		if startsWord {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
		run = run[:0]
	}
	for i := 0; i < len(hangul); {
		r, size := utf8.DecodeRuneInString(hangul[i:])
		if s, ok := romDecompose(r); ok {
			run = append(run, s)
		} else {
			flush()
			startsWord = !unicode.IsLetter(r) && !unicode.IsDigit(r)
			b.WriteString(hangul[i : i+size])
		}
		i += size
	}
	flush()
	return b.String()
}
