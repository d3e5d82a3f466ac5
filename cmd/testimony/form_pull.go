package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"testimony/internal/client"
	"testimony/internal/durable"
	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

// pullForms keeps the forms the server publishes in dir/forms as
// <id>@<version>.txt, each verified against the admin key for the roster's
// organisation, as a desk keeps them: export reads them there. A form
// already kept is not fetched again; another form under a version kept is
// refused and the kept one stays. Refusals are warned about, by form and
// reason, and returned as one error (errVerify) after every good form is
// kept; a server that cannot list forms is only warned about.
func pullForms(e *env, c *serverClient, r *keys.Roster, adminPub, dir string) error {
	admin, err := keys.ParseVerifier(valueOrFile(adminPub))
	if err != nil {
		return fmt.Errorf("--admin-pub: %w", err)
	}
	formsDir := filepath.Join(dir, "forms")
	path := func(id, version string) string { return filepath.Join(formsDir, id+"@"+version+".txt") }
	kept := func(f server.Form) bool {
		b, err := os.ReadFile(path(f.ID, f.Version))
		if err != nil {
			return false
		}
		p, err := survey.Verify(b, admin, r.Org)
		return err == nil && p.Digest == f.SHA256
	}
	forms, refused, err := c.PublishedForms(e.ctx, admin, r.Org, kept)
	if err != nil {
		e.warn(fmt.Sprintf("the server's list of forms could not be had (%v); the forms in %s are unchanged", err, formsDir))
		return nil
	}
	if len(forms) > 0 {
		if err := os.MkdirAll(formsDir, 0o700); err != nil {
			return err
		}
	}
	n := 0
	for _, p := range forms {
		dst := path(p.Form.ID, p.Form.Version)
		err := durable.WriteNew(dst, p.Signed, 0o600)
		if errors.Is(err, durable.ErrExists) || errors.Is(err, fs.ErrExist) {
			old, rerr := os.ReadFile(dst)
			if rerr == nil && bytes.Equal(old, p.Signed) {
				continue
			}
			err = fmt.Errorf("%s holds another form under this version; it is kept", dst)
		}
		if err != nil {
			refused = append(refused, client.FormRefusal{ID: p.Form.ID, Version: p.Form.Version, Err: err})
			continue
		}
		n++
	}
	if n > 0 {
		e.info("kept %d new published form(s) in %s", n, formsDir)
	}
	for _, rf := range refused {
		e.warn(fmt.Sprintf("%v; it was not kept", rf))
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w: %d of the server's forms were refused (see above); the others were kept", errVerify, len(refused))
	}
	return nil
}
