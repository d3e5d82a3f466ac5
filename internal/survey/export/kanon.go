package export

import (
	"fmt"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"

	"testimony/internal/survey"
)

// Report describes the equivalence classes of a set of rows over the
// quasi-identifiers: rows with the same values of all of them are one
// class.
type Report struct {
	// K is the smallest class size allowed.
	K int `json:"k"`
	// Rows is the number of rows.
	Rows int `json:"rows"`
	// Classes is the number of classes.
	Classes int `json:"classes"`
	// Unique is the number of rows alone in their class.
	Unique int `json:"unique"`
	// BelowK is the number of rows in classes smaller than K (Unique
	// included).
	BelowK int `json:"below_k"`
	// SmallClasses is the number of classes smaller than K.
	SmallClasses int `json:"small_classes"`
	// Smallest is the size of the smallest class (0 without rows).
	Smallest int `json:"smallest"`
}

// Safe reports whether no class is smaller than K.
func (r Report) Safe() bool { return r.BelowK == 0 }

// analyze counts the classes of keys.
func analyze(keys []string, k int) Report {
	r := Report{K: k, Rows: len(keys)}
	sizes := map[string]int{}
	for _, key := range keys {
		sizes[key]++
	}
	r.Classes = len(sizes)
	for _, n := range sizes {
		if r.Smallest == 0 || n < r.Smallest {
			r.Smallest = n
		}
		if n == 1 {
			r.Unique++
		}
		if n < k {
			r.BelowK += n
			r.SmallClasses++
		}
	}
	return r
}

// Analyze returns the classes of the responses in records to f over the
// quasi-identifier questions quasi (nil: the form's), as answered, before
// any generalization. k 0 means the form's MinCell.
func Analyze(f *survey.Form, records []survey.Record, quasi []string, k int) (Report, error) {
	x, err := Prepare(f, Records(records), Options{Format: CSV, Quasi: quasi, K: k, FreeText: true, GeoDecimals: MaxGeoDecimals})
	if err != nil {
		return Report{}, err
	}
	return x.disc.Before, nil
}

// AnalyzeTable returns the classes of rows, a table as read back from an
// export (a header row first), over the columns named in quasi. Cells are
// compared as text; a blank cell is a value like any other. It is how a
// test, or a cautious reader, checks a written file.
func AnalyzeTable(rows iter.Seq[[]string], quasi []string, k int) (Report, error) {
	var cols []int
	var keys []string
	first := true
	for row := range rows {
		if first {
			first = false
			for _, q := range quasi {
				i := slices.Index(row, q)
				if i < 0 {
					return Report{}, fmt.Errorf("the table has no column %q", q)
				}
				cols = append(cols, i)
			}
			continue
		}
		var b strings.Builder
		for _, i := range cols {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			b.WriteString(strconv.Quote(v))
		}
		keys = append(keys, b.String())
	}
	if first {
		return Report{}, fmt.Errorf("the table is empty")
	}
	return analyze(keys, k), nil
}

