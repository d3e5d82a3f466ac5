package xlsform_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sheet is a sheet of a workbook made in a test: its rows of cells.
type sheet struct {
	name string
	rows [][]string
}

// workbook writes the sheets as an .xlsx file, in order, every cell as
// text.
func workbook(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := x.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := x.SetSheetRow(s.name, cell, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// surveySheet is a survey sheet with the header type, name, label and
// the rows.
func surveySheet(rows ...[]string) sheet {
	return sheet{"survey", append([][]string{{"type", "name", "label"}}, rows...)}
}

func read(t testing.TB, data []byte) (*survey.Form, []xlsform.Warning, error) {
	t.Helper()
	return xlsform.Read(bytes.NewReader(data), "My Form.xlsx")
}

func mustRead(t *testing.T, sheets ...sheet) (*survey.Form, []xlsform.Warning) {
	t.Helper()
	f, w, err := read(t, workbook(t, sheets...))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f, w
}

func hasWarning(ws []xlsform.Warning, substr string) bool {
	return slices.ContainsFunc(ws, func(w xlsform.Warning) bool { return strings.Contains(w.String(), substr) })
}

// TestRead reads forms that use each supported feature and checks what
// each turns into.
func TestRead(t *testing.T) {
	yesNo := sheet{"choices", [][]string{{"list_name", "name", "label"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}}
	tests := []struct {
		name   string
		sheets []sheet
		check  func(t *testing.T, f *survey.Form, w []xlsform.Warning)
	}{
		{
			// The smallest form: the ID comes from the file name, the
			// version is 1, and both are warned about.
			name:   "minimal",
			sheets: []sheet{surveySheet([]string{"text", "q1", "Anything?"})},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				if f.ID != "my_form" || f.Version != "1" || f.Format != survey.FormFormat {
					t.Errorf("ID %q version %q format %q", f.ID, f.Version, f.Format)
				}
				if !hasWarning(w, "no version") || !hasWarning(w, "from the file name") {
					t.Errorf("warnings: %v", w)
				}
				if f.MinCell != survey.DefaultMinCell || f.MinCellSensitive != survey.DefaultMinCellSensitive {
					t.Errorf("min cells %d %d", f.MinCell, f.MinCellSensitive)
				}
				if f.Title[""] != "my_form" || f.DefaultLanguage != "" || len(f.Languages) != 0 {
					t.Errorf("title %v, default %q, languages %v", f.Title, f.DefaultLanguage, f.Languages)
				}
			},
		},
		{
			// Two languages with codes; default_language by name; the
			// languages are in column order.
			name: "languages",
			sheets: []sheet{
				{"survey", [][]string{
					{"type", "name", "label::English (en)", "label::한국어 (ko)", "hint::English (en)", "constraint", "constraint_message::English (en)", "constraint_message::한국어 (ko)"},
					{"integer", "age", "Age", "나이", "In years", ". >= 18", "At least 18", "18세 이상"},
				}},
				{"settings", [][]string{{"form_title::English (en)", "form_title::한국어 (ko)", "form_id", "version", "default_language"},
					{"Survey", "설문", "s-1", "2026120601", "한국어"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				want := []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "한국어"}}
				if !slices.Equal(f.Languages, want) || f.DefaultLanguage != "ko" {
					t.Errorf("languages %v default %q", f.Languages, f.DefaultLanguage)
				}
				q := f.Survey[0]
				if q.Label["ko"] != "나이" || q.Label["en"] != "Age" || q.Hint["en"] != "In years" || q.ConstraintMessage["ko"] != "18세 이상" {
					t.Errorf("texts %v %v %v", q.Label, q.Hint, q.ConstraintMessage)
				}
				if f.ID != "s-1" || f.Version != "2026120601" || f.Title["ko"] != "설문" {
					t.Errorf("settings: %q %q %v", f.ID, f.Version, f.Title)
				}
				if len(w) != 0 {
					t.Errorf("warnings: %v", w)
				}
			},
		},
		{
			// Languages without codes (a well-known name, a bare code, the
			// older single colon) and plain texts, which belong to the
			// default language.
			name: "language names",
			sheets: []sheet{
				{"survey", [][]string{
					{"type", "name", "label:Spanish", "label:NL", "hint"},
					{"text", "q", "¿Qué?", "Wat?", "plain hint"},
				}},
				{"settings", [][]string{{"default_language", "version"}, {"nl", "3"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				want := []survey.Language{{Code: "es", Name: "Spanish"}, {Code: "nl", Name: "NL"}}
				if !slices.Equal(f.Languages, want) || f.DefaultLanguage != "nl" {
					t.Errorf("languages %v default %q", f.Languages, f.DefaultLanguage)
				}
				if h := f.Survey[0].Hint; h["nl"] != "plain hint" || len(h) != 1 {
					t.Errorf("hint %v", h)
				}
			},
		},
		{
			// A form with only plain texts and a default_language: the
			// texts are in that language.
			name: "plain texts in the default language",
			sheets: []sheet{
				surveySheet([]string{"text", "q", "What?"}),
				{"settings", [][]string{{"default_language", "version"}, {"English", "3"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				if !slices.Equal(f.Languages, []survey.Language{{Code: "en", Name: "English"}}) {
					t.Errorf("languages %v", f.Languages)
				}
				if l := f.Survey[0].Label; l["en"] != "What?" || len(l) != 1 {
					t.Errorf("label %v", l)
				}
			},
		},
		{
			// or_other marks the select: it holds the text question
			// NAME_other; the list does not get the choice.
			name: "or_other",
			sheets: []sheet{
				{"survey", [][]string{
					{"type", "name", "label::Korean (ko)", "label::English (en)"},
					{"select_multiple why or_other", "why", "이유", "Why"},
					{"integer", "n", "수", "Number"},
				}},
				{"choices", [][]string{{"list_name", "name", "label::Korean (ko)", "label::English (en)"}, {"why", "food", "식량", "Food"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				if len(f.Survey) != 2 {
					t.Fatalf("%d questions", len(f.Survey))
				}
				s := f.Survey[0]
				if !s.OrOther || s.List != "why" || s.Type != survey.SelectMultiple {
					t.Errorf("select %+v", s)
				}
				if _, ok := f.Choice("why", "other"); ok {
					t.Error("the choice other was added to the list")
				}
			},
		},
		{
			// The older spellings of types, columns and sheets.
			name: "old spellings",
			sheets: []sheet{
				{"SURVEY", [][]string{
					{"Type", "NAME", "Label", "Relevance", "Constraint Message", "constraint"},
					{"begin_group", "g", "G"},
					{"select one from yn or specify other", "a", "A?"},
					{"select all that apply from yn", "b", "B?", "${a} = 'yes'"},
					{"Select_One yn", "c", "C?", "", "must be yes", ". = 'yes'"},
					{"end_group"},
					{"begin repeat", "r", "R"},
					{"add integer prompt", "d", "D?"},
					{"END REPEAT", "r"},
					{"gps", "e", "Where?"},
				}},
				{"Choices", [][]string{{"list name", "name", "label"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				g := f.Survey[0]
				if g.Type != survey.Group || len(g.Children) != 3 {
					t.Fatalf("group %+v", g)
				}
				if a := g.Children[0]; a.Type != survey.SelectOne || !a.OrOther {
					t.Errorf("select one from … or specify other: %+v", a)
				}
				if b := g.Children[1]; b.Type != survey.SelectMultiple || b.Relevant != "${a} = 'yes'" {
					t.Errorf("select all that apply from: %+v", b)
				}
				if c := g.Children[2]; c.Type != survey.SelectOne || c.ConstraintMessage[""] != "must be yes" {
					t.Errorf("Select_One: %+v", c)
				}
				r := f.Survey[1]
				if r.Type != survey.Repeat || len(r.Children) != 1 || r.Children[0].Type != survey.Integer {
					t.Errorf("repeat %+v", r)
				}
				if f.Survey[2].Type != survey.Geopoint {
					t.Errorf("gps: %+v", f.Survey[2])
				}
			},
		},
		{
			// required, read_only, sensitive and identifier; yes and
			// expressions; smart quotes made plain.
			name: "columns",
			sheets: []sheet{
				{"survey", [][]string{
					{"type", "name", "label", "required", "read_only", "relevant", "sensitive", "identifier", "appearance", "required_message"},
					{"select_one yn", "a", "A?", "yes", "", "", "", "Sex", "", "Please answer"},
					{"text", "b", "B?", "${a} = 'yes'", "TRUE", "${a} = \u2018yes\u2019", "yes", "", "multiline"},
					{"integer", "c", "C?", "no", "0", "", "no", "age"},
					{"note", "d", "Thanks", "no"},
				}},
				yesNo,
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				a, b, c := f.Survey[0], f.Survey[1], f.Survey[2]
				if a.Required != "true()" || a.Identifier != survey.IDSex || a.RequiredMessage[""] != "Please answer" {
					t.Errorf("a %+v", a)
				}
				if b.Required != "${a} = 'yes'" || b.ReadOnly != "true()" || b.Relevant != "${a} = 'yes'" || !b.Sensitive || b.Appearance != "multiline" {
					t.Errorf("b %+v", b)
				}
				if c.Required != "" || c.ReadOnly != "" || c.Sensitive || c.Identifier != survey.IDAge {
					t.Errorf("c %+v", c)
				}
			},
		},
		{
			// Choices keep their other columns, lowercased; a choice
			// filter reads them by that name.
			name: "choice filter",
			sheets: []sheet{
				{"survey", [][]string{
					{"type", "name", "label", "choice_filter"},
					{"select_one province", "p", "Province?"},
					{"select_one county", "c", "County?", "province = ${p}"},
				}},
				{"choices", [][]string{
					{"list_name", "name", "label", "Province"},
					{"province", "hb", "Hamgyong-bukto"},
					{"county", "musan", "Musan", "hb"},
				}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				c, _ := f.Choice("county", "musan")
				if c.Extra["province"] != "hb" || c.Row != 3 {
					t.Errorf("choice %+v", c)
				}
				if f.Survey[1].ChoiceFilter != "province = ${p}" {
					t.Errorf("filter %q", f.Survey[1].ChoiceFilter)
				}
			},
		},
		{
			// Minimum cells: the sensitive one is at least the other.
			name: "min cells",
			sheets: []sheet{
				surveySheet([]string{"text", "q", "Q"}),
				{"settings", [][]string{{"min_cell", "version"}, {"12", "1"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				if f.MinCell != 12 || f.MinCellSensitive != 12 {
					t.Errorf("min cells %d %d", f.MinCell, f.MinCellSensitive)
				}
			},
		},
		{
			name: "min cells both",
			sheets: []sheet{
				surveySheet([]string{"text", "q", "Q"}),
				{"settings", [][]string{{"min_cell", "min_cell_sensitive", "version"}, {"3", "20", "1"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				if f.MinCell != 3 || f.MinCellSensitive != 20 {
					t.Errorf("min cells %d %d", f.MinCell, f.MinCellSensitive)
				}
			},
		},
		{
			// What testimony ignores is warned about: an empty column, a
			// setting only ODK uses, another sheet, a list nobody uses.
			name: "warnings",
			sheets: []sheet{
				{"survey", [][]string{{"type", "name", "label", "media::image", "rows"}, {"text", "q", "Q", "", "3"}}},
				{"settings", [][]string{{"submission_url", "version"}, {"https://example.org/submit", "1"}}},
				{"changelog", [][]string{{"version", "date"}, {"1", "today"}}},
				{"choices", [][]string{{"list_name", "name", "label"}, {"unused", "a", "A"}}},
			},
			check: func(t *testing.T, f *survey.Form, w []xlsform.Warning) {
				for _, s := range []string{"column media::image: ignored the column: it is empty", "column rows: ignored the column", "submission_url", `ignored the sheet "changelog"`, `the list "unused" is not used`} {
					if !hasWarning(w, s) {
						t.Errorf("no warning %q in %v", s, w)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, w := mustRead(t, tt.sheets...)
			tt.check(t, f, w)
		})
	}
}

// TestNesting reads nested groups and a repeat: the tree and the rows.
func TestNesting(t *testing.T) {
	f, _ := mustRead(t, sheet{"survey", [][]string{
		{"type", "name", "label", "repeat_count", "default", "calculation"},
		{"integer", "n", "How many?", "", "2"},
		{"begin group", "g1", ""},
		{"begin group", "g2", ""},
		{"begin repeat", "r", "Member", "${n}"},
		{"date", "d", "When?", "", "2020-01-31"},
		{"end repeat"},
		{"end group", "g2"},
		{"end group"},
		{},
		{"calculate", "x", "", "", "", "${n} * 2"},
	}})
	if len(f.Survey) != 3 {
		t.Fatalf("%d top-level questions", len(f.Survey))
	}
	r := f.Survey[1].Children[0].Children[0]
	if r.Type != survey.Repeat || r.RepeatCount != "${n}" || r.Row != 5 || r.Children[0].Default != "2020-01-31" {
		t.Errorf("repeat %+v", r)
	}
	if x := f.Survey[2]; x.Calculation != "${n} * 2" || x.Row != 11 {
		t.Errorf("calculate %+v", x)
	}
	if q, rep := f.Question("d"); q == nil || rep != r {
		t.Errorf("d is in %v", rep)
	}
}

// TestRefused reads forms that testimony cannot take: each is refused
// with a *survey.FormError naming the sheet, row and column.
func TestRefused(t *testing.T) {
	yn := sheet{"choices", [][]string{{"list_name", "name", "label"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}}
	type want struct {
		sheet  string
		row    int
		column string
		msg    string
	}
	tests := []struct {
		name   string
		sheets []sheet
		want   want
	}{
		// Types outside the subset.
		{"range", []sheet{surveySheet([]string{"range", "q", "Q"})}, want{"survey", 2, "type", `"range" is not supported: use integer or decimal`}},
		{"rank", []sheet{surveySheet([]string{"rank yn", "q", "Q"}), yn}, want{"survey", 2, "type", "ranking is not supported"}},
		{"barcode", []sheet{surveySheet([]string{"barcode", "q", "Q"})}, want{"survey", 2, "type", "barcode"}},
		{"time", []sheet{surveySheet([]string{"text", "a", "A"}, []string{"datetime", "q", "Q"})}, want{"survey", 3, "type", "to the day only"}},
		{"deviceid", []sheet{surveySheet([]string{"deviceid", "q"})}, want{"survey", 2, "type", "never collects"}},
		{"from file", []sheet{surveySheet([]string{"select_one_from_file places.csv", "q", "Q"})}, want{"survey", 2, "type", "from a file"}},
		{"external", []sheet{surveySheet([]string{"select_one_external yn", "q", "Q"})}, want{"survey", 2, "type", "external sheet"}},
		{"trigger type", []sheet{surveySheet([]string{"trigger", "q", "Q"})}, want{"survey", 2, "type", `"trigger" is not supported`}},
		{"previous answers", []sheet{surveySheet([]string{"select_one ${a}", "q", "Q"})}, want{"survey", 2, "type", "earlier answers"}},
		{"select without list", []sheet{surveySheet([]string{"select_one", "q", "Q"})}, want{"survey", 2, "type", "names no choice list"}},
		{"unknown type", []sheet{surveySheet([]string{"txet", "q", "Q"})}, want{"survey", 2, "type", `"txet" is not supported: testimony supports text`}},
		{"no type", []sheet{surveySheet([]string{"", "q", "Q"})}, want{"survey", 2, "type", "no type"}},
		{"appearance on a meta", []sheet{{"survey", [][]string{{"type", "name", "label", "appearance"}, {"today", "t", "", "minimal"}}}}, want{"survey", 2, "appearance", "does not apply to a today"}},
		{"bad expression", []sheet{{"survey", [][]string{{"type", "name", "label", "relevant"}, {"text", "q", "Q", "${q} = 'a"}}}}, want{"survey", 2, "relevant", "not closed"}},
		{"unknown reference", []sheet{{"survey", [][]string{{"type", "name", "label", "relevant"}, {"text", "q", "Q", "${nobody} = 'a'"}}}}, want{"survey", 2, "relevant", "names no question"}},
		{"no list", []sheet{surveySheet([]string{"select_one nolist", "q", "Q"})}, want{"survey", 2, "type", `no choice list "nolist"`}},
		// Columns that would change how a question is asked.
		{"label::image", []sheet{{"survey", [][]string{{"type", "name", "label", "label::image"}, {"text", "q", "Q", "q.jpg"}}}}, want{"survey", 2, "label::image", "pictures"}},
		{"media::image", []sheet{{"survey", [][]string{{"type", "name", "label", "media::image"}, {"text", "q", "Q", "q.jpg"}}}}, want{"survey", 2, "media::image", "pictures"}},
		{"parameters", []sheet{{"survey", [][]string{{"type", "name", "label", "parameters"}, {"text", "q", "Q"}, {"image", "p", "P", "max-pixels=1024"}}}}, want{"survey", 3, "parameters", "parameters"}},
		{"trigger column", []sheet{{"survey", [][]string{{"type", "name", "label", "trigger"}, {"text", "q", "Q", "${a}"}}}}, want{"survey", 2, "trigger", "triggers"}},
		{"bind", []sheet{{"survey", [][]string{{"type", "name", "label", "bind::odk:length"}, {"text", "q", "Q", "5"}}}}, want{"survey", 2, "bind::odk:length", "raw XForms"}},
		{"unknown column", []sheet{{"survey", [][]string{{"type", "name", "label", "notes"}, {"text", "q", "Q", "ask gently"}}}}, want{"survey", 2, "notes", `does not know the column "notes"`}},
		{"no header", []sheet{{"survey", [][]string{{"type", "name", "label"}, {"text", "q", "Q", "", "x"}}}}, want{"survey", 2, "E", "no name in row 1"}},
		{"duplicate column", []sheet{{"survey", [][]string{{"type", "name", "label::English (en)", "Label::english"}, {"text", "q", "Q"}}}}, want{"survey", 1, "Label::english", "same column"}},
		{"column on wrong type", []sheet{{"survey", [][]string{{"type", "name", "label", "choice_filter"}, {"text", "q", "Q", "x = 1"}}}}, want{"survey", 2, "choice_filter", "a text question cannot have a choice_filter"}},
		{"calculation on text", []sheet{{"survey", [][]string{{"type", "name", "label", "calculation"}, {"text", "q", "Q", "1 + 1"}}}}, want{"survey", 2, "calculation", "cannot have a calculation"}},
		{"sensitive", []sheet{{"survey", [][]string{{"type", "name", "label", "sensitive"}, {"text", "q", "Q", "very"}}}}, want{"survey", 2, "sensitive", "write yes"}},
		{"identifier", []sheet{{"survey", [][]string{{"type", "name", "label", "identifier"}, {"text", "q", "Q", "height"}}}}, want{"survey", 2, "identifier", "age, year, sex, place, other"}},
		// Languages.
		{"language without code", []sheet{{"survey", [][]string{{"type", "name", "label::Klingon"}, {"text", "q", "Q"}}}}, want{"survey", 1, "label::Klingon", "add its code"}},
		{"bad language code", []sheet{{"survey", [][]string{{"type", "name", "label::English (english1)"}, {"text", "q", "Q"}}}}, want{"survey", 1, "label::English (english1)", "not a language code"}},
		{"default language not in form", []sheet{{"survey", [][]string{{"type", "name", "label::English (en)"}, {"text", "q", "Q"}}}, {"settings", [][]string{{"default_language"}, {"French"}}}},
			want{"settings", 2, "default_language", "not a language of the form"}},
		// Structure.
		{"group never closed", []sheet{surveySheet([]string{"begin group", "g", "G"}, []string{"text", "q", "Q"}, []string{"text", "q2", "Q2"})}, want{"survey", 2, "type", `group "g" begun on row 2 is never closed: the sheet ends at row 4`}},
		{"end without begin", []sheet{surveySheet([]string{"text", "q", "Q"}, []string{"end group"})}, want{"survey", 3, "type", "without a begin group"}},
		{"end of the wrong kind", []sheet{surveySheet([]string{"begin group", "g", "G"}, []string{"text", "q", "Q"}, []string{"end repeat"})}, want{"survey", 4, "type", `group "g" begun on row 2`}},
		{"end names another", []sheet{surveySheet([]string{"begin group", "g", "G"}, []string{"text", "q", "Q"}, []string{"end group", "h"})}, want{"survey", 4, "name", `closes the group "g" begun on row 2`}},
		{"too deep", []sheet{surveySheet(deep(xlsform.MaxDepth + 1)...)}, want{"survey", xlsform.MaxDepth + 2, "type", "nested more than"}},
		{"no name", []sheet{surveySheet([]string{"text", "", "Q"})}, want{"survey", 2, "name", "has no name"}},
		{"duplicate name", []sheet{surveySheet([]string{"text", "q", "Q"}, []string{"integer", "q", "Q"})}, want{"survey", 3, "name", "already used on row 2"}},
		{"no label", []sheet{surveySheet([]string{"text", "q"})}, want{"survey", 2, "label", "no label"}},
		{"calculate without calculation", []sheet{surveySheet([]string{"calculate", "x"})}, want{"survey", 2, "calculation", "needs a calculation"}},
		{"no survey sheet", []sheet{{"Sheet1", [][]string{{"type", "name"}, {"text", "q"}}}}, want{"survey", 0, "", "no sheet named survey"}},
		{"no questions", []sheet{{"survey", [][]string{{"type", "name", "label"}}}}, want{"survey", 0, "", "no questions"}},
		{"no type column", []sheet{{"survey", [][]string{{"kind", "name", "label"}, {"text", "q", "Q"}}}}, want{"survey", 2, "kind", `does not know the column "kind"`}},
		{"entities sheet", []sheet{surveySheet([]string{"text", "q", "Q"}), {"entities", [][]string{{"list_name", "label"}, {"people", "x"}}}}, want{"entities", 0, "", "entities are not supported"}},
		{"misspelled sheet", []sheet{surveySheet([]string{"text", "q", "Q"}), {"setings", [][]string{{"version"}, {"2"}}}}, want{"setings", 0, "", `meant to be "settings"`}},
		// or_other.
		{"or_other with other", []sheet{surveySheet([]string{"select_one l or_other", "q", "Q"}), {"choices", [][]string{{"list_name", "name", "label"}, {"l", "other", "Other"}}}}, want{"survey", 2, "type", "already has a choice named"}},
		{"or_other name taken after", []sheet{surveySheet([]string{"select_one yn or_other", "q", "Q"}, []string{"text", "q_other", "Other?"}), yn}, want{"survey", 3, "name", "taken by the text question that or_other on row 2 adds"}},
		{"or_other name taken before", []sheet{surveySheet([]string{"text", "q_other", "Other?"}, []string{"select_one yn or_other", "q", "Q"}), yn}, want{"survey", 3, "type", "row 2 already has that name"}},
		// Choices.
		{"choice with a space", []sheet{surveySheet([]string{"select_one l", "q", "Q"}), {"choices", [][]string{{"list_name", "name", "label"}, {"l", "a b", "AB"}}}}, want{"choices", 2, "name", "has a space"}},
		{"choice twice", []sheet{surveySheet([]string{"select_one l", "q", "Q"}), {"choices", [][]string{{"list_name", "name", "label"}, {"l", "a", "A"}, {"l", "a", "A"}}}}, want{"choices", 3, "name", `the choice "a" twice`}},
		{"choice media", []sheet{surveySheet([]string{"select_one l", "q", "Q"}), {"choices", [][]string{{"list_name", "name", "label", "image"}, {"l", "a", "A", "a.png"}}}}, want{"choices", 2, "image", "pictures"}},
		{"choice without list", []sheet{surveySheet([]string{"select_one l", "q", "Q"}), {"choices", [][]string{{"list_name", "name", "label"}, {"l", "a", "A"}, {"", "b", "B"}}}}, want{"choices", 3, "list_name", "no list_name"}},
		// Defaults.
		{"default not a number", []sheet{{"survey", [][]string{{"type", "name", "label", "default"}, {"integer", "q", "Q", "two"}}}}, want{"survey", 2, "default", "not an answer to this question"}},
		{"default date as a number", []sheet{{"survey", [][]string{{"type", "name", "label", "default"}, {"date", "q", "Q", "45000"}}}}, want{"survey", 2, "default", "not an answer to this question"}},
		{"dynamic default", []sheet{{"survey", [][]string{{"type", "name", "label", "default"}, {"date", "q", "Q", "today()"}}}}, want{"survey", 2, "default", "looks like an expression"}},
		{"default not a choice", []sheet{{"survey", [][]string{{"type", "name", "label", "default"}, {"select_one yn", "q", "Q", "maybe"}}}, yn}, want{"survey", 2, "default", "not an answer to this question"}},
		// Settings.
		{"version not a number", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"version"}, {"1.2"}}}}, want{"settings", 2, "version", "write digits only"}},
		{"version a date", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"version"}, {"44662.6850575292"}}}}, want{"settings", 2, "version", "not a number of 1 to 10 digits"}},
		{"version with a leading zero", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"version"}, {"007"}}}}, want{"settings", 2, "version", "without leading zeros (7)"}},
		{"form id", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"form_id"}, {"Spec test"}}}}, want{"settings", 2, "form_id", `like "spec_test"`}},
		{"min cell below floor", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"min_cell"}, {"2"}}}}, want{"settings", 2, "min_cell", "can single out a person"}},
		{"min cell sensitive below min cell", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"min_cell", "min_cell_sensitive"}, {"8", "6"}}}}, want{"settings", 2, "min_cell_sensitive", "below min_cell"}},
		{"min cell not a number", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"min_cell"}, {"five"}}}}, want{"settings", 2, "min_cell", "not a whole number"}},
		{"unknown setting", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"allow_choice_duplicates"}, {"yes"}}}}, want{"settings", 2, "allow_choice_duplicates", "does not support the setting"}},
		{"settings second row", []sheet{surveySheet([]string{"text", "q", "Q"}), {"settings", [][]string{{"version"}, {"2"}, {"3"}}}}, want{"settings", 3, "", "one row of values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := read(t, workbook(t, tt.sheets...))
			if err == nil {
				t.Fatalf("read a form that should be refused: %+v", f)
			}
			var fe *survey.FormError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v, want a *survey.FormError", err, err)
			}
			if fe.Sheet != tt.want.sheet || fe.Row != tt.want.row || fe.Column != tt.want.column || !strings.Contains(fe.Msg, tt.want.msg) {
				t.Errorf("got  %q (sheet %q row %d column %q)\nwant sheet %q row %d column %q, message with %q",
					err, fe.Sheet, fe.Row, fe.Column, tt.want.sheet, tt.want.row, tt.want.column, tt.want.msg)
			}
		})
	}
}

