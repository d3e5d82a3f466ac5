package survey

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"testimony/internal/survey/expr"
)

// The form engine: the rules of a form applied to an answer set, as the
// desk applies them before sealing. The desk's browser evaluates the same
// expressions (desk/static/expr.js) to show the form as it is filled; what
// is sealed is decided here. A page built without the browser's evaluator
// (the desk without JavaScript) asks State, which records what the walk
// of Validate decides, question by question.
//
// # How expressions see the answers
//
//   - ${name} is the answer to name, "" when there is none. Every answer is
//     a string (package expr converts).
//   - Inside a repeat, ${sibling} is the answer in the same pass, and a
//     question outside the repeat is read from the pass (or the top) around
//     it. A question inside a repeat cannot be read from outside it: Check
//     refuses such forms (there is no count() or sum()).
//   - . is the question's own answer, in every column of the question.
//   - A calculate question's value is its calculation, computed when it is
//     read, whether or not it is relevant; a metadata question's (start,
//     end, today) is the interview's day. Answers given for them are
//     ignored by Validate and replaced by Prepare.
//   - A question is relevant when its relevant expression is true (or
//     empty) and the groups and repeats around it are relevant.
//   - In a choice_filter, a bare name is a column of the choice being
//     filtered: name, or one of the list's other columns (province); the
//     choice "other" of an or_other select is never filtered out.
//   - A constraint is checked only on an answer that is not empty; required
//     only on a relevant question.

// AnswerError is an answer that breaks the form's rules.
type AnswerError struct {
	// Name is the question's name (for an unknown answer, the name given).
	Name string
	// Path locates the answer: "age" at the top, "household[2]/age" in the
	// second pass of the repeat household.
	Path string
	// Row is the question's row in the survey sheet, 0 if none.
	Row int
	// Msg says what is wrong, in English.
	Msg string
	// Message is the form's own message for it (constraint_message,
	// required_message) in its languages, if it has one.
	Message Localized
}

func (e *AnswerError) Error() string { return e.Path + ": " + e.Msg }

// attachmentPattern is how a sealed file names an attachment (as package
// envelope does).
var attachmentPattern = regexp.MustCompile(`^attachments/[0-9]{2,5}(\.[a-z0-9]{1,10})?$`)

// ErrPrepare is wrapped by the errors of Prepare.
var ErrPrepare = errors.New("failed to prepare the answers")

// engine holds a form's parsed expressions and where each name lives.
type engine struct {
	f     *Form
	today string
	// byName is the question each answer name belongs to (an or_other's
	// text belongs to its select), other marks the or_other texts, and
	// repeatOf is the repeat each name is in (nil outside repeats).
	byName   map[string]*Question
	other    map[string]bool
	repeatOf map[string]*Question
	parsed   map[string]*expr.Expr // by column and source
	columns  map[string]map[string]bool
}

// newEngine parses the form's expressions. The form must pass Check.
func newEngine(f *Form, today string) (*engine, error) {
	e := &engine{f: f, today: today, byName: map[string]*Question{}, other: map[string]bool{},
		repeatOf: map[string]*Question{}, parsed: map[string]*expr.Expr{}, columns: choiceColumns(f)}
	err := f.Walk(func(q, r *Question) error {
		e.byName[q.Name], e.repeatOf[q.Name] = q, r
		if q.OrOther {
			e.byName[OtherName(q)], e.repeatOf[OtherName(q)], e.other[OtherName(q)] = q, r, true
		}
		for _, c := range expressionColumns(q) {
			if c.src == "" {
				continue
			}
			x, err := parseColumn(c.name, c.src)
			if err != nil {
				return &FormError{Sheet: "survey", Row: q.Row, Column: c.name, Msg: err.Error()}
			}
			e.parsed[c.name+"\x00"+c.src] = x
		}
		return nil
	})
	return e, err
}

// expressionColumn is one expression of a question.
type expressionColumn struct{ name, src string }

