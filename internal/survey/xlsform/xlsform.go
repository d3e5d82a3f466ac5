// Package xlsform reads a survey form written in XLSForm, the spreadsheet
// format of ODK and KoboToolbox, from an .xlsx workbook into a checked
// [survey.Form].
//
// # What is read
//
// The survey, choices and settings sheets (names in any case). On the
// survey sheet: the types text, integer, decimal, select_one LIST and
// select_multiple LIST (with or_other), date, note, calculate, begin/end
// group, begin/end repeat, image, audio, video, file, geopoint, start, end
// and today; the columns type, name, label, hint, required,
// required_message, relevant, constraint, constraint_message,
// choice_filter, default, appearance, repeat_count, read_only and
// calculation, and the project's two columns: sensitive (yes: the
// question's counts need the higher minimum cell) and identifier (age,
// year, sex, place or other: a quasi-identifier the export coarsens). On
// the choices sheet: list_name, name, label, and any other plain column
// (kept, lowercased, in [survey.Choice.Extra] for choice filters). On the
// settings sheet: form_title, form_id, version, default_language, and the
// project's min_cell and min_cell_sensitive.
//
// Text columns take a language: label::English (en), label::English,
// label::en; a text without a language belongs to the default language.
// Column and sheet names are compared without case, and the older
// spellings that forms in the wild use are accepted: label:English,
// list name, select one from LIST, select all that apply from LIST, … or
// specify other, begin_group, end_repeat, and pyxform's other aliases.
//
// select_one LIST or_other sets [survey.Question.OrOther]: the select
// offers the choice "other" and holds the text question NAME_other, asked
// when "other" is chosen; no question may have that name.
//
// # What is refused
//
// Anything outside that subset is refused with a [*survey.FormError]
// naming the sheet, row and column and saying what to do, never silently
// dropped: other types (range, rank, barcode, time, select_one_from_file,
// the device metadata…), columns that would change how a question is asked
// (media, parameters, trigger, bind::…), other settings, sheets for
// entities, external choices or OSM, unmatched begin/end rows, dynamic
// defaults, a version that is not a number. A column that is present but
// empty, a setting that only ODK's servers use (submission_url,
// public_key…), another sheet (a change log) and the rows column are
// ignored with a [Warning].
//
// # Limits
//
// A workbook is a zip file, and a hostile one must not exhaust memory: it
// is refused above [MaxFileSize] bytes, when a part would unpack to more
// than its limit ([MaxSheetSize], [MaxStringsSize], [MaxXMLSize],
// [MaxPartSize]) or all parts to more than [MaxUnpacked], or when it holds
// more than [MaxParts] parts, all checked on the zip's directory before
// anything is unpacked (a part that unpacks to more than its directory
// entry says is an error of the zip reader). A workbook may have at most
// [MaxSheets] sheets, a sheet at most [MaxRows] rows ([MaxChoiceRows] for
// choices) and [MaxColumns] columns, a cell at most [MaxCellSize] bytes, a
// form at most [MaxQuestions] questions nested at most [MaxDepth] deep. A
// hostile workbook within these limits costs some 200 MiB of memory and
// a few seconds (TestHostileWithinLimits).
package xlsform

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey"
)

// Limits on a workbook.
const (
	MaxFileSize = 10 << 20
	// MaxSheetSize bounds each worksheet's XML, MaxStringsSize the shared
	// strings (every text of the workbook), MaxXMLSize all other XML parts
	// together (styles, the workbook's list of sheets…), which excelize
	// unmarshals whole: 1 MiB of empty elements becomes some 80 MiB of
	// structs. MaxPartSize bounds any other part (a picture).
	MaxSheetSize   = 8 << 20
	MaxStringsSize = 4 << 20
	MaxXMLSize     = 1 << 20
	MaxPartSize    = 8 << 20
	MaxUnpacked    = 32 << 20
	MaxSheets      = 64
	MaxParts       = 512
	MaxRows        = 5000
	MaxChoiceRows  = 50000
	MaxColumns     = 256
	MaxCellSize    = 32 << 10
	MaxQuestions   = 2000
	MaxDepth       = 12
)

// A Warning is something in a form that testimony ignores: the form is
// read without it.
type Warning struct {
	// Sheet, Row and Column are as in survey.FormError.
	Sheet  string
	Row    int
	Column string
	Msg    string
}

