package export_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey/export"
)

// soffice returns LibreOffice's command, skipping the test without it
// (failing it if TESTIMONY_REQUIRE_TOOLS=1, as CI sets).
func soffice(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("TESTIMONY_REQUIRE_TOOLS") == "1" {
			t.Fatalf("soffice is not installed (Debian: apt-get install --no-install-recommends libreoffice-calc-nogui), and TESTIMONY_REQUIRE_TOOLS=1 requires it")
		}
		t.Skip("soffice is not installed (Debian: libreoffice-calc-nogui)")
	}
	return path
}

// convert runs soffice --headless --convert-to in a private profile, with
// a locale that is not UTF-8, and returns the converted file.
func convert(t *testing.T, bin, in, to string, extra ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	outDir := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--headless", "--norestore"}, extra...)
	args = append(args, "--convert-to", to, "--outdir", outDir, in)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "LANG=C", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	files, _ := filepath.Glob(filepath.Join(outDir, "*"))
	if len(files) != 1 {
		t.Fatalf("soffice wrote %q:\n%s", files, out)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLibreOffice: LibreOffice reads the exported CSV and XLSX with Hangul
// intact. CSV is read with the import filter set to UTF-8 (charset 76), as
// docs/export.md tells users: LibreOffice's headless import ignores the
// byte order mark (which is for Excel) and would read the bytes in the
// system's 8-bit charset. A formula-looking answer stays text.
func TestLibreOffice(t *testing.T) {
	bin := soffice(t)
	f := testForm()
	rs := records(f, crowd()[:3])
	rs[0].Response.Answers.Values["story"] = "=1+1 김 씨"
	dir := t.TempDir()
	for _, format := range []export.Format{export.CSV, export.XLSX} {
		x, err := export.Prepare(f, export.Records(rs), export.Options{Format: format, Labels: true, Language: "ko", FreeText: true, AllowSmallGroups: true, TmpDir: dir, Day: "2026-12-06"})
		if err != nil {
			t.Fatal(err)
		}
		err = x.Write(filepath.Join(dir, "survey."+string(format)), func(name string) (io.Writer, error) { return os.Create(name) })
		if err != nil {
			t.Fatal(err)
		}
	}

	// CSV (with its BOM) to XLSX.
	xlsx := convert(t, bin, filepath.Join(dir, "survey.csv"), "xlsx", "--infilter=CSV:44,34,76")
	book, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	sheet := book.GetSheetList()[0]
	rows, err := book.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "_id" || rows[0][2] != "나이" || rows[1][3] != "여성" || rows[1][4] != "무산군" {
		t.Errorf("LibreOffice read the CSV as %q", rows[:min(2, len(rows))])
	}
	if v, _ := book.GetCellValue(sheet, "C2", excelize.Options{RawCellValue: true}); v != "30" {
		t.Errorf("age read as %q, want the number 30", v)
	}
	story := false
	for i, r := range rows {
		for j, c := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if formula, _ := book.GetCellFormula(sheet, cell); formula != "" || strings.HasPrefix(c, "=") {
				t.Errorf("%s reads as a formula: %q %q", cell, c, formula)
			}
			story = story || c == "'=1+1 김 씨"
		}
	}
	if !story {
		t.Errorf("the guarded answer is missing: %q", rows[1])
	}

	// XLSX to CSV, in UTF-8.
	csvText := string(convert(t, bin, filepath.Join(dir, "survey.xlsx"), "csv:Text - txt - csv (StarCalc):44,34,76"))
	for _, want := range []string{"나이", "여성", "무산군", "=1+1 김 씨", "2015-06-01"} {
		if !strings.Contains(csvText, want) {
			t.Errorf("LibreOffice's CSV of the XLSX lacks %q:\n%s", want, csvText)
		}
	}
}
