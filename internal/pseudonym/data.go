package pseudonym

// The bundled data: the surnames and given names pseudonyms are made from,
// the famous names they must never be, and the gazetteer of North Korean
// places and the Chinese border area. The files live in data/ as
// tab-separated text with '#' comments (each file says its source and
// licence) and a header line naming the columns; they are embedded in the
// binary and parsed once, at first use.
//
// The data is ours, so a malformed line is a build bug: the loaders panic
// with the file and line, and data_test.go runs them so that CI catches it
// before anyone else does. The slices they return are shared: callers must
// not modify them.

import (
	"embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:embed data/*.tsv
var bundledTSV embed.FS

// surnameEntry is one row of data/surnames.tsv: a single-syllable surname
// in its South Korean spelling, the one romanization pseudonyms use for it,
// and its share of the population in percent (2015 census).
type surnameEntry struct {
	Hangul, Roman string
	Share         float64
}

// givenEntry is one row of data/given.tsv: a two-syllable given name, its
// fixed hyphenated romanization ("Woo-jin") and Sex 'm', 'f' or 'u'
// (either).
type givenEntry struct {
	Hangul, Roman string
	Sex           byte
}

// famousEntry is one row of data/famous.tsv: a public figure's name, in the
// spelling the person is best known by (리설주), and the romanizations in
// use. Compare after the initial-sound law: 리설주 is also 이설주.
type famousEntry struct {
	Hangul string
	Romans []string
}

// placeEntry is one row of data/gazetteer.tsv.
//
// Hangul is the South Korean spelling with its administrative suffix
// (회령시, 양강도, 김형직군, 용성구역, 남양노동자구, 연길시, 장백현);
// HangulNK the North Korean spelling when it differs (량강도, 룡성구역),
// else empty. Roman is McCune–Reischauer as GeoNames spells it (breves,
// apostrophes as U+2019, the North Korean initial when HangulNK differs:
// "Ryanggang-do"), the administrative suffix after the last hyphen;
// Chinese places are in pinyin without suffix. Kind is one of province,
// special-city, city, county, district, town, prefecture. Province is the
// Hangul of the first-level unit (a province or special city) the place
// belongs to; first-level units name themselves. Country is "KP" or "CN".
// Hanzi is the official Chinese name of a Chinese place, the Hanja of a
// North Korean one (empty where not known). Other holds other Hangul names
// of the place: former names (후창군 for 김형직군), abbreviations (함북), and
// the South Korean standard, Mandarin-based spelling of Chinese places
// (옌지시, 창바이현).
type placeEntry struct {
	Hangul, HangulNK, Roman, Kind, Province, Country, Hanzi string
	Other                                                   []string
}

var (
	bundledSurnames = sync.OnceValue(func() []surnameEntry { return mustLoadTSV("surnames.tsv", parseSurnames) })
	bundledGiven    = sync.OnceValue(func() []givenEntry { return mustLoadTSV("given.tsv", parseGivenNames) })
	bundledFamous   = sync.OnceValue(func() []famousEntry { return mustLoadTSV("famous.tsv", parseFamousNames) })
	bundledPlaces   = sync.OnceValue(func() []placeEntry { return mustLoadTSV("gazetteer.tsv", parseGazetteer) })
)

// surnames returns the bundled surnames, most common first.
func surnames() []surnameEntry { return bundledSurnames() }

// givenNames returns the bundled given names.
func givenNames() []givenEntry { return bundledGiven() }

// famousNames returns the names pseudonyms must never be.
func famousNames() []famousEntry { return bundledFamous() }

// gazetteer returns the bundled places.
func gazetteer() []placeEntry { return bundledPlaces() }

func mustLoadTSV[T any](file string, parse func(name string, data []byte) ([]T, error)) []T {
	name := "data/" + file
	data, err := bundledTSV.ReadFile(name)
	if err != nil {
		panic("pseudonym: bundled data: " + err.Error())
	}
	v, err := parse(name, data)
	if err != nil {
		panic("pseudonym: bundled data: " + err.Error())
	}
	return v
}

// tsvError is a malformed line in a data file.
type tsvError struct {
	File string
	Line int // 1-based
	Msg  string
}

func (e *tsvError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// tsvRecord is one data line of a TSV file: its fields and where it was.
type tsvRecord struct {
	Line   int
	Fields []string
}

// parseTSV splits a data file into records. The file is UTF-8 without a
// byte-order mark; lines end in LF (a CR before it is dropped); lines
// starting with '#' are comments; the first other line is the header and
// must name exactly the given columns; every later line is a record with
// exactly len(columns) tab-separated fields. A field may be empty; if not,
// it is NFC, made of printable characters only, and neither starts nor
// ends with a space. Empty lines are errors, and so is a file with no
// records. Errors are *tsvError naming the file and line.
func parseTSV(name string, data []byte, columns []string) ([]tsvRecord, error) {
	fail := func(line int, format string, args ...any) ([]tsvRecord, error) {
		return nil, &tsvError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	text := string(data)
	if strings.HasPrefix(text, "\uFEFF") {
		return fail(1, "byte-order mark")
	}
	text, _ = strings.CutSuffix(text, "\n")
	var recs []tsvRecord
	header := false
	for n, line := range strings.Split(text, "\n") {
		n++
		line, _ = strings.CutSuffix(line, "\r")
		switch {
		case !utf8.ValidString(line):
			return fail(n, "invalid UTF-8")
		case line == "":
			return fail(n, "empty line")
		case line[0] == '#':
			continue
		}
		fields := strings.Split(line, "\t")
		if !header {
			if got, want := line, strings.Join(columns, "\t"); got != want {
				return fail(n, "header is %q, want %q", got, want)
			}
			header = true
			continue
		}
		if len(fields) != len(columns) {
			return fail(n, "%d fields, want %d (%s)", len(fields), len(columns), strings.Join(columns, ", "))
		}
		for i, f := range fields {
			if msg := tsvFieldProblem(f); msg != "" {
				return fail(n, "%s: %s", columns[i], msg)
			}
		}
		recs = append(recs, tsvRecord{Line: n, Fields: fields})
	}
	if !header {
		return fail(1, "no header line")
	}
	if len(recs) == 0 {
		return fail(1, "no records")
	}
	return recs, nil
}

// tsvFieldProblem says what is wrong with a field, or "".
func tsvFieldProblem(f string) string {
	if f == "" {
		return ""
	}
	for _, r := range f {
		if !unicode.IsPrint(r) {
			return fmt.Sprintf("unprintable character %U", r)
		}
	}
	if strings.TrimSpace(f) != f {
		return "leading or trailing space"
	}
	if !norm.NFC.IsNormalString(f) {
		return "not NFC"
	}
	return ""
}

// tsvHangul reports whether s is between min and max precomposed Hangul
// syllables and nothing else.
func tsvHangul(s string, min, max int) bool {
	n := 0
	for _, r := range s {
		if r < 0xAC00 || r > 0xD7A3 {
			return false
		}
		n++
	}
	return min <= n && n <= max
}

// tsvList splits a ';'-separated field; it returns nil for an empty field
// and false if an item is empty or has spaces around it.
func tsvList(f string) ([]string, bool) {
	if f == "" {
		return nil, true
	}
	items := strings.Split(f, ";")
	for _, it := range items {
		if it == "" || strings.TrimSpace(it) != it {
			return nil, false
		}
	}
	return items, true
}

// tsvRecordError reports a bad field of a parsed record.
func tsvRecordError(name string, rec tsvRecord, format string, args ...any) error {
	return &tsvError{File: name, Line: rec.Line, Msg: fmt.Sprintf(format, args...)}
}

// tsvPersonalRoman reports whether s is one capitalized ASCII word
// ("Kim"), or with hyphen two such words, the second in lower case
// ("Woo-jin").
func tsvPersonalRoman(s string, hyphen bool) bool {
	first, rest, found := strings.Cut(s, "-")
	if found != hyphen || first == "" || first[0] < 'A' || first[0] > 'Z' {
		return false
	}
	lower := func(w string) bool {
		for i := 0; i < len(w); i++ {
			if w[i] < 'a' || w[i] > 'z' {
				return false
			}
		}
		return true
	}
	return lower(first[1:]) && (!hyphen || rest != "" && lower(rest))
}

func parseSurnames(name string, data []byte) ([]surnameEntry, error) {
	recs, err := parseTSV(name, data, []string{"hangul", "romanization", "share", "source"})
	if err != nil {
		return nil, err
	}
	out := make([]surnameEntry, 0, len(recs))
	for _, rec := range recs {
		f := rec.Fields
		if !tsvHangul(f[0], 1, 1) {
			return nil, tsvRecordError(name, rec, "hangul %q is not one Hangul syllable", f[0])
		}
		if !tsvPersonalRoman(f[1], false) {
			return nil, tsvRecordError(name, rec, "romanization %q is not one capitalized ASCII word", f[1])
		}
		share, err := strconv.ParseFloat(f[2], 64)
		if err != nil || math.IsNaN(share) || share <= 0 || share >= 100 {
			return nil, tsvRecordError(name, rec, "share %q is not a percentage above 0", f[2])
		}
		if f[3] == "" {
			return nil, tsvRecordError(name, rec, "no source")
		}
		out = append(out, surnameEntry{Hangul: f[0], Roman: f[1], Share: share})
	}
	return out, nil
}

func parseGivenNames(name string, data []byte) ([]givenEntry, error) {
	recs, err := parseTSV(name, data, []string{"hangul", "romanization", "sex", "source"})
	if err != nil {
		return nil, err
	}
	out := make([]givenEntry, 0, len(recs))
	for _, rec := range recs {
		f := rec.Fields
		if !tsvHangul(f[0], 2, 2) {
			return nil, tsvRecordError(name, rec, "hangul %q is not two Hangul syllables", f[0])
		}
		if !tsvPersonalRoman(f[1], true) {
			return nil, tsvRecordError(name, rec, "romanization %q is not of the form Woo-jin", f[1])
		}
		if f[2] != "m" && f[2] != "f" && f[2] != "u" {
			return nil, tsvRecordError(name, rec, "sex %q is not m, f or u", f[2])
		}
		if f[3] == "" {
			return nil, tsvRecordError(name, rec, "no source")
		}
		out = append(out, givenEntry{Hangul: f[0], Roman: f[1], Sex: f[2][0]})
	}
	return out, nil
}

func parseFamousNames(name string, data []byte) ([]famousEntry, error) {
	recs, err := parseTSV(name, data, []string{"hangul", "romanizations"})
	if err != nil {
		return nil, err
	}
	out := make([]famousEntry, 0, len(recs))
	for _, rec := range recs {
		f := rec.Fields
		if !tsvHangul(f[0], 2, 4) {
			return nil, tsvRecordError(name, rec, "hangul %q is not 2 to 4 Hangul syllables", f[0])
		}
		romans, ok := tsvList(f[1])
		if !ok || len(romans) == 0 {
			return nil, tsvRecordError(name, rec, "romanizations %q: want one or more, ';'-separated", f[1])
		}
		out = append(out, famousEntry{Hangul: f[0], Romans: romans})
	}
	return out, nil
}

// placeKinds are the values of the gazetteer's kind column.
var placeKinds = map[string]bool{
	"province": true, "special-city": true, "city": true, "county": true,
	"district": true, "town": true, "prefecture": true,
}

func parseGazetteer(name string, data []byte) ([]placeEntry, error) {
	recs, err := parseTSV(name, data, []string{"hangul", "hangul_nk", "romanized", "kind", "province", "country", "hanzi", "other"})
	if err != nil {
		return nil, err
	}
	out := make([]placeEntry, 0, len(recs))
	for _, rec := range recs {
		f := rec.Fields
		p := placeEntry{Hangul: f[0], HangulNK: f[1], Roman: f[2], Kind: f[3], Province: f[4], Country: f[5], Hanzi: f[6]}
		switch {
		case !tsvHangul(p.Hangul, 2, 12):
			return nil, tsvRecordError(name, rec, "hangul %q is not Hangul syllables", p.Hangul)
		case p.HangulNK != "" && !tsvHangul(p.HangulNK, 2, 12):
			return nil, tsvRecordError(name, rec, "hangul_nk %q is not Hangul syllables", p.HangulNK)
		case p.HangulNK == p.Hangul:
			return nil, tsvRecordError(name, rec, "hangul_nk repeats hangul: leave it empty")
		case p.Roman == "":
			return nil, tsvRecordError(name, rec, "no romanized name")
		case !placeKinds[p.Kind]:
			return nil, tsvRecordError(name, rec, "unknown kind %q", p.Kind)
		case !tsvHangul(p.Province, 2, 12):
			return nil, tsvRecordError(name, rec, "province %q is not Hangul syllables", p.Province)
		case (p.Kind == "province" || p.Kind == "special-city") != (p.Province == p.Hangul):
			return nil, tsvRecordError(name, rec, "a province or special city, and only those, names itself as province")
		case p.Country != "KP" && p.Country != "CN":
			return nil, tsvRecordError(name, rec, "country %q is not KP or CN", p.Country)
		case p.Country == "KP" && p.Hanzi != "" && !tsvHanzi(p.Hanzi):
			return nil, tsvRecordError(name, rec, "hanzi %q is not Chinese characters", p.Hanzi)
		case p.Country == "CN" && !tsvHanzi(p.Hanzi):
			return nil, tsvRecordError(name, rec, "hanzi %q is not Chinese characters", p.Hanzi)
		}
		other, ok := tsvList(f[7])
		if !ok {
			return nil, tsvRecordError(name, rec, "other %q: want ';'-separated names", f[7])
		}
		for _, o := range other {
			if !tsvHangul(o, 2, 12) {
				return nil, tsvRecordError(name, rec, "other name %q is not Hangul syllables", o)
			}
		}
		p.Other = other
		out = append(out, p)
	}
	return out, nil
}

func tsvHanzi(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}