// deep returns survey rows with n groups nested in each other.
func deep(n int) [][]string {
	var rows [][]string
	for i := range n {
		rows = append(rows, []string{"begin group", "g" + string(rune('a'+i)), ""})
	}
	rows = append(rows, []string{"text", "q", "Q"})
	for range n {
		rows = append(rows, []string{"end group"})
	}
	return rows
}

// TestNotAWorkbook refuses files that are not forms, and hostile
// workbooks, before they cost memory.
func TestNotAWorkbook(t *testing.T) {
	bomb := func(size int, name string) []byte {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		w, _ := z.Create(name)
		zero := make([]byte, 1<<20)
		for range size >> 20 {
			w.Write(zero)
		}
		z.Close()
		return buf.Bytes()
	}
	manyParts := func() []byte {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		for i := range xlsform.MaxParts + 1 {
			z.Create(strings.Repeat("x", 1+i%7) + string(rune('a'+i%26)) + "/" + strings.Repeat("y", i%5) + ".xml")
		}
		z.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "not a zip file"},
		{"text", []byte("type,name,label\ntext,q,Q\n"), "not a zip file"},
		{"xls", append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 504)...), "Excel 97-2003"},
		{"too large", make([]byte, xlsform.MaxFileSize+1), "larger than"},
		// 9 MiB of zeros compress to a few KiB: refused on the
		// directory's sizes, before any unpacking.
		{"one large part", bomb(9<<20, "xl/worksheets/sheet1.xml"), "unpacks to more than"},
		{"many parts", manyParts(), "parts, more than"},
		{"zip of nothing", bomb(0, "readme.txt"), "not a workbook that can be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := read(t, tt.data)
			var fe *survey.FormError
			if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("got %v, want a FormError with %q", err, tt.msg)
			}
		})
	}
}