func expressionColumns(q *Question) []expressionColumn {
	return []expressionColumn{
		{"relevant", q.Relevant}, {"required", q.Required}, {"constraint", q.Constraint},
		{"calculation", q.Calculation}, {"choice_filter", q.ChoiceFilter},
		{"repeat_count", q.RepeatCount}, {"read_only", q.ReadOnly},
	}
}

func parseColumn(column, src string) (*expr.Expr, error) {
	if column == "choice_filter" {
		return expr.ParseFilter(src)
	}
	return expr.Parse(src)
}

// choiceColumns returns, by list name, the columns a choice filter may
// read: name and the list's other columns.
func choiceColumns(f *Form) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for list, choices := range f.Choices {
		cols := map[string]bool{"name": true}
		for _, c := range choices {
			for k := range c.Extra {
				cols[k] = true
			}
		}
		out[list] = cols
	}
	return out
}

func (e *engine) expr(column, src string) *expr.Expr { return e.parsed[column+"\x00"+src] }

// scope is an answer set as expressions see it: one pass of a repeat (or
// the top), inside the passes around it.
type scope struct {
	e      *engine
	a      *Answers
	repeat *Question // nil at the top
	parent *scope
	self   string
	calc   map[string]string // computed calculations of this pass
	depth  int               // calculations being computed, a guard against loops
}

func (s *scope) Self() string  { return s.self }
func (s *scope) Today() string { return s.e.today }

// Lookup implements expr.Env.
func (s *scope) Lookup(name string) (string, bool) {
	q, ok := s.e.byName[name]
	if !ok {
		return "", false
	}
	rep := s.e.repeatOf[name]
	sc := s
	for sc != nil && sc.repeat != rep {
		sc = sc.parent
	}
	if sc == nil {
		return "", true // inside a repeat this scope is not in; Check refuses it
	}
	switch {
	case s.e.other[name]:
		return sc.a.Get(name), true
	case q.Type == Calculate:
		return sc.calculate(q, s.depth), true
	case q.Type.IsMeta():
		return s.e.today, true
	}
	return sc.a.Get(name), true
}

// calculate returns the value of the calculation q in this pass, "" if it
// cannot be computed.
func (s *scope) calculate(q *Question, depth int) string {
	if v, ok := s.calc[q.Name]; ok {
		return v
	}
	x := s.e.expr("calculation", q.Calculation)
	if x == nil || depth > 64 {
		return ""
	}
	sub := *s
	sub.self, sub.depth = s.a.Get(q.Name), depth+1
	v, err := x.EvalString(&sub)
	if err != nil {
		v = ""
	}
	s.calc[q.Name] = v
	return v
}

// with returns s evaluating for the question name (its answer is .).
func (s *scope) with(name string) *scope {
	sub := *s
	sub.self = s.a.Get(name)
	return &sub
}

// enter returns the scope of the pass a of the repeat q.
func (s *scope) enter(q *Question, a *Answers) *scope {
	return &scope{e: s.e, a: a, repeat: q, parent: s, calc: map[string]string{}}
}

// top returns the scope of the top of the answer set a.
func (e *engine) top(a *Answers) *scope { return &scope{e: e, a: a, calc: map[string]string{}} }

// filterScope is the scope of a choice filter: it also reads the columns
// of the choice c of list.
type filterScope struct {
	*scope
	list string
	c    Choice
}

func (s filterScope) Column(name string) (string, bool) {
	if !s.e.columns[s.list][name] {
		return "", false
	}
	if name == "name" {
		return s.c.Name, true
	}
	return s.c.Extra[name], true
}

// test evaluates the column of q as a boolean; dflt when the column is
// empty.
func (s *scope) test(q *Question, column, src string, dflt bool) (bool, error) {
	if src == "" {
		return dflt, nil
	}
	x := s.e.expr(column, src)
	if x == nil {
		return false, fmt.Errorf("the %s expression was not checked", column)
	}
	return x.EvalBool(s.with(q.Name))
}

// offered reports whether the choice c of q's list passes q's filter.
func (s *scope) offered(q *Question, c Choice) (bool, error) {
	if q.ChoiceFilter == "" {
		return true, nil
	}
	x := s.e.expr("choice_filter", q.ChoiceFilter)
	if x == nil {
		return false, errors.New("the choice_filter expression was not checked")
	}
	return x.EvalBool(filterScope{scope: s.with(q.Name), list: q.List, c: c})
}

