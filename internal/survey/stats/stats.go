// Package stats computes a survey's statistics for reviewers — the number
// of responses, a frequency table per question, numbers' mean, median and
// histogram, cross-tables of two questions, and SVG charts of them — with
// disclosure control applied to everything before it leaves the package.
//
// # Disclosure control
//
// Every count is checked against the form's minimum cell k
// ([survey.Form.MinCell], or [survey.Form.MinCellSensitive] for a table
// involving a question marked sensitive):
//
//   - a count from 1 to k-1 is shown as "<k" (primary suppression); a 0 is
//     shown, since it is nobody;
//   - more counts are hidden, shown as "x", until no hidden count can be
//     worked out exactly from what is shown: totals, N, the number of
//     responses, the other counts (secondary suppression; see protect.go
//     for how this is decided and why it is exact);
//   - percentages are whole numbers, and only of shown counts over a shown
//     base, so they tell nothing the counts do not;
//   - a table whose base (those who answered) is below k is withheld, and
//     says why; so is one whose small counts cannot be protected;
//   - in a cross-table, the margins are the counts of the two questions'
//     own tables, hidden exactly where those tables hide them, so that the
//     two pages together give away no more than each; and every cell that
//     is 0 % or 100 % of its row or column is marked, since it says
//     something about everyone in a group.
//
// The types returned carry only what may be shown: display strings and
// flags. No exported field holds a count that is hidden. What the rules
// do not protect against (differencing across many tables, linkage with
// outside data, free text) is written in docs/disclosure.md.
//
// Questions are matched by name across versions of a form: a response to
// an older version is counted with the questions of the form given, and
// a question its version did not ask counts as not answered.
package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"testimony/internal/survey"
)

// Kind says how a question is summarised.
type Kind string

// The kinds of summary.
const (
	// KindChoice: a select_one, as a frequency table and bars.
	KindChoice Kind = "choice"
	// KindLikert: a select_one whose appearance says likert, as a
	// frequency table and one stacked bar.
	KindLikert Kind = "likert"
	// KindMultiple: a select_multiple, as the share of those who answered
	// that chose each choice (the shares may add up to more than 100 %).
	KindMultiple Kind = "multiple"
	// KindNumber: an integer, decimal or date (by year), as mean, median
	// and a histogram.
	KindNumber Kind = "number"
	// KindNone: not summarised (see Question.Why).
	KindNone Kind = "none"
)

// Why says why a table is withheld or a question not summarised. The
// desk words each one in the reader's language.
type Why string

// The reasons.
const (
	// WhyBaseBelowK: fewer than K answered the question (or, in a
	// cross-table, one of the two questions).
	WhyBaseBelowK Why = "base-below-k"
	// WhyUnprotectable: the small counts could not be hidden so that they
	// cannot be worked out; the whole table is withheld instead.
	WhyUnprotectable Why = "unprotectable"
	// WhyFreeText: free text is not counted; read it in each testimony.
	WhyFreeText Why = "free-text"
	// WhyInRepeat: a question inside a repeat can be answered several
	// times by one person, so its counts would not be of people.
	WhyInRepeat Why = "in-repeat"
	// WhyNotCounted: attachments, locations, notes, calculations and
	// the desk's own dates are not counted.
	WhyNotCounted Why = "not-counted"
)

// Special names the rows that are not choices of the form.
type Special string

// The special rows.
const (
	// SpecialOther is the "other" of an or_other question.
	SpecialOther Special = "other"
	// SpecialNoAnswer counts those who did not answer: skipped it, or were
	// not asked because of a relevance rule (Question.ByRule).
	SpecialNoAnswer Special = "no-answer"
)

// Count is a number as a reader may see it.
type Count struct {
	// Text is the count: "12", "0", "<5" when it is below the minimum
	// cell, "x" when it is hidden so that another cannot be worked out.
	Text string
	// Percent is its percentage as shown ("34 %", "<1 %", ">99 %"), or ""
	// when the count or its base is hidden.
	Percent string
	// Share is the percentage as a whole number (0 to 100), for drawing;
	// -1 when Percent is "".
	Share int
	// Suppressed: below the minimum cell (Text "<k").
	Suppressed bool
	// Secondary: hidden to protect another count (Text "x").
	Secondary bool
	// ZeroOrFull: in a cross-table, 0 % or 100 % of its row or column.
	ZeroOrFull bool
}

// Hidden reports whether the count is not shown.
func (c Count) Hidden() bool { return c.Suppressed || c.Secondary }

// Row is a row of a frequency table: a choice, a band of numbers, "other"
// or "no answer".
type Row struct {
	// Name is the choice's name or the band ("20-29"); "" for a special row.
	Name string
	// Label is the choice's label in the reader's language, or the band.
	Label   string
	Special Special
	Count
}

