package intake_test

import (
	"bytes"
	"errors"
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

func TestReidRoundTrip(t *testing.T) {
	keys.ScryptWorkFactor = 10
	custodian, err := keys.GenerateIdentity(keys.Classic)
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := keys.GenerateIdentity(keys.Classic)
	if err != nil {
		t.Fatal(err)
	}
	roster, err := keys.NewRoster("Test NGO")
	if err != nil {
		t.Fatal(err)
	}
	if err := roster.Add(keys.Reviewer, "r", reviewer.Recipient()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := intake.SealReid(&buf, roster, nil); !errors.Is(err, intake.ErrNoCustodians) {
		t.Fatalf("sealing with no custodians: %v, want ErrNoCustodians", err)
	}
	if err := roster.Add(keys.Custodian, "c", custodian.Recipient()); err != nil {
		t.Fatal(err)
	}
	r := redactor(t)
	c := envelope.Contents{Note: []byte("박영수는 떠났다.")}
	res, err := intake.Pseudonymize(r, &c)
	if err != nil {
		t.Fatal(err)
	}
	if err := intake.SealReid(&buf, roster, res.Reids); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("박영수")) {
		t.Fatal("the sealed record holds the name in the clear")
	}
	b, err := intake.OpenReid(buf.Bytes(), custodian)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Parts) != 1 || len(b.Parts[0].People) != 1 || !strings.Contains(strings.Join(b.Parts[0].People[0].Found, ","), "박영수") {
		t.Errorf("opened record = %+v", b)
	}
	if _, err := intake.OpenReid(buf.Bytes(), reviewer); !errors.Is(err, envelope.ErrWrongIdentity) {
		t.Errorf("a reviewer opened the record: %v", err)
	}
	damaged := bytes.Clone(buf.Bytes())
	damaged[len(damaged)-5] ^= 1
	if _, err := intake.OpenReid(damaged, custodian); err == nil {
		t.Error("a damaged record opened")
	}
}
