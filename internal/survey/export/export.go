// Package export writes the responses to one version of a survey form as a
// table a reviewer can open in a spreadsheet or a statistics program: CSV,
// JSON Lines or XLSX, one row per response, one column per question. Before
// anything is written it checks k-anonymity over the form's
// quasi-identifiers, and it refuses a row-level export in which a
// combination of them is shared by fewer than k people, unless the caller
// generalizes, suppresses or explicitly overrides.
//
// # Tables
//
// The main table has the columns _id (the submission ID) and _day (the
// month of the interview, YYYY-MM, or with [Options.FullDays] its day), then one column per question in form order: its name,
// or its label in a chosen language ([Options.Labels]). A select_multiple
// question becomes one 0/1 column per choice, named "question/choice". A
// geopoint becomes two number columns, "question/latitude" and
// "question/longitude", rounded to [Options.GeoDecimals] places (one place by
// default, about 11 km) or left out; altitude and accuracy are never
// exported. Each repeat is a table of its own, linked to the main table by
// _id, with _index giving the pass ("2", or "2.1" inside a nested repeat):
// with CSV and JSON Lines a file of its own ([TableFile]), with XLSX a sheet.
// Numbers are numbers and dates are dates in XLSX and JSON Lines.
//
// Free-text answers (text questions, the "_other" text of a select with
// or_other, calculations, which may copy text) are left out unless
// [Options.FreeText] asks for them. They were pseudonymized on the
// interviewer's desk before sealing: real names never reach a reviewer.
//
// # Spreadsheet safety
//
// A CSV file starts with a UTF-8 byte order mark, so that Excel reads
// Hangul as Hangul, and is quoted as RFC 4180 says. A text cell that begins
// with '=', '+', '-', '@', a tab or a carriage return is written with a
// leading apostrophe, so that a spreadsheet shows it as text instead of
// running it as a formula (OWASP, "CSV Injection"). Numbers and dates the
// form defines as such are written as they are. XLSX cells are typed
// (strings are never formulas) and JSON Lines is for programs: neither is
// prefixed.
//
// # Disclosure control
//
// The quasi-identifiers are the questions whose answers, combined, could
// single a person out: by default those the form marks with an identifier
// kind (age, year, sex, place, other), outside repeats, that the export
// includes. Rows with the same quasi-identifier values form an equivalence
// class; k is the form's minimum cell unless the caller asks for more. The
// export can generalize (ages to bands, years to ranges, places to their
// province) and then suppress what is still in a class smaller than k:
// drop those rows (and their repeat rows), or blank their quasi-identifiers.
// When blanked rows are fewer than k, rows from the largest class are
// blanked too, so that the blanked rows are a class of at least k and a
// person known to be missing from the other classes is not found among one
// or two blanked rows. [Export.Write] refuses with [ErrSmallGroups] while a
// class is smaller than k, unless [Options.AllowSmallGroups] is set.
// [Export.Disclosure] records what was done, for the sidecar file that goes
// with every export.
//
// The check covers the quasi-identifiers it is given: the day of the
// interview, answers inside repeats and free text are not in it (free text
// is left out by default for that reason). It protects against singling a
// person out by a combination of answers; it does not stop a reader who
// already knows a person took part from learning an answer shared by the
// whole class (k-anonymity does not give l-diversity).
//
// # Memory
//
// Records are read once, from an iterator: a caller can decrypt them one at
// a time. The export keeps only the cells it will write (never notes or
// attachments), because the disclosure check needs every row before the
// first is written.
package export

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"testimony/internal/survey"
)

// Format is an export's file format.
type Format string

// The formats.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
	XLSX  Format = "xlsx"
)

// Formats lists the formats.
var Formats = []Format{CSV, JSONL, XLSX}

// Suppression is what happens to rows still in a class smaller than k after
// generalization.
type Suppression string

