package desk

import (
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"testimony/internal/survey"
	"testimony/internal/survey/stats"
)

// Survey statistics for reviewers. The pages here show what package stats
// computes from the responses in the reviewer's inbox, after its
// disclosure control: no count below the form's minimum cell reaches a
// page, and a hidden count cannot be worked out from what the page shows.

// errNoSuchForm is returned for a form ID that is not valid.
var errNoSuchForm = errors.New("no such form")

// surveyRecords returns the responses to the form formID in the reviewer's
// inbox: every testimony that opened and verified, whose signed manifest
// names the form ("<formID>/<version>"), and whose answers.json names the
// same form and version and the digest of a version this desk keeps
// verified (see formVersion). forms are those versions, oldest first;
// records are in interview-day order, then by submission ID.
//
// skipped counts the testimonies that name the form but could not be used:
// answers.json missing or malformed, naming another form or version than
// the signed manifest, or naming a form digest that matches no version this
// desk keeps ("responses to a form this desk does not have"). err is set
// when formID is not a valid form ID, or the inbox store cannot be read.
func (d *Desk) surveyRecords(u *unlocked, formID string) (forms []*survey.Published, records []survey.Record, skipped int, err error) {
	if !survey.ValidID(formID) {
		return nil, nil, 0, errNoSuchForm
	}
	type found struct {
		id, day, device, version string
		answers                  []byte
	}
	var named []found
	u.inbox.mu.RLock()
	for _, t := range u.inbox.items {
		if t.M == nil || t.Err != "" || t.CopyOf != "" {
			continue
		}
		version, ok := strings.CutPrefix(t.M.Form, formID+"/")
		if !ok {
			continue
		}
		named = append(named, found{id: t.ID, day: t.M.Day, device: t.M.Device, version: version})
	}
	u.inbox.mu.RUnlock()
	// The answers come from the encrypted inbox store, which kept them
	// when each file was opened and verified.
	ids := make([]string, len(named))
	for i, n := range named {
		ids[i] = n.id
	}
	answers, err := u.inbox.store.answers(ids)
	if err != nil {
		return nil, nil, 0, err
	}
	for i := range named {
		named[i].answers = answers[named[i].id]
	}
	sort.Slice(named, func(i, j int) bool {
		if named[i].day != named[j].day {
			return named[i].day < named[j].day
		}
		return named[i].id < named[j].id
	})

	kept := map[string]*survey.Published{} // by version; nil: not kept
	for _, n := range named {
		if n.answers == nil {
			skipped++
			continue
		}
		resp, err := survey.ParseResponse(n.answers)
		if err != nil || resp.Form != formID || resp.Version != n.version {
			skipped++
			continue
		}
		p, seen := kept[resp.Version]
		if !seen {
			p, _ = d.formVersion(formID, resp.Version)
			kept[resp.Version] = p
		}
		if p == nil || p.Digest != resp.FormSHA256 {
			skipped++
			continue
		}
		records = append(records, survey.Record{ID: n.id, Day: n.day, Device: n.device, Response: resp})
	}
	for _, p := range kept {
		if p != nil && used(records, p) {
			forms = append(forms, p)
		}
	}
	sort.Slice(forms, func(i, j int) bool {
		return versionNumber(forms[i].Form.Version) < versionNumber(forms[j].Form.Version)
	})
	return forms, records, skipped, nil
}

// used reports whether a record answers the form version p.
func used(records []survey.Record, p *survey.Published) bool {
	for _, r := range records {
		if r.Response.Version == p.Form.Version {
			return true
		}
	}
	return false
}

// surveyListItem is a form on the surveys page.
type surveyListItem struct {
	ID, Title, Version string
	Responses, Skipped int
}

type surveyListView struct {
	Forms []surveyListItem
	// Unknown counts responses to forms this desk keeps no version of.
	Unknown int
	// Refused are the forms the last sync refused.
	Refused []refusalView
}