// pickQuasi resolves the quasi-identifier questions: those named, or the
// form's. Only exported questions outside repeats can be checked; the
// form's others are recorded as not checked.
func (x *Export) pickQuasi() error {
	main := x.tables[0]
	inMain := map[string][]int{}
	for i, c := range main.columns {
		if c.q != nil {
			inMain[c.q.Name] = append(inMain[c.q.Name], i)
		}
	}
	var names []string
	if x.o.Quasi == nil {
		_ = x.form.Walk(func(q, repeat *survey.Question) error {
			if q.Identifier == "" || !q.Type.HasAnswer() {
				return nil
			}
			switch {
			case repeat != nil:
				x.disc.NotChecked = append(x.disc.NotChecked, NotChecked{q.Name, "in the repeat " + repeat.Name})
			case inMain[q.Name] == nil:
				x.disc.NotChecked = append(x.disc.NotChecked, NotChecked{q.Name, "not exported"})
			default:
				names = append(names, q.Name)
			}
			return nil
		})
	} else {
		for _, n := range x.o.Quasi {
			q, repeat := x.form.Question(n)
			switch {
			case q == nil:
				return fmt.Errorf("%w: the form %s has no question %q to use as a quasi-identifier", ErrOptions, x.form.ID, n)
			case !q.Type.HasAnswer():
				return fmt.Errorf("%w: %q is a %s, not a question with answers", ErrOptions, n, q.Type)
			case repeat != nil:
				return fmt.Errorf("%w: %q is in the repeat %q: only questions asked once per response can be quasi-identifiers", ErrOptions, n, repeat.Name)
			case slices.Contains(names, n):
				return fmt.Errorf("%w: %q is given twice", ErrOptions, n)
			case inMain[n] == nil:
				// Not in the file: it cannot single anyone out of it.
				x.disc.NotChecked = append(x.disc.NotChecked, NotChecked{n, "not exported"})
				continue
			}
			names = append(names, n)
		}
	}
	for _, n := range names {
		q, _ := x.form.Question(n)
		x.quasi = append(x.quasi, q)
		x.quasiCols = append(x.quasiCols, inMain[n])
		x.disc.Quasi = append(x.disc.Quasi, n)
		if kind := x.generalizes(q); kind != "" {
			x.disc.Generalizations = append(x.disc.Generalizations, Applied{Question: n, Kind: kind, Rule: x.rule(kind)})
		}
	}
	if x.disc.Quasi == nil {
		x.disc.Quasi = []string{}
	}
	return nil
}

// generalizes returns the kind of generalization the options apply to q
// ("age", "year", "place"), or "".
func (x *Export) generalizes(q *survey.Question) string {
	g := x.o.Generalize
	ok := false
	switch q.Identifier {
	case survey.IDAge:
		ok = g.AgeBand > 0
	case survey.IDYear:
		ok = g.YearRange > 0
	case survey.IDPlace:
		ok = g.Province
	}
	if !ok || !x.isQuasi(q) {
		return ""
	}
	return q.Identifier
}

func (x *Export) isQuasi(q *survey.Question) bool {
	if x.o.Quasi != nil {
		return slices.Contains(x.o.Quasi, q.Name)
	}
	return q.Identifier != ""
}

func (x *Export) rule(kind string) string {
	switch kind {
	case survey.IDAge:
		return fmt.Sprintf("bands of %d years", x.o.Generalize.AgeBand)
	case survey.IDYear:
		return fmt.Sprintf("ranges of %d years", x.o.Generalize.YearRange)
	}
	return "province"
}

