package main

import (
	"bytes"
	"testing"

	"testimony/examples/forms"
	"testimony/internal/survey/xlsform"
)

// TestCommittedIsGenerated fails when the committed workbook is not what
// this program writes: run go run ./examples/forms/gen after changing it.
// It compares the forms as testimony reads them (their canonical
// encodings), not the zip bytes.
func TestCommittedIsGenerated(t *testing.T) {
	fresh, err := build()
	if err != nil {
		t.Fatal(err)
	}
	canonical := func(b []byte) []byte {
		f, w, err := xlsform.Read(bytes.NewReader(b), "defector-survey.xlsx")
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(w) > 0 {
			t.Errorf("warnings: %v", w)
		}
		out, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if !bytes.Equal(canonical(fresh), canonical(forms.DefectorSurvey)) {
		t.Fatal("examples/forms/defector-survey.xlsx is not what gen writes: run go run ./examples/forms/gen")
	}
}
