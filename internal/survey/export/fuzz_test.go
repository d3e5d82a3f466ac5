package export_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"testimony/internal/survey/export"
)

func FuzzParseGeneralization(f *testing.F) {
	for _, s := range []string{"", "age=10", "age=5,year=5,place=province", "place=", "=,", "age=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := export.ParseGeneralization(s)
		if err != nil {
			return
		}
		if g.AgeBand < 0 || g.AgeBand == 1 || g.AgeBand > export.MaxBand || g.YearRange < 0 || g.YearRange == 1 || g.YearRange > export.MaxBand {
			t.Fatalf("%q parsed to %+v", s, g)
		}
		again, err := export.ParseGeneralization(g.String())
		if err != nil || again != g {
			t.Fatalf("%q: %+v does not round-trip: %v", s, g, err)
		}
	})
}

// FuzzCSVCell: any answer reads back from the CSV as it was, but for the
// apostrophe before a would-be formula, and no cell starts a formula.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"=1+1", "a,b", "\"q\"", "줄\r\n바꿈", "-", "@", "\t", "평범한 답"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return
		}
		form := testForm()
		rs := records(form, crowd()[:1])
		rs[0].Response.Answers.Values["story"] = s
		fs, _, err := write(t, form, rs, export.Options{Format: export.CSV, FreeText: true, AllowSmallGroups: true})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(fs["out.csv"].Bytes(), []byte("\xEF\xBB\xBF")))).ReadAll()
		if err != nil {
			t.Fatalf("%q: the CSV does not parse: %v", s, err)
		}
		got := column(t, rows, "story")[0]
		raw := string(fs["out.csv"].Bytes())
		if strings.Contains(raw, ",="+s) || strings.Contains(raw, ",\"="+s) {
			t.Fatalf("%q written unguarded", s)
		}
		if got != "" && strings.ContainsRune("=+-@\t", rune(got[0])) {
			t.Fatalf("%q written as %q, a formula", s, got)
		}
		// encoding/csv drops carriage returns as it reads.
		want := strings.ReplaceAll(s, "\r", "")
		if strings.TrimPrefix(got, "'") != want && got != want {
			t.Fatalf("%q read back as %q", s, got)
		}
	})
}
