package pseudonym

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// dataTestInitialLaw applies the South Korean initial-sound law to a
// word-initial syllable: 리 → 이, 라 → 나, 녀 → 여 (North → South).
func dataTestInitialLaw(r rune) rune {
	if r < 0xAC00 || r > 0xD7A3 {
		return r
	}
	s := int(r - 0xAC00)
	l, v, t := s/(21*28), (s/28)%21, s%28
	const rieul, nieun, ieung = 5, 2, 11
	iy := v == 2 || v == 3 || v == 6 || v == 7 || v == 12 || v == 17 || v == 20 // ㅑㅒㅕㅖㅛㅠㅣ
	switch {
	case l == rieul && iy, l == nieun && iy:
		l = ieung
	case l == rieul:
		l = nieun
	}
	return rune(0xAC00 + (l*21+v)*28 + t)
}

// dataTestCanon applies the initial-sound law at the given syllable
// positions (the start of the surname and of the given name).
func dataTestCanon(s string, at ...int) string {
	rs := []rune(s)
	for _, i := range at {
		if i < len(rs) {
			rs[i] = dataTestInitialLaw(rs[i])
		}
	}
	return string(rs)
}

func TestDataLoaders(t *testing.T) {
	// The loaders panic on a malformed line; run each and check the
	// minimum sizes the generator and the detectors rely on.
	if n := len(surnames()); n < 40 {
		t.Errorf("%d surnames, want at least 40", n)
	}
	if n := len(givenNames()); n < 300 {
		t.Errorf("%d given names, want at least 300", n)
	}
	if n := len(famousNames()); n < 80 {
		t.Errorf("%d famous names, want at least 80", n)
	}
	kp := 0
	for _, p := range gazetteer() {
		if p.Country == "KP" {
			kp++
		}
	}
	if kp < 200 {
		t.Errorf("%d North Korean places, want at least 200", kp)
	}
	// Loading twice returns the same data.
	if &surnames()[0] != &surnames()[0] {
		t.Error("surnames parsed twice")
	}
}

// dataTestHangulFields lists every Hangul field of the bundled data, with
// where it comes from.
func dataTestHangulFields() map[string][]string {
	m := map[string][]string{}
	for _, s := range surnames() {
		m["surnames.tsv"] = append(m["surnames.tsv"], s.Hangul)
	}
	for _, g := range givenNames() {
		m["given.tsv"] = append(m["given.tsv"], g.Hangul)
	}
	for _, f := range famousNames() {
		m["famous.tsv"] = append(m["famous.tsv"], f.Hangul)
	}
	for _, p := range gazetteer() {
		m["gazetteer.tsv"] = append(m["gazetteer.tsv"], p.Hangul, p.Province)
		if p.HangulNK != "" {
			m["gazetteer.tsv"] = append(m["gazetteer.tsv"], p.HangulNK)
		}
		m["gazetteer.tsv"] = append(m["gazetteer.tsv"], p.Other...)
	}
	return m
}

func TestDataHangulIsNFCSyllables(t *testing.T) {
	for file, fields := range dataTestHangulFields() {
		for _, h := range fields {
			if !norm.NFC.IsNormalString(h) {
				t.Errorf("%s: %q is not NFC", file, h)
			}
			if !tsvHangul(h, 1, 20) {
				t.Errorf("%s: %q is not Hangul syllables only", file, h)
			}
		}
	}
}

func TestDataRomanizations(t *testing.T) {
	var all []string
	for _, s := range surnames() {
		all = append(all, s.Roman)
	}
	for _, g := range givenNames() {
		all = append(all, g.Roman)
	}
	for _, f := range famousNames() {
		all = append(all, f.Romans...)
	}
	for _, p := range gazetteer() {
		all = append(all, p.Roman)
	}
	for _, r := range all {
		if r == "" || strings.TrimSpace(r) != r || strings.ContainsAny(r, "\t;") {
			t.Errorf("romanization %q: empty, padded, or has a tab or ';'", r)
		}
		for _, c := range r {
			if !unicode.IsPrint(c) {
				t.Errorf("romanization %q: unprintable %U", r, c)
			}
		}
	}
}

