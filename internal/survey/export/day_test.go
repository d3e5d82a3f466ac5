package export_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey/export"
)

// TestInterviewDay: a row-level export writes the month of the interview
// (YYYY-MM), not its day, unless FullDays asks for it, in every format;
// the disclosure says which. Without the coarsening, the day of each
// interview would be in the file.
func TestInterviewDay(t *testing.T) {
	f := testForm()
	rs := records(f, crowd()[:3]) // interviewed on 2026-11-01, -02, -03
	rs[2].Day = "not a day"
	for _, c := range []struct {
		name   string
		o      export.Options
		days   []string // _day of each row
		record string
	}{
		{"CSV", export.Options{Format: export.CSV}, []string{"2026-11", "2026-11", ""}, export.DayMonth},
		{"CSV with full days", export.Options{Format: export.CSV, FullDays: true}, []string{"2026-11-01", "2026-11-02", "not a day"}, export.DayFull},
		{"JSON Lines", export.Options{Format: export.JSONL}, []string{"2026-11", "2026-11", ""}, export.DayMonth},
		{"JSON Lines with full days", export.Options{Format: export.JSONL, FullDays: true}, []string{"2026-11-01", "2026-11-02", "not a day"}, export.DayFull},
		{"XLSX", export.Options{Format: export.XLSX}, []string{"2026-11", "2026-11", ""}, export.DayMonth},
		{"XLSX with full days", export.Options{Format: export.XLSX, FullDays: true}, []string{"2026-11-01", "2026-11-02", "not a day"}, export.DayFull},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.AllowSmallGroups = true
			c.o.TmpDir = t.TempDir()
			fs, d, err := write(t, f, rs, c.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			switch c.o.Format {
			case export.CSV:
				for _, row := range readCSV(t, fs["out.csv"])[1:] {
					got = append(got, row[1])
				}
			case export.JSONL:
				for _, line := range strings.Split(strings.TrimSuffix(fs["out.jsonl"].String(), "\n"), "\n") {
					var row map[string]any
					if err := json.Unmarshal([]byte(line), &row); err != nil {
						t.Fatal(err)
					}
					s, _ := row["_day"].(string)
					got = append(got, s)
				}
			case export.XLSX:
				x, err := excelize.OpenReader(fs["out.xlsx"])
				if err != nil {
					t.Fatal(err)
				}
				defer x.Close()
				rows, _ := x.GetRows("responses")
				for _, row := range rows[1:] {
					got = append(got, row[1])
				}
			}
			if strings.Join(got, ",") != strings.Join(c.days, ",") {
				t.Errorf("_day is %q, want %q", got, c.days)
			}
			if d.InterviewDay != c.record {
				t.Errorf("the disclosure says the day is written as %q, want %q", d.InterviewDay, c.record)
			}
			side, err := json.Marshal(d)
			if err != nil || !strings.Contains(string(side), `"interview_day":"`+c.record+`"`) {
				t.Errorf("the sidecar does not record how the day is written: %s", side)
			}
		})
	}
}
