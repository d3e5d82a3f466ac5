package desk_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

// upload is one PUT of the API, as any holder of an interviewer token can
// make it.
func (o *org) upload(t *testing.T, token, route string, body []byte, reid []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, o.url+"/api/v1"+route, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Digest", server.ContentDigest(sha256.Sum256(body)))
	if reid != nil {
		req.Header.Set("Testimony-Reid-Digest", server.ContentDigest(sha256.Sum256(reid)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PUT %s: %d", route, resp.StatusCode)
	}
}

// push uploads a sealed file and its record under id.
func (o *org) push(t *testing.T, token, id string, sealed, reid []byte) {
	t.Helper()
	o.upload(t, token, "/submissions/"+id+"/reid", reid, nil)
	o.upload(t, token, "/submissions/"+id, sealed, reid)
}

// laptopToken makes a token for laptop-1, as its enrollment would.
func (o *org) laptopToken(t *testing.T) string {
	t.Helper()
	token, id, hash := server.NewToken()
	tk := store.Token{ID: id, Role: store.Interviewer, Label: "laptop 1", Device: "laptop-1", DevicePub: o.device.Verifier(), Created: "2026-12-01"}
	if err := o.store.AddToken(context.Background(), tk, hash); err != nil {
		t.Fatal(err)
	}
	return token
}

// sealGenuine seals a note naming 박영수 on laptop-1, with its signed record.
func (o *org) sealGenuine(t *testing.T, id string) (sealed, reid []byte, pseudo string) {
	t.Helper()
	ents := must(pseudonym.ParseEntities([]byte(`{"people":[{"id":"p1","names":["박영수"],"role":"interviewee"}]}`)))
	red := must(pseudonym.New(ents, must(keys.GeneratePseudonymKey())))
	c := envelope.Contents{Note: []byte("박영수는 2019년에 떠났다.\n")}
	res := must(intake.Pseudonymize(red, &c))
	var rb, sb bytes.Buffer
	digest := must(intake.SealReid(&rb, o.roster, res.Reids, intake.ReidBinding{ID: id, DeviceID: "laptop-1", Device: o.device}))
	must(envelope.Seal(&sb, c, envelope.Options{Roster: o.roster, Device: o.device, DeviceID: "laptop-1", Day: "2026-03-14", Language: "ko", ID: id, Reid: digest}))
	return sb.Bytes(), rb.Bytes(), res.Reids[0].People[0].Pseudonym
}

// TestCopyUnderAnotherID is the attack of re-uploading a genuine sealed
// file (and its record) under a new submission ID, to make one testimony
// look like two independent, corroborating ones. The reviewer's desk shows
// the copy as a copy, never as a second verified testimony; the custodian's
// desk refuses the copied record.
func TestCopyUnderAnotherID(t *testing.T) {
	o := newOrg(t)
	token := o.laptopToken(t)
	genuine := envelope.NewID()
	sealed, reid, pseudo := o.sealGenuine(t, genuine)
	o.push(t, token, genuine, sealed, reid)
	copyID := envelope.NewID()
	o.push(t, token, copyID, sealed, reid) // the same bytes, another ID

	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	if page := r1.waitPull(); !strings.Contains(page, "Done: 2 new file") {
		t.Fatalf("pull:\n%s", page)
	}
	_, _, inbox := r1.get("/")
	if n := strings.Count(inbox, "✓ verified"); n != 1 {
		t.Errorf("the inbox shows %d verified testimonies, want 1:\n%s", n, inbox)
	}
	if !strings.Contains(inbox, "a copy of testimony "+genuine[:8]+" under another ID") {
		t.Errorf("the inbox does not call the copy a copy:\n%s", inbox)
	}
	_, _, page := r1.get("/t/" + copyID)
	if !strings.Contains(page, `id="copy-of"`) || !strings.Contains(page, genuine) || strings.Contains(page, "in the server&#39;s log") || strings.Contains(page, "박영수") {
		t.Errorf("the copy's page does not show it as a copy of %s:\n%s", genuine, page)
	}
	_, _, page = r1.get("/t/" + genuine)
	if !strings.Contains(page, `<code class="id" id="signed-id">`+genuine+`</code>`) {
		t.Errorf("the genuine testimony's page does not show its signed ID:\n%s", page)
	}
	// In Korean too.
	r1.lang = "ko"
	if _, _, page := r1.get("/t/" + copyID); !strings.Contains(page, "사본") {
		t.Errorf("the Korean page does not say copy:\n%s", page)
	}

	cu := start(t, o.homes["custodian 1"], desk.Config{})
	cu.unlock()
	cu.waitPull()
	_, _, home := cu.get("/")
	if !strings.Contains(home, copyID[:8]) || !strings.Contains(home, "sealed under another submission ID") {
		t.Errorf("the copied record is not refused:\n%s", home)
	}
	_, found := cu.submit("/lookup", map[string][]string{"pseudonym": {pseudo}, "reason": {"follow-up interview requested"}})
	matches := regexp.MustCompile(`(?s)<div class="match">.*?</div>`).FindAllString(found, -1)
	if len(matches) != 1 || !strings.Contains(matches[0], genuine[:8]) || !strings.Contains(matches[0], "record signed for this submission by device laptop-1") {
		t.Errorf("the lookup does not name the genuine submission alone:\n%s", found)
	}
}

// TestMadeUpRecord is the attack of making up a re-identification record
// ("this pseudonym is that person") with nothing but the custodians' public
// keys from the roster, and staging it beside a copy of a genuine
// testimony. Signed with a key the roster does not hold, it is refused; in
// the old unsigned format, it is shown only as unverified, with a warning.
// Neither reaches the custodian as a verified answer.
func TestMadeUpRecord(t *testing.T) {
	o := newOrg(t)
	token := o.laptopToken(t)
	genuine := envelope.NewID()
	sealed, reid, pseudo := o.sealGenuine(t, genuine)
	o.push(t, token, genuine, sealed, reid)

	made := []pseudonym.Reid{{Format: pseudonym.ReidFormat, People: []pseudonym.ReidEntry{{Entity: "p1", Pseudonym: pseudo, Declared: []string{"거짓이름"}, Found: []string{"거짓이름"}}}}}
	sealTo := func(plain []byte) []byte {
		var b bytes.Buffer
		if err := intake.SealTo(&b, o.roster.Custodians, plain); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	// The old format: plain JSON, sealed to the custodians.
	unsigned := envelope.NewID()
	v1, _ := json.Marshal(intake.Bundle{Format: intake.BundleFormat, Parts: made})
	o.push(t, token, unsigned, sealed, sealTo(v1))
	// The new format, signed by a key of the attacker's own that claims to
	// be laptop-1.
	rogue := must(keys.GenerateSigningKey("laptop-1"))
	fake := *o.roster
	fake.Devices = []keys.Device{{ID: "laptop-1", Key: must(keys.ParseVerifier(rogue.Verifier()))}}
	forged := envelope.NewID()
	var fb bytes.Buffer
	must(intake.SealReid(&fb, &fake, made, intake.ReidBinding{ID: forged, DeviceID: "laptop-1", Device: rogue}))
	o.push(t, token, forged, sealed, fb.Bytes())

	cu := start(t, o.homes["custodian 1"], desk.Config{})
	cu.unlock()
	cu.waitPull()
	_, _, home := cu.get("/")
	if !strings.Contains(home, forged[:8]) || !strings.Contains(home, "not signed by the key enrolled for device") {
		t.Errorf("the forged record is not refused:\n%s", home)
	}
	_, found := cu.submit("/lookup", map[string][]string{"pseudonym": {pseudo}, "reason": {"follow-up interview requested"}})
	// Each match is a <div class="match">; the made-up name appears only
	// in one marked unverified, and the forged one not at all.
	matches := regexp.MustCompile(`(?s)<div class="match">.*?</div>`).FindAllString(found, -1)
	if len(matches) != 2 {
		t.Fatalf("%d matches, want the genuine and the unsigned one:\n%s", len(matches), found)
	}
	for _, m := range matches {
		switch {
		case strings.Contains(m, "거짓이름"):
			if !strings.Contains(m, "Unverified") || strings.Contains(m, "record signed for this submission") || !strings.Contains(m, unsigned[:8]) {
				t.Errorf("the made-up name is not marked unverified:\n%s", m)
			}
		case strings.Contains(m, "박영수"):
			if !strings.Contains(m, "record signed for this submission by device laptop-1") || !strings.Contains(m, genuine[:8]) {
				t.Errorf("the genuine record is not shown as signed:\n%s", m)
			}
		default:
			t.Errorf("unexpected match:\n%s", m)
		}
	}
}

// TestRecordMismatchShownToReviewer: the testimony's signed manifest names
// the SHA-256 of the re-identification record sealed with it, and the log
// commits to the record the server holds. When they differ — another
// record put in its place, or none at all — the reviewer's desk says so.
func TestRecordMismatchShownToReviewer(t *testing.T) {
	o := newOrg(t)
	token := o.laptopToken(t)
	// A record other than the one sealed: the same device's record for
	// the same ID, with other contents, put in its place.
	swapped := envelope.NewID()
	sealed, _, _ := o.sealGenuine(t, swapped)
	_, other, _ := o.sealGenuine(t, swapped)
	o.push(t, token, swapped, sealed, other)
	// A testimony sealed with a record, put without one.
	missing := envelope.NewID()
	sealed2, _, _ := o.sealGenuine(t, missing)
	o.upload(t, token, "/submissions/"+missing, sealed2, nil)
	// And one as it should be.
	fine := envelope.NewID()
	sealed3, reid3, _ := o.sealGenuine(t, fine)
	o.push(t, token, fine, sealed3, reid3)

	r1 := start(t, o.homes["reviewer 1"], desk.Config{})
	r1.unlock()
	r1.waitPull()
	for id, want := range map[string]string{
		swapped: "is not the one its device sealed with it",
		missing: "the server&#39;s log holds none",
		fine:    "",
	} {
		_, _, page := r1.get("/t/" + id)
		has := strings.Contains(page, `<div class="notice error" role="alert"><p>The`)
		if want == "" && has {
			t.Errorf("%s: a record problem is shown for a testimony whose record is its own:\n%s", id, page)
		}
		if want != "" && (!has || !strings.Contains(page, want)) {
			t.Errorf("%s: the page does not say %q:\n%s", id, want, page)
		}
	}
}
