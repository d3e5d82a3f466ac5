package server_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"testimony/internal/store"
	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

// surveyForm is a small form with a question, a choice and a skip rule;
// label is the first question's English label, so that two calls can make
// two forms under one version.
func surveyForm(id, version, label string) *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: id, Version: version,
		Title:           survey.Localized{"en": "Household", "ko": "가구"},
		DefaultLanguage: "en",
		Languages:       []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "Korean"}},
		MinCell:         survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.SelectOne, Name: "left", List: "yn", Row: 2, Label: survey.Localized{"en": label, "ko": "탈북"}},
			{Type: survey.Integer, Name: "year", Row: 3, Relevant: "${left} = 'yes'", Label: survey.Localized{"en": "Year", "ko": "연도"}},
		},
		Choices: map[string][]survey.Choice{"yn": {
			{Name: "yes", Label: survey.Localized{"en": "Yes", "ko": "예"}, Row: 2},
			{Name: "no", Label: survey.Localized{"en": "No", "ko": "아니요"}, Row: 3},
		}},
	}
}

func (o *org) signForm(t testing.TB, id, version, label string) []byte {
	t.Helper()
	return must(survey.Sign(surveyForm(id, version, label), o.roster.Org, o.admin))
}

func formPath(id, version string) string { return "/api/v1/forms/" + id + "/" + version }

