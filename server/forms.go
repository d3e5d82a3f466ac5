package server

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"testimony/internal/store"
	"testimony/internal/survey"
)

// Published survey forms. The admin signs a form offline (package survey's
// Sign) and puts it here; desks fetch the list with the roster and verify
// every form against the admin key they pinned. The server verifies it too,
// so that a mistake (another organisation's form, a form signed with the
// wrong key) is refused where the admin sees why, but it is not what makes
// a form trusted: a server that changed one would be refused by every desk.
// A form's versions only go up, and a version, once published, never
// changes. The server never logs a form's content.

// Form describes a published form: the answer of PUT /forms/{id}/{version}
// and an entry of the form list.
type Form struct {
	ID string `json:"id"`
	// Version is the form's version, in decimal as the form writes it.
	Version string `json:"version"`
	// SHA256 is the form's digest (of its canonical encoding, lowercase
	// hex): what every answer set to it names.
	SHA256 string `json:"sha256"`
	// Day is the day it was published.
	Day string `json:"day"`
}

// FormList is the answer of GET /forms: every version of every form, by
// ID and then version.
type FormList struct {
	Forms []Form `json:"forms"`
}

var (
	errNoForm      = apiErr(http.StatusNotFound, "not_found", "no such form")
	errFormRef     = apiErr(http.StatusBadRequest, "bad_form", "a form is named by its ID (lowercase letters, digits, '.', '_', '-', at most 64) and its version (1 to 10 digits, no leading zero)")
	errFormSwap    = apiErr(http.StatusConflict, "form_conflict", "this version of the form was already published with other content; publish the change under a higher version")
	errFormOlder   = apiErr(http.StatusConflict, "form_older", "a higher version of this form is already published; publish the change under a higher version than that")
	errFormMissing = apiErr(http.StatusBadRequest, "bad_form", "the body is empty: send the signed form")
)

func formOf(f store.Form) Form {
	return Form{ID: f.ID, Version: strconv.FormatUint(f.Version, 10), SHA256: hex.EncodeToString(f.Digest[:]), Day: f.Day}
}

// formRef reads and checks the form ID and version of the URL.
func formRef(r *http.Request) (id string, version uint64, err error) {
	id, v := chi.URLParam(r, "id"), chi.URLParam(r, "version")
	if !survey.ValidID(id) || !survey.ValidVersion(v) {
		return "", 0, errFormRef
	}
	version, err = strconv.ParseUint(v, 10, 64)
	if err != nil || strconv.FormatUint(version, 10) != v {
		return "", 0, errFormRef
	}
	return id, version, nil
}

// putForm publishes a form signed by the pinned admin key for the
// roster's organisation, under the ID and version it names.
func (s *Server) putForm(w http.ResponseWriter, r *http.Request) {
	id, version, err := formRef(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, survey.MaxSignedSize))
	if err != nil {
		s.fail(w, err)
		return
	}
	if len(body) == 0 {
		s.fail(w, errFormMissing)
		return
	}
	p, err := survey.Verify(body, s.admin, s.roster.Load().r.Org)
	if err != nil {
		s.fail(w, err)
		return
	}
	if p.Form.ID != id || p.Form.Version != strconv.FormatUint(version, 10) {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_form", fmt.Sprintf("the signed form is %s version %s, not the %s version %d the URL names", p.Form.ID, p.Form.Version, id, version)))
		return
	}
	f := store.Form{ID: id, Version: version, Day: s.day(), Body: body}
	if _, err := hex.Decode(f.Digest[:], []byte(p.Digest)); err != nil {
		s.fail(w, err)
		return
	}
	stored, created, err := s.cfg.Store.PutForm(r.Context(), f)
	if errors.Is(err, store.ErrConflict) {
		// Which conflict: this version with other content, or an
		// older version than one published.
		if _, berr := s.cfg.Store.FormBody(r.Context(), id, version); berr == nil {
			err = errFormSwap
		} else if errors.Is(berr, store.ErrNotFound) {
			err = errFormOlder
		}
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, formOf(stored))
}

// listForms lists every published form.
func (s *Server) listForms(w http.ResponseWriter, r *http.Request) {
	fs, err := s.cfg.Store.Forms(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	out := FormList{Forms: []Form{}}
	for _, f := range fs {
		out.Forms = append(out.Forms, formOf(f))
	}
	writeJSON(w, http.StatusOK, out)
}

// getForm serves a published form's signed note, as the admin signed it.
func (s *Server) getForm(w http.ResponseWriter, r *http.Request) {
	id, version, err := formRef(r)
	if err != nil {
		s.fail(w, err)
		return
	}
	body, err := s.cfg.Store.FormBody(r.Context(), id, version)
	if errors.Is(err, store.ErrNotFound) {
		err = errNoForm
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}
