package survey_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"testimony/internal/survey"
	"testimony/keys"
)

// smallForm is a form with a select, a repeat and texts in two languages.
func smallForm() *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: "small", Version: "3",
		Title:           survey.Localized{"ko": "작은 설문", "en": "Small survey"},
		DefaultLanguage: "ko",
		Languages:       []survey.Language{{Code: "ko", Name: "Korean"}, {Code: "en", Name: "English"}},
		MinCell:         survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.SelectOne, Name: "sex", List: "sex", Identifier: survey.IDSex, Row: 2,
				Label: survey.Localized{"ko": "성별", "en": "Sex"}},
			{Type: survey.Repeat, Name: "family", Row: 3, Children: []*survey.Question{
				{Type: survey.Text, Name: "relation", Row: 4, Label: survey.Localized{"en": "Relation <b>"}},
			}},
		},
		Choices: map[string][]survey.Choice{"sex": {
			{Name: "f", Label: survey.Localized{"ko": "여성", "en": "Female"}, Row: 2},
			{Name: "m", Label: survey.Localized{"ko": "남성", "en": "Male"}, Row: 3},
		}},
	}
}

func adminKey(t *testing.T, name string) (*keys.SigningKey, keys.Verifier) {
	t.Helper()
	k, err := keys.GenerateSigningKey(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := keys.ParseVerifier(k.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	return k, v
}

func TestSignVerify(t *testing.T) {
	admin, pub := adminKey(t, "admin")
	other, _ := adminKey(t, "admin")
	f := smallForm()
	signed, err := survey.Sign(f, "Seoul NGO", admin)
	if err != nil {
		t.Fatal(err)
	}
	p, err := survey.Verify(signed, pub, "Seoul NGO")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want, _ := f.Digest()
	if p.Digest != want || p.Form.Ref() != "small/3" || p.Form.Choices["sex"][1].Label["ko"] != "남성" {
		t.Errorf("Verify returned digest %s (want %s), form %+v", p.Digest, want, p.Form)
	}
	// HTML is not escaped in the canonical form: the text is the form's.
	if !bytes.Contains(signed, []byte("Relation <b>")) {
		t.Errorf("label was escaped in the signed text")
	}

	otherSigned, _ := survey.Sign(f, "Seoul NGO", other)
	tampered := bytes.Replace(signed, []byte("남성"), []byte("여성"), 1)
	for _, tc := range []struct {
		name   string
		signed []byte
		org    string
		want   string
	}{
		{"another key", otherSigned, "Seoul NGO", "not signed by the organisation's admin key"},
		{"a choice changed", tampered, "Seoul NGO", "changed after it was signed"},
		{"another organisation", signed, "Other NGO", `published for "Seoul NGO"`},
		{"not a note", []byte("hello\n"), "Seoul NGO", "not a signed form"},
	} {
		_, err := survey.Verify(tc.signed, pub, tc.org)
		if !errors.Is(err, survey.ErrForm) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want ErrForm with %q", tc.name, err, tc.want)
		}
	}
}

func TestSignRefusesBadForms(t *testing.T) {
	admin, _ := adminKey(t, "admin")
	for _, tc := range []struct {
		name   string
		change func(f *survey.Form)
		want   string
	}{
		{"duplicate name", func(f *survey.Form) { f.Survey[1].Children[0].Name = "sex" }, "row 4, column name"},
		{"missing list", func(f *survey.Form) { f.Survey[0].List = "gender" }, `no choice list "gender"`},
		{"empty repeat", func(f *survey.Form) { f.Survey[1].Children = nil }, "has no questions"},
		{"note as ID", func(f *survey.Form) { f.ID = "note" }, "form ID"},
		{"long version", func(f *survey.Form) { f.Version = "12345678901" }, "1 to 10 digits"},
		{"min cell below floor", func(f *survey.Form) { f.MinCell = 2 }, "at least 3"},
		{"sensitive below min cell", func(f *survey.Form) { f.MinCellSensitive = 4 }, "at least the other"},
		{"unknown type", func(f *survey.Form) { f.Survey[0].Type = "range" }, `unknown type "range"`},
		{"unknown identifier", func(f *survey.Form) { f.Survey[0].Identifier = "name" }, "unknown identifier kind"},
		{"duplicate choice", func(f *survey.Form) { f.Choices["sex"][1].Name = "f" }, `choice "f" twice`},
	} {
		f := smallForm()
		tc.change(f)
		_, err := survey.Sign(f, "Seoul NGO", admin)
		var fe *survey.FormError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Sign = %v, want a FormError with %q", tc.name, err, tc.want)
		}
	}
}

