package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

// PutForm publishes a form the admin signed (survey.Sign) under its ID and
// version (PUT /api/v1/forms/{id}/{version}, an admin's token). created is
// false when the server already had this very form. A refusal is a
// [*StatusError]: code form_refused (not signed by the pinned admin key,
// changed, or for another organisation), form_conflict (this version was
// published with other content), form_older (a higher version is
// published), bad_form.
func (c *Client) PutForm(ctx context.Context, id, version string, signed []byte) (f server.Form, created bool, err error) {
	if !survey.ValidID(id) || !survey.ValidVersion(version) {
		return f, false, fmt.Errorf("invalid form ID %q or version %q", id, version)
	}
	err = c.withRetries(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.URL(formRoute(id, version)), bytes.NewReader(signed))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		resp, err := c.Do(req, http.StatusCreated, http.StatusOK)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&f); err != nil {
			return &retryable{error: fmt.Errorf("failed to read the server's answer: %w", err)}
		}
		created = resp.StatusCode == http.StatusCreated
		return nil
	})
	return f, created, err
}

// Forms lists the forms the server publishes (GET /api/v1/forms), every
// version of each, by ID and version. The list is the server's word: a
// form counts only once its signature verifies (see [Client.PublishedForms]).
func (c *Client) Forms(ctx context.Context) ([]server.Form, error) {
	var l server.FormList
	if err := c.GetJSON(ctx, "/forms", &l); err != nil {
		return nil, err
	}
	return l.Forms, nil
}

// Form returns a published form's signed note as the server holds it,
// unverified: verify it with survey.Verify against the pinned admin key.
func (c *Client) Form(ctx context.Context, id, version string) ([]byte, error) {
	if !survey.ValidID(id) || !survey.ValidVersion(version) {
		return nil, fmt.Errorf("invalid form ID %q or version %q", id, version)
	}
	return c.Get(ctx, formRoute(id, version), survey.MaxSignedSize)
}

func formRoute(id, version string) string {
	return "/forms/" + url.PathEscape(id) + "/" + url.PathEscape(version)
}

// FormRefusal is a listed form that did not verify: it names the form the
// server listed and why it was refused, never its content.
type FormRefusal struct {
	ID, Version string
	Err         error
}

func (r FormRefusal) Error() string {
	return fmt.Sprintf("form %s version %s: %v", r.ID, r.Version, r.Err)
}

func (r FormRefusal) Unwrap() error { return r.Err }

// PublishedForms fetches every form the server lists that skip does not
// pass over (skip may be nil), and returns those that verify against the
// admin key for org and are the form the list names (its ID, version and
// digest). The others are returned as refusals: a server that changed a
// question, a choice or a rule, swapped a version or serves another
// organisation's form gets them refused, and the rest still count. err is
// set only when the list itself could not be had.
func (c *Client) PublishedForms(ctx context.Context, admin keys.Verifier, org string, skip func(server.Form) bool) (forms []*survey.Published, refused []FormRefusal, err error) {
	list, err := c.Forms(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range list {
		if skip != nil && skip(f) {
			continue
		}
		signed, err := c.Form(ctx, f.ID, f.Version)
		if err != nil {
			refused = append(refused, FormRefusal{f.ID, f.Version, err})
			continue
		}
		p, err := survey.Verify(signed, admin, org)
		if err == nil && (p.Form.ID != f.ID || p.Form.Version != f.Version || p.Digest != f.SHA256) {
			err = fmt.Errorf("%w: the server listed it as %s version %s with digest %s, but it is %s version %s with digest %s",
				survey.ErrForm, f.ID, f.Version, f.SHA256, p.Form.ID, p.Form.Version, p.Digest)
		}
		if err != nil {
			refused = append(refused, FormRefusal{f.ID, f.Version, err})
			continue
		}
		forms = append(forms, p)
	}
	return forms, refused, nil
}
