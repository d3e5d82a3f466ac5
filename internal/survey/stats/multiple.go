package stats

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"testimony/internal/survey"
)

// A select_multiple is not a partition: each choice is a yes/no of its
// own, "chose it" c against "did not" N-c. What binds the counts is that
// each of the N who answered chose at least one choice (the choices add
// up to N or more) and that no choice is chosen by more than N. These are
// not network constraints, so the check is different from protect.go's:
// for each protected number, every value the shown numbers still allow is
// tried (protectedValues). The protected numbers are a choice chosen by
// 1 to k-1 ("<k"), a choice not chosen by 1 to k-1 (shown as "x": "all
// but two chose it" is as telling as "two chose it"), and the number who
// did not answer.

// multiCell is a select_multiple count and what a reader knows of it.
type multiCell struct {
	v       int
	state   cellState
	special Special
	name    string
	label   string
}

type cellState int

const (
	shown   cellState = iota
	small             // 1..k-1, shown as "<k"
	hiddenX           // k or more, shown as "x"
)

// multiTable is a select_multiple's table.
type multiTable struct {
	k, total, n int
	nHidden     bool // N is shown as "x", and "no answer" as "<k"
	cells       []*multiCell
}

func multiple(f *survey.Form, q *survey.Question, recs []survey.Record, lang string, out *Question) {
	t := &multiTable{k: out.K, total: len(recs)}
	byName := map[string]*multiCell{}
	for _, ch := range f.Choices[q.List] {
		c := &multiCell{name: ch.Name, label: ch.Label.In(lang, f.DefaultLanguage)}
		if c.label == "" {
			c.label = ch.Name
		}
		t.cells = append(t.cells, c)
		byName[ch.Name] = c
	}
	if q.OrOther && byName[survey.OtherChoice] == nil {
		c := &multiCell{name: survey.OtherChoice, special: SpecialOther}
		t.cells = append(t.cells, c)
		byName[survey.OtherChoice] = c
	}
	var unknown []*multiCell
	for _, r := range recs {
		chosen := strings.Fields(r.Response.Answers.Get(q.Name))
		if len(chosen) == 0 {
			continue
		}
		t.n++
		slices.Sort(chosen)
		for _, name := range slices.Compact(chosen) {
			c := byName[name]
			if c == nil {
				c = &multiCell{name: name, label: name}
				byName[name] = c
				unknown = append(unknown, c)
			}
			c.v++
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].name < unknown[j].name })
	t.cells = append(t.cells, unknown...)

	why := t.protect()
	if why != "" {
		out.Why = why
		out.N = Count{Text: "x", Share: -1, Secondary: true}
		if why == WhyBaseBelowK {
			out.N = Count{Text: "0", Share: -1}
			if t.n > 0 {
				out.N = Count{Text: "<" + strconv.Itoa(t.k), Share: -1, Suppressed: true}
			}
		}
		return
	}
	base := t.n
	out.N = Count{Text: strconv.Itoa(t.n), Share: -1}
	out.NoAnswer = Row{Special: SpecialNoAnswer, Count: Count{Text: strconv.Itoa(t.total - t.n), Share: -1}}
	if t.nHidden {
		base, out.OfAll = t.total, true
		out.N = Count{Text: "x", Share: -1, Secondary: true}
		out.NoAnswer.Count = Count{Text: "<" + strconv.Itoa(t.k), Share: -1, Suppressed: true}
	}
	for _, c := range t.cells {
		row := Row{Name: c.name, Label: c.label, Special: c.special}
		switch c.state {
		case small:
			row.Count = Count{Text: "<" + strconv.Itoa(t.k), Share: -1, Suppressed: true}
		case hiddenX:
			row.Count = Count{Text: "x", Share: -1, Secondary: true}
		default:
			row.Count = Count{Text: strconv.Itoa(c.v), Share: -1}
			if base > 0 {
				row.Percent, row.Share = formatPercent(c.v, base)
			}
		}
		out.Rows = append(out.Rows, row)
	}
}

// protect decides what is hidden, and returns why the table is withheld,
// or "".
func (t *multiTable) protect() Why {
	k := t.k
	if t.n < k {
		return WhyBaseBelowK
	}
	if no := t.total - t.n; no > 0 && no < k {
		t.nHidden = true
	}
	for _, c := range t.cells {
		switch {
		case c.v > 0 && c.v < k:
			c.state = small
		case t.n-c.v > 0 && t.n-c.v < k:
			c.state = hiddenX
		}
	}
	if disableSecondary {
		return ""
	}
	for {
		if !t.anyPinned() {
			return ""
		}
		// Hide the smallest shown choice: it lets the choices add up to
		// more, which is what pins a count here.
		var pick *multiCell
		for _, c := range t.cells {
			if c.state == shown && c.v >= k && (pick == nil || c.v < pick.v) {
				pick = c
			}
		}
		if pick == nil {
			return WhyUnprotectable
		}
		pick.state = hiddenX
	}
}

// nRange is what a reader can tell of N.
func (t *multiTable) nRange() (int, int) {
	if !t.nHidden {
		return t.n, t.n
	}
	return max(t.k, t.total-t.k+1), t.total - 1
}

// bounds is what a reader can tell of a choice's count when N is n.
func (t *multiTable) bounds(c *multiCell, n int) (int, int) {
	switch c.state {
	case small:
		return 1, min(t.k-1, n)
	case hiddenX:
		return t.k, n
	}
	return c.v, min(c.v, n) // a shown count above N rules that N out
}

func (t *multiTable) anyPinned() bool {
	if t.nHidden && len(t.protectedValues(nil)) < 2 {
		return true
	}
	for _, c := range t.cells {
		if c.state != shown && t.protects(c) && len(t.protectedValues(c)) < 2 {
			return true
		}
	}
	return false
}

// protects reports whether c is a count that must not be pinned: chosen,
// or not chosen, by 1 to k-1.
func (t *multiTable) protects(c *multiCell) bool {
	return (c.v > 0 && c.v < t.k) || (t.n-c.v > 0 && t.n-c.v < t.k)
}

// protectedValues returns up to two values that the protected number of
// target (or, for nil, the number who did not answer) can take in a table
// that agrees with everything shown.
func (t *multiTable) protectedValues(target *multiCell) []int {
	var seen []int
	nlo, nhi := t.nRange()
	for n := nlo; n <= nhi; n++ {
		// The most the other choices can add up to, and whether they fit.
		sumOthers, ok := 0, true
		for _, c := range t.cells {
			if c == target {
				continue
			}
			lo, hi := t.bounds(c, n)
			if lo > hi {
				ok = false
				break
			}
			sumOthers += hi
		}
		if !ok {
			continue
		}
		if target == nil {
			if sumOthers >= n && !slices.Contains(seen, t.total-n) {
				seen = append(seen, t.total-n)
			}
		} else {
			lo, hi := t.bounds(target, n)
			for v := lo; v <= hi; v++ {
				if sumOthers+v < n {
					continue
				}
				p := v
				if target.v >= t.k { // protected: those who did not choose it
					p = n - v
				}
				if !slices.Contains(seen, p) {
					seen = append(seen, p)
				}
				if len(seen) > 1 {
					return seen
				}
			}
		}
		if len(seen) > 1 {
			return seen
		}
	}
	return seen
}