// TestDataNoDuplicates checks that no name is listed twice in a file, also
// after the initial-sound law (리설주 = 이설주): two rows would then be one
// name to the matcher, and two surnames one pseudonym.
func TestDataNoDuplicates(t *testing.T) {
	check := func(file, what string, names []string) {
		t.Helper()
		seen := map[string]string{}
		for _, n := range names {
			c := dataTestCanon(n, 0)
			if prev, ok := seen[c]; ok {
				t.Errorf("%s: %s %q repeats %q", file, what, n, prev)
			}
			seen[c] = n
		}
	}
	var sur, surRoman, giv, givRoman, fam []string
	for _, s := range surnames() {
		sur = append(sur, s.Hangul)
		surRoman = append(surRoman, strings.ToLower(s.Roman))
	}
	for _, g := range givenNames() {
		giv = append(giv, g.Hangul)
		givRoman = append(givRoman, strings.ToLower(g.Roman))
	}
	for _, f := range famousNames() {
		fam = append(fam, dataTestCanon(f.Hangul, 1))
	}
	check("surnames.tsv", "hangul", sur)
	check("surnames.tsv", "romanization", surRoman)
	check("given.tsv", "hangul", giv)
	check("given.tsv", "romanization", givRoman)
	check("famous.tsv", "hangul", fam)

	// In the gazetteer no two rows share a name, in any spelling.
	owner := map[string]string{}
	for _, p := range gazetteer() {
		for _, n := range slices.Concat([]string{p.Hangul, p.HangulNK, p.Hanzi}, p.Other) {
			if n == "" {
				continue
			}
			c := dataTestCanon(n, 0)
			if prev, ok := owner[c]; ok && prev != p.Hangul {
				t.Errorf("gazetteer.tsv: %q is a name of both %s and %s", n, prev, p.Hangul)
			}
			owner[c] = p.Hangul
		}
		// A North Korean place's two spellings differ by the initial-sound
		// law only: at the start (량강도), at the start of 로동자구, or 률
		// after a vowel or ㄴ (은률군). Chinese places are read differently
		// (단동 for 丹东, where Seoul writes 단둥).
		if p.Country == "KP" && p.HangulNK != "" {
			nk := strings.ReplaceAll(strings.ReplaceAll(p.HangulNK, "로동자구", "노동자구"), "률", "율")
			if dataTestCanon(nk, 0) != p.Hangul {
				t.Errorf("gazetteer.tsv: %s: North Korean spelling %s is not the same name", p.Hangul, p.HangulNK)
			}
		}
	}
}

// TestDataCanonicalSpelling checks that surnames and given names are in the
// South Korean spelling, which the generator writes: a North Korean
// initial (리, 류, 령) would be a second spelling of a listed name.
func TestDataCanonicalSpelling(t *testing.T) {
	for _, s := range surnames() {
		if c := dataTestCanon(s.Hangul, 0); c != s.Hangul {
			t.Errorf("surnames.tsv: %s is written %s in South Korea", s.Hangul, c)
		}
	}
	for _, g := range givenNames() {
		if c := dataTestCanon(g.Hangul, 0); c != g.Hangul {
			t.Errorf("given.tsv: %s is written %s in South Korea", g.Hangul, c)
		}
	}
}

