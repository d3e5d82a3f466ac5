package desk

import (
	"context"

	"testimony/internal/client"
	"testimony/server"
)

// syncForms fetches the forms the server publishes that this desk does not
// have yet and keeps each that verifies (keepForm). It runs with every
// roster refresh, after the roster, so that forms are checked against the
// organisation of the newest roster. A form refused — not signed by the
// pinned admin key, changed, another organisation's, or another form under
// a version this desk keeps — is not kept and is noted in the desk's log
// by ID, version and reason, never its content; it does not stop the sync,
// and neither does a server that cannot list forms.
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
	for _, r := range refused {
		d.cfg.Log.Warn("a published form was refused and not kept", "form", r.ID+"@"+r.Version, "err", r.Err.Error())
	}
}
