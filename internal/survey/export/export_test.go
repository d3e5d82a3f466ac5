package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey"
	"testimony/internal/survey/export"
)

// files is an export written to memory.
type files map[string]*bytes.Buffer

func (fs files) create(name string) (io.Writer, error) {
	b := &bytes.Buffer{}
	fs[name] = b
	return b, nil
}

// write prepares and writes an export of rs to "out.<format>".
func write(t *testing.T, f *survey.Form, rs []survey.Record, o export.Options) (files, export.Disclosure, error) {
	t.Helper()
	if o.Day == "" {
		o.Day = "2026-12-06"
	}
	x, err := export.Prepare(f, export.Records(rs), o)
	if err != nil {
		return nil, export.Disclosure{}, err
	}
	fs := files{}
	err = x.Write("out."+string(o.Format), fs.create)
	return fs, x.Disclosure(), err
}

// readCSV checks the BOM and returns the rows of a CSV file.
func readCSV(t *testing.T, b *bytes.Buffer) [][]string {
	t.Helper()
	if b == nil {
		t.Fatal("the file was not written")
	}
	rest, ok := bytes.CutPrefix(b.Bytes(), []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("the CSV file does not start with a UTF-8 BOM: %q", b.Bytes()[:min(8, b.Len())])
	}
	if !bytes.Contains(rest, []byte("\r\n")) {
		t.Errorf("the CSV file's lines do not end in CRLF (RFC 4180)")
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV file does not parse: %v", err)
	}
	return rows
}

func seq(rows [][]string) iter.Seq[[]string] { return slices.Values(rows) }

func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %q", name, rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// crowd is 10 people of one sex, ages 30 to 39, from three counties of one
// province, who left in 2015 to 2019: every one unique as answered, one
// class of 10 once ages are in bands of 10, years in ranges of 5 and
// places are provinces.
func crowd() []respondent {
	var out []respondent
	counties := []string{"musan", "hoeryong", "onsong"}
	for i := range 10 {
		out = append(out, respondent{age: 30 + i, sex: "f", home: counties[i%3], left: []string{"2015", "2016", "2017", "2018", "2019"}[i%5] + "-06-0" + string(rune('1'+i%9))})
	}
	return out
}