// repeatCount returns how many passes the repeat_count of q asks for.
func (s *scope) repeatCount(q *Question) (int, error) {
	x := s.e.expr("repeat_count", q.RepeatCount)
	if x == nil {
		return 0, errors.New("the repeat_count expression was not checked")
	}
	v, err := x.Eval(s.with(q.Name))
	if err != nil {
		return 0, err
	}
	n := math.Trunc(v.Number())
	if !(n > 0) {
		return 0, nil
	}
	if n > MaxRepeats {
		return 0, fmt.Errorf("it asks for %s passes, more than %d", expr.FormatNumber(n), MaxRepeats)
	}
	return int(n), nil
}

// level returns the names answered at one level of an answer set: the
// questions of qs and of the groups among them (not inside repeats), and
// the repeats among them.
func level(qs []*Question) (values, repeats map[string]*Question) {
	values, repeats = map[string]*Question{}, map[string]*Question{}
	var walk func(qs []*Question)
	walk = func(qs []*Question) {
		for _, q := range qs {
			switch q.Type {
			case Group:
				walk(q.Children)
			case Repeat:
				repeats[q.Name] = q
			default:
				values[q.Name] = q // notes too, to refuse their answers by name
				if q.OrOther {
					values[OtherName(q)] = q
				}
			}
		}
	}
	walk(qs)
	return values, repeats
}

// Validate checks a complete answer set to f, as the desk must before
// sealing, on the interview's day today (YYYY-MM-DD), and returns every
// problem in form order: answers to names the form does not have (or not
// at that place), to questions that are not relevant, to notes; required
// questions without an answer; answers that are not of the question's
// type (integer, decimal, date YYYY-MM-DD, geopoint "lat lon [alt [acc]]",
// a choice of the list that its choice_filter offers or "other" for an
// or_other select, an attachment named attachments/NN.ext, UTF-8 text of
// at most MaxAnswerSize bytes); constraints that are false; repeats
// answered more than MaxRepeats times, or not as many times as their
// repeat_count says, or nested deeper than MaxDepth. Answers to calculate
// and metadata questions are not checked: Prepare replaces them.
//
// Validate refuses an answer to a question that is not relevant; Prepare
// removes them. A desk that keeps what the person answered before a skip
// rule changed validates Prepare's result.
func Validate(f *Form, a *Answers, today string) []*AnswerError {
	e, err := newEngine(f, today)
	if err != nil {
		return []*AnswerError{{Msg: "the form does not check: " + err.Error()}}
	}
	if _, ok := expr.Days(today); !ok {
		return []*AnswerError{{Name: "today", Path: "today", Msg: fmt.Sprintf("the interview's day %q is not a date YYYY-MM-DD", today)}}
	}
	if a == nil {
		a = NewAnswers()
	}
	return e.validate(a, nil)
}

// validate checks a and returns its problems; with st, it also records
// the state of every question walked into st (State).
func (e *engine) validate(a *Answers, st *PageState) []*AnswerError {
	v := &validator{e: e, st: st}
	v.level(e.f.Survey, e.top(a), "", true, 0)
	return v.errs
}

// validator walks an answer set with the form's rules. Validate and
// State share it: one walk decides what is asked, required, offered and
// wrong, and State only records what the walk decided.
type validator struct {
	e    *engine
	errs []*AnswerError
	// st, when not nil, receives the state of every question walked.
	st *PageState
}

// record returns the state of the question q at path, added to v.st; nil
// without v.st.
func (v *validator) record(q *Question, path string, relevant bool) *QuestionState {
	if v.st == nil {
		return nil
	}
	qs := &QuestionState{Question: q, Path: path, Relevant: relevant, Count: -1}
	v.st.Questions[path] = qs
	return qs
}

