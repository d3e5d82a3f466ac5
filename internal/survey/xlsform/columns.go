package xlsform

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"testimony/internal/survey"
)

// colKind is what a column of a sheet means.
type colKind int

const (
	cNone colKind = iota // no header
	cType
	cName
	cLabel
	cHint
	cRequired
	cRequiredMsg
	cRelevant
	cConstraint
	cConstraintMsg
	cChoiceFilter
	cDefault
	cAppearance
	cRepeatCount
	cReadOnly
	cCalculation
	cSensitive
	cIdentifier
	cListName // choices
	cExtra    // choices: another column, kept in Choice.Extra
	cTitle    // settings
	cFormID
	cVersion
	cDefaultLanguage
	cMinCell
	cMinCellSensitive
	cIgnored // carries nothing testimony uses: ignored with a warning
	cRefused // refused when a row fills it
)

// column is one column of a sheet, as its header names it.
type column struct {
	index  int    // 0-based
	header string // as written, trimmed
	kind   colKind
	lang   string // language code of a text column; "" for none
	extra  string // cExtra: the lowercase column name
	why    string // cIgnored, cRefused: why
}

// name returns how messages name the column: its header, or its letter
// when it has none.
func (c *column) name() string {
	if c.header != "" {
		return c.header
	}
	return c.letter()
}

// letter returns the column's letter (A, B, … AA).
func (c *column) letter() string {
	s, _ := excelize.ColumnNumberToName(c.index + 1)
	return s
}

// Column aliases: older or other spellings that pyxform accepts, by the
// normalized first part of the header (lowercase, spaces as _).
var surveyAliases = map[string]string{
	"caption":              "label",
	"relevance":            "relevant",
	"readonly":             "read_only",
	"requiredmsg":          "required_message",
	"jr:requiredmsg":       "required_message",
	"constraining_message": "constraint_message",
	"jr:constraintmsg":     "constraint_message",
	"count":                "repeat_count",
	"jr:count":             "repeat_count",
	"calculate":            "calculation",
}

var surveyColumns = map[string]colKind{
	"type": cType, "name": cName, "label": cLabel, "hint": cHint,
	"required": cRequired, "required_message": cRequiredMsg, "relevant": cRelevant,
	"constraint": cConstraint, "constraint_message": cConstraintMsg,
	"choice_filter": cChoiceFilter, "default": cDefault, "appearance": cAppearance,
	"repeat_count": cRepeatCount, "read_only": cReadOnly, "calculation": cCalculation,
	"sensitive": cSensitive, "identifier": cIdentifier,
}

// localized are the columns that hold a text per language.
var localized = map[colKind]bool{cLabel: true, cHint: true, cRequiredMsg: true, cConstraintMsg: true, cTitle: true}

const (
	whyMedia = "pictures, sounds and videos in questions and choices are not supported: the desk would ask without them; remove the column"
	whyRaw   = "raw XForms attributes (bind::, body::, control::, instance::) are not supported: testimony cannot honour them; remove the column"
)

// surveyRefused are the survey columns XLSForm knows and testimony does
// not support, with the reason a person reads.
var surveyRefused = map[string]string{
	"image": whyMedia, "big-image": whyMedia, "big_image": whyMedia, "audio": whyMedia, "video": whyMedia,
	"media": whyMedia, "autoplay": whyMedia,
	"guidance_hint": "guidance hints are not supported: put the text in the hint",
	"parameters":    "parameters (for range, select from file, randomize, max-pixels…) are not supported",
	"trigger":       "triggers (recalculating a question when another changes) are not supported",
	"bind":          whyRaw, "body": whyRaw, "control": whyRaw, "instance": whyRaw,
	"save_to":             "entities (save_to) are not supported",
	"disabled":            "disabled questions are not supported: delete the row instead",
	"list_name":           "a list_name column on the survey sheet is not supported: name the list in the type (select_one LIST)",
	"no_app_error_string": "launching other apps is not supported",
	"compact_tag":         "SMS and compact tags are not supported",
}

// surveyIgnored are survey columns that only tune how ODK Collect shows a
// question: the desk ignores them, with a warning.
var surveyIgnored = map[string]string{
	"rows": "the number of lines of a text box is ignored: the desk sizes text boxes itself",
}

var choicesAliases = map[string]string{"value": "name", "caption": "label"}

var settingsColumns = map[string]colKind{
	"form_title": cTitle, "set_form_title": cTitle, "title": cTitle,
	"form_id": cFormID, "set_form_id": cFormID, "id_string": cFormID,
	"version": cVersion, "default_language": cDefaultLanguage,
	"min_cell": cMinCell, "min_cell_sensitive": cMinCellSensitive,
}

// settingsIgnored are settings that make sense only to ODK's servers and
// apps: they are ignored, with a warning.
var settingsIgnored = map[string]string{
	"submission_url": "answers go to the organisation's testimony server, sealed",
	"public_key":     "answers are sealed to the reviewers of the organisation's roster instead",
	"style":          "the desk lays out forms itself",
	"instance_name":  "responses are named by their submission ID",
	"auto_send":      "the desk sends what the interviewer seals",
	"auto_delete":    "the desk keeps only sealed files",
}

// normalize returns a header's name part as pyxform compares it:
// lowercase, runs of spaces as one _.
func normalize(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), "_"))
}