// generalize coarsens the answer v to q of the identifier kind. It
// reports false for an answer it cannot coarsen (a choice, text), which is
// then exported as it is.
func (x *Export) generalize(q *survey.Question, kind, v string) (string, bool) {
	switch kind {
	case survey.IDAge, survey.IDYear:
		width := x.o.Generalize.AgeBand
		if kind == survey.IDYear {
			width = x.o.Generalize.YearRange
		}
		s := strings.TrimSpace(v)
		if kind == survey.IDYear && validDate(s) {
			s = s[:4]
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f < -1e9 || f > 1e9 {
				return "", false
			}
			n = int(f)
			if float64(n) > f {
				n--
			}
		}
		lo := n - ((n%width)+width)%width
		return fmt.Sprintf("%d-%d", lo, lo+width-1), true
	case survey.IDPlace:
		if !q.Type.IsSelect() {
			return "", false
		}
		var out []string
		for _, name := range strings.Fields(v) {
			c, ok := x.form.Choice(q.List, name)
			p := name
			if ok && c.Extra["province"] != "" {
				p = c.Extra["province"]
			}
			if x.o.Labels {
				p = x.provinceLabel(q, p)
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		if q.Type == survey.SelectMultiple {
			// 0/1 columns name choices, not provinces: a province
			// column per choice would undo the coarsening, so a
			// generalized select_multiple place is one text cell.
			sort.Strings(out)
		}
		return strings.Join(out, " "), true
	}
	return "", false
}

// provinceLabel returns the label of the province named p: a choice of q's
// list, else of any list, else p.
func (x *Export) provinceLabel(q *survey.Question, p string) string {
	if c, ok := x.form.Choice(q.List, p); ok {
		return x.label(c.Label, p)
	}
	lists := make([]string, 0, len(x.form.Choices))
	for l := range x.form.Choices {
		lists = append(lists, l)
	}
	sort.Strings(lists)
	for _, l := range lists {
		if c, ok := x.form.Choice(l, p); ok {
			return x.label(c.Label, p)
		}
	}
	return p
}

// key returns the class key of the answers a: the quasi-identifiers'
// answers, generalized if gen.
func (x *Export) key(a *survey.Answers, gen bool) string {
	var b strings.Builder
	for _, q := range x.quasi {
		v, ok := a.Values[q.Name]
		if !ok {
			b.WriteString("-")
			continue
		}
		if q.Type == survey.SelectMultiple {
			f := strings.Fields(v)
			sort.Strings(f)
			v = strings.Join(f, " ")
		}
		if kind := x.generalizes(q); gen && kind != "" {
			if g, ok := x.generalize(q, kind, v); ok {
				v = g
			}
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// rowKey returns the class key of main row i as it will be written.
func (x *Export) rowKey(i int) string {
	var b strings.Builder
	row := x.tables[0].rows[i]
	for _, cols := range x.quasiCols {
		for _, c := range cols {
			b.WriteString(strconv.Quote(row[c].s))
		}
		b.WriteByte('|')
	}
	return b.String()
}

// suppress applies the suppression option to the rows whose generalized
// keys are in classes below k.
func (x *Export) suppress(keys []string) {
	if x.o.Suppress == NoSuppression || len(x.quasi) == 0 {
		return
	}
	classes := map[string][]int{}
	for i, k := range keys {
		classes[k] = append(classes[k], i)
	}
	var small []int
	for _, rows := range classes {
		if len(rows) < x.k {
			small = append(small, rows...)
		}
	}
	sort.Ints(small)
	main := x.tables[0]
	switch x.o.Suppress {
	case SuppressRows:
		gone := map[string]bool{}
		for _, i := range small {
			main.dropped[i] = true
			gone[main.ids[i]] = true
		}
		for _, t := range x.tables[1:] {
			for i, id := range t.ids {
				if gone[id] {
					t.dropped[i] = true
				}
			}
		}
		x.disc.RowsSuppressed = len(small)
	case SuppressCells:
		if n := len(small); n > 0 && n < x.k {
			// Fewer than k blanked rows would be a small class of their
			// own: blank rows of the largest class too, as long as it
			// keeps k; failing that, blank every row.
			small = x.complete(classes, small)
		}
		for _, i := range small {
			for _, cols := range x.quasiCols {
				for _, c := range cols {
					main.rows[i][c] = cell{}
				}
			}
		}
		x.disc.RowsSuppressed = len(small)
	}
}

// complete adds rows to the blanked rows small until they are k, taking
// them from the largest class while it keeps at least k; if no class can
// spare enough, every row is blanked.
func (x *Export) complete(classes map[string][]int, small []int) []int {
	need := x.k - len(small)
	var largest []int
	var largestKey string
	for k, rows := range classes {
		if len(rows) > len(largest) || (len(rows) == len(largest) && k < largestKey) {
			largest, largestKey = rows, k
		}
	}
	if len(largest)-need >= x.k {
		small = append(small, largest[len(largest)-need:]...)
	} else {
		small = small[:0]
		for i := range x.tables[0].rows {
			small = append(small, i)
		}
	}
	sort.Ints(small)
	return small
}

// Check returns a *SmallGroupsError if classes below k remain and the
// options do not allow them.
func (x *Export) Check() error {
	if x.disc.After.Safe() || x.o.AllowSmallGroups {
		return nil
	}
	return &SmallGroupsError{Report: x.disc.After, Quasi: x.disc.Quasi}
}
