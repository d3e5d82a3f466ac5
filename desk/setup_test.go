package desk_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"testimony/desk"
	"testimony/internal/store"
	"testimony/keys"
	"testimony/server"
)

const setupPass = "plum lantern gravel orbit seventy"

// code makes an enrollment code on the org's server, as 'testimony admin
// enroll' does.
func (o *org) code(t *testing.T, role store.Role, label, device string) string {
	t.Helper()
	c, hash := server.NewEnrollmentCode()
	e := store.Enrollment{Role: role, Label: label, Device: device, Expires: time.Now().Add(server.EnrollmentLifetime)}
	if err := o.store.AddEnrollment(context.Background(), hash, e); err != nil {
		t.Fatal(err)
	}
	return c
}

// changeRoster signs a changed roster with the admin key and publishes it
// on the server, as the admin does with 'roster add-…' and 'roster
// publish'.
func (o *org) changeRoster(t *testing.T, change func(*keys.Roster) error) {
	t.Helper()
	ctx := context.Background()
	_, signed := must2(o.store.Roster(ctx))
	r := must(keys.VerifyRoster(signed, must(keys.ParseVerifier(o.admin.Verifier())), nil))
	if err := change(r); err != nil {
		t.Fatal(err)
	}
	r.Version++
	if err := o.store.PutRoster(ctx, r.Version, must(r.Sign(o.admin))); err != nil {
		t.Fatal(err)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// signedRoster returns the roster the server holds now.
func (o *org) signedRoster(t *testing.T) []byte {
	_, b := must2(o.store.Roster(context.Background()))
	return b
}

// postSetup posts the setup form, with the invitation file if any, as
// multipart like the page's form.
func (tb *tab) postSetup(form url.Values, invitation []byte) (int, string, string) {
	tb.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if invitation != nil {
		fw := must(mw.CreateFormFile("invitation", "invitation.json"))
		fw.Write(invitation)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, tb.base+"/setup", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", tb.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return tb.do(req)
}

// setupLeftovers lists what a failed setup must not have left in home.
func setupLeftovers(home string) []string {
	var left []string
	for _, n := range []string{"profile.json", "pending.json", "token.age", "device.key", "pseudonym.key", "drafts.key", "identity.key", "admin.pub", "roster.txt"} {
		if _, err := os.Stat(filepath.Join(home, n)); err == nil {
			left = append(left, n)
		}
	}
	return left
}

// TestSetupRefusals: each bad input to the setup page is refused with a
// message saying what to do, and leaves the home without a profile, a
// pending setup or any key. What can be checked on this computer is
// checked before the code is spent: the code still works afterwards.
func TestSetupRefusals(t *testing.T) {
	o := newOrg(t)
	home := filepath.Join(t.TempDir(), "desk")
	tb := start(t, home, desk.Config{})
	if code, _, page := tb.get("/"); code != http.StatusOK || !strings.Contains(page, `id="setup-form"`) {
		t.Fatalf("an empty home: %d, want the setup form\n%s", code, page)
	}
	other := must(keys.GenerateSigningKey("admin"))
	pkey := must(keys.GeneratePseudonymKey())
	admin := must(keys.ParseVerifier(o.admin.Verifier()))
	laptopCode := o.code(t, store.Interviewer, "laptop 2", "laptop-2")
	invitation := must(desk.NewInvitation(desk.Interviewer, "laptop 2", "laptop-2", o.url, "", admin, o.signedRoster(t), pkey, laptopCode))
	reviewerCode := o.code(t, store.Reviewer, "reviewer 3", "")
	manual := func(change func(url.Values)) url.Values {
		v := url.Values{"role": {"reviewer"}, "server": {o.url}, "admin_pub": {o.admin.Verifier()}, "code": {reviewerCode},
			"passphrase": {setupPass}, "passphrase2": {setupPass}}
		if change != nil {
			change(v)
		}
		return v
	}
	// A code the server never made, well-formed.
	unknown, _ := server.NewEnrollmentCode()
	for _, c := range []struct {
		name       string
		form       url.Values
		invitation []byte
		status     int
		want       string
	}{
		{"no role", manual(func(v url.Values) { v.Del("role") }), nil, 400, "Choose your role"},
		{"an interviewer without the invitation", manual(func(v url.Values) { v.Set("role", "interviewer") }), nil, 400, "invitation file from the admin"},
		{"a server address that is not one", manual(func(v url.Values) { v.Set("server", "intake.example.org") }), nil, 400, "must look like https://"},
		{"a server nobody answers at", manual(func(v url.Values) { v.Set("server", "http://127.0.0.1:1") }), nil, 502, "could not reach the server"},
		{"an admin key that is not one", manual(func(v url.Values) { v.Set("admin_pub", "age1qqqq") }), nil, 400, "The admin key is not one"},
		{"a code that is not one", manual(func(v url.Values) { v.Set("code", "hello") }), nil, 400, "four groups of five"},
		{"a code the server does not know", manual(func(v url.Values) { v.Set("code", unknown) }), nil, 403, "does not accept this code"},
		{"passphrases that differ", manual(func(v url.Values) { v.Set("passphrase2", setupPass+"x") }), nil, 400, "not the same"},
		{"a short passphrase", manual(func(v url.Values) { v.Set("passphrase", "short"); v.Set("passphrase2", "short") }), nil, 400, "Too short"},
		{"a common password", manual(func(v url.Values) { v.Set("passphrase", "Password123!"); v.Set("passphrase2", "Password123!") }), nil, 400, "most common passwords"},
		{"a weak passphrase", manual(func(v url.Values) { v.Set("passphrase", "aaaaaaaaaaaa"); v.Set("passphrase2", "aaaaaaaaaaaa") }), nil, 400, "Too easy to guess"},
		{"a profile file that is not an invitation", manual(nil), []byte(`{"format":"testimony-desk-profile-v1","role":"reviewer"}`), 400, "not a desk invitation"},
		{"a file that is not JSON", manual(nil), []byte("\x89PNG\r\n"), 400, "not a desk invitation"},
		{"an invitation whose roster another key signed", manual(func(v url.Values) { v.Set("role", "interviewer") }),
			bytes.Replace(invitation, []byte(o.admin.Verifier()), []byte(other.Verifier()), 1), 400, "not a desk invitation"},
		{"an invitation for another role", manual(nil), invitation, 400, "is for the role interviewer, but you chose reviewer"},
		{"an invitation with another code", manual(func(v url.Values) { v.Set("role", "interviewer"); v.Set("code", unknown) }), invitation, 400, "does not belong to this invitation"},
	} {
		code, _, page := tb.postSetup(c.form, c.invitation)
		if code != c.status || !strings.Contains(page, c.want) {
			t.Errorf("%s: %d, want %d with %q\n%s", c.name, code, c.status, c.want, between(page, `role="alert"`, "</div>"))
		}
		if strings.Contains(page, setupPass) {
			t.Errorf("%s: the page shows the passphrase back", c.name)
		}
		if left := setupLeftovers(home); len(left) > 0 {
			t.Fatalf("%s: left %v in the home", c.name, left)
		}
	}
	// A server whose roster the pasted admin key did not sign: the code
	// is spent, but nothing is written.
	code, _, page := tb.postSetup(manual(func(v url.Values) { v.Set("admin_pub", other.Verifier()) }), nil)
	if code != http.StatusBadGateway || !strings.Contains(page, "not signed by the admin key you gave") {
		t.Errorf("another admin key: %d\n%s", code, page)
	}
	if left := setupLeftovers(home); len(left) > 0 {
		t.Fatalf("another admin key: left %v in the home", left)
	}
	// The interviewer's code survived every refusal above: the invitation
	// and it set the laptop up.
	code, loc, page := tb.postSetup(url.Values{"role": {"interviewer"}, "code": {strings.ToLower(laptopCode)}, "passphrase": {setupPass}, "passphrase2": {setupPass}}, invitation)
	if code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("the invitation with its code: %d to %q\n%s", code, loc, page)
	}
	if _, err := os.Stat(filepath.Join(home, "pending.json")); err != nil {
		t.Errorf("no pending setup: %v", err)
	}
}

var fingerprintRE = regexp.MustCompile(`<code id="fingerprint">([^<]+)</code>`)

// TestSetupReviewer: a reviewer with the server's address, the admin key
// and a code; the desk waits until the roster lists the key, then becomes
// the reviewer's desk, unlocked, at the same address after a restart.
func TestSetupReviewer(t *testing.T) {
	o := newOrg(t)
	home := filepath.Join(t.TempDir(), "desk")
	tb := start(t, home, desk.Config{})
	first := tb.url
	code, loc, page := tb.postSetup(url.Values{"role": {"reviewer"}, "server": {o.url}, "admin_pub": {o.admin.Verifier()},
		"code": {o.code(t, store.Reviewer, "reviewer 3", "")}, "passphrase": {setupPass}, "passphrase2": {setupPass}}, nil)
	if code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("setup: %d to %q\n%s", code, loc, page)
	}
	_, _, page = tb.get("/")
	m := fingerprintRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `id="admin-fingerprint">`+must(keys.ParseVerifier(o.admin.Verifier())).Fingerprint()) {
		t.Fatalf("the waiting page shows no fingerprint or not the admin key's\n%s", page)
	}
	// The public key, as the admin gets it.
	_, _, recipient := tb.get("/setup/key/recipient")
	rec := must(keys.ParseRecipient(strings.TrimSpace(recipient)))
	if want := strings.ReplaceAll(m[1], "-", ""); !strings.EqualFold(rec.Fingerprint()[:16], want) {
		t.Errorf("the page's fingerprint %s is not the downloaded key's %s", m[1], rec.Fingerprint()[:16])
	}
	_, _, signer := tb.get("/setup/key/signer")
	sv := must(keys.ParseVerifier(strings.TrimSpace(signer)))
	// Before the admin adds it: the desk says so and stays in setup.
	if code, _, page := tb.post("/setup/check", url.Values{"passphrase": {setupPass}}); code != http.StatusConflict || !strings.Contains(page, "does not list this desk") {
		t.Errorf("check before the roster lists the key: %d\n%s", code, page)
	}
	if code, _, _ := tb.post("/setup/check", url.Values{"passphrase": {"not the passphrase"}}); code != http.StatusForbidden {
		t.Errorf("check with a wrong passphrase: %d", code)
	}
	if _, err := os.Stat(filepath.Join(home, "profile.json")); err == nil {
		t.Fatal("a profile before the roster lists the key")
	}
	o.changeRoster(t, func(r *keys.Roster) error { return r.AddReviewer("reviewer 3", rec, sv) })
	if code, loc, page := tb.post("/setup/check", url.Values{"passphrase": {setupPass}}); code != http.StatusSeeOther || loc != "/" {
		t.Fatalf("check: %d to %q\n%s", code, loc, page)
	}
	if code, _, page := tb.get("/"); code != http.StatusOK || !strings.Contains(page, `action="/pull"`) {
		t.Fatalf("after setup: %d, want the reviewer's inbox, unlocked\n%s", code, page)
	}
	tb.waitPull()
	// Started again: the same address, a reviewer's desk, locked.
	d := must(desk.New(desk.Config{Home: home}))
	if d.InSetup() || d.Profile().Role != desk.Reviewer || d.Profile().Label != "reviewer 3" {
		t.Errorf("restarted: in setup %v, profile %+v", d.InSetup(), d.Profile())
	}
	ln, moved, err := d.ListenKept()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if moved {
		t.Error("the kept port moved though it was free")
	}
	if got := d.URL(ln); !strings.HasSuffix(first, strings.SplitN(got, "/?", 2)[1]) {
		t.Errorf("the secret changed across launches: %s then %s", first, got)
	}
}

