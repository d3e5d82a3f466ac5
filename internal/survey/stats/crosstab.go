package stats

import (
	"errors"
	"fmt"

	"testimony/internal/survey"
)

// ErrNotCrossable is returned for a cross-table of questions that cannot
// be crossed: not in the form, inside a repeat, the same question twice,
// or of a type that does not sort people into groups (only select_one
// questions and numbers, in bands, do).
var ErrNotCrossable = errors.New("these questions cannot be crossed")

// Header is a row's or a column's heading.
type Header struct {
	// Name is the choice's name or the band; "" for a special one.
	Name    string
	Label   string
	Special Special
}

// CrossRow is a row of a cross-table.
type CrossRow struct {
	Header
	// Cells are the counts, each with its percentage of the row.
	Cells []Count
	// Total is the row's total (the count of the row question's own
	// table), with its percentage of all responses.
	Total Count
}

// CrossTab is a cross-table of two questions over all responses; those
// who did not answer one of them are a row or column of their own.
type CrossTab struct {
	// Row and Col are the two questions' names and labels.
	Row, Col Header
	// K is the minimum cell: the form's higher one if either question is
	// sensitive.
	K int
	// Why is set when the table is withheld; nothing else is then set.
	Why  Why
	Cols []Header
	Rows []*CrossRow
	// ColTotals are the columns' totals (the counts of the column
	// question's own table), with their percentages of all responses.
	ColTotals []Count
	// Total is the number of responses.
	Total Count
}

// Crossable reports whether q can be a row or column of a cross-table.
func Crossable(f *survey.Form, name string) bool {
	q, repeat := f.Question(name)
	if q == nil || repeat != nil {
		return false
	}
	switch q.Type {
	case survey.SelectOne, survey.Integer, survey.Decimal, survey.Date:
		return true
	}
	return false
}

// Cross computes the cross-table of the questions named row and col from
// recs, with labels in lang. Whichever way round it is asked for, the
// same counts are hidden.
func Cross(f *survey.Form, recs []survey.Record, lang, row, col string) (*CrossTab, error) {
	if err := checkRecords(f, recs); err != nil {
		return nil, err
	}
	if row == col || !Crossable(f, row) || !Crossable(f, col) {
		return nil, fmt.Errorf("%w: %q and %q", ErrNotCrossable, row, col)
	}
	qr, _ := f.Question(row)
	qc, _ := f.Question(col)
	// Decide in one order only, so that A by B and B by A hide the same.
	flip := row > col
	if flip {
		qr, qc = qc, qr
	}
	x := crossNet(f, recs, lang, qr, qc)
	out := &CrossTab{K: x.k, Why: x.why,
		Row: Header{Name: qr.Name, Label: qr.Label.In(lang, f.DefaultLanguage)},
		Col: Header{Name: qc.Name, Label: qc.Label.In(lang, f.DefaultLanguage)}}
	if flip {
		out.Row, out.Col = out.Col, out.Row
	}
	if x.why != "" {
		return out, nil
	}
	rows, cols := x.rows, x.cols
	rowTot, colTot := x.rowTot, x.colTot
	cell := func(i, j int) *edge { return x.cells[i][j] }
	if flip {
		rows, cols, rowTot, colTot = cols, rows, colTot, rowTot
		cell = func(i, j int) *edge { return x.cells[j][i] }
	}
	out.Total = count(x.total, x.k)
	for j, h := range cols {
		if h.Special == SpecialNoAnswer && colTot[j].v == 0 {
			continue
		}
		out.Cols = append(out.Cols, h)
		out.ColTotals = append(out.ColTotals, percent(count(colTot[j], x.k), colTot[j], x.total))
	}
	for i, h := range rows {
		if h.Special == SpecialNoAnswer && rowTot[i].v == 0 {
			continue
		}
		r := &CrossRow{Header: h, Total: percent(count(rowTot[i], x.k), rowTot[i], x.total)}
		for j, ch := range cols {
			if ch.Special == SpecialNoAnswer && colTot[j].v == 0 {
				continue
			}
			e := cell(i, j)
			c := percent(count(e, x.k), e, rowTot[i])
			c.ZeroOrFull = zeroOrFull(e, rowTot[i]) || zeroOrFull(e, colTot[j])
			r.Cells = append(r.Cells, c)
		}
		out.Rows = append(out.Rows, r)
	}
	return out, nil
}

