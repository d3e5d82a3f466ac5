package xlsform_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

// corpusDir holds the .xlsx test forms of pyxform, the reference XLSForm
// converter: forms written by others (see its README.md).
var corpusDir = filepath.Join("..", "..", "..", "..", "shared", "corpus", "xlsform-pyxform")

// outcome is what reading a corpus form gives: imported (sheet empty), or
// refused at sheet, row and column with a message containing msg.
type outcome struct {
	sheet  string
	row    int
	column string
	msg    string
}

// corpus is the expected outcome of every form of the corpus. docs/forms.md
// has the same table, with why; TestCorpus checks that the two agree.
var corpus = map[string]outcome{
	"bug_example_xls/ODKValidateWarnings.xlsx":   {"survey", 2, "D", "its column has no name in row 1"},
	"bug_example_xls/UCL_Biomass_Plot_Form.xlsx": {"survey", 23, "parameters", "parameters (for range, select from file"},
	"bug_example_xls/bad_calc.xlsx":              {"survey", 2, "calculation", "a string is not closed"},
	"bug_example_xls/duplicate_columns.xlsx":     {"survey", 1, "label", `columns D ("label") and E ("label") are the same column`},
	"bug_example_xls/xl_date_ambiguous.xlsx":     {"settings", 2, "xml_root", `does not support the setting "xml_root"`},
	"bug_example_xls/xl_date_ambiguous_v1.xlsx":  {"settings", 2, "xml_root", `does not support the setting "xml_root"`},
	"example_xls/attribute_columns_test.xlsx":    {"survey", 2, "bind::saveIncomplete", "raw XForms attributes"},
	"example_xls/bad_calc.xlsx":                  {"survey", 2, "calculation", "a string is not closed"},
	"example_xls/case_insensitivity.xlsx":        {"EXTERNAL_CHOICES", 0, "", "external choices are not supported"},
	"example_xls/choice_filter_test.xlsx":        {"settings", 2, "allow_choice_duplicates", `does not support the setting "allow_choice_duplicates"`},
	"example_xls/extra_columns.xlsx":             {},
	"example_xls/extra_sheet_names.xlsx":         {},
	"example_xls/field-list.xlsx":                {},
	"example_xls/flat_xlsform_test.xlsx":         {"survey", 9, "image", "pictures, sounds and videos"},
	"example_xls/group.xlsx":                     {"survey", 4, "type", `the type "phone number" is not supported`},
	"example_xls/include.xlsx":                   {"survey", 3, "type", `the type "include" (including another form) is not supported`},
	"example_xls/include_json.xlsx":              {"survey", 2, "type", `the type "include" (including another form) is not supported`},
	"example_xls/loop.xlsx":                      {"survey", 3, "type", "a loop over a choice list"},
	"example_xls/or_other.xlsx":                  {"survey", 3, "choice_filter", "has no column yes"},
	"example_xls/pull_data.xlsx":                 {"survey", 2, "calculation", "pulldata() is not supported"},
	"example_xls/specify_other.xlsx":             {},
	"example_xls/survey_no_name.xlsx":            {"survey", 0, "", "no sheet named survey"},
	"example_xls/text_and_integer.xlsx":          {},
	"example_xls/xlsform_spec_test.xlsx":         {"survey", 9, "image", "pictures, sounds and videos"},
	"example_xls/yes_or_no_question.xlsx":        {},
}

// TestCorpus reads every form of the pyxform corpus: each is imported or
// refused with a FormError naming its sheet (and, about a cell, its row
// and column), as the table above records, and none panics.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" {
			t.Fatalf("the pyxform corpus is missing at %s, and TESTIMONY_REQUIRE_TOOLS=1 requires it", corpusDir)
		}
		t.Skipf("the pyxform corpus is not at %s: skipping", corpusDir)
	}
	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "forms.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xlsx") {
			return err
		}
		rel, _ := filepath.Rel(corpusDir, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			want, ok := corpus[rel]
			if !ok {
				t.Fatalf("a form that the table does not list: add it to the table here and in docs/forms.md")
			}
			file, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			f, _, err := xlsform.Read(file, filepath.Base(path))
			line := "| `" + rel + "` | "
			switch {
			case want.sheet == "" && err != nil:
				t.Fatalf("refused, want imported: %v", err)
			case want.sheet == "":
				if f.Check() != nil {
					t.Fatal("imported a form that does not check")
				}
				line += "imported"
			case err == nil:
				t.Fatalf("imported, want refused on sheet %s row %d column %q: %q", want.sheet, want.row, want.column, want.msg)
			default:
				var fe *survey.FormError
				if !errors.As(err, &fe) {
					t.Fatalf("refused with %T %v, want a *survey.FormError", err, err)
				}
				if fe.Sheet != want.sheet || fe.Row != want.row || fe.Column != want.column || !strings.Contains(fe.Msg, want.msg) {
					t.Fatalf("refused with %q (sheet %q row %d column %q), want sheet %q row %d column %q and %q",
						err, fe.Sheet, fe.Row, fe.Column, want.sheet, want.row, want.column, want.msg)
				}
				line += "refused"
			}
			if !strings.Contains(string(docs), line) {
				t.Errorf("docs/forms.md has no line starting %q", line)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range corpus {
		if !seen[rel] {
			t.Errorf("the table lists %s, which the corpus does not have", rel)
		}
	}
}
