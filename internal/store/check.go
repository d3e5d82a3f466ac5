package store

import (
	"fmt"
	"time"

	"testimony/internal/survey"
)

// The checks below are what every implementation applies to what a caller
// gives it, before anything is written (and, by Restore, to every record
// of a snapshot): one definition, so that the backends refuse the same
// input with the same words.

// ValidHex reports whether s is exactly n lowercase hex digits.
func ValidHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidDay reports whether s is a calendar day written YYYY-MM-DD.
func ValidDay(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// CheckToken checks the fields of a token the store keeps as given (its ID
// and day). Its role is checked where the store takes it: AddToken keeps
// the caller's, Enroll takes the code's.
func CheckToken(t Token) error {
	switch {
	case !ValidHex(t.ID, 16):
		return fmt.Errorf("invalid token ID %q: want 16 lowercase hex digits", t.ID)
	case !ValidDay(t.Created):
		return fmt.Errorf("invalid day %q: want YYYY-MM-DD", t.Created)
	}
	return nil
}

// CheckSubmission checks a submission's ID, day, sizes and inline body.
func CheckSubmission(s Submission) error {
	switch {
	case !ValidHex(s.ID, 32):
		return fmt.Errorf("invalid submission ID %q: want 32 lowercase hex digits", s.ID)
	case !ValidDay(s.Day):
		return fmt.Errorf("invalid day %q: want YYYY-MM-DD", s.Day)
	case s.Size < 0:
		return fmt.Errorf("invalid size %d", s.Size)
	case s.HasReid && s.ReidSize < 0:
		return fmt.Errorf("invalid re-identification record size %d", s.ReidSize)
	case s.Body != nil && (int64(len(s.Body)) != s.Size || len(s.Body) > MaxInlineBody):
		return fmt.Errorf("an inline body must be Size bytes, at most %d", MaxInlineBody)
	}
	return nil
}

// CheckAnnotation checks an annotation's ID, day, size and inline body.
func CheckAnnotation(a Annotation) error {
	switch {
	case !ValidHex(a.ID, 32):
		return fmt.Errorf("invalid annotation ID %q: want 32 lowercase hex digits", a.ID)
	case !ValidDay(a.Day):
		return fmt.Errorf("invalid day %q: want YYYY-MM-DD", a.Day)
	case a.Size < 0:
		return fmt.Errorf("invalid size %d", a.Size)
	case a.Body != nil && (int64(len(a.Body)) != a.Size || len(a.Body) > MaxInlineBody):
		return fmt.Errorf("an inline body must be Size bytes, at most %d", MaxInlineBody)
	}
	return nil
}

// CheckLookup checks a lookup's IDs, day and its required body.
func CheckLookup(l Lookup) error {
	switch {
	case !ValidHex(l.ID, 32):
		return fmt.Errorf("invalid lookup ID %q: want 32 lowercase hex digits", l.ID)
	case !ValidHex(l.Submission, 32):
		return fmt.Errorf("invalid submission ID %q: want 32 lowercase hex digits", l.Submission)
	case !ValidHex(l.Custodian, 16):
		return fmt.Errorf("invalid custodian token ID %q: want 16 lowercase hex digits", l.Custodian)
	case !ValidDay(l.Day):
		return fmt.Errorf("invalid day %q: want YYYY-MM-DD", l.Day)
	case l.Body == nil || int64(len(l.Body)) != l.Size || len(l.Body) > MaxInlineBody:
		return fmt.Errorf("a lookup's body is required: Size bytes, at most %d", MaxInlineBody)
	}
	return nil
}

// CheckForm checks a form's ID, day and body.
func CheckForm(f Form) error {
	switch {
	case !survey.ValidID(f.ID):
		return fmt.Errorf("invalid form ID %q: want lowercase letters, digits, '.', '_' and '-', at most 64", f.ID)
	case f.Version > maxFormVersion:
		return fmt.Errorf("invalid form version %d: at most 10 digits", f.Version)
	case !ValidDay(f.Day):
		return fmt.Errorf("invalid day %q: want YYYY-MM-DD", f.Day)
	case f.Digest == [32]byte{}:
		return fmt.Errorf("form %s@%d has no digest", f.ID, f.Version)
	case len(f.Body) == 0 || len(f.Body) > MaxFormSize:
		return fmt.Errorf("a form's body is required: at most %d bytes", MaxFormSize)
	}
	return nil
}

// maxFormVersion is the largest version a form may have: survey versions
// are at most 10 decimal digits.
const maxFormVersion = 9_999_999_999
