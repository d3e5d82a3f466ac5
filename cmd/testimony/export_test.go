package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"testimony/internal/envelope"
	"testimony/internal/survey"
	"testimony/internal/survey/export"
	"testimony/keys"
)

// surveyOrg is an organisation with a published survey and a pulled
// directory of sealed responses, as 'testimony pull' leaves it.
type surveyOrg struct {
	dir                    string // the pulled directory
	rosterPath, adminPub   string
	identityPath, passPath string
	form                   *survey.Form
	digest                 string
	admin, device          *keys.SigningKey
	roster                 *keys.Roster
	reviewer               *keys.Identity
}

// exportForm is a small survey: age, sex, home county (with provinces), a
// free-text question and a repeat.
func exportForm(version string) *survey.Form {
	l := func(ko, en string) survey.Localized { return survey.Localized{"ko": ko, "en": en} }
	return &survey.Form{
		Format: survey.FormFormat, ID: "defectors", Version: version,
		Title: l("탈북민 설문", "Defector survey"), DefaultLanguage: "ko",
		Languages: []survey.Language{{Code: "ko", Name: "Korean"}, {Code: "en", Name: "English"}},
		MinCell:   survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.Integer, Name: "age", Identifier: survey.IDAge, Label: l("나이", "Age"), Row: 2},
			{Type: survey.SelectOne, Name: "sex", List: "sex", Identifier: survey.IDSex, Label: l("성별", "Sex"), Row: 3},
			{Type: survey.SelectOne, Name: "home", List: "places", Identifier: survey.IDPlace, Label: l("고향", "Home"), Row: 4},
			{Type: survey.SelectMultiple, Name: "reasons", List: "reasons", Label: l("이유", "Reasons"), Row: 5},
			{Type: survey.Text, Name: "story", Label: l("이야기", "Story"), Row: 6},
			{Type: survey.Repeat, Name: "family", Row: 7, Children: []*survey.Question{
				{Type: survey.SelectOne, Name: "relation", List: "relation", Label: l("관계", "Relation"), Row: 8},
			}},
		},
		Choices: map[string][]survey.Choice{
			"sex": {{Name: "f", Label: l("여성", "Female"), Row: 2}, {Name: "m", Label: l("남성", "Male"), Row: 3}},
			"places": {
				{Name: "hamgyong_n", Label: l("함경북도", "North Hamgyong"), Row: 4},
				{Name: "musan", Label: l("무산군", "Musan"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 5},
				{Name: "hoeryong", Label: l("회령시", "Hoeryong"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 6},
				{Name: "hyesan", Label: l("혜산시", "Hyesan"), Extra: map[string]string{"province": "ryanggang"}, Row: 7},
			},
			"reasons":  {{Name: "food", Label: l("식량", "Food"), Row: 8}, {Name: "freedom", Label: l("자유", "Freedom"), Row: 9}},
			"relation": {{Name: "child", Label: l("자녀", "Child"), Row: 10}, {Name: "parent", Label: l("부모", "Parent"), Row: 11}},
		},
	}
}

