package pseudonym

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The matcher reads a folded view of the text, so that every way of typing
// a name looks the same to it: lower case; no accents or breves (Sŏk →
// sok); fullwidth and mathematical letters as plain ones (Ｋｉｍ, 𝐊𝐢𝐦 → kim);
// Cyrillic and Greek letters that look Latin as Latin (Кim → kim); invisible
// characters dropped (zero-width spaces, soft hyphens, variation
// selectors, Hangul fillers, bidi marks); every dash a hyphen, every
// apostrophe ', every space or line break a space; Markdown emphasis and
// HTML tags a space. Each folded rune remembers the bytes of the original
// (NFC) text it came from, so a match in the view is a byte range of the
// text.

// view is a text and its folded form.
type view struct {
	src   string
	runes []rune  // the folded text
	start []int32 // byte offset in src where each folded rune's source begins
	// tagEnd holds, for a folded rune that stands for an HTML tag, where
	// the tag ends; every other rune's source is one character of src.
	tagEnd map[int32]int32
}

const (
	foldSpace      = ' '
	foldNewline    = '\n' // a line break: a space that a wrapped word may cross
	foldHyphen     = '-'
	foldApostrophe = '\''
	foldMarkup     = '\x01' // markup between words: a separator like a space
)

// newView folds src, which must be NFC.
func newView(src string) *view { return (&view{}).reset(src) }

// reset folds src into v, reusing its buffers.
func (v *view) reset(src string) *view { return v.fold(src, nil) }

// fold folds src into v, reusing its buffers; with z, it splits the folded
// text into words in the same pass (tokenizer).
func (v *view) fold(src string, z *tokenizer) *view {
	v.src, v.tagEnd = src, nil
	n := len(src) + 8 // at least the rune count, without counting
	if cap(v.runes) < n {
		v.runes = make([]rune, n)
		v.start = make([]int32, n)
	}
	// Most runes fold to one rune: write by index into buffers of the
	// rune count, and append only past it (a ligature that folds to two).
	runes, start := v.runes[:cap(v.runes)], v.start[:cap(v.start)]
	k := 0
	put := func(r rune, at int) {
		if z != nil {
			if c := runeClass(r); c != z.cur {
				z.boundary(c, k, runes, start, src)
			}
		}
		if k < len(runes) {
			runes[k], start[k] = r, int32(at)
		} else {
			runes, start = append(runes, r), append(start, int32(at))
		}
		k++
	}
	if z != nil {
		z.reset(n / 3)
	}
	var tmp [8]rune
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c == '<' {
				if j := htmlTag(src, i); j > i {
					if v.tagEnd == nil {
						v.tagEnd = map[int32]int32{}
					}
					v.tagEnd[int32(k)] = int32(j)
					put(foldMarkup, i)
					i = j
					continue
				}
			}
			if k < len(runes) {
				if cl := asciiClass[c]; z != nil && cl != z.cur {
					if z.cur == 0 && cl == tLatin { // a word starts: boundary's last step
						z.cur, z.from = tLatin, k
					} else {
						z.boundary(cl, k, runes, start, src)
					}
				}
				runes[k], start[k] = asciiFold[c], int32(i)
				k++
			} else {
				put(asciiFold[c], i)
			}
			i++
			continue
		}
		// Hangul syllables are 3 bytes, 0xEA 0xB0 0x80 to 0xED 0x9E 0xA3.
		if c >= 0xEA && c <= 0xED && i+2 < len(src) {
			r := rune(c&0x0F)<<12 | rune(src[i+1]&0x3F)<<6 | rune(src[i+2]&0x3F)
			if isHangul(r) && src[i+1]&0xC0 == 0x80 && src[i+2]&0xC0 == 0x80 {
				if k < len(runes) {
					if z != nil && z.cur != tHangul {
						if z.cur == 0 {
							z.cur, z.from = tHangul, k
						} else {
							z.boundary(tHangul, k, runes, start, src)
						}
					}
					runes[k], start[k] = r, int32(i)
					k++
				} else {
					put(r, i)
				}
				i += 3
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		for _, f := range foldRune(r, tmp[:0]) {
			put(f, i)
		}
		i += size
	}
	if z != nil {
		z.boundary(0, k, runes, start, src)
	}
	v.runes, v.start = runes[:k], start[:k]
	return v
}