func (w Warning) String() string {
	if w.Row == 0 && w.Column != "" && w.Sheet != "" {
		return fmt.Sprintf("%s sheet, column %s: %s", w.Sheet, w.Column, w.Msg)
	}
	return (&survey.FormError{Sheet: w.Sheet, Row: w.Row, Column: w.Column, Msg: w.Msg}).Error()
}

// Read reads an XLSForm workbook (.xlsx) and returns the checked form and
// what was ignored. name is the file's name: without a form_id setting,
// the form's ID is made from it. A refused form is a *survey.FormError.
func Read(r io.Reader, name string) (*survey.Form, []Warning, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read the form: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, nil, &survey.FormError{Msg: fmt.Sprintf("the file is larger than %d MiB: a form is a small workbook", MaxFileSize>>20)}
	}
	if err := checkZip(data); err != nil {
		return nil, nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    MaxUnpacked,
		UnzipXMLSizeLimit: MaxUnpacked, // nothing goes to temporary files
	})
	if err != nil {
		return nil, nil, &survey.FormError{Msg: fmt.Sprintf("the file is not a workbook that can be read (%v): save it as .xlsx", err)}
	}
	defer x.Close()
	rd := &reader{
		x: x,
		form: &survey.Form{
			Format:  survey.FormFormat,
			Title:   survey.Localized{},
			Choices: map[string][]survey.Choice{},
			MinCell: survey.DefaultMinCell,
		},
	}
	if err := rd.read(name); err != nil {
		return nil, nil, err
	}
	if err := rd.form.Check(); err != nil {
		var fe *survey.FormError
		if !errors.As(err, &fe) {
			err = &survey.FormError{Msg: err.Error()}
		}
		return nil, nil, err
	}
	return rd.form, rd.warnings, nil
}

// checkZip refuses a file that is not a zip, or whose directory promises
// too much: checked before excelize unpacks anything.
func checkZip(data []byte) error {
	if bytes.HasPrefix(data, []byte{0xd0, 0xcf, 0x11, 0xe0}) {
		return &survey.FormError{Msg: "this is an Excel 97-2003 workbook (.xls) or a workbook with a password: save it as .xlsx, without a password"}
	}
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return &survey.FormError{Msg: "the file is not an .xlsx workbook (not a zip file): save the form as .xlsx"}
	}
	if len(z.File) > MaxParts {
		return &survey.FormError{Msg: fmt.Sprintf("the workbook has %d parts, more than %d: it is not a form", len(z.File), MaxParts)}
	}
	var total, xml uint64
	for _, f := range z.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		limit, what, other := uint64(MaxPartSize), "remove pictures and other large content", false
		switch {
		case strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml"):
			limit, what = MaxSheetSize, "a form's sheet is smaller"
		case name == "xl/sharedstrings.xml":
			limit, what = MaxStringsSize, "a form's texts are fewer"
		case strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels"):
			limit, what, other = MaxXMLSize, "clear the formatting (styles) of unused cells, or copy the sheets into a new workbook", true
		}
		if f.UncompressedSize64 > limit {
			return &survey.FormError{Msg: fmt.Sprintf("the workbook's part %s unpacks to more than %d KiB: %s", f.Name, limit>>10, what)}
		}
		if other {
			if xml += f.UncompressedSize64; xml > MaxXMLSize {
				return &survey.FormError{Msg: fmt.Sprintf("the workbook's parts other than sheets and texts unpack to more than %d KiB: %s", MaxXMLSize>>10, what)}
			}
		}
		total += f.UncompressedSize64
	}
	if total > MaxUnpacked {
		return &survey.FormError{Msg: fmt.Sprintf("the workbook unpacks to more than %d MiB: remove pictures and other large content", MaxUnpacked>>20)}
	}
	return nil
}

// reader reads one workbook.
type reader struct {
	x        *excelize.File
	form     *survey.Form
	warnings []Warning
	// names are the rows of the questions named so far; generated those
	// of the NAME_other questions that or_other adds.
	names, generated map[string]int
	questions        int
	// defaultName is the name of the default_language setting.
	defaultName string
}

func (r *reader) warn(sheet string, row int, column, format string, args ...any) {
	r.warnings = append(r.warnings, Warning{Sheet: sheet, Row: row, Column: column, Msg: fmt.Sprintf(format, args...)})
}

// sheetRows is a sheet's cells: rows[i] is row i+1.
type sheetRows [][]string

func (s sheetRows) empty() bool {
	for _, row := range s {
		if !emptyRow(row) {
			return false
		}
	}
	return true
}

