package export_test

import (
	"fmt"

	"testimony/internal/survey"
)

// testForm has one question of each kind the export treats differently:
// numbers, a date, choices with provinces, a select_multiple with
// or_other, free text, a geopoint and a repeat.
func testForm() *survey.Form {
	l := func(ko, en string) survey.Localized { return survey.Localized{"ko": ko, "en": en} }
	return &survey.Form{
		Format: survey.FormFormat, ID: "defectors", Version: "2026120601",
		Title:           l("탈북민 설문", "Defector survey"),
		DefaultLanguage: "ko",
		Languages:       []survey.Language{{Code: "ko", Name: "Korean"}, {Code: "en", Name: "English"}},
		MinCell:         survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.Integer, Name: "age", Identifier: survey.IDAge, Label: l("나이", "Age"), Row: 2},
			{Type: survey.SelectOne, Name: "sex", List: "sex", Identifier: survey.IDSex, Label: l("성별", "Sex"), Row: 3},
			{Type: survey.SelectOne, Name: "home", List: "places", Identifier: survey.IDPlace, Label: l("고향", "Home county"), Row: 4},
			{Type: survey.Date, Name: "left", Identifier: survey.IDYear, Label: l("탈북 날짜", "Day of leaving"), Row: 5},
			{Type: survey.Group, Name: "g", Row: 6, Children: []*survey.Question{
				{Type: survey.SelectMultiple, Name: "reasons", List: "reasons", OrOther: true, Label: l("이유", "Reasons"), Row: 7},
				{Type: survey.Decimal, Name: "months", Label: l("기간", "Months"), Row: 8},
			}},
			{Type: survey.Text, Name: "story", Label: l("이야기", "Story"), Row: 9},
			{Type: survey.Geopoint, Name: "where", Label: l("위치", "Where"), Row: 10},
			{Type: survey.Note, Name: "thanks", Label: l("감사합니다", "Thank you"), Row: 11},
			{Type: survey.Repeat, Name: "family", Row: 12, Children: []*survey.Question{
				{Type: survey.Integer, Name: "member_age", Label: l("가족 나이", "Age of member"), Identifier: survey.IDAge, Row: 13},
				{Type: survey.SelectOne, Name: "relation", List: "relation", Label: l("관계", "Relation"), Row: 14},
			}},
		},
		Choices: map[string][]survey.Choice{
			"sex": {{Name: "f", Label: l("여성", "Female"), Row: 2}, {Name: "m", Label: l("남성", "Male"), Row: 3}},
			"places": {
				{Name: "hamgyong_n", Label: l("함경북도", "North Hamgyong"), Row: 4},
				{Name: "ryanggang", Label: l("량강도", "Ryanggang"), Row: 5},
				{Name: "musan", Label: l("무산군", "Musan"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 6},
				{Name: "hoeryong", Label: l("회령시", "Hoeryong"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 7},
				{Name: "onsong", Label: l("온성군", "Onsong"), Extra: map[string]string{"province": "hamgyong_n"}, Row: 8},
				{Name: "hyesan", Label: l("혜산시", "Hyesan"), Extra: map[string]string{"province": "ryanggang"}, Row: 9},
				{Name: "samjiyon", Label: l("삼지연시", "Samjiyon"), Extra: map[string]string{"province": "ryanggang"}, Row: 10},
			},
			"reasons":  {{Name: "food", Label: l("식량", "Food"), Row: 11}, {Name: "family", Label: l("가족", "Family"), Row: 12}, {Name: "freedom", Label: l("자유", "Freedom"), Row: 13}},
			"relation": {{Name: "child", Label: l("자녀", "Child"), Row: 14}, {Name: "parent", Label: l("부모", "Parent"), Row: 15}},
		},
	}
}

// respondent is a response's answers to the quasi-identifiers.
type respondent struct {
	age  int
	sex  string
	home string
	left string
}

// records returns one record per respondent, answering f, with the other
// answers filled in.
func records(f *survey.Form, people []respondent) []survey.Record {
	digest, err := f.Digest()
	if err != nil {
		panic(err)
	}
	var out []survey.Record
	for i, p := range people {
		a := survey.NewAnswers()
		a.Values["age"] = fmt.Sprint(p.age)
		a.Values["sex"] = p.sex
		a.Values["home"] = p.home
		a.Values["left"] = p.left
		a.Values["reasons"] = "food freedom"
		a.Values["months"] = "2.5"
		a.Values["story"] = fmt.Sprintf("이야기 %d", i)
		a.Values["where"] = "41.8123 129.4167 300 5"
		child := survey.NewAnswers()
		child.Values["member_age"] = "12"
		child.Values["relation"] = "child"
		a.Repeats["family"] = []*survey.Answers{child}
		out = append(out, survey.Record{
			ID: fmt.Sprintf("%032x", i+1), Day: "2026-11-0" + fmt.Sprint(1+i%9), Device: "laptop-1",
			Response: &survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version, FormSHA256: digest, Language: "ko", Answers: a},
		})
	}
	return out
}