// TestRowsLimit refuses a survey sheet with more rows than MaxRows, at
// the first row past it.
func TestRowsLimit(t *testing.T) {
	rows := [][]string{{"type", "name", "label"}}
	for i := range xlsform.MaxRows {
		rows = append(rows, []string{"text", "q" + strings.Repeat("x", i%3) + string(rune('a'+i%26)), "Q"})
	}
	_, _, err := read(t, workbook(t, sheet{"survey", rows}))
	var fe *survey.FormError
	if !errors.As(err, &fe) || fe.Row != xlsform.MaxRows+1 || !strings.Contains(fe.Msg, "more than") {
		t.Fatalf("got %v", err)
	}
}

// TestGolden reads a form that uses most features and compares its
// canonical encoding with testdata/golden.json (go test -update rewrites
// it). A change in how forms are read shows up here.
func TestGolden(t *testing.T) {
	f, w := mustRead(t, goldenSheets()...)
	got, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range w {
		got = append(got, "warning: "+x.String()+"\n"...)
	}
	path := filepath.Join("testdata", "golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the form reads differently from %s (go test -update rewrites it):\n%s", path, got)
	}
	// The canonical encoding parses back to the same form.
	body, _, _ := bytes.Cut(got, []byte("warning: "))
	if _, err := survey.ParseForm(body); err != nil {
		t.Errorf("ParseForm: %v", err)
	}
}

