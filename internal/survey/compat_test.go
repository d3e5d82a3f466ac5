package survey_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"testimony/examples/forms"
	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
	"testimony/keys"
)

var update = flag.Bool("update", false, "write the frozen files of testdata/survey-v1 if they do not exist (never rewrite a released format)")

const frozenDir = "../../testdata/survey-v1"

// TestCompatV1 reads the frozen published form and answer set: a form
// signed with format testimony-form-v1 must verify, and its answers
// validate, forever. A change to the canonical encoding of forms changes
// every form's digest and breaks every answer set sealed before it: it
// needs a new format.
func TestCompatV1(t *testing.T) {
	if *update {
		writeFrozen(t)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(frozenDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin, err := keys.ParseVerifier(string(read("admin.pub")))
	if err != nil {
		t.Fatal(err)
	}
	org := strings.TrimSpace(string(read("org.txt")))
	p, err := survey.Verify(read("form.txt"), admin, org)
	if err != nil {
		t.Fatalf("the frozen form no longer verifies: %v", err)
	}
	r, err := survey.ParseResponse(read("answers.json"))
	if err != nil {
		t.Fatalf("the frozen answers no longer parse: %v", err)
	}
	if r.FormSHA256 != p.Digest || r.Form != p.Form.ID || r.Version != p.Form.Version {
		t.Fatalf("the frozen answers name %s/%s %s, the form is %s %s", r.Form, r.Version, r.FormSHA256, p.Form.Ref(), p.Digest)
	}
	if problems := survey.Validate(p.Form, r.Answers, "2026-12-06"); len(problems) > 0 {
		t.Errorf("the frozen answers no longer validate: %v", problems[0])
	}
	again, err := survey.MarshalResponse(r)
	if err != nil || !bytes.Equal(again, read("answers.json")) {
		t.Errorf("the frozen answers are not written back the same (%v)", err)
	}
}

func writeFrozen(t *testing.T) {
	if _, err := os.Stat(frozenDir); err == nil {
		t.Fatal(frozenDir + " exists: a released format is never rewritten")
	}
	f, _, err := xlsform.Read(bytes.NewReader(forms.DefectorSurvey), "defector-survey.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	admin, err := keys.GenerateSigningKey("frozen-admin")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := survey.Sign(f, "Frozen NGO", admin)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := f.Digest()
	a := survey.NewAnswers()
	for k, v := range map[string]string{"consent_given": "yes", "sex": "female", "age": "41", "home_province": "ryanggang",
		"home_county": "hyesan", "year_left": "2011", "arrival_date": "2012-05-01", "reasons": "food other", "reasons_other": "문희정 씨를 따라서",
		"detained": "yes", "detention_country": "china", "facility": "holding_center", "ill_treatment": "pns",
		"food_access": "very_hard", "health_access": "hard", "has_family": "yes"} {
		a.Values[k] = v
	}
	m := survey.NewAnswers()
	m.Values["relationship"] = "sibling"
	m.Values["contact"] = "yearly"
	a.Repeats["family"] = []*survey.Answers{m}
	prepared, err := survey.Prepare(f, a, "2026-12-06")
	if err != nil {
		t.Fatal(err)
	}
	answers, err := survey.MarshalResponse(&survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version,
		FormSHA256: digest, Language: "ko", Answers: prepared})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(frozenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"admin.pub": []byte(admin.Verifier() + "\n"), "org.txt": []byte("Frozen NGO\n"),
		"form.txt": signed, "answers.json": answers} {
		if err := os.WriteFile(filepath.Join(frozenDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
