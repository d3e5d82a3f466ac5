package desk

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"testimony/internal/durable"
	"testimony/internal/survey"
)

// Published forms are kept in the desk's home as forms/<form ID>@<version>.txt:
// every signed form that verified against the pinned admin key and the
// roster's organisation. They are fetched with the roster (see keepForm) and
// verified again every time they are read, so a file changed on disk is
// refused like one changed on the server. An interviewer fills only the
// newest version of each form; a reviewer reads each response with the
// version it names.

// forms returns the newest verified version of each published form, by
// form ID. A file that does not verify is left out.
func (d *Desk) forms() []*survey.Published {
	newest := map[string]*survey.Published{}
	for _, p := range d.allForms() {
		if old := newest[p.Form.ID]; old == nil || versionNumber(old.Form.Version) < versionNumber(p.Form.Version) {
			newest[p.Form.ID] = p
		}
	}
	out := make([]*survey.Published, 0, len(newest))
	for _, p := range newest {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Form.ID < out[j].Form.ID })
	return out
}

// allForms returns every verified version of every published form.
func (d *Desk) allForms() []*survey.Published {
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
	sort.Slice(out, func(i, j int) bool {
		if out[i].Form.ID != out[j].Form.ID {
			return out[i].Form.ID < out[j].Form.ID
		}
		return versionNumber(out[i].Form.Version) < versionNumber(out[j].Form.Version)
	})
	return out
}

// form returns the newest verified version of the form with this ID.
func (d *Desk) form(id string) (*survey.Published, error) {
	for _, p := range d.forms() {
		if p.Form.ID == id {
			return p, nil
		}
	}
	return nil, os.ErrNotExist
}

// formVersion returns the verified form with this ID and version.
func (d *Desk) formVersion(id, version string) (*survey.Published, error) {
	if !survey.ValidID(id) || !survey.ValidVersion(version) {
		return nil, os.ErrNotExist
	}
	return d.readForm(d.formPath(id, version))
}

func (d *Desk) formPath(id, version string) string {
	return d.path("forms", id+"@"+version+".txt")
}

func versionNumber(v string) uint64 {
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
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
	if want := p.Form.ID + "@" + p.Form.Version + ".txt"; filepath.Base(path) != want {
		return nil, fmt.Errorf("%s holds the form %s", filepath.Base(path), want)
	}
	return p, nil
}

// errFormConflict is returned by keepForm for a form whose version this
// desk already has with other content.
var errFormConflict = errors.New("another form under the same version")

// keepForm verifies a signed form and keeps it. The same form again is not
// an error; the same ID and version with different content is
// errFormConflict, and the desk keeps the first: a server cannot swap a
// form under its version. Keeping an older version does not make it the
// one interviewers fill (see forms).
func (d *Desk) keepForm(signed []byte) (*survey.Published, error) {
	d.mu.Lock()
	org := d.roster.Org
	d.mu.Unlock()
	p, err := survey.Verify(signed, d.admin, org)
	if err != nil {
		return nil, err
	}
	if old, err := d.formVersion(p.Form.ID, p.Form.Version); err == nil {
		if old.Digest == p.Digest {
			return old, nil
		}
		return nil, fmt.Errorf("%w: form %q version %s", errFormConflict, p.Form.ID, p.Form.Version)
	}
	if err := os.MkdirAll(d.path("forms"), 0o700); err != nil {
		return nil, err
	}
	if err := durable.WriteNew(d.formPath(p.Form.ID, p.Form.Version), signed, 0o600); err != nil {
		return nil, err
	}
	return p, nil
}

// AddForm keeps a signed form on the desk in home, as a sync that fetched
// it would: it must verify against the desk's pinned admin key and the
// organisation of its roster.
func AddForm(home string, signed []byte) error {
	_, admin, roster, err := loadProfile(home)
	if err != nil {
		return err
	}
	d := &Desk{cfg: Config{Home: home, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, admin: admin, roster: roster}
	_, err = d.keepForm(signed)
	return err
}
