package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"testimony/internal/store"
	"testimony/keys"
)

func (s *Server) getRoster(w http.ResponseWriter, r *http.Request) {
	cur := s.roster.Load()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Testimony-Roster-Version", strconv.FormatUint(cur.r.Version, 10))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(cur.signed)
}

// putRoster accepts a newer roster signed by the pinned admin key.
func (s *Server) putRoster(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, keys.MaxRosterSize))
	if err != nil {
		s.fail(w, err)
		return
	}
	cur := s.roster.Load()
	next, err := keys.VerifyRoster(body, s.admin, cur.r)
	if err != nil {
		s.fail(w, err)
		return
	}
	// A roster that names another log key would make every client refuse
	// this server's receipts: refuse it here, where the admin sees why. A
	// roster without one is still accepted, as before the log existed.
	if err := s.checkLogKey(next); err != nil && !errors.Is(err, errNoLogKey) {
		s.fail(w, err)
		return
	}
	if err := s.cfg.Store.PutRoster(r.Context(), next.Version, body); err != nil {
		s.fail(w, err)
		return
	}
	s.roster.Store(&currentRoster{signed: body, r: next})
	writeJSON(w, http.StatusOK, map[string]any{"version": next.Version})
}

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Code string `json:"code"`
	// DeviceID and DevicePub register an interviewer's device: the
	// admin then adds that key to the roster.
	DeviceID  string `json:"device_id,omitempty"`
	DevicePub string `json:"device_pub,omitempty"`
}

// EnrollResponse is the answer to an enrollment.
type EnrollResponse struct {
	Token string     `json:"token"`
	Role  store.Role `json:"role"`
	Label string     `json:"label"`
}

var errBadCode = apiErr(http.StatusForbidden, "bad_code", "this enrollment code is unknown, already used or expired; ask the admin for a new one")

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "the body must be a JSON enrollment request"))
		return
	}
	t := store.Token{Created: s.day()}
	if req.DeviceID != "" || req.DevicePub != "" {
		if !keys.ValidDeviceID(req.DeviceID) {
			s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "device_id must be 1 to 64 letters, digits, '.', '_' or '-'"))
			return
		}
		v, err := keys.ParseVerifier(req.DevicePub)
		if err != nil {
			s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "device_pub must be a verifier key as keygen --signing prints it"))
			return
		}
		t.Device, t.DevicePub = req.DeviceID, v.String()
	}
	token, id, hash := NewToken()
	t.ID = id
	stored, err := s.cfg.Store.Enroll(r.Context(), EnrollmentCodeHash(req.Code), s.cfg.Now(), t, hash)
	if err != nil {
		if isCodeError(err) {
			err = errBadCode
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, EnrollResponse{Token: token, Role: stored.Role, Label: stored.Label})
}

func isCodeError(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict)
}

// EnrollmentLifetime is how long an enrollment code stays valid.
const EnrollmentLifetime = 15 * time.Minute