func (v *validator) add(q *Question, path, format string, args ...any) *AnswerError {
	err := &AnswerError{Name: q.Name, Path: path, Row: q.Row, Msg: fmt.Sprintf(format, args...)}
	v.errs = append(v.errs, err)
	return err
}

// level checks the answer set s.a of the questions qs (the top, or one
// pass of a repeat); prefix is its path ("" or "household[2]/").
func (v *validator) level(qs []*Question, s *scope, prefix string, relevant bool, depth int) {
	values, repeats := level(qs)
	for _, name := range s.a.Names() {
		_, isValue := s.a.Values[name]
		q, known := values[name]
		if !isValue {
			q, known = repeats[name]
		}
		switch {
		case known && q.Type == Note:
			v.add(q, prefix+name, "a note has no answer")
		case known:
			continue
		case isValue && repeats[name] != nil:
			v.add(repeats[name], prefix+name, "%s is a repeat: its answers are a list of passes, not one answer", name)
		case !isValue && values[name] != nil:
			v.add(values[name], prefix+name, "%s is a question, not a repeat", name)
		default:
			where := "the form"
			if s.repeat != nil {
				where = "the repeat " + s.repeat.Name
			}
			v.errs = append(v.errs, &AnswerError{Name: name, Path: prefix + name, Msg: fmt.Sprintf("%s has no question named %s", where, name)})
		}
	}
	v.questions(qs, s, prefix, relevant, depth)
}

func (v *validator) questions(qs []*Question, s *scope, prefix string, relevant bool, depth int) {
	for _, q := range qs {
		path := prefix + q.Name
		rel := relevant
		if rel {
			ok, err := s.test(q, "relevant", q.Relevant, true)
			if err != nil {
				v.add(q, path, "the form's relevant rule could not be evaluated: %v", err)
			}
			rel = ok && err == nil
		}
		st := v.record(q, path, rel)
		switch {
		case q.Type == Group:
			v.questions(q.Children, s, prefix, rel, depth)
		case q.Type == Repeat:
			v.repeat(q, s, path, rel, depth, st)
		case q.Type == Calculate || q.Type.IsMeta():
			if st != nil {
				st.Value, _ = s.Lookup(q.Name)
			}
		case q.Type == Note:
		default:
			v.answer(q, s, path, rel, st)
		}
	}
}

func (v *validator) repeat(q *Question, s *scope, path string, relevant bool, depth int, st *QuestionState) {
	passes := s.a.Repeats[q.Name]
	if v.st != nil && depth+1 <= MaxDepth {
		// The pass that adding one would make: the form's defaults, as
		// if the repeat were asked. Its problems are nobody's yet.
		blank := &validator{e: v.e, st: v.st}
		blank.level(q.Children, s.enter(q, Defaults(q.Children)), path+NewPass+"/", true, depth+1)
	}
	switch {
	case !relevant:
		if len(passes) > 0 {
			v.add(q, path, "the repeat %s is answered, but it is not asked (its relevant rule is false)", q.Name)
		}
		return
	case depth+1 > MaxDepth:
		v.add(q, path, "repeats are nested deeper than %d", MaxDepth)
		return
	case len(passes) > MaxRepeats:
		v.add(q, path, "the repeat %s is answered %d times, more than %d", q.Name, len(passes), MaxRepeats)
		return
	}
	if q.RepeatCount != "" {
		n, err := s.repeatCount(q)
		switch {
		case err != nil:
			v.add(q, path, "the form's repeat_count could not be evaluated: %v", err)
		case n != len(passes):
			v.add(q, path, "the repeat %s must be answered %d times (its repeat_count), not %d", q.Name, n, len(passes))
		}
		if st != nil && err == nil {
			st.Count = n
		}
	}
	for i, pass := range passes {
		if pass == nil {
			pass = NewAnswers()
		}
		v.level(q.Children, s.enter(q, pass), fmt.Sprintf("%s[%d]/", path, i+1), true, depth+1)
	}
}

