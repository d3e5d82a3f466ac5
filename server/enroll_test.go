package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// enrollCode stores an enrollment code as 'testimony admin enroll' does and
// returns it.
func (o *org) enrollCode(t *testing.T, role store.Role, device string) string {
	t.Helper()
	code, hash := server.NewEnrollmentCode()
	e := store.Enrollment{Role: role, Label: string(role) + " " + device, Device: device, Expires: time.Now().Add(server.EnrollmentLifetime)}
	if err := o.store.AddEnrollment(context.Background(), hash, e); err != nil {
		t.Fatal(err)
	}
	return code
}

// enroll posts an enrollment request and, if it succeeds, keeps the token
// under the name as.
func (o *org) enroll(t *testing.T, as string, req server.EnrollRequest) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(req)
	st, body := o.do(t, "POST", "/api/v1/enroll", "", b, nil)
	if st == http.StatusOK {
		var er server.EnrollResponse
		if err := json.Unmarshal(body, &er); err != nil {
			t.Fatal(err)
		}
		o.tokens[store.Role(as)] = er.Token
	}
	return st, body
}

// tokenCount is the number of tokens the store holds.
func (o *org) tokenCount(t *testing.T) int {
	ts, err := o.store.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// publish puts a new roster with change applied, signed by the admin.
func (o *org) publish(t *testing.T, change func(*keys.Roster)) {
	t.Helper()
	r := *o.roster
	r.Devices = append([]keys.Device(nil), r.Devices...)
	change(&r)
	r.Version++
	signed := must(r.Sign(o.admin))
	if st, body := o.do(t, "PUT", "/api/v1/roster", store.Admin, signed, nil); st != http.StatusOK {
		t.Fatalf("PUT roster: %d %s", st, body)
	}
	o.roster, o.signed = &r, signed
}

// pushWithReid pushes a sealed file with its re-identification record as
// laptop-1 and returns its ID.
func (o *org) pushWithReid(t *testing.T) string {
	t.Helper()
	id, sealed := o.seal(t, nil, "x")
	reid := sealTo(t, o.custodian, "p1 김석한 → 박영수\n")
	rh := digestHeader(reid)
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id+"/reid", store.Interviewer, reid, rh); st != http.StatusAccepted {
		t.Fatalf("PUT reid: %d %s", st, body)
	}
	h := digestHeader(sealed)
	h["Testimony-Reid-Digest"] = rh["Content-Digest"]
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, store.Interviewer, sealed, h); st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, body)
	}
	return id
}

func rogueKey(t *testing.T, name string) string {
	return must(keys.GenerateSigningKey(name)).Verifier()
}

// TestEnrollRogueKeyForListedDevice: the attack of issue 12 — a fresh
// interviewer code exchanged for a token bound to the real laptop-1 with
// another key — is refused at enrollment, whether the request names
// laptop-1 or leaves the ID to the code, and stores no token. The real
// laptop's key is accepted with the same kind of code.
func TestEnrollRogueKeyForListedDevice(t *testing.T) {
	o := newOrg(t)
	before := o.tokenCount(t)
	for _, deviceID := range []string{"laptop-1", ""} {
		c := o.enrollCode(t, store.Interviewer, "laptop-1")
		st, body := o.enroll(t, "rogue", server.EnrollRequest{Code: c, DeviceID: deviceID, DevicePub: rogueKey(t, "laptop-1")})
		if st != http.StatusConflict || code(t, body) != "device_key" {
			t.Errorf("rogue key for laptop-1 (device_id %q): %d %s; want 409 device_key", deviceID, st, body)
		}
	}
	if n := o.tokenCount(t); n != before {
		t.Errorf("refused enrollments stored %d token(s)", n-before)
	}
	// The laptop's own key, and no device ID: the code's.
	c := o.enrollCode(t, store.Interviewer, "laptop-1")
	st, body := o.enroll(t, "laptop", server.EnrollRequest{Code: c, DevicePub: o.device.Verifier()})
	var er server.EnrollResponse
	json.Unmarshal(body, &er)
	if st != http.StatusOK || er.Device != "laptop-1" || er.Role != store.Interviewer {
		t.Fatalf("the laptop's own key: %d %s", st, body)
	}
	id, sealed := o.seal(t, nil, "x")
	if st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, "laptop", sealed, digestHeader(sealed)); st != http.StatusCreated {
		t.Errorf("the enrolled laptop pushing: %d %s", st, body)
	}
	if st, _ := o.do(t, "GET", "/api/v1/submissions/"+id, "laptop", nil, nil); st != http.StatusOK {
		t.Errorf("the enrolled laptop fetching what it pushed: %d", st)
	}
}

