package desk_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"testimony/desk"
	"testimony/internal/browsertest"
	"testimony/internal/envelope"
	"testimony/internal/survey"
)

// TestSurveyInBrowser fills a survey in a real headless Chromium, under
// the desk's Content-Security-Policy, as an interviewer with a keyboard
// would: a skip rule shows and hides a question as a choice changes, a
// constraint's message appears when the field is left and goes when the
// answer is corrected, Enter moves on without submitting, a pass through a
// repeat is added and another removed in place, sealing is held back while
// an answer is wrong, and then seals. The sealed file holds what was
// typed.
func TestSurveyInBrowser(t *testing.T) {
	browser := startBrowser(t)
	o := newOrg(t)
	home := o.homes["laptop 1"]
	publish(t, o, home, householdForm("1"))
	lap := start(t, home, desk.Config{})
	lap.unlock()

	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The tab is made with ctx itself: a tab first used under a shorter
	// context closes when that context ends.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("failed to open a tab: %v", err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("failed to %s: %v", what, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		c, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("failed to evaluate %s: %v", js, err)
		}
		return v
	}
	waitFor := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			c, stop := context.WithTimeout(ctx, 5*time.Second)
			ok, err := chromedp.Run(c, chromedp.Evaluate[bool](cond))
			stop()
			if err == nil && ok {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("waited 20 s for %s; the page says:\n%s", what, eval(`document.body.innerText`))
	}

	step("open the desk", chromedp.Navigate(lap.url))
	waitFor("the home page", `!!document.querySelector("button[data-form=household]")`)
	step("start a survey", chromedp.Click(chromedp.CSS(`button[data-form=household]`)))
	waitFor("the survey page with its script", `document.querySelector("#survey")?.dataset.ready === "yes"`)
	step("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))

	// The skip rule: "Who helped?" is asked only of those who left.
	helperHidden := `document.querySelector('[data-q="helper"]').hidden`
	if eval(`String(`+helperHidden+`)`) != "true" {
		t.Fatal("the question behind the skip rule is shown before its condition holds")
	}
	step("answer yes", chromedp.Click(chromedp.CSS(`input[name="q.left"][value="yes"]`)))
	waitFor("the question to appear", `!`+helperHidden)
	step("answer no", chromedp.KeyEvent(kb.ArrowDown)) // arrow keys move within the radio group
	waitFor("the question to disappear", helperHidden)
	if got := eval(`document.activeElement.value + ":" + document.activeElement.checked`); got != "no:true" {
		t.Errorf("the arrow key did not choose the next answer in the group: %s", got)
	}
	step("answer yes again", chromedp.KeyEvent(kb.ArrowUp))
	waitFor("the question to appear again", `!`+helperHidden)
	step("type who helped", chromedp.SendKeys(chromedp.CSS(`input[name="q.helper"]`), "A broker from the border."))
	// A chain of rules: the note after the helper's answer goes when that
	// question is no longer asked, and comes back with it.
	thanksHidden := `document.querySelector('[data-q="thanks"]').hidden`
	waitFor("the note after the answer", `!`+thanksHidden)
	step("answer no", chromedp.Click(chromedp.CSS(`input[name="q.left"][value="no"]`)))
	waitFor("the note to go with the question", thanksHidden+` && `+helperHidden)
	step("answer yes", chromedp.Click(chromedp.CSS(`input[name="q.left"][value="yes"]`)))
	waitFor("the note to come back", `!`+thanksHidden)

	// Alt+N goes to the next required question without an answer.
	if eval(`String(document.getElementById("next-required").hidden)`) != "false" {
		t.Error("the button to the next required question is hidden while the age is unanswered")
	}
	step("press Alt+N", chromedp.KeyEvent("n", chromedp.KeyModifiers(chromedp.ModifierAlt)))
	if got := eval(`document.activeElement.name`); got != "q.age" {
		t.Errorf("Alt+N put the focus on %q, want the age", got)
	}

	// The constraint: shown when the field is left, gone when corrected.
	ageError := `document.getElementById("f-q.age-error")`
	step("type a bad age", chromedp.SendKeys(chromedp.CSS(`input[name="q.age"]`), "15"))
	step("press Enter", chromedp.KeyEvent(kb.Enter))
	if got := eval(`document.activeElement.name || document.activeElement.id`); got == "q.age" {
		t.Errorf("Enter did not move on from the age")
	}
	waitFor("the constraint's message", ageError+`.hidden === false && `+ageError+`.textContent === "Age must be between 18 and 120."`)
	step("correct the age",
		chromedp.Focus(chromedp.CSS(`input[name="q.age"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q.age"]').select()`),
		chromedp.KeyEvent("52"))
	waitFor("the message to go", ageError+`.hidden === true`)
	if eval(`String(window.notReloaded)`) != "true" {
		t.Fatal("the page was reloaded (Enter submitted the form?)")
	}

	// The repeat: two passes added, the first removed, in place.
	step("add a child", chromedp.Click(chromedp.CSS(`#survey .repeat[data-q="child"] button.add-pass`)))
	waitFor("a first pass", `!!document.querySelector('input[name="q.child.0.child_name"]')`)
	if got := eval(`document.activeElement.name`); got != "q.child.0.child_name" {
		t.Errorf("the new pass's first question does not have the focus: %q", got)
	}
	step("name the first child", chromedp.KeyEvent("first child"))
	step("add a second child", chromedp.Click(chromedp.CSS(`#survey .repeat[data-q="child"] button.add-pass`)))
	waitFor("a second pass", `!!document.querySelector('input[name="q.child.1.child_name"]')`)
	step("name the second child", chromedp.KeyEvent("second child"))
	step("give an age older than the parent", chromedp.SendKeys(chromedp.CSS(`input[name="q.child.1.child_age"]`), "60"))
	step("leave the field", chromedp.KeyEvent(kb.Tab))
	waitFor("the repeat's constraint, which reads the age outside it", `document.getElementById("f-q.child.1.child_age-error").textContent === "A child is younger than the parent."`)
	step("remove the first child", chromedp.Click(chromedp.CSS(`.pass[data-key="0"] button.remove-pass`)))
	waitFor("one pass left", `document.querySelectorAll('.repeat[data-q="child"] .passes > .pass').length === 1`)
	if got := eval(`document.querySelector('.repeat[data-q="child"] .pass .pass-n').textContent`); got != "1" {
		t.Errorf("the pass left is numbered %q, want 1", got)
	}

	// Sealing is held back while an answer is wrong: the focus goes to it.
	step("try to seal", chromedp.Click(chromedp.ID("seal")))
	if got := eval(`document.activeElement.name`); got != "q.child.1.child_age" {
		t.Errorf("after a held-back seal the focus is on %q, want the wrong answer", got)
	}
	if eval(`String(window.notReloaded)`) != "true" {
		t.Fatal("the page was submitted with a wrong answer")
	}
	step("correct the child's age",
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select()`),
		chromedp.KeyEvent("9"))
	waitFor("no problem left", `[...document.querySelectorAll(".q-error")].every(e => e.hidden)`)
	progress := eval(`document.getElementById("progress-text").textContent`)
	if !strings.HasSuffix(progress, "answered") || strings.HasPrefix(progress, "0 of") {
		t.Errorf("the progress reads %q", progress)
	}
	waitFor("the draft to be saved", `document.querySelector("#survey").dataset.saved === "yes"`)
	if got := eval(`document.querySelector("#preview").innerText`); !strings.Contains(got, "A broker from the border.") {
		t.Errorf("the preview does not follow the typing:\n%s", got)
	}
	violations := eval(`JSON.stringify(performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).map(e => e.name))`)
	if violations != "[]" {
		t.Errorf("the page loaded from elsewhere: %s", violations)
	}

	if dir := os.Getenv("TESTIMONY_SCREENSHOTS"); dir != "" {
		c, stop := context.WithTimeout(ctx, 30*time.Second)
		png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
		stop()
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "survey-fill.png"), png, 0o644)
		}
		if err != nil {
			t.Error(err)
		}
	}
	step("seal", chromedp.Click(chromedp.ID("seal")))
	waitFor("the outbox", `location.pathname === "/outbox"`)
	id := strings.TrimPrefix(eval(`location.search`), "?sealed=")

	sealed, err := os.ReadFile(filepath.Join(home, "outbox", id+".age"))
	if err != nil {
		t.Fatal(err)
	}
	var sink envelope.Memory
	if _, err := envelope.Open(bytes.NewReader(sealed), int64(len(sealed)), &sink, envelope.OpenOptions{Identity: o.ids["reviewer 1"], Roster: o.roster, ID: id}); err != nil {
		t.Fatal(err)
	}
	resp, err := survey.ParseResponse(sink.Entries[envelope.AnswersName])
	if err != nil {
		t.Fatal(err)
	}
	a := resp.Answers
	got := fmt.Sprintf("age=%s left=%s helper=%s children=%d", a.Get("age"), a.Get("left"), a.Get("helper"), len(a.Repeats["child"]))
	if want := "age=52 left=yes helper=A broker from the border. children=1"; got != want {
		t.Errorf("sealed %s, want %s", got, want)
	}
	if c := a.Repeats["child"]; len(c) == 1 && (c[0].Get("child_name") != "second child" || c[0].Get("child_age") != "9") {
		t.Errorf("the pass sealed is %v, want the second child, aged 9", c[0].Values)
	}
	if a.Get("adult") != "yes" || a.Get("today") == "" {
		t.Errorf("the desk did not fill the calculation and the day: adult=%q today=%q", a.Get("adult"), a.Get("today"))
	}
}

// startBrowser starts a headless Chromium for the test, or skips the test
// if there is none (fails, with TESTIMONY_REQUIRE_TOOLS=1).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, 2*time.Minute)
}