func goldenSheets() []sheet {
	return []sheet{
		{"survey", [][]string{
			{"type", "name", "label::Korean (ko)", "label::English (en)", "hint::English (en)", "required", "relevant", "constraint", "constraint_message::English (en)", "appearance", "sensitive", "identifier", "choice_filter", "repeat_count"},
			{"today", "today"},
			{"note", "consent", "동의", "Consent"},
			{"select_one sex", "sex", "성별", "Sex", "", "yes", "", "", "", "", "", "sex"},
			{"integer", "born", "출생 연도", "Year of birth", "Four digits", "yes", "", ". >= 1920 and . <= 2008", "Between 1920 and 2008", "", "", "year"},
			{"select_one province", "province", "도", "Province", "", "", "", "", "", "minimal", "", "place"},
			{"select_one county", "county", "군", "County", "", "", "", "", "", "", "", "place", "province = ${province}"},
			{"select_multiple reasons or_other", "reasons", "이유", "Reasons"},
			{"select_one yn", "detained", "구금", "Detained?"},
			{"begin group", "detention", "구금", "Detention", "", "", "${detained} = 'yes'"},
			{"select_one yn_pns", "treatment", "대우", "Ill-treatment?", "", "", "", "", "", "", "yes"},
			{"end group"},
			{"integer", "n_family", "가족 수", "Family members in the North"},
			{"begin repeat", "family", "가족", "Family member", "", "", "", "", "", "", "", "", "", "${n_family}"},
			{"text", "relation", "관계", "Relationship"},
			{"end repeat"},
			{"text", "more", "더", "Anything to add?", "", "", "", "", "", "multiline"},
		}},
		{"choices", [][]string{
			{"list_name", "name", "label::Korean (ko)", "label::English (en)", "province"},
			{"sex", "f", "여성", "Female"},
			{"sex", "m", "남성", "Male"},
			{"province", "hb", "함경북도", "Hamgyong-bukto"},
			{"province", "rg", "량강도", "Ryanggang"},
			{"county", "musan", "무산군", "Musan", "hb"},
			{"county", "hyesan", "혜산시", "Hyesan", "rg"},
			{"reasons", "food", "식량", "Food"},
			{"yn", "yes", "예", "Yes"},
			{"yn", "no", "아니요", "No"},
			{"yn_pns", "yes", "예", "Yes"},
			{"yn_pns", "no", "아니요", "No"},
			{"yn_pns", "pns", "답하고 싶지 않음", "Prefer not to say"},
		}},
		{"settings", [][]string{
			{"form_title::Korean (ko)", "form_title::English (en)", "form_id", "version", "default_language", "min_cell"},
			{"설문", "Survey", "golden", "2026120601", "ko", "5"},
		}},
	}
}

// TestWarningString names the column of a warning about a whole column.
func TestWarningString(t *testing.T) {
	w := xlsform.Warning{Sheet: "survey", Column: "rows", Msg: "ignored"}
	if got := w.String(); got != "survey sheet, column rows: ignored" {
		t.Errorf("got %q", got)
	}
	w = xlsform.Warning{Sheet: "choices", Row: 3, Column: "list_name", Msg: "unused"}
	if got := w.String(); got != "choices sheet, row 3, column list_name: unused" {
		t.Errorf("got %q", got)
	}
}
