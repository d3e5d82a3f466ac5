package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey"
	"testimony/keys"
)

// writeXLSForm writes a small XLSForm: a question, a choice list, a skip
// rule, and the settings (form ID and version). label is the first
// question's label; extra rows go at the end of the survey sheet.
func writeXLSForm(t *testing.T, path, version, label string, extra ...[]string) {
	t.Helper()
	sheets := []struct {
		name string
		rows [][]string
	}{
		{"survey", append([][]string{
			{"type", "name", "label::English (en)", "label::Korean (ko)", "relevant"},
			{"select_one yn", "left", label, "탈북하셨습니까?", ""},
			{"integer", "year", "Year of leaving", "탈북 연도", "${left} = 'yes'"},
		}, extra...)},
		{"choices", [][]string{
			{"list_name", "name", "label::English (en)", "label::Korean (ko)"},
			{"yn", "yes", "Yes", "예"},
			{"yn", "no", "No", "아니요"},
		}},
		{"settings", [][]string{{"form_id", "version", "form_title", "default_language"}, {"household", version, "Household", "English (en)"}}},
	}
	x := excelize.NewFile()
	defer x.Close()
	for i, s := range sheets {
		if i == 0 {
			check(t, x.SetSheetName("Sheet1", s.name))
		} else if _, err := x.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			check(t, x.SetSheetRow(s.name, cell, &cells))
		}
	}
	check(t, x.SaveAs(path))
}