// TestEnrollCodeForAnotherDevice: a code the admin made for laptop-2 does
// not enroll laptop-1, with any key, and stays usable for laptop-2.
func TestEnrollCodeForAnotherDevice(t *testing.T) {
	o := newOrg(t)
	before := o.tokenCount(t)
	c := o.enrollCode(t, store.Interviewer, "laptop-2")
	for _, pub := range []string{o.device.Verifier(), rogueKey(t, "laptop-1")} {
		if st, body := o.enroll(t, "x", server.EnrollRequest{Code: c, DeviceID: "laptop-1", DevicePub: pub}); st != http.StatusForbidden || code(t, body) != "wrong_device" {
			t.Errorf("a code for laptop-2 enrolling laptop-1: %d %s; want 403 wrong_device", st, body)
		}
	}
	if n := o.tokenCount(t); n != before {
		t.Errorf("refused enrollments stored %d token(s)", n-before)
	}
	st, body := o.enroll(t, "laptop-2", server.EnrollRequest{Code: c, DeviceID: "laptop-2", DevicePub: rogueKey(t, "laptop-2")})
	if st != http.StatusOK {
		t.Fatalf("the code for its own device: %d %s", st, body)
	}
	st, body = o.do(t, "GET", "/api/v1/whoami", "laptop-2", nil, nil)
	if st != http.StatusOK || !bytes.Contains(body, []byte(`"device":"laptop-2"`)) {
		t.Errorf("whoami: %d %s; want device laptop-2", st, body)
	}
}

// TestEnrollRequests: what an enrollment request must carry for each kind
// of code.
func TestEnrollRequests(t *testing.T) {
	o := newOrg(t)
	for _, tc := range []struct {
		name         string
		role         store.Role
		device       string // the code's
		req          server.EnrollRequest
		status       int
		code         string
		codeConsumed bool
	}{
		{"device code without a key", store.Interviewer, "laptop-3", server.EnrollRequest{DeviceID: "laptop-3"}, 400, "bad_request", false},
		{"device code with a malformed key", store.Interviewer, "laptop-3", server.EnrollRequest{DevicePub: "laptop-3+00+xx"}, 400, "bad_request", false},
		{"interviewer code made without a device", store.Interviewer, "", server.EnrollRequest{DeviceID: "laptop-3", DevicePub: rogueKey(t, "laptop-3")}, 403, "bad_code", false},
		{"reviewer code with a device", store.Reviewer, "", server.EnrollRequest{DeviceID: "laptop-3", DevicePub: rogueKey(t, "laptop-3")}, 400, "bad_request", false},
		{"reviewer code", store.Reviewer, "", server.EnrollRequest{}, 200, "", true},
	} {
		c := o.enrollCode(t, tc.role, tc.device)
		tc.req.Code = c
		st, body := o.enroll(t, "x", tc.req)
		if st != tc.status || (tc.code != "" && code(t, body) != tc.code) {
			t.Errorf("%s: %d %s; want %d %s", tc.name, st, body, tc.status, tc.code)
		}
		_, err := o.store.Enrollment(context.Background(), server.EnrollmentCodeHash(c), time.Now())
		if consumed := err != nil; consumed != tc.codeConsumed {
			t.Errorf("%s: code used up = %v; want %v", tc.name, consumed, tc.codeConsumed)
		}
	}
}