// Question is one question's statistics.
type Question struct {
	Name string
	// Label is the question's label in the reader's language.
	Label string
	Type  survey.Type
	Kind  Kind
	// Sensitive questions use the form's higher minimum cell.
	Sensitive bool
	// K is the minimum cell of the question's tables.
	K int
	// Why is set when the question is not summarised (Kind is KindNone)
	// or its table is withheld; nothing else is then set but N.
	Why Why
	// N is the number who answered: the base of the percentages. Hidden
	// when the number who did not answer is below K; then the
	// percentages are of all responses (OfAll).
	N     Count
	OfAll bool
	// ByRule: the question or a group around it has a relevance rule, so
	// "no answer" includes those not asked.
	ByRule bool
	// Rows are the choices (with "other"), or the histogram's bands.
	Rows []Row
	// NoAnswer is the row of those who did not answer.
	NoAnswer Row
	// Mean and Median of a number ("34.2"), "" when withheld.
	Mean, Median string
}

// Summary is a form's statistics.
type Summary struct {
	// Form is the form's ID; Title its title in the reader's language.
	Form, Title string
	// Responses is the number of responses. It is shown exactly: the
	// reviewer holds every one of them.
	Responses int
	// Versions are the form versions the responses answer, ascending.
	Versions []string
	// K and KSensitive are the form's minimum cells.
	K, KSensitive int
	Questions     []*Question
}

// ErrForm is returned when the records do not answer the form given.
var ErrForm = errors.New("the responses are not to this form")

// Summarize computes the statistics of every question of f from the
// responses recs, with labels in lang (falling back to the form's default
// language). Every record must answer f's form ID (any version).
func Summarize(f *survey.Form, recs []survey.Record, lang string) (*Summary, error) {
	if err := checkRecords(f, recs); err != nil {
		return nil, err
	}
	s := &Summary{Form: f.ID, Title: f.Title.In(lang, f.DefaultLanguage), Responses: len(recs),
		K: f.MinCell, KSensitive: f.MinCellSensitive}
	for _, r := range recs {
		if !slices.Contains(s.Versions, r.Response.Version) {
			s.Versions = append(s.Versions, r.Response.Version)
		}
	}
	sort.Slice(s.Versions, func(i, j int) bool {
		a, _ := strconv.ParseUint(s.Versions[i], 10, 64)
		b, _ := strconv.ParseUint(s.Versions[j], 10, 64)
		return a < b
	})
	for _, in := range questions(f) {
		s.Questions = append(s.Questions, in.summarize(f, recs, lang))
	}
	return s, nil
}

func checkRecords(f *survey.Form, recs []survey.Record) error {
	if f == nil {
		return errors.New("no form")
	}
	if f.MinCell < survey.MinCellFloor || f.MinCellSensitive < f.MinCell {
		return fmt.Errorf("the form's minimum cells (%d, %d) are below %d", f.MinCell, f.MinCellSensitive, survey.MinCellFloor)
	}
	for _, r := range recs {
		if r.Response == nil || r.Response.Answers == nil {
			return fmt.Errorf("%w: response %s has no answers", ErrForm, r.ID)
		}
		if r.Response.Form != f.ID {
			return fmt.Errorf("%w: response %s answers form %q, not %q", ErrForm, r.ID, r.Response.Form, f.ID)
		}
	}
	return nil
}

// placed is a question with where it stands in the form.
type placed struct {
	q      *survey.Question
	repeat bool // inside a repeat
	byRule bool // it or a group around it has a relevance rule
}

// questions lists the questions that take answers, in form order.
func questions(f *survey.Form) []placed {
	var out []placed
	var walk func(qs []*survey.Question, repeat, rule bool)
	walk = func(qs []*survey.Question, repeat, rule bool) {
		for _, q := range qs {
			r := rule || strings.TrimSpace(q.Relevant) != ""
			if q.Type == survey.Group || q.Type == survey.Repeat {
				walk(q.Children, repeat || q.Type == survey.Repeat, r)
				continue
			}
			if q.Type.HasAnswer() {
				out = append(out, placed{q: q, repeat: repeat, byRule: r})
			}
		}
	}
	walk(f.Survey, false, false)
	return out
}

// kFor is the minimum cell for a table of these questions.
func kFor(f *survey.Form, qs ...*survey.Question) int {
	for _, q := range qs {
		if q.Sensitive {
			return f.MinCellSensitive
		}
	}
	return f.MinCell
}

