package desk_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"testimony/desk"
)

// countingHandler counts the desk's log messages of one kind.
type countingHandler struct {
	slog.Handler
	msg string
	n   *atomic.Int32
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h countingHandler) WithGroup(string) slog.Handler            { return h }

// TestDailyUseInBrowser walks, in a real headless Chromium under the
// desk's Content-Security-Policy, where a new interviewer stumbled:
//   - the unlock shows its steps while the keys open, instead of a button
//     that seems to do nothing;
//   - after "Sync now", switching the language shows the same page and
//     its result in the other language (it showed "no such page");
//   - a refresh after syncing shows the page again and syncs nothing;
//   - each flag in the list, clicked, selects in the note what was typed.
func TestDailyUseInBrowser(t *testing.T) {
	browser := startBrowser(t)
	o := newOrg(t)
	var syncs atomic.Int32
	log := slog.New(countingHandler{Handler: slog.DiscardHandler, msg: "synced the outbox", n: &syncs})
	lap := start(t, o.homes["laptop 1"], desk.Config{Log: log})

	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("failed to open a tab: %v", err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		// A node found just as the page replaced its document is gone
		// before it is used ("Could not find node with given id"): nothing
		// was done to it, so the step is tried again, a few times.
		for try := 1; ; try++ {
			c, stop := context.WithTimeout(ctx, 30*time.Second)
			err := chromedp.Do(c, actions...)
			stop()
			if err == nil {
				return
			}
			if try == 4 || !strings.Contains(err.Error(), "Could not find node with given id") {
				t.Fatalf("failed to %s: %v", what, err)
			}
			time.Sleep(300 * time.Millisecond)
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
		t.Fatalf("waited 20 s for %s; the page (%s) says:\n%s", what, eval(`location.href`), eval(`document.body.innerText`))
	}

	// The unlock: held after its second step (as a scrypt at the real
	// work factor holds it), the page lists the steps done and the one
	// running.
	release := make(chan struct{})
	restore := desk.SetUnlockStepHook(func(done int) {
		if done == 2 {
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
		}
	})
	t.Cleanup(restore)
	step("open the desk", chromedp.Navigate(lap.url))
	waitFor("the unlock page", `location.pathname === "/unlock"`)
	step("type the passphrase", chromedp.SendKeys(chromedp.CSS(`#passphrase`), testPass))
	step("press Unlock", chromedp.Click(chromedp.CSS(`#unlock-button`)))
	waitFor("the unlock's steps", `document.querySelectorAll("#unlock-progress li.done").length === 2 && !!document.querySelector("#unlock-progress li.now")`)
	if got := eval(`document.querySelector("#unlock-progress li.now").textContent`); !strings.Contains(got, "Opening the pseudonym key") {
		t.Errorf("the step running is %q, want the pseudonym key", got)
	}
	close(release)
	waitFor("the desk, unlocked", `location.pathname === "/" && !!document.getElementById("new-interview")`)
	restore()

	// A flagged note, typed in the browser: each flag in the list selects
	// the words typed.
	step("start an interview", chromedp.Click(chromedp.CSS(`#new-interview`)))
	waitFor("the interview page", `!!document.getElementById("note")`)
	note := "박영수는 떠났다.\n김영철 씨가 회령에서 왔다."
	step("declare the interviewee", chromedp.SendKeys(chromedp.CSS(`input[name="pnames"]`), "박영수"))
	step("type the note", chromedp.SendKeys(chromedp.CSS(`#note`), note))
	waitFor("the flags in the preview", `document.querySelectorAll("#preview a.flag-jump").length === 2`)
	for _, typed := range []string{"회령", "김영철"} {
		link := `[...document.querySelectorAll("#preview a.flag-jump")].find(a => a.textContent === "` + typed + `")`
		if eval(`String(!!(`+link+`))`) != "true" {
			t.Fatalf("no flag shows %q as typed; the flags:\n%s", typed, eval(`document.getElementById("flags").innerText`))
		}
		step("blur the note", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
		step("click the flag of "+typed, chromedp.Evaluate[chromedp.Void](link+`.click()`))
		got := eval(`document.activeElement.id + ":" + document.activeElement.value.substring(document.activeElement.selectionStart, document.activeElement.selectionEnd)`)
		if got != "note:"+typed {
			t.Errorf("clicking the flag of %q selected %q, want it in the note", typed, got)
		}
	}
	step("seal nothing yet: save", chromedp.Click(chromedp.CSS(`button[value="save"]`)))
	waitFor("the saved draft", `location.search.startsWith("?m=") && document.body.innerText.includes("The draft is saved")`)

	// A note sealed (by the same desk, over HTTP), then "Sync now".
	_, loc, _ := lap.post("/interview/new", nil)
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {"박영수는 떠났다."}, "pnames": {"박영수"}, "psex": {"m"}, "prole": {"interviewee"}, "action": {"seal"}}
	if code, to, _ := lap.post(loc, form); code != 303 || !strings.HasPrefix(to, "/outbox?sealed=") {
		t.Fatalf("seal: %d to %q", code, to)
	}
	step("open the outbox", chromedp.Navigate(strings.TrimSuffix(lap.base, "/")+"/outbox"))
	waitFor("the outbox", `!!document.getElementById("sync")`)
	step("press Sync now", chromedp.Click(chromedp.CSS(`#sync`)))
	waitFor("the sync's result", `document.body.innerText.includes("Sent. The server's log holds every file")`)
	if got := eval(`location.pathname + location.search.slice(0, 3)`); got != "/outbox?m=" {
		t.Errorf("after Sync now the tab is at %q, want the outbox (a redirect)", got)
	}
	// A refresh shows the page again; it does not sync again.
	step("refresh", chromedp.Reload())
	waitFor("the outbox after the refresh", `document.body.innerText.includes("This sync")`)
	if n := syncs.Load(); n != 1 {
		t.Errorf("the desk synced %d times: the refresh sent the form again", n)
	}
	// Switching the language: the same page, the result in Korean.
	step("switch to Korean", chromedp.Click(chromedp.CSS(`a[lang="ko"]`)))
	waitFor("the outbox in Korean", `document.documentElement.lang === "ko"`)
	if got := eval(`location.pathname`); got != "/outbox" {
		t.Errorf("switching the language after Sync now went to %q, want /outbox", got)
	}
	if got := eval(`document.body.innerText`); !strings.Contains(got, "전송했습니다") || !strings.Contains(got, "이번 동기화") {
		t.Errorf("the outbox in Korean does not show the sync's result:\n%s", got)
	}
}
