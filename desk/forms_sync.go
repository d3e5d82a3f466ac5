package desk

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/survey"
	"testimony/server"
)

// syncForms fetches the forms the server publishes that this desk does not
// have yet and keeps each that verifies (keepForm). It runs with every
// roster refresh, after the roster, so that forms are checked against the
// organisation of the newest roster. A form refused — not signed by the
// pinned admin key, changed, another organisation's, or another form under
// a version this desk keeps — is not kept and is noted in the desk's log
// by ID, version and reason, never its content, and listed on the desk's
// pages until the next sync (formRefusals); it does not stop the sync, and
// neither does a server that cannot list forms (which leaves the list as
// it was).
func (d *Desk) syncForms(ctx context.Context, u *unlocked) {
	have := map[string]string{} // "id@version" → digest
	for _, p := range d.allForms() {
		have[p.Form.ID+"@"+p.Form.Version] = p.Digest
	}
	d.mu.Lock()
	org := d.roster.Org
	d.mu.Unlock()
	forms, refused, err := u.client.PublishedForms(ctx, d.admin, org, func(f server.Form) bool {
		return have[f.ID+"@"+f.Version] == f.SHA256
	})
	if err != nil {
		d.cfg.Log.Warn("the server's list of forms could not be had; the forms this desk keeps are unchanged", "err", err.Error())
		return
	}
	for _, p := range forms {
		if _, err := d.keepForm(p.Signed); err != nil {
			refused = append(refused, client.FormRefusal{ID: p.Form.ID, Version: p.Form.Version, Err: err})
			continue
		}
		if _, ok := have[p.Form.ID+"@"+p.Form.Version]; !ok {
			d.cfg.Log.Info("kept a published form", "form", p.Form.ID+"@"+p.Form.Version)
		}
	}
	var record []formRefusal
	for _, r := range refused {
		d.cfg.Log.Warn("a published form was refused and not kept", "form", r.ID+"@"+r.Version, "err", r.Err.Error())
		record = append(record, refusalOf(r))
	}
	if err := d.keepRefusals(record); err != nil {
		d.cfg.Log.Warn("the list of refused forms could not be kept", "err", err.Error())
	}
}

// formRefusal is a form the last sync refused, as the desk's pages show
// it: the form's ID and version as the server listed them ("?" when they
// are not an ID or a version), and why, as one of the reasons below
// (English, translated when shown). It holds nothing of the form's content.
type formRefusal struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
}

// The reasons a form is refused, in the words the pages use.
const (
	refusedUnsigned = "it is not signed by your organisation's admin key"
	refusedChanged  = "it was changed after it was signed"
	refusedOtherOrg = "it was published for another organisation"
	refusedSwapped  = "another form was published under a version this desk already holds"
	refusedListed   = "the server listed it as another form or version"
	refusedOther    = "it could not be checked"
)

// refusalOf describes a refused form.
func refusalOf(r client.FormRefusal) formRefusal {
	out := formRefusal{ID: r.ID, Version: r.Version, Reason: refusedOther}
	if !survey.ValidID(out.ID) {
		out.ID = "?"
	}
	if !survey.ValidVersion(out.Version) {
		out.Version = "?"
	}
	msg := r.Err.Error()
	switch {
	case errors.Is(r.Err, errFormConflict):
		out.Reason = refusedSwapped
	case strings.Contains(msg, "not signed by the organisation's admin key"):
		out.Reason = refusedUnsigned
	case strings.Contains(msg, "changed after it was signed"):
		out.Reason = refusedChanged
	case strings.Contains(msg, "was published for"):
		out.Reason = refusedOtherOrg
	case strings.Contains(msg, "the server listed it as"):
		out.Reason = refusedListed
	}
	return out
}

// refusalsPath is the file that lists the forms the last sync refused
// (IDs, versions and reasons only). A sync that refuses none removes it.
func (d *Desk) refusalsPath() string { return d.path("forms-refused.json") }

// keepRefusals replaces the list of the forms the last sync refused.
func (d *Desk) keepRefusals(rs []formRefusal) error {
	if len(rs) == 0 {
		if err := os.Remove(d.refusalsPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	return durable.Replace(d.refusalsPath(), b, 0o600)
}

// maxRefusals is the most refused forms the pages list (a server may list
// many).
const maxRefusals = 20

// refusalView is a refused form as a page shows it.
type refusalView struct {
	ID, Version, Reason string
}

// formRefusals returns the forms the last sync refused, with their reasons
// in the language l: the interviewer's home page and the reviewer's
// surveys page list them.
func (d *Desk) formRefusals(l string) []refusalView {
	b, err := os.ReadFile(d.refusalsPath())
	if err != nil {
		return nil
	}
	var rs []formRefusal
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil
	}
	var out []refusalView
	for _, r := range rs[:min(len(rs), maxRefusals)] {
		switch r.Reason {
		case refusedUnsigned, refusedChanged, refusedOtherOrg, refusedSwapped, refusedListed:
		default:
			r.Reason = refusedOther
		}
		out = append(out, refusalView{ID: r.ID, Version: r.Version, Reason: tr(l, r.Reason)})
	}
	return out
}
