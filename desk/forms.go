package desk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"testimony/internal/durable"
	"testimony/internal/survey"
)

// Published forms are kept in the desk's home as forms/<form ID>.txt: the
// newest signed form of each ID that verified against the pinned admin key
// and the roster's organisation. They are fetched with the roster (see
// keepForm) and verified again every time they are read, so a file changed
// on disk is refused like one changed on the server.

// forms returns the verified published forms, by form ID. A file that does
// not verify is left out.
func (d *Desk) forms() []*survey.Published {
	files, _ := filepath.Glob(d.path("forms", "*.txt"))
	var out []*survey.Published
	for _, f := range files {
		p, err := d.readForm(f)
		if err != nil {
			d.cfg.Log.Warn("a kept form does not verify", "err", err.Error())
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Form.ID < out[j].Form.ID })
	return out
}

// form returns the verified published form with this ID.
func (d *Desk) form(id string) (*survey.Published, error) {
	if !survey.ValidID(id) {
		return nil, os.ErrNotExist
	}
	return d.readForm(d.path("forms", id+".txt"))
}

func (d *Desk) readForm(path string) (*survey.Published, error) {
	signed, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	org := d.roster.Org
	d.mu.Unlock()
	p, err := survey.Verify(signed, d.admin, org)
	if err != nil {
		return nil, err
	}
	if filepath.Base(path) != p.Form.ID+".txt" {
		return nil, fmt.Errorf("%s holds the form %q", filepath.Base(path), p.Form.ID)
	}
	return p, nil
}

// errFormRollback is returned by keepForm for a form older than the one
// kept, or of the same version with other content.
var errFormRollback = errors.New("the form is older than the one this desk has")

// keepForm verifies a signed form and keeps it if it is newer than the one
// kept with its ID. The same form again is not an error; an older version,
// or the same version with different content, is errFormRollback: a server
// cannot take a desk back to an older form or swap one under its version.
func (d *Desk) keepForm(signed []byte) (*survey.Published, error) {
	d.mu.Lock()
	org := d.roster.Org
	d.mu.Unlock()
	p, err := survey.Verify(signed, d.admin, org)
	if err != nil {
		return nil, err
	}
	if old, err := d.form(p.Form.ID); err == nil {
		ov, _ := strconv.ParseUint(old.Form.Version, 10, 64)
		nv, _ := strconv.ParseUint(p.Form.Version, 10, 64)
		switch {
		case ov == nv && old.Digest == p.Digest:
			return old, nil
		case nv <= ov:
			return nil, fmt.Errorf("%w: form %q version %s, but this desk has version %s", errFormRollback, p.Form.ID, p.Form.Version, old.Form.Version)
		}
	}
	if err := os.MkdirAll(d.path("forms"), 0o700); err != nil {
		return nil, err
	}
	if err := durable.Replace(d.path("forms", p.Form.ID+".txt"), signed, 0o600); err != nil {
		return nil, err
	}
	return p, nil
}
