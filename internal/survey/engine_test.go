package survey_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"testimony/internal/survey"
)

const day = "2026-12-06"

// engineForm is a form with a skip rule, constraints, a choice filter, an
// or_other select, a calculation, metadata and a repeat counted by an
// answer, whose questions read their siblings and the answers outside.
func engineForm() *survey.Form {
	en := func(s string) survey.Localized { return survey.Localized{"en": s} }
	return &survey.Form{
		Format: survey.FormFormat, ID: "engine", Version: "1",
		Title: en("Engine"), DefaultLanguage: "en", Languages: []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "Korean"}},
		MinCell: survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			// pre_story reads story, which comes later: Prepare needs a
			// second round to drop it when story goes.
			{Type: survey.Text, Name: "pre_story", Row: 2, Relevant: "string-length(${story}) > 0"},
			{Type: survey.SelectOne, Name: "consent", List: "yesno", Row: 3, Required: "true()"},
			{Type: survey.Integer, Name: "age", Row: 4, Required: "true()", Relevant: "${consent} = 'yes'",
				Constraint: ". >= 18 and . <= 120", ConstraintMessage: survey.Localized{"en": "Adults only", "ko": "성인만"},
				RequiredMessage: survey.Localized{"en": "Ask the age", "ko": "나이를 물어보세요"}},
			{Type: survey.Date, Name: "born", Row: 5, Relevant: "${consent} = 'yes'", Constraint: ". <= today()"},
			{Type: survey.Group, Name: "place", Row: 6, Relevant: "${consent} = 'yes'", Children: []*survey.Question{
				{Type: survey.SelectOne, Name: "province", List: "provinces", Row: 7},
				{Type: survey.SelectOne, Name: "county", List: "counties", Row: 8, ChoiceFilter: "province = ${province}"},
			}},
			{Type: survey.SelectMultiple, Name: "left", List: "reasons", OrOther: true, Row: 9},
			{Type: survey.Geopoint, Name: "where", Row: 10},
			{Type: survey.Image, Name: "photo", Row: 11},
			{Type: survey.Calculate, Name: "age_months", Row: 12, Calculation: "${age} * 12"},
			{Type: survey.Today, Name: "day", Row: 13},
			{Type: survey.Integer, Name: "hh_size", Row: 14},
			{Type: survey.Repeat, Name: "members", Row: 15, RepeatCount: "${hh_size}", Children: []*survey.Question{
				{Type: survey.SelectOne, Name: "rel", List: "relation", Row: 16},
				{Type: survey.Integer, Name: "m_age", Row: 17, Constraint: "${age} = '' or . < ${age} + 100"},
				{Type: survey.Text, Name: "m_note", Row: 18, Relevant: "${rel} = 'child' and ${m_age} < 18"},
				{Type: survey.Calculate, Name: "m_older", Row: 19, Calculation: "if(${m_age} > ${age}, 'yes', 'no')"},
			}},
			{Type: survey.Text, Name: "story", Row: 20, Relevant: "${consent} = 'yes'"},
			{Type: survey.Note, Name: "thanks", Row: 21},
			{Type: survey.Decimal, Name: "income", Row: 22, Default: "1.5"},
		},
		Choices: map[string][]survey.Choice{
			"yesno":     {{Name: "yes", Row: 2}, {Name: "no", Row: 3}},
			"provinces": {{Name: "nh", Row: 4}, {Name: "ry", Row: 5}},
			"counties": {
				{Name: "musan", Row: 6, Extra: map[string]string{"province": "nh"}},
				{Name: "hoeryong", Row: 7, Extra: map[string]string{"province": "nh"}},
				{Name: "hyesan", Row: 8, Extra: map[string]string{"province": "ry"}},
			},
			"reasons":  {{Name: "food", Row: 9}, {Name: "work", Row: 10}, {Name: "family", Row: 11}},
			"relation": {{Name: "spouse", Row: 12}, {Name: "child", Row: 13}, {Name: "parent", Row: 14}},
		},
	}
}

// answers parses an answer set written as JSON.
func answers(t *testing.T, s string) *survey.Answers {
	t.Helper()
	var a survey.Answers
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return &a
}

// valid is a complete, valid answer set to engineForm, as a JSON object
// that the cases change.
func valid() map[string]any {
	return map[string]any{
		"pre_story": "before", "consent": "yes", "age": "34", "born": "1990-05-17", "province": "nh", "county": "musan",
		"left": "food other", "left_other": "study", "where": "42.0 129.5", "photo": "attachments/01.jpg",
		"hh_size": "2", "story": "a story",
		"members": []any{
			map[string]any{"rel": "child", "m_age": "10", "m_note": "school"},
			map[string]any{"rel": "spouse", "m_age": "33"},
		},
	}
}