func kindOf(p placed) (Kind, Why) {
	q := p.q
	switch {
	case p.repeat:
		return KindNone, WhyInRepeat
	case q.Type == survey.SelectOne && strings.Contains(strings.ToLower(q.Appearance), "likert"):
		return KindLikert, ""
	case q.Type == survey.SelectOne:
		return KindChoice, ""
	case q.Type == survey.SelectMultiple:
		return KindMultiple, ""
	case q.Type == survey.Integer, q.Type == survey.Decimal, q.Type == survey.Date:
		return KindNumber, ""
	case q.Type == survey.Text:
		return KindNone, WhyFreeText
	}
	return KindNone, WhyNotCounted
}

func (p placed) summarize(f *survey.Form, recs []survey.Record, lang string) *Question {
	q := p.q
	out := &Question{Name: q.Name, Label: q.Label.In(lang, f.DefaultLanguage), Type: q.Type,
		Sensitive: q.Sensitive, K: kFor(f, q), ByRule: p.byRule}
	out.Kind, out.Why = kindOf(p)
	switch out.Kind {
	case KindChoice, KindLikert, KindNumber:
		cats := categorize(f, q, recs, lang)
		t := oneWayTable(cats, len(recs), out.K)
		t.fill(out, cats)
		if out.Kind == KindNumber && out.Why == "" {
			out.Mean, out.Median = meanMedian(q, recs)
		}
	case KindMultiple:
		multiple(f, q, recs, lang, out)
	}
	return out
}

// category is a row of a one-way table before protection.
type category struct {
	name, label string
	special     Special
	n           int
	members     []int // indexes of the records in it
}

// categories is a question's answers sorted into rows.
type categories struct {
	rows     []*category
	noAnswer []int // indexes of the records that did not answer
}

// categorize sorts the records by their answer to a select_one or a
// number. Its rows are the same for a question's own table and for every
// cross-table it is in.
func categorize(f *survey.Form, q *survey.Question, recs []survey.Record, lang string) *categories {
	c := &categories{}
	if q.Type == survey.SelectOne {
		byName := map[string]*category{}
		for _, ch := range f.Choices[q.List] {
			cat := &category{name: ch.Name, label: ch.Label.In(lang, f.DefaultLanguage)}
			if cat.label == "" {
				cat.label = ch.Name
			}
			c.rows = append(c.rows, cat)
			byName[ch.Name] = cat
		}
		if q.OrOther {
			if _, ok := byName[survey.OtherChoice]; !ok {
				cat := &category{name: survey.OtherChoice, special: SpecialOther}
				c.rows = append(c.rows, cat)
				byName[survey.OtherChoice] = cat
			}
		}
		var unknown []*category // answers naming a choice this version lacks
		for i, r := range recs {
			a := strings.TrimSpace(r.Response.Answers.Get(q.Name))
			if a == "" {
				c.noAnswer = append(c.noAnswer, i)
				continue
			}
			cat := byName[a]
			if cat == nil {
				cat = &category{name: a, label: a}
				byName[a] = cat
				unknown = append(unknown, cat)
			}
			cat.members = append(cat.members, i)
		}
		sort.Slice(unknown, func(i, j int) bool { return unknown[i].name < unknown[j].name })
		c.rows = append(c.rows, unknown...)
	} else {
		vals := make([]float64, len(recs))
		var have []float64
		for i, r := range recs {
			v, ok := number(q, r.Response.Answers.Get(q.Name))
			if !ok {
				c.noAnswer = append(c.noAnswer, i)
				vals[i] = math.NaN()
				continue
			}
			vals[i] = v
			have = append(have, v)
		}
		for _, b := range bands(have, q.Type != survey.Decimal) {
			cat := &category{name: b.label, label: b.label}
			for i, v := range vals {
				if !math.IsNaN(v) && v >= b.lo && v < b.hi {
					cat.members = append(cat.members, i)
				}
			}
			c.rows = append(c.rows, cat)
		}
	}
	for _, r := range c.rows {
		r.n = len(r.members)
	}
	return c
}