// answer checks the answer to the question q and, for an or_other select,
// the text of "other".
func (v *validator) answer(q *Question, s *scope, path string, relevant bool, st *QuestionState) {
	val, given := s.a.Values[q.Name]
	given = given && val != ""
	if q.OrOther {
		defer v.other(q, s, path, relevant && given && slices.Contains(strings.Split(val, " "), OtherChoice))
	}
	if st != nil && q.Type.IsSelect() {
		st.Offered = v.offered(q, s)
	}
	if !relevant {
		if given {
			v.add(q, path, "%s is answered, but it is not asked (its relevant rule is false)", q.Name)
		}
		return
	}
	req, err := s.test(q, "required", q.Required, false)
	if st != nil {
		st.Value, st.Required = val, req && err == nil
	}
	if !given {
		switch {
		case err != nil:
			v.add(q, path, "the form's required rule could not be evaluated: %v", err)
		case req:
			v.add(q, path, "%s is required", q.Name).Message = q.RequiredMessage
		}
		return
	}
	if err := v.typed(q, s, val); err != nil {
		v.add(q, path, "%v", err)
		return
	}
	ok, err := s.test(q, "constraint", q.Constraint, true)
	switch {
	case err != nil:
		v.add(q, path, "the form's constraint could not be evaluated: %v", err)
	case !ok:
		v.add(q, path, "the answer to %s breaks the form's constraint %s", q.Name, q.Constraint).Message = q.ConstraintMessage
	}
}

// offered returns the names of the choices of the select q that its
// choice filter offers in s, in the list's order, "other" last for an
// or_other select. A choice whose filter cannot be evaluated is not
// offered: Validate would refuse it.
func (v *validator) offered(q *Question, s *scope) []string {
	out := []string{}
	for _, c := range v.e.f.Choices[q.List] {
		if ok, err := s.offered(q, c); ok && err == nil {
			out = append(out, c.Name)
		}
	}
	if q.OrOther {
		out = append(out, OtherChoice)
	}
	return out
}

// other checks the text of "other" of the or_other select q, asked when
// "other" is chosen.
func (v *validator) other(q *Question, s *scope, path string, asked bool) {
	name := OtherName(q)
	val := s.a.Values[name]
	path = strings.TrimSuffix(path, q.Name) + name
	if st := v.record(q, path, asked); st != nil && asked {
		st.Value = val
	}
	switch {
	case !asked && val != "":
		v.errs = append(v.errs, &AnswerError{Name: name, Path: path, Row: q.Row, Msg: fmt.Sprintf("%s is answered, but %s is not %q", name, q.Name, OtherChoice)})
	case asked:
		if err := checkText(val); err != nil {
			v.errs = append(v.errs, &AnswerError{Name: name, Path: path, Row: q.Row, Msg: err.Error()})
		}
	}
}

// typed checks that val is an answer of q's type and, for a select, that
// q's choice filter offers it.
func (v *validator) typed(q *Question, s *scope, val string) error {
	if err := checkType(v.e.f, q, val); err != nil {
		return err
	}
	if !q.Type.IsSelect() || q.ChoiceFilter == "" {
		return nil
	}
	for _, name := range strings.Split(val, " ") {
		if name == OtherChoice && q.OrOther {
			continue
		}
		c, _ := v.e.f.Choice(q.List, name)
		ok, err := s.offered(q, c)
		if err != nil {
			return fmt.Errorf("the form's choice_filter could not be evaluated: %v", err)
		}
		if !ok {
			return fmt.Errorf("the choice %q is not offered here (the form's choice_filter leaves it out)", name)
		}
	}
	return nil
}

func checkText(val string) error {
	if len(val) > MaxAnswerSize || !utf8.ValidString(val) {
		return fmt.Errorf("the answer is longer than %d bytes or not text", MaxAnswerSize)
	}
	return nil
}

var (
	integerPattern = regexp.MustCompile(`^-?[0-9]{1,18}$`)
	decimalPattern = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
)

