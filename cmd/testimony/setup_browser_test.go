package main

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"testimony/desk"
)

// TestSetupInBrowser: in a real headless Chromium, against a real server
// on loopback (SQLite), a person goes from an empty desk folder to a
// working interviewer's desk with the invitation file the admin wrote, and
// another to a working reviewer's desk with the server's address and the
// admin key typed in; once in Korean and once in English. The test plays
// the admin with the CLI: it makes the codes and the invitation, adds each
// key to the roster with the fingerprint the page showed (a wrong one
// signs nothing), and publishes. The interviewer seals and syncs a note;
// the reviewer pulls it and reads it.
func TestSetupInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	browser := startChromium(t)
	o := &tamperOrg{t: t, dir: t.TempDir()}
	p := o.path
	nopass := "--insecure-no-passphrase"
	os.WriteFile(p("admin.pub"), []byte(o.must("keygen", "--signing", "--name", "admin", "--out", p("admin.key"), nopass)), 0o644)
	o.must("keygen", "--pseudonym", "--out", p("pseudonym.key"), nopass)
	roster := p("roster.txt")
	admin := []string{"--roster", roster, "--admin-key", p("admin.key")}
	o.must("roster", "init", "--org", "Example NGO", "--admin-key", p("admin.key"), "--out", roster)
	// Sealing needs a custodian for the re-identification records.
	os.WriteFile(p("custodian.pub"), []byte(o.must("keygen", "--out", p("custodian.key"), nopass)), 0o644)
	o.must(append([]string{"roster", "add-custodian", "--label", "custodian 1", "--recipient", p("custodian.pub")}, admin...)...)
	logPub := o.must("server", "init", "--data", p("srv"), "--admin-pub", p("admin.pub"), "--roster", roster)
	o.must(append([]string{"roster", "set-log-key", "--key", logPub}, admin...)...)
	os.WriteFile(p("admin.token"), []byte(o.must("admin", "token", "--data", p("srv"), "--role", "admin", "--label", "admin")), 0o600)
	o.serve()
	t.Cleanup(func() { o.stop() })
	publish := func() {
		o.must("roster", "publish", "--server", o.url, "--token-file", p("admin.token"), "--roster", roster)
	}
	publish()
	adminFingerprint := must(keyFingerprint(p("admin.pub")))

	for i, l := range []struct{ lang, title, waiting string }{
		{"ko", "이 데스크 설정하기", "관리자를 기다리는 중"},
		{"en", "Set up this desk", "Waiting for the admin"},
	} {
		t.Run(l.lang, func(t *testing.T) {
			o.t = t
			n := string(rune('1' + i))
			pass := "lantern orchard " + l.lang + " gravel ninety"
			// startDesk runs a desk on an empty folder and opens its
			// printed address in a new browser context, in the language.
			startDesk := func(who string) (*tab, string) {
				home := p("desks/" + who)
				d := must(desk.New(desk.Config{Home: home}))
				if !d.InSetup() {
					t.Fatalf("%s: an empty folder is not in setup", who)
				}
				ln, _, err := d.ListenKept()
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { d.Serve(ctx, ln); close(done) }()
				t.Cleanup(func() { cancel(); <-done })
				bd := browserDesk{label: who, url: d.URL(ln), base: strings.SplitN(d.URL(ln), "/?", 2)[0], passphrase: pass}
				b := newTab(t, browser, who, bd, t.TempDir())
				b.navigate(bd.url)
				b.follow("switch the language", chromedp.Click(chromedp.CSS(`.setup-lang a[lang="`+l.lang+`"]`)))
				if b.path() != "/" || b.text("h1") != l.title {
					t.Fatalf("%s: the setup page at %s says %q, want %q", who, b.path(), b.text("h1"), l.title)
				}
				return b, home
			}
			// fill types the code and the passphrase, checks the hint the
			// page's script shows, and sends the form.
			fill := func(b *tab, code string) string {
				b.do("type the code and the passphrase",
					chromedp.SendKeys(chromedp.ID("code"), code),
					chromedp.SendKeys(chromedp.ID("passphrase"), "password123"))
				b.waitFor("a weak hint", `document.getElementById("strength").dataset.level === "weak"`)
				if hint := b.text("#strength"); (l.lang == "ko") != strings.Contains(hint, "흔한") {
					t.Errorf("%s: the hint for password123 is %q, not in the page's language", b.who, hint)
				}
				b.do("type a strong passphrase",
					chromedp.Evaluate[chromedp.Void](`document.getElementById("passphrase").value = ""`),
					chromedp.SendKeys(chromedp.ID("passphrase"), pass),
					chromedp.SendKeys(chromedp.ID("passphrase2"), pass))
				b.waitFor("a strong hint", `document.getElementById("strength").dataset.level !== "weak" && document.getElementById("strength").dataset.level !== undefined`)
				b.follow("make the keys and enroll", chromedp.Click(chromedp.ID("setup-submit")))
				if b.status != http.StatusOK || b.text("h1") != l.waiting {
					t.Fatalf("%s: setup answered %d with %q:\n%s", b.who, b.status, b.text("h1"), b.text("main"))
				}
				if got := b.text("#admin-fingerprint"); got != adminFingerprint {
					t.Errorf("%s: the page shows the admin key fingerprint %q, want %q", b.who, got, adminFingerprint)
				}
				return b.text("#fingerprint")
			}
			// download fetches a public key file as the person saves it.
			download := func(b *tab, what, file string) string {
				body := runIn(b, "download "+what, chromedp.Evaluate[string](`fetch("/setup/key/`+what+`").then(r => r.text())`, chromedp.EvalAwaitPromise))
				os.WriteFile(file, []byte(body), 0o644)
				return file
			}
			// check types the passphrase and checks the roster.
			check := func(b *tab) {
				b.do("type the passphrase", chromedp.SendKeys(chromedp.ID("check-passphrase"), pass))
				b.follow("check the roster", chromedp.Click(chromedp.ID("check")))
			}

			// The reviewer, with the server's address and the admin key.
			label := "reviewer " + n
			code := o.must("admin", "enroll", "--data", p("srv"), "--role", "reviewer", "--label", label)
			rv, _ := startDesk("reviewer-" + n)
			rv.do("choose the role, type the server and the admin key",
				chromedp.Click(chromedp.CSS(`input[name="role"][value="reviewer"]`)),
				chromedp.Evaluate[chromedp.Void](`document.querySelector("#setup details").open = true`),
				chromedp.SendKeys(chromedp.ID("server"), o.url),
				chromedp.SendKeys(chromedp.ID("admin_pub"), strings.TrimSpace(string(must(os.ReadFile(p("admin.pub")))))))
			fp := fill(rv, code)
			rec := download(rv, "recipient", p(label+".pub"))
			signer := download(rv, "signer", p(label+".signer"))
			o.must(append([]string{"roster", "add-reviewer", "--label", label, "--recipient", rec, "--signer", signer}, admin...)...)
			if show := o.must("roster", "show", "--roster", roster); !strings.Contains(show, strings.ToLower(strings.ReplaceAll(fp, "-", ""))) {
				t.Errorf("the roster does not show the fingerprint %s the page showed:\n%s", fp, show)
			}
			publish()
			check(rv)
			if rv.status != http.StatusOK || rv.path() != "/" {
				t.Fatalf("reviewer: after the check, %d at %s:\n%s", rv.status, rv.path(), rv.text("main"))
			}

			// The interviewer's laptop, with the invitation.
			device := "laptop-" + n
			code = o.must("admin", "enroll", "--data", p("srv"), "--role", "interviewer", "--label", "laptop "+n, "--device-id", device)
			inv := p(device + ".invitation.json")
			o.must("invite", "--role", "interviewer", "--device-id", device, "--code", code, "--server", o.url,
				"--admin-pub", p("admin.pub"), "--roster", roster, "--pseudonym-key", p("pseudonym.key"), "--out", inv)
			iv, _ := startDesk(device)
			iv.do("choose the role and the invitation",
				chromedp.Click(chromedp.CSS(`input[name="role"][value="interviewer"]`)),
				chromedp.SetUploadFiles(chromedp.ID("invitation"), []string{inv}))
			fp = fill(iv, code)
			pub := download(iv, "device", p(device+".pub"))
			// Before the admin adds the key, the desk says it waits.
			check(iv)
			if iv.status != http.StatusConflict || iv.text("h1") != l.waiting {
				t.Errorf("interviewer: a check before the roster lists the key answered %d, %q", iv.status, iv.text("h1"))
			}
			// A wrong fingerprint signs nothing.
			if _, errOut, code := o.cli(append([]string{"roster", "add-device", "--id", device, "--public-key", pub, "--fingerprint", "AAAA-AAAA-AAAA-AAAA-AAAA"}, admin...)...); code == 0 {
				t.Errorf("add-device with a wrong fingerprint succeeded: %s", errOut)
			}
			o.must(append([]string{"roster", "add-device", "--id", device, "--public-key", pub, "--fingerprint", fp}, admin...)...)
			if show := o.must("roster", "show", "--roster", roster); !strings.Contains(show, device) || !strings.Contains(show, fp) {
				t.Errorf("the roster does not list %s with the fingerprint %s:\n%s", device, fp, show)
			}
			publish()
			check(iv)
			if iv.status != http.StatusOK || iv.path() != "/" || evalIn[int](iv, "find the new-interview button", `document.querySelectorAll("#new-interview").length`) != 1 {
				t.Fatalf("interviewer: after the check, %d at %s:\n%s", iv.status, iv.path(), iv.text("main"))
			}
			// A note, sealed and sent.
			word := "zebrafinch" + l.lang
			iv.follow("start an interview", chromedp.Click(chromedp.ID("new-interview")))
			iv.do("type the note", chromedp.SendKeys(chromedp.ID("note"), "The river froze early that winter. "+word+"\n"))
			iv.waitFor("the preview", `document.querySelector("#preview").dataset.state === "fresh" && document.querySelector("#preview .preview-text").innerText.includes("`+word+`")`)
			iv.follow("seal", chromedp.Click(chromedp.ID("seal")))
			if iv.status != http.StatusOK || !strings.HasPrefix(iv.path(), "/outbox") {
				t.Fatalf("interviewer: sealing answered %d at %s: %s", iv.status, iv.path(), evalIn[string](iv, "read the detail", `[...document.querySelectorAll("details")].map(d => d.textContent).join(" / ")`))
			}
			iv.follow("sync", chromedp.Click(chromedp.ID("sync")))
			if iv.status != http.StatusOK {
				t.Fatalf("interviewer: sync answered %d:\n%s", iv.status, iv.text("main"))
			}

			rv.pull("")
			rv.follow("open the testimony", chromedp.Click(chromedp.CSS(`table.inbox a[href^="/t/"]`)))
			if note := rv.text("#note"); !strings.Contains(note, word) {
				t.Errorf("reviewer: the testimony does not read as typed:\n%s", note)
			}
		})
	}
}