func TestCSVColumns(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:1])
	rs[0].Response.Answers.Values["story"] = "=HYPERLINK(\"http://x\")"
	rs[0].Response.Answers.Values["sex"] = "f"
	fs, _, err := write(t, f, rs, export.Options{Format: export.CSV, GeoDecimals: 1, AllowSmallGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, fs["out.csv"])
	// Form order; select_multiple as 0/1 per choice (with other); free
	// text left out; geopoints as two rounded numbers; no note.
	want := []string{"_id", "_day", "age", "sex", "home", "left", "reasons/food", "reasons/family", "reasons/freedom", "reasons/other", "months", "where/latitude", "where/longitude"}
	if !slices.Equal(rows[0], want) {
		t.Errorf("header\n got %q\nwant %q", rows[0], want)
	}
	wantRow := []string{rs[0].ID, rs[0].Day[:7], "30", "f", "musan", "2015-06-01", "1", "0", "1", "0", "2.5", "41.8", "129.4"}
	if !slices.Equal(rows[1], wantRow) {
		t.Errorf("row\n got %q\nwant %q", rows[1], wantRow)
	}
	// The repeat's table, linked by _id.
	fam := readCSV(t, fs["out-family.csv"])
	if want := [][]string{{"_id", "_index", "member_age", "relation"}, {rs[0].ID, "1", "12", "child"}}; !slices.EqualFunc(fam, want, slices.Equal) {
		t.Errorf("repeat table %q, want %q", fam, want)
	}

	// Free text when asked for, guarded against formula injection.
	fs, d, err := write(t, f, rs, export.Options{Format: export.CSV, FreeText: true, GeoDecimals: export.GeoOmit, AllowSmallGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, fs["out.csv"])
	if got := column(t, rows, "story"); got[0] != "'=HYPERLINK(\"http://x\")" {
		t.Errorf("story = %q, want the formula prefixed with an apostrophe", got[0])
	}
	if slices.Contains(rows[0], "where/latitude") {
		t.Errorf("geopoint exported although left out: %q", rows[0])
	}
	if !slices.Contains(rows[0], "reasons_other") {
		t.Errorf("the or_other text is missing with free text: %q", rows[0])
	}
	if !d.FreeText || d.Geopoints != "left out" {
		t.Errorf("disclosure says free text %v, geopoints %q", d.FreeText, d.Geopoints)
	}
}

func TestGuard(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=1+2", "'=1+2"},
		{"+82 10", "'+82 10"},
		{"-1", "'-1"}, // text, not a number question
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"함경북도", "함경북도"},
		{"", ""},
	} {
		f := testForm()
		rs := records(f, crowd()[:1])
		rs[0].Response.Answers.Values["story"] = tc.in
		fs, _, err := write(t, f, rs, export.Options{Format: export.CSV, FreeText: true, AllowSmallGroups: true})
		if err != nil {
			t.Fatal(err)
		}
		// encoding/csv drops a carriage return when it reads.
		if got := column(t, readCSV(t, fs["out.csv"]), "story")[0]; got != strings.ReplaceAll(tc.want, "\r", "") {
			t.Errorf("%q written as %q, want %q", tc.in, got, tc.want)
		}
	}
	// A negative number in a number question is a number, not text.
	f := testForm()
	rs := records(f, crowd()[:1])
	rs[0].Response.Answers.Values["months"] = "-3"
	fs, _, _ := write(t, f, rs, export.Options{Format: export.CSV, AllowSmallGroups: true})
	if got := column(t, readCSV(t, fs["out.csv"]), "months")[0]; got != "-3" {
		t.Errorf("the number -3 was written as %q", got)
	}
}

func TestLabels(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:1])
	for _, tc := range []struct {
		lang       string
		header     []string
		sex, reply string
	}{
		{"ko", []string{"_id", "_day", "나이", "성별", "고향", "탈북 날짜", "이유: 식량"}, "여성", "무산군"},
		{"en", []string{"_id", "_day", "Age", "Sex", "Home county", "Day of leaving", "Reasons: Food"}, "Female", "Musan"},
		{"es", []string{"_id", "_day", "나이", "성별", "고향", "탈북 날짜", "이유: 식량"}, "여성", "무산군"}, // falls back to the form's default
	} {
		fs, _, err := write(t, f, rs, export.Options{Format: export.CSV, Labels: true, Language: tc.lang, AllowSmallGroups: true})
		if err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, fs["out.csv"])
		if !slices.Equal(rows[0][:7], tc.header) {
			t.Errorf("%s: header %q, want %q", tc.lang, rows[0][:7], tc.header)
		}
		if rows[1][3] != tc.sex || rows[1][4] != tc.reply {
			t.Errorf("%s: answers %q %q, want %q %q", tc.lang, rows[1][3], rows[1][4], tc.sex, tc.reply)
		}
	}
}