func (d *Desk) surveysPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	l := lang(r)
	v := &surveyListView{Refused: d.formRefusals(l)}
	known := map[string]bool{}
	for _, p := range d.forms() {
		known[p.Form.ID] = true
		_, recs, skipped, err := d.surveyRecords(u, p.Form.ID)
		if err != nil {
			continue
		}
		v.Forms = append(v.Forms, surveyListItem{ID: p.Form.ID, Title: p.Form.Title.In(l, p.Form.DefaultLanguage),
			Version: p.Form.Version, Responses: len(recs), Skipped: skipped})
	}
	u.inbox.mu.RLock()
	for _, t := range u.inbox.items {
		if t.M == nil || t.Err != "" {
			continue
		}
		if id, _, ok := strings.Cut(t.M.Form, "/"); ok && id != "note" && !known[id] {
			v.Unknown++
		}
	}
	u.inbox.mu.RUnlock()
	d.render(w, r, http.StatusOK, "surveys", "Surveys", v)
}

// surveyForm is what a form's pages show about it.
type surveyForm struct {
	ID, Title string
	// Versions the responses answer; Version is the one whose questions
	// count them (the newest).
	Versions []string
	Version  string
	Skipped  int
	// Crossable are the questions a cross-table can use.
	Crossable []stats.Header
}

// surveyData loads the form id and its responses, or writes a refusal and
// returns nil.
func (d *Desk) surveyData(w http.ResponseWriter, r *http.Request, u *unlocked) (*surveyForm, *survey.Form, []survey.Record) {
	id := r.PathValue("form")
	forms, recs, skipped, err := d.surveyRecords(u, id)
	var f *survey.Form
	switch {
	case err != nil:
	case len(forms) > 0:
		f = forms[len(forms)-1].Form
	default:
		if p, err := d.form(id); err == nil {
			f = p.Form
		}
	}
	if f == nil {
		d.refuse(w, r, http.StatusNotFound, "This desk has no such form.")
		return nil, nil, nil
	}
	l := lang(r)
	sf := &surveyForm{ID: f.ID, Title: f.Title.In(l, f.DefaultLanguage), Version: f.Version, Skipped: skipped}
	for _, p := range forms {
		sf.Versions = append(sf.Versions, p.Form.Version)
	}
	f.Walk(func(q, _ *survey.Question) error {
		if stats.Crossable(f, q.Name) {
			sf.Crossable = append(sf.Crossable, stats.Header{Name: q.Name, Label: q.Label.In(l, f.DefaultLanguage)})
		}
		return nil
	})
	return sf, f, recs
}

// labeled is a count with the label of its row, column or answer.
type labeled struct {
	Label string
	stats.Count
}

// surveyQuestion is a question's statistics with its chart.
type surveyQuestion struct {
	*stats.Question
	// Labeled are the rows with their labels in the reader's language.
	Labeled []labeled
	Chart   template.HTML
	// Why says, in the reader's language, why it is withheld or not
	// counted; Base says what the percentages are of.
	Why, Base string
}

// surveyStatsView is a form's statistics page, or with Cross its
// cross-table page.
type surveyStatsView struct {
	F         *surveyForm
	Responses int
	K, KS     int
	Questions []surveyQuestion
	Cross     *surveyCross
}

func (d *Desk) surveyStatsPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	sf, f, recs := d.surveyData(w, r, u)
	if sf == nil {
		return
	}
	l := lang(r)
	s, err := stats.Summarize(f, recs, l)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "survey_stats", "Survey statistics", &surveyStatsView{F: sf}, "The statistics could not be computed.", err)
		return
	}
	v := &surveyStatsView{F: sf, Responses: s.Responses, K: s.K, KS: s.KSensitive}
	for _, q := range s.Questions {
		sq := surveyQuestion{Question: q, Why: whyText(l, q.Why, q.K, false)}
		for _, row := range q.Rows {
			sq.Labeled = append(sq.Labeled, labeled{Label: rowLabel(l, row.Special, row.Label, q.ByRule), Count: row.Count})
		}
		if q.Why == "" && q.Kind != stats.KindNone {
			sq.Base = baseText(l, q)
			sq.Chart = template.HTML(stats.Chart(q, "chart-"+q.Name, stats.ChartText{ // #nosec G203 -- built with every text escaped
				Title: q.Label, Desc: sq.Base,
				Other: tr(l, "Other"), NoAnswer: noAnswerText(l, q.ByRule),
				Hidden: tr(l, "Hatched: hidden (fewer than %d, or hidden so that a small count cannot be worked out)", q.K),
			}))
		}
		v.Questions = append(v.Questions, sq)
	}
	d.render(w, r, http.StatusOK, "survey_stats", "Survey statistics", v)
}

