package desk_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/envelope"
	"testimony/internal/survey"
	"testimony/internal/survey/export"
)

// exportSurveyForm is a survey with three quasi-identifiers.
func exportSurveyForm() *survey.Form {
	l := func(en, ko string) survey.Localized { return survey.Localized{"en": en, "ko": ko} }
	return &survey.Form{
		Format: survey.FormFormat, ID: "defectors", Version: "7",
		Title: l("Defector survey", "탈북민 설문"), DefaultLanguage: "en",
		Languages: []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "한국어"}},
		MinCell:   survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.Integer, Name: "age", Identifier: survey.IDAge, Label: l("Age", "나이"), Row: 2},
			{Type: survey.SelectOne, Name: "sex", List: "sex", Identifier: survey.IDSex, Label: l("Sex", "성별"), Row: 3},
			{Type: survey.SelectOne, Name: "home", List: "places", Identifier: survey.IDPlace, Label: l("Home", "고향"), Row: 4},
			{Type: survey.Text, Name: "story", Label: l("Story", "이야기"), Row: 5},
		},
		Choices: map[string][]survey.Choice{
			"sex": {{Name: "f", Label: l("Female", "여성"), Row: 2}, {Name: "m", Label: l("Male", "남성"), Row: 3}},
			"places": {
				{Name: "hamgyong_n", Label: l("North Hamgyong", "함경북도"), Row: 4},
				{Name: "musan", Label: l("Musan", "무산군"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 5},
				{Name: "hoeryong", Label: l("Hoeryong", "회령시"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 6},
				{Name: "hyesan", Label: l("Hyesan", "혜산시"), Extra: map[string]string{"province": "ryanggang"}, Row: 7},
			},
		},
	}
}

