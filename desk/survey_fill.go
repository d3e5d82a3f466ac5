package desk

// Filling a survey on the interviewer's desk.
//
// A survey is a draft like a note (encrypted to the profile's drafts key,
// kept until it is sealed) that also names the form it answers: its ID,
// version and digest, fixed when the draft starts. A newer version
// published since does not change the draft: it keeps answering the
// version it started with, as long as the desk still holds it.
//
// The page works without JavaScript: every submit saves the draft, and the
// desk evaluates the form's rules again to show and hide questions.
// static/survey.js evaluates the same rules (the syntax trees of the
// form's expressions, embedded in the page) as the person answers, with
// static/expr.js. Neither is trusted: sealing checks every answer again
// with survey.Validate, and refuses with every problem listed by its
// question.
//
// Free-text answers (survey.FreeText) go through the pseudonymizer like
// the note, with the same table of people and places and the same flags;
// choice names, numbers, dates and places typed as coordinates do not.
// The sealed file holds answers.json (survey.MarshalResponse), the note
// (empty if there is none: envelope.Seal allows it, and a reviewer's desk
// shows a survey by its answers) and the attachments, the survey's own
// first and then the files answering questions, in the order of the
// questions; a file answer names its attachment ("attachments/03.jpg").

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/internal/survey"
	"testimony/internal/survey/expr"
)