// A tokenizer splits the folded text into words as it is folded: runs of
// Hangul syllables, of Chinese characters, and of Latin letters (with
// apostrophes inside: O'Brien, Ch'ŏngjin; a possessive 's is marked, not
// part of the name). Everything else separates words.
type tokenizer struct {
	toks []token
	cur  uint8 // the class of the word being read (tLatin…), or 0
	from int   // where it started, in folded runes
	apos int   // a Latin word's apostrophe not yet known to be inside it, or -1
	// latin fills in what a Latin word needs the index for (token ID,
	// classes), given its folded letters; may be nil.
	latin func(letters []rune) (id int32, lex uint8)
}

// clsApos is the class of an apostrophe, and clsPending the state after
// one that ended a Latin word so far: the next rune decides.
const (
	clsApos    uint8 = 8
	clsPending uint8 = 9
)

// asciiClass is runeClass of each ASCII byte's fold.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		t[c] = runeClass(asciiFold[c])
	}
	return t
}()

// runeClass returns the class of a folded rune for the tokenizer.
func runeClass(r rune) uint8 {
	switch {
	case r == foldApostrophe:
		return clsApos
	case isHangul(r):
		return tHangul
	case isHan(r):
		return tHan
	case isLatinLetter(r):
		return tLatin
	}
	return 0
}

func (z *tokenizer) reset(capacity int) {
	if cap(z.toks) < capacity/4 {
		z.toks = make([]token, 0, capacity)
	}
	z.toks, z.cur, z.apos = z.toks[:0], 0, -1
}

// boundary is called before the folded rune k, of class c, when c differs
// from the class of the word being read (runes and start hold the folded
// runes before k).
func (z *tokenizer) boundary(c uint8, k int, runes []rune, start []int32, src string) {
	switch {
	case z.cur == clsPending:
		if c == tLatin { // O'Brien: the apostrophe was inside
			z.cur, z.apos = tLatin, -1
			return
		}
		z.cur = tLatin
		z.end(z.apos, runes, start, src) // at the apostrophe
		z.apos = -1
	case z.cur == tLatin && c == clsApos:
		z.cur, z.apos = clsPending, k
		return
	case z.cur != 0:
		z.end(k, runes, start, src)
	}
	z.cur = 0
	if c == tHangul || c == tHan || c == tLatin {
		z.cur, z.from = c, k
	}
}

// end closes the word being read at folded rune e.
func (z *tokenizer) end(e int, runes []rune, start []int32, src string) {
	s := z.from
	t := token{s: s, e: e, full: e, kind: z.cur}
	switch z.cur {
	case tHangul:
		// Where its syllables are in the source, if nothing invisible
		// was dropped between them.
		t.src, t.syl = start[s], uint16(runes[s]-0xAC00)
		if start[e-1]+3-t.src != int32(3*(e-s)) {
			t.src = -1
		}
	case tLatin:
		t.id = -1
		if e-s >= 3 && runes[e-1] == 's' && runes[e-2] == foldApostrophe {
			t.e, t.poss = e-2, true
		}
		if c := src[start[s]]; c < utf8.RuneSelf {
			t.upper = 'A' <= c && c <= 'Z'
		} else {
			c, _ := utf8.DecodeRuneInString(src[start[s]:])
			t.upper = unicode.IsUpper(c)
		}
		if z.latin != nil {
			t.id, t.lex = z.latin(runes[t.s:t.e])
		}
	}
	z.toks = append(z.toks, t)
}

// end returns the byte offset in src where folded rune i's source ends.
func (v *view) end(i int) int {
	if v.tagEnd != nil {
		if e, ok := v.tagEnd[int32(i)]; ok {
			return int(e)
		}
	}
	s := int(v.start[i])
	if c := v.src[s]; c < utf8.RuneSelf {
		return s + 1
	}
	_, size := utf8.DecodeRuneInString(v.src[s:])
	return s + size
}

// span returns the source byte range of the folded runes [i, j).
func (v *view) span(i, j int) (int, int) {
	return int(v.start[i]), v.end(j - 1)
}