func TestParseFormCanonical(t *testing.T) {
	b, err := smallForm().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := survey.ParseForm(b); err != nil {
		t.Fatalf("ParseForm(Marshal()): %v", err)
	}
	for name, mod := range map[string][]byte{
		"reindented":    bytes.ReplaceAll(b, []byte("\n "), []byte("\n  ")),
		"unknown field": bytes.Replace(b, []byte(`"id":`), []byte(`"x": 1, "id":`), 1),
	} {
		if _, err := survey.ParseForm(mod); err == nil {
			t.Errorf("%s: ParseForm accepted a non-canonical form", name)
		}
	}
}

func TestLocalizedIn(t *testing.T) {
	l := survey.Localized{"ko": "성별", "en": "Sex", "": "plain"}
	for _, tc := range []struct{ lang, fallback, want string }{
		{"en", "ko", "Sex"},
		{"es", "ko", "성별"},
		{"es", "nl", "plain"},
	} {
		if got := l.In(tc.lang, tc.fallback); got != tc.want {
			t.Errorf("In(%q, %q) = %q, want %q", tc.lang, tc.fallback, got, tc.want)
		}
	}
	if got := (survey.Localized{"nl": "Geslacht", "es": "Sexo"}).In("ko", "en"); got != "Sexo" {
		t.Errorf("In without a match = %q, want the first by code", got)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	a := survey.NewAnswers()
	a.Values["sex"] = "f"
	a.Values["reasons"] = "food family"
	m := survey.NewAnswers()
	m.Values["relation"] = "mother"
	a.Repeats["family"] = []*survey.Answers{m, survey.NewAnswers()}
	r := &survey.Response{Format: survey.AnswersFormat, Form: "small", Version: "3",
		FormSHA256: strings.Repeat("ab", 32), Language: "ko", Answers: a}
	b, err := survey.MarshalResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := survey.ParseResponse(b)
	if err != nil {
		t.Fatalf("ParseResponse: %v\n%s", err, b)
	}
	b2, _ := survey.MarshalResponse(got)
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the answers:\n%s\n%s", b, b2)
	}
	if got.Answers.Repeats["family"][0].Get("relation") != "mother" || len(got.Answers.Repeats["family"]) != 2 {
		t.Errorf("repeat lost: %+v", got.Answers.Repeats)
	}
}

func TestParseResponseRefuses(t *testing.T) {
	head := `{"format":"testimony-answers-v1","form":"small","version":"3","form_sha256":"` + strings.Repeat("ab", 32) + `","language":"ko","answers":`
	for _, tc := range []struct{ name, json, want string }{
		{"number answer", head + `{"age":34}}`, "must be a string"},
		{"nested object", head + `{"g":{"a":"b"}}}`, "must be a string"},
		{"bad name", head + `{"a b":"x"}}`, "not a question name"},
		{"repeat of strings", head + `{"r":["x"]}}`, "must be an object"},
		{"null answers", head + `null}`, "no answers"},
		{"unknown field", strings.Replace(head, `"language"`, `"extra":1,"language"`, 1) + `{}}`, "unknown field"},
		{"other format", strings.Replace(head, "answers-v1", "answers-v9", 1) + `{}}`, "unknown format"},
		{"bad digest", strings.Replace(head, strings.Repeat("ab", 32), "ab", 1) + `{}}`, "form_sha256"},
		{"trailing value", head + `{}} {}`, "more than one"},
		{"deep repeats", head + strings.Repeat(`{"r":[`, 10) + `{}` + strings.Repeat(`]}`, 10) + `}`, "nested deeper"},
	} {
		_, err := survey.ParseResponse([]byte(tc.json))
		if !errors.Is(err, survey.ErrAnswers) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseResponse = %v, want ErrAnswers with %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"format":"testimony-answers-v1","form":"small","version":"3","form_sha256":"` + strings.Repeat("ab", 32) + `","language":"ko","answers":{"a":"b","r":[{"c":"d"}]}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := survey.ParseResponse(b)
		if err != nil {
			return
		}
		out, err := survey.MarshalResponse(r)
		if err != nil {
			t.Fatalf("a parsed response does not marshal: %v", err)
		}
		r2, err := survey.ParseResponse(out)
		if err != nil {
			t.Fatalf("a marshalled response does not parse: %v", err)
		}
		out2, _ := survey.MarshalResponse(r2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzParseForm(f *testing.F) {
	b, _ := smallForm().Marshal()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		form, err := survey.ParseForm(b)
		if err != nil {
			return
		}
		out, err := form.Marshal()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("a parsed form is not its own canonical encoding")
		}
		var v any
		if json.Unmarshal(out, &v) != nil {
			t.Fatalf("not JSON")
		}
	})
}
