package desk_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/envelope"
	"testimony/internal/survey"
)

// reviewSurveyForm is a short exit survey with a sensitive question.
func reviewSurveyForm() *survey.Form {
	l := func(en, ko string) survey.Localized { return survey.Localized{"en": en, "ko": ko} }
	return &survey.Form{
		Format: survey.FormFormat, ID: "exit", Version: "3",
		Title: l("Exit survey", "탈북 설문"), DefaultLanguage: "en",
		Languages: []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "한국어"}},
		MinCell:   survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.SelectOne, Name: "sex", List: "sex", Identifier: survey.IDSex, Label: l("Sex", "성별"), Row: 2},
			{Type: survey.SelectOne, Name: "home", List: "places", Identifier: survey.IDPlace, Label: l("Home", "고향"), Row: 3},
			{Type: survey.SelectOne, Name: "detained", List: "yn", Sensitive: true, Label: l("Were you detained?", "구금된 적이 있습니까?"), Row: 4},
			{Type: survey.Integer, Name: "age", Identifier: survey.IDAge, Label: l("Age", "나이"), Row: 5},
		},
		Choices: map[string][]survey.Choice{
			"sex":    {{Name: "f", Label: l("Female", "여성"), Row: 2}, {Name: "m", Label: l("Male", "남성"), Row: 3}},
			"places": {{Name: "musan", Label: l("Musan", "무산군"), Row: 4}, {Name: "hyesan", Label: l("Hyesan", "혜산시"), Row: 5}},
			"yn":     {{Name: "yes", Label: l("Yes", "예"), Row: 6}, {Name: "no", Label: l("No", "아니요"), Row: 7}},
		},
	}
}

// cellOf finds the count shown in a frequency table's row.
func cellOf(page, label string) string {
	m := regexp.MustCompile(`<th scope="row">` + regexp.QuoteMeta(label) + `</th><td class="num[^"]*">([^<]*)</td>`).FindStringSubmatch(page)
	if m == nil {
		return "(none)"
	}
	return m[1]
}