// asciiFold is foldASCII as a table.
var asciiFold = func() (t [utf8.RuneSelf]rune) {
	for c := range t {
		t[c] = foldASCII(byte(c))
	}
	return t
}()

func foldASCII(c byte) rune {
	switch {
	case 'A' <= c && c <= 'Z':
		return rune(c + 'a' - 'A')
	case c == '\n':
		return foldNewline
	case c == '\t' || c == '\r' || c == '\v' || c == '\f':
		return foldSpace
	case c == '`':
		return foldApostrophe
	case c == '*' || c == '_' || c == '~':
		return foldMarkup
	}
	return rune(c)
}

// htmlTag returns the end of an HTML tag starting at src[i] ('<'), like
// <b>, </strong> or <span class="x">, or i if there is none.
func htmlTag(src string, i int) int {
	j := i + 1
	if j < len(src) && src[j] == '/' {
		j++
	}
	k := j
	for k < len(src) && k-j < 12 && (('a' <= src[k] && src[k] <= 'z') || ('A' <= src[k] && src[k] <= 'Z') || ('0' <= src[k] && src[k] <= '9' && k > j)) {
		k++
	}
	if k == j {
		return i
	}
	for end := k; end < len(src) && end-i < 80; end++ {
		switch src[end] {
		case '>':
			return end + 1
		case '<', '\n':
			return i
		}
	}
	return i
}

// foldCache remembers how non-ASCII runes fold: a rune's fold never
// changes, and decomposing is the costly part.
var foldCache sync.Map // rune → []rune

// foldRune appends the folded form of r (zero or more runes) to dst.
func foldRune(r rune, dst []rune) []rune {
	switch {
	case 0xAC00 <= r && r <= 0xD7A3: // Hangul syllables, kept whole
		return append(dst, r)
	case isInvisible(r):
		return dst
	}
	if f, ok := foldCache.Load(r); ok {
		return append(dst, f.([]rune)...)
	}
	f := foldSlow(r)
	foldCache.Store(r, f)
	return append(dst, f...)
}

func foldSlow(r rune) []rune {
	switch {
	case isHan(r):
		if s, ok := simplified[r]; ok {
			return []rune{s}
		}
		return []rune{r}
	case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || r == '\u2028' || r == '\u2029':
		return []rune{foldSpace}
	case isDash(r):
		return []rune{foldHyphen}
	case isApostrophe(r):
		return []rune{foldApostrophe}
	}
	var out []rune
	for _, d := range norm.NFKD.String(string(r)) {
		if unicode.Is(unicode.Mn, d) || isInvisible(d) {
			continue
		}
		if 0x1100 <= d && d <= 0x11FF || 0x3130 <= d && d <= 0x318F {
			// Hangul jamo from a decomposed compatibility form: keep
			// the original character.
			return []rune{r}
		}
		d = unicode.ToLower(d)
		if l, ok := confusable[d]; ok {
			d = l
		}
		switch {
		case isDash(d):
			d = foldHyphen
		case isApostrophe(d):
			d = foldApostrophe
		case d == '*' || d == '_' || d == '~':
			d = foldMarkup
		}
		out = append(out, d)
	}
	return out
}

// isInvisible reports characters that show nothing, or nothing of their
// own, and that people type or paste into names: format characters
// (zero-width spaces and joiners, soft hyphen, bidi marks, BOM), variation
// selectors, the combining grapheme joiner, and the Hangul fillers (which
// are letters to Unicode but draw nothing).
func isInvisible(r rune) bool {
	switch {
	case r == '\u034F', r == '\u115F', r == '\u1160', r == '\u3164', r == '\uFFA0', r == '\u180E':
		return true
	case 0xFE00 <= r && r <= 0xFE0F, 0xE0100 <= r && r <= 0xE01EF:
		return true
	case r < 0x80:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

func isDash(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE58', '\uFE63', '\uFF0D', '\u30FC':
		return true
	}
	return false
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u02BC', '\u02BB', '\u0060', '\u00B4', '\uFF07', '\u2032':
		return true
	}
	return false
}

func isHan(r rune) bool {
	return 0x4E00 <= r && r <= 0x9FFF || 0x3400 <= r && r <= 0x4DBF || 0xF900 <= r && r <= 0xFAFF || 0x20000 <= r && r <= 0x2FA1F
}