// splitHeader splits a header at "::", or at ":" when no header of the
// sheet uses "::" (the older spelling, label:English), keeping "jr:x"
// whole.
func splitHeader(h string, double bool) []string {
	var parts []string
	if double {
		parts = strings.Split(h, "::")
	} else {
		parts = strings.Split(h, ":")
		for i := 0; i < len(parts)-1; i++ {
			if strings.EqualFold(strings.TrimSpace(parts[i]), "jr") {
				parts[i] = "jr:" + parts[i+1]
				parts = append(parts[:i+1], parts[i+2:]...)
			}
		}
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// header reads the header row of a sheet into columns. The caller maps
// each header's parts to a column with classify.
func (r *reader) header(sheet string, row []string, classify func(c *column, parts []string) error) ([]*column, error) {
	double := false
	for _, h := range row {
		double = double || strings.Contains(h, "::")
	}
	cols := make([]*column, len(row))
	seen := map[string]*column{}
	for i, h := range row {
		c := &column{index: i, header: strings.TrimSpace(h)}
		cols[i] = c
		if c.header == "" {
			continue
		}
		parts := splitHeader(c.header, double)
		if err := classify(c, parts); err != nil {
			return nil, &survey.FormError{Sheet: sheet, Row: 1, Column: c.header, Msg: err.Error()}
		}
		key := fmt.Sprintf("%d/%s/%s", c.kind, c.lang, c.extra)
		if c.kind == cIgnored || c.kind == cRefused {
			key = "h/" + strings.ToLower(c.header)
		}
		if o := seen[key]; o != nil {
			return nil, &survey.FormError{Sheet: sheet, Row: 1, Column: c.header,
				Msg: fmt.Sprintf("columns %s (%q) and %s (%q) are the same column: keep one", o.letter(), o.header, c.letter(), c.header)}
		}
		seen[key] = c
	}
	return cols, nil
}

// textColumn fills c for a column that holds a text per language:
// parts[1], if any, is the language.
func (r *reader) textColumn(c *column, kind colKind, parts []string) error {
	c.kind = kind
	switch len(parts) {
	case 1:
		return nil
	case 2:
	default:
		return fmt.Errorf("the column %q has too many parts: write it as %s::Language (code)", c.header, parts[0])
	}
	switch normalize(parts[1]) {
	case "image", "big-image", "big_image", "audio", "video":
		c.kind, c.why = cRefused, whyMedia
		return nil
	}
	code, name, err := parseLanguage(parts[1])
	if err != nil {
		return err
	}
	c.lang = code
	r.addLanguage(code, name)
	return nil
}

// addLanguage adds a language to the form's, once, in order of columns.
func (r *reader) addLanguage(code, name string) {
	if code == "" {
		return
	}
	for _, l := range r.form.Languages {
		if l.Code == code {
			return
		}
	}
	r.form.Languages = append(r.form.Languages, survey.Language{Code: code, Name: name})
}

// classifySurvey maps a survey sheet header to its column.
func (r *reader) classifySurvey(c *column, parts []string) error {
	first := normalize(parts[0])
	if a, ok := surveyAliases[first]; ok {
		first = a
	}
	if why, ok := surveyIgnored[first]; ok && len(parts) == 1 {
		c.kind, c.why = cIgnored, why
		return nil
	}
	if why, ok := surveyRefused[first]; ok {
		c.kind, c.why = cRefused, why
		return nil
	}
	kind, ok := surveyColumns[first]
	if !ok {
		c.kind, c.why = cRefused, fmt.Sprintf("testimony does not know the column %q: remove it, or leave it empty", c.header)
		return nil
	}
	if localized[kind] {
		return r.textColumn(c, kind, parts)
	}
	if len(parts) > 1 {
		c.kind, c.why = cRefused, fmt.Sprintf("the column %s takes no language or other part: write it as %s", c.header, first)
		return nil
	}
	c.kind = kind
	return nil
}

// classifyChoices maps a choices sheet header to its column.
func (r *reader) classifyChoices(c *column, parts []string) error {
	first := normalize(parts[0])
	if a, ok := choicesAliases[first]; ok {
		first = a
	}
	switch first {
	case "list_name":
		c.kind = cListName
	case "name":
		c.kind = cName
	case "label":
		return r.textColumn(c, cLabel, parts)
	case "image", "big-image", "big_image", "audio", "video", "media":
		c.kind, c.why = cRefused, whyMedia
	default:
		if len(parts) > 1 {
			c.kind, c.why = cRefused, fmt.Sprintf("testimony does not know the column %q: a choice's other columns have plain names (province, filter)", c.header)
			return nil
		}
		c.kind, c.extra = cExtra, strings.ToLower(c.header)
		return nil
	}
	if len(parts) > 1 && c.kind != cRefused {
		c.kind, c.why = cRefused, fmt.Sprintf("the column %s takes no language or other part: write it as %s", c.header, first)
	}
	return nil
}

// classifySettings maps a settings sheet header to its column.
func (r *reader) classifySettings(c *column, parts []string) error {
	first := normalize(parts[0])
	kind, ok := settingsColumns[first]
	switch {
	case ok && localized[kind]:
		return r.textColumn(c, kind, parts)
	case ok && len(parts) == 1:
		c.kind = kind
	case settingsIgnored[first] != "" && len(parts) == 1:
		c.kind, c.why = cIgnored, settingsIgnored[first]
	default:
		c.kind, c.why = cRefused, fmt.Sprintf("testimony does not support the setting %q: remove the column", c.header)
	}
	return nil
}
