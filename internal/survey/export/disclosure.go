package export

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DisclosureFormat is the format of the sidecar file.
const DisclosureFormat = "testimony-export-disclosure-v1"

// Disclosure is what an export did to protect the people in it, written
// beside it as <file>.disclosure.json. It holds no answer.
type Disclosure struct {
	Format string `json:"format"`
	// Day is the day of the export (no time).
	Day string `json:"day"`
	// Form, Version and FormSHA256 name the form exactly.
	Form       string `json:"form"`
	Version    string `json:"version"`
	FormSHA256 string `json:"form_sha256"`
	FileFormat Format `json:"file_format"`
	Labels     bool   `json:"labels"`
	Language   string `json:"language,omitempty"`
	// Tables lists the tables written: the main table ("") first.
	Tables []TableInfo `json:"tables"`
	// Skipped counts the responses left out because they answer another
	// version of the form (or could not be read, as the caller counts).
	Skipped int `json:"responses_skipped"`
	// TruncatedCells counts the XLSX cells cut to the 32,767 characters
	// a spreadsheet cell holds (long free text).
	TruncatedCells int `json:"truncated_cells,omitempty"`
	// FreeText reports whether free-text answers are included.
	FreeText bool `json:"free_text_included"`
	// Geopoints says what was done to geopoints.
	Geopoints string `json:"geopoints"`
	// K is the smallest class allowed.
	K int `json:"k"`
	// Quasi lists the quasi-identifier questions checked.
	Quasi []string `json:"quasi_identifiers"`
	// NotChecked lists the form's identifier questions that were not.
	NotChecked []NotChecked `json:"not_checked,omitempty"`
	// Generalize is the generalization asked for; Generalizations what
	// it did, question by question.
	Generalize      Generalization `json:"generalize"`
	Generalizations []Applied      `json:"generalizations"`
	// Suppression is how rows still below k were suppressed, and
	// RowsSuppressed how many were.
	Suppression    Suppression `json:"suppression"`
	RowsSuppressed int         `json:"rows_suppressed"`
	// InterviewDay says how the interview day (_day) is written: DayMonth
	// or DayFull.
	InterviewDay string `json:"interview_day"`
	// SmallGroupsAllowed reports whether the person overrode the check.
	SmallGroupsAllowed bool `json:"small_groups_allowed"`
	// Before, Generalized and After are the classes as answered, after
	// generalization, and as written (after suppression).
	Before      Report `json:"before"`
	Generalized Report `json:"generalized"`
	After       Report `json:"after"`
}

// How the interview day is written (Disclosure.InterviewDay).
const (
	// DayMonth is the month only, YYYY-MM: the default.
	DayMonth = "month"
	// DayFull is the day, YYYY-MM-DD (Options.FullDays).
	DayFull = "day"
)

// TableInfo describes a table written.
type TableInfo struct {
	// Name is "" for the main table, else the repeat's name.
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	Rows    int    `json:"rows"`
	Columns int    `json:"columns"`
}

// NotChecked is an identifier question the check did not cover, and why.
type NotChecked struct {
	Question string `json:"question"`
	Why      string `json:"why"`
}

// Applied is a generalization applied to a question.
type Applied struct {
	Question string `json:"question"`
	Kind     string `json:"kind"`
	Rule     string `json:"rule"`
}

// Disclosure returns what the export does, for the sidecar file.
func (x *Export) Disclosure() Disclosure { return x.disc }

// Marshal returns the sidecar file: indented JSON ending in a newline.
func (d *Disclosure) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("failed to encode the disclosure record: %w", err)
	}
	return buf.Bytes(), nil
}

// DisclosureFile returns the sidecar file's name for an export to out.
func DisclosureFile(out string) string { return out + ".disclosure.json" }