// number reads a numeric answer; a date counts as its year.
func number(q *survey.Question, a string) (float64, bool) {
	a = strings.TrimSpace(a)
	if a == "" {
		return 0, false
	}
	if q.Type == survey.Date {
		t, err := time.Parse(time.DateOnly, a)
		if err != nil {
			return 0, false
		}
		return float64(t.Year()), true
	}
	v, err := strconv.ParseFloat(a, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// band is a histogram bin [lo, hi).
type band struct {
	lo, hi float64
	label  string
}

// bands returns about ten bins of a "nice" width (1, 2 or 5 times a power
// of ten) on multiples of that width, covering vals. Integer bins are
// labelled by their first and last whole number ("20–29").
func bands(vals []float64, integer bool) []band {
	if len(vals) == 0 {
		return nil
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	width := 1.0
	if span := hi - lo; span > 0 {
		width = math.Pow(10, math.Floor(math.Log10(span/10)))
		for _, m := range []float64{1, 2, 5, 10} {
			if span/(width*m) <= 10 {
				width *= m
				break
			}
		}
	}
	if integer && width < 1 {
		width = 1
	}
	start := math.Floor(lo/width) * width
	var out []band
	for b := start; b <= hi && len(out) < 64; b += width {
		bd := band{lo: b, hi: b + width}
		switch {
		case integer && width == 1:
			bd.label = strconv.FormatFloat(b, 'f', -1, 64)
		case integer:
			bd.label = strconv.FormatFloat(b, 'f', -1, 64) + "–" + strconv.FormatFloat(b+width-1, 'f', -1, 64)
		default:
			bd.label = strconv.FormatFloat(b, 'g', 6, 64) + "–" + strconv.FormatFloat(b+width, 'g', 6, 64)
		}
		out = append(out, bd)
	}
	return out
}

// meanMedian of the numeric answers, to one decimal.
func meanMedian(q *survey.Question, recs []survey.Record) (string, string) {
	var vals []float64
	for _, r := range recs {
		if v, ok := number(q, r.Response.Answers.Get(q.Name)); ok {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return "", ""
	}
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	slices.Sort(vals)
	med := vals[len(vals)/2]
	if len(vals)%2 == 0 {
		med = (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2
	}
	return strconv.FormatFloat(sum/float64(len(vals)), 'f', 1, 64), strconv.FormatFloat(med, 'f', 1, 64)
}

// oneWay is a one-way table as a network (see protect.go):
// X ─total→ S ─N→ S' ─cats→ X, and S ─noAnswer→ X.
type oneWay struct {
	k               int
	cats            []*edge
	n, noAns, total *edge
	why             Why
}

const (
	nodeX = iota
	nodeS
	nodeS2
)

// marginCost makes hiding a margin (N, a row total) the last resort.
const marginCost = 1 << 30

func oneWayTable(c *categories, responses, k int) *oneWay {
	net := &network{nodes: 3}
	t := &oneWay{k: k}
	t.total = net.add(nodeX, nodeS, responses)
	t.total.fixed = true
	n := 0
	for _, r := range c.rows {
		n += r.n
	}
	t.n = net.add(nodeS, nodeS2, n)
	t.n.cost = marginCost + n
	t.noAns = net.add(nodeS, nodeX, len(c.noAnswer))
	for _, r := range c.rows {
		t.cats = append(t.cats, net.add(nodeS2, nodeX, r.n))
	}
	switch {
	case n < k:
		t.why = WhyBaseBelowK
	case !net.protect(k):
		t.why = WhyUnprotectable
	}
	return t
}

// fill writes the protected table into q.
func (t *oneWay) fill(q *Question, c *categories) {
	q.N = count(t.n, t.k)
	switch {
	case t.why == WhyBaseBelowK && t.n.v > 0:
		q.N = Count{Text: "<" + strconv.Itoa(t.k), Share: -1, Suppressed: true}
	case t.why != "":
		// N and the number of responses would give away "no answer".
		q.N = Count{Text: "x", Share: -1, Secondary: true}
	}
	if t.why != "" {
		q.Why = t.why
		return
	}
	base := t.n
	if base.hidden {
		base, q.OfAll = t.total, true
	}
	for i, r := range c.rows {
		q.Rows = append(q.Rows, Row{Name: r.name, Label: r.label, Special: r.special, Count: percent(count(t.cats[i], t.k), t.cats[i], base)})
	}
	q.NoAnswer = Row{Special: SpecialNoAnswer, Count: count(t.noAns, t.k)}
	if q.OfAll {
		q.NoAnswer.Count = percent(q.NoAnswer.Count, t.noAns, base)
	}
}

// count is how edge e shows.
func count(e *edge, k int) Count {
	switch {
	case e.hidden && e.primary:
		return Count{Text: "<" + strconv.Itoa(e.hi+1), Share: -1, Suppressed: true}
	case e.hidden:
		return Count{Text: "x", Share: -1, Secondary: true}
	}
	return Count{Text: strconv.Itoa(e.v), Share: -1}
}

// percent adds e's percentage of base when both are shown.
func percent(c Count, e, base *edge) Count {
	if e.hidden || base.hidden || base.v == 0 {
		return c
	}
	c.Percent, c.Share = formatPercent(e.v, base.v)
	return c
}

// formatPercent rounds n/base to a whole percent, never showing 0 % for
// a count above 0 or 100 % for one below the base.
func formatPercent(n, base int) (string, int) {
	p := (200*n + base) / (2 * base)
	switch {
	case n > 0 && p == 0:
		return "<1 %", 0
	case n < base && p == 100:
		return ">99 %", 100
	}
	return strconv.Itoa(p) + " %", p
}
