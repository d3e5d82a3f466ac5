package survey_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"testimony/internal/survey"
)

// TestState: the page state says, question by question, what the engine
// decides: what is asked (relevant, through groups and repeats), required
// (a required expression), offered (choice_filter), computed, counted
// (repeat_count), and what is wrong.
func TestState(t *testing.T) {
	f := engineForm()
	q := func(name string) *survey.Question { x, _ := f.Question(name); return x }
	q("story").Required = "${age} > 60"
	q("m_age").Default = "1"
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		check  func(t *testing.T, st *survey.PageState)
	}{
		{"valid", func(m map[string]any) {}, func(t *testing.T, st *survey.PageState) {
			want(t, st, "age", "relevant=true required=true value=34 problems=0")
			want(t, st, "story", "relevant=true required=false value=a story problems=0")
			want(t, st, "county", "relevant=true required=false value=musan problems=0 offered=musan,hoeryong")
			want(t, st, "province", "relevant=true required=false value=nh problems=0 offered=nh,ry")
			want(t, st, "left", "relevant=true required=false value=food other problems=0 offered=food,work,family,other")
			want(t, st, "left_other", "relevant=true required=false value=study problems=0")
			want(t, st, "age_months", "relevant=true required=false value=408 problems=0")
			want(t, st, "day", "relevant=true required=false value="+day+" problems=0")
			want(t, st, "members", "relevant=true required=false value= problems=0 count=2")
			want(t, st, "members[1]/m_note", "relevant=true required=false value=school problems=0")
			want(t, st, "members[2]/m_note", "relevant=false required=false value= problems=0")
			want(t, st, "members[2]/m_older", "relevant=true required=false value=no problems=0")
			// The pass adding one would make: the defaults, the rules
			// read in it.
			want(t, st, "members[+]/m_age", "relevant=true required=false value=1 problems=0")
			want(t, st, "members[+]/m_note", "relevant=false required=false value= problems=0")
			want(t, st, "members[+]/rel", "relevant=true required=false value= problems=0 offered=spouse,child,parent")
		}},
		{"a required expression, a filter and a count follow the answers", func(m map[string]any) {
			m["age"] = "70"
			m["province"] = "ry"
			m["county"] = "musan"
			m["hh_size"] = "3"
		}, func(t *testing.T, st *survey.PageState) {
			want(t, st, "story", "relevant=true required=true value=a story problems=0")
			want(t, st, "county", "relevant=true required=false value=musan problems=1 offered=hyesan")
			want(t, st, "members", "relevant=true required=false value= problems=1 count=3")
		}},
		{"a required question, empty", func(m map[string]any) { m["age"] = "70"; delete(m, "story") }, func(t *testing.T, st *survey.PageState) {
			want(t, st, "story", "relevant=true required=true value= problems=1")
		}},
		{"a constraint broken", func(m map[string]any) { m["age"] = "12" }, func(t *testing.T, st *survey.PageState) {
			want(t, st, "age", "relevant=true required=true value=12 problems=1")
			if msg := st.Questions["age"].Problems[0].Message["en"]; msg != "Adults only" {
				t.Errorf("the constraint's problem says %q", msg)
			}
		}},
		{"a skip rule: a group and what reads it", func(m map[string]any) { m["consent"] = "no" }, func(t *testing.T, st *survey.PageState) {
			want(t, st, "age", "relevant=false required=false value= problems=0")
			want(t, st, "place", "relevant=false required=false value= problems=0")
			want(t, st, "county", "relevant=false required=false value= problems=0 offered=")
			want(t, st, "story", "relevant=false required=false value= problems=0")
			want(t, st, "pre_story", "relevant=false required=false value= problems=0")
			want(t, st, "age_months", "relevant=true required=false value=NaN problems=0")
		}},
		{"other not chosen", func(m map[string]any) { m["left"] = "work" }, func(t *testing.T, st *survey.PageState) {
			want(t, st, "left_other", "relevant=false required=false value= problems=0")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := valid()
			c.change(m)
			st, err := survey.State(f, encode(t, m), day)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, st)
		})
	}
	if _, err := survey.State(f, answers(t, `{"nickname":"x"}`), day); err == nil {
		t.Error("State took an answer the form does not have")
	}
}

// want checks the state of the question at path, written as the test
// writes it.
func want(t *testing.T, st *survey.PageState, path, s string) {
	t.Helper()
	qs := st.Questions[path]
	if qs == nil {
		t.Errorf("%s: no state", path)
		return
	}
	got := fmt.Sprintf("relevant=%v required=%v value=%s problems=%d", qs.Relevant, qs.Required, qs.Value, len(qs.Problems))
	if qs.Offered != nil {
		got += " offered=" + strings.Join(qs.Offered, ",")
	}
	if qs.Count >= 0 {
		got += fmt.Sprintf(" count=%d", qs.Count)
	}
	if got != s {
		t.Errorf("%s: got %s, want %s", path, got, s)
	}
}