// TestDataGivenNames checks the shape of the given names and that each
// syllable is romanized the same way everywhere (영 is always Young).
func TestDataGivenNames(t *testing.T) {
	spelling := map[rune]string{}
	sexes := map[byte]int{}
	for _, g := range givenNames() {
		sexes[g.Sex]++
		rs := []rune(g.Hangul)
		if len(rs) != 2 {
			t.Errorf("%s: %d syllables, want 2", g.Hangul, len(rs))
			continue
		}
		a, b, ok := strings.Cut(g.Roman, "-")
		if !ok {
			t.Errorf("%s: romanization %q has no hyphen", g.Hangul, g.Roman)
			continue
		}
		for i, part := range []string{strings.ToLower(a), b} {
			if prev, ok := spelling[rs[i]]; ok && prev != part {
				t.Errorf("%s: %c is %q here but %q elsewhere", g.Hangul, rs[i], part, prev)
			}
			spelling[rs[i]] = part
		}
	}
	for _, sex := range []byte{'m', 'f', 'u'} {
		if sexes[sex] == 0 {
			t.Errorf("no given names of sex %c", sex)
		}
	}
	if sexes['m'] < 100 || sexes['f'] < 100 {
		t.Errorf("%d male and %d female names, want at least 100 each", sexes['m'], sexes['f'])
	}
}

// dataFamousCombos are the surname + given name combinations of the
// bundled lists that are famous names. They are common names too, so the
// lists keep them; the generator must skip them (it skips every name in
// famous.tsv). A change to the lists that adds one must add it here, after
// checking it is listed in famous.tsv.
var dataFamousCombos = []string{
	"김경희", "김기남", "김민재", "김석진", "김영철", "김정숙", "김정은", "김정철",
	"김현희", "노광철", "박정희", "박지민", "오세훈", "유재석", "이민호", "이병철",
	"이영호", "이용호", "이지은", "이춘희", "장성택", "전정국", "전지현", "정주영",
	"정지훈", "조성길", "지성호", "최선희", "최순실", "한동훈", "현영철",
}