func emptyRow(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// sheetNames are the sheets testimony reads; otherSheets those XLSForm
// defines for features testimony does not support.
var (
	sheetNames  = []string{"survey", "choices", "settings"}
	otherSheets = map[string]string{
		"external_choices": "external choices are not supported: put the choices in the choices sheet, and delete this sheet",
		"entities":         "entities are not supported: delete the sheet",
		"osm":              "OpenStreetMap questions are not supported: delete the sheet",
	}
)

func (r *reader) read(fileName string) error {
	found := map[string]string{} // canonical name → the workbook's
	titles := r.x.GetSheetList()
	if len(titles) > MaxSheets {
		return &survey.FormError{Msg: fmt.Sprintf("the workbook has %d sheets, more than %d: a form has three", len(titles), MaxSheets)}
	}
	for _, title := range titles {
		low := strings.ToLower(strings.TrimSpace(title))
		if slices.Contains(sheetNames, low) {
			found[low] = title
			continue
		}
		rows, err := r.readSheet(title, title, MaxRows)
		if err != nil {
			return err
		}
		if why, ok := otherSheets[low]; ok && !rows.empty() {
			return &survey.FormError{Sheet: title, Msg: why}
		}
		if near := nearSheet(low); near != "" && !rows.empty() {
			return &survey.FormError{Sheet: title, Msg: fmt.Sprintf("is the sheet %q meant to be %q? Rename it, or delete it", title, near)}
		}
		r.warn(title, 0, "", "ignored the sheet %q: testimony reads only the survey, choices and settings sheets", title)
	}
	if found["survey"] == "" {
		return &survey.FormError{Sheet: "survey", Msg: "the workbook has no sheet named survey: the questions go on a sheet of that name"}
	}
	// The headers first, survey sheet first: the form's languages are in
	// the order of its columns.
	var tables [3]*table
	limits := [3]int{MaxRows, MaxChoiceRows, MaxRows}
	classify := [3]func(*column, []string) error{r.classifySurvey, r.classifyChoices, r.classifySettings}
	for i, sheet := range sheetNames {
		if found[sheet] == "" {
			continue
		}
		rows, err := r.readSheet(found[sheet], sheet, limits[i])
		if err != nil {
			return err
		}
		if tables[i], err = r.newTable(sheet, rows, classify[i]); err != nil {
			return err
		}
	}
	if t := tables[2]; t != nil {
		if err := r.settings(t); err != nil {
			return err
		}
	}
	if t := tables[1]; t != nil {
		if err := r.choices(t); err != nil {
			return err
		}
	}
	if err := r.survey(tables[0]); err != nil {
		return err
	}
	return r.finish(fileName)
}

// nearSheet returns the sheet name s is probably a misspelling of, or "".
func nearSheet(s string) string {
	for _, n := range sheetNames {
		if distance(s, n) <= 2 {
			return n
		}
	}
	return ""
}

// distance is the Levenshtein distance between two short strings.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 40 || len(rb) > 40 {
		return 99
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// readSheet reads the cells of a sheet (raw values: what was typed, not
// how it is formatted), within the limits.
func (r *reader) readSheet(title, sheet string, maxRows int) (sheetRows, error) {
	rows, err := r.x.Rows(title)
	if err != nil {
		return nil, &survey.FormError{Sheet: sheet, Msg: fmt.Sprintf("the sheet cannot be read: %v", err)}
	}
	defer rows.Close()
	var out sheetRows
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &survey.FormError{Sheet: sheet, Row: n, Msg: fmt.Sprintf("the row cannot be read: %v", err)}
		}
		for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) == 0 {
			if n <= maxRows {
				out = append(out, nil)
			}
			continue
		}
		if n > maxRows {
			return nil, &survey.FormError{Sheet: sheet, Row: n, Msg: fmt.Sprintf("the sheet has more than %d rows", maxRows)}
		}
		if len(cells) > MaxColumns {
			col, _ := excelize.ColumnNumberToName(len(cells))
			return nil, &survey.FormError{Sheet: sheet, Row: n, Column: col, Msg: fmt.Sprintf("the sheet has more than %d columns", MaxColumns)}
		}
		for i, c := range cells {
			if len(c) > MaxCellSize {
				col, _ := excelize.ColumnNumberToName(i + 1)
				return nil, &survey.FormError{Sheet: sheet, Row: n, Column: col, Msg: fmt.Sprintf("the cell holds more than %d KiB of text", MaxCellSize>>10)}
			}
		}
		out = append(out, cells)
	}
	if err := rows.Error(); err != nil {
		return nil, &survey.FormError{Sheet: sheet, Row: n + 1, Msg: fmt.Sprintf("the sheet cannot be read: %v", err)}
	}
	for len(out) > 0 && out[len(out)-1] == nil {
		out = out[:len(out)-1]
	}
	return out, nil
}

