package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"testimony/internal/agepolicy"
	"testimony/internal/blob"
	"testimony/internal/store"
	"testimony/internal/survey"
	"testimony/keys"
)

// apiError is an error the API returns: an HTTP status, a stable code that
// clients may test, and a message for people. Messages never echo tokens or
// request bodies.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

var (
	errUnauthorized = apiErr(http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
	errForbidden    = apiErr(http.StatusForbidden, "forbidden", "this token's role may not do this")
	errNotFound     = apiErr(http.StatusNotFound, "not_found", "no such submission")
	errBadID        = apiErr(http.StatusBadRequest, "bad_id", "an ID (of a submission, annotation or lookup) is 32 lowercase hex digits")
	errNoReviewers  = apiErr(http.StatusUnprocessableEntity, "no_reviewers", "the roster has no reviewers, so nothing sealed to them can be accepted")
	errNotListed    = apiErr(http.StatusForbidden, "not_listed", "the roster does not list this device with this token's key; the admin adds it (testimony roster add-device, after checking its fingerprint) and publishes the roster")
	errWrongDevice  = apiErr(http.StatusForbidden, "wrong_device", "this enrollment code was made for another device ID; ask the admin for a code for this device")
)

// toAPIError maps every error kind to its status and code, in one place.
func toAPIError(err error) *apiError {
	var ae *apiError
	var rej *agepolicy.Rejection
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &rej):
		return apiErr(http.StatusUnprocessableEntity, "policy", rej.Reason)
	case errors.Is(err, blob.ErrDigestMismatch):
		return apiErr(http.StatusBadRequest, "digest_mismatch", "the body does not match its Content-Digest")
	case errors.Is(err, blob.ErrTooLarge):
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than this server accepts")
	case errors.Is(err, store.ErrWrongDevice):
		return errWrongDevice
	case errors.Is(err, blob.ErrExists), errors.Is(err, store.ErrConflict):
		return apiErr(http.StatusConflict, "conflict", "a different file was already stored under this ID")
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, blob.ErrInvalidKey):
		return errBadID
	case errors.Is(err, keys.ErrRoster):
		return apiErr(http.StatusUnprocessableEntity, "roster", err.Error())
	case errors.Is(err, survey.ErrForm):
		// Verify's reasons name no secret: not signed by the admin key,
		// changed, for another organisation, not a form.
		return apiErr(http.StatusForbidden, "form_refused", err.Error())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than this server accepts")
	}
	return apiErr(http.StatusInternalServerError, "internal", "the server failed; try again later")
}

// writeError sends err as a JSON error and returns its code for the log.
func writeError(w http.ResponseWriter, err error) string {
	ae := toAPIError(err)
	writeJSON(w, ae.Status, ae)
	return ae.Code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
