package desk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"testimony/internal/blob/disk"
	"testimony/internal/client"
	"testimony/internal/store"
	"testimony/internal/store/sqlite"
	"testimony/internal/survey"
	"testimony/keys"
	"testimony/server"
)

// formsOrg is an organisation with a real server (SQLite file, blob
// directory, loopback listener) behind a man in the middle that can change
// what the server answers about forms, as a server that was broken into
// would; and an interviewer's desk and a reviewer's desk that reach the
// server through it.
type formsOrg struct {
	t      *testing.T
	admin  *keys.SigningKey
	org    string
	store  *sqlite.Store
	tokens map[store.Role]string
	real   string // the server's URL

	mitm  string // the man in the middle's URL, which the desks use
	homes map[string]string

	mu     sync.Mutex
	tamper map[string]func() (int, []byte) // path → the answer to serve instead
	logs   syncLog                         // both desks' logs
}

func newFormsOrg(t *testing.T) *formsOrg {
	t.Helper()
	o := &formsOrg{t: t, org: "Example NGO", tokens: map[store.Role]string{}, tamper: map[string]func() (int, []byte){}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	o.admin, err = keys.GenerateSigningKey("admin")
	must(err)
	device, err := keys.GenerateSigningKey("laptop-1")
	must(err)
	reviewer, err := keys.GenerateIdentity(keys.Hybrid)
	must(err)
	logKey, err := keys.GenerateSigningKey("testimony-log-test")
	must(err)
	r, err := keys.NewRoster(o.org)
	must(err)
	must(r.Add(keys.Reviewer, "reviewer 1", reviewer.Recipient()))
	dv, _ := keys.ParseVerifier(device.Verifier())
	must(r.AddDevice("laptop-1", dv))
	lv, _ := keys.ParseVerifier(logKey.Verifier())
	must(r.SetLog(lv))
	signed, err := r.Sign(o.admin)
	must(err)

	dir := t.TempDir()
	ctx := context.Background()
	o.store, err = sqlite.Open(filepath.Join(dir, "meta.db"))
	must(err)
	t.Cleanup(func() { o.store.Close() })
	must(o.store.Init(ctx, o.admin.Verifier(), r.Version, signed))
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	must(err)
	t.Cleanup(func() { blobs.Close() })
	srv, err := server.New(ctx, server.Config{Store: o.store, Blobs: blobs, MaxUpload: 8 << 20, LogKey: logKey, Logger: server.NewLogger(slog.DiscardHandler)})
	must(err)
	real := httptest.NewServer(srv.Handler())
	t.Cleanup(real.Close)
	o.real = real.URL
	target, _ := url.Parse(real.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	mitm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		f := o.tamper[r.URL.Path]
		o.mu.Unlock()
		if f == nil {
			proxy.ServeHTTP(w, r)
			return
		}
		status, body := f()
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(mitm.Close)

	pass, err := keys.NewPassphrase("correct horse battery staple")
	must(err)
	pkey, err := keys.GeneratePseudonymKey()
	must(err)
	for _, role := range []store.Role{store.Interviewer, store.Reviewer, store.Admin} {
		token, id, hash := server.NewToken()
		tk := store.Token{ID: id, Role: role, Label: string(role), Created: "2026-12-01"}
		if role == store.Interviewer {
			tk.Device, tk.DevicePub = "laptop-1", device.Verifier()
		}
		must(o.store.AddToken(ctx, tk, hash))
		o.tokens[role] = token
	}
	o.homes = map[string]string{}
	for _, s := range []Setup{
		{Role: Interviewer, Label: "laptop 1", Device: "laptop-1", DeviceKey: device, PseudonymKey: pkey},
		{Role: Reviewer, Label: "reviewer 1", Identity: reviewer},
	} {
		s.Server, s.AdminPub, s.Roster, s.Token, s.Passphrase = mitm.URL, o.admin.Verifier(), signed, o.tokens[store.Role(s.Role)], pass
		o.homes[s.Role] = filepath.Join(dir, s.Role)
		must(Create(o.homes[s.Role], s))
	}
	o.mitm = mitm.URL
	return o
}

// syncLog is a log both desks write to.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// desk runs the desk of role (Interviewer or Reviewer), as unlocked with
// a client of the server through the man in the middle.
func (o *formsOrg) desk(role string) (*Desk, *unlocked) {
	o.t.Helper()
	d, err := New(Config{Home: o.homes[role], Log: slog.New(slog.NewTextHandler(&o.logs, nil))})
	if err != nil {
		o.t.Fatal(err)
	}
	c, err := client.New(o.mitm, o.tokens[store.Role(role)], func(w string) { o.t.Errorf("unexpected warning: %s", w) })
	if err != nil {
		o.t.Fatal(err)
	}
	return d, &unlocked{client: c}
}

// form is a small form whose first question's English label is label, so
// that two calls make two forms under one version.
func syncForm(id, version, label string) *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: id, Version: version,
		Title:           survey.Localized{"en": "Household", "ko": "가구"},
		DefaultLanguage: "en",
		Languages:       []survey.Language{{Code: "en", Name: "English"}, {Code: "ko", Name: "Korean"}},
		MinCell:         survey.DefaultMinCell, MinCellSensitive: survey.DefaultMinCellSensitive,
		Survey: []*survey.Question{
			{Type: survey.SelectOne, Name: "left", List: "yn", Row: 2, Label: survey.Localized{"en": label, "ko": "탈북"}},
			{Type: survey.Integer, Name: "year", Row: 3, Relevant: "${left} = 'yes'", Label: survey.Localized{"en": "Year", "ko": "연도"}},
		},
		Choices: map[string][]survey.Choice{"yn": {
			{Name: "yes", Label: survey.Localized{"en": "Yes", "ko": "예"}, Row: 2},
			{Name: "no", Label: survey.Localized{"en": "No", "ko": "아니요"}, Row: 3},
		}},
	}
}

