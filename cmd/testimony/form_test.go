package main

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/xuri/excelize/v2"

	"testimony/examples/forms"
)

// TestFormScripts runs the form scenarios in testdata/form/*.txtar: forms
// written as text in the script (mkxlsx) and the demo form (demoform),
// checked as a person would.
func TestFormScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/form",
		RequireExplicitExec: true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exitcode": cmdExitcode,
			"mkxlsx":   cmdMkxlsx,
			"demoform": cmdDemoform,
		},
	})
}

// mkxlsx OUT SHEET=FILE... writes a workbook whose sheet SHEET holds the
// rows of FILE, one line a row, cells separated by | and trimmed (every
// cell is text, as a careful form author types it).
func cmdMkxlsx(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkxlsx OUT SHEET=FILE...")
	}
	x := excelize.NewFile()
	defer x.Close()
	for i, a := range args[1:] {
		sheet, file, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("mkxlsx: %q is not SHEET=FILE", a)
		}
		if i == 0 {
			ts.Check(x.SetSheetName("Sheet1", sheet))
		} else if _, err := x.NewSheet(sheet); err != nil {
			ts.Fatalf("mkxlsx: %v", err)
		}
		for r, line := range strings.Split(strings.TrimRight(ts.ReadFile(file), "\n"), "\n") {
			var cells []any
			for _, c := range strings.Split(line, "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			ts.Check(x.SetSheetRow(sheet, cell, &cells))
		}
	}
	ts.Check(x.SaveAs(ts.MkAbs(args[0])))
}

// demoform OUT writes the demo organisation's survey (examples/forms).
func cmdDemoform(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: demoform OUT")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), forms.DefectorSurvey, 0o644))
}