// checkType checks that val, not empty, is an answer of q's type.
func checkType(f *Form, q *Question, val string) error {
	if err := checkText(val); err != nil {
		return err
	}
	switch q.Type {
	case Integer:
		if !integerPattern.MatchString(val) {
			return fmt.Errorf("%q is not a whole number (digits, at most 18, with an optional -)", val)
		}
	case Decimal:
		if !decimalPattern.MatchString(val) || len(val) > 64 {
			return fmt.Errorf("%q is not a number (digits with an optional - and decimal point)", val)
		}
	case Date:
		if _, ok := expr.Days(val); !ok {
			return fmt.Errorf("%q is not a date YYYY-MM-DD", val)
		}
	case Geopoint:
		return checkGeopoint(val)
	case SelectOne, SelectMultiple:
		names := strings.Split(val, " ")
		if q.Type == SelectOne && len(names) > 1 {
			return fmt.Errorf("%q is more than one choice", val)
		}
		seen := map[string]bool{}
		for _, name := range names {
			if name == "" {
				return fmt.Errorf("%q must be choice names separated by single spaces", val)
			}
			if seen[name] {
				return fmt.Errorf("the choice %q is given twice", name)
			}
			seen[name] = true
			if _, ok := f.Choice(q.List, name); !ok && (name != OtherChoice || !q.OrOther) {
				return fmt.Errorf("%q is not a choice of the list %s", name, q.List)
			}
		}
	case Image, Audio, Video, File:
		if !attachmentPattern.MatchString(val) {
			return fmt.Errorf("%q does not name an attachment of the sealed file (attachments/NN.ext)", val)
		}
	}
	return nil
}

// checkGeopoint checks "lat lon [alt [accuracy]]".
func checkGeopoint(val string) error {
	parts := strings.Split(val, " ")
	bad := fmt.Errorf("%q is not a point \"latitude longitude [altitude [accuracy]]\" in degrees and metres", val)
	if len(parts) < 2 || len(parts) > 4 {
		return bad
	}
	var n [4]float64
	for i, p := range parts {
		if !decimalPattern.MatchString(p) || len(p) > 32 {
			return bad
		}
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return bad
		}
		n[i] = f
	}
	switch {
	case n[0] < -90 || n[0] > 90:
		return fmt.Errorf("the latitude %s is not between -90 and 90", parts[0])
	case n[1] < -180 || n[1] > 180:
		return fmt.Errorf("the longitude %s is not between -180 and 180", parts[1])
	case len(parts) == 4 && n[3] < 0:
		return fmt.Errorf("the accuracy %s is negative", parts[3])
	}
	return nil
}

// Prepare returns what is sealed of the answer set a to f on the day today
// (YYYY-MM-DD): a new answer set without the answers to questions that
// are not relevant (decided again as answers are removed, until nothing
// changes) and without empty answers or repeats, with every relevant
// calculation computed and the metadata questions (start, end, today) set
// to the day, never a time. Defaults are not applied: they are for the
// page. Prepare refuses (ErrPrepare) an answer set that names what the
// form does not have, or nests too deep; it does not check the answers
// themselves: Validate does, on Prepare's result.
func Prepare(f *Form, a *Answers, today string) (*Answers, error) {
	e, err := newEngine(f, today)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPrepare, err)
	}
	if _, ok := expr.Days(today); !ok {
		return nil, fmt.Errorf("%w: the interview's day %q is not a date YYYY-MM-DD", ErrPrepare, today)
	}
	if a == nil {
		a = NewAnswers()
	}
	return e.prepare(a)
}

func (e *engine) prepare(a *Answers) (*Answers, error) {
	out, err := clone(e.f.Survey, a, 0)
	if err != nil {
		return nil, err
	}
	// Each round removes at least one answer, or is the last.
	for {
		p := &pruner{e: e}
		p.level(e.f.Survey, e.top(out), true)
		if !p.changed {
			break
		}
	}
	fill(e.f.Survey, e.top(out))
	return out, nil
}

// NewPass is the pass index in the paths of a PageState that names the
// pass adding one to a repeat would make: "household[+]/age".
const NewPass = "[+]"

