package desk

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"testimony/internal/survey"
)

// fuzzForm has a question of each kind the page reads, a repeat nested in
// a repeat and an or_other select.
func fuzzForm() *survey.Form {
	l := func(s string) survey.Localized { return survey.Localized{"en": s} }
	return &survey.Form{Format: survey.FormFormat, ID: "f", Version: "1", Title: l("F"), DefaultLanguage: "en",
		Languages: []survey.Language{{Code: "en", Name: "English"}}, MinCell: 5, MinCellSensitive: 10,
		Survey: []*survey.Question{
			{Type: survey.Text, Name: "t", Row: 2},
			{Type: survey.Integer, Name: "n", Default: "3", Row: 3},
			{Type: survey.SelectMultiple, Name: "m", List: "l", OrOther: true, Row: 4},
			{Type: survey.Group, Name: "g", Row: 5, Children: []*survey.Question{
				{Type: survey.Image, Name: "img", Row: 6},
				{Type: survey.Calculate, Name: "c", Calculation: "1", Row: 7},
			}},
			{Type: survey.Repeat, Name: "r", Row: 9, Children: []*survey.Question{
				{Type: survey.Text, Name: "rt", Row: 10},
				{Type: survey.Repeat, Name: "rr", Row: 11, Children: []*survey.Question{
					{Type: survey.Date, Name: "d", Row: 12},
				}},
			}},
		},
		Choices: map[string][]survey.Choice{"l": {{Name: "a", Row: 2}, {Name: "b", Row: 3}}},
	}
}

// FuzzReadSurvey feeds the survey page's reader any submitted fields and
// action: it fails with a message, or gives answers that name only the
// form's questions, each at its level (Prepare accepts them), that
// survive their JSON encoding, and that name only the draft's files.
func FuzzReadSurvey(f *testing.F) {
	f.Add("q.t=hello&q.n=4&q.m=a&q.m=other&q.m_other=x&i.q.r=0&i.q.r=1&q.r.0.rt=y&i.q.r.0.rr=3&q.r.0.rr.3.d=2026-01-01", "save:")
	f.Add("i.q.r=0&i.q.r=0&i.q.r=%7Br%7D&q.g.img=deadbeef&q.img=zz&q.c=9", "add:q.r")
	f.Add("i.q.r=7&i.q.r.7.rr=1", "remove:q.r.7")
	f.Add("q.t=%ff%fe&q.n=%20%201%20", "unfile:q.img")
	f.Fuzz(func(t *testing.T, query, action string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		form := fuzzForm()
		r := httptest.NewRequest("POST", "/survey/x", nil)
		r.Form = vals
		r.Form.Set("day", "2026-03-14")
		dr := &draft{Survey: &surveyDraft{Form: "f", Version: "1", Answers: survey.NewAnswers()},
			Attachments: []attachment{{Ext: "png", Key: "0123456789abcdef"}, {Ext: "txt"}}}
		act, arg, _ := strings.Cut(action, ":")
		if err := readSurvey(r, dr, form, act, arg); err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		b, err := json.Marshal(dr.Survey.Answers)
		if err != nil {
			t.Fatalf("the answers do not encode: %v", err)
		}
		var back survey.Answers
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("the answers do not decode: %v\n%s", err, b)
		}
		if _, err := survey.Prepare(form, dr.Survey.Answers, "2026-03-14"); err != nil {
			t.Fatalf("the reader gave answers the form does not have: %v\n%s", err, b)
		}
		used := referencedKeys(form, dr.Survey.Answers)
		for k := range used {
			found := false
			for _, a := range dr.Attachments {
				found = found || a.Key == k
			}
			if !found {
				t.Fatalf("a file answer names no file of the draft: %q", k)
			}
		}
		if !hasLanguage(form, dr.Language) {
			t.Fatalf("the interview's language %q is not the form's", dr.Language)
		}
	})
}