func TestDataFamousCombinations(t *testing.T) {
	famous := map[string]bool{}
	for _, f := range famousNames() {
		famous[dataTestCanon(f.Hangul, 0, 1)] = true
	}
	var got []string
	for _, s := range surnames() {
		for _, g := range givenNames() {
			if full := s.Hangul + g.Hangul; famous[dataTestCanon(full, 0, 1)] {
				got = append(got, full)
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(dataFamousCombos))
	if !slices.Equal(got, want) {
		t.Errorf("famous names the lists can produce:\n got %q\nwant %q", got, want)
	}
}

func TestDataGazetteer(t *testing.T) {
	places := gazetteer()
	top := map[string]placeEntry{}
	for _, p := range places {
		if p.Kind == "province" || p.Kind == "special-city" {
			top[p.Hangul] = p
		}
	}
	for _, p := range places {
		prov, ok := top[p.Province]
		switch {
		case !ok:
			t.Errorf("%s: province %s is not a province row", p.Hangul, p.Province)
		case prov.Country != p.Country:
			t.Errorf("%s (%s): province %s is in %s", p.Hangul, p.Country, p.Province, prov.Country)
		case p.Kind == "special-city" && p.Country != "KP":
			t.Errorf("%s: special cities are North Korean", p.Hangul)
		}
	}

	// The nine provinces and four special cities of North Korea; the
	// Kangwŏn province here is the northern one.
	var provinces, special []string
	for _, p := range places {
		if p.Country != "KP" {
			continue
		}
		switch p.Kind {
		case "province":
			provinces = append(provinces, p.Hangul)
		case "special-city":
			special = append(special, p.Hangul)
		}
	}
	slices.Sort(provinces)
	slices.Sort(special)
	wantProvinces := []string{"강원도", "양강도", "자강도", "평안남도", "평안북도", "함경남도", "함경북도", "황해남도", "황해북도"}
	wantSpecial := []string{"개성특별시", "나선특별시", "남포특별시", "평양직할시"}
	if !slices.Equal(provinces, wantProvinces) {
		t.Errorf("KP provinces %q, want %q", provinces, wantProvinces)
	}
	if !slices.Equal(special, wantSpecial) {
		t.Errorf("KP special cities %q, want %q", special, wantSpecial)
	}

	// Places the public cases and the brief name, in every spelling given.
	byName := map[string]placeEntry{}
	for _, p := range places {
		for _, n := range slices.Concat([]string{p.Hangul, p.HangulNK, p.Hanzi}, p.Other) {
			byName[n] = p
		}
	}
	for _, tc := range []struct{ name, hangul, province, country string }{
		{"혜산시", "혜산시", "양강도", "KP"},
		{"량강도", "양강도", "양강도", "KP"},
		{"회령시", "회령시", "함경북도", "KP"},
		{"김형직군", "김형직군", "양강도", "KP"},
		{"후창군", "김형직군", "양강도", "KP"},
		{"남양로동자구", "남양노동자구", "함경북도", "KP"},
		{"라선특별시", "나선특별시", "나선특별시", "KP"},
		{"신의주시", "신의주시", "평안북도", "KP"},
		{"长白朝鲜族自治县", "장백현", "길림성", "CN"},
		{"丹东市", "단둥시", "요녕성", "CN"},
		{"단동시", "단둥시", "요녕성", "CN"},
		{"图们市", "도문시", "길림성", "CN"},
		{"延吉市", "연길시", "길림성", "CN"},
		{"珲春市", "훈춘시", "길림성", "CN"},
		{"和龙市", "화룡시", "길림성", "CN"},
		{"룡정시", "용정시", "길림성", "CN"},
		{"集安市", "집안시", "길림성", "CN"},
		{"림강시", "임강시", "길림성", "CN"},
		{"延边朝鲜族自治州", "연변주", "길림성", "CN"},
		{"沈阳市", "심양시", "요녕성", "CN"},
		{"长春市", "장춘시", "길림성", "CN"},
		{"白山市", "백산시", "길림성", "CN"},
		{"通化市", "통화시", "길림성", "CN"},
		{"安图县", "안도현", "길림성", "CN"},
		{"汪清县", "왕청현", "길림성", "CN"},
		{"三合镇", "삼합진", "길림성", "CN"},
		{"南坪镇", "남평진", "길림성", "CN"},
		{"옌지시", "연길시", "길림성", "CN"},
	} {
		p, ok := byName[tc.name]
		if !ok {
			t.Errorf("%s: not in the gazetteer", tc.name)
			continue
		}
		if p.Hangul != tc.hangul || p.Province != tc.province || p.Country != tc.country {
			t.Errorf("%s: got %s in %s (%s), want %s in %s (%s)", tc.name, p.Hangul, p.Province, p.Country, tc.hangul, tc.province, tc.country)
		}
	}
	if p := byName["양강도"]; p.Roman != "Ryanggang-do" || p.HangulNK != "량강도" {
		t.Errorf("양강도: %+v", p)
	}
}

func TestParseTSVErrors(t *testing.T) {
	cols := []string{"hangul", "romanization"}
	for _, tc := range []struct {
		name, data string
		line       int
		msg        string
	}{
		{"empty file", "", 1, "empty line"},
		{"comments only", "# x\n", 1, "no header"},
		{"header only", "# x\nhangul\tromanization\n", 1, "no records"},
		{"wrong header", "hangul\troman\n김\tKim\n", 1, "header"},
		{"bom", "\uFEFFhangul\tromanization\n김\tKim\n", 1, "byte-order mark"},
		{"too few fields", "hangul\tromanization\n김\n", 2, "1 fields, want 2"},
		{"too many fields", "# c\nhangul\tromanization\n김\tKim\n이\tLee\tx\n", 4, "3 fields, want 2"},
		{"empty line", "hangul\tromanization\n김\tKim\n\n이\tLee\n", 3, "empty line"},
		{"invalid UTF-8", "hangul\tromanization\n\xff\tKim\n", 2, "invalid UTF-8"},
		{"NFD", "hangul\tromanization\n" + norm.NFD.String("김") + "\tKim\n", 2, "not NFC"},
		{"padded", "hangul\tromanization\n김\t Kim\n", 2, "leading or trailing space"},
		{"control", "hangul\tromanization\n김\tK\x00im\n", 2, "unprintable"},
		{"no-break space", "hangul\tromanization\n김\tKim\u00a0Lee\n", 2, "unprintable"},
	} {
		_, err := parseTSV("data/x.tsv", []byte(tc.data), cols)
		var te *tsvError
		if !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want a *tsvError", tc.name, err)
			continue
		}
		if te.File != "data/x.tsv" || te.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want line %d and %q", tc.name, err, tc.line, tc.msg)
		}
		if !strings.HasPrefix(err.Error(), "data/x.tsv:") {
			t.Errorf("%s: %q does not name the file", tc.name, err)
		}
	}

	// CRLF line ends, empty fields and comments between records are fine.
	recs, err := parseTSV("data/x.tsv", []byte("# c\r\nhangul\tromanization\r\n김\t\r\n# between\r\n이\tLee"), cols)
	if err != nil {
		t.Fatal(err)
	}
	want := []tsvRecord{{Line: 3, Fields: []string{"김", ""}}, {Line: 5, Fields: []string{"이", "Lee"}}}
	if !slices.EqualFunc(recs, want, func(a, b tsvRecord) bool { return a.Line == b.Line && slices.Equal(a.Fields, b.Fields) }) {
		t.Errorf("got %+v, want %+v", recs, want)
	}
}