// TestSurveyExport: a reviewer pulls seven responses (six women in their
// thirties from North Hamgyong, one man from Ryanggang), sees all seven
// unique as answered, is refused the download until generalizing and
// suppressing, and then downloads a zip whose CSV has no group below k
// and whose disclosure record says what was done. The page is in Korean
// without an untranslated text.
func TestSurveyExport(t *testing.T) {
	o := newOrg(t)
	token := o.laptopToken(t)
	f := exportSurveyForm()
	signed, err := survey.Sign(f, o.roster.Org, o.admin)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(o.homes["reviewer 1"], "forms")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "defectors@7.txt"), signed, 0o600); err != nil {
		t.Fatal(err)
	}
	digest := must(f.Digest())
	people := [][3]string{{"30", "f", "musan"}, {"31", "f", "hoeryong"}, {"33", "f", "musan"}, {"35", "f", "hoeryong"}, {"36", "f", "musan"}, {"39", "f", "musan"}, {"71", "m", "hyesan"}}
	for i, p := range people {
		a := survey.NewAnswers()
		a.Values["age"], a.Values["sex"], a.Values["home"] = p[0], p[1], p[2]
		a.Values["story"] = fmt.Sprintf("이야기 %d", i)
		answers := must(survey.MarshalResponse(&survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version, FormSHA256: digest, Language: "ko", Answers: a}))
		id := envelope.NewID()
		var buf bytes.Buffer
		must(envelope.Seal(&buf, envelope.Contents{Note: []byte("설문\n"), Answers: answers}, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Form: f.Ref(), Day: "2026-11-0" + fmt.Sprint(i+1), Language: "ko", ID: id}))
		o.upload(t, token, "/submissions/"+id, buf.Bytes(), nil)
	}

	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	if page := r1.waitPull(); !strings.Contains(page, "Done: 7 new file") {
		t.Fatalf("pull:\n%s", page)
	}
	code, _, page := r1.get("/surveys/defectors/export")
	if code != http.StatusOK || !strings.Contains(page, "7 response(s) in the inbox") || !strings.Contains(page, `<td id="before-unique">7</td>`) {
		t.Fatalf("export page: %d\n%s", code, page)
	}
	// The form's identifiers are marked by default.
	for _, q := range []string{"age", "sex", "home"} {
		if !strings.Contains(page, `name="quasi" value="`+q+`" checked`) {
			t.Errorf("%s is not marked by default", q)
		}
	}

	choices := func(more ...string) url.Values {
		v := url.Values{"version": {"7"}, "format": {"csv"}, "headers": {"names"}, "language": {"en"}, "geo": {"1"}, "k": {"5"}, "quasi": {"age", "sex", "home"}, "action": {"download"}}
		for i := 0; i < len(more); i += 2 {
			v.Set(more[i], more[i+1])
		}
		return v
	}
	// As answered: refused, back on the page with the choices made.
	loc, page := r1.submit("/surveys/defectors/export", choices())
	if !strings.Contains(page, "Nothing was downloaded: 7 of 7 responses") || r1.header.Get("Content-Disposition") != "" || !strings.Contains(loc, "k=5") {
		t.Fatalf("a download with unique rows: to %s\n%s", loc, page)
	}
	// Check with generalization: one man from Ryanggang stays unique. The
	// check is a page whose address holds the choices: a refresh shows it
	// again, nothing is sent again.
	loc, page = r1.submit("/surveys/defectors/export", choices("action", "check", "age", "10", "place", "province"))
	if !strings.Contains(page, `<td id="after-below">1</td>`) || !strings.Contains(page, `<option value="10" selected>`) {
		t.Fatalf("check: to %s\n%s", loc, page)
	}
	if code, _, again := r1.get(loc); code != http.StatusOK || !strings.Contains(again, `<td id="after-below">1</td>`) {
		t.Errorf("the check refreshed: %d", code)
	}
	// Generalized and suppressed: downloaded.
	code, _, body := r1.post("/surveys/defectors/export", choices("age", "10", "place", "province", "suppress", "rows"))
	if code != http.StatusOK || r1.header.Get("Content-Type") != "application/zip" || !strings.Contains(r1.header.Get("Content-Disposition"), "defectors-7-") {
		t.Fatalf("download: %d %q\n%s", code, r1.header, body)
	}
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var csvName string
	for n := range files {
		if strings.HasSuffix(n, ".csv") {
			csvName = n
		}
	}
	if len(files) != 2 || files[csvName+".disclosure.json"] == nil {
		t.Fatalf("the zip holds %d files: %v", len(files), slices.Collect(func(yield func(string) bool) {
			for n := range files {
				yield(n)
			}
		}))
	}
	text, ok := bytes.CutPrefix(files[csvName], []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Errorf("the CSV has no byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := export.AnalyzeTable(slices.Values(rows), []string{"age", "sex", "home"}, 5)
	if err != nil || !rep.Safe() || rep.Rows != 6 {
		t.Errorf("the downloaded CSV has groups %+v (%v)", rep, err)
	}
	if slices.Contains(rows[0], "story") {
		t.Errorf("free text was downloaded without being asked for")
	}
	var d export.Disclosure
	if err := json.Unmarshal(files[csvName+".disclosure.json"], &d); err != nil {
		t.Fatal(err)
	}
	if d.RowsSuppressed != 1 || d.FormSHA256 != digest || d.Before.Unique != 7 || d.After.BelowK != 0 {
		t.Errorf("disclosure record:\n%s", files[csvName+".disclosure.json"])
	}

	// Korean, with nothing untranslated.
	before := desk.MissingKorean()
	r1.lang = "ko"
	if _, page := r1.submit("/surveys/defectors/export", choices("action", "check", "headers", "labels", "language", "ko", "free_text", "1")); !strings.Contains(page, "탈북민 설문 응답 내보내기") || !strings.Contains(page, "고향") {
		t.Errorf("Korean page:\n%s", page)
	}
	for _, m := range desk.MissingKorean() {
		if !slices.Contains(before, m) {
			t.Errorf("no Korean for %q", m)
		}
	}
	// Bad choices are refused with a message, nothing downloaded.
	r1.lang = "en"
	for _, bad := range []url.Values{choices("k", "2"), choices("format", "ods"), choices("geo", "7")} {
		code, loc, _ := r1.post("/surveys/defectors/export", bad)
		if code != http.StatusSeeOther || r1.header.Get("Content-Disposition") != "" {
			t.Errorf("%v: %d", bad, code)
			continue
		}
		if code, _, page := r1.get(loc); code != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
			t.Errorf("%v: the page says %d", bad, code)
		}
	}
	if code, _, _ := r1.get("/surveys/nosuch/export"); code != http.StatusNotFound {
		t.Errorf("an unknown form: %d", code)
	}
}