// surveyDraft is what a survey draft holds beyond a note draft's fields.
// The draft's Language is the language the questions are asked in (one of
// the form's, or "und" for a form whose texts have none).
type surveyDraft struct {
	// Form, Version and Digest name the form exactly, as the sealed
	// answers will.
	Form    string `json:"form"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Answers are the answers so far, as typed: a file answer holds the
	// Key of one of the draft's attachments; calculations and the
	// metadata the desk fills are left out until sealing.
	Answers *survey.Answers `json:"answers"`
}

// surveyLanguage returns the language a new survey of f is asked in: the
// desk's language if the form has it, else the form's default.
func surveyLanguage(f *survey.Form, ui string) string {
	for _, l := range f.Languages {
		if l.Code == ui {
			return ui
		}
	}
	if f.DefaultLanguage != "" {
		return f.DefaultLanguage
	}
	if len(f.Languages) > 0 {
		return f.Languages[0].Code
	}
	return "und"
}

// hasLanguage reports whether the form has texts in code.
func hasLanguage(f *survey.Form, code string) bool {
	return slices.ContainsFunc(f.Languages, func(l survey.Language) bool { return l.Code == code })
}

// formOffer is a form the interviewer can start, on the home page.
type formOffer struct {
	ID, Version, Title string
}

func (d *Desk) formOffers(l string) []formOffer {
	var out []formOffer
	for _, p := range d.forms() {
		out = append(out, formOffer{ID: p.Form.ID, Version: p.Form.Version, Title: p.Form.Title.In(l, p.Form.DefaultLanguage)})
	}
	return out
}

func (d *Desk) newSurvey(w http.ResponseWriter, r *http.Request, u *unlocked) {
	p, err := d.form(r.FormValue("form"))
	if err != nil {
		d.refused(w, r, "/", nil, "This desk holds no such form. Sync to fetch the forms your organisation published.", nil)
		return
	}
	dr := &draft{ID: envelope.NewID(), Day: d.cfg.Now().Format(time.DateOnly), Language: surveyLanguage(p.Form, lang(r)),
		People: make([]personRow, 3), Places: make([]placeRow, 2),
		Survey: &surveyDraft{Form: p.Form.ID, Version: p.Form.Version, Digest: p.Digest, Answers: survey.Defaults(p.Form.Survey)}}
	if err := d.saveDraft(dr); err != nil {
		d.refused(w, r, "/", nil, "The draft could not be saved.", err)
		return
	}
	http.Redirect(w, r, "/survey/"+dr.ID, http.StatusSeeOther)
}

// answerable reports whether the person answers q (not a note, group,
// repeat, calculation or metadata).
func answerable(q *survey.Question) bool {
	return q.Type.HasAnswer() && q.Type != survey.Calculate && !q.Type.IsMeta()
}

// errNoForm is the error for a survey draft whose form version the desk
// no longer holds, or holds with other content.
var errNoForm = errors.New("the desk does not hold the version of the form this draft answers")

// loadSurvey loads a survey draft and the form version it answers.
func (d *Desk) loadSurvey(u *unlocked, id string) (*draft, *survey.Published, error) {
	dr, err := d.loadDraft(u, id)
	if err != nil {
		return nil, nil, err
	}
	if dr.Survey == nil {
		return dr, nil, os.ErrInvalid
	}
	if dr.Survey.Answers == nil {
		dr.Survey.Answers = survey.NewAnswers()
	}
	p, err := d.formVersion(dr.Survey.Form, dr.Survey.Version)
	if err != nil || p.Digest != dr.Survey.Digest {
		return dr, nil, errNoForm
	}
	return dr, p, nil
}

// surveyView is the survey page's data.
type surveyView struct {
	D     *draft
	Form  *survey.Form
	Title string
	// Newer is the version of the form published since the draft
	// started, "" if there is none.
	Newer string
	// Items are the questions to show.
	Items []*item
	// Answered and Total count the questions the person answers that
	// are shown now.
	Answered, Total int
	// Problems are the answers sealing refused, in the order of the form.
	Problems []problem
	Preview  *surveyPreview
	Rules    *rules
	// Unfiled are the draft's attachments that answer no question.
	Unfiled []int
}

// item is one question, note, group or repeat as the page shows it.
type item struct {
	L string // the desk's language
	Q *survey.Question
	// Name is the form field the answer is submitted in, ID the HTML id
	// of its first input.
	Name, ID string
	// Label and Hint are in the interview's language.
	Label, Hint string
	// Input is how it is asked: "text", "textarea", "integer",
	// "decimal", "date", "radio", "select", "checkbox", "file",
	// "geopoint", "note", "group", "repeat".
	Input    string
	Value    string
	Choices  []choiceView
	Other    *item // the text of an or_other select
	Required bool
	// Count is, for a repeat whose repeat_count the engine could
	// evaluate, how many passes it asks for; -1 otherwise. CountNote
	// says so on the page, and Full reports that the repeat has as many
	// passes as it asks for (the add button is hidden).
	Count     int
	CountNote string
	Full      bool
	Hidden    bool // not relevant now
	Error     string
	// File describes the attachment answering a file question.
	File *attachment
	// Children are a group's items; Passes a repeat's; Template a
	// repeat's blank pass, for the script to copy.
	Children []*item
	Passes   []*pass
	Template *pass
	// Add is the repeat's field path, for the add button.
	Add string
}

// pass is one pass through a repeat.
type pass struct {
	L string
	// Key identifies the pass in the form's field names; Marker is the
	// field that lists it, Prefix the start of its questions' fields,
	// Path the pass itself (for its remove button).
	Key, Marker, Prefix, Path string
	// Repeat and Label are the repeat's name and label.
	Repeat, Label string
	N             int // 1-based, for its heading
	Items         []*item
}

type choiceView struct {
	Name, Label, ID string
	Checked, Hidden bool
}

// problem is an answer sealing refused.
type problem struct {
	ID, Label, Msg string
}

// fieldID turns a form field name into an HTML id.
func fieldID(name string) string { return "f-" + name }

// templateKey is the pass key of a repeat's blank pass: the script
// replaces it with a new key. Braces are in no question name.
func templateKey(repeat string) string { return "{" + repeat + "}" }

// builder makes the items of a survey page.
type builder struct {
	f        *survey.Form
	lang, ui string
	dr       *draft
	// st is the engine's state of the draft's answers: what is asked,
	// required and offered. Nil if the engine could not compute it: the
	// page then shows every question.
	st       *survey.PageState
	errs     map[string]string // field name → message
	answered int
	total    int
}

// state returns the engine's state of the question at path (a
// survey.PageState path). A question the state does not hold is in a
// pass of a repeat that is not asked: it is not asked either.
func (b *builder) state(path string) *survey.QuestionState {
	if b.st == nil {
		return &survey.QuestionState{Relevant: true, Count: -1}
	}
	if qs := b.st.Questions[path]; qs != nil {
		return qs
	}
	return &survey.QuestionState{Count: -1}
}

// items makes the items of qs, showing the answers a; prefix is their
// field names' start ("q.child.0."), path their state paths' start
// ("child[1]/"); shown is false inside a group or pass that is hidden.
func (b *builder) items(qs []*survey.Question, a *survey.Answers, prefix, path string, shown bool) []*item {
	var out []*item
	for _, q := range qs {
		if q.Type == survey.Calculate || q.Type.IsMeta() {
			continue
		}
		st := b.state(path + q.Name)
		it := &item{L: b.ui, Q: q, Name: prefix + q.Name, ID: fieldID(prefix + q.Name),
			Label: q.Label.In(b.lang, b.f.DefaultLanguage), Hint: q.Hint.In(b.lang, b.f.DefaultLanguage),
			Hidden: !st.Relevant, Required: st.Required, Count: st.Count}
		if it.Label == "" {
			it.Label = q.Name
		}
		visible := shown && !it.Hidden
		it.Error = b.errs[it.Name]
		switch q.Type {
		case survey.Group:
			it.Input = "group"
			it.Children = b.items(q.Children, a, prefix, path, visible)
		case survey.Repeat:
			it.Input = "repeat"
			it.Add = prefix + q.Name
			for i, sub := range a.Repeats[q.Name] {
				it.Passes = append(it.Passes, b.pass(q, sub, prefix, strconv.Itoa(i), fmt.Sprintf("%s%s[%d]/", path, q.Name, i+1), i+1, visible))
			}
			it.CountNote, it.Full = countNote(b.ui, it.Count, len(it.Passes))
			tb := *b
			tb.errs = nil
			it.Template = tb.pass(q, survey.Defaults(q.Children), prefix, templateKey(q.Name), path+q.Name+survey.NewPass+"/", 0, false)
		case survey.Note:
			it.Input = "note"
		default:
			b.question(it, q, a, st, path)
			if visible {
				b.total++
				if it.Value != "" || it.File != nil {
					b.answered++
				}
			}
		}
		out = append(out, it)
	}
	return out
}

// countNote says how many passes a repeat's repeat_count asks for (count,
// -1 for none) when it has have, and reports whether it has as many.
// static/survey.js writes the same texts (rules.Messages).
func countNote(ui string, count, have int) (string, bool) {
	switch {
	case count < 0:
		return "", false
	case count == 0 && have == 0:
		return tr(ui, "Answered as many times as an earlier answer says."), true
	case have > count:
		return tr(ui, "Answered %d times, as an earlier answer says: remove %d.", count, have-count), true
	}
	return tr(ui, "Answered %d times, as an earlier answer says.", count), have >= count
}

// fillCounts adds blank passes (with the form's defaults) to every
// repeat asked whose repeat_count, changed from what it was in the
// answers old, asks for more passes than a has: the page shows as many
// passes as the count says as soon as it is given, as static/survey.js
// does. It never removes a pass (the person does, and the page says how
// many), and leaves a count that did not change alone, so that a pass
// the person removed does not come back.
func fillCounts(f *survey.Form, old, a *survey.Answers, day string) {
	now, err := survey.State(f, a, day)
	if err != nil {
		return
	}
	before, err := survey.State(f, old, day)
	if err != nil {
		before = &survey.PageState{}
	}
	var walk func(qs []*survey.Question, a *survey.Answers, path string)
	walk = func(qs []*survey.Question, a *survey.Answers, path string) {
		for _, q := range qs {
			switch q.Type {
			case survey.Group:
				walk(q.Children, a, path)
			case survey.Repeat:
				st, was := now.Questions[path+q.Name], before.Questions[path+q.Name]
				if st != nil && st.Relevant && st.Count > len(a.Repeats[q.Name]) && (was == nil || was.Count != st.Count) {
					for len(a.Repeats[q.Name]) < st.Count {
						a.Repeats[q.Name] = append(a.Repeats[q.Name], survey.Defaults(q.Children))
					}
				}
				for i, sub := range a.Repeats[q.Name] {
					walk(q.Children, sub, fmt.Sprintf("%s%s[%d]/", path, q.Name, i+1))
				}
			}
		}
	}
	walk(f.Survey, a, "")
}

// pass makes the items of the pass a through the repeat q; path is the
// pass's state path ("child[2]/").
func (b *builder) pass(q *survey.Question, a *survey.Answers, prefix, key, path string, n int, shown bool) *pass {
	p := &pass{L: b.ui, Key: key, Marker: "i." + prefix + q.Name, Prefix: prefix + q.Name + "." + key + ".", Path: prefix + q.Name + "." + key,
		Repeat: q.Name, Label: q.Label.In(b.lang, b.f.DefaultLanguage), N: n}
	if p.Label == "" {
		p.Label = q.Name
	}
	p.Items = b.items(q.Children, a, p.Prefix, path, shown)
	return p
}

func (b *builder) question(it *item, q *survey.Question, a *survey.Answers, st *survey.QuestionState, path string) {
	it.Value = a.Get(q.Name)
	switch {
	case q.Type == survey.Integer:
		it.Input = "integer"
	case q.Type == survey.Decimal:
		it.Input = "decimal"
	case q.Type == survey.Date:
		it.Input = "date"
	case q.Type == survey.Geopoint:
		it.Input = "geopoint"
	case q.Type.IsAttachment():
		it.Input = "file"
		for i := range b.dr.Attachments {
			if at := &b.dr.Attachments[i]; at.Key != "" && at.Key == it.Value {
				it.File = at
			}
		}
		if it.File == nil {
			it.Value = ""
		}
	case q.Type.IsSelect():
		it.Input = "radio"
		if q.Type == survey.SelectMultiple {
			it.Input = "checkbox"
		}
		list := b.f.Choices[q.List]
		if q.Type == survey.SelectOne && (strings.Contains(q.Appearance, "minimal") || len(list) > 12) {
			it.Input = "select"
		}
		chosen := strings.Fields(it.Value)
		for i, c := range list {
			cv := choiceView{Name: c.Name, Label: c.Label.In(b.lang, b.f.DefaultLanguage), ID: fmt.Sprintf("%s-%d", it.ID, i),
				Checked: slices.Contains(chosen, c.Name)}
			if cv.Label == "" {
				cv.Label = c.Name
			}
			cv.Hidden = !st.Offers(c.Name) && !cv.Checked
			it.Choices = append(it.Choices, cv)
		}
		if q.OrOther {
			it.Choices = append(it.Choices, choiceView{Name: survey.OtherChoice, Label: tr(b.ui, "Other"),
				ID: fmt.Sprintf("%s-%d", it.ID, len(list)), Checked: slices.Contains(chosen, survey.OtherChoice)})
			name := strings.TrimSuffix(it.Name, q.Name) + survey.OtherName(q)
			it.Other = &item{L: b.ui, Name: name, ID: fieldID(name), Input: "text", Value: a.Get(survey.OtherName(q)),
				Label: tr(b.ui, "Other: please specify"), Hidden: !b.state(path + survey.OtherName(q)).Relevant, Error: b.errs[name]}
		}
	case q.Type == survey.Text && strings.Contains(q.Appearance, "multiline"):
		it.Input = "textarea"
	default:
		it.Input = "text"
	}
}

// surveyPage renders the survey page for dr.
func (d *Desk) surveyView(u *unlocked, r *http.Request, dr *draft, p *survey.Published, errs []*survey.AnswerError) *surveyView {
	f := p.Form
	ui := lang(r)
	v := &surveyView{D: dr, Form: f, Title: f.Title.In(dr.Language, f.DefaultLanguage)}
	if newest, err := d.form(f.ID); err == nil && versionNumber(newest.Form.Version) > versionNumber(f.Version) {
		v.Newer = newest.Form.Version
	}
	b := &builder{f: f, lang: dr.Language, ui: ui, dr: dr, st: d.surveyState(f, dr), errs: map[string]string{}}
	v.Problems = b.problems(errs)
	// The engine reads the answers as sealing does: without those to
	// questions no longer asked (Prepare's result); the page shows them
	// all, so that a change of mind loses nothing until sealing.
	v.Items = b.items(f.Survey, dr.Survey.Answers, "q.", "", true)
	v.Answered, v.Total = b.answered, b.total
	v.Rules = newRules(f, ui, messageLanguage(f, ui, dr.Language), dr.Day)
	v.Preview = d.surveyPreview(u, dr, f)
	used := referencedKeys(f, dr.Survey.Answers)
	for i, a := range dr.Attachments {
		if a.Key == "" || !used[a.Key] {
			v.Unfiled = append(v.Unfiled, i)
		}
	}
	return v
}

// surveyState returns the engine's state of the draft's answers, nil if
// it cannot be had. A day that is not a date (the person is correcting
// it) is replaced by today's for the rules that read it.
func (d *Desk) surveyState(f *survey.Form, dr *draft) *survey.PageState {
	st, err := survey.State(f, dr.Survey.Answers, dr.Day)
	if err != nil && !envelope.ValidDay(dr.Day) {
		st, err = survey.State(f, dr.Survey.Answers, d.cfg.Now().Format(time.DateOnly))
	}
	if err != nil {
		d.cfg.Log.Warn("the survey's rules could not be applied to the draft", "err", err.Error())
		return nil
	}
	return st
}

// draftTitle is the survey page's title.
const draftTitle = "Survey"

func (d *Desk) surveyPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, p, err := d.loadSurvey(u, r.PathValue("id"))
	switch {
	case errors.Is(err, os.ErrInvalid):
		http.Redirect(w, r, "/interview/"+dr.ID, http.StatusSeeOther)
		return
	case errors.Is(err, errNoForm):
		d.refused(w, r, "/", nil, "This draft answers a version of a form that this desk no longer holds. Sync to fetch it again, or delete the draft.", nil)
		return
	case err != nil:
		d.refuse(w, r, http.StatusNotFound, "There is no such draft.")
		return
	}
	// The problems sealing found come with the redirect that reports them.
	bad, _ := resultData[answerErrors](d, r)
	d.render(w, r, http.StatusOK, "survey", draftTitle, d.surveyView(u, r, dr, p, bad))
}

// passKey is a pass's key in field names: a small decimal number.
var passKey = regexp.MustCompile(`^[0-9]{1,6}$`)

// answerReader reads the survey's answers from a submitted page.
type answerReader struct {
	r  *http.Request
	f  *survey.Form
	dr *draft
	// add and remove are the repeat to add a blank pass to, and the pass
	// to remove, by field path ("q.household", "q.household.2").
	add, remove, unfile string
}

// readSurvey updates dr from the submitted survey page: the note's fields
// (readForm) and the answers.
func readSurvey(r *http.Request, dr *draft, f *survey.Form, action, arg string) error {
	language := r.FormValue("language")
	// A mistake in the note's fields stops nothing: the answers are read
	// and kept too, and the mistake is shown on the page.
	formErr := readForm(r, dr)
	// The language is one of the form's.
	dr.Language = language
	if !hasLanguage(f, language) {
		dr.Language = surveyLanguage(f, "")
	}
	rd := &answerReader{r: r, f: f, dr: dr}
	switch action {
	case "add":
		rd.add = arg
	case "remove":
		rd.remove = arg
	case "unfile":
		rd.unfile = arg
	}
	a := survey.NewAnswers()
	if err := rd.read(f.Survey, a, "q.", 0); err != nil {
		return err
	}
	// A page submitted (not the script's background save, which has no
	// action: the script adds the passes itself), except to remove a pass.
	if action != "" && action != "remove" {
		fillCounts(f, dr.Survey.Answers, a, dr.Day)
	}
	dr.Survey.Answers = a
	// Files no answer names any more are dropped.
	used := referencedKeys(f, a)
	dr.Attachments = slices.DeleteFunc(dr.Attachments, func(at attachment) bool { return at.Key != "" && !used[at.Key] })
	return formErr
}

func (rd *answerReader) read(qs []*survey.Question, a *survey.Answers, prefix string, depth int) error {
	for _, q := range qs {
		name := prefix + q.Name
		switch {
		case q.Type == survey.Group:
			if err := rd.read(q.Children, a, prefix, depth); err != nil {
				return err
			}
		case q.Type == survey.Repeat:
			if depth >= survey.MaxDepth {
				return errors.New("The repeats of this form are nested too deeply.")
			}
			passes := []*survey.Answers{}
			seen := map[string]bool{}
			for _, key := range rd.r.Form["i."+name] {
				if !passKey.MatchString(key) || seen[key] || rd.remove == name+"."+key {
					continue
				}
				seen[key] = true
				sub := survey.NewAnswers()
				if err := rd.read(q.Children, sub, name+"."+key+".", depth+1); err != nil {
					return err
				}
				passes = append(passes, sub)
			}
			if rd.add == name {
				passes = append(passes, survey.Defaults(q.Children))
			}
			if len(passes) > survey.MaxRepeats {
				return errors.New("A repeat can be answered at most 500 times.") // survey.MaxRepeats
			}
			if len(passes) > 0 {
				a.Repeats[q.Name] = passes
			}
		case !answerable(q):
		case q.Type.IsAttachment():
			if err := rd.file(q, a, name); err != nil {
				return err
			}
		default:
			v := rd.value(q, rd.r.Form[name])
			if err := set(a, q.Name, v); err != nil {
				return err
			}
			if q.OrOther {
				other := strings.TrimSpace(strings.ReplaceAll(rd.r.FormValue(strings.TrimSuffix(name, q.Name)+survey.OtherName(q)), "\r\n", "\n"))
				if err := set(a, survey.OtherName(q), other); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// value turns a question's submitted values into its answer.
func (rd *answerReader) value(q *survey.Question, vs []string) string {
	if q.Type == survey.SelectMultiple {
		var names []string
		for _, v := range vs {
			for _, n := range strings.Fields(v) {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		return strings.Join(names, " ")
	}
	v := strings.ReplaceAll(at(vs, 0), "\r\n", "\n")
	if q.Type != survey.Text {
		v = strings.TrimSpace(v)
	}
	return v
}

func set(a *survey.Answers, name, v string) error {
	if len(v) > survey.MaxAnswerSize || !utf8.ValidString(v) {
		return errors.New("An answer is too long or not text.")
	}
	if strings.TrimSpace(v) != "" {
		a.Values[name] = v
	}
	return nil
}

// file reads a file question: a new file replaces the answer, else the
// answer stays the attachment it named.
func (rd *answerReader) file(q *survey.Question, a *survey.Answers, name string) error {
	if rd.r.MultipartForm != nil {
		for _, fh := range rd.r.MultipartForm.File["file."+name] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			if len(rd.dr.Attachments) >= maxAttachments {
				return errors.New("An interview can have at most 20 attachments.")
			}
			at, err := readAttachment(fh)
			if err != nil {
				return err
			}
			at.Key = newKey()
			rd.dr.Attachments = append(rd.dr.Attachments, at)
			a.Values[q.Name] = at.Key
			return nil
		}
	}
	if key := rd.r.FormValue(name); key != "" && rd.unfile != name && slices.ContainsFunc(rd.dr.Attachments, func(at attachment) bool { return at.Key == key }) {
		a.Values[q.Name] = key
	}
	return nil
}

func newKey() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// walkAnswers calls fn for every answer in a with its question, passes
// included, in the order of the form.
func walkAnswers(f *survey.Form, a *survey.Answers, fn func(q *survey.Question, a *survey.Answers)) {
	var walk func(qs []*survey.Question, a *survey.Answers)
	walk = func(qs []*survey.Question, a *survey.Answers) {
		for _, q := range qs {
			switch q.Type {
			case survey.Group:
				walk(q.Children, a)
			case survey.Repeat:
				for _, sub := range a.Repeats[q.Name] {
					walk(q.Children, sub)
				}
			default:
				fn(q, a)
			}
		}
	}
	walk(f.Survey, a)
}

// referencedKeys returns the attachment keys the file answers of a name.
func referencedKeys(f *survey.Form, a *survey.Answers) map[string]bool {
	used := map[string]bool{}
	walkAnswers(f, a, func(q *survey.Question, a *survey.Answers) {
		if v := a.Get(q.Name); q.Type.IsAttachment() && v != "" {
			used[v] = true
		}
	})
	return used
}

// surveyPost saves what the survey page holds and does what its button
// asks, then sends the person back to the page or, once sealed, to the
// outbox (Post, Redirect, Get: see result.go).
func (d *Desk) surveyPost(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, p, err := d.loadSurvey(u, r.PathValue("id"))
	if errors.Is(err, errNoForm) && r.FormValue("action") == "discard" {
		// A draft whose form is gone can still be deleted.
		if err := os.Remove(d.draftPath(dr.ID)); err != nil {
			d.refused(w, r, "/", nil, "The draft could not be deleted.", err)
			return
		}
		d.ok(w, r, "/", nil, "The draft was deleted.")
		return
	}
	if err != nil {
		d.surveyPage(w, r, u) // the same refusals
		return
	}
	page := "/survey/" + dr.ID
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	if err := r.ParseMultipartForm(32 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		d.refused(w, r, page, nil, "The form could not be read (is an attachment larger than 64 MiB?). What was typed since the last save is lost; the draft is kept.", nil)
		return
	}
	action, arg, _ := strings.Cut(r.FormValue("action"), ":")
	formErr := readSurvey(r, dr, p.Form, action, arg)
	anchor := ""
	switch action {
	case "addperson":
		dr.People = append(dr.People, personRow{})
		anchor = "#people"
	case "addplace":
		dr.Places = append(dr.Places, placeRow{})
		anchor = "#places"
	case "declare":
		if pv := d.surveyPreview(u, dr, p.Form); pv.Err == "" {
			for _, f := range pv.Flags {
				if f.ID == arg && f.Text != "" && !f.Place {
					dr.People = append(dr.People, personRow{Names: f.Text})
					break
				}
			}
		}
		anchor = "#people"
	case "accept":
		if !slices.Contains(dr.Accepted, arg) && len(arg) <= 64 {
			dr.Accepted = append(dr.Accepted, arg)
		}
		anchor = "#flags"
	case "unaccept":
		dr.Accepted = slices.DeleteFunc(dr.Accepted, func(s string) bool { return s == arg })
		anchor = "#flags"
	case "detach":
		if i, err := strconv.Atoi(arg); err == nil && 0 <= i && i < len(dr.Attachments) && dr.Attachments[i].Key == "" {
			dr.Attachments = slices.Delete(dr.Attachments, i, i+1)
		}
	case "add", "remove":
		// The repeat the pass was added to or removed from.
		repeat, _, _ := strings.Cut(strings.TrimPrefix(arg, "q."), ".")
		if repeat != "" && segmentOK(repeat) {
			anchor = "#" + fieldID("q."+repeat)
		}
	case "discard":
		if err := os.Remove(d.draftPath(dr.ID)); err != nil {
			d.refused(w, r, page, nil, "The draft could not be deleted.", err)
			return
		}
		d.ok(w, r, "/", nil, "The draft was deleted.")
		return
	}
	if err := d.saveDraft(dr); err != nil {
		d.refused(w, r, page, nil, "The draft could not be saved. What was typed since the last save is lost.", err)
		return
	}
	if formErr != nil {
		d.refused(w, r, page, nil, formErr.Error(), nil)
		return
	}
	switch action {
	case "seal":
	case "save":
		d.ok(w, r, page, nil, "The draft is saved, encrypted on this computer.")
		return
	default:
		http.Redirect(w, r, page+anchor, http.StatusSeeOther)
		return
	}
	id, err := d.sealSurvey(u, dr, p)
	var bad answerErrors
	var fl flagsLeft
	switch {
	case errors.As(err, &bad):
		d.refused(w, r, page+"#problems", bad, "Some answers need attention; each problem is shown by its question. Nothing was sealed.", nil)
	case errors.As(err, &fl):
		d.refused(w, r, page+"#flags", nil, "Some flags are not resolved yet: declare each flagged name in the table, or accept it. Nothing was sealed.", nil)
	case errors.Is(err, errPeopleTable):
		d.refused(w, r, page+"#people", nil, "The people and places table has a mistake: a name is given twice, or a row is not complete. Nothing was sealed.", nil)
	case err != nil:
		d.refused(w, r, page, nil, "The survey could not be sealed. Nothing was sealed; the draft is kept.", err)
	default:
		d.cfg.Log.Info("sealed a survey into the outbox")
		http.Redirect(w, r, "/outbox?sealed="+id, http.StatusSeeOther)
	}
}

// segmentOK reports whether s may be put in an address's fragment as it is.
func segmentOK(s string) bool {
	for i := 0; i < len(s); i++ {
		if !segmentByte(s[i]) {
			return false
		}
	}
	return true
}

// surveyPreviewFragment saves what the page holds and returns the preview
// of what the reviewers will read: the script posts the page here as the
// person types.
func (d *Desk) surveyPreviewFragment(w http.ResponseWriter, r *http.Request, u *unlocked) {
	dr, p, err := d.loadSurvey(u, r.PathValue("id"))
	if err != nil {
		d.refuse(w, r, http.StatusNotFound, "There is no such draft.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
	r.ParseMultipartForm(1 << 20)
	v := d.view(r, draftTitle, nil)
	sv := &surveyView{D: dr, Form: p.Form}
	status := http.StatusOK
	if err := readSurvey(r, dr, p.Form, "", ""); err != nil {
		sv.Preview = &surveyPreview{preview: preview{Err: err.Error()}}
	} else {
		if err := d.saveDraft(dr); err != nil {
			// The script shows the preview as stale: not saved.
			d.cfg.Log.Error("failed to save a draft", "err", err.Error())
			status = http.StatusInternalServerError
		}
		sv.Preview = d.surveyPreview(u, dr, p.Form)
	}
	v.Data = sv
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := d.pages.byName["survey"].ExecuteTemplate(w, "survey-preview", v); err != nil {
		d.cfg.Log.Error("failed to render the preview", "err", err.Error())
	}
}

// surveyPreview is what the reviewers will read of a survey: the note and
// each free-text answer, pseudonymized, and every flag.
type surveyPreview struct {
	preview
	Answers []answerPreview
}

type answerPreview struct {
	Label    string
	ID       string // the HTML id of the question's input
	Segments []segment
}

// freeText is the survey's free text pseudonymized, with what the preview
// and the re-identification record need.
type freeText struct {
	note    *intake.Result
	answers []answerText
}

type answerText struct {
	q      *survey.Question
	id     string // the field's HTML id ("" when sealing)
	typed  string // the answer as typed
	res    *pseudonym.Result
	target *survey.Answers // where the answer is
}

// pseudonymize pseudonymizes the note and the free-text answers of a (in
// place), and returns what it did. Other answers are left as they are.
func (d *Desk) pseudonymize(u *unlocked, dr *draft, f *survey.Form, a *survey.Answers, fieldIDs bool) (*freeText, *envelope.Contents, error) {
	red, err := d.redactor(u, dr)
	if err != nil {
		return nil, nil, err
	}
	c := &envelope.Contents{Note: []byte(dr.Note)}
	res, err := intake.Pseudonymize(red, c)
	if err != nil {
		return nil, nil, err
	}
	ft := &freeText{note: res}
	free := survey.FreeText(f)
	// The field names are rebuilt as the page names them.
	var walk func(qs []*survey.Question, a *survey.Answers, prefix string)
	walk = func(qs []*survey.Question, a *survey.Answers, prefix string) {
		for _, q := range qs {
			switch q.Type {
			case survey.Group:
				walk(q.Children, a, prefix)
			case survey.Repeat:
				for i, sub := range a.Repeats[q.Name] {
					walk(q.Children, sub, fmt.Sprintf("%s%s.%d.", prefix, q.Name, i))
				}
			default:
				names := []string{q.Name}
				if q.OrOther {
					names = append(names, survey.OtherName(q))
				}
				for _, n := range names {
					v, ok := a.Values[n]
					if !ok || !free[n] {
						continue
					}
					r := red.Redact(v)
					a.Values[n] = r.Text
					at := answerText{q: q, typed: v, res: r, target: a}
					if fieldIDs {
						at.id = fieldID(prefix + n)
					}
					ft.answers = append(ft.answers, at)
					ft.note.Reids = append(ft.note.Reids, r.Reid)
					for _, fl := range r.Report.Flags {
						ft.note.Flags = append(ft.note.Flags, intake.Flag{Flag: fl, InAnswers: true})
					}
				}
			}
		}
	}
	walk(f.Survey, a, "q.")
	return ft, c, nil
}

func (d *Desk) surveyPreview(u *unlocked, dr *draft, f *survey.Form) *surveyPreview {
	a := cloneAnswers(dr.Survey.Answers)
	ft, _, err := d.pseudonymize(u, dr, f, a, true)
	if err != nil {
		return &surveyPreview{preview: preview{Err: "The people and places table has a mistake.", Detail: err.Error()}}
	}
	p := &surveyPreview{}
	p.Segments, p.Flags = marked(ft.note.Note, dr.Accepted)
	typedAt(p.Flags, dr.Note, ft.note.Note.Text)
	p.addPeople(ft.note.Note)
	seen := map[string]bool{}
	for _, fv := range p.Flags {
		seen[fv.ID] = true
	}
	for _, at := range ft.answers {
		label := at.q.Label.In(dr.Language, f.DefaultLanguage)
		if label == "" {
			label = at.q.Name
		}
		segs, flags := marked(at.res, dr.Accepted)
		typedAt(flags, at.typed, at.res.Text)
		p.Answers = append(p.Answers, answerPreview{Label: label, ID: at.id, Segments: segs})
		p.addPeople(at.res)
		for _, fv := range flags {
			if seen[fv.ID] {
				continue // the same text, and the same decision, elsewhere
			}
			seen[fv.ID] = true
			fv.InAnswers, fv.Question, fv.Field, fv.Line = true, label, at.id, 0
			p.Flags = append(p.Flags, fv)
		}
	}
	p.count()
	return p
}

// cloneAnswers returns a deep copy of a.
func cloneAnswers(a *survey.Answers) *survey.Answers {
	out := survey.NewAnswers()
	for k, v := range a.Values {
		out.Values[k] = v
	}
	for k, passes := range a.Repeats {
		list := make([]*survey.Answers, len(passes))
		for i, p := range passes {
			list[i] = cloneAnswers(p)
		}
		out.Repeats[k] = list
	}
	return out
}

// answerErrors is sealing refused for answers that break the form's rules.
type answerErrors []*survey.AnswerError

func (e answerErrors) Error() string {
	return fmt.Sprintf("%d answer(s) break the form's rules", len(e))
}

// sealSurvey checks the answers with the form's rules, pseudonymizes the
// free text and seals the survey into the outbox.
func (d *Desk) sealSurvey(u *unlocked, dr *draft, p *survey.Published) (string, error) {
	f := p.Form
	a := cloneAnswers(dr.Survey.Answers)
	// What is sealed: the answers to questions asked, with the
	// calculations and the day (Prepare), whose file answers name their
	// attachment as it will be sealed: the survey's own attachments first,
	// then one per file answer, in the order of the questions.
	prepared, err := survey.Prepare(f, a, dr.Day)
	if err != nil {
		return "", err
	}
	var own []attachment
	byKey := map[string]attachment{}
	for _, at := range dr.Attachments {
		if at.Key == "" {
			own = append(own, at)
		} else {
			byKey[at.Key] = at
		}
	}
	files, names := numberFiles(f, prepared, own, func(v string) (attachment, bool) { at, ok := byKey[v]; return at, ok })
	if errs := survey.Validate(f, prepared, dr.Day); len(errs) > 0 {
		return "", answerErrors(errs)
	}
	ft, c, err := d.pseudonymize(u, dr, f, prepared, false)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errPeopleTable, err)
	}
	if open := ft.note.Open(dr.Accepted); len(open) > 0 {
		return "", flagsLeft(len(open))
	}
	for _, at := range files {
		c.Attachments = append(c.Attachments, at.sealable())
	}
	body, err := survey.MarshalResponse(&survey.Response{Format: survey.AnswersFormat, Form: f.ID, Version: f.Version,
		FormSHA256: p.Digest, Language: dr.Language, Answers: prepared})
	if err != nil {
		return "", err
	}
	c.Answers = body
	results := []*pseudonym.Result{ft.note.Note}
	for _, at := range ft.answers {
		results = append(results, at.res)
	}
	lang := dr.Language
	if !envelope.ValidLanguage(lang) {
		lang = "und"
	}
	return d.sealOutbox(u, dr, c, ft.note.Reids, envelope.Options{Form: f.Ref(), Day: dr.Day, Language: lang, Subject: subjectOf(dr, results...)},
		func(s *envelope.Sealed) error {
			for i, sa := range s.Attachments {
				if sa.Name != names[i] {
					return fmt.Errorf("attachment %d was sealed as %s, but the answers name %s", i+1, sa.Name, names[i])
				}
			}
			return nil
		})
}

// numberFiles gives the file answers of a the names their attachments get
// in the sealed file, after the survey's own attachments own: it replaces
// each answer v that find knows by the name, leaves out those it does not
// know, and returns the attachments in sealing order with their names.
func numberFiles(f *survey.Form, a *survey.Answers, own []attachment, find func(v string) (attachment, bool)) ([]attachment, []string) {
	files := slices.Clone(own)
	walkAnswers(f, a, func(q *survey.Question, a *survey.Answers) {
		if v := a.Get(q.Name); q.Type.IsAttachment() && v != "" {
			if at, ok := find(v); ok {
				files = append(files, at)
			}
		}
	})
	width := max(2, len(strconv.Itoa(len(files))))
	names := make([]string, len(files))
	for i, at := range files {
		names[i] = fmt.Sprintf("%s%0*d", envelope.AttachmentDir, width, i+1)
		if at.Ext != "" {
			names[i] += "." + at.Ext
		}
	}
	i := len(own)
	walkAnswers(f, a, func(q *survey.Question, a *survey.Answers) {
		v := a.Get(q.Name)
		if !q.Type.IsAttachment() || v == "" {
			return
		}
		if _, ok := find(v); !ok {
			delete(a.Values, q.Name)
			return
		}
		a.Values[q.Name] = names[i]
		i++
	})
	return files, names
}

// problems turns the errors sealing found into messages by field, and the
// list shown at the top of the page.
func (b *builder) problems(errs []*survey.AnswerError) []problem {
	var out []problem
	for _, e := range errs {
		name, label, msg := b.describe(e)
		if _, dup := b.errs[name]; !dup {
			b.errs[name] = msg
		}
		out = append(out, problem{ID: fieldID(name), Label: label, Msg: msg})
	}
	return out
}

// rules are the form's rules for static/survey.js, embedded in the page as
// JSON: the syntax trees of the expressions (expr.Expr's JSON, which
// static/expr.js evaluates), by question name.
type rules struct {
	Today     string               `json:"today"`
	Questions map[string]*ruleSet  `json:"questions"`
	Choices   map[string][]ruleRow `json:"choices"`
	// Messages are the desk's own texts, in its language.
	Messages map[string]string `json:"messages"`
}

type ruleSet struct {
	Type string `json:"type"`
	// Repeat is the repeat the question is in, "" outside repeats.
	Repeat      string     `json:"repeat,omitempty"`
	List        string     `json:"list,omitempty"`
	Relevant    *expr.Expr `json:"relevant,omitempty"`
	Required    *expr.Expr `json:"required,omitempty"`
	Constraint  *expr.Expr `json:"constraint,omitempty"`
	Calculation *expr.Expr `json:"calculation,omitempty"`
	Filter      *expr.Expr `json:"filter,omitempty"`
	// Count is a repeat's repeat_count.
	Count *expr.Expr `json:"count,omitempty"`
	// ConstraintMsg and RequiredMsg are the form's messages.
	ConstraintMsg string `json:"constraint_msg,omitempty"`
	RequiredMsg   string `json:"required_msg,omitempty"`
}

type ruleRow struct {
	Name    string            `json:"name"`
	Columns map[string]string `json:"columns,omitempty"`
}

// parseRule parses an expression of the form for the script; nil if
// there is none (the form was checked when it was published).
func parseRule(src string, filter bool) *expr.Expr {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	var x *expr.Expr
	var err error
	if filter {
		x, err = expr.ParseFilter(src)
	} else {
		x, err = expr.Parse(src)
	}
	if err != nil {
		return nil
	}
	return x
}

// messageLanguage is the language the form's own messages are shown in:
// the desk's if the form has it, else the interview's.
func messageLanguage(f *survey.Form, ui, interview string) string {
	if hasLanguage(f, ui) {
		return ui
	}
	return interview
}

// newRules collects the rules of f; the desk's messages are in its
// language ui, the form's in the language ml (see messageLanguage).
func newRules(f *survey.Form, ui, ml, today string) *rules {
	rs := &rules{Today: today, Questions: map[string]*ruleSet{}, Choices: map[string][]ruleRow{}, Messages: map[string]string{
		"required":     tr(ui, "This question needs an answer."),
		"constraint":   tr(ui, "This answer is not allowed."),
		"integer":      tr(ui, "Enter a whole number, like 42."),
		"decimal":      tr(ui, "Enter a number, like 1.5."),
		"geopoint":     tr(ui, "Enter a latitude and a longitude separated by a space, like 37.5665 126.978."),
		"progress":     tr(ui, "%d of %d answered"),
		"count":        tr(ui, "Answered %d times, as an earlier answer says."),
		"count_remove": tr(ui, "Answered %d times, as an earlier answer says: remove %d."),
		"count_none":   tr(ui, "Answered as many times as an earlier answer says."),
	}}
	f.Walk(func(q, r *survey.Question) error {
		set := &ruleSet{Type: string(q.Type), List: q.List,
			Relevant: parseRule(q.Relevant, false), Required: parseRule(q.Required, false), Constraint: parseRule(q.Constraint, false),
			Calculation: parseRule(q.Calculation, false), Count: parseRule(q.RepeatCount, false),
			ConstraintMsg: q.ConstraintMessage.In(ml, f.DefaultLanguage), RequiredMsg: q.RequiredMessage.In(ml, f.DefaultLanguage)}
		if q.ChoiceFilter != "" {
			set.Filter = parseRule(q.ChoiceFilter, true)
			if _, done := rs.Choices[q.List]; !done {
				rows := []ruleRow{}
				for _, c := range f.Choices[q.List] {
					rows = append(rows, ruleRow{Name: c.Name, Columns: c.Extra})
				}
				rs.Choices[q.List] = rows
			}
		}
		if r != nil {
			set.Repeat = r.Name
		}
		rs.Questions[q.Name] = set
		if q.OrOther {
			other := &ruleSet{Type: string(survey.Text), Repeat: set.Repeat}
			rs.Questions[survey.OtherName(q)] = other
		}
		return nil
	})
	return rs
}

// questionNamed returns the question an answer name answers (an or_other
// select for its text), nil if none.
func questionNamed(f *survey.Form, name string) *survey.Question {
	var out *survey.Question
	f.Walk(func(q, _ *survey.Question) error {
		if out == nil && (q.Name == name || q.OrOther && survey.OtherName(q) == name) {
			out = q
		}
		return nil
	})
	return out
}

// describe returns the form field an answer error is about (from its
// Path: "child[2]/age" is the field "q.child.1.age"), its question's label
// and the message to show: the form's own message if it has one, in the
// desk's language if the form has it; else the desk's, with the engine's
// English detail when there is no better one.
func (b *builder) describe(e *survey.AnswerError) (name, label, msg string) {
	var parts []string
	for _, seg := range strings.Split(e.Path, "/") {
		rep, n, ok := strings.Cut(strings.TrimSuffix(seg, "]"), "[")
		if i, err := strconv.Atoi(n); ok && err == nil && i >= 1 {
			parts = append(parts, rep, strconv.Itoa(i-1))
			continue
		}
		parts = append(parts, seg)
	}
	name = "q." + strings.Join(parts, ".")
	label = e.Name
	q := questionNamed(b.f, e.Name)
	if q != nil {
		label = q.Label.In(b.lang, b.f.DefaultLanguage)
		if e.Name != q.Name {
			label = tr(b.ui, "Other: please specify") + " (" + label + ")"
		}
	}
	if label == "" {
		label = e.Name
	}
	lang := messageLanguage(b.f, b.ui, b.lang)
	switch {
	case len(e.Message) > 0 && e.Message.In(lang, b.f.DefaultLanguage) != "":
		msg = e.Message.In(lang, b.f.DefaultLanguage)
	case strings.HasSuffix(e.Msg, " is required"):
		msg = tr(b.ui, "This question needs an answer.")
	case strings.Contains(e.Msg, "breaks the form's constraint"):
		msg = tr(b.ui, "This answer is not allowed.")
	case q != nil && q.Type == survey.Integer && strings.Contains(e.Msg, "not a whole number"):
		msg = tr(b.ui, "Enter a whole number, like 42.")
	case q != nil && q.Type == survey.Decimal && strings.Contains(e.Msg, "not a number"):
		msg = tr(b.ui, "Enter a number, like 1.5.")
	case q != nil && q.Type == survey.Geopoint:
		msg = tr(b.ui, "Enter a latitude and a longitude separated by a space, like 37.5665 126.978.")
	case q != nil && q.Type == survey.Date:
		msg = tr(b.ui, "Enter a date, like 2026-03-14.")
	default:
		msg = tr(b.ui, "This answer does not fit the form: %s", e.Msg)
	}
	return name, label, msg
}