// zeroOrFull reports whether the shown count e is, as far as a reader can
// tell, 0 % or 100 % of base: 0 of a base above 0 (a hidden base is at
// least 1), or all of a shown base. It uses nothing the page does not
// show.
func zeroOrFull(e, base *edge) bool {
	if e.hidden {
		return false
	}
	if base.hidden {
		return e.v == 0
	}
	return base.v > 0 && (e.v == 0 || e.v == base.v)
}

// cross is a cross-table as a network (see protect.go):
//
//	T ─total→ S ─Nrow→ S' ─row i→ R_i ─cell→ C_j ─col j→ T' ─Ncol→ T
//	          S ─no answer→ R_0             C_0 ─no answer→ T
//
// Every margin is an edge of a question's own table and is fixed: it is
// hidden exactly as that table hides it, and never more.
type cross struct {
	k              int
	why            Why
	total          *edge
	rows, cols     []Header
	rowTot, colTot []*edge // [0] is "no answer"
	cells          [][]*edge
}

func crossNet(f *survey.Form, recs []survey.Record, lang string, qr, qc *survey.Question) *cross {
	x := &cross{k: kFor(f, qr, qc)}
	cr, cc := categorize(f, qr, recs, lang), categorize(f, qc, recs, lang)
	tr, tc := oneWayTable(cr, len(recs), kFor(f, qr)), oneWayTable(cc, len(recs), kFor(f, qc))
	switch {
	case tr.why != "":
		x.why = tr.why
		return x
	case tc.why != "":
		x.why = tc.why
		return x
	case tr.n.v < x.k || tc.n.v < x.k:
		x.why = WhyBaseBelowK
		return x
	}
	// Which record is in which row and column; 0 is "no answer".
	rowOf, colOf := make([]int, len(recs)), make([]int, len(recs))
	for i, c := range cr.rows {
		for _, m := range c.members {
			rowOf[m] = i + 1
		}
	}
	for j, c := range cc.rows {
		for _, m := range c.members {
			colOf[m] = j + 1
		}
	}
	counts := make([][]int, len(cr.rows)+1)
	for i := range counts {
		counts[i] = make([]int, len(cc.rows)+1)
	}
	for m := range recs {
		counts[rowOf[m]][colOf[m]]++
	}

	const nodeT, nodeS, nodeS2, nodeT2 = 0, 1, 2, 3
	nr, nc := len(cr.rows)+1, len(cc.rows)+1
	rowNode := func(i int) int { return 4 + i }
	colNode := func(j int) int { return 4 + nr + j }
	net := &network{nodes: 4 + nr + nc}
	copyOf := func(e *edge, from, to int) *edge {
		c := net.add(from, to, e.v)
		c.hidden, c.primary, c.lo, c.hi, c.fixed = e.hidden, e.primary, e.lo, e.hi, true
		return c
	}
	x.total = copyOf(tr.total, nodeT, nodeS)
	copyOf(tr.n, nodeS, nodeS2)
	copyOf(tc.n, nodeT2, nodeT)
	x.rowTot = append(x.rowTot, copyOf(tr.noAns, nodeS, rowNode(0)))
	x.rows = append(x.rows, Header{Special: SpecialNoAnswer})
	for i, c := range cr.rows {
		x.rowTot = append(x.rowTot, copyOf(tr.cats[i], nodeS2, rowNode(i+1)))
		x.rows = append(x.rows, Header{Name: c.name, Label: c.label, Special: c.special})
	}
	x.colTot = append(x.colTot, copyOf(tc.noAns, colNode(0), nodeT))
	x.cols = append(x.cols, Header{Special: SpecialNoAnswer})
	for j, c := range cc.rows {
		x.colTot = append(x.colTot, copyOf(tc.cats[j], colNode(j+1), nodeT2))
		x.cols = append(x.cols, Header{Name: c.name, Label: c.label, Special: c.special})
	}
	// "No answer" goes last, as in the questions' own tables.
	x.rows = append(x.rows[1:], x.rows[0])
	x.rowTot = append(x.rowTot[1:], x.rowTot[0])
	x.cols = append(x.cols[1:], x.cols[0])
	x.colTot = append(x.colTot[1:], x.colTot[0])
	x.cells = make([][]*edge, nr)
	for i := range nr {
		ri := (i + 1) % nr // the order above: categories, then no answer
		x.cells[i] = make([]*edge, nc)
		for j := range nc {
			cj := (j + 1) % nc
			x.cells[i][j] = net.add(rowNode(ri), colNode(cj), counts[ri][cj])
		}
	}
	if !net.protect(x.k) {
		x.why = WhyUnprotectable
	}
	return x
}