func newSurveyOrg(t testing.TB) *surveyOrg {
	t.Helper()
	o := &surveyOrg{dir: t.TempDir()}
	var err error
	if o.admin, err = keys.GenerateSigningKey("admin"); err != nil {
		t.Fatal(err)
	}
	if o.device, err = keys.GenerateSigningKey("laptop-1"); err != nil {
		t.Fatal(err)
	}
	r, err := keys.NewRoster("Seoul NGO")
	if err != nil {
		t.Fatal(err)
	}
	// Three post-quantum reviewers, as an organisation has; this one is
	// the second, so that opening tries a stanza that is not its own.
	for i := range 3 {
		id, err := keys.GenerateIdentity(keys.Hybrid)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			o.reviewer = id
		}
		if err := r.Add(keys.Reviewer, fmt.Sprintf("reviewer %d", i+1), id.Recipient()); err != nil {
			t.Fatal(err)
		}
	}
	v, err := keys.ParseVerifier(o.device.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddDevice("laptop-1", v); err != nil {
		t.Fatal(err)
	}
	signed, err := r.Sign(o.admin)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := keys.ParseVerifier(o.admin.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	if o.roster, err = keys.VerifyRoster(signed, admin, nil); err != nil {
		t.Fatal(err)
	}
	keysDir := t.TempDir()
	o.rosterPath = filepath.Join(keysDir, "roster.txt")
	o.adminPub = admin.String()
	o.identityPath = filepath.Join(keysDir, "reviewer.key")
	o.passPath = filepath.Join(keysDir, "pass.txt")
	check(t, os.WriteFile(o.rosterPath, signed, 0o644))
	check(t, os.WriteFile(o.passPath, []byte("correct horse battery staple\n"), 0o600))
	pass, err := keys.NewPassphrase("correct horse battery staple")
	check(t, err)
	check(t, keys.WriteIdentityFile(o.identityPath, o.reviewer, &pass))
	o.form = o.publish(t, exportForm("2026120601"))
	return o
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// publish signs f and keeps it in dir/forms as pull does.
func (o *surveyOrg) publish(t testing.TB, f *survey.Form) *survey.Form {
	t.Helper()
	signed, err := survey.Sign(f, o.roster.Org, o.admin)
	check(t, err)
	check(t, os.MkdirAll(filepath.Join(o.dir, "forms"), 0o700))
	check(t, os.WriteFile(filepath.Join(o.dir, "forms", f.ID+"@"+f.Version+".txt"), signed, 0o600))
	o.digest, err = f.Digest()
	check(t, err)
	return f
}

// seal seals answers to f as the interviewer's desk does, into dir/<id>.age.
func (o *surveyOrg) seal(t testing.TB, f *survey.Form, a *survey.Answers, day string) string {
	t.Helper()
	digest, err := f.Digest()
	check(t, err)
	answers, err := survey.MarshalResponse(&survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version, FormSHA256: digest, Language: "ko", Answers: a})
	check(t, err)
	id := envelope.NewID()
	var buf bytes.Buffer
	_, err = envelope.Seal(&buf, envelope.Contents{Note: []byte("설문 응답\n"), Answers: answers}, envelope.Options{
		Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Form: f.Ref(), Day: day, Language: "ko", ID: id,
	})
	check(t, err)
	check(t, os.WriteFile(filepath.Join(o.dir, id+".age"), buf.Bytes(), 0o600))
	return id
}

func answers(age, sex, home string) *survey.Answers {
	a := survey.NewAnswers()
	a.Values["age"], a.Values["sex"], a.Values["home"] = age, sex, home
	a.Values["reasons"] = "food"
	a.Values["story"] = "=cmd|' /C calc'!A0"
	c := survey.NewAnswers()
	c.Values["relation"] = "child"
	a.Repeats["family"] = []*survey.Answers{c}
	return a
}

func (o *surveyOrg) args(out string, more ...string) []string {
	return append([]string{"export", "--form", "defectors", "--in", o.dir, "--identity", o.identityPath,
		"--passphrase-file", o.passPath, "--roster", o.rosterPath, "--admin-pub", o.adminPub, "--out", out}, more...)
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	check(t, err)
	rest, ok := bytes.CutPrefix(b, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("%s has no byte order mark", path)
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	check(t, err)
	return rows
}

// TestExport runs the command over a pulled directory holding responses,
// a free-text note, a response to an older version, a tampered file and a
// copy filed under another ID.
func TestExport(t *testing.T) {
	o := newSurveyOrg(t)
	var ids []string
	for i := range 6 {
		ids = append(ids, o.seal(t, o.form, answers(fmt.Sprint(30+i), "f", []string{"musan", "hoeryong"}[i%2]), "2026-11-0"+fmt.Sprint(i+1)))
	}
	// One unique: a man from another province.
	ids = append(ids, o.seal(t, o.form, answers("71", "m", "hyesan"), "2026-11-09"))
	// A note without answers.
	var buf bytes.Buffer
	noteID := envelope.NewID()
	_, err := envelope.Seal(&buf, envelope.Contents{Note: []byte("면담\n")}, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Day: "2026-11-02", ID: noteID})
	check(t, err)
	check(t, os.WriteFile(filepath.Join(o.dir, noteID+".age"), buf.Bytes(), 0o600))
	// A response to an older version.
	old := exportForm("2026110101")
	old.Survey[0].Label = survey.Localized{"ko": "연령"}
	o.publish(t, old)
	o.seal(t, old, answers("40", "f", "musan"), "2026-10-01")
	o.digest, _ = o.form.Digest()
	// A tampered file, and an authentic file filed under another ID.
	tampered := o.seal(t, o.form, answers("31", "f", "musan"), "2026-11-03")
	b, _ := os.ReadFile(filepath.Join(o.dir, tampered+".age"))
	b[len(b)-40] ^= 1
	check(t, os.WriteFile(filepath.Join(o.dir, tampered+".age"), b, 0o600))
	copied := envelope.NewID()
	b, _ = os.ReadFile(filepath.Join(o.dir, ids[0]+".age"))
	check(t, os.WriteFile(filepath.Join(o.dir, copied+".age"), b, 0o600))

	out := filepath.Join(t.TempDir(), "survey.csv")

	// Without a decision, the unique row is refused: exit 3, nothing written.
	_, stderr, code := runCLI(o.args(out)...)
	if code != exitFlags || !strings.Contains(stderr, "7 responses are in groups of fewer than 5") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("a refused export wrote %s", out)
	}

	// Generalized, then suppressed: written, and the file has no small group.
	_, stderr, code = runCLI(o.args(out, "--generalize", "age=10,place=province", "--suppress", "rows")...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"skipped 1 response(s) to other versions", "2 of 11 sealed files could not be opened", tampered + ".age", copied + ".age: ", "exported 6 responses"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	rows := readCSVFile(t, out)
	rep, err := export.AnalyzeTable(slices.Values(rows), []string{"age", "sex", "home"}, 5)
	check(t, err)
	if !rep.Safe() || rep.Rows != 6 {
		t.Errorf("the written file has groups %+v", rep)
	}
	if slices.Contains(rows[0], "story") {
		t.Errorf("free text was exported without --free-text: %q", rows[0])
	}
	if got := rows[1][2:5]; !slices.Equal(got, []string{"30-39", "f", "hamgyong_n"}) {
		t.Errorf("generalized row %q", got)
	}
	fam := readCSVFile(t, filepath.Join(filepath.Dir(out), "survey-family.csv"))
	if len(fam) != 7 {
		t.Errorf("family table has %d rows, want 6", len(fam)-1)
	}
	var d export.Disclosure
	sidecar, err := os.ReadFile(out + ".disclosure.json")
	check(t, err)
	check(t, json.Unmarshal(sidecar, &d))
	if d.Form != "defectors" || d.Version != "2026120601" || d.FormSHA256 != o.digest || d.RowsSuppressed != 1 || d.Before.Unique != 7 || d.FreeText || len(d.Generalizations) != 2 {
		t.Errorf("disclosure record:\n%s", sidecar)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("the export is mode %v, want 0600", fi.Mode().Perm())
	}

	// Again to the same file: refused, nothing changed.
	if _, stderr, code = runCLI(o.args(out, "--suppress", "rows")...); code != exitError || !strings.Contains(stderr, "already exists") {
		t.Errorf("overwrite: exit %d, %s", code, stderr)
	}

	// The older version, with labels and free text, as XLSX.
	xlsx := filepath.Join(t.TempDir(), "old.xlsx")
	args := o.args(xlsx, "--labels", "--free-text", "--insecure-allow-small-groups")
	args[2] = "defectors@2026110101"
	if _, stderr, code = runCLI(args...); code != 0 || !strings.Contains(stderr, "exported 1 responses") || !strings.Contains(stderr, "can single people out") {
		t.Errorf("older version: exit %d, %s", code, stderr)
	}
}

func TestExportRefusals(t *testing.T) {
	o := newSurveyOrg(t)
	o.seal(t, o.form, answers("30", "f", "musan"), "2026-11-01")
	out := filepath.Join(t.TempDir(), "x.csv")
	other, err := keys.GenerateSigningKey("admin")
	check(t, err)
	otherPub, _ := keys.ParseVerifier(other.Verifier())
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no format", o.args(filepath.Join(t.TempDir(), "x.txt")), exitUsage, "give --format"},
		{"bad format", o.args(out, "--format", "ods"), exitUsage, `--format "ods"`},
		{"bad suppress", o.args(out, "--suppress", "some"), exitUsage, "use rows or cells"},
		{"k too small", o.args(out, "--k", "2"), exitUsage, "never below 3"},
		{"both", o.args(out, "--suppress", "rows", "--insecure-allow-small-groups"), exitUsage, "not both"},
		{"bad geo", o.args(out, "--geo", "9"), exitUsage, "--geo"},
		{"bad generalize", o.args(out, "--generalize", "age=1"), exitUsage, "from 2 to"},
		{"unknown quasi", o.args(out, "--quasi", "age,income"), exitUsage, `no question "income"`},
		{"bad form ID", append(o.args(out)[:1], append([]string{"--form", "../x"}, o.args(out)[3:]...)...), exitUsage, "--form"},
		{"unknown form", append(o.args(out)[:1], append([]string{"--form", "other"}, o.args(out)[3:]...)...), exitUsage, "no verified form other"},
		{"wrong admin key", append(o.args(out)[:12], otherPub.String(), "--out", out), exitRoster, "roster"},
		{"missing flags", []string{"export", "--form", "defectors"}, exitUsage, "missing --in"},
		{"wrong passphrase", append(o.args(out)[:7], append([]string{"--passphrase-file", writeTemp(t, "wrong passphrase!")}, o.args(out)[9:]...)...), exitError, "passphrase"},
	} {
		_, stderr, code := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d (want %d), stderr:\n%s", tc.name, code, tc.code, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s: wrote %s", tc.name, out)
		}
	}
	// A form file changed on disk is ignored, with a warning.
	path := filepath.Join(o.dir, "forms", "defectors@2026120601.txt")
	b, _ := os.ReadFile(path)
	check(t, os.WriteFile(path, bytes.Replace(b, []byte("나이"), []byte("연령"), 1), 0o600))
	if _, stderr, code := runCLI(o.args(out)...); code != exitUsage || !strings.Contains(stderr, "changed after it was signed") {
		t.Errorf("changed form: exit %d, %s", code, stderr)
	}
}

func writeTemp(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "f")
	check(t, os.WriteFile(p, []byte(s+"\n"), 0o600))
	return p
}
