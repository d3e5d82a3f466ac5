package intake_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

func redactor(t *testing.T) *pseudonym.Redactor {
	t.Helper()
	ents, err := pseudonym.ParseEntities([]byte(`{"people":[{"id":"p1","names":["박영수","Pak Yong-su"],"role":"interviewee"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.GeneratePseudonymKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := pseudonym.New(ents, key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPseudonymizeNoteAndAnswers(t *testing.T) {
	r := redactor(t)
	c := envelope.Contents{
		Note:    []byte("박영수는 떠났다. Pak Yong-su left.\n"),
		Answers: []byte(`{"who": "박영수가 말했다", "year": 2019, "list": ["Pak Yong-su"]}`),
	}
	res, err := intake.Pseudonymize(r, &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{string(c.Note), string(c.Answers)} {
		if strings.Contains(part, "박영수") || strings.Contains(part, "Pak Yong-su") {
			t.Errorf("a declared name survived: %s", part)
		}
	}
	if !strings.Contains(string(c.Answers), `"year": 2019`) {
		t.Errorf("numbers in the answers changed: %s", c.Answers)
	}
	if len(res.Reids) != 3 { // the note, then each of the two strings of the answers
		t.Errorf("got %d re-identification parts, want 3", len(res.Reids))
	}
	if res.Note.Text != string(c.Note) {
		t.Error("Result.Note.Text is not what was written into the contents")
	}
}

func TestPseudonymizeBadInputLeavesContents(t *testing.T) {
	r := redactor(t)
	for name, c := range map[string]envelope.Contents{
		"not UTF-8":      {Note: []byte{0xff, 0xfe}},
		"answers broken": {Note: []byte("박영수"), Answers: []byte(`{"a":`)},
		"two values":     {Note: []byte("박영수"), Answers: []byte(`{} {}`)},
	} {
		before := bytes.Clone(c.Note)
		if _, err := intake.Pseudonymize(r, &c); err == nil {
			t.Errorf("%s: no error", name)
		}
		if !bytes.Equal(c.Note, before) {
			t.Errorf("%s: the note was changed although pseudonymizing failed", name)
		}
	}
}

func TestOpenFlags(t *testing.T) {
	res := &intake.Result{Flags: []intake.Flag{{Flag: pseudonym.Flag{ID: "a"}}, {Flag: pseudonym.Flag{ID: "b"}, InAnswers: true}}}
	if open := res.Open([]string{"a"}); len(open) != 1 || open[0].ID != "b" {
		t.Errorf("Open(a) = %v, want only b", open)
	}
	if open := res.Open([]string{"a", "b"}); len(open) != 0 {
		t.Errorf("Open(a, b) = %v, want none", open)
	}
}

// reidOrg is a roster with a reviewer, a custodian and two enrolled devices.
type reidOrg struct {
	roster           *keys.Roster
	reviewer         *keys.Identity
	custodian        *keys.Identity
	laptop1, laptop2 *keys.SigningKey
}

func newReidOrg(t *testing.T) *reidOrg {
	t.Helper()
	keys.ScryptWorkFactor = 10
	o := &reidOrg{}
	var err error
	if o.custodian, err = keys.GenerateIdentity(keys.Classic); err != nil {
		t.Fatal(err)
	}
	if o.reviewer, err = keys.GenerateIdentity(keys.Classic); err != nil {
		t.Fatal(err)
	}
	if o.roster, err = keys.NewRoster("Test NGO"); err != nil {
		t.Fatal(err)
	}
	if err := o.roster.Add(keys.Reviewer, "r", o.reviewer.Recipient()); err != nil {
		t.Fatal(err)
	}
	for i, k := range []**keys.SigningKey{&o.laptop1, &o.laptop2} {
		name := []string{"laptop-1", "laptop-2"}[i]
		if *k, err = keys.GenerateSigningKey(name); err != nil {
			t.Fatal(err)
		}
		v, err := keys.ParseVerifier((*k).Verifier())
		if err != nil {
			t.Fatal(err)
		}
		if err := o.roster.AddDevice(name, v); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

const (
	subA = "0123456789abcdef0123456789abcdef"
	subB = "fedcba9876543210fedcba9876543210"
)

func TestReidRoundTrip(t *testing.T) {
	o := newReidOrg(t)
	var buf bytes.Buffer
	bind := intake.ReidBinding{ID: subA, DeviceID: "laptop-1", Device: o.laptop1}
	if _, err := intake.SealReid(&buf, o.roster, nil, bind); !errors.Is(err, intake.ErrNoCustodians) {
		t.Fatalf("sealing with no custodians: %v, want ErrNoCustodians", err)
	}
	if err := o.roster.Add(keys.Custodian, "c", o.custodian.Recipient()); err != nil {
		t.Fatal(err)
	}
	r := redactor(t)
	c := envelope.Contents{Note: []byte("박영수는 떠났다.")}
	res, err := intake.Pseudonymize(r, &c)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := intake.SealReid(&buf, o.roster, res.Reids, bind)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != digest {
		t.Errorf("SealReid returned digest %s, the file's is %x", digest, sum)
	}
	if bytes.Contains(buf.Bytes(), []byte("박영수")) {
		t.Fatal("the sealed record holds the name in the clear")
	}
	b, err := intake.OpenReid(buf.Bytes(), o.custodian, o.roster, subA)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Signed || b.ID != subA || b.Device != "laptop-1" || b.Org != "Test NGO" {
		t.Errorf("opened record not bound: %+v", b)
	}
	if len(b.Parts) != 1 || len(b.Parts[0].People) != 1 || !strings.Contains(strings.Join(b.Parts[0].People[0].Found, ","), "박영수") {
		t.Errorf("opened record = %+v", b)
	}
	if _, err := intake.OpenReid(buf.Bytes(), o.reviewer, o.roster, subA); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("a reviewer opened the record: %v", err)
	}
	damaged := bytes.Clone(buf.Bytes())
	damaged[len(damaged)-5] ^= 1
	if _, err := intake.OpenReid(damaged, o.custodian, o.roster, subA); !errors.Is(err, envelope.ErrTampered) {
		t.Errorf("a damaged record: %v, want ErrTampered", err)
	}
	// A device that is not enrolled with the key given cannot seal one.
	if _, err := intake.SealReid(io.Discard, o.roster, nil, intake.ReidBinding{ID: subA, DeviceID: "laptop-1", Device: o.laptop2}); !errors.Is(err, envelope.ErrUnknownDevice) {
		t.Errorf("sealing with another device's key: %v", err)
	}
}

// sealPlain seals plain to the custodians as anyone who holds the roster's
// public keys can.
func sealPlain(t *testing.T, o *reidOrg, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := intake.SealTo(&buf, o.roster.Custodians, plain); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReidForgeries: the attacks on re-identification records. Someone who
// can read the roster (the custodians' public keys) makes up a record, or
// re-files a genuine one under another submission, to make a custodian see
// a wrong real name behind a genuine testimony's pseudonym. None is ever
// returned as a signed record for the submission.
func TestReidForgeries(t *testing.T) {
	o := newReidOrg(t)
	if err := o.roster.Add(keys.Custodian, "c", o.custodian.Recipient()); err != nil {
		t.Fatal(err)
	}
	made := []pseudonym.Reid{{Format: pseudonym.ReidFormat, People: []pseudonym.ReidEntry{{Entity: "p1", Pseudonym: "김영석", Found: []string{"아무개"}}}}}
	genuine := func(id string, device string, key *keys.SigningKey) []byte {
		var buf bytes.Buffer
		if _, err := intake.SealReid(&buf, o.roster, made, intake.ReidBinding{ID: id, DeviceID: device, Device: key}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	rogue, err := keys.GenerateSigningKey("laptop-1")
	if err != nil {
		t.Fatal(err)
	}
	rogueRoster := *o.roster
	rogueRoster.Devices = nil
	rv, _ := keys.ParseVerifier(rogue.Verifier())
	rogueRoster.AddDevice("laptop-1", rv)
	rogueRoster.AddDevice("laptop-9", rv)
	var rogueOne, unknownDevice bytes.Buffer
	if _, err := intake.SealReid(&rogueOne, &rogueRoster, made, intake.ReidBinding{ID: subA, DeviceID: "laptop-1", Device: rogue}); err != nil {
		t.Fatal(err)
	}
	rogueRoster.Devices = []keys.Device{{ID: "laptop-9", Key: rv}}
	if _, err := intake.SealReid(&unknownDevice, &rogueRoster, made, intake.ReidBinding{ID: subA, DeviceID: "laptop-9", Device: rogue}); err != nil {
		t.Fatal(err)
	}
	v1, _ := json.Marshal(intake.Bundle{Format: intake.BundleFormat, Parts: made})
	for _, tc := range []struct {
		name string
		file []byte
		want error // nil: opens, but unsigned
	}{
		{"genuine record re-filed under another submission", genuine(subB, "laptop-1", o.laptop1), envelope.ErrWrongID},
		{"signed by a key that is not laptop-1's, claiming laptop-1", rogueOne.Bytes(), envelope.ErrBadSignature},
		{"signed by a device the roster does not list", unknownDevice.Bytes(), envelope.ErrUnknownDevice},
		{"claims to be signed but is not", sealPlain(t, o, []byte(`{"format":"testimony-reid-bundle-v2","id":"`+subA+`","device":"laptop-1","org":"Test NGO","parts":[]}`+"\n")), envelope.ErrNotSealed},
		{"unsigned record in the old format", sealPlain(t, o, v1), nil},
	} {
		b, err := intake.OpenReid(tc.file, o.custodian, o.roster, subA)
		if tc.want == nil {
			if err != nil || b.Signed {
				t.Errorf("%s: %v, signed %v: want an unverified record", tc.name, err, b != nil && b.Signed)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if b != nil {
			t.Errorf("%s: a record was returned", tc.name)
		}
	}
	// The genuine one, under its own ID, opens signed.
	if b, err := intake.OpenReid(genuine(subA, "laptop-2", o.laptop2), o.custodian, o.roster, subA); err != nil || !b.Signed || b.Device != "laptop-2" {
		t.Errorf("genuine record: %v", err)
	}
}