func isHangul(r rune) bool { return 0xAC00 <= r && r <= 0xD7A3 }

// confusable maps letters of other scripts that look like Latin letters
// (after lower-casing) to those letters. Source: the Unicode confusables
// data (UTS #39, confusables.txt), the Cyrillic and Greek rows whose
// target is a single Latin letter.
var confusable = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ѕ': 's', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h',
	'ɡ': 'g', 'ԁ': 'd', 'ո': 'n', 'ս': 'u',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'ζ': 'z', 'η': 'n', 'ι': 'i', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y',
	// Latin look-alikes
	'ı': 'i', 'ȷ': 'j', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŀ': 'l', 'ſ': 's',
}

// simplified folds traditional Chinese characters common in Korean names
// and places to their simplified forms, so that an alias declared in one
// script matches text in the other (金錫漢 = 金锡汉). Source: the Table of
// General Standard Chinese Characters (通用规范汉字表, 2013), restricted to
// characters used in Korean names and North Korean place names.
var simplified = map[rune]rune{
	'錫': '锡', '漢': '汉', '鐵': '铁', '東': '东', '龍': '龙', '國': '国', '華': '华', '長': '长', '張': '张',
	'陳': '陈', '劉': '刘', '趙': '赵', '鄭': '郑', '權': '权', '許': '许', '韓': '韩', '吳': '吴', '孫': '孙',
	'黃': '黄', '宋': '宋', '嚴': '严', '陸': '陆', '魯': '鲁', '盧': '卢', '羅': '罗', '馬': '马', '閔': '闵',
	'愼': '慎', '禹': '禹', '車': '车', '貞': '贞', '順': '顺', '淑': '淑', '愛': '爱', '實': '实', '鳳': '凤',
	'鶴': '鹤', '聖': '圣', '勝': '胜', '賢': '贤', '進': '进', '鎭': '镇', '鎮': '镇', '錦': '锦', '銀': '银',
	'鍾': '钟', '鐘': '钟', '榮': '荣', '蘭': '兰', '麗': '丽', '惠': '惠', '慶': '庆', '廣': '广', '觀': '观',
	'煥': '焕', '燁': '烨', '學': '学', '會': '会', '寧': '宁', '隱': '隐', '顯': '显', '鮮': '鲜', '齊': '齐',
	'萬': '万', '億': '亿', '義': '义', '禮': '礼', '農': '农', '業': '业', '興': '兴', '豐': '丰', '運': '运',
	'達': '达', '遠': '远', '連': '连', '邊': '边', '陽': '阳', '陰': '阴', '雲': '云', '電': '电', '風': '风',
	'飛': '飞', '門': '门', '開': '开', '關': '关', '間': '间', '闘': '斗', '鬪': '斗', '淸': '清', '滿': '满',
	'濟': '济', '潤': '润', '澤': '泽', '灣': '湾', '瀋': '沈', '營': '营', '遼': '辽', '吉': '吉', '圖': '图',
	'們': '们', '琿': '珲', '綠': '绿', '紅': '红', '純': '纯', '紀': '纪', '經': '经', '維': '维', '緒': '绪',
	'續': '续', '繼': '继', '總': '总', '聯': '联', '職': '职', '譽': '誉', '貴': '贵', '賀': '贺', '輝': '辉',
	'軍': '军', '錄': '录', '鎬': '镐', '頭': '头', '顔': '颜', '願': '愿', '類': '类', '養': '养', '餘': '余',
	'書': '书', '時': '时', '曉': '晓', '歲': '岁',
	// North Korean place names in Hanja (data/gazetteer.tsv) and the
	// landmarks (data/landmarks.tsv); 淸 and 靑 are the Korean forms of 清
	// and 青.
	'轄': '辖', '鏡': '镜', '兩': '两', '別': '别', '龜': '龟', '淵': '渊', '澗': '涧', '漁': '渔',
	'穩': '稳', '臺': '台', '勞': '劳', '動': '动', '區': '区', '鋒': '锋', '峴': '岘', '靑': '青',
	'戰': '战', '館': '馆', '倉': '仓', '肅': '肃', '虛': '虚', '剛': '刚', '甕': '瓮', '載': '载',
	'樂': '乐', '橋': '桥', '鴨': '鸭', '寶': '宝', '脈': '脉', '蓋': '盖', '臨': '临', '渾': '浑',
	'寬': '宽', '爾': '尔', '禿': '秃', '縣': '县', '島': '岛', '嶺': '岭', '裵': '裴', '兪': '俞',
	'蔣': '蒋', '楊': '杨', '呂': '吕', '蘇': '苏', '範': '范',
	// More given-name characters, for names declared in Hanja and written
	// in simplified characters (or the other way round).
	'勳': '勋', '憲': '宪', '鉉': '铉', '燦': '灿', '碩': '硕', '鍊': '炼', '鎔': '镕', '鳴': '鸣',
	'銖': '铢', '壽': '寿', '賓': '宾', '傑': '杰', '偉': '伟', '團': '团', '紹': '绍', '綱': '纲',
	'贊': '赞', '讚': '赞', '協': '协', '尙': '尚', '蓮': '莲', '潔': '洁', '齡': '龄', '雙': '双',
	'鎰': '镒', '瑩': '莹', '鍵': '键', '銘': '铭', '鏞': '镛', '濱': '滨', '鴻': '鸿', '鵬': '鹏',
	'劍': '剑', '軾': '轼', '鐸': '铎', '聲': '声', '號': '号', '圓': '圆', '園': '园',
}