// TestStateAgrees: over a table of answer sets, State agrees with Prepare
// and Validate: its problems are Validate's of Prepare's result; a
// question it says is not asked has no answer there, one it says is
// asked and required without an answer is the problem "required"; the
// value of each calculation asked is the one Prepare keeps; a choice it
// offers, given as the answer, is not refused as not offered, and one it
// does not offer is; a repeat's count is what Validate holds the passes
// to.
func TestStateAgrees(t *testing.T) {
	f := engineForm()
	q := func(name string) *survey.Question { x, _ := f.Question(name); return x }
	q("story").Required = "${age} > 60"
	q("born").Required = "${hh_size} != ''"
	sets := []string{`{}`, `{"consent":"no","age":"3","pre_story":"x","story":"y","left":"work","left_other":"z"}`,
		`{"consent":"yes","hh_size":"1","members":[{"rel":"child","m_age":"4","m_note":"n"},{}]}`,
		`{"consent":"yes","age":"70","province":"ry","county":"musan","left":"other","hh_size":"x"}`,
		`{"consent":"yes","age":"17","born":"2030-01-01","province":"nh","county":"hoeryong","hh_size":"1","members":[{"rel":"child","m_age":"200"}]}`}
	for _, change := range []func(m map[string]any){
		func(m map[string]any) {},
		func(m map[string]any) { m["age"] = "12"; m["province"] = "ry" },
		func(m map[string]any) { m["consent"] = "no" },
		func(m map[string]any) { m["age"] = "99"; delete(m, "story"); m["hh_size"] = "1" },
	} {
		m := valid()
		change(m)
		b, _ := json.Marshal(m)
		sets = append(sets, string(b))
	}
	for _, s := range sets {
		a := answers(t, s)
		st, err := survey.State(f, a, day)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		p, err := survey.Prepare(f, a, day)
		if err != nil {
			t.Fatal(err)
		}
		pj, _ := json.Marshal(p)
		if sj, _ := json.Marshal(st.Prepared); string(sj) != string(pj) {
			t.Errorf("%s: State prepared\n%s\nPrepare\n%s", s, sj, pj)
		}
		if got, want := problems(st.Problems), problems(survey.Validate(f, p, day)); got != want {
			t.Errorf("%s: State's problems\n%s\nValidate's\n%s", s, got, want)
		}
		for path, qs := range st.Questions {
			if strings.Contains(path, survey.NewPass) {
				continue
			}
			target, name := at(p, path)
			if name == "" {
				t.Fatalf("%s: the path %s does not parse", s, path)
			}
			given := target != nil && target.Values[name] != ""
			switch typ := qs.Question.Type; {
			case !qs.Relevant && given:
				t.Errorf("%s: %s is not asked, but Prepare keeps its answer", s, path)
			case typ == survey.Calculate && qs.Relevant && qs.Value != "" && target.Values[name] != qs.Value:
				t.Errorf("%s: %s is %q, Prepare keeps %q", s, path, qs.Value, target.Values[name])
			case qs.Required && !given && !has(st.Problems, path, "is required"):
				t.Errorf("%s: %s is required and empty, but Validate does not say so", s, path)
			case !qs.Required && has(st.Problems, path, "is required"):
				t.Errorf("%s: %s is not required, but Validate says it is", s, path)
			case typ == survey.Repeat && qs.Count >= 0 && has(st.Problems, path, "must be answered") == (len(target.Repeats[name]) == qs.Count):
				t.Errorf("%s: %s counts %d passes, and Validate disagrees", s, path, qs.Count)
			}
			if !qs.Question.Type.IsSelect() || !qs.Relevant || name != qs.Question.Name {
				continue
			}
			// Each choice, given as the answer.
			for _, c := range append(slices.Clone(f.Choices[qs.Question.List]), survey.Choice{Name: survey.OtherChoice}) {
				if c.Name == survey.OtherChoice && !qs.Question.OrOther {
					continue
				}
				try := answers(t, string(pj))
				tt, _ := at(try, path)
				tt.Values[name] = c.Name
				refused := has(survey.Validate(f, try, day), path, "not offered")
				if refused == qs.Offers(c.Name) {
					t.Errorf("%s: %s offers %s: %v, but Validate refuses it: %v", s, path, c.Name, qs.Offers(c.Name), refused)
				}
			}
		}
	}
}

func problems(errs []*survey.AnswerError) string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Path+": "+e.Msg)
	}
	return strings.Join(out, "\n")
}

func has(errs []*survey.AnswerError, path, msg string) bool {
	return slices.ContainsFunc(errs, func(e *survey.AnswerError) bool { return e.Path == path && strings.Contains(e.Msg, msg) })
}

// at returns the answer set a path is in ("members[2]/m_age": the second
// pass of members) and the name there; nil if the pass is not there.
func at(a *survey.Answers, path string) (*survey.Answers, string) {
	parts := strings.Split(path, "/")
	for _, seg := range parts[:len(parts)-1] {
		rep, n, ok := strings.Cut(strings.TrimSuffix(seg, "]"), "[")
		var i int
		if _, err := fmt.Sscan(n, &i); !ok || err != nil {
			return nil, ""
		}
		if a == nil || i > len(a.Repeats[rep]) {
			return nil, parts[len(parts)-1]
		}
		a = a.Repeats[rep][i-1]
	}
	return a, parts[len(parts)-1]
}
