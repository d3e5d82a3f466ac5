package intake_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"testimony/internal/envelope"
	"testimony/internal/intake"
	"testimony/internal/pseudonym"
	"testimony/keys"
)

var update = flag.Bool("update", false, "write the frozen files of testdata/v2/sealed if they do not exist (never rewrite a released format)")

const v2Dir = "../../testdata/v2/sealed"

// v2ID is the submission ID the frozen version 2 files are sealed under.
const v2ID = "5eed0f7e5eed0f7e5eed0f7e5eed0f7e"

// TestCompatV2 opens a sealed file and its re-identification record written
// by this version of the code (sealed file format 2, record format 2). They
// must open forever: if this test fails, the change broke the format.
func TestCompatV2(t *testing.T) {
	if *update {
		if _, err := os.Stat(filepath.Join(v2Dir, "hybrid.age")); err == nil {
			t.Fatal("testdata/v2/sealed exists: a released format is never rewritten")
		}
		writeV2(t)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(v2Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	admin, err := keys.ParseVerifier(string(bytes.TrimSpace(read("admin.pub"))))
	if err != nil {
		t.Fatal(err)
	}
	roster, err := keys.VerifyRoster(read("roster.txt"), admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	pass := keys.Unlock{Passphrase: func(string) (keys.Passphrase, error) {
		return keys.ExistingPassphrase(string(bytes.TrimSpace(read("passphrase.txt"))))
	}}
	sealed, reid := read("hybrid.age"), read("hybrid.reid.age")
	reviewer, err := keys.LoadIdentity(filepath.Join(v2Dir, "reviewer.key"), pass)
	if err != nil {
		t.Fatal(err)
	}
	m := &envelope.Memory{}
	op, err := envelope.Open(bytes.NewReader(sealed), int64(len(sealed)), m, envelope.OpenOptions{Identity: reviewer, Roster: roster, ID: v2ID})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(reid)
	if op.Manifest.Format != envelope.FormatV2 || op.Manifest.ID != v2ID || op.Manifest.Reid != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest %+v does not name the record %x", op.Manifest, sum)
	}
	if !bytes.Equal(m.Entries[envelope.NoteName], read("expected-note.md")) {
		t.Error("note differs from expected-note.md")
	}
	custodian, err := keys.LoadIdentity(filepath.Join(v2Dir, "custodian.key"), pass)
	if err != nil {
		t.Fatal(err)
	}
	b, err := intake.OpenReid(reid, custodian, roster, v2ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []pseudonym.Reid
	if err := json.Unmarshal(read("expected-reid.json"), &want); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(b.Parts)
	wantJSON, _ := json.Marshal(want)
	if !b.Signed || b.Device != "laptop-1" || b.ID != v2ID || !bytes.Equal(got, wantJSON) {
		t.Errorf("record = %+v", b)
	}
	// Both stay bound to their ID.
	other := "00000000000000000000000000000001"
	if _, err := envelope.Open(bytes.NewReader(sealed), int64(len(sealed)), &envelope.Memory{}, envelope.OpenOptions{Identity: reviewer, Roster: roster, ID: other}); !errors.Is(err, envelope.ErrWrongID) {
		t.Errorf("sealed file under another ID: %v", err)
	}
	if _, err := intake.OpenReid(reid, custodian, roster, other); !errors.Is(err, envelope.ErrWrongID) {
		t.Errorf("record under another ID: %v", err)
	}
}

// writeV2 makes the frozen files: go test ./internal/intake -run TestCompatV2 -update
func writeV2(t *testing.T) {
	if err := os.MkdirAll(v2Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(v2Dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	keys.ScryptWorkFactor = 10
	admin, _ := keys.GenerateSigningKey("admin")
	device, _ := keys.GenerateSigningKey("laptop-1")
	write("admin.pub", []byte(admin.Verifier()+"\n"))
	write("passphrase.txt", []byte("frozen test passphrase\n"))
	pass, _ := keys.NewPassphrase("frozen test passphrase")
	r, _ := keys.NewRoster("Example NGO")
	reviewer, _ := keys.GenerateIdentity(keys.Hybrid)
	custodian, _ := keys.GenerateIdentity(keys.Hybrid)
	for name, id := range map[string]*keys.Identity{"reviewer.key": reviewer, "custodian.key": custodian} {
		if err := keys.WriteIdentityFile(filepath.Join(v2Dir, name), id, &pass); err != nil {
			t.Fatal(err)
		}
	}
	r.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient())
	r.Add(keys.Custodian, "custodian 1", custodian.Recipient())
	v, _ := keys.ParseVerifier(device.Verifier())
	r.AddDevice("laptop-1", v)
	r.Version = 5
	signed, err := r.Sign(admin)
	if err != nil {
		t.Fatal(err)
	}
	write("roster.txt", signed)
	roster, err := keys.VerifyRoster(signed, v, nil)
	if err == nil || roster != nil {
		t.Fatal("the roster verified under the device key")
	}
	av, _ := keys.ParseVerifier(admin.Verifier())
	if roster, err = keys.VerifyRoster(signed, av, nil); err != nil {
		t.Fatal(err)
	}
	c := envelope.Contents{Note: []byte("# 면담 기록\n\n박영수 씨는 2019년에 혜산을 떠났다.\nPak Yong-su left Hyesan in 2019.\n")}
	ents, _ := pseudonym.ParseEntities([]byte(`{"people":[{"id":"p1","names":["박영수","Pak Yong-su"],"role":"interviewee"}]}`))
	pk, _ := keys.GeneratePseudonymKey()
	red, _ := pseudonym.New(ents, pk)
	res, err := intake.Pseudonymize(red, &c)
	if err != nil {
		t.Fatal(err)
	}
	var reid bytes.Buffer
	digest, err := intake.SealReid(&reid, roster, res.Reids, intake.ReidBinding{ID: v2ID, DeviceID: "laptop-1", Device: device})
	if err != nil {
		t.Fatal(err)
	}
	var sealed bytes.Buffer
	if _, err := envelope.Seal(&sealed, c, envelope.Options{Roster: roster, Device: device, DeviceID: "laptop-1", Day: "2026-12-06", Language: "ko", ID: v2ID, Reid: digest}); err != nil {
		t.Fatal(err)
	}
	write("hybrid.age", sealed.Bytes())
	write("hybrid.reid.age", reid.Bytes())
	write("expected-note.md", c.Note)
	b, _ := json.MarshalIndent(res.Reids, "", "  ")
	write("expected-reid.json", append(b, '\n'))
}