// Cheap tests on Hangul, before any string is hashed: a syllable set is a
// bit per syllable, a pair set holds the first two syllables of words.

// sylSet is a set of Hangul syllables.
type sylSet [(0xD7A3-0xAC00)/64 + 1]uint64

// syllable returns the index of the Hangul syllable that hs (UTF-8) starts
// with, or -1.
func syllable(hs string) int {
	if len(hs) < 3 || hs[0] < 0xEA || hs[0] > 0xED {
		return -1
	}
	r := rune(hs[0]&0x0F)<<12 | rune(hs[1]&0x3F)<<6 | rune(hs[2]&0x3F)
	if r < 0xAC00 || r > 0xD7A3 {
		return -1
	}
	return int(r - 0xAC00)
}

func (s *sylSet) add(hs string) {
	if i := syllable(hs); i >= 0 {
		s[i/64] |= 1 << (i % 64)
	}
}

// hasSyl reports whether the syllable of index i (see syllable) is in the
// set.
func (s *sylSet) hasSyl(i uint16) bool { return s[i/64]&(1<<(i%64)) != 0 }

// has reports whether hs starts with a syllable of the set.
func (s *sylSet) has(hs string) bool {
	i := syllable(hs)
	return i >= 0 && s[i/64]&(1<<(i%64)) != 0
}

// pairSet is a set of two-syllable prefixes, with the set of their first
// syllables and a one-hash Bloom filter of the pairs as quick first tests.
type pairSet struct {
	first sylSet
	bits  [1 << 10]uint64 // 2^16 bits
	pairs map[uint32]struct{}
}

func pairBit(k uint32) uint32 { return (k * 2654435761) >> 16 }

func newPairSet() *pairSet { return &pairSet{pairs: map[uint32]struct{}{}} }

func pairKey(hs string) (uint32, bool) {
	a := syllable(hs)
	if a < 0 || len(hs) < 6 {
		return 0, false
	}
	b := syllable(hs[3:])
	if b < 0 {
		return 0, false
	}
	return uint32(a)*11172 + uint32(b), true
}

func (p *pairSet) add(hs string) {
	if k, ok := pairKey(hs); ok {
		p.pairs[k] = struct{}{}
		p.first.add(hs)
		b := pairBit(k)
		p.bits[b/64] |= 1 << (b % 64)
	}
}

// has reports whether hs starts with a pair of the set.
func (p *pairSet) has(hs string) bool {
	if !p.first.has(hs) {
		return false
	}
	k, ok := pairKey(hs)
	if !ok {
		return false
	}
	if b := pairBit(k); p.bits[b/64]&(1<<(b%64)) == 0 {
		return false
	}
	_, in := p.pairs[k]
	return in
}
