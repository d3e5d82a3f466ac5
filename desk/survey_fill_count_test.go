package desk_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"testimony/desk"
	"testimony/internal/survey"
)

// familyForm asks a question that is required only of older people (a
// required expression) and a repeat answered as many times as an earlier
// answer says (repeat_count).
func familyForm() *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: "family", Version: "1",
		Title: L("Family", "가족"), DefaultLanguage: "ko",
		Languages: []survey.Language{{Code: "ko", Name: "한국어"}, {Code: "en", Name: "English"}},
		MinCell:   5, MinCellSensitive: 10,
		Survey: []*survey.Question{
			{Type: survey.Integer, Name: "age", Label: L("Age", "나이"), Required: "true()", Row: 2},
			{Type: survey.Text, Name: "memory", Label: L("What do you remember of the famine?", "기근에 대해 무엇을 기억합니까?"), Required: "${age} >= 40", Row: 3},
			{Type: survey.Integer, Name: "kids", Label: L("How many children?", "자녀는 몇 명입니까?"), Row: 4},
			{Type: survey.Repeat, Name: "kid", Label: L("Child", "자녀"), RepeatCount: "${kids}", Row: 5, Children: []*survey.Question{
				{Type: survey.Integer, Name: "kid_age", Label: L("Child's age", "자녀 나이"), Row: 6},
			}},
		},
	}
}

var (
	memoryMark = regexp.MustCompile(`for="f-q\.memory">What do you remember of the famine\?<span class="req" title="required"\s*(hidden)?> \*</span>`)
	kidPasses  = regexp.MustCompile(`<input type="hidden" name="i.q.kid" value="([0-9]+)">`)
	countNote  = regexp.MustCompile(`<p class="hint repeat-count" role="status"\s*(hidden)?>([^<]*)</p>`)
	addKid     = regexp.MustCompile(`value="add:q.kid" class="secondary small add-pass"\s*(hidden)?>`)
)

// TestSurveyCountWithoutScript: without JavaScript, the page the desk
// sends back marks a question required as its required expression says,
// gives a repeat as many passes as its repeat_count asks for once the
// count is answered, says how many, hides the add button when there are
// enough, and asks to remove the extra passes when the count goes down
// (never removing one itself).
func TestSurveyCountWithoutScript(t *testing.T) {
	o := newOrg(t)
	home := o.homes["laptop 1"]
	publish(t, o, home, familyForm())
	lap := start(t, home, desk.Config{})
	lap.unlock()
	_, path, _ := lap.post("/survey/new", url.Values{"form": {"family"}})
	// submit saves the page as a browser without the script sends it, and
	// returns the page the desk shows next.
	submit := func(form url.Values) string {
		t.Helper()
		code, _, page := lap.post(path, form)
		if code != http.StatusOK && code != http.StatusSeeOther {
			t.Fatalf("saving: %d\n%s", code, page)
		}
		_, _, page = lap.get(path)
		form.Del("i.q.kid")
		for _, k := range kidPasses.FindAllStringSubmatch(page, -1) {
			form.Add("i.q.kid", k[1])
		}
		return page
	}
	_, _, page := lap.get(path)
	if m := memoryMark.FindStringSubmatch(page); m == nil || m[1] != "hidden" {
		t.Fatalf("the required marker of a question required only from 40 is not there, hidden: %q", m)
	}
	if m := countNote.FindStringSubmatch(page); m == nil || m[2] != "Answered as many times as an earlier answer says." {
		t.Errorf("before the count is given, the count's note is %q", m)
	}
	if m := addKid.FindStringSubmatch(page); m == nil || m[1] != "hidden" {
		t.Errorf("before the count is given, a pass can be added")
	}
	form := url.Values{"day": {"2026-03-14"}, "language": {"en"}, "q.age": {"52"}, "q.kids": {"3"}, "action": {"save"}}
	page = submit(form)
	if m := memoryMark.FindStringSubmatch(page); m == nil || m[1] == "hidden" {
		t.Errorf("at 52 the question required from 40 is not marked required: %q", m)
	}
	if n := len(kidPasses.FindAllString(page, -1)); n != 3 {
		t.Errorf("3 children: the page has %d passes, want 3", n)
	}
	if m := countNote.FindStringSubmatch(page); m == nil || m[1] == "hidden" || m[2] != "Answered 3 times, as an earlier answer says." {
		t.Errorf("3 children: the count's note is %q", m)
	}
	if m := addKid.FindStringSubmatch(page); m == nil || m[1] != "hidden" {
		t.Errorf("3 children in 3 passes: the add button is not hidden")
	}
	// Fewer: nothing is removed; the page says how many to remove.
	form.Set("q.kids", "2")
	form.Set("q.age", "30")
	page = submit(form)
	if n := len(kidPasses.FindAllString(page, -1)); n != 3 {
		t.Errorf("2 children after 3: the page has %d passes, want the 3 typed", n)
	}
	if m := countNote.FindStringSubmatch(page); m == nil || m[2] != "Answered 2 times, as an earlier answer says: remove 1." {
		t.Errorf("2 children in 3 passes: the count's note is %q", m)
	}
	if m := memoryMark.FindStringSubmatch(page); m == nil || m[1] != "hidden" {
		t.Errorf("at 30 the question required from 40 is marked required")
	}
	// A pass removed does not come back while the count stays.
	form.Set("action", "remove:q.kid.0")
	page = submit(form)
	form.Set("action", "save")
	page = submit(form)
	if n := len(kidPasses.FindAllString(page, -1)); n != 2 {
		t.Errorf("a pass removed, then saved: %d passes, want 2", n)
	}
	if m := countNote.FindStringSubmatch(page); m == nil || m[2] != "Answered 2 times, as an earlier answer says." {
		t.Errorf("2 children in 2 passes: the count's note is %q", m)
	}
	// In Korean.
	lap.get("/lang?to=ko")
	_, _, page = lap.get(path)
	if !strings.Contains(page, "앞의 답변에 따라 2번 답합니다.") {
		t.Errorf("the count's note is not in Korean")
	}
}

