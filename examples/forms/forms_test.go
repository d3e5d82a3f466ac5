package forms_test

import (
	"bytes"
	"slices"
	"testing"

	"testimony/examples/forms"
	"testimony/internal/survey"
	"testimony/internal/survey/xlsform"
)

// TestDefectorSurvey checks that the sample survey reads without warnings
// and has what the quickstart shows: two languages with Korean first,
// identifiers of each kind, a county list filtered by province, a skip
// rule, a sensitive question that can be declined, a Likert list, a
// repeat of family members that asks no names, or_other, a date and today.
func TestDefectorSurvey(t *testing.T) {
	f, w, err := xlsform.Read(bytes.NewReader(forms.DefectorSurvey), "defector-survey.xlsx")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(w) > 0 {
		t.Errorf("warnings: %v", w)
	}
	if f.ID != "defector-survey" || f.Version != "2026120601" || f.DefaultLanguage != "ko" {
		t.Errorf("ID %q version %q default %q", f.ID, f.Version, f.DefaultLanguage)
	}
	if !slices.Equal(f.Languages, []survey.Language{{Code: "ko", Name: "Korean"}, {Code: "en", Name: "English"}}) {
		t.Errorf("languages %v", f.Languages)
	}
	if f.MinCell != 5 || f.MinCellSensitive != 10 {
		t.Errorf("min cells %d %d", f.MinCell, f.MinCellSensitive)
	}
	// Every text is in both languages.
	n, kinds, types := 0, map[string]bool{}, map[survey.Type]int{}
	f.Walk(func(q, repeat *survey.Question) error {
		types[q.Type]++
		if q.Type.HasAnswer() && !q.Type.IsMeta() {
			n++
		}
		if q.Identifier != "" {
			kinds[q.Identifier] = true
		}
		for _, l := range []survey.Localized{q.Label, q.Hint, q.ConstraintMessage} {
			if len(l) > 0 && (l["ko"] == "" || l["en"] == "") {
				t.Errorf("%s: a text not in both languages: %v", q.Name, l)
			}
		}
		if repeat != nil && q.Type == survey.Text {
			t.Errorf("%s: the family repeat asks free text (names must not be asked)", q.Name)
		}
		return nil
	})
	for list, cs := range f.Choices {
		for _, c := range cs {
			if c.Label["ko"] == "" || c.Label["en"] == "" {
				t.Errorf("choice %s/%s: not in both languages", list, c.Name)
			}
		}
	}
	if n < 18 || n > 25 {
		t.Errorf("%d questions, want about 20", n)
	}
	for _, k := range []string{survey.IDAge, survey.IDYear, survey.IDSex, survey.IDPlace} {
		if !kinds[k] {
			t.Errorf("no %s identifier", k)
		}
	}
	for _, typ := range []survey.Type{survey.Date, survey.Today, survey.Text, survey.Integer, survey.SelectMultiple, survey.Repeat, survey.Note} {
		if types[typ] == 0 {
			t.Errorf("no %s question", typ)
		}
	}
	q := func(name string) *survey.Question {
		q, _ := f.Question(name)
		if q == nil {
			t.Fatalf("no question %s", name)
		}
		return q
	}
	if a := q("age"); a.Constraint == "" || a.ConstraintMessage["ko"] == "" {
		t.Errorf("age has no constraint: %+v", a)
	}
	county := q("home_county")
	if county.ChoiceFilter != "province = ${home_province}" || county.Identifier != survey.IDPlace {
		t.Errorf("county %+v", county)
	}
	for _, c := range f.Choices["county"] {
		if _, ok := f.Choice("province", c.Extra["province"]); !ok {
			t.Errorf("county %s names no province (%q)", c.Name, c.Extra["province"])
		}
	}
	if musan, ok := f.Choice("county", "musan"); !ok || musan.Label["ko"] != "무산군" {
		t.Errorf("musan: %+v", musan)
	}
	if d := q("detention"); d.Type != survey.Group || d.Relevant != "${detained} = 'yes'" {
		t.Errorf("the skip rule: %+v", d)
	}
	ill := q("ill_treatment")
	if !ill.Sensitive {
		t.Error("ill_treatment is not sensitive")
	}
	if _, ok := f.Choice(ill.List, "pns"); !ok {
		t.Error("ill_treatment cannot be declined")
	}
	if r := q("reasons"); !r.OrOther || r.Type != survey.SelectMultiple {
		t.Errorf("reasons %+v", r)
	}
	if q("food_access").Appearance != "likert" {
		t.Error("food_access is not a Likert question")
	}
	if fam, rep := q("contact"), q("family"); fam == nil || rep.Type != survey.Repeat {
		t.Error("no family repeat")
	}
	if q("comments").Type != survey.Text {
		t.Error("comments is not free text")
	}
}