func TestJSONL(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:2])
	delete(rs[1].Response.Answers.Values, "months")
	fs, _, err := write(t, f, rs, export.Options{Format: export.JSONL, AllowSmallGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(fs["out.jsonl"].String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatal(err)
	}
	if row["age"] != 30.0 || row["months"] != 2.5 || row["reasons/food"] != 1.0 || row["left"] != "2015-06-01" {
		t.Errorf("numbers, 0/1 and dates: %v", row)
	}
	if !strings.HasPrefix(lines[0], `{"_id":`) {
		t.Errorf("keys not in column order: %s", lines[0])
	}
	if err := json.Unmarshal([]byte(lines[1]), &row); err != nil || row["months"] != nil {
		t.Errorf("an unanswered question is %v, want null", row["months"])
	}
	if fs["out-family.jsonl"] == nil {
		t.Errorf("no table for the repeat")
	}
}

func TestXLSX(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:3])
	fs, _, err := write(t, f, rs, export.Options{Format: export.XLSX, Labels: true, Language: "ko", FreeText: true, AllowSmallGroups: true, TmpDir: t.TempDir(), FullDays: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("an XLSX export wrote %d files", len(fs))
	}
	x, err := excelize.OpenReader(fs["out.xlsx"])
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{"responses", "family"}) {
		t.Errorf("sheets %q", got)
	}
	// Numbers are numbers, dates are numbers shown as dates (their raw
	// value is a day count), texts are inline strings.
	for _, tc := range []struct {
		cell, shown, raw string
		typ              excelize.CellType
	}{
		{"C1", "나이", "나이", excelize.CellTypeInlineString},
		{"C2", "30", "30", excelize.CellTypeUnset},
		{"D2", "여성", "여성", excelize.CellTypeInlineString},
		{"F2", "2015-06-01", "42156", excelize.CellTypeUnset},
		{"B2", "2026-11-01", "46327", excelize.CellTypeUnset},
	} {
		typ, _ := x.GetCellType("responses", tc.cell)
		shown, _ := x.GetCellValue("responses", tc.cell)
		raw, _ := x.GetCellValue("responses", tc.cell, excelize.Options{RawCellValue: true})
		if typ != tc.typ || shown != tc.shown || raw != tc.raw {
			t.Errorf("%s: %q (raw %q) of type %v, want %q (raw %q) of type %v", tc.cell, shown, raw, typ, tc.shown, tc.raw, tc.typ)
		}
	}
	rows, _ := x.GetRows("family")
	if len(rows) != 4 || rows[1][0] != rs[0].ID {
		t.Errorf("family sheet: %q", rows)
	}
}