// TestUnlistedKeyGetsNothing: a token bound to a device ID with a key the
// roster does not list for it — enrolled before the roster listed the
// device, or written into a compromised server's store — may not push and
// fetches nothing, not even under the ID of a device the roster lists. The
// server compares keys, not names: a verifier named laptop-1 with another
// key is another device.
func TestUnlistedKeyGetsNothing(t *testing.T) {
	o := newOrg(t)
	id := o.pushWithReid(t) // laptop-1's
	ctx := context.Background()
	for _, tc := range []struct {
		name, device, pub string
	}{
		{"laptop-1 with a rogue key named laptop-1", "laptop-1", rogueKey(t, "laptop-1")},
		{"laptop-1 without a key", "laptop-1", ""},
		{"laptop-1 with a malformed key", "laptop-1", "laptop-1+00000000+AAAA"},
		{"laptop-9, which the roster does not list, with laptop-1's key", "laptop-9", o.device.Verifier()},
	} {
		tok, tid, hash := server.NewToken()
		if err := o.store.AddToken(ctx, store.Token{ID: tid, Role: store.Interviewer, Label: "rogue", Device: tc.device, DevicePub: tc.pub, Created: "2026-11-22"}, hash); err != nil {
			t.Fatal(err)
		}
		o.tokens["rogue"] = tok
		for _, path := range []string{"/api/v1/submissions/" + id, "/api/v1/submissions/" + id + "/reid"} {
			if st, body := o.do(t, "GET", path, "rogue", nil, nil); st != http.StatusNotFound || code(t, body) != "not_found" {
				t.Errorf("%s: GET %s: %d %s; want 404 not_found", tc.name, path, st, body)
			}
		}
		newID, sealed := o.seal(t, nil, "x")
		if st, body := o.do(t, "PUT", "/api/v1/submissions/"+newID, "rogue", sealed, digestHeader(sealed)); st != http.StatusForbidden || code(t, body) != "not_listed" {
			t.Errorf("%s: PUT a submission: %d %s; want 403 not_listed", tc.name, st, body)
		}
		reid := sealTo(t, o.custodian, "x")
		if st, body := o.do(t, "PUT", "/api/v1/submissions/"+newID+"/reid", "rogue", reid, digestHeader(reid)); st != http.StatusForbidden || code(t, body) != "not_listed" {
			t.Errorf("%s: PUT a record: %d %s; want 403 not_listed", tc.name, st, body)
		}
	}
	// The genuine token still fetches its own.
	for _, path := range []string{"/api/v1/submissions/" + id, "/api/v1/submissions/" + id + "/reid"} {
		if st, body := o.do(t, "GET", path, store.Interviewer, nil, nil); st != http.StatusOK {
			t.Errorf("laptop-1's own token: GET %s: %d %s", path, st, body)
		}
	}
}

// TestRosterDecidesDeviceAccess: a device enrolled before the roster lists
// it may push only once the admin's roster lists it with its key, and a
// device the roster drops (a seized laptop) can no longer push or fetch
// back what it pushed.
func TestRosterDecidesDeviceAccess(t *testing.T) {
	o := newOrg(t)
	laptop2 := must(keys.GenerateSigningKey("laptop-2"))
	c := o.enrollCode(t, store.Interviewer, "laptop-2")
	if st, body := o.enroll(t, "laptop-2", server.EnrollRequest{Code: c, DevicePub: laptop2.Verifier()}); st != http.StatusOK {
		t.Fatalf("enroll laptop-2: %d %s", st, body)
	}
	push := func() (string, int, []byte) {
		id, sealed := o.seal(t, nil, "x")
		st, body := o.do(t, "PUT", "/api/v1/submissions/"+id, "laptop-2", sealed, digestHeader(sealed))
		return id, st, body
	}
	if _, st, body := push(); st != http.StatusForbidden || code(t, body) != "not_listed" {
		t.Errorf("before the roster lists laptop-2: %d %s; want 403 not_listed", st, body)
	}
	o.publish(t, func(r *keys.Roster) { r.AddDevice("laptop-2", must(keys.ParseVerifier(laptop2.Verifier()))) })
	id, st, body := push()
	if st != http.StatusCreated {
		t.Fatalf("once the roster lists laptop-2: %d %s", st, body)
	}
	if st, _ := o.do(t, "GET", "/api/v1/submissions/"+id, "laptop-2", nil, nil); st != http.StatusOK {
		t.Errorf("laptop-2 fetching what it pushed: %d", st)
	}
	// A later code for laptop-2 with another key is refused now.
	c = o.enrollCode(t, store.Interviewer, "laptop-2")
	if st, body := o.enroll(t, "x", server.EnrollRequest{Code: c, DevicePub: rogueKey(t, "laptop-2")}); st != http.StatusConflict {
		t.Errorf("a rogue key for laptop-2 once listed: %d %s; want 409", st, body)
	}
	o.publish(t, func(r *keys.Roster) { r.RemoveDevice("laptop-2") })
	if st, _ := o.do(t, "GET", "/api/v1/submissions/"+id, "laptop-2", nil, nil); st != http.StatusNotFound {
		t.Errorf("laptop-2 dropped from the roster, fetching: %d; want 404", st)
	}
	if _, st, body := push(); st != http.StatusForbidden {
		t.Errorf("laptop-2 dropped from the roster, pushing: %d %s; want 403", st, body)
	}
}
