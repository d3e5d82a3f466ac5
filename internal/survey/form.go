// Package survey holds structured surveys: a form (read from an XLSForm by
// package xlsform, published as a note signed by the organisation's admin
// key) and the answers to it that an interviewer's desk seals into
// answers.json beside the note.
//
// # Forms
//
// A [Form] is the parsed, checked form: questions in order, groups and
// repeats as trees, choice lists, texts in each of the form's languages,
// and the form's expressions kept as their source text (package expr parses
// and evaluates them, in Go here and in the desk's browser). Its canonical
// encoding ([Form.Marshal]) is what the admin signs ([Sign]) and what
// [Form.Digest] hashes; every answer set names the form's ID, version and
// digest, so that a reviewer knows exactly which questions were asked.
//
// # Answers
//
// An [Answers] holds the answers of one response as XForms does: every
// answer is a string (a select_multiple is its choice names separated by
// spaces, a number is written in decimal, a date is YYYY-MM-DD), and each
// repeat is a list of answer sets keyed by the names of the repeat's
// questions. A question not answered, or not relevant, is absent.
//
// # Backwards compatibility
//
// [FormFormat] and [AnswersFormat] name the formats. A new format gets a
// new name; readers keep reading the old ones. Frozen vectors live in
// testdata/.
package survey

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// FormFormat is the format of a published form.
const FormFormat = "testimony-form-v1"

// Type is a question type. The names are XLSForm's, with the group and
// repeat markers written as "group" and "repeat".
type Type string

// The question types a form may use. Everything else is refused when a
// form is read.
const (
	Text           Type = "text"
	Integer        Type = "integer"
	Decimal        Type = "decimal"
	SelectOne      Type = "select_one"
	SelectMultiple Type = "select_multiple"
	Date           Type = "date"
	Note           Type = "note"
	Calculate      Type = "calculate"
	Image          Type = "image"
	Audio          Type = "audio"
	Video          Type = "video"
	File           Type = "file"
	Geopoint       Type = "geopoint"
	// Start, End and Today are metadata, filled by the desk, and kept to
	// the day only.
	Start Type = "start"
	End   Type = "end"
	Today Type = "today"
	// Group and Repeat hold Children: a group is a section of the form; a
	// repeat is a block that may be answered any number of times.
	Group  Type = "group"
	Repeat Type = "repeat"
)

// Types lists every type, in the order above.
var Types = []Type{Text, Integer, Decimal, SelectOne, SelectMultiple, Date, Note, Calculate,
	Image, Audio, Video, File, Geopoint, Start, End, Today, Group, Repeat}

// IsAttachment reports whether answers to t are attachments: the answer is
// the attachment's name in the sealed file ("attachments/03.jpg").
func (t Type) IsAttachment() bool { return t == Image || t == Audio || t == Video || t == File }

// IsSelect reports whether t chooses from a list.
func (t Type) IsSelect() bool { return t == SelectOne || t == SelectMultiple }

// IsMeta reports whether t is filled by the desk, not by the person.
func (t Type) IsMeta() bool { return t == Start || t == End || t == Today }

// HasAnswer reports whether a question of type t stores an answer. Notes,
// groups and repeats do not (a repeat stores its children's).
func (t Type) HasAnswer() bool { return t != Note && t != Group && t != Repeat }

// Quasi-identifier kinds ([Question.Identifier]). They tell the export
// which answers, combined, could single a person out, and how to coarsen
// them.
const (
	// IDAge: an age in years; coarsened to bands.
	IDAge = "age"
	// IDYear: a year (of birth, of leaving); coarsened to ranges.
	IDYear = "year"
	// IDSex: sex or gender; never coarsened, only suppressed.
	IDSex = "sex"
	// IDPlace: a place; coarsened to the province a choice names in its
	// "province" column.
	IDPlace = "place"
	// IDOther: anything else that identifies in combination (occupation).
	IDOther = "other"
)

// IdentifierKinds lists the quasi-identifier kinds.
var IdentifierKinds = []string{IDAge, IDYear, IDSex, IDPlace, IDOther}

// Localized is a text in each of the form's languages, by language code. The
// key "" holds a text given in a column without a language ("label").
type Localized map[string]string

// In returns the text in lang, else in fallback, else the text without a
// language, else any text (the first by language code), else "".
func (t Localized) In(lang, fallback string) string {
	for _, l := range []string{lang, fallback, ""} {
		if s, ok := t[l]; ok && s != "" {
			return s
		}
	}
	best := ""
	for l, s := range t {
		if s != "" && (best == "" || l < best) {
			best = l
		}
	}
	return t[best]
}

// Language is one of a form's languages.
type Language struct {
	// Code is a BCP 47 tag ("ko", "en", "es").
	Code string `json:"code"`
	// Name is how the form's columns call it ("Korean", "한국어").
	Name string `json:"name"`
}

// Form is a parsed and checked form.
type Form struct {
	// Format is FormFormat.
	Format string `json:"format"`
	// ID names the form: lowercase letters, digits, '.', '_' and '-',
	// starting with a letter or digit, at most 64 bytes ([ValidID]).
	ID string `json:"id"`
	// Version is the form's version: 1 to 10 decimal digits, like
	// "2026120601". A form published again gets a higher version.
	Version string `json:"version"`
	// Title is the form's title in its languages.
	Title Localized `json:"title"`
	// DefaultLanguage is the code of the language the desk falls back to,
	// "" when the texts have no language.
	DefaultLanguage string `json:"default_language"`
	// Languages lists the languages the texts are in, in column order.
	Languages []Language `json:"languages"`
	// Survey is the form's questions, in order.
	Survey []*Question `json:"survey"`
	// Choices holds the choice lists by list name.
	Choices map[string][]Choice `json:"choices"`
	// MinCell is the smallest count that statistics and exports show of
	// this form (smaller counts show as "<MinCell"), and the k of the
	// k-anonymity check; MinCellSensitive is the same for questions marked
	// sensitive. The admin sets them for the organisation when publishing;
	// neither is below MinCellFloor.
	MinCell          int `json:"min_cell"`
	MinCellSensitive int `json:"min_cell_sensitive"`
}

