package pseudonym

import (
	"slices"
	"strings"
	"sync"
)

// Places as notes write them, beyond a name with its particles:
//
//   - Landmarks are not towns. Rivers, mountains and the like
//     (data/landmarks.tsv) stay as they are: 압록강, "the Amnok", 鸭绿江. A
//     landmark that shares its name with a town (the Tumen river and Tumen
//     city, the Changbai mountains and Changbai county) is the landmark
//     with its generic word ("Tumen River", "Changbai Mountains", 长白山)
//     and the town with a word that says town ("Tumen City", 图们市); alone
//     in romanized text it could be either, and is flagged. An
//     organisation that declares a landmark as a place has it replaced like
//     any declared place.
//   - A place fused to an institution word (혜산시보안서, 청진교화소에서,
//     김책시당위원회) is the place: the place is replaced, the institution
//     word and the endings after it are kept.
//   - Romanized places are matched as tolerantly as people: a declared
//     place in the personal spellings of its syllables (Chungjin, Onsung,
//     Shinuiju, Hyesahn), an undeclared one of the gazetteer in the
//     spellings that differ only in a few regular ways (Gimchaek, Shinpo).
//   - Places in Chinese characters: the gazetteer has the Hanja of North
//     Korean places (淸津, 穩城), matched in traditional and simplified
//     forms (fold.go folds the one to the other) and generalized to the
//     province in Chinese characters; a short run of Chinese characters
//     that starts with a Korean surname (朴永洙 in 박영수(朴永洙)) is flagged as
//     a name nobody declared.

// landmarkEntry is one row of data/landmarks.tsv.
type landmarkEntry struct {
	Hangul, HangulNK string
	Names            []string // romanized, without the generic word
	Kind             string
	Hanzi            []string
	Other            []string
}

// landmarkKinds are the values of the landmarks' kind column, and the
// words that say a name is that kind of landmark (folded), after the name
// ("Tumen River") or, for some, before it ("Mount Paektu").
var landmarkKinds = map[string]bool{"river": true, "mountain": true, "range": true, "plateau": true, "lake": true}

var (
	landmarkWordsAfter = map[string]bool{
		"river": true, "rivers": true, "gang": true, "kang": true, "jiang": true, "he": true,
		"mountain": true, "mountains": true, "mts": true, "mt": true, "range": true, "san": true, "shan": true,
		"sanmaek": true, "sanmaegi": true, "peak": true, "plateau": true, "highlands": true, "lake": true,
	}
	landmarkWordsBefore = map[string]bool{"mount": true, "mt": true, "lake": true, "mts": true}
	// townWords say that a name is the town: "Tumen City", "Changbai
	// County".
	townWords = map[string]bool{"city": true, "county": true, "town": true, "si": true, "shi": true, "gun": true, "kun": true, "xian": true, "zhen": true, "district": true}
)

var bundledLandmarks = sync.OnceValue(func() []landmarkEntry { return mustLoadTSV("landmarks.tsv", parseLandmarks) })

// landmarks returns the bundled landmarks.
func landmarks() []landmarkEntry { return bundledLandmarks() }

