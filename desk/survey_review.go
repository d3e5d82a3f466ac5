package desk

import (
	"errors"
	"sort"
	"strings"

	"testimony/internal/survey"
)

// Survey statistics for reviewers. The pages here show what package stats
// computes from the responses in the reviewer's inbox, after its
// disclosure control: no count below the form's minimum cell reaches a
// page, and a hidden count cannot be worked out from what the page shows.

// errNoSuchForm is returned for a form ID that is not valid.
var errNoSuchForm = errors.New("no such form")

// surveyRecords returns the responses to the form formID in the reviewer's
// inbox: every testimony that opened and verified, whose signed manifest
// names the form ("<formID>/<version>"), and whose answers.json names the
// same form and version and the digest of a version this desk keeps
// verified (see formVersion). forms are those versions, oldest first;
// records are in interview-day order, then by submission ID.
//
// skipped counts the testimonies that name the form but could not be used:
// answers.json missing or malformed, naming another form or version than
// the signed manifest, or naming a form digest that matches no version this
// desk keeps ("responses to a form this desk does not have"). err is set
// only when formID is not a valid form ID.
func (d *Desk) surveyRecords(u *unlocked, formID string) (forms []*survey.Published, records []survey.Record, skipped int, err error) {
	if !survey.ValidID(formID) {
		return nil, nil, 0, errNoSuchForm
	}
	type found struct {
		id, day, device, version string
		answers                  []byte
	}
	var named []found
	u.inbox.mu.RLock()
	for _, t := range u.inbox.items {
		if t.M == nil || t.Err != "" || t.CopyOf != "" {
			continue
		}
		version, ok := strings.CutPrefix(t.M.Form, formID+"/")
		if !ok {
			continue
		}
		named = append(named, found{id: t.ID, day: t.M.Day, device: t.M.Device, version: version, answers: t.answersJSON})
	}
	u.inbox.mu.RUnlock()
	sort.Slice(named, func(i, j int) bool {
		if named[i].day != named[j].day {
			return named[i].day < named[j].day
		}
		return named[i].id < named[j].id
	})

	kept := map[string]*survey.Published{} // by version; nil: not kept
	for _, n := range named {
		if n.answers == nil {
			skipped++
			continue
		}
		resp, err := survey.ParseResponse(n.answers)
		if err != nil || resp.Form != formID || resp.Version != n.version {
			skipped++
			continue
		}
		p, seen := kept[resp.Version]
		if !seen {
			p, _ = d.formVersion(formID, resp.Version)
			kept[resp.Version] = p
		}
		if p == nil || p.Digest != resp.FormSHA256 {
			skipped++
			continue
		}
		records = append(records, survey.Record{ID: n.id, Day: n.day, Device: n.device, Response: resp})
	}
	for _, p := range kept {
		if p != nil && used(records, p) {
			forms = append(forms, p)
		}
	}
	sort.Slice(forms, func(i, j int) bool {
		return versionNumber(forms[i].Form.Version) < versionNumber(forms[j].Form.Version)
	})
	return forms, records, skipped, nil
}

// used reports whether a record answers the form version p.
func used(records []survey.Record, p *survey.Published) bool {
	for _, r := range records {
		if r.Response.Version == p.Form.Version {
			return true
		}
	}
	return false
}
