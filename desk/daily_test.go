package desk_test

import (
	"net/url"
	"strings"
	"testing"

	"testimony/desk"
)

// The home page lists drafts by their day and size, never by their words:
// a note often begins with a name, and the list is what anyone glancing
// at the screen sees.
func TestDraftListShowsNoNames(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	_, loc, _ := lap.post("/interview/new", nil)
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {"박영수는 2019년에 김영철 씨와 떠났다."},
		"pnames": {"박영수"}, "psex": {"m"}, "prole": {"interviewee"}, "action": {"save"}}
	if _, page := lap.submit(loc, form); !strings.Contains(page, "The draft is saved") {
		t.Fatalf("saving the draft says nothing:\n%s", page)
	}
	_, _, home := lap.get("/")
	for _, real := range []string{"박영수", "김영철", "2019년"} {
		if strings.Contains(home, real) {
			t.Errorf("the draft list shows %q", real)
		}
	}
	if !strings.Contains(home, "5 words") || !strings.Contains(home, "1 people declared") || !strings.Contains(home, "Interview note") {
		t.Errorf("the draft list does not give the note's size:\n%s", between(home, "<table", "</table>"))
	}
}

// An empty note, or a day that is not a date, is refused on the same page
// with a message in the person's language, and what was typed is kept.
func TestInvalidInputTranslated(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.lang = "ko"
	lap.unlock()
	_, draft, _ := lap.post("/interview/new", nil)
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {"  \n "}, "pnames": {"박영수, Pak Yong-su"}, "psex": {"m"}, "prole": {"interviewee"}, "action": {"seal"}}
	loc, page := lap.submit(draft, form)
	if !strings.HasPrefix(loc, draft+"?m=") || !strings.Contains(page, "면담 기록이 비어 있습니다") {
		t.Errorf("an empty note: to %q, want the page with a Korean message\n%s", loc, between(page, `role="alert"`, "</div>"))
	}
	if strings.Contains(page, "the note is empty") || strings.Contains(page, "<details>") {
		t.Errorf("an empty note shows an English or technical detail:\n%s", between(page, `role="alert"`, "</div>"))
	}
	if !strings.Contains(page, `value="박영수, Pak Yong-su"`) {
		t.Errorf("the people typed are lost after the refusal")
	}
	form.Set("day", "14/03/2026")
	form.Set("note", "박영수는 떠났다.")
	_, page = lap.submit(draft, form)
	if !strings.Contains(page, "날짜") || !strings.Contains(page, "박영수는 떠났다.") {
		t.Errorf("a day that is not a date: no Korean message, or the note typed is lost\n%s", between(page, `role="alert"`, "</div>"))
	}
	if m := desk.MissingKorean(); len(m) > 0 {
		t.Errorf("texts without Korean:\n%s", strings.Join(m, "\n"))
	}
}