func (o *formsOrg) sign(f *survey.Form, org string, key *keys.SigningKey) []byte {
	o.t.Helper()
	signed, err := survey.Sign(f, org, key)
	if err != nil {
		o.t.Fatal(err)
	}
	return signed
}

// publish signs a form with the admin key and puts it on the real server.
func (o *formsOrg) publish(f *survey.Form) []byte {
	o.t.Helper()
	signed := o.sign(f, o.org, o.admin)
	c, err := client.New(o.real, o.tokens[store.Admin], nil)
	if err != nil {
		o.t.Fatal(err)
	}
	if _, _, err := c.PutForm(context.Background(), f.ID, f.Version, signed); err != nil {
		o.t.Fatalf("PutForm: %v", err)
	}
	return signed
}

// serve makes the man in the middle answer GET path with body, and list
// entries as the form list (nil: the server's own).
func (o *formsOrg) serve(path string, body []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tamper[path] = func() (int, []byte) { return http.StatusOK, body }
}

func (o *formsOrg) list(entries ...server.Form) {
	b, _ := json.Marshal(server.FormList{Forms: entries})
	o.serve("/api/v1/forms", b)
}

func (o *formsOrg) honest() {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(o.tamper)
}

func syncEntry(f *survey.Form) server.Form {
	d, _ := f.Digest()
	return server.Form{ID: f.ID, Version: f.Version, SHA256: d, Day: "2026-12-06"}
}

// kept returns the "id@version" of every form the desk keeps, and the
// newest version of id, the one an interviewer fills.
func syncKept(t *testing.T, d *Desk, id string) ([]string, string) {
	t.Helper()
	var all []string
	for _, p := range d.allForms() {
		all = append(all, p.Form.ID+"@"+p.Form.Version)
	}
	newest := ""
	if p, err := d.form(id); err == nil {
		newest = p.Form.Version
	}
	return all, newest
}

