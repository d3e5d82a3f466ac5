package desk_test

import (
	"fmt"
	"net/url"
	"regexp"
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

// The flags are listed above the preview, each with what was typed (for a
// place, the name that its province replaces), linking to its mark in the
// preview and carrying where it is in the note for the script to select.
func TestFlagsListShowsWhatWasTyped(t *testing.T) {
	o := newOrg(t)
	lap := start(t, o.homes["laptop 1"], desk.Config{})
	lap.unlock()
	_, draft, _ := lap.post("/interview/new", nil)
	note := "박영수는 떠났다.\n김영철 씨가 회령에서 왔다."
	form := url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "note": {note}, "pnames": {"박영수"}, "psex": {"m"}, "prole": {"interviewee"}}
	code, _, preview := lap.post(draft+"/preview", form)
	if code != 200 {
		t.Fatalf("preview: %d", code)
	}
	flags, text := strings.Index(preview, `id="flags"`), strings.Index(preview, `class="note-text preview-text"`)
	if flags < 0 || text < 0 || flags > text {
		t.Fatalf("the flags are not listed above the preview (at %d, preview at %d)", flags, text)
	}
	list := preview[flags:text]
	// The place: what was typed, and what will happen to it.
	if !strings.Contains(list, `<strong class="flagged">회령</strong>`) || !strings.Contains(list, "it will be replaced by its province, 함경북도") {
		t.Errorf("the place flag does not show what was typed and what will happen:\n%s", list)
	}
	// Each flag links to its mark, and knows where it is in the note.
	for _, typed := range []string{"회령", "김영철"} {
		i := strings.Index(note, typed)
		start := len([]rune(note[:i])) // Hangul is one UTF-16 unit a syllable
		want := fmt.Sprintf(`data-start="%d" data-end="%d"`, start, start+len([]rune(typed)))
		if !strings.Contains(list, want) {
			t.Errorf("the flag of %q does not say where it is in the note (%s):\n%s", typed, want, list)
		}
	}
	for _, at := range regexp.MustCompile(`href="#(at-[0-9]+)"`).FindAllStringSubmatch(list, -1) {
		if !strings.Contains(preview[text:], `id="`+at[1]+`"`) {
			t.Errorf("the flag's link #%s leads nowhere in the preview", at[1])
		}
	}
}
