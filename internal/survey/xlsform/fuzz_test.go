package xlsform_test

import (
	"bytes"
	"errors"
	"testing"

	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

// checkOutcome checks what Read returned: a form that checks and whose
// canonical encoding parses back, or a *survey.FormError that names its
// sheet when it names a row.
func checkOutcome(t *testing.T, f *survey.Form, err error) {
	t.Helper()
	if err != nil {
		var fe *survey.FormError
		if !errors.As(err, &fe) {
			t.Fatalf("error %T %v, want a *survey.FormError", err, err)
		}
		if fe.Row > 0 && fe.Sheet == "" {
			t.Fatalf("error %q names a row but no sheet", err)
		}
		if fe.Msg == "" {
			t.Fatal("an error without a message")
		}
		return
	}
	if err := f.Check(); err != nil {
		t.Fatalf("Read returned a form that does not check: %v", err)
	}
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := survey.ParseForm(b); err != nil {
		t.Fatalf("the canonical encoding does not parse back: %v", err)
	}
}

// FuzzRead reads arbitrary bytes as a workbook.
func FuzzRead(f *testing.F) {
	f.Add(workbook(f, goldenSheets()...))
	f.Add(workbook(f, surveySheet([]string{"text", "q", "Q"})))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		form, _, err := xlsform.Read(bytes.NewReader(data), "fuzz.xlsx")
		checkOutcome(t, form, err)
	})
}

// FuzzCells writes the fuzzer's strings into the cells of a workbook (a
// question's type, name, label, relevant and default; a choice; settings)
// and reads it.
func FuzzCells(f *testing.F) {
	f.Add("select_one l or_other", "q", "label::English (en)", "Q", "${q} = 'a'", "a", "l", "a", "2026120601", "English", "5")
	f.Add("begin group", "g", "label", "G", "", "", "l", "b", "1", "", "")
	f.Add("integer", "n", "label:Español", "¿N?", ". > 1", "3", "l", "a b", "1.5", "es", "2")
	f.Add("select one from l or specify other", "q", "LABEL", "Q", "", "a", "l", "a", "", "", "")
	f.Fuzz(func(t *testing.T, typ, name, labelHeader, label, relevant, def, list, choice, version, lang, minCell string) {
		data := workbook(t,
			sheet{"survey", [][]string{
				{"type", "name", labelHeader, "relevant", "default"},
				{typ, name, label, relevant, def},
				{"end group"},
			}},
			sheet{"choices", [][]string{{"list_name", "name", "label"}, {list, choice, label}}},
			sheet{"settings", [][]string{{"version", "default_language", "min_cell"}, {version, lang, minCell}}},
		)
		form, _, err := xlsform.Read(bytes.NewReader(data), "fuzz.xlsx")
		checkOutcome(t, form, err)
	})
}