// TestFormsComeWithTheRoster: both desks keep the forms the admin
// published, every version, when they refresh the roster (the
// interviewer's sync, the reviewer's pull), and fill the newest.
func TestFormsComeWithTheRoster(t *testing.T) {
	o := newFormsOrg(t)
	ctx := context.Background()
	o.publish(syncForm("household", "1", "Did you leave?"))
	o.publish(syncForm("household", "2", "Did you leave the country?"))
	o.publish(syncForm("health", "7", "Are you well?"))
	for _, role := range []string{Interviewer, Reviewer} {
		d, u := o.desk(role)
		if err := d.refreshRoster(ctx, u); err != nil {
			t.Fatalf("%s: refreshRoster: %v", role, err)
		}
		all, newest := syncKept(t, d, "household")
		if strings.Join(all, " ") != "health@7 household@1 household@2" || newest != "2" {
			t.Errorf("%s keeps %v, fills household %q; want every version, household 2 filled", role, all, newest)
		}
		// Again: nothing new, nothing refused.
		if err := d.refreshRoster(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(o.logs.String(), "refused") {
		t.Errorf("the log tells of refusals:\n%s", o.logs.String())
	}
}

// TestFormsAttacksRefused: what a server that was broken into can do to
// forms, and what the desk does about it. None of it stops the sync, and
// the log names the form and the reason, never its content.
func TestFormsAttacksRefused(t *testing.T) {
	ctx := context.Background()
	for _, role := range []string{Interviewer, Reviewer} {
		t.Run(role, func(t *testing.T) {
			o := newFormsOrg(t)
			v1 := syncForm("household", "1", "Did you leave?")
			v2 := syncForm("household", "2", "Did you leave the country?")
			o.publish(v1)
			signed2 := o.publish(v2)
			d, u := o.desk(role)
			if err := d.refreshRoster(ctx, u); err != nil {
				t.Fatal(err)
			}
			sync := func(what string) {
				t.Helper()
				if err := d.refreshRoster(ctx, u); err != nil {
					t.Fatalf("%s: the sync stopped: %v", what, err)
				}
			}
			logged := func(what, says string) {
				t.Helper()
				if !strings.Contains(o.logs.String(), says) {
					t.Errorf("%s: the log does not say %q:\n%s", what, says, o.logs.String())
				}
			}

			// 1. A question swapped in a new version: the signature fails.
			v3 := syncForm("household", "3", "Did you leave?")
			swapped := bytes.Replace(o.sign(v3, o.org, o.admin), []byte("Did you leave?"), []byte("Who helped you?"), 1)
			o.list(syncEntry(v1), syncEntry(v2), syncEntry(v3))
			o.serve("/api/v1/forms/household/3", swapped)
			sync("a swapped question")
			logged("a swapped question", "changed after it was signed")
			if all, newest := syncKept(t, d, "household"); len(all) != 2 || newest != "2" {
				t.Errorf("after a swapped question, the desk keeps %v and fills %q; want versions 1 and 2, filling 2", all, newest)
			}

			// 2. An older version served as newer: listed as 3, it is 1.
			o.honest()
			old := syncEntry(v1)
			old.Version = "3"
			o.list(syncEntry(v1), syncEntry(v2), old)
			o.serve("/api/v1/forms/household/3", o.sign(v1, o.org, o.admin))
			sync("an older version as newer")
			logged("an older version as newer", "listed it as household version 3")
			// And a server that lists only the older version: the desk
			// still fills the newer one it has.
			o.honest()
			o.list(syncEntry(v1))
			sync("only the older version listed")
			if all, newest := syncKept(t, d, "household"); len(all) != 2 || newest != "2" {
				t.Errorf("after an older version served as newer, the desk keeps %v and fills %q; want 1 and 2, filling 2", all, newest)
			}

			// 3. A form signed for another organisation (by the same admin
			// key: one admin may serve two organisations).
			o.honest()
			other := syncForm("household", "4", "Did you leave?")
			o.list(syncEntry(v1), syncEntry(v2), syncEntry(other))
			o.serve("/api/v1/forms/household/4", o.sign(other, "Another NGO", o.admin))
			sync("another organisation's form")
			logged("another organisation's form", "published for")

			// 4. The same version with other content, signed by the admin
			// (a draft signed by mistake, replayed): the desk keeps the
			// first it saw.
			o.honest()
			draft := syncForm("household", "2", "A draft question")
			o.list(syncEntry(v1), syncEntry(draft))
			o.serve("/api/v1/forms/household/2", o.sign(draft, o.org, o.admin))
			sync("another form under a kept version")
			logged("another form under a kept version", "another form under the same version")
			if p, err := d.formVersion("household", "2"); err != nil || !bytes.Equal(p.Signed, signed2) {
				t.Errorf("after a swap under version 2, the desk's version 2 is not the first: %v", err)
			}

			// 5. A form signed by another key.
			mallory, _ := keys.GenerateSigningKey("admin")
			forged := syncForm("forged", "1", "Who helped you?")
			o.list(syncEntry(forged))
			o.serve("/api/v1/forms/forged/1", o.sign(forged, o.org, mallory))
			sync("a forged form")
			logged("a forged form", "not signed by the organisation's admin key")

			// 6. A server that cannot list forms.
			o.honest()
			o.mu.Lock()
			o.tamper["/api/v1/forms"] = func() (int, []byte) { return http.StatusNotFound, []byte(`{"code":"no_route"}`) }
			o.mu.Unlock()
			sync("no list of forms")
			logged("no list of forms", "list of forms could not be had")

			// Through all of it, a good new form still comes in.
			o.honest()
			o.publish(syncForm("household", "5", "Did you leave?"))
			sync("a good new form")
			all, newest := syncKept(t, d, "household")
			if strings.Join(all, " ") != "household@1 household@2 household@5" || newest != "5" {
				t.Errorf("at the end the desk keeps %v and fills %q; want 1, 2 and 5, filling 5", all, newest)
			}
			files, _ := filepath.Glob(filepath.Join(o.homes[role], "forms", "*"))
			if len(files) != 3 {
				t.Errorf("forms/ holds %v; want the three verified forms only", files)
			}
			for _, content := range []string{"Who helped you?", "A draft question", "Did you leave"} {
				if strings.Contains(o.logs.String(), content) {
					t.Errorf("the log holds a form's content %q", content)
				}
			}
		})
	}
}