// table is a sheet with its header read: rows[0] is the header.
type table struct {
	sheet string
	cols  []*column
	rows  sheetRows
}

// cell returns the text of column c on row i (0-based, the header is 0).
func (t *table) cell(i int, c *column) string {
	if c == nil || c.index >= len(t.rows[i]) {
		return ""
	}
	return t.rows[i][c.index]
}

// find returns the first column of kind k with language lang.
func (t *table) find(k colKind) *column {
	for _, c := range t.cols {
		if c.kind == k {
			return c
		}
	}
	return nil
}

// newTable reads a sheet's header with classify and checks the columns
// that testimony does not use: a refused column must be empty, an ignored
// or empty one is warned about, and no cell may be under no header.
func (r *reader) newTable(sheet string, rows sheetRows, classify func(c *column, parts []string) error) (*table, error) {
	if len(rows) == 0 {
		return &table{sheet: sheet, rows: rows}, nil
	}
	if emptyRow(rows[0]) {
		return nil, &survey.FormError{Sheet: sheet, Row: 1, Msg: "the first row must name the columns (type, name, label…)"}
	}
	cols, err := r.header(sheet, rows[0], classify)
	if err != nil {
		return nil, err
	}
	t := &table{sheet: sheet, cols: cols, rows: rows}
	used := make([]bool, len(cols))
	for i := 1; i < len(rows); i++ {
		for j, v := range rows[i] {
			if strings.TrimSpace(v) == "" {
				continue
			}
			if j >= len(cols) || cols[j].header == "" {
				c := &column{index: j}
				return nil, &survey.FormError{Sheet: sheet, Row: i + 1, Column: c.name(),
					Msg: fmt.Sprintf("the cell %s%d has text but its column has no name in row 1: name the column, or clear the cell", c.name(), i+1)}
			}
			if cols[j].kind == cRefused {
				return nil, &survey.FormError{Sheet: sheet, Row: i + 1, Column: cols[j].header, Msg: cols[j].why}
			}
			used[j] = true
		}
	}
	for j, c := range cols {
		switch {
		case c.header == "":
		case c.kind == cIgnored && used[j]:
			r.warn(sheet, 0, c.header, "ignored the column: %s", c.why)
		case !used[j] && c.kind != cType && c.kind != cName && c.kind != cListName:
			r.warn(sheet, 0, c.header, "ignored the column: it is empty")
		}
	}
	return t, nil
}

// text returns the texts of the row's columns of kind k, by language.
func (t *table) text(i int, k colKind) survey.Localized {
	var l survey.Localized
	for _, c := range t.cols {
		if c.kind != k {
			continue
		}
		if v := strings.TrimSpace(t.cell(i, c)); v != "" {
			if l == nil {
				l = survey.Localized{}
			}
			l[c.lang] = v
		}
	}
	return l
}

// smartQuotes are the quotes that word processors put in place of ' and ".
var smartQuotes = strings.NewReplacer("\u2018", "'", "\u2019", "'", "\u201c", `"`, "\u201d", `"`)

// expression returns an expression cell: trimmed, with typographic quotes
// made plain (as pyxform does; a spreadsheet often curls them).
func expression(s string) string {
	return smartQuotes.Replace(strings.TrimSpace(s))
}

// yesNo reads a yes/no cell: ok is false when it is neither.
func yesNo(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "true()", "1":
		return true, true
	case "", "no", "false", "false()", "0":
		return false, true
	}
	return false, false
}