// TestFormsPublish: the admin publishes signed forms; every role lists
// them and fetches each as signed; the same form again is accepted; the
// server refuses what a desk would refuse, and a swap or a rollback, with
// a clear code, storing nothing.
func TestFormsPublish(t *testing.T) {
	o := newOrg(t)
	v1 := o.signForm(t, "household", "2026120601", "Did you leave?")
	v2 := o.signForm(t, "household", "2026120702", "Did you leave the country?")
	st, body := o.do(t, "PUT", formPath("household", "2026120601"), store.Admin, v1, nil)
	if st != 201 {
		t.Fatalf("PUT form: %d %s", st, body)
	}
	var got server.Form
	json.Unmarshal(body, &got)
	d1, _ := surveyForm("household", "2026120601", "Did you leave?").Digest()
	if got.ID != "household" || got.Version != "2026120601" || got.SHA256 != d1 || got.Day == "" {
		t.Errorf("PUT form answered %+v; want household 2026120601 with digest %s", got, d1)
	}
	// The same form again: accepted, not created.
	if st, body := o.do(t, "PUT", formPath("household", "2026120601"), store.Admin, v1, nil); st != 200 {
		t.Errorf("PUT of the same form again: %d %s; want 200", st, body)
	}
	if st, body := o.do(t, "PUT", formPath("household", "2026120702"), store.Admin, v2, nil); st != 201 {
		t.Fatalf("PUT of a newer version: %d %s", st, body)
	}

	for _, role := range []store.Role{store.Interviewer, store.Reviewer, store.Custodian, store.Admin} {
		st, body := o.do(t, "GET", "/api/v1/forms", role, nil, nil)
		var list server.FormList
		if err := json.Unmarshal(body, &list); st != 200 || err != nil || len(list.Forms) != 2 {
			t.Fatalf("GET forms as %s: %d %s", role, st, body)
		}
		if list.Forms[0].Version != "2026120601" || list.Forms[1].Version != "2026120702" || list.Forms[0].SHA256 != d1 {
			t.Errorf("GET forms as %s = %+v", role, list.Forms)
		}
		if st, body := o.do(t, "GET", formPath("household", "2026120702"), role, nil, nil); st != 200 || !bytes.Equal(body, v2) {
			t.Errorf("GET form as %s: %d, %d bytes; want the signed form", role, st, len(body))
		}
	}

	mallory := must(keys.GenerateSigningKey("admin"))
	other := must(survey.Sign(surveyForm("household", "2026120801", "x"), o.roster.Org, mallory))
	otherOrg := must(survey.Sign(surveyForm("household", "2026120801", "x"), "Another NGO", o.admin))
	changed := bytes.Replace(o.signForm(t, "household", "2026120801", "Did you leave?"), []byte("Did you leave?"), []byte("Did you stay?"), 1)
	for _, tc := range []struct {
		name   string
		role   store.Role
		path   string
		body   []byte
		status int
		code   string
		says   string
	}{
		{"no token", "", formPath("household", "2026120801"), v1, 401, "unauthorized", ""},
		{"an interviewer", store.Interviewer, formPath("household", "2026120801"), v1, 403, "forbidden", ""},
		{"a reviewer", store.Reviewer, formPath("household", "2026120801"), v1, 403, "forbidden", ""},
		{"signed by another key", store.Admin, formPath("household", "2026120801"), other, 403, "form_refused", "not signed by the organisation's admin key"},
		{"a question changed after signing", store.Admin, formPath("household", "2026120801"), changed, 403, "form_refused", "changed after it was signed"},
		{"for another organisation", store.Admin, formPath("household", "2026120801"), otherOrg, 403, "form_refused", `it was published for \"Another NGO\"`},
		{"not signed at all", store.Admin, formPath("household", "2026120801"), must(surveyForm("household", "2026120801", "x").Marshal()), 403, "form_refused", "not a signed form"},
		{"empty", store.Admin, formPath("household", "2026120801"), nil, 400, "bad_form", "empty"},
		{"under another version in the URL", store.Admin, formPath("household", "2026120999"), v2, 400, "bad_form", "not the household version 2026120999"},
		{"under another ID in the URL", store.Admin, formPath("other", "2026120702"), v2, 400, "bad_form", "not the other"},
		{"a version with a leading zero", store.Admin, formPath("household", "02026120702"), v2, 400, "bad_form", ""},
		{"a bad ID", store.Admin, "/api/v1/forms/House%2Fhold/1", v2, 400, "bad_form", ""},
		{"the same version with other content", store.Admin, formPath("household", "2026120702"), o.signForm(t, "household", "2026120702", "Swapped"), 409, "form_conflict", "already published with other content"},
		{"an older version than the newest", store.Admin, formPath("household", "2026120650"), o.signForm(t, "household", "2026120650", "Old"), 409, "form_older", "higher version"},
		{"larger than a form may be", store.Admin, formPath("household", "2026120801"), bytes.Repeat([]byte("x"), survey.MaxSignedSize+1), 413, "too_large", ""},
	} {
		st, body := o.do(t, "PUT", tc.path, tc.role, tc.body, nil)
		if st != tc.status || code(t, body) != tc.code || !strings.Contains(string(body), tc.says) {
			t.Errorf("PUT form %s: %d %s; want %d %s saying %q", tc.name, st, body, tc.status, tc.code, tc.says)
		}
	}
	st, body = o.do(t, "GET", "/api/v1/forms", store.Admin, nil, nil)
	var list server.FormList
	json.Unmarshal(body, &list)
	if len(list.Forms) != 2 {
		t.Errorf("after refusals, %d forms are listed; want 2: %s", len(list.Forms), body)
	}
	if st, body := o.do(t, "GET", formPath("household", "2026120702"), store.Reviewer, nil, nil); st != 200 || !bytes.Equal(body, v2) {
		t.Errorf("after a refused swap, GET form: %d; want the first content", st)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{formPath("household", "2026120801"), 404},
		{formPath("household", "x"), 400},
		{formPath("..", "1"), 400},
	} {
		if st, _ := o.do(t, "GET", tc.path, store.Reviewer, nil, nil); st != tc.status {
			t.Errorf("GET %s: %d; want %d", tc.path, st, tc.status)
		}
	}
	if st, _ := o.do(t, "GET", "/api/v1/forms", "", nil, nil); st != 401 {
		t.Errorf("GET forms without a token: %d; want 401", st)
	}
	// The log names routes, never a form's content or ID.
	logs := o.logs.String()
	if !strings.Contains(logs, `"route":"/api/v1/forms/{id}/{version}"`) {
		t.Fatalf("the log lacks the requests: %s", logs)
	}
	for _, s := range []string{"household", "Did you leave", "Swapped", "Another NGO"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

// TestFormsListEmpty: a server without forms lists none, as an empty
// list, not null.
func TestFormsListEmpty(t *testing.T) {
	o := newOrg(t)
	st, body := o.do(t, "GET", "/api/v1/forms", store.Interviewer, nil, nil)
	var list map[string]any
	if err := json.Unmarshal(body, &list); st != 200 || err != nil || !reflect.DeepEqual(list["forms"], []any{}) {
		t.Errorf("GET forms of a server without forms: %d %s", st, body)
	}
}