// TestSurveyStatistics: a reviewer pulls fourteen responses (nine women,
// four men, one who did not say; twelve from Musan, two from Hyesan; the
// sensitive question answered by too few) and two that cannot be counted.
// The pages show the small counts as "<5", hide the partners that would
// give them away, withhold the sensitive table, chart the rest, and cross
// two questions the same way; in Korean without an untranslated text.
func TestSurveyStatistics(t *testing.T) {
	o := newOrg(t)
	token := o.laptopToken(t)
	f := reviewSurveyForm()
	signed := must(survey.Sign(f, o.roster.Org, o.admin))
	dir := filepath.Join(o.homes["reviewer 1"], "forms")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exit@3.txt"), signed, 0o600); err != nil {
		t.Fatal(err)
	}
	digest := must(f.Digest())
	seal := func(i int, form, version, digest string, kv ...string) {
		a := survey.NewAnswers()
		for j := 0; j < len(kv); j += 2 {
			if kv[j+1] != "" {
				a.Values[kv[j]] = kv[j+1]
			}
		}
		answers := must(survey.MarshalResponse(&survey.Response{Format: survey.AnswersFormat, Form: form, Version: version, FormSHA256: digest, Language: "ko", Answers: a}))
		id := envelope.NewID()
		var buf bytes.Buffer
		must(envelope.Seal(&buf, envelope.Contents{Note: []byte("설문\n"), Answers: answers}, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Form: form + "/" + version, Day: fmt.Sprintf("2026-11-%02d", i+1), Language: "ko", ID: id}))
		o.upload(t, token, "/submissions/"+id, buf.Bytes(), nil)
	}
	people := []struct{ sex, home, detained, age string }{
		{"f", "musan", "", "31"}, {"f", "musan", "", "33"}, {"f", "musan", "yes", "35"}, {"f", "musan", "", "38"}, {"f", "musan", "", "41"},
		{"f", "musan", "", "44"}, {"f", "musan", "", "47"}, {"f", "hyesan", "", "52"}, {"f", "musan", "", "36"},
		{"m", "musan", "no", "29"}, {"m", "musan", "", "34"}, {"m", "hyesan", "", "61"}, {"m", "musan", "", "39"},
		{"", "musan", "", "45"},
	}
	for i, p := range people {
		seal(i, f.ID, f.Version, digest, "sex", p.sex, "home", p.home, "detained", p.detained, "age", p.age)
	}
	// One names a digest no kept form has (a form changed under its
	// version); one answers a form this desk does not keep at all.
	seal(20, f.ID, f.Version, strings.Repeat("ab", 32), "sex", "f")
	seal(21, "unknown-form", "1", digest, "sex", "f")

	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	if page := r1.waitPull(); !strings.Contains(page, "Done: 16 new file") {
		t.Fatalf("pull:\n%s", page)
	}

	// The list: one form, fourteen responses, one that cannot be
	// counted, and one to a form this desk does not have.
	code, _, page := r1.get("/surveys")
	if code != http.StatusOK || !strings.Contains(page, `<a href="/surveys/exit">Exit survey</a>`) || !strings.Contains(page, `<td class="num">14</td>`) {
		t.Fatalf("surveys page: %d\n%s", code, page)
	}
	if !strings.Contains(page, "Responses to a form this desk does not have: 1") || !strings.Contains(page, `id="unknown-forms"`) {
		t.Errorf("the surveys page does not say what it could not count:\n%s", page)
	}
	if !strings.Contains(page, `href="/surveys" aria-current="page"`) {
		t.Errorf("no navigation link to the surveys")
	}

	// Every question.
	code, _, page = r1.get("/surveys/exit")
	if code != http.StatusOK || !strings.Contains(page, "14 responses.") || !strings.Contains(page, `id="skipped"`) {
		t.Fatalf("statistics page: %d\n%s", code, page)
	}
	for label, want := range map[string]string{
		// Four men: "<5"; one did not say: "<5", and N is hidden, or it
		// would give that one away; the nine women can be shown, since
		// men and "did not say" add up to five, which either could be
		// any of 1 to 4 of.
		"Male": "&lt;5", "Female": "9", "Answered (N)": "x", "Not answered": "&lt;5",
		// Two from Hyesan: hidden with their partner.
		"Hyesan": "&lt;5", "Musan": "x",
	} {
		if got := cellOf(page, label); got != want {
			t.Errorf("%s shows %q, want %q", label, got, want)
		}
	}
	for _, shown := range []string{">4<", ">2<", ">12<", ">13<"} {
		if strings.Contains(page, `<td class="num">`+strings.Trim(shown, "><")+`</td>`) {
			t.Errorf("a hidden count is shown as a number: %s", shown)
		}
	}
	// The sensitive question: two answered, fewer than ten: withheld.
	if !strings.Contains(page, "Withheld: fewer than 10 answered this question.") || !strings.Contains(page, "sensitive: minimum cell 10") {
		t.Errorf("the sensitive question is not withheld:\n%s", page)
	}
	// Charts: an accessible SVG per counted question, hidden bars hatched.
	if n := strings.Count(page, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"`); n != 3 {
		t.Errorf("%d charts, want 3 (sex, home, age)", n)
	}
	if !strings.Contains(page, `class="hidden-bar"`) || !strings.Contains(page, "Mean 40.4, median 38.5.") {
		t.Errorf("no hatched bar, or no mean and median")
	}

	// A cross-table of sex by home, hidden so that its margins, which are
	// the two questions' own counts, give nothing away.
	code, _, page = r1.get("/surveys/exit/crosstab?row=sex&col=home")
	if code != http.StatusOK || !strings.Contains(page, `id="crosstab"`) {
		t.Fatalf("cross-table: %d\n%s", code, page)
	}
	table := page[strings.Index(page, `id="crosstab"`):]
	table = table[:strings.Index(table, "</table>")]
	cells := regexp.MustCompile(`<td class="num( hidden| edge)?">([^<]*)`).FindAllStringSubmatch(table, -1)
	if len(cells) != 6 {
		t.Errorf("%d cells in the cross-table, want 3 rows of 2", len(cells))
	}
	for _, c := range cells {
		if n := strings.TrimSpace(c[2]); n != "x" && n != "&lt;5" && n != "0" && len(n) < 2 {
			t.Errorf("the cross-table shows %q, below 5", n)
		}
	}
	// Asked the other way round, the same cells hidden.
	_, _, other := r1.get("/surveys/exit/crosstab?row=home&col=sex")
	if strings.Count(other, "&lt;5") != strings.Count(page, "&lt;5") || strings.Count(other, ">x<") != strings.Count(page, ">x<") {
		t.Errorf("the transposed cross-table hides other cells")
	}
	// A cross-table with the sensitive question is withheld.
	if _, _, page := r1.get("/surveys/exit/crosstab?row=sex&col=detained"); !strings.Contains(page, `id="withheld"`) {
		t.Errorf("a cross-table with the withheld sensitive question is shown:\n%s", page)
	}
	// Bad requests.
	if code, _, _ := r1.get("/surveys/exit/crosstab?row=sex&col=sex"); code != http.StatusBadRequest {
		t.Errorf("a question crossed with itself: %d", code)
	}
	if code, _, _ := r1.get("/surveys/nothing"); code != http.StatusNotFound {
		t.Errorf("an unknown form: %d", code)
	}
	if code, _, _ := r1.get("/surveys/..%2fkeys"); code != http.StatusNotFound {
		t.Errorf("a bad form ID: %d", code)
	}

	// In Korean, with the form's Korean texts.
	r1.lang = "ko"
	for _, p := range []string{"/surveys", "/surveys/exit", "/surveys/exit/crosstab", "/surveys/exit/crosstab?row=sex&col=age", "/surveys/exit/crosstab?row=sex&col=detained"} {
		code, _, page := r1.get(p)
		if code != http.StatusOK {
			t.Errorf("%s in Korean: %d", p, code)
		}
		if p == "/surveys/exit" && (!strings.Contains(page, "탈북 설문") || !strings.Contains(page, "남성") || !strings.Contains(page, "응답 없음")) {
			t.Errorf("the Korean page does not use the form's Korean:\n%s", page)
		}
	}
	if m := desk.MissingKorean(); len(m) > 0 {
		t.Errorf("texts without Korean:\n%s", strings.Join(m, "\n"))
	}
}