// settings reads the settings sheet: names in row 1, values in row 2.
func (r *reader) settings(t *table) error {
	rows := t.rows
	f := r.form
	if len(rows) < 2 {
		return nil
	}
	for i := 2; i < len(rows); i++ {
		if !emptyRow(rows[i]) {
			return &survey.FormError{Sheet: "settings", Row: i + 1, Msg: "the settings sheet has one row of values (row 2): move these values there, or delete the row"}
		}
	}
	get := func(k colKind) (string, *column) {
		c := t.find(k)
		return strings.TrimSpace(t.cell(1, c)), c
	}
	f.Title = t.text(1, cTitle)
	if f.Title == nil {
		f.Title = survey.Localized{}
	}
	if v, _ := get(cFormID); v != "" {
		if !survey.ValidID(v) {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: t.find(cFormID).header,
				Msg: fmt.Sprintf("the form ID %q must be lowercase letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit, and not \"note\"), like %q", v, suggestID(v))}
		}
		f.ID = v
	}
	if v, c := get(cVersion); v != "" {
		if !survey.ValidVersion(v) {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header,
				Msg: fmt.Sprintf("the version %q is not a number of 1 to 10 digits: write digits only, as text, such as the date and a counter (2026120601), and raise it each time the form changes", v)}
		}
		if len(v) > 1 && v[0] == '0' {
			// The server names versions by their number: 007 would be 7.
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header,
				Msg: fmt.Sprintf("the version %q starts with 0: write it without leading zeros (%s)", v, strings.TrimLeft(v, "0"))}
		}
		f.Version = v
	}
	if v, c := get(cDefaultLanguage); v != "" {
		code, name, err := r.resolveLanguage(v)
		if err != nil {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header, Msg: err.Error()}
		}
		f.DefaultLanguage = code
		r.defaultName = name
	}
	if v, c := get(cMinCell); v != "" {
		n, err := minCell(v)
		if err != nil {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header, Msg: err.Error()}
		}
		f.MinCell = n
	}
	if v, c := get(cMinCellSensitive); v != "" {
		n, err := minCell(v)
		if err != nil {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header, Msg: err.Error()}
		}
		if n < f.MinCell {
			return &survey.FormError{Sheet: "settings", Row: 2, Column: c.header,
				Msg: fmt.Sprintf("min_cell_sensitive (%d) is below min_cell (%d): sensitive questions need at least the same protection", n, f.MinCell)}
		}
		f.MinCellSensitive = n
	}
	return nil
}

// minCell reads a minimum cell setting.
func minCell(s string) (int, error) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n != math.Trunc(n) || n > 1000 {
		return 0, fmt.Errorf("the minimum cell %q is not a whole number: write a count such as 5", s)
	}
	if n < survey.MinCellFloor {
		return 0, fmt.Errorf("the minimum cell is %v, below %d: a count smaller than %d can single out a person, so testimony never shows one", n, survey.MinCellFloor, survey.MinCellFloor)
	}
	return int(n), nil
}

// resolveLanguage reads the default_language setting: a language of the
// form's columns by code or name, or a language as a header writes it.
func (r *reader) resolveLanguage(v string) (code, name string, err error) {
	for _, l := range r.form.Languages {
		if strings.EqualFold(v, l.Code) || strings.EqualFold(v, l.Name) || strings.EqualFold(v, l.Name+" ("+l.Code+")") {
			return l.Code, l.Name, nil
		}
	}
	code, name, err = parseLanguage(v)
	if err != nil {
		return "", "", err
	}
	return code, name, nil
}

// suggestID makes a form ID from s: lowercase, other characters as _.
func suggestID(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	id := strings.TrimLeft(b.String(), "._-")
	if len(id) > 64 {
		id = id[:64]
	}
	if id == "" || id == "note" {
		id = "form"
	}
	return id
}

// choices reads the choices sheet.
func (r *reader) choices(t *table) error {
	rows := t.rows
	if len(rows) < 2 {
		return nil
	}
	list, name := t.find(cListName), t.find(cName)
	switch {
	case list == nil:
		return &survey.FormError{Sheet: "choices", Row: 1, Msg: "the choices sheet has no list_name column"}
	case name == nil:
		return &survey.FormError{Sheet: "choices", Row: 1, Msg: "the choices sheet has no name column"}
	}
	for i := 1; i < len(rows); i++ {
		if emptyRow(rows[i]) {
			continue
		}
		l := strings.TrimSpace(t.cell(i, list))
		if l == "" {
			return &survey.FormError{Sheet: "choices", Row: i + 1, Column: list.header, Msg: "the choice has no list_name"}
		}
		if !survey.ValidName(l) {
			return &survey.FormError{Sheet: "choices", Row: i + 1, Column: list.header, Msg: fmt.Sprintf("%q is not a valid list name: use letters, digits and _ (starting with a letter or _)", l)}
		}
		c := survey.Choice{Name: strings.TrimSpace(t.cell(i, name)), Label: t.text(i, cLabel), Row: i + 1}
		switch {
		case c.Name == "":
			return &survey.FormError{Sheet: "choices", Row: i + 1, Column: name.header, Msg: "the choice has no name: the name is what the answer stores"}
		case strings.ContainsFunc(c.Name, isSpace):
			return &survey.FormError{Sheet: "choices", Row: i + 1, Column: name.header, Msg: fmt.Sprintf("the choice name %q has a space: answers to select_multiple are names separated by spaces; use _ instead", c.Name)}
		}
		for _, col := range t.cols {
			if col.kind != cExtra {
				continue
			}
			if v := strings.TrimSpace(t.cell(i, col)); v != "" {
				if c.Extra == nil {
					c.Extra = map[string]string{}
				}
				c.Extra[col.extra] = v
			}
		}
		r.form.Choices[l] = append(r.form.Choices[l], c)
	}
	return nil
}

func isSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u00a0' || c == '\u3000'
}

// Which types a column applies to.
func isInput(t survey.Type) bool {
	return t.HasAnswer() && !t.IsMeta() && t != survey.Calculate
}

// applies tells which types the columns apply to that only this package
// reads; survey.Form.Check places the expression columns and defaults.
var applies = map[colKind]func(survey.Type) bool{
	cRequiredMsg:   isInput,
	cConstraintMsg: isInput,
	cAppearance:    func(t survey.Type) bool { return !t.IsMeta() && t != survey.Calculate },
	cSensitive:     isInput,
	cIdentifier:    func(t survey.Type) bool { return t.HasAnswer() && !t.IsMeta() && !t.IsAttachment() },
}

// open is a group or repeat whose end has not been read yet.
type open struct{ q *survey.Question }

// survey reads the survey sheet.
func (r *reader) survey(t *table) error {
	rows := t.rows
	typ, name := t.find(cType), t.find(cName)
	switch {
	case len(rows) < 2 || t.rowsEmpty():
		return &survey.FormError{Sheet: "survey", Msg: "the form has no questions"}
	case typ == nil:
		return &survey.FormError{Sheet: "survey", Row: 1, Msg: "the survey sheet has no type column"}
	case name == nil:
		return &survey.FormError{Sheet: "survey", Row: 1, Msg: "the survey sheet has no name column"}
	}
	r.names, r.generated = map[string]int{}, map[string]int{}
	var stack []open
	top := &r.form.Survey
	cur := top
	for i := 1; i < len(rows); i++ {
		if emptyRow(rows[i]) {
			continue
		}
		row := i + 1
		bad := func(c *column, format string, args ...any) error {
			col := ""
			if c != nil {
				col = c.name()
			}
			return &survey.FormError{Sheet: "survey", Row: row, Column: col, Msg: fmt.Sprintf(format, args...)}
		}
		tc := strings.TrimSpace(t.cell(i, typ))
		if tc == "" {
			return bad(typ, "the row has no type")
		}
		rt, err := parseType(tc)
		if err != nil {
			return bad(typ, "%v", err)
		}
		qname := strings.TrimSpace(t.cell(i, name))
		if rt.end {
			if len(stack) == 0 {
				return bad(typ, "%s %s without a begin %s before it", "end", rt.t, rt.t)
			}
			o := stack[len(stack)-1]
			if o.q.Type != rt.t {
				return bad(typ, "end %s, but the innermost open block is the %s %q begun on row %d: close it first (end %s)", rt.t, o.q.Type, o.q.Name, o.q.Row, o.q.Type)
			}
			if qname != "" && qname != o.q.Name {
				return bad(name, "this end %s names %q, but it closes the %s %q begun on row %d: clear the name or correct it", rt.t, qname, o.q.Type, o.q.Name, o.q.Row)
			}
			for _, c := range t.cols {
				if c != typ && c != name && c.kind != cIgnored && strings.TrimSpace(t.cell(i, c)) != "" {
					return bad(c, "an end %s row takes only a type and a name: put this on the begin %s row (row %d), or clear it", rt.t, rt.t, o.q.Row)
				}
			}
			stack = stack[:len(stack)-1]
			cur = top
			if len(stack) > 0 {
				cur = &stack[len(stack)-1].q.Children
			}
			continue
		}
		if qname == "" {
			return bad(name, "the %s has no name: every question needs a unique name (letters, digits and _)", rt.t)
		}
		if r.questions++; r.questions > MaxQuestions {
			return bad(typ, "the form has more than %d questions", MaxQuestions)
		}
		q := &survey.Question{Type: rt.t, Name: qname, List: rt.list, OrOther: rt.orOther, Row: row}
		if err := r.fill(t, i, q, bad); err != nil {
			return err
		}
		if row0, ok := r.generated[qname]; ok {
			return bad(name, "the name %q is taken by the text question that or_other on row %d adds: rename this question", qname, row0)
		}
		if _, ok := r.names[qname]; !ok {
			r.names[qname] = row
		}
		*cur = append(*cur, q)
		if rt.orOther {
			if err := r.checkOther(q, bad); err != nil {
				return err
			}
		}
		if rt.t == survey.Group || rt.t == survey.Repeat {
			if len(stack) >= MaxDepth {
				return bad(typ, "groups and repeats are nested more than %d deep", MaxDepth)
			}
			stack = append(stack, open{q: q})
			cur = &q.Children
		}
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		return &survey.FormError{Sheet: "survey", Row: o.q.Row, Column: typ.header,
			Msg: fmt.Sprintf("the %s %q begun on row %d is never closed: the sheet ends at row %d without an end %s", o.q.Type, o.q.Name, o.q.Row, len(rows), o.q.Type)}
	}
	return nil
}

