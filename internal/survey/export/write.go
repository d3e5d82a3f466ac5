package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// bom is the UTF-8 byte order mark a CSV file starts with.
const bom = "\uFEFF"

// maxXLSXCell is the most UTF-16 units a spreadsheet cell holds.
const maxXLSXCell = 32767

// Write checks the export (see [Export.Check]) and writes it. create is
// called for each file, with its name: TableFile(out, table) for the main
// table and each repeat's table of a CSV or JSON Lines export, out alone
// for XLSX. The caller makes the files appear only if Write returns nil.
// Write records the file names (their base names) in the disclosure.
func (x *Export) Write(out string, create func(name string) (io.Writer, error)) error {
	if err := x.Check(); err != nil {
		return err
	}
	for i, t := range x.tables {
		name := out
		if x.o.Format != XLSX {
			name = TableFile(out, t.name)
		}
		x.disc.Tables[i].File = filepath.Base(name)
	}
	if x.o.Format == XLSX {
		w, err := create(out)
		if err != nil {
			return err
		}
		return x.writeXLSX(w)
	}
	for _, t := range x.tables {
		w, err := create(TableFile(out, t.name))
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		if x.o.Format == CSV {
			err = writeCSV(bw, t)
		} else {
			err = writeJSONL(bw, t)
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("failed to write the export: %w", err)
		}
	}
	return nil
}

// guard returns s with a leading apostrophe if a spreadsheet would read it
// as a formula.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeCSV(w io.Writer, t *table) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rec := make([]string, len(t.columns))
	for i, c := range t.columns {
		rec[i] = guard(c.header)
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for r, row := range t.rows {
		if t.dropped[r] {
			continue
		}
		for i, c := range row {
			if c.kind == text {
				rec[i] = guard(c.s)
			} else {
				rec[i] = c.s
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSONL(w io.Writer, t *table) error {
	keys := make([][]byte, len(t.columns))
	for i, c := range t.columns {
		k, err := json.Marshal(c.header)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	var line []byte
	for r, row := range t.rows {
		if t.dropped[r] {
			continue
		}
		line = append(line[:0], '{')
		for i, c := range row {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, keys[i]...)
			line = append(line, ':')
			switch c.kind {
			case blank:
				line = append(line, "null"...)
			case number:
				line = append(line, c.s...)
			default:
				s, err := json.Marshal(c.s)
				if err != nil {
					return err
				}
				line = append(line, s...)
			}
		}
		line = append(line, '}', '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// sheetName returns a valid, unique sheet name for a table.
func sheetName(name string, used map[string]bool) string {
	if name == "" {
		name = "responses"
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if len(name) > 31 {
		name = name[:31]
	}
	base := name
	for n := 2; used[strings.ToLower(name)]; n++ {
		suffix := fmt.Sprintf("~%d", n)
		name = base[:min(len(base), 31-len(suffix))] + suffix
	}
	used[strings.ToLower(name)] = true
	return name
}

func (x *Export) writeXLSX(w io.Writer) error {
	tmp, err := os.MkdirTemp(x.o.TmpDir, ".testimony-export-")
	if err != nil {
		return fmt.Errorf("failed to make a private directory for the spreadsheet: %w", err)
	}
	defer os.RemoveAll(tmp)
	f := excelize.NewFile(excelize.Options{TmpDir: tmp})
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	used := map[string]bool{}
	truncated := 0
	for ti, t := range x.tables {
		name := sheetName(t.name, used)
		if ti == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		vals := make([]any, len(t.columns))
		for i, c := range t.columns {
			vals[i] = c.header
		}
		if err := sw.SetRow("A1", vals, excelize.RowOpts{}); err != nil {
			return err
		}
		n := 1
		for r, row := range t.rows {
			if t.dropped[r] {
				continue
			}
			n++
			if n > excelize.TotalRows {
				return fmt.Errorf("the table %q has more rows than a spreadsheet holds (%d): export CSV or JSON Lines", t.name, excelize.TotalRows)
			}
			for i, c := range row {
				vals[i] = nil
				switch c.kind {
				case number:
					if v, err := strconv.ParseFloat(c.s, 64); err == nil {
						vals[i] = v
					} else {
						vals[i] = c.s
					}
				case date:
					d, err := time.Parse(time.DateOnly, c.s)
					if err == nil {
						vals[i] = excelize.Cell{StyleID: dateStyle, Value: d}
					} else {
						vals[i] = c.s
					}
				case text:
					s := c.s
					if u := utf16.Encode([]rune(s)); len(u) > maxXLSXCell {
						s = string(utf16.Decode(u[:maxXLSXCell-1]))
						truncated++
					}
					vals[i] = s
				}
			}
			cellName, _ := excelize.CoordinatesToCellName(1, n)
			if err := sw.SetRow(cellName, vals); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	x.disc.TruncatedCells = truncated
	if err := f.Write(w); err != nil {
		return fmt.Errorf("failed to write the spreadsheet: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