// TestGeneralization: the crowd is unique as answered; the export refuses
// it, and with bands, ranges and provinces writes one class of 10, which
// re-analyzing the written file confirms. Without the generalization the
// file would not be written, and the re-analysis would find unique rows.
func TestGeneralization(t *testing.T) {
	f := testForm()
	rs := records(f, crowd())
	_, _, err := write(t, f, rs, export.Options{Format: export.CSV})
	var sg *export.SmallGroupsError
	if !errors.As(err, &sg) || !errors.Is(err, export.ErrSmallGroups) || sg.Report.Unique != 10 {
		t.Fatalf("unique rows were written: %v", err)
	}
	g, err := export.ParseGeneralization("age=10,year=5,place=province")
	if err != nil {
		t.Fatal(err)
	}
	for _, labels := range []bool{false, true} {
		fs, d, err := write(t, f, rs, export.Options{Format: export.CSV, Generalize: g, Labels: labels, Language: "en"})
		if err != nil {
			t.Fatalf("labels %v: %v", labels, err)
		}
		rows := readCSV(t, fs["out.csv"])
		quasi := []string{"age", "sex", "home", "left"}
		if labels {
			quasi = []string{"Age", "Sex", "Home county", "Day of leaving"}
		}
		rep, err := export.AnalyzeTable(seq(rows), quasi, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Safe() || rep.Classes != 1 || rep.Rows != 10 {
			t.Errorf("labels %v: the written file has classes %+v", labels, rep)
		}
		home := column(t, rows, quasi[2])[0]
		if want := map[bool]string{false: "hamgyong_n", true: "North Hamgyong"}[labels]; home != want {
			t.Errorf("home written as %q, want %q", home, want)
		}
		if got := column(t, rows, quasi[0])[0]; got != "30-39" {
			t.Errorf("age written as %q, want 30-39", got)
		}
		if got := column(t, rows, quasi[3])[0]; got != "2015-2019" {
			t.Errorf("year written as %q, want 2015-2019", got)
		}
		if d.Before.Unique != 10 || d.After.Classes != 1 || len(d.Generalizations) != 3 {
			t.Errorf("disclosure: before %+v, after %+v, generalizations %+v", d.Before, d.After, d.Generalizations)
		}
	}
}

// TestSuppression: two outliers stay unique after generalization. Rows:
// they are left out (with their repeat rows). Cells: their
// quasi-identifiers are blanked, and since two blanked rows would be a
// class of two, three more are blanked from the largest class. Either way
// the file re-analyzes with no class below k; without suppression it is
// refused.
func TestSuppression(t *testing.T) {
	f := testForm()
	people := append(crowd(), respondent{age: 71, sex: "m", home: "hyesan", left: "2019-01-01"}, respondent{age: 18, sex: "m", home: "samjiyon", left: "2023-01-01"})
	rs := records(f, people)
	g := export.Generalization{AgeBand: 10, YearRange: 5, Province: true}
	quasi := []string{"age", "sex", "home", "left"}
	if _, _, err := write(t, f, rs, export.Options{Format: export.CSV, Generalize: g}); !errors.Is(err, export.ErrSmallGroups) {
		t.Fatalf("two unique rows were written: %v", err)
	}

	fs, d, err := write(t, f, rs, export.Options{Format: export.CSV, Generalize: g, Suppress: export.SuppressRows})
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, fs["out.csv"])
	if rep, _ := export.AnalyzeTable(seq(rows), quasi, 5); !rep.Safe() || rep.Rows != 10 {
		t.Errorf("rows: the written file has %+v", rep)
	}
	fam := readCSV(t, fs["out-family.csv"])
	if len(fam) != 11 || slices.Contains(column(t, fam, "_id"), rs[10].ID) {
		t.Errorf("rows: the repeat rows of dropped responses remain: %d rows", len(fam)-1)
	}
	if d.RowsSuppressed != 2 || d.After.Rows != 10 || d.Before.Unique != 12 {
		t.Errorf("rows: disclosure %+v", d)
	}

	fs, d, err = write(t, f, rs, export.Options{Format: export.CSV, Generalize: g, Suppress: export.SuppressCells})
	if err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, fs["out.csv"])
	rep, _ := export.AnalyzeTable(seq(rows), quasi, 5)
	if !rep.Safe() || rep.Rows != 12 || rep.Classes != 2 {
		t.Errorf("cells: the written file has %+v", rep)
	}
	blank := 0
	for _, r := range rows[1:] {
		if r[2] == "" && r[3] == "" && r[4] == "" && r[5] == "" {
			blank++
		}
	}
	if blank != 5 || d.RowsSuppressed != 5 {
		t.Errorf("cells: %d rows blanked (disclosure %d), want 5", blank, d.RowsSuppressed)
	}
	if len(readCSV(t, fs["out-family.csv"])) != 13 {
		t.Errorf("cells: repeat rows were dropped")
	}
}

// TestSuppressAll: when no class can spare rows, every row is blanked.
func TestSuppressAll(t *testing.T) {
	f := testForm()
	people := append(crowd()[:6], respondent{age: 71, sex: "m", home: "hyesan", left: "2019-01-01"})
	fs, _, err := write(t, f, records(f, people), export.Options{Format: export.CSV, Generalize: export.Generalization{AgeBand: 10, YearRange: 5, Province: true}, Suppress: export.SuppressCells})
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := export.AnalyzeTable(seq(readCSV(t, fs["out.csv"])), []string{"age", "sex", "home", "left"}, 5)
	if !rep.Safe() || rep.Classes != 1 {
		t.Errorf("the written file has %+v", rep)
	}
}

