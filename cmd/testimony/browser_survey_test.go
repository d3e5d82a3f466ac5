package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSurvey is the survey as a new user of the quickstart meets
// it, in a real headless Chromium: the interviewer fills the sample survey
// (a skip rule fires, the form's age rule refuses 12), seals and syncs with
// the 60 made-up responses; the reviewer pulls, sees the statistics with
// small counts hidden, and downloads a CSV from the desk, which
// LibreOffice reads with its Hangul intact (when soffice is installed).
func TestBrowserSurvey(t *testing.T) {
	browser := startChromium(t)
	shots := os.Getenv("TESTIMONY_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	dir := filepath.Join(t.TempDir(), "demo")
	qs := startDemo(t, dir)

	iv := newTab(t, browser, "interviewer", qs.desks["laptop 1"], shots)
	iv.open()
	iv.unlock()
	iv.follow("start the sample survey", chromedp.Click(chromedp.CSS(`button[data-form="defector-survey"]`)))
	if !strings.HasPrefix(iv.path(), "/survey/") {
		t.Fatalf("interviewer: starting the survey led to %s:\n%s", iv.path(), iv.text("main"))
	}
	detention := `document.querySelector('[data-q="detention"]').hidden`
	if !evalIn[bool](iv, "is the detention section hidden", detention) {
		t.Errorf("interviewer: the detention questions show before anyone said they were detained")
	}
	iv.do("consent", chromedp.Click(chromedp.CSS(`input[name="q.consent_given"][value="yes"]`)))
	iv.do("sex", chromedp.Click(chromedp.CSS(`input[name="q.sex"][value="female"]`)))
	iv.do("type an age of 12", chromedp.SendKeys(chromedp.CSS(`input[name="q.age"]`), "12"), chromedp.Click(chromedp.CSS(`input[name="q.year_left"]`)))
	ageError := `document.getElementById("f-q.age-error")`
	iv.waitFor("the form's age rule", ageError+`.hidden === false && `+ageError+`.textContent.includes("18")`)
	iv.do("correct the age",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q.age"]').select()`),
		chromedp.SendKeys(chromedp.CSS(`input[name="q.age"]`), "34"),
		chromedp.SendKeys(chromedp.CSS(`input[name="q.year_left"]`), "2015"))
	iv.waitFor("the age rule to be satisfied", ageError+`.hidden === true`)
	iv.do("say detained", chromedp.Click(chromedp.CSS(`input[name="q.detained"][value="yes"]`)))
	iv.waitFor("the skip rule to show the detention questions", "!"+detention)
	iv.do("answer the detention questions",
		chromedp.Click(chromedp.CSS(`input[name="q.detention_country"][value="china"]`)),
		chromedp.Click(chromedp.CSS(`input[name="q.ill_treatment"][value="pns"]`)))
	iv.shot("survey-filled")
	iv.follow("seal", chromedp.Click(chromedp.ID("seal")))
	if iv.status != http.StatusOK || !strings.HasPrefix(iv.path(), "/outbox") {
		t.Fatalf("interviewer: sealing the survey answered %d at %s:\n%s", iv.status, iv.path(), iv.text("main"))
	}
	iv.follow("sync", chromedp.Click(chromedp.ID("sync")))
	states := evalIn[[]string](iv, "read the outbox", `[...document.querySelectorAll("main table tbody tr")].map(tr => tr.innerText)`)
	if len(states) != demoResponses+1 {
		t.Errorf("interviewer: the outbox has %d rows after sync, want %d", len(states), demoResponses+1)
	}
	for _, row := range states {
		if !strings.Contains(row, "sent, in the log") {
			t.Errorf("interviewer: not sent: %q", row)
		}
	}

	rv := newTab(t, browser, "reviewer 1", qs.desks["reviewer 1"], shots)
	rv.open()
	rv.unlock()
	rv.pull("")
	rv.navigate(qs.desks["reviewer 1"].base + "/surveys/defector-survey")
	main := rv.text("main")
	if rv.status != http.StatusOK || !strings.Contains(main, "61") {
		t.Fatalf("reviewer: the survey's page (%d) does not count 61 responses:\n%s", rv.status, main)
	}
	if n := evalIn[int](rv, "count the charts", `document.querySelectorAll("main svg").length`); n < 5 {
		t.Errorf("reviewer: the survey's page shows %d charts", n)
	}
	// The sample has few men: their count for some answers is below 5.
	if !strings.Contains(main, "<5") {
		t.Errorf("reviewer: no count is hidden as <5 on the survey's page:\n%s", main)
	}
	rv.shot("survey-statistics")

	rv.navigate(qs.desks["reviewer 1"].base + "/surveys/defector-survey/export")
	// The desk refuses a row-level download while small groups remain;
	// the reviewer chooses to generalize and leave out what is still
	// unique, then downloads. The browser sends the form as a person's
	// click would, and hands back the zip.
	rv.do("choose CSV with generalization and suppression", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById("export-form");
		f.querySelector('input[name="format"][value="csv"]').checked = true;
		f.querySelector('input[name="headers"][value="labels"]').checked = true;
		f.querySelector('select[name="age"]').value = "10";
		f.querySelector('select[name="year"]').value = "10";
		f.querySelector('input[name="place"]').checked = true;
		f.querySelector('input[name="suppress"][value="rows"]').checked = true;
	})()`))
	zipB64 := runIn(rv, "download", chromedp.Evaluate[string](`(() => {
		const f = document.getElementById("export-form");
		const data = new FormData(f);
		data.set("action", "download");
		return fetch(f.getAttribute("action"), {method: "POST", body: new URLSearchParams(data), credentials: "same-origin"})
			.then(r => { if (!r.ok) { return r.text().then(t => { throw new Error(r.status + " " + t.slice(0, 400)); }); } return r.arrayBuffer(); })
			.then(b => { let s = ""; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); });
	})()`, chromedp.EvalAwaitPromise))
	zb, err := base64.StdEncoding.DecodeString(zipB64)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatalf("reviewer: the download is not a zip: %v", err)
	}
	var csv []byte
	var sidecar bool
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch {
		case strings.HasSuffix(f.Name, ".disclosure.json"):
			sidecar = true
		case strings.HasSuffix(f.Name, ".csv") && !strings.Contains(f.Name, "-family"):
			csv = b
		}
	}
	if !sidecar || !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf")) || !strings.Contains(string(csv), "성별") {
		t.Fatalf("reviewer: the download lacks the sidecar (%v), the BOM, or Korean labels:\n%.400s", sidecar, csv)
	}
	for _, name := range sampleRealNames {
		if strings.Contains(string(csv), name) {
			t.Errorf("reviewer: the export holds the real name %q", name)
		}
	}

	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("TESTIMONY_REQUIRE_TOOLS") != "" {
			t.Fatal("soffice (LibreOffice) is required (TESTIMONY_REQUIRE_TOOLS is set) but not installed")
		}
		t.Log("soffice is not installed: the CSV was not opened with LibreOffice")
		return
	}
	work := t.TempDir()
	in := filepath.Join(work, "survey.csv")
	if err := os.WriteFile(in, csv, 0o600); err != nil {
		t.Fatal(err)
	}
	// LibreOffice reads the CSV as UTF-8 only when told (it ignores the
	// BOM); Excel reads the BOM. Convert to XLSX and back, and look for the
	// Hangul in what LibreOffice wrote.
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(work, "profile"),
		"--infilter=CSV:44,34,76", "--convert-to", "html", "--outdir", work, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	html, err := os.ReadFile(filepath.Join(work, "survey.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "성별") || !strings.Contains(string(html), "여성") {
		t.Errorf("LibreOffice lost the Hangul of the CSV:\n%.600s", html)
	}
}