// Disclosure defaults and floor.
const (
	DefaultMinCell          = 5
	DefaultMinCellSensitive = 10
	MinCellFloor            = 3
)

// Question is a question of a form, or a group or repeat of questions.
type Question struct {
	Type Type `json:"type"`
	// Name is the question's name: unique in the form, and the key of its
	// answer. It is a valid XML name, as in XLSForm.
	Name string `json:"name"`
	// List names the choice list of a select question.
	List string `json:"list,omitempty"`
	// OrOther adds the choice "other" to a select question, and a text
	// question named Name+"_other" that is relevant when it is chosen.
	OrOther bool      `json:"or_other,omitempty"`
	Label   Localized `json:"label,omitempty"`
	Hint    Localized `json:"hint,omitempty"`
	// Required, Relevant, Constraint, Calculation, ChoiceFilter, Default
	// and RepeatCount are expressions (package expr) as written in the
	// form; "" when the column is empty. Required is "true()" for "yes".
	Required          string    `json:"required,omitempty"`
	RequiredMessage   Localized `json:"required_message,omitempty"`
	Relevant          string    `json:"relevant,omitempty"`
	Constraint        string    `json:"constraint,omitempty"`
	ConstraintMessage Localized `json:"constraint_message,omitempty"`
	Calculation       string    `json:"calculation,omitempty"`
	ChoiceFilter      string    `json:"choice_filter,omitempty"`
	// Default is a literal default answer, as in XLSForm.
	Default     string `json:"default,omitempty"`
	RepeatCount string `json:"repeat_count,omitempty"`
	ReadOnly    string `json:"read_only,omitempty"`
	// Appearance is XLSForm's appearance column: "multiline", "likert",
	// "minimal", "field-list"… The desk uses the ones that matter.
	Appearance string `json:"appearance,omitempty"`
	// Sensitive marks a question (torture, sexual violence) whose counts
	// need a higher minimum cell (the form's "sensitive" column).
	Sensitive bool `json:"sensitive,omitempty"`
	// Identifier is the question's quasi-identifier kind (one of
	// IdentifierKinds, the form's "identifier" column), or "".
	Identifier string `json:"identifier,omitempty"`
	// Children are the questions of a group or repeat.
	Children []*Question `json:"children,omitempty"`
	// Row is the question's row in the survey sheet, for messages.
	Row int `json:"row"`
}

// Choice is a choice of a list.
type Choice struct {
	// Name is what the answer stores.
	Name  string    `json:"name"`
	Label Localized `json:"label,omitempty"`
	// Extra holds the list's other columns by lowercase column name (a
	// choice_filter reads them; "province" coarsens a place).
	Extra map[string]string `json:"extra,omitempty"`
	// Row is the choice's row in the choices sheet, for messages.
	Row int `json:"row"`
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	versionPattern = regexp.MustCompile(`^[0-9]{1,10}$`)
	namePattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,63}$`)
	hashPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// ValidID reports whether s can be a form ID. "note" is taken: it names the
// free-text interview.
func ValidID(s string) bool { return idPattern.MatchString(s) && s != "note" }

// ValidVersion reports whether s can be a form version.
func ValidVersion(s string) bool { return versionPattern.MatchString(s) }

// ValidName reports whether s can be a question or choice-list name.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Ref returns the form's reference as sealed files name it in their
// manifest: "ID/Version".
func (f *Form) Ref() string { return f.ID + "/" + f.Version }

// Marshal returns the canonical encoding of f: indented JSON ending in a
// newline. This is the text the admin signs and [Form.Digest] hashes.
func (f *Form) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("failed to encode form: %w", err)
	}
	return buf.Bytes(), nil
}

// Digest returns the hex SHA-256 of the form's canonical encoding.
func (f *Form) Digest() (string, error) {
	b, err := f.Marshal()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Walk calls fn for every question of f in order, depth first, with the
// repeat it is in (nil outside repeats). It stops at the first error.
func (f *Form) Walk(fn func(q *Question, repeat *Question) error) error {
	var walk func(qs []*Question, repeat *Question) error
	walk = func(qs []*Question, repeat *Question) error {
		for _, q := range qs {
			if err := fn(q, repeat); err != nil {
				return err
			}
			inner := repeat
			if q.Type == Repeat {
				inner = q
			}
			if err := walk(q.Children, inner); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(f.Survey, nil)
}

// Question returns the question named name, and the repeat it is in.
func (f *Form) Question(name string) (q, repeat *Question) {
	errFound := errors.New("found")
	f.Walk(func(x, r *Question) error {
		if x.Name == name {
			q, repeat = x, r
			return errFound
		}
		return nil
	})
	return q, repeat
}

// Choice returns the choice named name of list, if there is one. The
// choice "other" of an or_other question is not in the list.
func (f *Form) Choice(list, name string) (Choice, bool) {
	for _, c := range f.Choices[list] {
		if c.Name == name {
			return c, true
		}
	}
	return Choice{}, false
}

// OtherName is the name of the text question an or_other select adds.
func OtherName(q *Question) string { return q.Name + "_other" }

// OtherChoice is the choice name an or_other select adds to its list.
const OtherChoice = "other"