func encode(t *testing.T, m map[string]any) *survey.Answers {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return answers(t, string(b))
}

func TestValidate(t *testing.T) {
	f := engineForm()
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	member := func(m map[string]any, i int) map[string]any { return m["members"].([]any)[i].(map[string]any) }
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		want   []string // "path: part of the message", in order
	}{
		{"valid", func(m map[string]any) {}, nil},
		{"no consent, nothing that it guards", func(m map[string]any) {
			m["consent"] = "no"
			for _, k := range []string{"pre_story", "age", "born", "province", "county", "story"} {
				delete(m, k)
			}
		}, nil},
		// The skip rule: age is not asked without consent.
		{"skip rule", func(m map[string]any) {
			m["consent"] = "no"
			for _, k := range []string{"pre_story", "born", "province", "county", "story"} {
				delete(m, k)
			}
		}, []string{"age: age is answered, but it is not asked"}},
		{"a group's skip rule", func(m map[string]any) {
			m["consent"] = "no"
			for _, k := range []string{"pre_story", "age", "born", "story"} {
				delete(m, k)
			}
		}, []string{"province: is answered, but it is not asked", "county: is answered, but it is not asked"}},
		{"required", func(m map[string]any) { delete(m, "age") }, []string{"age: age is required"}},
		{"required, empty", func(m map[string]any) { m["consent"] = "" }, []string{"consent: consent is required",
			"age: is answered, but it is not asked", "born: is answered", "province: is answered", "county: is answered", "story: is answered"}},
		{"constraint", func(m map[string]any) { m["age"] = "12" }, []string{"age: breaks the form's constraint . >= 18"}},
		{"date constraint with today()", func(m map[string]any) { m["born"] = "2026-12-07" }, []string{"born: breaks the form's constraint"}},
		{"date constraint on today", func(m map[string]any) { m["born"] = day }, nil},
		{"integer", func(m map[string]any) { m["age"] = "34.5" }, []string{"age: \"34.5\" is not a whole number"}},
		{"integer with a plus", func(m map[string]any) { m["hh_size"] = "+2" }, []string{"hh_size: \"+2\" is not a whole number", "members: must be answered 0 times"}},
		{"date", func(m map[string]any) { m["born"] = "1990-02-30" }, []string{"born: \"1990-02-30\" is not a date"}},
		{"decimal", func(m map[string]any) { m["income"] = "1,5" }, []string{"income: \"1,5\" is not a number"}},
		{"decimal ok", func(m map[string]any) { m["income"] = "-.5" }, nil},
		{"choice filter", func(m map[string]any) { m["county"] = "hyesan" }, []string{"county: the choice \"hyesan\" is not offered here"}},
		{"choice filter, other province", func(m map[string]any) { m["province"] = "ry"; m["county"] = "hyesan" }, nil},
		{"not a choice", func(m map[string]any) { m["county"] = "seoul" }, []string{"county: \"seoul\" is not a choice of the list counties"}},
		{"other without or_other", func(m map[string]any) { m["consent"] = "other" }, []string{"consent: \"other\" is not a choice",
			"age: is answered", "born: is answered", "province: is answered", "county: is answered", "story: is answered"}},
		{"select_one with two", func(m map[string]any) { m["province"] = "nh ry" }, []string{"province: \"nh ry\" is more than one choice", "county: the choice \"musan\" is not offered here"}},
		{"select_multiple twice", func(m map[string]any) { m["left"] = "food food" }, []string{"left: the choice \"food\" is given twice", "left_other: is answered, but left is not \"other\""}},
		{"select_multiple spaces", func(m map[string]any) { m["left"] = "food  other" }, []string{"left: must be choice names separated by single spaces"}},
		{"or_other without its text", func(m map[string]any) { delete(m, "left_other") }, nil},
		{"or_other text without other", func(m map[string]any) { m["left"] = "food work" }, []string{"left_other: left_other is answered, but left is not \"other\""}},
		{"geopoint latitude", func(m map[string]any) { m["where"] = "91 0" }, []string{"where: the latitude 91 is not between -90 and 90"}},
		{"geopoint longitude", func(m map[string]any) { m["where"] = "0 -180.5" }, []string{"where: the longitude -180.5 is not between"}},
		{"geopoint accuracy", func(m map[string]any) { m["where"] = "1 2 3 -1" }, []string{"where: the accuracy -1 is negative"}},
		{"geopoint with altitude and accuracy", func(m map[string]any) { m["where"] = "-33.9 151.2 10 5.5" }, nil},
		{"geopoint text", func(m map[string]any) { m["where"] = "Musan" }, []string{"where: \"Musan\" is not a point"}},
		{"geopoint five numbers", func(m map[string]any) { m["where"] = "1 2 3 4 5" }, []string{"where: is not a point"}},
		{"attachment", func(m map[string]any) { m["photo"] = "../photo.jpg" }, []string{"photo: does not name an attachment"}},
		{"attachment without extension", func(m map[string]any) { m["photo"] = "attachments/123" }, nil},
		{"repeat_count", func(m map[string]any) { m["hh_size"] = "3" }, []string{"members: the repeat members must be answered 3 times (its repeat_count), not 2"}},
		{"repeat_count empty", func(m map[string]any) { delete(m, "hh_size") }, []string{"members: must be answered 0 times"}},
		{"sibling skip rule in a repeat", func(m map[string]any) { member(m, 1)["m_note"] = "x" },
			[]string{"members[2]/m_note: m_note is answered, but it is not asked"}},
		{"sibling skip rule, other pass", func(m map[string]any) { member(m, 0)["m_age"] = "20" },
			[]string{"members[1]/m_note: is answered, but it is not asked"}},
		{"a constraint in a repeat reads outside", func(m map[string]any) { member(m, 1)["m_age"] = "134" },
			[]string{"members[2]/m_age: breaks the form's constraint ${age} = '' or . < ${age} + 100"}},
		{"a constraint in a repeat, in range", func(m map[string]any) { member(m, 1)["m_age"] = "133" }, nil},
		{"unknown name", func(m map[string]any) { m["nickname"] = "x" }, []string{"nickname: the form has no question named nickname"}},
		{"unknown name in a repeat", func(m map[string]any) { member(m, 0)["age"] = "3" }, []string{"members[1]/age: the repeat members has no question named age"}},
		{"a repeat's question at the top", func(m map[string]any) { m["m_age"] = "3" }, []string{"m_age: the form has no question named m_age"}},
		{"a repeat as a value", func(m map[string]any) { m["members"] = "2" }, []string{"members: members is a repeat", "members: must be answered 2 times"}},
		{"a question as a repeat", func(m map[string]any) { m["age"] = []any{} }, []string{"age: age is a question, not a repeat", "age: age is required"}},
		{"a note", func(m map[string]any) { m["thanks"] = "x" }, []string{"thanks: a note has no answer"}},
		{"a group", func(m map[string]any) { m["place"] = "x" }, []string{"place: the form has no question named place"}},
		{"calculations and metadata given are ignored", func(m map[string]any) {
			m["age_months"] = "bogus"
			m["day"] = "2020-01-01 10:00"
			member(m, 0)["m_older"] = "maybe"
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := valid()
			c.change(m)
			errs := survey.Validate(f, encode(t, m), day)
			var got []string
			for _, e := range errs {
				got = append(got, e.Path+": "+e.Msg)
			}
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				path, msg, _ := strings.Cut(c.want[i], ": ")
				ok = strings.HasPrefix(got[i], path+": ") && strings.Contains(got[i], msg)
			}
			if !ok {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// TestValidateDetails: rows, names and the form's messages in every
// language.
func TestValidateDetails(t *testing.T) {
	f := engineForm()
	m := valid()
	m["age"] = "12"
	m["members"].([]any)[1].(map[string]any)["m_age"] = "x"
	errs := survey.Validate(f, encode(t, m), day)
	if len(errs) != 2 {
		t.Fatalf("got %v", errs)
	}
	if e := errs[0]; e.Name != "age" || e.Row != 4 || e.Message["ko"] != "성인만" || e.Message["en"] != "Adults only" {
		t.Errorf("constraint error %+v", e)
	}
	if e := errs[1]; e.Name != "m_age" || e.Row != 17 || e.Path != "members[2]/m_age" || e.Message != nil {
		t.Errorf("type error %+v", e)
	}
	delete(m, "age")
	m["members"].([]any)[1].(map[string]any)["m_age"] = "1"
	errs = survey.Validate(f, encode(t, m), day)
	if len(errs) != 1 || errs[0].Message["ko"] != "나이를 물어보세요" {
		t.Errorf("required error %+v", errs)
	}
	if errs := survey.Validate(f, encode(t, valid()), "2026-13-01"); len(errs) != 1 || !strings.Contains(errs[0].Msg, "not a date") {
		t.Errorf("a bad day: %v", errs)
	}
	// No answers: consent is required; hh_size is empty, so members is
	// answered 0 times, as it should be.
	if errs := survey.Validate(f, nil, day); len(errs) != 1 || errs[0].Path != "consent" {
		t.Errorf("no answers: %v", errs)
	}
}

func TestValidateRepeatLimits(t *testing.T) {
	f := engineForm()
	m := valid()
	var many []any
	for range survey.MaxRepeats + 1 {
		many = append(many, map[string]any{"rel": "parent"})
	}
	m["members"] = many
	m["hh_size"] = fmt.Sprint(survey.MaxRepeats + 1)
	// Built directly: the JSON reader refuses more than MaxRepeats.
	a := encode(t, valid())
	a.Repeats["members"] = nil
	for range survey.MaxRepeats + 1 {
		p := survey.NewAnswers()
		p.Values["rel"] = "parent"
		a.Repeats["members"] = append(a.Repeats["members"], p)
	}
	a.Values["hh_size"] = fmt.Sprint(survey.MaxRepeats + 1)
	errs := survey.Validate(f, a, day)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "answered 501 times, more than 500") {
		t.Errorf("got %v", errs)
	}
	a.Repeats["members"] = a.Repeats["members"][:survey.MaxRepeats]
	errs = survey.Validate(f, a, day)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "asks for 501 passes, more than 500") {
		t.Errorf("got %v", errs)
	}
}

func TestPrepare(t *testing.T) {
	f := engineForm()
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		want   string // the prepared answers' JSON
	}{
		{"valid: calculations and the day added", func(m map[string]any) {},
			`{"age":"34","age_months":"408","born":"1990-05-17","consent":"yes","county":"musan","day":"2026-12-06","hh_size":"2","left":"food other","left_other":"study",` +
				`"members":[{"m_age":"10","m_note":"school","m_older":"no","rel":"child"},{"m_age":"33","m_older":"no","rel":"spouse"}],` +
				`"photo":"attachments/01.jpg","pre_story":"before","province":"nh","story":"a story","where":"42.0 129.5"}`},
		// Without consent, what it guards goes, then pre_story, which read
		// story (a second round); age_months is NaN and m_older "no"
		// (10 > NaN is false), as XPath has it.
		{"skip rule", func(m map[string]any) { m["consent"] = "no" },
			`{"age_months":"NaN","consent":"no","day":"2026-12-06","hh_size":"2","left":"food other","left_other":"study",` +
				`"members":[{"m_age":"10","m_note":"school","m_older":"no","rel":"child"},{"m_age":"33","m_older":"no","rel":"spouse"}],` +
				`"photo":"attachments/01.jpg","where":"42.0 129.5"}`},
		{"or_other text without other, stale values, empty answers and repeats", func(m map[string]any) {
			m["left"] = "work"
			m["age_months"] = "1"
			m["day"] = "2020-01-01T10:00"
			m["where"] = ""
			m["hh_size"] = "0"
			m["members"] = []any{}
			m["thanks"] = "x"
		}, `{"age":"34","age_months":"408","born":"1990-05-17","consent":"yes","county":"musan","day":"2026-12-06","hh_size":"0","left":"work",` +
			`"photo":"attachments/01.jpg","pre_story":"before","province":"nh","story":"a story"}`},
		{"a repeat's sibling rule", func(m map[string]any) { m["members"].([]any)[0].(map[string]any)["m_age"] = "40" },
			`{"age":"34","age_months":"408","born":"1990-05-17","consent":"yes","county":"musan","day":"2026-12-06","hh_size":"2","left":"food other","left_other":"study",` +
				`"members":[{"m_age":"40","m_older":"yes","rel":"child"},{"m_age":"33","m_older":"no","rel":"spouse"}],` +
				`"photo":"attachments/01.jpg","pre_story":"before","province":"nh","story":"a story","where":"42.0 129.5"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := valid()
			c.change(m)
			in := encode(t, m)
			before, _ := json.Marshal(in)
			got, err := survey.Prepare(f, in, day)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if string(b) != c.want {
				t.Errorf("got\n%s\nwant\n%s", b, c.want)
			}
			if after, _ := json.Marshal(in); string(after) != string(before) {
				t.Errorf("Prepare changed its input")
			}
			if errs := survey.Validate(f, got, day); len(errs) > 0 {
				t.Errorf("the prepared answers do not validate: %v", errs)
			}
		})
	}
	// Prepare refuses what the form does not have.
	for _, bad := range []string{`{"nickname":"x"}`, `{"members":[{"age":"1"}]}`, `{"age":[]}`, `{"members":"1"}`} {
		if _, err := survey.Prepare(f, answers(t, bad), day); !errors.Is(err, survey.ErrPrepare) {
			t.Errorf("%s: %v, want ErrPrepare", bad, err)
		}
	}
	if _, err := survey.Prepare(f, survey.NewAnswers(), "06/12/2026"); !errors.Is(err, survey.ErrPrepare) {
		t.Errorf("a bad day: %v", err)
	}
}

func TestFreeText(t *testing.T) {
	got := slices.Sorted(maps.Keys(survey.FreeText(engineForm())))
	if want := []string{"left_other", "m_note", "pre_story", "story"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCheckRules: each rule about expressions refuses a form that breaks
// it, at the right row and column.
func TestCheckRules(t *testing.T) {
	q := func(f *survey.Form, name string) *survey.Question {
		x, _ := f.Question(name)
		if x == nil {
			t.Fatalf("no question %s", name)
		}
		return x
	}
	for _, c := range []struct {
		name   string
		change func(f *survey.Form)
		row    int
		column string
		msg    string
	}{
		{"a syntax error", func(f *survey.Form) { q(f, "age").Relevant = "${consent} = 'yes" }, 4, "relevant", "at offset 13: a string is not closed"},
		{"an unsupported function", func(f *survey.Form) { q(f, "age").Constraint = "regex(., '^[0-9]+$')" }, 4, "constraint", "regex() is not supported"},
		{"an unknown name", func(f *survey.Form) { q(f, "born").Relevant = "${consnet} = 'yes'" }, 5, "relevant", "${consnet} names no question"},
		{"a group read", func(f *survey.Form) { q(f, "born").Relevant = "${place} = ''" }, 5, "relevant", "${place} is a group"},
		{"a note read", func(f *survey.Form) { q(f, "born").Relevant = "${thanks} = ''" }, 5, "relevant", "${thanks} is a note"},
		{"a repeat read from outside", func(f *survey.Form) { q(f, "story").Relevant = "${m_age} > 3" }, 20, "relevant", "${m_age} is inside the repeat members"},
		{"a repeat's count reads inside it", func(f *survey.Form) { q(f, "members").RepeatCount = "${m_age}" }, 15, "repeat_count", "inside the repeat members"},
		{"a calculation loop", func(f *survey.Form) {
			q(f, "age_months").Calculation = "${m2} * 12"
			f.Survey = append(f.Survey, &survey.Question{Type: survey.Calculate, Name: "m2", Row: 30, Calculation: "${age_months} div 12"})
		}, 12, "calculation", "loop: age_months → m2 → age_months"},
		{"a calculation reads itself", func(f *survey.Form) { q(f, "age_months").Calculation = "${age_months} + 1" }, 12, "calculation", "loop: age_months → age_months"},
		{"a calculate without calculation", func(f *survey.Form) { q(f, "age_months").Calculation = "" }, 12, "calculation", "needs a calculation"},
		{"a calculation on a text", func(f *survey.Form) { q(f, "story").Calculation = "'x'" }, 20, "calculation", "a text question cannot have a calculation"},
		{"a choice filter on a text", func(f *survey.Form) { q(f, "story").ChoiceFilter = "name = 'x'" }, 20, "choice_filter", "cannot have a choice_filter"},
		{"a choice filter's unknown column", func(f *survey.Form) { q(f, "county").ChoiceFilter = "region = ${province}" }, 8, "choice_filter", "the choice list counties has no column region"},
		{"a choice filter's syntax", func(f *survey.Form) { q(f, "county").ChoiceFilter = "province = " }, 8, "choice_filter", "ends where a value is expected"},
		{"a bare name outside a filter", func(f *survey.Form) { q(f, "county").Relevant = "province = 'nh'" }, 8, "relevant", "refer to a question as ${province}"},
		{"a repeat_count on a question", func(f *survey.Form) { q(f, "story").RepeatCount = "2" }, 20, "repeat_count", "cannot have a repeat_count"},
		{"a constraint on a note", func(f *survey.Form) { q(f, "thanks").Constraint = "true()" }, 21, "constraint", "a note question cannot have a constraint"},
		{"an expression as default", func(f *survey.Form) { q(f, "income").Default = "${age} * 2" }, 22, "default", "looks like an expression"},
		{"a function as default", func(f *survey.Form) { q(f, "born").Default = "today()" }, 5, "default", "looks like an expression"},
		{"a default of the wrong type", func(f *survey.Form) { q(f, "age").Default = "many" }, 4, "default", "not a whole number"},
		{"a default that is no choice", func(f *survey.Form) { q(f, "county").Default = "seoul" }, 8, "default", "not a choice of the list counties"},
		{"a default on a calculate", func(f *survey.Form) { q(f, "age_months").Default = "1" }, 12, "default", "cannot have a default"},
		{"or_other's text name taken", func(f *survey.Form) {
			f.Survey = append(f.Survey, &survey.Question{Type: survey.Text, Name: "left_other", Row: 31})
		}, 31, "name", "the name \"left_other\" is already used on row 9"},
		{"or_other's text name taken before", func(f *survey.Form) {
			f.Survey = append([]*survey.Question{{Type: survey.Text, Name: "left_other", Row: 1}}, f.Survey...)
		}, 9, "type", "named left_other, which row 1 already uses"},
		{"repeats nested too deep", func(f *survey.Form) {
			inner := &survey.Question{Type: survey.Text, Name: "deep", Row: 50}
			for i := range survey.MaxDepth + 1 {
				inner = &survey.Question{Type: survey.Repeat, Name: fmt.Sprintf("r%d", i), Row: 40 - i, Children: []*survey.Question{inner}}
			}
			f.Survey = append(f.Survey, inner)
		}, 40, "type", "nested more than 8 deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := engineForm()
			c.change(f)
			err := f.Check()
			var fe *survey.FormError
			if !errors.As(err, &fe) || fe.Sheet != "survey" || fe.Row != c.row || fe.Column != c.column || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("got %v, want survey sheet, row %d, column %s: …%s…", err, c.row, c.column, c.msg)
			}
		})
	}
	// What is allowed: reading outside a repeat from inside, siblings, the
	// or_other text, a calculation from another; a choice default.
	f := engineForm()
	q(f, "m_note").Relevant = "${rel} = 'child' and ${left_other} != '' and ${age_months} > 0"
	q(f, "county").Default = "musan"
	q(f, "left").Default = "food work"
	if err := f.Check(); err != nil {
		t.Error(err)
	}
}

// FuzzPrepare: on any answer set, Prepare refuses it or returns a set that
// it leaves as it is, with no answer to a question that is not asked nor
// to a name the form lacks (whatever else Validate finds); State takes it
// and finds what Validate finds.
func FuzzPrepare(f *testing.F) {
	b, _ := json.Marshal(valid())
	f.Add(string(b))
	f.Add(`{"consent":"no","age":"3","pre_story":"x","story":"y","left":"work","left_other":"z"}`)
	f.Add(`{"consent":"yes","hh_size":"1","members":[{"rel":"child","m_age":"4","m_note":"n"},{}]}`)
	f.Add(`{"age":"1","members":[{"age":"1"}]}`)
	form := engineForm()
	f.Fuzz(func(t *testing.T, s string) {
		var a survey.Answers
		if json.Unmarshal([]byte(s), &a) != nil {
			return
		}
		p, err := survey.Prepare(form, &a, day)
		if err != nil {
			if !errors.Is(err, survey.ErrPrepare) {
				t.Fatalf("%v is not ErrPrepare", err)
			}
			return
		}
		st, err := survey.State(form, &a, day)
		if err != nil {
			t.Fatalf("%s: Prepare takes it, State refuses it: %v", s, err)
		}
		if got, want := problems(st.Problems), problems(survey.Validate(form, p, day)); got != want {
			t.Fatalf("%s: State's problems\n%s\nValidate's\n%s", s, got, want)
		}
		for _, e := range survey.Validate(form, p, day) {
			if strings.Contains(e.Msg, "not asked") || strings.Contains(e.Msg, "has no question") || strings.Contains(e.Msg, "is not \"other\"") {
				t.Fatalf("%s: prepared answers still have %v", s, e)
			}
		}
		again, err := survey.Prepare(form, p, day)
		if err != nil {
			t.Fatal(err)
		}
		b1, _ := json.Marshal(p)
		b2, _ := json.Marshal(again)
		if string(b1) != string(b2) {
			t.Fatalf("%s: Prepare is not idempotent:\n%s\n%s", s, b1, b2)
		}
	})
}