func parseLandmarks(name string, data []byte) ([]landmarkEntry, error) {
	recs, err := parseTSV(name, data, []string{"hangul", "hangul_nk", "names", "kind", "hanzi", "other"})
	if err != nil {
		return nil, err
	}
	out := make([]landmarkEntry, 0, len(recs))
	for _, rec := range recs {
		f := rec.Fields
		m := landmarkEntry{Hangul: f[0], HangulNK: f[1], Kind: f[3]}
		var ok bool
		switch {
		case !tsvHangul(m.Hangul, 2, 12):
			return nil, tsvRecordError(name, rec, "hangul %q is not Hangul syllables", m.Hangul)
		case m.HangulNK != "" && !tsvHangul(m.HangulNK, 2, 12):
			return nil, tsvRecordError(name, rec, "hangul_nk %q is not Hangul syllables", m.HangulNK)
		case m.HangulNK == m.Hangul:
			return nil, tsvRecordError(name, rec, "hangul_nk repeats hangul: leave it empty")
		case !landmarkKinds[m.Kind]:
			return nil, tsvRecordError(name, rec, "unknown kind %q", m.Kind)
		}
		if m.Names, ok = tsvList(f[2]); !ok || len(m.Names) == 0 {
			return nil, tsvRecordError(name, rec, "names %q: want one or more, ';'-separated", f[2])
		}
		for _, n := range m.Names {
			if split, _ := latinTokens(n); len(split) == 0 || !hasLetter(n) {
				return nil, tsvRecordError(name, rec, "name %q has no letters", n)
			}
		}
		if m.Hanzi, ok = tsvList(f[4]); !ok {
			return nil, tsvRecordError(name, rec, "hanzi %q: want ';'-separated names", f[4])
		}
		for _, h := range m.Hanzi {
			if !tsvHanzi(h) {
				return nil, tsvRecordError(name, rec, "hanzi %q is not Chinese characters", h)
			}
		}
		if m.Other, ok = tsvList(f[5]); !ok {
			return nil, tsvRecordError(name, rec, "other %q: want ';'-separated names", f[5])
		}
		for _, o := range m.Other {
			if !tsvHangul(o, 2, 12) {
				return nil, tsvRecordError(name, rec, "other name %q is not Hangul syllables", o)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// hanName is a name in Chinese characters (folded: simplified), for a
// lookup by its first character.
type hanName struct {
	runes []rune
	place int32 // index into gazetteer(), or -1
	mark  int32 // index into landmarks(), or -1
}

// placeLexicon is what the place checks know, built once from the bundled
// gazetteer and landmarks.
type placeLexicon struct {
	// landmarkLatin maps a landmark's folded romanized name, joined
	// ("tumen", "amnokkang"), to its index; landmarkShared holds the
	// names that are also a town of the gazetteer, which alone do not
	// make a landmark.
	landmarkLatin  map[string]int32
	landmarkShared map[string]bool
	landmarkFirst  map[string]bool // first tokens of landmarkLatin keys, and the words before a name
	landmarkHangul map[string]int32

	// placeFold maps placeFold of every romanized spelling of a gazetteer
	// place to it; spellings that fold alike for places of different
	// provinces are left out.
	placeFold map[string]int32

	han           map[rune][]hanName  // gazetteer places and landmarks in Chinese characters
	hanOf         map[string][]string // canonical Hangul stem → the names in Chinese characters of its gazetteer place
	provinceHan   map[string]string   // province (Hangul) → its name in Chinese characters, folded
	provinceRoman map[string]string   // province or special city (Hangul) → romanized
	surnameHan    map[rune]bool       // Korean surnames in Chinese characters, folded
}

// placeStoplistHan holds bare stems in Chinese characters that are common
// words or well-known places in China (江南, 延安, 朔州): they are North
// Korean places only with their administrative suffix (延安郡).
var placeStoplistHan = map[string]bool{
	"中江": true, "龙川": true, "三水": true, "吉州": true, "朔州": true, "普天": true, "白岩": true, "东林": true,
	"云山": true, "香山": true, "平山": true, "延安": true, "大同": true, "高原": true, "平原": true, "中和": true,
	"江南": true, "江东": true, "温泉": true, "金刚": true, "新兴": true, "铁山": true, "白山": true, "集安": true,
	"通化": true, "安图": true, "中区": true, "宽甸": true,
}

// hanSuffixes are the administrative suffixes of places in Chinese
// characters (folded), longest first.
var hanSuffixes = []string{"朝鲜族自治州", "朝鲜族自治县", "满族自治县", "劳动者区", "特别市", "直辖市", "区域", "地区", "道", "市", "郡", "县", "区", "镇", "州", "省"}

// hanKindSuffixes are the suffixes a place of each kind is written with in
// Chinese characters (Chinese writers give North Korean counties 县 as well
// as 郡).
var hanKindSuffixes = map[string][]string{
	"province": {"道", "省"}, "special-city": {"市"}, "city": {"市"}, "county": {"郡", "县"},
	"district": {"区域", "区"}, "town": {"劳动者区", "区", "镇"}, "prefecture": {"州"},
}

// koreanSurnamesHan are the most common Korean surnames in Chinese
// characters (simplified; traditional forms fold to these), from the
// surnames of data/surnames.tsv.
const koreanSurnamesHan = "金李朴崔郑姜赵尹张林韩吴申徐权黄安宋柳全洪高文梁孙裴白许刘南沈卢河丁成车具禹朱任田闵罗辛池陈严元蔡千方康玄孔咸卞廉杨边吕秋鲁都苏慎石宣薛马吉周延表明奇潘王琴玉陆孟卓蒋房俞桂片龙"

var placeLex = sync.OnceValue(func() *placeLexicon {
	l := &placeLexicon{
		landmarkLatin: map[string]int32{}, landmarkShared: map[string]bool{}, landmarkFirst: map[string]bool{},
		landmarkHangul: map[string]int32{}, placeFold: map[string]int32{}, han: map[rune][]hanName{},
		hanOf: map[string][]string{}, provinceHan: map[string]string{}, provinceRoman: map[string]string{}, surnameHan: map[rune]bool{},
	}
	gaz := gazetteer()
	towns := map[string]bool{} // folded romanized stems of the gazetteer's places
	provinceOf := map[string]string{}
	// A spelling that folds like a surname or a given-name syllable (Jung,
	// Chung for 중구역) is left to the exact spellings.
	personal := map[string]bool{}
	for w := range lex().surnameLatin {
		personal[placeFold(w)] = true
	}
	for w := range lex().syllables {
		personal[placeFold(w)] = true
	}
	for i, p := range gaz {
		var spellings []string
		split, _ := latinTokens(p.Roman)
		for len(split) > 1 && isLatinSuffix(split[len(split)-1]) {
			split = split[:len(split)-1]
		}
		spellings = append(spellings, strings.Join(split, ""))
		for _, h := range []string{p.Hangul, p.HangulNK} {
			if stem, _ := placeStem(h); h != "" && p.Country == "KP" {
				spellings = append(spellings, placeRoman(stem)...)
			}
		}
		for _, s := range spellings {
			towns[s] = true
			k := placeFold(s)
			if len(k) < 4 || personal[k] {
				continue
			}
			if other, ok := provinceOf[k]; ok && other != p.Province {
				l.placeFold[k] = -1 // two provinces: too uncertain to generalize
				continue
			}
			if _, ok := l.placeFold[k]; !ok {
				l.placeFold[k] = int32(i)
			}
			provinceOf[k] = p.Province
		}
		if p.Kind == "province" || p.Kind == "special-city" {
			l.provinceRoman[p.Hangul] = p.Roman
			if p.Hanzi != "" {
				l.provinceHan[p.Hangul] = string(foldHan(p.Hanzi))
			}
		}
	}
	for i, p := range gaz {
		if p.Hanzi == "" {
			continue
		}
		full := foldHan(p.Hanzi)
		l.addHan(hanName{runes: full, place: int32(i), mark: -1})
		stem := string(full)
		for _, s := range hanSuffixes {
			if rest, ok := strings.CutSuffix(stem, s); ok && len([]rune(rest)) >= 2 {
				stem = rest
				break
			}
		}
		if stem == string(full) {
			continue
		}
		// The suffixes of its kind only: 南阳市 is a city in Henan, not
		// 남양노동자구.
		for _, s := range hanKindSuffixes[p.Kind] {
			l.addHan(hanName{runes: []rune(stem + s), place: int32(i), mark: -1})
		}
		hstem, _ := placeStem(p.Hangul)
		border := p.Province == "함경북도" || p.Province == "양강도" || p.Province == "자강도" || p.Province == "평안북도"
		bare := (p.Country == "KP" && (p.Kind == "city" || p.Kind == "special-city" || p.Kind == "province" || (p.Kind == "county" && border))) ||
			(p.Country == "CN" && (p.Kind == "city" || p.Kind == "county"))
		if bare && !placeStoplist[canonicalHangul(hstem)] && !placeStoplistHan[stem] {
			l.addHan(hanName{runes: []rune(stem), place: int32(i), mark: -1})
		}
	}
	for i, m := range landmarks() {
		for _, n := range m.Names {
			_, joined := latinTokens(n)
			k := strings.Join(joined, "")
			l.landmarkLatin[k] = int32(i)
			split, _ := latinTokens(n)
			l.landmarkFirst[split[0]] = true
			if towns[k] || len(k) < 4 { // Tumen, Changbai; Hun
				l.landmarkShared[k] = true
			}
		}
		for _, h := range slices.Concat([]string{m.Hangul, m.HangulNK}, m.Other) {
			if h != "" {
				l.landmarkHangul[canonicalHangul(h)] = int32(i)
			}
		}
		for _, h := range m.Hanzi {
			l.addHan(hanName{runes: foldHan(h), place: -1, mark: int32(i)})
			// A declared landmark is matched in Chinese characters too.
			k := canonicalHangul(m.Hangul)
			l.hanOf[k] = append(l.hanOf[k], string(foldHan(h)))
		}
	}
	for w := range landmarkWordsBefore {
		l.landmarkFirst[w] = true
	}
	for _, r := range koreanSurnamesHan {
		l.surnameHan[r] = true
	}
	// Longest first, landmarks before places of the same length (长白山
	// before 长白).
	for r, ns := range l.han {
		slices.SortStableFunc(ns, func(a, b hanName) int {
			if len(a.runes) != len(b.runes) {
				return len(b.runes) - len(a.runes)
			}
			return int(b.mark) - int(a.mark)
		})
		l.han[r] = ns
	}
	return l
})

func (l *placeLexicon) addHan(n hanName) {
	for _, o := range l.han[n.runes[0]] {
		if slices.Equal(o.runes, n.runes) {
			return
		}
	}
	l.han[n.runes[0]] = append(l.han[n.runes[0]], n)
	if n.place >= 0 {
		p := gazetteer()[n.place]
		for _, h := range slices.Concat([]string{p.Hangul, p.HangulNK}, p.Other) {
			if h != "" {
				stem, _ := placeStem(h)
				k := canonicalHangul(stem)
				l.hanOf[k] = append(l.hanOf[k], string(n.runes))
			}
		}
	}
}

// gazetteerHan returns the names in Chinese characters of the gazetteer
// place whose Hangul stem is stem (惠山, 惠山市 for 혜산): a declared place
// is then matched in Chinese characters too.
func gazetteerHan(stem string) []string {
	out := slices.Clone(placeLex().hanOf[canonicalHangul(stem)])
	// Longest first: matchHan takes the first alias that fits.
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// foldHan folds a name in Chinese characters as the matcher sees it
// (traditional forms as simplified).
func foldHan(s string) []rune {
	var out []rune
	for _, r := range s {
		out = foldRune(r, out)
	}
	return out
}

// placeFold folds a romanized place name (folded letters, no spaces) so
// that spellings that differ in regular ways look alike: sh before i as s
// (Shinpo, Sinpo), ahn as an (Hyesahn), eo as o and eu as u (Revised and
// McCune–Reischauer), oo as u, ung as ong (Onsung, Onsong), an initial g,
// d, b, j as k, t, p, ch (Gimchaek, Kimchaek), ph, th, kh as p, t, k.
func placeFold(s string) string { return string(appendPlaceFold(nil, s)) }

// appendPlaceFold appends placeFold(s) to dst.
func appendPlaceFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		rest := s[i:]
		switch {
		case i == 0 && c == 'g':
			dst = append(dst, 'k')
		case i == 0 && c == 'd':
			dst = append(dst, 't')
		case i == 0 && c == 'b':
			dst = append(dst, 'p')
		case i == 0 && c == 'j':
			dst = append(dst, 'c', 'h')
		case strings.HasPrefix(rest, "shi"), strings.HasPrefix(rest, "shy"):
			dst = append(dst, 's')
			i++
		case strings.HasPrefix(rest, "ahn"):
			dst = append(dst, 'a', 'n')
			i += 2
		case strings.HasPrefix(rest, "eo"):
			dst = append(dst, 'o')
			i++
		case strings.HasPrefix(rest, "eu"), strings.HasPrefix(rest, "oo"):
			dst = append(dst, 'u')
			i++
		case strings.HasPrefix(rest, "ung"):
			dst = append(dst, 'o', 'n', 'g')
			i += 2
		case (c == 'p' || c == 't' || c == 'k') && i+1 < len(s) && s[i+1] == 'h':
			dst = append(dst, c)
			i++
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// placeSpellings returns the romanized spellings of a declared place's
// Hangul stem: std, those of placeRoman (gazetteers' and the standard
// systems' spellings), and extra, the personal spellings of its syllables
// joined (청진 → chungjin, 온성 → onsung, 신의주 → shinuiju) and each
// spelling with ahn for an before a consonant or at the end (hyesahn,
// musahn).
func placeSpellings(stem string) (std, extra []string) {
	std = placeRoman(stem)
	var set romSet
	set.add(std...)
	if n := len([]rune(stem)); n <= 3 {
		for _, v := range hangulVariants(stem) {
			for _, g := range givenRoman(v) {
				set.add(strings.Join(g, ""))
			}
		}
	}
	for _, s := range slices.Clone(set.list) {
		if a := ahnSpelling(s); a != s {
			set.add(a)
		}
	}
	return std, set.list[len(std):]
}

// placeLatinCommon are the suffixes the extra spellings of a declared place
// are also matched with: every suffix for every spelling would be some
// 700 patterns for a place like 신의주.
var placeLatinCommon = [][]string{{"si"}, {"shi"}, {"city"}, {"gun"}, {"kun"}, {"county"}, {"do"}, {"province"}}

// addPlaceLatinCommon registers an extra spelling of a declared place, alone
// and with the common suffixes.
func (x *index) addPlaceLatinCommon(s string, i int32) {
	x.addLatin([]string{s}, target{i, formFull})
	for _, suf := range placeLatinCommon {
		x.addLatin(append([]string{s}, suf...), target{i, formFull})
	}
}

// ahnSpelling writes an as ahn where a syllable ends in it (hyesan →
// hyesahn, anju → ahnju), as people spell 안 and 산.
func ahnSpelling(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == 'a' && i+1 < len(s) && s[i+1] == 'n' && (i+2 == len(s) || !strings.ContainsRune("aeiouyg", rune(s[i+2]))) {
			b.WriteByte('h')
		}
	}
	return b.String()
}

// institutionWords are the institutions people name after a place, fused to
// it in Korean (혜산시보안서, 청진교화소): administrative, security, party,
// prison and labour-camp, hospital, market, station and workplace words.
// Longest first where one starts another.
var institutionWords = []string{
	"국가보위성", "국가보위부", "보위부", "보위국", "보위성", "보위대", "보위원",
	"인민보안성", "인민보안부", "보안서", "보안부", "보안국", "보안성", "보안원",
	"사회안전부", "안전부", "안전서", "안전국", "안전성", "안전원",
	"인민위원회", "인민위", "당위원회", "당위", "당", "행정위원회",
	"교화소", "교양소", "집결소", "노동단련대", "로동단련대", "단련대", "구류장", "관리소", "수용소", "정치범수용소", "감옥",
	"인민병원", "병원", "장마당", "시장", "기차역", "역전", "역", "세관", "경비대", "국경경비대", "경비사령부", "초소",
	"고등중학교", "중학교", "소학교", "인민학교", "학교", "대학교", "대학",
	"연합기업소", "기업소", "공장", "탄광", "광산", "협동농장", "농장", "인민반", "여관", "터미널",
}

var institutionSet = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range institutionWords {
		m[w] = true
		for _, v := range hangulVariants(w) {
			m[v] = true
		}
	}
	return m
}()

// institutionTail reports whether hs (Hangul, 3 bytes a syllable), the rest
// of a word after a place name, is one or more institution words, then
// perhaps 장 or 원 (its head or a member: 보안서장), then endings.
func institutionTail(hs string) bool {
	if hs == "" {
		return false
	}
	var rest func(s string, depth int) bool
	rest = func(s string, depth int) bool {
		if depth > 0 {
			if _, ok := firstEnding(s); ok {
				return true
			}
			for _, head := range []string{"장", "원", "장들", "원들"} {
				if after, ok := strings.CutPrefix(s, head); ok {
					if _, ok := firstEnding(after); ok {
						return true
					}
				}
			}
		}
		if depth == 3 {
			return false
		}
		for k := min(len(s)/3, 6); k >= 1; k-- {
			if institutionSet[s[:3*k]] && rest(s[3*k:], depth+1) {
				return true
			}
		}
		return false
	}
	return rest(hs, 0)
}

// placeTargets reports whether every target is a place.
func (d *doc) placeTargets(ts []target) bool {
	for _, t := range ts {
		if d.x.ents[t.ent].kind != kindPlace {
			return false
		}
	}
	return len(ts) > 0
}

// landmarkLatinAt reports a landmark in romanized text starting at token i:
// a name with its generic word ("Tumen River", "Changbai Mountains"),
// after "Mount", "Mt." or "Lake" ("Mount Paektu"), or, with bare, a name
// that is a landmark alone ("the Amnok", "Yalu"). It returns the index of
// the token after it, or -1. Declared landmarks are not landmarks here:
// the organisation has them replaced.
func (d *doc) landmarkLatinAt(i int, bare bool) int {
	if d.toks[i].lex&lexLandmark == 0 { // not in landmarkFirst
		return -1
	}
	l := placeLex()
	// "Mount Paektu", "Mt. Kumgang", "Lake Chonji".
	if landmarkWordsBefore[string(d.word(i))] {
		if j := d.nextLatin(i, true); j > 0 {
			if m, ok := l.landmarkLatin[string(d.word(j))]; ok && !d.x.declaredLandmark[m] {
				return j + 1
			}
		}
	}
	// A name of up to three words, then a generic word or nothing.
	var name []byte
	best := -1
	for k, n := i, 0; k >= 0 && n < 3; k, n = d.nextLatin(k, false), n+1 {
		name = append(name, d.word(k)...)
		m, ok := l.landmarkLatin[string(name)]
		if !ok || d.x.declaredLandmark[m] {
			continue
		}
		if j := d.nextLatin(k, false); j > 0 && landmarkWordsAfter[string(d.word(j))] {
			best = j + 1
		} else if bare && !l.landmarkShared[string(name)] {
			best = k + 1
		}
	}
	return best
}

// checkPlaceLatin looks at token i, which no declared name matched, for a
// landmark (kept) or a place of the gazetteer (generalized to its
// province, or flagged when it could be a landmark as well). It returns
// the index of the next token to look at, or -1.
func (d *doc) checkPlaceLatin(i int) int {
	t := d.toks[i]
	if n := d.landmarkLatinAt(i, true); n > i {
		return n
	}
	if !t.upper {
		return -1
	}
	wb := d.word(i)
	var p placeEntry
	ok := t.lex&lexPlace != 0
	if ok {
		p = lex().placeLatin[string(wb)]
	} else {
		var buf [48]byte
		k, found := placeLex().placeFold[string(appendPlaceFold(buf[:0], string(wb)))]
		if !found || k < 0 {
			return -1
		}
		p, ok = gazetteer()[k], true
	}
	if p.Kind == "province" {
		return -1
	}
	surname := t.lex&lexSurname != 0
	last, town := i, false
	if j := d.nextLatin(i, false); j > 0 && (isLatinSuffix(string(d.word(j))) || townWords[string(d.word(j))]) {
		last, town = j, true
	}
	if surname && !town {
		return -1 // "Chung" is a surname before it is 중구역
	}
	if !town && placeLex().landmarkShared[string(d.word(i))] {
		if _, isMark := placeLex().landmarkLatin[string(d.word(i))]; isMark {
			start, end := d.v.span(t.s, t.e)
			d.addFlag(start, end, "place-or-landmark", "a name that is both a town and a river or mountain; the town is not written here",
				"write the town with City or County (it is then generalized), declare it, or accept this flag if the river or mountain is meant")
			return i + 1
		}
	}
	d.generalize(t.s, d.toks[last].e, p, "", placeLex().provinceRoman[p.Province])
	return last + 1
}

// hanLandmarkAt returns the length in runes of a landmark in Chinese
// characters at folded rune p (ending by e), or 0.
func (d *doc) hanLandmarkAt(p, e int) int {
	rs := d.v.runes
	for _, n := range placeLex().han[rs[p]] {
		if n.mark >= 0 && p+len(n.runes) <= e && slices.Equal(rs[p:p+len(n.runes)], n.runes) && !d.x.declaredLandmark[n.mark] {
			return len(n.runes)
		}
	}
	return 0
}

// checkHan looks at a run of Chinese characters (token i) for places of the
// gazetteer, which are generalized to their province (in Chinese
// characters), and for a short run that reads as a Korean name, which is
// flagged. Declared names in it were replaced by matchHan before.
func (d *doc) checkHan(i int) int {
	l := placeLex()
	t := d.toks[i]
	rs := d.v.runes
	// What matchHan replaced in this run (its edits are the last ones):
	// the places around them are still looked for.
	tokStart, tokEnd := d.v.span(t.s, t.e)
	var covered []edit
	for k := len(d.edits) - 1; k >= 0 && d.edits[k].start >= tokStart && d.edits[k].end <= tokEnd; k-- {
		covered = append(covered, d.edits[k])
	}
	found := len(covered) > 0
	for p := t.s; p < t.e; {
		if at := int(d.v.start[p]); slices.ContainsFunc(covered, func(e edit) bool { return e.start <= at && at < e.end }) {
			p++
			continue
		}
		if n := d.hanLandmarkAt(p, t.e); n > 0 {
			p += n
			found = true
			continue
		}
		matched := false
		for _, n := range l.han[rs[p]] {
			if n.place < 0 || p+len(n.runes) > t.e || !slices.Equal(rs[p:p+len(n.runes)], n.runes) {
				continue
			}
			pe := gazetteer()[n.place]
			p += len(n.runes)
			matched, found = true, true
			if pe.Province == pe.Hangul { // a province or special city: kept
				break
			}
			start, end := d.v.span(p-len(n.runes), p)
			text := pe.Province
			if h, ok := l.provinceHan[pe.Province]; ok {
				text = h
			}
			d.edits = append(d.edits, edit{start: start, end: end, kind: editReplace, text: text, ent: -1, original: d.v.src[start:end],
				flagKey: "place", flag: Flag{Reason: "a place that nobody declared was generalized to its province",
					Suggestion: "declare the place in the entities file to choose what replaces it, or accept this flag"}})
			break
		}
		if !matched {
			p++
		}
	}
	if found {
		return i + 1
	}
	// A name in Chinese characters among Korean or English text: 朴永洙.
	if n := t.e - t.s; n >= 2 && n <= 4 && l.surnameHan[rs[t.s]] && !hanNeighbour(rs, t.s-1) && !hanNeighbour(rs, t.e) {
		start, end := d.v.span(t.s, t.e)
		d.addFlag(start, end, "korean-name-han", "looks like a Korean name in Chinese characters that nobody declared",
			"declare the person with this spelling among their names, or accept this flag if it is not a person")
	}
	return i + 1
}

// hanNeighbour reports whether the rune at p is Chinese text around a run:
// a character or Chinese punctuation (a run in Chinese prose is not a name
// alone).
func hanNeighbour(rs []rune, p int) bool {
	if p < 0 || p >= len(rs) {
		return false
	}
	r := rs[p]
	return isHan(r) || (0x3000 <= r && r <= 0x303F && r != 0x3000) || r == 0xFF0C || r == 0xFF1A || r == 0xFF1B || r == 0xFF01 || r == 0xFF1F
}

// declaredLandmarks returns the landmarks an organisation declared as
// places: their names are then replaced, not kept.
func declaredLandmarks(e *Entities) map[int32]bool {
	l := placeLex()
	out := map[int32]bool{}
	for _, p := range e.Places {
		for _, n := range slices.Concat(p.Names, p.Aliases) {
			h := strings.ReplaceAll(n, " ", "")
			switch {
			case allHangul(h):
				if m, ok := l.landmarkHangul[canonicalHangul(h)]; ok {
					out[m] = true
				}
			case allHan(h):
				fh := foldHan(h)
				for _, c := range l.han[fh[0]] {
					if c.mark >= 0 && slices.Equal(c.runes, fh) {
						out[c.mark] = true
					}
				}
			default:
				// "Tumen River", "Mount Paektu", "Yalu"; not "Changbai"
				// alone, which is the county.
				split, _ := latinTokens(n)
				generic := false
				for len(split) > 1 && landmarkWordsAfter[split[len(split)-1]] {
					split, generic = split[:len(split)-1], true
				}
				if len(split) > 1 && landmarkWordsBefore[split[0]] {
					split, generic = split[1:], true
				}
				k := strings.Join(split, "")
				if m, ok := l.landmarkLatin[k]; ok && (generic || !l.landmarkShared[k]) {
					out[m] = true
				}
			}
		}
	}
	return out
}
