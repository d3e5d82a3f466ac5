package survey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// AnswersFormat is the format of answers.json.
const AnswersFormat = "testimony-answers-v1"

// Limits of an answer set.
const (
	// MaxAnswerSize is the longest answer, in bytes.
	MaxAnswerSize = 64 << 10
	// MaxRepeats is the most times a repeat can be answered.
	MaxRepeats = 500
	// MaxDepth is the deepest nesting of repeats.
	MaxDepth = 8
)

// ErrAnswers is wrapped by every error about a malformed answers file.
var ErrAnswers = errors.New("malformed answers")

// Response is the content of answers.json: one person's answers to one
// version of one form.
type Response struct {
	// Format is AnswersFormat.
	Format string `json:"format"`
	// Form, Version and FormSHA256 name the form exactly: its ID, its
	// version and the hex SHA-256 of its canonical encoding.
	Form       string `json:"form"`
	Version    string `json:"version"`
	FormSHA256 string `json:"form_sha256"`
	// Language is the code of the language the questions were asked in.
	Language string `json:"language"`
	// Answers are the answers.
	Answers *Answers `json:"answers"`
}

// Answers is an answer set: the answers of a response, or of one pass
// through a repeat. Its JSON is one object whose values are strings
// (answers) or arrays of objects (repeats).
type Answers struct {
	// Values holds the answers by question name.
	Values map[string]string
	// Repeats holds, by repeat name, one answer set per pass.
	Repeats map[string][]*Answers
}

// NewAnswers returns an empty answer set.
func NewAnswers() *Answers {
	return &Answers{Values: map[string]string{}, Repeats: map[string][]*Answers{}}
}

// Get returns the answer to name, "" if there is none.
func (a *Answers) Get(name string) string {
	if a == nil {
		return ""
	}
	return a.Values[name]
}

// MarshalJSON writes a as one object with sorted keys.
func (a *Answers) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(a.Values)+len(a.Repeats))
	for k, v := range a.Values {
		m[k] = v
	}
	for k, v := range a.Repeats {
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q is both an answer and a repeat", k)
		}
		if v == nil {
			v = []*Answers{}
		}
		m[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads what MarshalJSON writes, refusing anything else:
// values other than strings and arrays of objects, names that are not
// question names, repeats nested deeper than MaxDepth.
func (a *Answers) UnmarshalJSON(b []byte) error {
	return a.unmarshal(b, 0)
}

func (a *Answers) unmarshal(b []byte, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: repeats nested deeper than %d", ErrAnswers, MaxDepth)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: an answer set must be an object: %v", ErrAnswers, err)
	}
	if raw == nil {
		return fmt.Errorf("%w: an answer set must be an object, not null", ErrAnswers)
	}
	*a = *NewAnswers()
	for k, v := range raw {
		if !ValidName(k) {
			return fmt.Errorf("%w: %q is not a question name", ErrAnswers, k)
		}
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("%w: answer %q: %v", ErrAnswers, k, err)
			}
			if len(s) > MaxAnswerSize || !utf8.ValidString(s) {
				return fmt.Errorf("%w: answer %q is longer than %d bytes or not text", ErrAnswers, k, MaxAnswerSize)
			}
			a.Values[k] = s
		case len(v) > 0 && v[0] == '[':
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return fmt.Errorf("%w: repeat %q: %v", ErrAnswers, k, err)
			}
			if len(items) > MaxRepeats {
				return fmt.Errorf("%w: repeat %q is answered more than %d times", ErrAnswers, k, MaxRepeats)
			}
			list := make([]*Answers, 0, len(items))
			for _, it := range items {
				var sub Answers
				if err := sub.unmarshal(it, depth+1); err != nil {
					return err
				}
				list = append(list, &sub)
			}
			a.Repeats[k] = list
		default:
			return fmt.Errorf("%w: answer %q must be a string or a list of answer sets", ErrAnswers, k)
		}
	}
	return nil
}

// Names returns the names a holds answers or repeats for, sorted.
func (a *Answers) Names() []string {
	var out []string
	for k := range a.Values {
		out = append(out, k)
	}
	for k := range a.Repeats {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// MarshalResponse returns the canonical answers.json for r: indented JSON
// ending in a newline.
func MarshalResponse(r *Response) ([]byte, error) {
	if r.Answers == nil {
		return nil, errors.New("a response has no answers")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("failed to encode answers: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseResponse parses answers.json and checks its header. It does not
// check the answers against the form: that is [Check].
func ParseResponse(b []byte) (*Response, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Response
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAnswers, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrAnswers)
	}
	switch {
	case r.Format != AnswersFormat:
		return nil, fmt.Errorf("%w: unknown format %q", ErrAnswers, r.Format)
	case !ValidID(r.Form):
		return nil, fmt.Errorf("%w: invalid form ID %q", ErrAnswers, r.Form)
	case !ValidVersion(r.Version):
		return nil, fmt.Errorf("%w: invalid form version %q", ErrAnswers, r.Version)
	case !hashPattern.MatchString(r.FormSHA256):
		return nil, fmt.Errorf("%w: form_sha256 must be a hex SHA-256", ErrAnswers)
	case r.Answers == nil:
		return nil, fmt.Errorf("%w: no answers", ErrAnswers)
	}
	return &r, nil
}

// Record is a response as a reviewer holds it: opened from a sealed file
// whose signature verified.
type Record struct {
	// ID is the submission ID of the sealed file.
	ID string
	// Day is the day of the interview, from the signed manifest.
	Day string
	// Device is the ID of the device that sealed it.
	Device string
	// Response is the response.
	Response *Response
}