// TestDataFileErrors checks that the per-file parsers reject bad values
// with the file and line.
func TestDataFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func(string, []byte) error
		data  string
		msg   string
	}{
		{"surname two syllables", dataTestParse(parseSurnames), "hangul\tromanization\tshare\tsource\n남궁\tNamgung\t0.1\tx\n", "one Hangul syllable"},
		{"surname lower case", dataTestParse(parseSurnames), "hangul\tromanization\tshare\tsource\n김\tkim\t21.5\tx\n", "capitalized"},
		{"surname share", dataTestParse(parseSurnames), "hangul\tromanization\tshare\tsource\n김\tKim\tNaN\tx\n", "share"},
		{"surname source", dataTestParse(parseSurnames), "hangul\tromanization\tshare\tsource\n김\tKim\t21.5\t\n", "no source"},
		{"given one syllable", dataTestParse(parseGivenNames), "hangul\tromanization\tsex\tsource\n철\tChul\tm\tx\n", "two Hangul syllables"},
		{"given no hyphen", dataTestParse(parseGivenNames), "hangul\tromanization\tsex\tsource\n우진\tWoojin\tm\tx\n", "Woo-jin"},
		{"given capital", dataTestParse(parseGivenNames), "hangul\tromanization\tsex\tsource\n우진\tWoo-Jin\tm\tx\n", "Woo-jin"},
		{"given sex", dataTestParse(parseGivenNames), "hangul\tromanization\tsex\tsource\n우진\tWoo-jin\tM\tx\n", "sex"},
		{"famous latin", dataTestParse(parseFamousNames), "hangul\tromanizations\nKim\tKim\n", "Hangul"},
		{"famous empty item", dataTestParse(parseFamousNames), "hangul\tromanizations\n김일성\tKim Il Sung;\n", "';'-separated"},
		{"place kind", dataTestPlace("혜산시\t\tHyesan-si\tcapital\t양강도\tKP\t\t"), "", "unknown kind"},
		{"place country", dataTestPlace("혜산시\t\tHyesan-si\tcity\t양강도\tKR\t\t"), "", "country"},
		{"place hanzi in KP not Chinese", dataTestPlace("혜산시\t\tHyesan-si\tcity\t양강도\tKP\tHyesan\t"), "", "hanzi"},
		{"landmark kind", dataTestParse(parseLandmarks), "hangul\thangul_nk\tnames\tkind\thanzi\tother\n압록강\t\tAmnok\tcity\t鸭绿江\t\n", "unknown kind"},
		{"landmark no names", dataTestParse(parseLandmarks), "hangul\thangul_nk\tnames\tkind\thanzi\tother\n압록강\t\t\triver\t鸭绿江\t\n", "names"},
		{"landmark hanzi", dataTestParse(parseLandmarks), "hangul\thangul_nk\tnames\tkind\thanzi\tother\n압록강\t\tAmnok\triver\tYalu\t\n", "hanzi"},
		{"landmark name without letters", dataTestParse(parseLandmarks), "hangul\thangul_nk\tnames\tkind\thanzi\tother\n압록강\t\t1234\triver\t鸭绿江\t\n", "no letters"},
		{"place no hanzi in CN", dataTestPlace("장백현\t\tChangbai\tcounty\t길림성\tCN\t\t"), "", "hanzi"},
		{"place self province", dataTestPlace("혜산시\t\tHyesan-si\tcity\t혜산시\tKP\t\t"), "", "names itself"},
		{"place same NK", dataTestPlace("혜산시\t혜산시\tHyesan-si\tcity\t양강도\tKP\t\t"), "", "repeats"},
		{"place other", dataTestPlace("혜산시\t\tHyesan-si\tcity\t양강도\tKP\t\tHyesan"), "", "other name"},
	} {
		err := tc.parse("data/x.tsv", []byte(tc.data))
		var te *tsvError
		if !errors.As(err, &te) || te.Line != 2 || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want line 2 and %q", tc.name, err, tc.msg)
		}
	}
}