// PageState is how a form stands for an answer set, question by question:
// what a page showing the form shows, hides, requires and offers, and what
// is wrong. State computes it with the walk Validate makes, over what
// Prepare makes of the answers, so that a page built from it agrees with
// what sealing accepts.
type PageState struct {
	// Questions holds the state of every question, note, group and
	// repeat, and of the "other" text of each or_other select, by path
	// as AnswerError.Path writes it: "age", "household[2]/age",
	// "needs_other". The passes of a repeat that is not asked are not
	// in it (Prepare drops them). Each repeat also has the questions of
	// the pass adding one would make (started with the form's
	// defaults), at "household[+]/age" (see NewPass), evaluated as if
	// the repeat were asked.
	Questions map[string]*QuestionState
	// Problems are every problem of the answers, in form order: exactly
	// what Validate returns for Prepared.
	Problems []*AnswerError
	// Prepared is Prepare's result: the answers the rules read. An answer
	// to a question that is not asked counts as none.
	Prepared *Answers
}

// QuestionState is the state of one question (note, group, repeat) of an
// answer set.
type QuestionState struct {
	// Question is the question; for the "other" text of an or_other
	// select, the select.
	Question *Question
	Path     string
	// Relevant reports whether it is asked: its relevant rule and those
	// of every group and repeat around it are true (or empty). For an
	// "other" text: its select is asked and "other" is chosen.
	Relevant bool
	// Required reports whether it is asked and its required rule is true.
	Required bool
	// Offered is, for a select, the names of the choices its
	// choice_filter offers, in the list's order, with "other" last for an
	// or_other select; every choice without a filter. Nil for other types.
	Offered []string
	// Value is what the rules read: the answer to a question that is
	// asked, the value of a calculation (computed whether or not it is
	// asked), the day for start, end and today.
	Value string
	// Count is, for a repeat asked whose repeat_count could be evaluated,
	// how many passes it asks for; -1 otherwise.
	Count int
	// Problems are the problems Validate finds with this question, its
	// answer or (for a repeat) its passes.
	Problems []*AnswerError
}

// Offers reports whether the choice name is offered: always for a state
// that is not of a select.
func (qs *QuestionState) Offers(name string) bool {
	return qs.Offered == nil || slices.Contains(qs.Offered, name)
}

// State returns the state of the answer set a to f on the day today
// (YYYY-MM-DD), for a page that shows the form: for every question, group
// and repeat (see PageState), whether it is asked, whether it is required
// (its required expression evaluated), which choices are offered
// (choice_filter), the value of calculations, how many passes a repeat's
// repeat_count asks for, and what is wrong with the answer given. It is
// Prepare followed by Validate, with the state of each question recorded
// on the way; it refuses what Prepare refuses. A file answer is checked as
// Validate checks it (attachments/NN.ext): a caller holding other
// references gets a problem for each.
func State(f *Form, a *Answers, today string) (*PageState, error) {
	e, err := newEngine(f, today)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPrepare, err)
	}
	if _, ok := expr.Days(today); !ok {
		return nil, fmt.Errorf("%w: the interview's day %q is not a date YYYY-MM-DD", ErrPrepare, today)
	}
	if a == nil {
		a = NewAnswers()
	}
	p, err := e.prepare(a)
	if err != nil {
		return nil, err
	}
	st := &PageState{Questions: map[string]*QuestionState{}, Prepared: p}
	st.Problems = e.validate(p, st)
	for _, pr := range st.Problems {
		if qs := st.Questions[pr.Path]; qs != nil {
			qs.Problems = append(qs.Problems, pr)
		}
	}
	return st, nil
}

// Defaults returns the answers a new answer set to the questions qs starts
// with: the default of each question a person answers, in qs and its
// groups; a repeat among them starts with no pass (each pass added gets
// Defaults of the repeat's questions).
func Defaults(qs []*Question) *Answers {
	a := NewAnswers()
	var walk func(qs []*Question)
	walk = func(qs []*Question) {
		for _, q := range qs {
			switch {
			case q.Type == Group:
				walk(q.Children)
			case q.Default != "" && q.Type.HasAnswer() && q.Type != Calculate && !q.Type.IsMeta():
				a.Values[q.Name] = q.Default
			}
		}
	}
	walk(qs)
	return a
}

