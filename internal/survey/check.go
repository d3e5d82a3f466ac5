package survey

import (
	"fmt"
	"slices"
)

// FormError is a mistake in a form, at a row of its survey or choices
// sheet.
type FormError struct {
	// Sheet is "survey", "choices" or "settings"; Row is 1-based, 0 when
	// the mistake is not on one row.
	Sheet string
	Row   int
	// Column is the column's name as XLSForm writes it ("relevant"), or "".
	Column string
	Msg    string
}

func (e *FormError) Error() string {
	switch {
	case e.Row > 0 && e.Column != "":
		return fmt.Sprintf("%s sheet, row %d, column %s: %s", e.Sheet, e.Row, e.Column, e.Msg)
	case e.Row > 0:
		return fmt.Sprintf("%s sheet, row %d: %s", e.Sheet, e.Row, e.Msg)
	case e.Sheet != "":
		return fmt.Sprintf("%s sheet: %s", e.Sheet, e.Msg)
	}
	return e.Msg
}

// Check checks the form's structure: its ID and version, that every
// question has a known type and a unique valid name, that groups and
// repeats (and only they) have children, that select questions name a
// list that exists, and that choice names are unique in their list. Then
// its rules ([Form.checkRules]): that every expression parses and reads
// only what it can, that calculations do not loop, that defaults are
// answers.
func (f *Form) Check() error {
	bad := func(q *Question, column, format string, args ...any) error {
		return &FormError{Sheet: "survey", Row: q.Row, Column: column, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case f.Format != FormFormat:
		return &FormError{Msg: fmt.Sprintf("unknown form format %q", f.Format)}
	case !ValidID(f.ID):
		return &FormError{Sheet: "settings", Column: "form_id", Msg: fmt.Sprintf("form ID %q must be lowercase letters, digits, '.', '_' or '-' (at most 64), and not \"note\"", f.ID)}
	case !ValidVersion(f.Version):
		return &FormError{Sheet: "settings", Column: "version", Msg: fmt.Sprintf("version %q must be 1 to 10 digits, like 2026120601", f.Version)}
	case f.MinCell < MinCellFloor || f.MinCellSensitive < f.MinCell:
		return &FormError{Sheet: "settings", Column: "min_cell", Msg: fmt.Sprintf("the minimum cell is %d and %d for sensitive questions: it must be at least %d, and the sensitive one at least the other", f.MinCell, f.MinCellSensitive, MinCellFloor)}
	case len(f.Survey) == 0:
		return &FormError{Sheet: "survey", Msg: "the form has no questions"}
	}
	for list, choices := range f.Choices {
		if !ValidName(list) {
			return &FormError{Sheet: "choices", Column: "list_name", Msg: fmt.Sprintf("%q is not a valid list name", list)}
		}
		seen := map[string]bool{}
		for _, c := range choices {
			if c.Name == "" {
				return &FormError{Sheet: "choices", Row: c.Row, Column: "name", Msg: "a choice has no name"}
			}
			if seen[c.Name] {
				return &FormError{Sheet: "choices", Row: c.Row, Column: "name", Msg: fmt.Sprintf("list %q has the choice %q twice", list, c.Name)}
			}
			seen[c.Name] = true
		}
	}
	names := map[string]int{}
	err := f.Walk(func(q *Question, _ *Question) error {
		switch {
		case !slices.Contains(Types, q.Type):
			return bad(q, "type", "unknown type %q", q.Type)
		case !ValidName(q.Name):
			return bad(q, "name", "%q is not a valid name: use letters, digits and _ (starting with a letter or _)", q.Name)
		case names[q.Name] != 0:
			return bad(q, "name", "the name %q is already used on row %d", q.Name, names[q.Name])
		case (q.Type == Group || q.Type == Repeat) && len(q.Children) == 0:
			return bad(q, "type", "the %s %q has no questions", q.Type, q.Name)
		case q.Type != Group && q.Type != Repeat && len(q.Children) > 0:
			return bad(q, "type", "only groups and repeats hold questions")
		case q.Type.IsSelect() != (q.List != ""):
			return bad(q, "type", "only select questions name a choice list")
		case q.OrOther && !q.Type.IsSelect():
			return bad(q, "type", "only select questions can be or_other")
		case q.Identifier != "" && !slices.Contains(IdentifierKinds, q.Identifier):
			return bad(q, "identifier", "unknown identifier kind %q: use one of %v", q.Identifier, IdentifierKinds)
		}
		if q.Type.IsSelect() {
			if _, ok := f.Choices[q.List]; !ok {
				return bad(q, "type", "there is no choice list %q in the choices sheet", q.List)
			}
		}
		names[q.Name] = max(q.Row, 1)
		if q.OrOther {
			if row := names[OtherName(q)]; row != 0 {
				return bad(q, "type", "the text of %q of this or_other question is named %s, which row %d already uses", OtherChoice, OtherName(q), row)
			}
			names[OtherName(q)] = max(q.Row, 1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return f.checkRules()
}