// TestKeptAddress: the desk keeps its port and secret across launches; a
// taken port is replaced, said, and kept.
func TestKeptAddress(t *testing.T) {
	home := filepath.Join(t.TempDir(), "desk")
	d1 := must(desk.New(desk.Config{Home: home}))
	if !d1.InSetup() {
		t.Fatal("an empty home is not in setup")
	}
	ln1, moved, err := d1.ListenKept()
	if err != nil || moved {
		t.Fatalf("first launch: moved %v, %v", moved, err)
	}
	url1 := d1.URL(ln1)
	ln1.Close()
	d2 := must(desk.New(desk.Config{Home: home}))
	ln2, moved, err := d2.ListenKept()
	if err != nil || moved {
		t.Fatalf("second launch: moved %v, %v", moved, err)
	}
	if d2.URL(ln2) != url1 {
		t.Errorf("the address changed: %s then %s", url1, d2.URL(ln2))
	}
	// Another program takes the port (ln2 stays open).
	d3 := must(desk.New(desk.Config{Home: home}))
	ln3, moved, err := d3.ListenKept()
	if err != nil || !moved {
		t.Fatalf("a taken port: moved %v, %v", moved, err)
	}
	defer ln3.Close()
	ln2.Close()
	if ln3.Addr().(*net.TCPAddr).Port == ln2.Addr().(*net.TCPAddr).Port {
		t.Error("the new port is the taken one")
	}
	d4 := must(desk.New(desk.Config{Home: home}))
	if got := strings.SplitN(d4.URL(ln3), "/?", 2)[1]; !strings.HasSuffix(url1, got) {
		t.Errorf("the secret changed with the port: %s then %s", url1, got)
	}
	ln3.Close()
	ln4, moved, err := d4.ListenKept()
	if err != nil || moved || ln4.Addr().String() != ln3.Addr().String() {
		t.Errorf("the new port was not kept: %v moved %v, %v", ln4.Addr(), moved, err)
	}
	if ln4 != nil {
		ln4.Close()
	}
	fi := must(os.Stat(filepath.Join(home, "address.json")))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("address.json has mode %o, want 600", fi.Mode().Perm())
	}
	// A damaged address file stops the desk with what to do.
	os.WriteFile(filepath.Join(home, "address.json"), []byte("{}"), 0o600)
	if _, err := desk.New(desk.Config{Home: home}); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("a damaged address.json: %v", err)
	}
}