// clone copies a, refusing names qs does not have and nesting deeper than
// MaxDepth, and leaving out empty answers and the answers of calculate,
// metadata and note questions.
func clone(qs []*Question, a *Answers, depth int) (*Answers, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: repeats are nested deeper than %d", ErrPrepare, MaxDepth)
	}
	values, repeats := level(qs)
	out := NewAnswers()
	for name, v := range a.Values {
		q, ok := values[name]
		if !ok {
			return nil, fmt.Errorf("%w: there is no question %s here", ErrPrepare, name)
		}
		if v != "" && (q.Name != name || q.Type != Calculate && !q.Type.IsMeta() && q.Type != Note) {
			out.Values[name] = v
		}
	}
	for name, passes := range a.Repeats {
		q, ok := repeats[name]
		if !ok {
			return nil, fmt.Errorf("%w: there is no repeat %s here", ErrPrepare, name)
		}
		if len(passes) > MaxRepeats {
			return nil, fmt.Errorf("%w: the repeat %s is answered %d times, more than %d", ErrPrepare, name, len(passes), MaxRepeats)
		}
		for _, pass := range passes {
			if pass == nil {
				pass = NewAnswers()
			}
			c, err := clone(q.Children, pass, depth+1)
			if err != nil {
				return nil, err
			}
			out.Repeats[name] = append(out.Repeats[name], c)
		}
	}
	return out, nil
}

// pruner removes the answers of questions that are not relevant.
type pruner struct {
	e       *engine
	changed bool
}

func (p *pruner) drop(a *Answers, name string) {
	if _, ok := a.Values[name]; ok {
		delete(a.Values, name)
		p.changed = true
	}
}

func (p *pruner) level(qs []*Question, s *scope, relevant bool) {
	for _, q := range qs {
		rel := relevant
		if rel {
			ok, err := s.test(q, "relevant", q.Relevant, true)
			rel = ok && err == nil
		}
		switch q.Type {
		case Group:
			p.level(q.Children, s, rel)
		case Repeat:
			if !rel {
				if _, ok := s.a.Repeats[q.Name]; ok {
					delete(s.a.Repeats, q.Name)
					p.changed = true
				}
				continue
			}
			for _, pass := range s.a.Repeats[q.Name] {
				p.level(q.Children, s.enter(q, pass), true)
			}
		default:
			if !rel {
				p.drop(s.a, q.Name)
			}
			if q.OrOther && (!rel || !slices.Contains(strings.Split(s.a.Get(q.Name), " "), OtherChoice)) {
				p.drop(s.a, OtherName(q))
			}
		}
	}
}

// fill computes the relevant calculations and sets the metadata, and
// removes empty repeats.
func fill(qs []*Question, s *scope) {
	var walk func(qs []*Question, s *scope, relevant bool)
	walk = func(qs []*Question, s *scope, relevant bool) {
		for _, q := range qs {
			rel := relevant
			if rel {
				ok, err := s.test(q, "relevant", q.Relevant, true)
				rel = ok && err == nil
			}
			switch {
			case q.Type == Group:
				walk(q.Children, s, rel)
			case q.Type == Repeat:
				for _, pass := range s.a.Repeats[q.Name] {
					walk(q.Children, s.enter(q, pass), rel)
				}
				if len(s.a.Repeats[q.Name]) == 0 {
					delete(s.a.Repeats, q.Name)
				}
			case !rel:
			case q.Type == Calculate:
				if v := s.calculate(q, 0); v != "" {
					s.a.Values[q.Name] = v
				}
			case q.Type.IsMeta():
				s.a.Values[q.Name] = s.e.today
			}
		}
	}
	walk(qs, s, true)
}

// FreeText returns the names of the questions whose answers are free
// text: text questions and the text of "other" of or_other selects. The
// desk pseudonymizes exactly these.
func FreeText(f *Form) map[string]bool {
	out := map[string]bool{}
	f.Walk(func(q, _ *Question) error {
		if q.Type == Text {
			out[q.Name] = true
		}
		if q.OrOther {
			out[OtherName(q)] = true
		}
		return nil
	})
	return out
}