func TestOverride(t *testing.T) {
	f := testForm()
	fs, d, err := write(t, f, records(f, crowd()), export.Options{Format: export.CSV, AllowSmallGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep, _ := export.AnalyzeTable(seq(readCSV(t, fs["out.csv"])), []string{"age"}, 5); rep.Unique != 10 {
		t.Errorf("the override did not write the rows as they are: %+v", rep)
	}
	b, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"small_groups_allowed": true`, `"below_k": 10`, `"day": "2026-12-06"`, `"form": "defectors"`, `"quasi_identifiers": [`, `"free_text_included": false`, `"file": "out.csv"`, `"file": "out-family.csv"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the disclosure record lacks %s:\n%s", want, b)
		}
	}
	// The identifier in the repeat is recorded as not checked.
	if len(d.NotChecked) != 1 || d.NotChecked[0].Question != "member_age" {
		t.Errorf("not checked: %+v", d.NotChecked)
	}
}

func TestAnalyze(t *testing.T) {
	f := testForm()
	people := crowd()
	for i := range people {
		people[i].age = 30 + i%2 // two classes of 5 by age and sex...
	}
	people = append(people, respondent{age: 30, sex: "m"}, respondent{age: 30, sex: "m"})
	rs := records(f, people)
	rep, err := export.Analyze(f, rs, []string{"age", "sex"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := export.Report{K: 5, Rows: 12, Classes: 3, Unique: 0, BelowK: 2, SmallClasses: 1, Smallest: 2}
	if rep != want {
		t.Errorf("Analyze = %+v, want %+v", rep, want)
	}
	if rep, _ := export.Analyze(f, rs, nil, 0); rep.Unique != 10 {
		t.Errorf("over the form's identifiers: %+v", rep)
	}
	for _, tc := range []struct {
		quasi []string
		k     int
		want  string
	}{
		{[]string{"nope"}, 0, `no question "nope"`},
		{[]string{"member_age"}, 0, `in the repeat "family"`},
		{[]string{"thanks"}, 0, "not a question with answers"},
		{[]string{"age", "age"}, 0, "given twice"},
		{[]string{"age"}, 2, "never below 3"},
	} {
		if _, err := export.Analyze(f, rs, tc.quasi, tc.k); err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, export.ErrOptions) {
			t.Errorf("%v k=%d: %v, want %q", tc.quasi, tc.k, err, tc.want)
		}
	}
}

// TestOtherVersions: responses to another version or digest are skipped
// and counted, never exported under this form's columns.
func TestOtherVersions(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:3])
	rs[1].Response.Version = "2026120501"
	rs[2].Response.FormSHA256 = strings.Repeat("0", 64)
	fs, d, err := write(t, f, rs, export.Options{Format: export.CSV, AllowSmallGroups: true})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, fs["out.csv"]); len(rows) != 2 || d.Skipped != 2 {
		t.Errorf("%d rows written, %d skipped", len(rows)-1, d.Skipped)
	}
}

func TestParseGeneralization(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want export.Generalization
		err  string
	}{
		{"", export.Generalization{}, ""},
		{"age=10", export.Generalization{AgeBand: 10}, ""},
		{" place=province , year=5", export.Generalization{YearRange: 5, Province: true}, ""},
		{"age=1", export.Generalization{}, "from 2 to"},
		{"age=ten", export.Generalization{}, "from 2 to"},
		{"age=5,age=10", export.Generalization{}, "twice"},
		{"place=county", export.Generalization{}, "place=province"},
		{"sex=x", export.Generalization{}, "only age, year and place"},
		{"age", export.Generalization{}, "KIND=VALUE"},
	} {
		got, err := export.ParseGeneralization(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q = %+v, %v; want %+v", tc.in, got, err, tc.want)
		case tc.err == "" && got.String() != "":
			if again, _ := export.ParseGeneralization(got.String()); again != got {
				t.Errorf("%q does not round-trip: %q", tc.in, got.String())
			}
		}
	}
}

func TestTableFile(t *testing.T) {
	for _, tc := range [][3]string{
		{"out.csv", "", "out.csv"},
		{"out.csv", "family", "out-family.csv"},
		{"dir.v2/out", "family", "dir.v2/out-family"},
		{"a/b.tar.jsonl", "x", "a/b.tar-x.jsonl"},
	} {
		if got := export.TableFile(tc[0], tc[1]); got != tc[2] {
			t.Errorf("TableFile(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