// baseText says what a question's percentages are of.
func baseText(l string, q *stats.Question) string {
	switch {
	case q.OfAll:
		return tr(l, "Percentages of all responses: the number who answered is hidden, since it would show how few did not.")
	case q.Kind == stats.KindMultiple:
		return tr(l, "Share of the %s who answered that chose each; one person may choose several, so the shares may add up to more than 100 %%.", q.N.Text)
	}
	return tr(l, "Percentages of the %s who answered.", q.N.Text)
}

// rowLabel is the label of a row or column in the reader's language.
func rowLabel(l string, special stats.Special, label string, byRule bool) string {
	switch special {
	case stats.SpecialOther:
		return tr(l, "Other")
	case stats.SpecialNoAnswer:
		return noAnswerText(l, byRule)
	}
	return label
}

func noAnswerText(l string, byRule bool) string {
	if byRule {
		return tr(l, "Not answered or not asked")
	}
	return tr(l, "Not answered")
}

// whyText says why a table is withheld or a question not counted.
func whyText(l string, why stats.Why, k int, cross bool) string {
	switch why {
	case "":
		return ""
	case stats.WhyBaseBelowK:
		if cross {
			return tr(l, "Withheld: fewer than %d answered one of the two questions.", k)
		}
		return tr(l, "Withheld: fewer than %d answered this question.", k)
	case stats.WhyUnprotectable:
		return tr(l, "Withheld: its small counts could not be hidden so that they cannot be worked out from the rest.")
	case stats.WhyFreeText:
		return tr(l, "Free text is not counted. Read the answers in each testimony.")
	case stats.WhyInRepeat:
		return tr(l, "Not counted: one person can answer a question in a repeated block several times.")
	}
	return tr(l, "Not counted: attachments, locations, notes, calculations and the desk's own dates are not summarised.")
}

// surveyCross is a cross-table, or only the choice of one when X is nil.
type surveyCross struct {
	Row, Col string
	X        *stats.CrossTab
	Why      string
	// Cols and Rows are X's headings and rows with their labels in the
	// reader's language.
	Cols []string
	Rows []crossRow
}

type crossRow struct {
	Label string
	Cells []stats.Count
	Total stats.Count
}

func (d *Desk) surveyCrossPage(w http.ResponseWriter, r *http.Request, u *unlocked) {
	sf, f, recs := d.surveyData(w, r, u)
	if sf == nil {
		return
	}
	l := lang(r)
	c := &surveyCross{Row: r.URL.Query().Get("row"), Col: r.URL.Query().Get("col")}
	v := &surveyStatsView{F: sf, Responses: len(recs), K: f.MinCell, KS: f.MinCellSensitive, Cross: c}
	if c.Row == "" && c.Col == "" {
		d.render(w, r, http.StatusOK, "survey_stats", "Cross-table", v)
		return
	}
	x, err := stats.Cross(f, recs, l, c.Row, c.Col)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, "survey_stats", "Cross-table", v, "Choose two different questions that sort people into groups: a single choice, or a number.", nil)
		return
	}
	c.X, c.Why = x, whyText(l, x.Why, x.K, true)
	rq, _ := f.Question(c.Row)
	cq, _ := f.Question(c.Col)
	for _, h := range x.Cols {
		c.Cols = append(c.Cols, rowLabel(l, h.Special, h.Label, byRule(f, cq)))
	}
	for _, row := range x.Rows {
		c.Rows = append(c.Rows, crossRow{Label: rowLabel(l, row.Special, row.Label, byRule(f, rq)), Cells: row.Cells, Total: row.Total})
	}
	d.render(w, r, http.StatusOK, "survey_stats", "Cross-table", v)
}

// byRule reports whether q or a group around it has a relevance rule.
func byRule(f *survey.Form, q *survey.Question) bool {
	var found, rule bool
	var walk func(qs []*survey.Question, r bool)
	walk = func(qs []*survey.Question, r bool) {
		for _, x := range qs {
			rr := r || strings.TrimSpace(x.Relevant) != ""
			if x == q {
				found, rule = true, rr
			}
			walk(x.Children, rr)
		}
	}
	walk(f.Survey, false)
	return found && rule
}