func (t *table) rowsEmpty() bool { return t.rows[1:].empty() }

// fill reads a question's columns.
func (r *reader) fill(t *table, i int, q *survey.Question, bad func(*column, string, ...any) error) error {
	for _, c := range t.cols {
		v := strings.TrimSpace(t.cell(i, c))
		if v == "" {
			continue
		}
		if ok := applies[c.kind]; ok != nil && !ok(q.Type) {
			// sensitive "no" on a note says nothing.
			if b, isBool := yesNo(v); isBool && !b && c.kind == cSensitive {
				continue
			}
			return bad(c, "the column %s does not apply to a %s", c.header, q.Type)
		}
		switch c.kind {
		case cRequired, cReadOnly:
			e := expression(v)
			if b, ok := yesNo(v); ok {
				e = ""
				if b {
					e = "true()"
				}
			}
			if c.kind == cRequired {
				q.Required = e
			} else {
				q.ReadOnly = e
			}
		case cRelevant:
			q.Relevant = expression(v)
		case cConstraint:
			q.Constraint = expression(v)
		case cCalculation:
			q.Calculation = expression(v)
		case cChoiceFilter:
			q.ChoiceFilter = expression(v)
		case cRepeatCount:
			q.RepeatCount = expression(v)
		case cAppearance:
			q.Appearance = strings.Join(strings.Fields(v), " ")
		case cDefault:
			q.Default = v
		case cSensitive:
			b, ok := yesNo(v)
			if !ok {
				return bad(c, "sensitive is %q: write yes, or leave it empty", v)
			}
			q.Sensitive = b
		case cIdentifier:
			k := strings.ToLower(v)
			if !slices.Contains(survey.IdentifierKinds, k) {
				return bad(c, "identifier is %q: write one of %s, or leave it empty", v, strings.Join(survey.IdentifierKinds, ", "))
			}
			q.Identifier = k
		}
	}
	q.Label = t.text(i, cLabel)
	q.Hint = t.text(i, cHint)
	q.RequiredMessage = t.text(i, cRequiredMsg)
	q.ConstraintMessage = t.text(i, cConstraintMsg)
	switch {
	case (isInput(q.Type) || q.Type == survey.Note) && q.Label == nil && q.Hint == nil:
		return bad(orNamed(t.find(cLabel), "label"), "the %s %q has no label: the person would see nothing to answer", q.Type, q.Name)
	case q.ConstraintMessage != nil && q.Constraint == "":
		return bad(t.find(cConstraintMsg), "a constraint_message without a constraint")
	case q.RequiredMessage != nil && q.Required == "":
		return bad(t.find(cRequiredMsg), "a required_message on a question that is not required")
	}
	return nil
}

// orNamed returns c, or a column named name when c is nil: the column a
// message names when the sheet lacks it.
func orNamed(c *column, name string) *column {
	if c == nil {
		return &column{header: name}
	}
	return c
}

