package client_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"testimony/internal/client"
	"testimony/internal/store"
	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

func testForm(id, version, label string) *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: id, Version: version,
		Title:   survey.Localized{"en": "Household"},
		MinCell: survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{{Type: survey.Integer, Name: "members", Row: 2, Label: survey.Localized{"en": label}}},
	}
}

// storeForm puts a signed form straight into the server's store, as a
// server that was broken into could: the store checks no signature.
func (o *org) storeForm(t *testing.T, signed []byte, id, version, digest string) {
	t.Helper()
	v, _ := strconv.ParseUint(version, 10, 64)
	f := store.Form{ID: id, Version: v, Day: "2031-05-06", Body: signed}
	hex.Decode(f.Digest[:], []byte(digest))
	if _, _, err := o.store.PutForm(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

// TestForms: the admin publishes through the client; every role lists and
// fetches; PublishedForms keeps the forms that verify and refuses, by
// name and without stopping, those a broken-into server changed.
func TestForms(t *testing.T) {
	ctx := context.Background()
	o := newOrg(t)
	admin := o.client(t, store.Admin)
	signed := must(survey.Sign(testForm("household", "1", "Members"), o.roster.Org, o.admin))
	f, created, err := admin.PutForm(ctx, "household", "1", signed)
	d, _ := testForm("household", "1", "Members").Digest()
	if err != nil || !created || f.ID != "household" || f.Version != "1" || f.SHA256 != d {
		t.Fatalf("PutForm = %+v, %v, %v", f, created, err)
	}
	if _, created, err := admin.PutForm(ctx, "household", "1", signed); err != nil || created {
		t.Errorf("PutForm of the same form again = %v, %v; want accepted, not created", created, err)
	}
	swapped := must(survey.Sign(testForm("household", "1", "Swapped"), o.roster.Org, o.admin))
	var se *client.StatusError
	if _, _, err := admin.PutForm(ctx, "household", "1", swapped); !errors.As(err, &se) || se.Code != "form_conflict" {
		t.Errorf("PutForm of other content under a published version: %v; want form_conflict", err)
	}
	if _, _, err := o.client(t, store.Reviewer).PutForm(ctx, "household", "2", signed); !errors.As(err, &se) || se.Status != 403 {
		t.Errorf("PutForm with a reviewer's token: %v; want 403", err)
	}
	if _, _, err := admin.PutForm(ctx, "../x", "1", signed); err == nil {
		t.Error("PutForm with a bad ID was sent")
	}

	// A broken-into server holds forms it made up or changed.
	mallory := must(keys.GenerateSigningKey("admin"))
	forged := testForm("forged", "1", "Members")
	fd, _ := forged.Digest()
	o.storeForm(t, must(survey.Sign(forged, o.roster.Org, mallory)), "forged", "1", fd)
	other := testForm("other-org", "1", "Members")
	od, _ := other.Digest()
	o.storeForm(t, must(survey.Sign(other, "Another NGO", o.admin)), "other-org", "1", od)
	changedForm := testForm("changed", "1", "Members")
	cd, _ := changedForm.Digest()
	changed := bytes.Replace(must(survey.Sign(changedForm, o.roster.Org, o.admin)), []byte("Members"), []byte("Memberz"), 1)
	o.storeForm(t, changed, "changed", "1", cd)
	// A form filed under another version than it has.
	o.storeForm(t, signed, "household", "5", d)

	for _, role := range []store.Role{store.Interviewer, store.Reviewer, store.Custodian, store.Admin} {
		c := o.client(t, role)
		list, err := c.Forms(ctx)
		if err != nil || len(list) != 5 {
			t.Fatalf("Forms as %s = %d, %v; want 5", role, len(list), err)
		}
		got, err := c.Form(ctx, "household", "1")
		if err != nil || !bytes.Equal(got, signed) {
			t.Errorf("Form as %s: %v", role, err)
		}
		forms, refused, err := c.PublishedForms(ctx, must(keys.ParseVerifier(o.admin.Verifier())), o.roster.Org, nil)
		if err != nil || len(forms) != 1 || forms[0].Form.Ref() != "household/1" {
			t.Fatalf("PublishedForms as %s = %d forms, %v; want household 1 alone", role, len(forms), err)
		}
		why := map[string]string{}
		for _, r := range refused {
			if !errors.Is(r, survey.ErrForm) {
				t.Errorf("refusal %v does not wrap survey.ErrForm", r)
			}
			why[r.ID+"@"+r.Version] = r.Error()
		}
		for ref, want := range map[string]string{
			"forged@1":    "not signed by the organisation's admin key",
			"other-org@1": `published for "Another NGO"`,
			"changed@1":   "changed after it was signed",
			"household@5": "listed it as household version 5",
		} {
			if !strings.Contains(why[ref], want) {
				t.Errorf("as %s, %s: refused with %q; want it to say %q", role, ref, why[ref], want)
			}
		}
		if len(refused) != 4 {
			t.Errorf("as %s, %d refusals; want 4", role, len(refused))
		}
	}
	// skip passes over forms the caller has.
	n := 0
	forms, refused, err := admin.PublishedForms(ctx, must(keys.ParseVerifier(o.admin.Verifier())), o.roster.Org, func(f server.Form) bool {
		n++
		return f.ID != "household" || f.Version != "1"
	})
	if err != nil || len(forms) != 1 || len(refused) != 0 || n != 5 {
		t.Errorf("PublishedForms with skip = %d, %d, %v after %d calls; want the one not skipped", len(forms), len(refused), err, n)
	}
}