// The suppression methods.
const (
	// NoSuppression keeps every row as it is.
	NoSuppression Suppression = ""
	// SuppressRows leaves those rows (and their repeats' rows) out.
	SuppressRows Suppression = "rows"
	// SuppressCells blanks those rows' quasi-identifiers.
	SuppressCells Suppression = "cells"
)

// GeoOmit is the value of Options.GeoDecimals that leaves geopoints out.
const GeoOmit = -1

// MaxGeoDecimals is the most decimal places a geopoint keeps (about 11 cm).
const MaxGeoDecimals = 6

// Options say what to export and how. The zero value exports names, no free
// text, geopoints to whole degrees, the form's quasi-identifiers with the
// form's k, no generalization and no suppression.
type Options struct {
	Format Format
	// Labels writes column headers and select answers as labels in
	// Language (falling back to the form's default language) instead of
	// names.
	Labels   bool
	Language string
	// FreeText includes free-text answers.
	FreeText bool
	// GeoDecimals is how many decimal places geopoints keep (0 to
	// MaxGeoDecimals), or GeoOmit. One place is about 11 km.
	GeoDecimals int
	// Quasi names the quasi-identifier questions; nil means the form's
	// (questions with an Identifier, outside repeats). An empty non-nil
	// slice checks nothing.
	Quasi []string
	// K is the smallest class allowed; 0 means the form's MinCell. It is
	// never below survey.MinCellFloor.
	K int
	// Generalize coarsens quasi-identifiers before the check.
	Generalize Generalization
	// Suppress is applied to the rows still in classes below K.
	Suppress Suppression
	// AllowSmallGroups writes the export although classes below K remain.
	AllowSmallGroups bool
	// TmpDir is where an XLSX sheet larger than 16 MiB is spilled while it
	// is written (in a private directory made and removed there). It should
	// be beside the output, which holds the same plaintext; "" means the
	// system's temporary directory.
	TmpDir string
	// Day is the day recorded in the disclosure (YYYY-MM-DD); "" means
	// today, in UTC.
	Day string
	// FullDays writes the interview day (_day) in full, YYYY-MM-DD. By
	// default only its month is written (YYYY-MM): when a team holds few
	// interviews a day, the day can single a person out, and nothing
	// else checks it. The disclosure records which (InterviewDay).
	FullDays bool
}

// Generalization says how quasi-identifiers are coarsened. It applies to
// the quasi-identifier questions of the matching kind (Question.Identifier).
type Generalization struct {
	// AgeBand puts ages into bands of this many years (0: no bands).
	AgeBand int `json:"age,omitempty"`
	// YearRange puts years (and the years of dates) into ranges of this
	// many years (0: no ranges).
	YearRange int `json:"year,omitempty"`
	// Province replaces a place by the province its choice names.
	Province bool `json:"place_province,omitempty"`
}

// IsZero reports whether g coarsens nothing.
func (g Generalization) IsZero() bool { return g == Generalization{} }

// String writes g as ParseGeneralization reads it.
func (g Generalization) String() string {
	var parts []string
	if g.AgeBand > 0 {
		parts = append(parts, "age="+strconv.Itoa(g.AgeBand))
	}
	if g.YearRange > 0 {
		parts = append(parts, "year="+strconv.Itoa(g.YearRange))
	}
	if g.Province {
		parts = append(parts, "place=province")
	}
	return strings.Join(parts, ",")
}

// MaxBand is the widest age band or year range.
const MaxBand = 100

// ParseGeneralization reads "age=10,year=5,place=province" (any of the
// three, in any order).
func ParseGeneralization(s string) (Generalization, error) {
	var g Generalization
	if strings.TrimSpace(s) == "" {
		return g, nil
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return g, fmt.Errorf("%q is not KIND=VALUE, like age=10, year=5 or place=province", part)
		}
		if seen[k] {
			return g, fmt.Errorf("%s is given twice", k)
		}
		seen[k] = true
		switch k {
		case "age", "year":
			n, err := strconv.Atoi(v)
			if err != nil || n < 2 || n > MaxBand {
				return g, fmt.Errorf("%s=%s: give a width in years from 2 to %d, like %s=5 or %s=10", k, v, MaxBand, k, k)
			}
			if k == "age" {
				g.AgeBand = n
			} else {
				g.YearRange = n
			}
		case "place":
			if v != "province" {
				return g, fmt.Errorf("place=%s: the only place generalization is place=province", v)
			}
			g.Province = true
		default:
			return g, fmt.Errorf("%q: only age, year and place can be generalized", k)
		}
	}
	return g, nil
}

