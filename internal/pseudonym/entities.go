package pseudonym

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Entities are the people and places an interviewer declares for one note:
// the entities file.
//
//	{"people": [{"id": "p1", "names": ["김석한", "Kim Suk-Han"], "aliases": ["金錫漢"], "sex": "m", "role": "interviewee"}],
//	 "places": [{"id": "l1", "names": ["혜산", "Hyesan"]}]}
//
// names holds the spellings the interviewer knows — usually the Hangul and
// one romanization; the matcher derives the other spellings from the
// Hangul. aliases are other names of the same person (Chinese characters,
// a Chinese name, a nickname).
type Entities struct {
	People []Person `json:"people"`
	Places []Place  `json:"places"`
}

// Person is a declared person.
type Person struct {
	ID      string   `json:"id"`
	Names   []string `json:"names"`
	Aliases []string `json:"aliases,omitempty"`
	// Sex is "m", "f" or empty: the pseudonym's given name follows it.
	Sex string `json:"sex,omitempty"`
	// Role is the person's role in the note (interviewee, relative,
	// broker, official…): kept for the interviewer, not used here.
	Role string `json:"role,omitempty"`
}

// Place is a declared place.
type Place struct {
	ID      string   `json:"id"`
	Names   []string `json:"names"`
	Aliases []string `json:"aliases,omitempty"`
	// Province is the province (in Hangul) to write instead of the place;
	// if empty, the bundled gazetteer's province is used if it knows the
	// place.
	Province string `json:"province,omitempty"`
	// Generalize says what replaces the place: "province" (the default
	// when a province is known) or "label" (a neutral label such as
	// [장소 KQR], keyed like a pseudonym).
	Generalize string `json:"generalize,omitempty"`
}

// Limits on an entities file. An organisation may declare its whole
// registry of people (tens of thousands): the index grows linearly, by
// about 1.2 KB a person (docs/benchmarks.md).
const (
	MaxEntitiesSize = 16 << 20
	maxEntities     = 50000
	maxNames        = 32
	maxNameBytes    = 200
)

var (
	// ErrEntities matches every error that rejects an entities file.
	ErrEntities = errors.New("invalid entities file")

	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
)

// ParseEntities reads an entities file. Every name is normalized to NFC.
// Errors match [ErrEntities] and say which entry is wrong and how.
func ParseEntities(data []byte) (*Entities, error) {
	if len(data) > MaxEntitiesSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrEntities, MaxEntitiesSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8 text", ErrEntities)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Entities
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v (expected {\"people\": [{\"id\": \"p1\", \"names\": [\"김석한\", \"Kim Suk-Han\"]}], \"places\": [...]})", ErrEntities, jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: extra data after the JSON object", ErrEntities)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return &e, nil
}

func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early (a } or ] is missing)"
	case errors.As(err, &se):
		return fmt.Sprintf("JSON syntax error at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	return err.Error()
}

// check validates and normalizes e.
func (e *Entities) check() error {
	if len(e.People)+len(e.Places) > maxEntities {
		return fmt.Errorf("%w: more than %d entries", ErrEntities, maxEntities)
	}
	seen := map[string]bool{}
	checkID := func(kind, id string) error {
		if !idPattern.MatchString(id) {
			return fmt.Errorf("%w: %s id %q: use 1 to 32 letters, digits, '_', '.' or '-'", ErrEntities, kind, id)
		}
		if seen[id] {
			return fmt.Errorf("%w: id %q is used twice", ErrEntities, id)
		}
		seen[id] = true
		return nil
	}
	checkNames := func(id, field string, names []string, required bool) error {
		if required && len(names) == 0 {
			return fmt.Errorf("%w: %s has no names: give at least one spelling", ErrEntities, id)
		}
		if len(names) > maxNames {
			return fmt.Errorf("%w: %s has more than %d %s", ErrEntities, id, maxNames, field)
		}
		for i, n := range names {
			n = norm.NFC.String(strings.TrimSpace(n))
			names[i] = n
			if n == "" || len(n) > maxNameBytes {
				return fmt.Errorf("%w: %s: %s entry %d is empty or longer than %d bytes", ErrEntities, id, field, i+1, maxNameBytes)
			}
			if strings.IndexFunc(n, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
				return fmt.Errorf("%w: %s: %s entry %d contains a control character", ErrEntities, id, field, i+1)
			}
			if !hasLetter(n) {
				return fmt.Errorf("%w: %s: %s entry %d has no letters", ErrEntities, id, field, i+1)
			}
		}
		return nil
	}
	for i := range e.People {
		p := &e.People[i]
		if err := checkID("person", p.ID); err != nil {
			return err
		}
		if err := checkNames(p.ID, "names", p.Names, true); err != nil {
			return err
		}
		if err := checkNames(p.ID, "aliases", p.Aliases, false); err != nil {
			return err
		}
		switch p.Sex {
		case "", "m", "f":
		default:
			return fmt.Errorf("%w: %s: sex must be \"m\", \"f\" or left out", ErrEntities, p.ID)
		}
	}
	for i := range e.Places {
		p := &e.Places[i]
		if err := checkID("place", p.ID); err != nil {
			return err
		}
		if err := checkNames(p.ID, "names", p.Names, true); err != nil {
			return err
		}
		if err := checkNames(p.ID, "aliases", p.Aliases, false); err != nil {
			return err
		}
		p.Province = norm.NFC.String(strings.TrimSpace(p.Province))
		switch p.Generalize {
		case "", "province", "label":
		default:
			return fmt.Errorf("%w: %s: generalize must be \"province\" or \"label\"", ErrEntities, p.ID)
		}
	}
	return nil
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}