// TestFormPublish follows an admin publishing a survey form through the
// CLI to a real server, and a reviewer pulling it; then a server that was
// broken into.
func TestFormPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("the publishing scenario is skipped with -short")
	}
	o := &tamperOrg{t: t, dir: t.TempDir()}
	o.setUp()
	p := o.path
	srv := []string{"--server", o.url, "--token-file", p("admin.token")}
	signer := []string{"--admin-key", p("admin.key"), "--roster", p("roster.txt")}
	publish := func(args ...string) (string, string, int) {
		return runCLI(append(append([]string{"form", "publish"}, args...), srv...)...)
	}

	writeXLSForm(t, p("household.xlsx"), "2026120601", "Did you leave?")
	out, errOut, code := publish(append([]string{p("household.xlsx"), "--min-cell", "6"}, signer...)...)
	fields := strings.Split(strings.TrimSpace(out), "\t")
	if code != 0 || len(fields) != 4 || fields[0] != "household" || fields[1] != "2026120601" || fields[3] != "published" {
		t.Fatalf("form publish: exit %d\n%s%s", code, out, errOut)
	}
	digest := fields[2]
	// The same form again: nothing changes.
	if out, errOut, code := publish(append([]string{p("household.xlsx"), "--min-cell", "6"}, signer...)...); code != 0 || !strings.Contains(out, "already published") {
		t.Errorf("form publish of the same form again: exit %d\n%s%s", code, out, errOut)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"a minimum cell below the floor", []string{p("household.xlsx"), "--min-cell", "2"}, exitUsage, "below 3"},
		{"a sensitive minimum below the other", []string{p("household.xlsx"), "--min-cell", "6", "--min-cell-sensitive", "4"}, exitUsage, "--min-cell-sensitive 4 is below"},
		{"no XLSForm", []string{}, exitUsage, "give one XLSForm"},
		{"a missing file", []string{p("nothing.xlsx")}, exitUsage, "failed to read the form"},
		{"other content under a published version", []string{p("changed.xlsx")}, exitError, "already published with other content"},
		{"an older version", []string{p("older.xlsx")}, exitError, "higher version of form household"},
		{"a form the reader refuses", []string{p("bad.xlsx")}, exitUsage, "survey sheet, row 4"},
		{"a version with a leading zero", []string{p("zero.xlsx")}, exitUsage, "leading zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeXLSForm(t, p("changed.xlsx"), "2026120601", "Did you ever leave?")
			writeXLSForm(t, p("older.xlsx"), "2026120501", "Did you leave?")
			writeXLSForm(t, p("bad.xlsx"), "2026120701", "Did you leave?", []string{"range", "how_far", "How far?", "얼마나?", ""})
			writeXLSForm(t, p("zero.xlsx"), "0202612", "Did you leave?")
			out, errOut, code := publish(append(tc.args, signer...)...)
			if code != tc.code || !strings.Contains(errOut, tc.says) {
				t.Errorf("exit %d\n%s%s\nwant exit %d saying %q", code, out, errOut, tc.code, tc.says)
			}
		})
	}

	// Offline: sign into a file, then upload it from a connected machine
	// without the admin key.
	writeXLSForm(t, p("household-v2.xlsx"), "2026120702", "Did you leave the country?")
	o.must("form", "publish", p("household-v2.xlsx"), "--admin-key", p("admin.key"), "--roster", p("roster.txt"), "--out", p("household-v2.txt"))
	if _, errOut, code := runCLI("form", "publish", p("household-v2.xlsx"), "--admin-key", p("admin.key"), "--out", p("x.txt")); code != exitUsage || !strings.Contains(errOut, "--out needs --roster") {
		t.Errorf("--out without --roster: exit %d %s", code, errOut)
	}
	out, errOut, code = runCLI(append([]string{"form", "publish", "--signed", p("household-v2.txt"), "--admin-pub", p("admin.pub")}, srv...)...)
	if code != 0 || !strings.Contains(out, "household\t2026120702\t") || !strings.Contains(out, "\tpublished") {
		t.Errorf("form publish --signed: exit %d\n%s%s", code, out, errOut)
	}
	// A signed file changed on the way is refused before upload.
	changed := bytes.Replace(must(os.ReadFile(p("household-v2.txt"))), []byte("the country"), []byte("the party"), 1)
	check(t, os.WriteFile(p("household-v2-changed.txt"), changed, 0o644))
	if _, errOut, code := runCLI(append([]string{"form", "publish", "--signed", p("household-v2-changed.txt"), "--admin-pub", p("admin.pub")}, srv...)...); code != exitUsage || !strings.Contains(errOut, "changed after it was signed") {
		t.Errorf("form publish --signed of a changed file: exit %d %s", code, errOut)
	}

	// Everyone lists; with the admin key each is checked.
	out = o.must("form", "list", "--server", o.url, "--token-file", p("reviewer.token"), "--admin-pub", p("admin.pub"))
	if !strings.Contains(out, "household  2026120601  "+digest) || strings.Count(out, "verified") != 2 {
		t.Errorf("form list:\n%s", out)
	}

	// The reviewer pulls: the forms are kept, verified, where export
	// reads them, with the minimum cell the admin set.
	roster := []string{"--roster", p("roster.txt"), "--admin-pub", p("admin.pub")}
	pull := append([]string{"pull", "--server", o.url, "--token-file", p("reviewer.token"), "--out", p("inbox")}, roster...)
	o.must(pull...)
	admin := must(keys.ParseVerifier(strings.TrimSpace(string(must(os.ReadFile(p("admin.pub")))))))
	for _, v := range []string{"2026120601", "2026120702"} {
		b, err := os.ReadFile(p("inbox/forms/household@" + v + ".txt"))
		if err != nil {
			t.Fatalf("the pull kept no form %s: %v", v, err)
		}
		pub, err := survey.Verify(b, admin, "Example NGO")
		if err != nil || pub.Form.Version != v {
			t.Fatalf("the kept form %s: %v", v, err)
		}
		if v == "2026120601" && (pub.Digest != digest || pub.Form.MinCell != 6) {
			t.Errorf("the kept form has digest %s and minimum cell %d; want %s and 6", pub.Digest, pub.Form.MinCell, digest)
		}
	}

	// A server that was broken into serves a form signed by another key,
	// and the same version with other content: pull keeps the good ones,
	// refuses these by name, and exits 9; list says which.
	mallory := must(keys.GenerateSigningKey("admin"))
	forged := &survey.Form{Format: survey.FormFormat, ID: "forged", Version: "1", Title: survey.Localized{"en": "Forged"},
		MinCell: 5, MinCellSensitive: 10, Survey: []*survey.Question{{Type: survey.Text, Name: "who", Row: 2, Label: survey.Localized{"en": "Who helped you?"}}}}
	signedForged := must(survey.Sign(forged, "Example NGO", mallory))
	fd := must(forged.Digest())
	o.sql("INSERT INTO forms (id, version, digest, day, body) VALUES (?, ?, ?, ?, ?)", "forged", 1, must(hex.DecodeString(fd)), "2026-12-06", signedForged)
	swap := must(os.ReadFile(p("inbox/forms/household@2026120702.txt")))
	swap = bytes.Replace(swap, []byte("the country"), []byte("the party"), 1)
	sum := sha256.Sum256(swap)
	o.sql("UPDATE forms SET body = ?, digest = ? WHERE id = 'household' AND version = 2026120702", swap, sum[:])
	os.RemoveAll(p("inbox/forms/household@2026120702.txt"))
	out, errOut, code = runCLI(pull...)
	t.Logf("pull from a broken-into server: exit %d\n%s%s", code, out, errOut)
	if code != exitVerify || !strings.Contains(errOut, "form forged version 1") || !strings.Contains(errOut, "not signed by the organisation's admin key") ||
		!strings.Contains(errOut, "form household version 2026120702") {
		t.Errorf("pull from a broken-into server: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(p("inbox/forms/forged@1.txt")); err == nil {
		t.Error("the pull kept a forged form")
	}
	if _, err := os.Stat(p("inbox/forms/household@2026120702.txt")); err == nil {
		t.Error("the pull kept a changed form")
	}
	if _, err := os.Stat(p("inbox/forms/household@2026120601.txt")); err != nil {
		t.Error("the pull lost a good form")
	}
	out, errOut, code = runCLI("form", "list", "--server", o.url, "--token-file", p("reviewer.token"), "--admin-pub", p("admin.pub"))
	t.Logf("form list of a broken-into server: exit %d\n%s%s", code, out, errOut)
	if code != exitVerify || strings.Count(out, "REFUSED") != 2 || strings.Count(out, "verified") != 1 {
		t.Errorf("form list of a broken-into server: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(errOut+out, "Who helped you") {
		t.Error("a refused form's content was printed")
	}
}