// Errors.
var (
	// ErrSmallGroups is returned by Write when classes smaller than k
	// remain and the options neither suppress nor allow them.
	ErrSmallGroups = errors.New("some answers single out fewer than k people")
	// ErrOptions is wrapped by errors about options that cannot apply to
	// the form.
	ErrOptions = errors.New("invalid export options")
)

// SmallGroupsError is the error Write returns for classes below k. It
// wraps ErrSmallGroups.
type SmallGroupsError struct {
	Report Report
	Quasi  []string
}

func (e *SmallGroupsError) Error() string {
	return fmt.Sprintf("%d of %d responses are in groups of fewer than %d people with the same %s (%d unique): generalize (ages to bands, years to ranges, places to provinces), suppress those rows or their cells, or mark fewer quasi-identifiers",
		e.Report.BelowK, e.Report.Rows, e.Report.K, strings.Join(e.Quasi, ", "), e.Report.Unique)
}

func (e *SmallGroupsError) Unwrap() error { return ErrSmallGroups }

// TableFile returns the file a CSV or JSON Lines table is written to, for
// an export to out: out itself for the main table, "answers-household.csv"
// beside "answers.csv" for the repeat "household".
func TableFile(out, table string) string {
	if table == "" {
		return out
	}
	ext := ""
	if i := strings.LastIndexByte(out, '.'); i > strings.LastIndexAny(out, `/\`) {
		out, ext = out[:i], out[i:]
	}
	return out + "-" + table + ext
}

// cellKind is what a cell holds.
type cellKind uint8

const (
	blank  cellKind = iota
	text            // written as it is, guarded in CSV
	number          // a decimal number, as strconv writes it
	date            // YYYY-MM-DD
)

type cell struct {
	kind cellKind
	s    string
}

// column is a column of a table.
type column struct {
	name   string // names header
	header string // the header written (name or label, made unique)
	q      *survey.Question
	choice string // select_multiple: the choice of this 0/1 column
	part   string // geopoint: "latitude" or "longitude"
}

// table is one table of the export.
type table struct {
	name    string // "" for the main table, else the repeat's name
	repeat  *survey.Question
	columns []column
	rows    [][]cell
	ids     []string // each row's response ID (rows[i][0])
	dropped []bool   // rows left out by suppression
}

// Export is a prepared export: every row read, checked and, as the options
// say, generalized and suppressed. Write writes it.
type Export struct {
	form   *survey.Form
	digest string
	o      Options
	k      int
	quasi  []*survey.Question
	tables []*table
	disc   Disclosure
	// free names the free-text questions (survey.FreeText); calculations
	// are treated as free text too, since one may copy what was typed.
	free map[string]bool
	// per main row: its quasi-identifier columns' indexes
	quasiCols [][]int
}

// Prepare reads every record of records that answers f (the others are
// counted in the disclosure as skipped) and prepares the export. An error
// from records stops it.
func Prepare(f *survey.Form, records iter.Seq2[*survey.Record, error], o Options) (*Export, error) {
	x, err := plan(f, o)
	if err != nil {
		return nil, err
	}
	main := x.tables[0]
	var rawKeys, genKeys []string
	for r, err := range records {
		if err != nil {
			return nil, err
		}
		if r == nil || r.Response == nil || r.Response.Answers == nil ||
			r.Response.Form != f.ID || r.Response.Version != f.Version || r.Response.FormSHA256 != x.digest {
			x.disc.Skipped++
			continue
		}
		x.addRecord(r)
		rawKeys = append(rawKeys, x.key(r.Response.Answers, false))
		genKeys = append(genKeys, x.key(r.Response.Answers, true))
	}
	x.disc.Before = analyze(rawKeys, x.k)
	x.disc.Generalized = analyze(genKeys, x.k)
	x.suppress(genKeys)
	// The classes after suppression are counted from the cells as they
	// will be written.
	var after []string
	for i := range main.rows {
		if !main.dropped[i] {
			after = append(after, x.rowKey(i))
		}
	}
	x.disc.After = analyze(after, x.k)
	for _, t := range x.tables {
		n := 0
		for i := range t.rows {
			if !t.dropped[i] {
				n++
			}
		}
		x.disc.Tables = append(x.disc.Tables, TableInfo{Name: t.name, Rows: n, Columns: len(t.columns)})
	}
	return x, nil
}

// Records adapts a slice to the iterator Prepare reads.
func Records(rs []survey.Record) iter.Seq2[*survey.Record, error] {
	return func(yield func(*survey.Record, error) bool) {
		for i := range rs {
			if !yield(&rs[i], nil) {
				return
			}
		}
	}
}

// plan checks the options against the form and lays out the tables.
func plan(f *survey.Form, o Options) (*Export, error) {
	if f == nil {
		return nil, errors.New("no form to export")
	}
	digest, err := f.Digest()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(Formats, o.Format) {
		return nil, fmt.Errorf("%w: unknown format %q: use csv, jsonl or xlsx", ErrOptions, o.Format)
	}
	if o.GeoDecimals != GeoOmit && (o.GeoDecimals < 0 || o.GeoDecimals > MaxGeoDecimals) {
		return nil, fmt.Errorf("%w: geopoints keep 0 to %d decimal places, not %d", ErrOptions, MaxGeoDecimals, o.GeoDecimals)
	}
	switch o.Suppress {
	case NoSuppression, SuppressRows, SuppressCells:
	default:
		return nil, fmt.Errorf("%w: suppress %q: use rows or cells", ErrOptions, o.Suppress)
	}
	if o.Generalize.AgeBand < 0 || o.Generalize.YearRange < 0 || o.Generalize.AgeBand > MaxBand || o.Generalize.YearRange > MaxBand ||
		o.Generalize.AgeBand == 1 || o.Generalize.YearRange == 1 {
		return nil, fmt.Errorf("%w: bands and ranges are 2 to %d years wide", ErrOptions, MaxBand)
	}
	k := o.K
	if k == 0 {
		k = f.MinCell
	}
	if k < survey.MinCellFloor {
		return nil, fmt.Errorf("%w: k is %d, but it is never below %d", ErrOptions, k, survey.MinCellFloor)
	}
	day := o.Day
	if day == "" {
		day = time.Now().UTC().Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, fmt.Errorf("%w: day %q is not YYYY-MM-DD", ErrOptions, day)
	}
	x := &Export{form: f, digest: digest, o: o, k: k, free: survey.FreeText(f)}
	x.disc = Disclosure{
		Format: DisclosureFormat, Day: day,
		Form: f.ID, Version: f.Version, FormSHA256: digest,
		FileFormat: o.Format, Labels: o.Labels, Language: o.Language,
		K: k, FreeText: o.FreeText, Suppression: o.Suppress, SmallGroupsAllowed: o.AllowSmallGroups,
		Generalize: o.Generalize, InterviewDay: DayMonth,
	}
	if o.FullDays {
		x.disc.InterviewDay = DayFull
	}
	switch {
	case o.GeoDecimals == GeoOmit:
		x.disc.Geopoints = "left out"
	default:
		x.disc.Geopoints = fmt.Sprintf("rounded to %d decimal place(s)", o.GeoDecimals)
	}
	if err := x.layout(); err != nil {
		return nil, err
	}
	if err := x.pickQuasi(); err != nil {
		return nil, err
	}
	return x, nil
}

// Exported reports whether the export writes q's answers (q is not a
// group, repeat or note).
func (x *Export) exported(q *survey.Question) bool {
	switch {
	case !q.Type.HasAnswer():
		return false
	case q.Type == survey.Geopoint:
		return x.o.GeoDecimals != GeoOmit
	case x.free[q.Name] || q.Type == survey.Calculate:
		return x.o.FreeText
	}
	return true
}

// layout lays out the main table and one table per repeat.
func (x *Export) layout() error {
	f := x.form
	main := &table{}
	x.tables = []*table{main}
	byRepeat := map[*survey.Question]*table{}
	_ = f.Walk(func(q, repeat *survey.Question) error {
		t := main
		if repeat != nil {
			t = byRepeat[repeat]
		}
		if q.Type == survey.Repeat {
			nt := &table{name: q.Name, repeat: q}
			byRepeat[q] = nt
			x.tables = append(x.tables, nt)
			return nil
		}
		if !x.exported(q) {
			return nil
		}
		switch q.Type {
		case survey.SelectMultiple:
			for _, c := range x.choices(q) {
				t.columns = append(t.columns, column{name: q.Name + "/" + c.Name, q: q, choice: c.Name})
			}
		case survey.Geopoint:
			t.columns = append(t.columns,
				column{name: q.Name + "/latitude", q: q, part: "latitude"},
				column{name: q.Name + "/longitude", q: q, part: "longitude"})
		default:
			t.columns = append(t.columns, column{name: q.Name, q: q})
		}
		if q.OrOther && q.Type.IsSelect() && x.o.FreeText {
			if other, _ := f.Question(survey.OtherName(q)); other == nil {
				t.columns = append(t.columns, column{name: survey.OtherName(q), q: &survey.Question{Type: survey.Text, Name: survey.OtherName(q)}})
			}
		}
		return nil
	})
	for _, t := range x.tables {
		lead := []column{{name: "_id"}, {name: "_day"}}
		if t != main {
			lead = []column{{name: "_id"}, {name: "_index"}}
		}
		t.columns = append(lead, t.columns...)
		x.headers(t)
		if len(t.columns) > 16384 {
			return fmt.Errorf("%w: the table %q would have %d columns, more than a spreadsheet holds (16,384)", ErrOptions, t.name, len(t.columns))
		}
	}
	return nil
}

// choices returns the choices of a select question, with "other" if it
// has or_other.
func (x *Export) choices(q *survey.Question) []survey.Choice {
	cs := slices.Clone(x.form.Choices[q.List])
	if q.OrOther {
		cs = append(cs, survey.Choice{Name: survey.OtherChoice})
	}
	return cs
}

// headers sets each column's header: its name, or with Labels its label,
// made unique by adding the name in parentheses.
func (x *Export) headers(t *table) {
	seen := map[string]bool{}
	for i := range t.columns {
		c := &t.columns[i]
		h := c.name
		if x.o.Labels && c.q != nil {
			h = x.label(c.q.Label, c.q.Name)
			switch {
			case c.choice != "":
				h += ": " + x.choiceLabel(c.q, c.choice)
			case c.part != "":
				h += " (" + c.part + ")"
			}
		}
		if seen[h] {
			h += " (" + c.name + ")"
		}
		for n := 2; seen[h]; n++ {
			h = fmt.Sprintf("%s (%d)", c.name, n)
		}
		seen[h] = true
		c.header = h
	}
}

func (x *Export) label(l survey.Localized, name string) string {
	if s := strings.TrimSpace(l.In(x.o.Language, x.form.DefaultLanguage)); s != "" {
		return s
	}
	return name
}

// choiceLabel returns the label of choice name of q's list, or name.
func (x *Export) choiceLabel(q *survey.Question, name string) string {
	if c, ok := x.form.Choice(q.List, name); ok {
		return x.label(c.Label, c.Name)
	}
	return name
}

// addRecord adds r's rows to the tables.
func (x *Export) addRecord(r *survey.Record) {
	main := x.tables[0]
	a := r.Response.Answers
	row := make([]cell, len(main.columns))
	row[0] = cell{text, r.ID}
	row[1] = x.day(r.Day)
	x.fill(main, row, a)
	main.rows = append(main.rows, row)
	main.ids = append(main.ids, r.ID)
	main.dropped = append(main.dropped, false)
	x.addRepeats(r.ID, "", a)
}

// day returns the cell of the interview day: the month (text YYYY-MM)
// unless FullDays asks for the day. A day that is not a date is written
// as it is with FullDays, and left empty without.
func (x *Export) day(d string) cell {
	switch {
	case !validDate(d) && x.o.FullDays:
		return cell{text, d}
	case !validDate(d):
		return cell{text, ""}
	case x.o.FullDays:
		return cell{date, d}
	}
	return cell{text, d[:len("2006-01")]}
}

// addRepeats adds the passes of every repeat answered in a.
func (x *Export) addRepeats(id, prefix string, a *survey.Answers) {
	for _, t := range x.tables[1:] {
		passes, ok := a.Repeats[t.name]
		if !ok {
			continue
		}
		for i, p := range passes {
			if p == nil {
				continue
			}
			index := prefix + strconv.Itoa(i+1)
			row := make([]cell, len(t.columns))
			row[0] = cell{text, id}
			row[1] = cell{text, index}
			x.fill(t, row, p)
			t.rows = append(t.rows, row)
			t.ids = append(t.ids, id)
			t.dropped = append(t.dropped, false)
			x.addRepeats(id, index+".", p)
		}
	}
}

// fill sets the cells of row from the answer set a.
func (x *Export) fill(t *table, row []cell, a *survey.Answers) {
	for i := 2; i < len(t.columns); i++ {
		c := &t.columns[i]
		v, ok := a.Values[c.q.Name]
		if !ok {
			continue
		}
		row[i] = x.value(c, v)
	}
}

// value returns the cell for the answer v in column c.
func (x *Export) value(c *column, v string) cell {
	q := c.q
	if kind := x.generalizes(q); kind != "" {
		if g, ok := x.generalize(q, kind, v); ok {
			return cell{text, g}
		}
	}
	switch q.Type {
	case survey.SelectMultiple:
		if slices.Contains(strings.Fields(v), c.choice) {
			return cell{number, "1"}
		}
		return cell{number, "0"}
	case survey.SelectOne:
		if x.o.Labels {
			return cell{text, x.choiceLabel(q, v)}
		}
		return cell{text, v}
	case survey.Integer, survey.Decimal:
		if n, ok := parseNumber(v); ok {
			return cell{number, n}
		}
	case survey.Date, survey.Start, survey.End, survey.Today:
		if validDate(v) {
			return cell{date, v}
		}
	case survey.Geopoint:
		if n, ok := geoPart(v, c.part, x.o.GeoDecimals); ok {
			return cell{number, n}
		}
		return cell{} // a malformed geopoint is never written as text
	}
	if v == "" {
		return cell{}
	}
	return cell{text, v}
}

// parseNumber returns v as a finite decimal number, written as strconv
// writes it.
func parseNumber(v string) (string, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return "", false
	}
	return strconv.FormatFloat(n, 'f', -1, 64), true
}

// geoPart returns the latitude or longitude of the geopoint v ("lat lon
// [alt [acc]]"), rounded to decimals places.
func geoPart(v, part string, decimals int) (string, bool) {
	f := strings.Fields(v)
	if len(f) < 2 {
		return "", false
	}
	s := f[0]
	limit := 90.0
	if part == "longitude" {
		s, limit = f[1], 180
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.Abs(n) > limit {
		return "", false
	}
	p := math.Pow(10, float64(decimals))
	n = math.Round(n*p) / p
	if n == 0 {
		n = 0 // no "-0"
	}
	return strconv.FormatFloat(n, 'f', decimals, 64), true
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
