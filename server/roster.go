package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"testimony/internal/store"
	"testimony/keys"
)

// rosterRecheck is how long a server uses its copy of the roster before it
// reads the stored one again: another server process on the same store may
// have published a newer one. A device removed through one process is
// refused by all within this time.
const rosterRecheck = time.Second

// syncRoster takes the stored roster if it is newer than the server's copy,
// reading it at most once per rosterRecheck unless force is set. Every
// authenticated request calls it, so that processes sharing a store agree
// on the roster within rosterRecheck.
func (s *Server) syncRoster(ctx context.Context, force bool) error {
	fresh := func() bool { return time.Now().UnixNano()-s.rosterRead.Load() < int64(rosterRecheck) }
	if !force && fresh() {
		return nil
	}
	s.rosterSync.Lock()
	defer s.rosterSync.Unlock()
	if !force && fresh() {
		return nil // read while this request waited
	}
	v, signed, err := s.cfg.Store.Roster(ctx)
	if err != nil {
		return fmt.Errorf("failed to read the roster: %w", err)
	}
	s.rosterRead.Store(time.Now().UnixNano())
	cur := s.roster.Load()
	if v <= cur.r.Version {
		return nil
	}
	next, err := keys.VerifyRoster(signed, s.admin, cur.r)
	if err != nil {
		// Only the admin key signs rosters, and the process that stored
		// it checked it: this store was written by something else.
		s.log.Error("the stored roster does not verify; keeping the one this server has")
		return fmt.Errorf("the stored roster does not verify: %w", err)
	}
	s.roster.Store(&currentRoster{signed: signed, r: next})
	if err := s.checkLogKey(next); err != nil {
		s.log.Warn("the roster does not name this server's log key: clients will refuse its receipts until the admin publishes a roster with it (testimony roster set-log-key)")
	}
	return nil
}

func (s *Server) getRoster(w http.ResponseWriter, r *http.Request) {
	// Always the stored one: a client refuses a roster older than one it
	// has seen, perhaps from another process.
	if err := s.syncRoster(r.Context(), true); err != nil {
		s.fail(w, err)
		return
	}
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
	// The newest stored roster, which another process may have taken.
	if err := s.syncRoster(r.Context(), true); err != nil {
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
	s.rosterSync.Lock()
	if s.roster.Load().r.Version < next.Version {
		s.roster.Store(&currentRoster{signed: body, r: next})
	}
	s.rosterSync.Unlock()
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
	if err := s.syncRoster(r.Context(), false); err != nil {
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
	// The store takes the role and label from the code; they are filled
	// in here too, as the code read above has them.
	t.ID, t.Role, t.Label = id, code.Role, code.Label
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