// TestSurveyCountInBrowser: in a real headless Chromium, the required
// marker follows a required expression as the answer it reads changes,
// and a repeat counted by an earlier answer gets that many passes when the
// answer is given, says how many, hides its add button when it has
// enough, and asks to remove extra passes when the count goes down.
func TestSurveyCountInBrowser(t *testing.T) {
	browser := startBrowser(t)
	o := newOrg(t)
	home := o.homes["laptop 1"]
	publish(t, o, home, familyForm())
	lap := start(t, home, desk.Config{})
	lap.unlock()

	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
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
	waitFor("the home page", `!!document.querySelector("button[data-form=family]")`)
	step("start a survey", chromedp.Click(chromedp.CSS(`button[data-form=family]`)))
	waitFor("the survey page with its script", `document.querySelector("#survey")?.dataset.ready === "yes"`)

	// The required marker follows ${age} >= 40.
	mark := `document.querySelector('[data-q="memory"] .req')`
	memoryRequired := `!` + mark + `.hidden && document.getElementById("f-q.memory").getAttribute("aria-required") === "true"`
	if eval(`String(`+mark+`.hidden)`) != "true" {
		t.Fatal("the question required from 40 is marked required before the age is given")
	}
	step("type an age of 52", chromedp.SendKeys(chromedp.CSS(`input[name="q.age"]`), "52"))
	waitFor("the required marker", memoryRequired)
	step("correct the age to 30",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q.age"]').select()`),
		chromedp.KeyEvent("30"))
	waitFor("the marker to go", mark+`.hidden && !document.getElementById("f-q.memory").hasAttribute("aria-required")`)

	// The count: passes appear when the answer is given (not at each key).
	passes := `document.querySelectorAll('.repeat[data-q="kid"] .passes > .pass').length`
	note := `document.querySelector('.repeat[data-q="kid"] .repeat-count')`
	add := `document.querySelector('.repeat[data-q="kid"] button.add-pass')`
	step("type 3 children", chromedp.SendKeys(chromedp.CSS(`input[name="q.kids"]`), "3"))
	if got := eval(`String(` + passes + `)`); got != "0" {
		t.Errorf("passes were added while the count was typed: %s", got)
	}
	waitFor("the count's note while typing", `!`+note+`.hidden && `+note+`.textContent === "Answered 3 times, as an earlier answer says."`)
	step("go on", chromedp.KeyEvent(kb.Enter))
	waitFor("three passes", passes+` === 3`)
	waitFor("the add button to go", add+`.hidden`)
	step("lower the count to 2",
		chromedp.Focus(chromedp.CSS(`input[name="q.kids"]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="q.kids"]').select()`),
		chromedp.KeyEvent("2"), chromedp.KeyEvent(kb.Enter))
	waitFor("the note to ask for a removal", note+`.textContent === "Answered 2 times, as an earlier answer says: remove 1."`)
	if got := eval(`String(` + passes + `)`); got != "3" {
		t.Errorf("lowering the count removed passes: %s left, want the 3 there were", got)
	}
	step("remove a pass", chromedp.Click(chromedp.CSS(`.repeat[data-q="kid"] .pass[data-key="2"] button.remove-pass`)))
	waitFor("two passes and the note", passes+` === 2 && `+note+`.textContent === "Answered 2 times, as an earlier answer says." && `+add+`.hidden`)
	step("type a child's age", chromedp.SendKeys(chromedp.CSS(`input[name="q.kid.0.kid_age"]`), "9"), chromedp.KeyEvent(kb.Tab))
	if got := eval(`String(` + passes + `)`); got != "2" {
		t.Errorf("another answer brought the removed pass back: %s passes", got)
	}
	// The engine agrees: the page sealed has two passes.
	waitFor("the draft to be saved", `document.querySelector("#survey").dataset.saved === "yes"`)
	step("seal", chromedp.Click(chromedp.ID("seal")))
	waitFor("the outbox", `location.pathname === "/outbox"`)
}