func dataTestParse[T any](parse func(string, []byte) ([]T, error)) func(string, []byte) error {
	return func(name string, data []byte) error {
		_, err := parse(name, data)
		return err
	}
}

func dataTestPlace(row string) func(string, []byte) error {
	return func(name string, _ []byte) error {
		_, err := parseGazetteer(name, []byte("hangul\thangul_nk\tromanized\tkind\tprovince\tcountry\thanzi\tother\n"+row+"\n"))
		return err
	}
}

// FuzzParseTSV checks that parseTSV never panics, that what it accepts is
// well formed and reads back the same when written out again, and that
// what it rejects is reported with the file and a line of the input.
func FuzzParseTSV(f *testing.F) {
	cols := []string{"hangul", "romanization", "other"}
	header := strings.Join(cols, "\t") + "\n"
	for _, s := range []string{
		header + "김\tKim\t\n",
		"# comment\n" + header + "리설주\tRi Sol-ju\t이설주\n# c\n박\tPark\tx",
		"# c\r\n" + header + "김\tKim\t\r\n",
		header + "김\tKim\n",
		header + "\n",
		"\uFEFF" + header + "김\tKim\t\n",
		header + "\xff\tKim\t\n",
		header + norm.NFD.String("김석한") + "\tKim\t\n",
		header + "김\t Kim\t\n",
		header,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseTSV("data/f.tsv", data, cols)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var te *tsvError
			if !errors.As(err, &te) || te.File != "data/f.tsv" || te.Line < 1 || te.Line > lines {
				t.Fatalf("error %v does not name the file and a line of %d", err, lines)
			}
			return
		}
		var out strings.Builder
		out.WriteString(header)
		last := 0
		for _, r := range recs {
			if r.Line <= last || r.Line > lines || len(r.Fields) != len(cols) {
				t.Fatalf("bad record %+v after line %d", r, last)
			}
			last = r.Line
			for _, fd := range r.Fields {
				if msg := tsvFieldProblem(fd); msg != "" || strings.ContainsAny(fd, "\t\n\r") {
					t.Fatalf("accepted field %q: %s", fd, msg)
				}
			}
			out.WriteString(strings.Join(r.Fields, "\t") + "\n")
		}
		again, err := parseTSV("data/f.tsv", []byte(out.String()), cols)
		if err != nil {
			t.Fatalf("written out, the records do not parse: %v", err)
		}
		if !slices.EqualFunc(recs, again, func(a, b tsvRecord) bool { return slices.Equal(a.Fields, b.Fields) }) {
			t.Fatalf("round trip changed the records:\n%+v\n%+v", recs, again)
		}
	})
}