// checkOther checks what the or_other of q implies: a choice "other" that
// the list must not have already, and a text question NAME_other (the
// select holds it: see survey.Question.OrOther) whose name no question may
// have.
func (r *reader) checkOther(q *survey.Question, bad func(*column, string, ...any) error) error {
	if _, ok := r.form.Choice(q.List, survey.OtherChoice); ok {
		return bad(&column{header: "type"}, "the list %q already has a choice named %q, and or_other adds one: remove or_other, or that choice", q.List, survey.OtherChoice)
	}
	other := survey.OtherName(q)
	if row, ok := r.names[other]; ok {
		return bad(&column{header: "type"}, "or_other adds a text question named %q, but row %d already has that name: rename it, or remove or_other", other, row)
	}
	r.generated[other] = q.Row
	return nil
}

// finish fills what the sheets left out: the ID, the version, the
// languages; and warns about unused lists.
func (r *reader) finish(fileName string) error {
	f := r.form
	if f.ID == "" {
		base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
		base = strings.TrimSuffix(base, path.Ext(base))
		f.ID = suggestID(base)
		r.warn("settings", 0, "form_id", "no form_id: the form's ID is %q, from the file name", f.ID)
	}
	if f.Version == "" {
		f.Version = "1"
		r.warn("settings", 0, "version", "no version: the form's version is 1; write a version (like 2026120601) in the settings sheet and raise it each time the form changes")
	}
	if f.MinCellSensitive == 0 {
		f.MinCellSensitive = max(survey.DefaultMinCellSensitive, f.MinCell)
	}
	if err := r.languages(); err != nil {
		return err
	}
	if len(f.Title) == 0 {
		f.Title = survey.Localized{f.DefaultLanguage: f.ID}
	}
	used := map[string]bool{}
	f.Walk(func(q, _ *survey.Question) error { used[q.List] = true; return nil })
	lists := make([]string, 0, len(f.Choices))
	for l := range f.Choices {
		lists = append(lists, l)
	}
	slices.Sort(lists)
	for _, l := range lists {
		if !used[l] {
			r.warn("choices", f.Choices[l][0].Row, "list_name", "the list %q is not used by any question", l)
		}
	}
	return nil
}

// languages settles the default language: the default_language setting,
// else the first language of the columns. A text without a language
// becomes the default language's where that has none.
func (r *reader) languages() error {
	f := r.form
	if f.DefaultLanguage == "" && len(f.Languages) > 0 {
		f.DefaultLanguage = f.Languages[0].Code
		r.warn("settings", 0, "default_language", "no default_language: the desk falls back to %s (%s), the first language of the columns", f.Languages[0].Name, f.Languages[0].Code)
	}
	if f.DefaultLanguage == "" {
		return nil
	}
	known := slices.ContainsFunc(f.Languages, func(l survey.Language) bool { return l.Code == f.DefaultLanguage })
	if !known {
		// default_language names a language no column has: the texts
		// without a language are in it, if there are any.
		if !r.hasPlainText() {
			var names []string
			for _, l := range f.Languages {
				names = append(names, l.Name+" ("+l.Code+")")
			}
			return &survey.FormError{Sheet: "settings", Row: 2, Column: "default_language",
				Msg: fmt.Sprintf("the default language %s is not a language of the form's columns (%s)", f.DefaultLanguage, strings.Join(names, ", "))}
		}
		f.Languages = append([]survey.Language{{Code: f.DefaultLanguage, Name: r.defaultName}}, f.Languages...)
	}
	move := func(l survey.Localized) {
		if s, ok := l[""]; ok {
			if _, has := l[f.DefaultLanguage]; !has {
				l[f.DefaultLanguage] = s
				delete(l, "")
			}
		}
	}
	r.eachText(move)
	return nil
}

// eachText calls fn with every text of the form.
func (r *reader) eachText(fn func(survey.Localized)) {
	fn(r.form.Title)
	r.questionTexts(fn)
}

// questionTexts calls fn with every text of the questions and choices.
func (r *reader) questionTexts(fn func(survey.Localized)) {
	f := r.form
	f.Walk(func(q, _ *survey.Question) error {
		for _, l := range []survey.Localized{q.Label, q.Hint, q.RequiredMessage, q.ConstraintMessage} {
			if l != nil {
				fn(l)
			}
		}
		return nil
	})
	for _, cs := range f.Choices {
		for _, c := range cs {
			if c.Label != nil {
				fn(c.Label)
			}
		}
	}
}

func (r *reader) hasPlainText() bool {
	found := false
	r.questionTexts(func(l survey.Localized) {
		_, ok := l[""]
		found = found || ok
	})
	return found
}
