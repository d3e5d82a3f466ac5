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
	// DeviceID and DevicePub register an interviewer's laptop. The admin
	// chose the device ID when making the code: DeviceID may be left out,
	// and if sent it must be that ID. DevicePub, the laptop's verifier
	// key, is required with a device's code. The token grants nothing
	// beyond reading the roster until the roster lists the device with
	// this key.
	DeviceID  string `json:"device_id,omitempty"`
	DevicePub string `json:"device_pub,omitempty"`
}

// EnrollResponse is the answer to an enrollment.
type EnrollResponse struct {
	Token string     `json:"token"`
	Role  store.Role `json:"role"`
	Label string     `json:"label"`
	// Device is the device ID the token is bound to, for a device's code.
	Device string `json:"device,omitempty"`
}

var errBadCode = apiErr(http.StatusForbidden, "bad_code", "this enrollment code is unknown, already used or expired; ask the admin for a new one")

// enroll redeems an enrollment code for a token. A device's code makes a
// token bound to the device ID the admin chose for the code and to the key
// the laptop sends, and only if the current roster does not list that
// device with another key: a code never moves a device to a new key. The
// server does not vouch for the key: see devices.go.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "the body must be a JSON enrollment request"))
		return
	}
	codeHash, now := EnrollmentCodeHash(req.Code), s.cfg.Now()
	code, err := s.cfg.Store.Enrollment(r.Context(), codeHash, now)
	if err != nil {
		if isCodeError(err) {
			err = errBadCode
		}
		s.fail(w, err)
		return
	}
	t := store.Token{Created: s.day()}
	switch {
	case code.Device == "" && code.Role == store.Interviewer:
		// A code made before codes named their device.
		s.fail(w, apiErr(http.StatusForbidden, "bad_code", "this interviewer code names no device ID; ask the admin for a new one (testimony admin enroll --device-id)"))
		return
	case code.Device == "" && (req.DeviceID != "" || req.DevicePub != ""):
		s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "this code is for a "+string(code.Role)+", not for a device: send no device_id or device_pub"))
		return
	case code.Device != "":
		if req.DeviceID != "" && req.DeviceID != code.Device {
			s.fail(w, errWrongDevice)
			return
		}
		v, err := keys.ParseVerifier(req.DevicePub)
		if err != nil {
			s.fail(w, apiErr(http.StatusBadRequest, "bad_request", "device_pub must be the laptop's verifier key as keygen --signing prints it"))
			return
		}
		if listed, ok := s.roster.Load().r.Device(code.Device); ok && !listed.SameKey(v) {
			s.fail(w, apiErr(http.StatusConflict, "device_key", "the roster lists device "+code.Device+" with another key; if this laptop has a new key, the admin replaces the old one in the roster first (after checking the new key's fingerprint)"))
			return
		}
		t.Device, t.DevicePub = code.Device, v.String()
	}
	token, id, hash := NewToken()
	t.ID = id
	stored, err := s.cfg.Store.Enroll(r.Context(), codeHash, now, t, hash)
	if err != nil {
		if isCodeError(err) {
			err = errBadCode
		}
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, EnrollResponse{Token: token, Role: stored.Role, Label: stored.Label, Device: stored.Device})
}

func isCodeError(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict)
}

// EnrollmentLifetime is how long an enrollment code stays valid.
const EnrollmentLifetime = 15 * time.Minute
