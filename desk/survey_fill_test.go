package desk_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"html"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"testimony/desk"
	"testimony/internal/envelope"
	"testimony/internal/survey"
	"testimony/keys"
)

// L is a text in English and Korean.
func L(en, ko string) survey.Localized { return survey.Localized{"en": en, "ko": ko} }

// householdForm is a small form with a bit of everything the desk asks:
// a group, a required integer with a constraint, a place chosen from a
// list, free text, a skip rule, a select_multiple with "other", a repeat
// whose constraint reads an answer outside it, a photo, a calculation and
// the day.
func householdForm(version string) *survey.Form {
	return &survey.Form{
		Format: survey.FormFormat, ID: "household", Version: version,
		Title: L("Household survey", "가구 설문"), DefaultLanguage: "ko",
		Languages: []survey.Language{{Code: "ko", Name: "한국어"}, {Code: "en", Name: "English"}},
		MinCell:   5, MinCellSensitive: 10,
		Survey: []*survey.Question{
			{Type: survey.Today, Name: "today", Row: 2},
			{Type: survey.Note, Name: "intro", Label: L("Thank you for your time.", "시간 내주셔서 감사합니다."), Row: 3},
			{Type: survey.Group, Name: "about", Label: L("About you", "본인"), Row: 4, Children: []*survey.Question{
				{Type: survey.Integer, Name: "age", Label: L("Age", "나이"), Required: "true()", Constraint: ". >= 18 and . <= 120",
					ConstraintMessage: L("Age must be between 18 and 120.", "나이는 18세에서 120세 사이여야 합니다."), Row: 5},
				{Type: survey.SelectOne, Name: "province", List: "place", Label: L("Where from?", "출신지"), Row: 6},
				{Type: survey.Text, Name: "story", Label: L("What happened?", "무슨 일이 있었습니까?"), Appearance: "multiline", Row: 7},
			}},
			{Type: survey.SelectOne, Name: "left", List: "yesno", Label: L("Did you leave?", "떠났습니까?"), Row: 9},
			{Type: survey.Text, Name: "helper", Label: L("Who helped?", "누가 도왔습니까?"), Relevant: "${left} = 'yes'", Row: 10},
			{Type: survey.Integer, Name: "code", Label: L("Registration number", "등록 번호"), Row: 11},
			{Type: survey.SelectMultiple, Name: "needs", List: "needs", OrOther: true, Label: L("Needs", "필요한 것"), Row: 12},
			{Type: survey.Repeat, Name: "child", Label: L("Child", "자녀"), Row: 13, Children: []*survey.Question{
				{Type: survey.Text, Name: "child_name", Label: L("Child's name", "자녀 이름"), Row: 14},
				{Type: survey.Integer, Name: "child_age", Label: L("Child's age", "자녀 나이"), Constraint: ". < ${age}",
					ConstraintMessage: L("A child is younger than the parent.", "자녀는 부모보다 어립니다."), Row: 15},
			}},
			{Type: survey.Image, Name: "photo", Label: L("Photo of the document", "문서 사진"), Row: 17},
			{Type: survey.Calculate, Name: "adult", Calculation: "if(${age} >= 18, 'yes', 'no')", Row: 18},
			// Shown after the answer to a question behind a skip rule: a
			// chain of rules.
			{Type: survey.Note, Name: "thanks", Label: L("Thank the helper.", "도와준 사람에게 감사하십시오."), Relevant: "${helper} != ''", Row: 19},
		},
		Choices: map[string][]survey.Choice{
			"yesno": {{Name: "yes", Label: L("Yes", "예"), Row: 2}, {Name: "no", Label: L("No", "아니요"), Row: 3}},
			// The choice names are spellings the pseudonymizer replaces in
			// free text (a declared place): a choice must stay as it is.
			"place": {{Name: "Hyesan", Label: L("Hyesan", "혜산"), Row: 4}, {Name: "Musan", Label: L("Musan", "무산"), Row: 5}},
			"needs": {{Name: "food", Label: L("Food", "식량"), Row: 6}, {Name: "housing", Label: L("Housing", "주거"), Row: 7}},
		},
	}
}

// publish signs f with the organisation's admin key and puts it where the
// desk keeps the forms it fetched with the roster.
func publish(t *testing.T, o *org, home string, f *survey.Form) *survey.Published {
	t.Helper()
	signed, err := survey.Sign(f, o.roster.Org, o.admin)
	if err != nil {
		t.Fatal(err)
	}
	p, err := survey.Verify(signed, must(o.adminVerifier()), o.roster.Org)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "forms")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, f.ID+"@"+f.Version+".txt"), signed, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// postFiles posts a multipart form with files.
func (tb *tab) postFiles(path string, form url.Values, files map[string][]byte) (int, string, string) {
	tb.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for k, b := range files {
		w, _ := mw.CreateFormFile(k, "IMG_secret_name.png")
		w.Write(b)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, tb.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", tb.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return tb.do(req)
}

var surveyRE = regexp.MustCompile(`/survey/([0-9a-f]{32})`)

// pngWithText is a PNG image carrying a text chunk (metadata the desk
// strips before sealing).
func pngWithText(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// A tEXt chunk after the header (IHDR is 8+25 bytes in).
	chunk := pngChunk("tEXt", []byte("Author\x00Secret Photographer"))
	return append(append(append([]byte{}, b[:33]...), chunk...), b[33:]...)
}

func crc32be(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }

func (o *org) adminVerifier() (keys.Verifier, error) { return keys.ParseVerifier(o.admin.Verifier()) }

func pngChunk(typ string, data []byte) []byte {
	var out bytes.Buffer
	n := len(data)
	out.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	out.WriteString(typ)
	out.Write(data)
	out.Write(crc32be(append([]byte(typ), data...)))
	return out.Bytes()
}

// TestSurveyFill fills a survey without a browser, as a person without
// JavaScript would: the draft is kept encrypted and comes back as typed;
// sealing refuses answers that break the form's rules, each problem shown
// by its question, and flags in written answers that nobody decided; the
// sealed file names the form, its version and digest, and only the
// free-text answers are pseudonymized.
func TestSurveyFill(t *testing.T) {
	o := newOrg(t)
	home := o.homes["laptop 1"]
	p := publish(t, o, home, householdForm("1"))
	lap := start(t, home, desk.Config{})
	lap.unlock()

	// The home page offers the form, in the desk's language.
	_, _, page := lap.get("/")
	if !strings.Contains(page, "New survey: Household survey") {
		t.Fatalf("the home page offers no survey:\n%s", page)
	}
	code, loc, _ := lap.post("/survey/new", url.Values{"form": {"household"}})
	m := surveyRE.FindStringSubmatch(loc)
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("new survey: %d to %q", code, loc)
	}
	path := "/survey/" + m[1]
	code, _, page = lap.get(path)
	if code != http.StatusOK || !strings.Contains(page, "What happened?") || !strings.Contains(page, `id="survey-rules"`) {
		t.Fatalf("the survey page (%d) does not show the form in English with its rules:\n%s", code, page)
	}
	// The interview is in the desk's language, which the form has.
	if !strings.Contains(page, `<option value="en" selected>`) {
		t.Errorf("the interview's language is not the desk's (en)")
	}
	// The rules are JSON for the script; no inline script runs.
	if strings.Contains(page, "<script>") || regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).MatchString(strings.ReplaceAll(page, `<script type="application/json" id="survey-rules">`, "")) {
		t.Errorf("the page has an inline script")
	}

	// Answers: a declared person and place appear in free text, in a
	// choice (the place's spelling) and in a number.
	form := url.Values{
		"day": {"2026-03-14"}, "language": {"en"}, "note": {""},
		"pnames": {"박영수, Pak Yong-su"}, "psex": {"m"}, "prole": {"interviewee"},
		"lnames": {"Hyesan"}, "lprov": {"량강도"},
		"q.age":                {"15"},
		"q.province":           {"Hyesan"},
		"q.story":              {"박영수 left Hyesan in 2019. Call 010-1234-5678."},
		"q.left":               {"yes"},
		"q.helper":             {"김철수 씨가 도와주었다."},
		"q.code":               {"01012345678"},
		"q.needs":              {"food", "other"},
		"q.needs_other":        {"Pak Yong-su's medicine"},
		"i.q.child":            {"0"},
		"q.child.0.child_name": {"박영수의 딸"},
		"q.child.0.child_age":  {"40"},
		"action":               {"save"},
	}
	code, loc, page = lap.postFiles(path, form, map[string][]byte{"file.q.photo": pngWithText(t)})
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?m=") {
		t.Fatalf("saving the survey: %d to %q, want a redirect to the page\n%s", code, loc, page)
	}
	// The draft comes back as typed, and is on disk only encrypted.
	_, _, page = lap.get(path)
	form.Set("q.photo", photoKey(t, page)) // as the browser sends it back
	for _, want := range []string{`value="01012345678"`, `박영수의 딸`, `value="Hyesan" checked`, `value="food" checked`, `Pak Yong-su&#39;s medicine`, "png"} {
		if !strings.Contains(page, want) {
			t.Errorf("the saved draft does not show %s", want)
		}
	}
	drafts, _ := filepath.Glob(filepath.Join(home, "drafts", "*.age"))
	if len(drafts) != 1 {
		t.Fatalf("%d drafts on disk, want 1", len(drafts))
	}
	raw, _ := os.ReadFile(drafts[0])
	for _, s := range []string{"박영수", "Hyesan", "01012345678", "household", "Secret Photographer"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the draft on disk holds %q in clear", s)
		}
	}
	// The preview shows written answers pseudonymized.
	if prev := between(page, `id="preview"`, `id="seal"`); strings.Contains(prev, "박영수 left") || !strings.Contains(prev, "What happened?") {
		t.Errorf("the preview does not show the written answer pseudonymized:\n%s", prev)
	}

	// Sealing refuses: the age breaks its constraint, and so does the
	// child's, which reads the age outside the repeat.
	form.Del("action")
	form.Set("action", "seal")
	loc, page = lap.submit(path, form)
	if !strings.HasSuffix(loc, "#problems") || !strings.Contains(page, "Some answers need attention") {
		t.Fatalf("sealing answers that break the rules: to %q, want the problems\n%s", loc, page)
	}
	if got := errorOf(page, "f-q.age"); got != "Age must be between 18 and 120." {
		t.Errorf("the age's problem is %q, want the form's message", got)
	}
	if got := errorOf(page, "f-q.child.0.child_age"); got != "A child is younger than the parent." {
		t.Errorf("the child's age's problem is %q, want the form's message", got)
	}
	if n := countFiles(t, filepath.Join(home, "outbox"), ".age"); n != 0 {
		t.Fatalf("%d files in the outbox after a refused seal", n)
	}

	// The age corrected, the flag in the helper's answer is still open.
	form.Set("q.age", "52")
	loc, page = lap.submit(path, form)
	if !strings.HasSuffix(loc, "#flags") || !strings.Contains(page, "flags are not resolved") {
		t.Fatalf("sealing with a flag open in an answer: to %q\n%s", loc, page)
	}
	flag := regexp.MustCompile(`value="accept:(f-[0-9a-f]+)"`).FindStringSubmatch(page)
	if flag == nil {
		t.Fatalf("no flag to accept:\n%s", between(page, `id="preview"`, `id="seal"`))
	}
	if !strings.Contains(page, "<strong class=\"flagged\">김철수</strong>") {
		t.Errorf("the flag does not show the flagged name from the answer")
	}
	// Listed first, above the answers, and jumping to the name in the
	// answer's field, as the note's flags jump into the note.
	prev := between(page, `id="preview"`, `id="seal"`)
	if i, j := strings.Index(prev, `id="flags"`), strings.Index(prev, `class="answer-preview"`); i < 0 || j < 0 || i > j {
		t.Errorf("the flags are not listed above the answers (at %d and %d)", i, j)
	}
	if jump := regexp.MustCompile(`href="#(f-q\.helper)" class="flag-jump" data-field="(f-q\.helper)" data-start="(\d+)" data-end="(\d+)"`).FindStringSubmatch(prev); jump == nil {
		t.Errorf("the answer's flag does not jump to the name in its field:\n%s", prev)
	}
	form.Add("accepted", flag[1])
	code, loc, page = lap.post(path, form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/outbox?sealed=") {
		t.Fatalf("sealing: %d to %q\n%s", code, loc, page)
	}
	id := strings.TrimPrefix(loc, "/outbox?sealed=")
	if _, err := os.Stat(filepath.Join(home, "outbox", id+".reid.age")); err != nil {
		t.Errorf("no re-identification record beside the sealed survey: %v", err)
	}
	if len(must(filepath.Glob(filepath.Join(home, "drafts", "*.age")))) != 0 {
		t.Error("the draft is still there after sealing")
	}

	// A reviewer opens it.
	sealed := must(os.ReadFile(filepath.Join(home, "outbox", id+".age")))
	var sink envelope.Memory
	op, err := envelope.Open(bytes.NewReader(sealed), int64(len(sealed)), &sink, envelope.OpenOptions{Identity: o.ids["reviewer 1"], Roster: o.roster, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if op.Manifest.Form != "household/1" || op.Manifest.Language != "en" || op.Manifest.Day != "2026-03-14" {
		t.Errorf("manifest: form %q, language %q, day %q", op.Manifest.Form, op.Manifest.Language, op.Manifest.Day)
	}
	if op.Manifest.Subject == "" || op.Manifest.Subject == "박영수" {
		t.Errorf("the subject is %q, want the interviewee's pseudonym", op.Manifest.Subject)
	}
	resp, err := survey.ParseResponse(sink.Entries[envelope.AnswersName])
	if err != nil {
		t.Fatal(err)
	}
	if resp.Form != "household" || resp.Version != "1" || resp.FormSHA256 != p.Digest || resp.Language != "en" {
		t.Errorf("answers.json names %s/%s (%s) in %s, want household/1 (%s) in en", resp.Form, resp.Version, resp.FormSHA256, resp.Language, p.Digest)
	}
	a := resp.Answers
	// Choices and numbers as they were given.
	for name, want := range map[string]string{"province": "Hyesan", "code": "01012345678", "age": "52", "left": "yes", "needs": "food other"} {
		if got := a.Get(name); got != want {
			t.Errorf("answer %s = %q, want %q (only free text is pseudonymized)", name, got, want)
		}
	}
	// Free text pseudonymized, in every place it can be.
	free := []string{a.Get("story"), a.Get("helper"), a.Get("needs_other")}
	if len(a.Repeats["child"]) != 1 {
		t.Fatalf("answers.json has %d passes through the repeat, want 1", len(a.Repeats["child"]))
	}
	free = append(free, a.Repeats["child"][0].Get("child_name"))
	for _, s := range free {
		for _, real := range []string{"박영수", "Pak Yong-su", "Hyesan", "5678"} {
			if strings.Contains(s, real) {
				t.Errorf("a written answer keeps %q: %q", real, s)
			}
		}
	}
	if a.Get("helper") == "" || !strings.Contains(a.Get("helper"), "김철수") {
		t.Errorf("the accepted flag's text is not kept as written: %q", a.Get("helper"))
	}
	// The file answer names its attachment, stripped of its metadata.
	if got := a.Get("photo"); got != "attachments/01.png" {
		t.Errorf("the photo's answer is %q, want attachments/01.png", got)
	}
	if img := sink.Entries["attachments/01.png"]; img == nil || bytes.Contains(img, []byte("Secret Photographer")) {
		t.Errorf("the photo is missing or keeps its metadata")
	}
	if got := a.Get("today"); got != "" && !envelope.ValidDay(got) {
		t.Errorf("today is %q, not a day", got)
	}
	if note := sink.Entries[envelope.NoteName]; len(note) != 0 {
		t.Errorf("the survey had no note, but note.md holds %q", note)
	}
	for _, b := range [][]byte{sealed, sink.Entries[envelope.AnswersName]} {
		if bytes.Contains(b, []byte("IMG_secret_name")) {
			t.Error("the file's name was sealed")
		}
	}

	// In Korean, every text of the page has its Korean.
	lap.lang = "ko"
	code, loc, _ = lap.post("/survey/new", url.Values{"form": {"household"}})
	path = "/survey/" + surveyRE.FindStringSubmatch(loc)[1]
	_, _, page = lap.get(path)
	if !strings.Contains(page, "무슨 일이 있었습니까?") {
		t.Errorf("the Korean desk does not ask in Korean")
	}
	lap.submit(path, url.Values{"day": {"2026-03-14"}, "language": {"ko"}, "q.age": {"7"}, "i.q.child": {"0"}, "action": {"seal"}})
	lap.get("/")
	if m := desk.MissingKorean(); len(m) > 0 {
		t.Errorf("texts without Korean:\n%s", strings.Join(m, "\n"))
	}
}

// TestSurveyFormVersion: a draft keeps answering the version it started
// with when a newer one arrives, and says so; without that version it
// cannot be filled.
func TestSurveyFormVersion(t *testing.T) {
	o := newOrg(t)
	home := o.homes["laptop 1"]
	publish(t, o, home, householdForm("1"))
	lap := start(t, home, desk.Config{})
	lap.unlock()
	_, loc, _ := lap.post("/survey/new", url.Values{"form": {"household"}})
	path := "/survey/" + surveyRE.FindStringSubmatch(loc)[1]

	v2 := householdForm("2")
	v2.Survey[2].Children[2].Label = L("What happened to you?", "당신에게 무슨 일이 있었습니까?")
	publish(t, o, home, v2)
	_, _, page := lap.get(path)
	if !strings.Contains(page, "Version 2 of this form was published") || !strings.Contains(page, "What happened?") || strings.Contains(page, "What happened to you?") {
		t.Errorf("the draft does not keep to version 1 and say a newer one exists:\n%s", page)
	}
	// A new survey answers the newest version.
	_, loc, _ = lap.post("/survey/new", url.Values{"form": {"household"}})
	if _, _, page := lap.get(loc); !strings.Contains(page, "What happened to you?") {
		t.Errorf("a new survey does not answer version 2")
	}

	// Without version 1 the first draft cannot be filled, nor sealed.
	os.Remove(filepath.Join(home, "forms", "household@1.txt"))
	if code, loc, _ := lap.get(path); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/?m=") {
		t.Errorf("a draft without its form version: %d to %q, want the home page with a message", code, loc)
	} else if _, _, page := lap.get(loc); !strings.Contains(page, "no longer holds") {
		t.Errorf("a draft without its form version: the home page does not say why\n%s", page)
	}
	if _, page := lap.submit(path, url.Values{"action": {"seal"}}); !strings.Contains(page, "no longer holds") {
		t.Errorf("sealing a draft without its form version is not refused with a reason")
	}
	// The home page says so, and the draft can still be deleted.
	lap.lang = "ko"
	if _, _, page := lap.get("/"); !strings.Contains(page, "이 데스크에 그 설문지가 더 이상 없습니다") {
		t.Errorf("the home page does not say the draft's form is gone")
	}
	lap.lang = "en"
	if code, loc, _ := lap.post(path, url.Values{"action": {"discard"}}); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/?m=") {
		t.Errorf("deleting a draft whose form is gone: %d to %q", code, loc)
	}
	if _, err := os.Stat(filepath.Join(home, "drafts", strings.TrimPrefix(path, "/survey/")+".age")); !os.IsNotExist(err) {
		t.Errorf("the draft whose form is gone was not deleted: %v", err)
	}
	// A form this desk does not hold is not started.
	if _, page := lap.submit("/survey/new", url.Values{"form": {"nosuch"}}); !strings.Contains(page, "holds no such form") {
		t.Errorf("starting a form the desk does not hold is not refused with a reason")
	}
	// A note page does not seal a survey draft as a note.
	id := strings.TrimPrefix(loc, "/survey/")
	if code, _, _ := lap.post("/interview/"+id, url.Values{"action": {"seal"}, "note": {"x"}, "day": {"2026-03-14"}}); code != http.StatusNotFound {
		t.Errorf("sealing a survey draft as a note: %d, want 404", code)
	}
	if n := countFiles(t, filepath.Join(home, "outbox"), ".age"); n != 0 {
		t.Errorf("%d sealed files in the outbox", n)
	}
}

// errorOf returns the problem shown by the question whose input has the
// HTML id, "" if none.
func errorOf(page, id string) string {
	re := regexp.MustCompile(`<p class="q-error" id="` + regexp.QuoteMeta(id) + `-error" tabindex="-1"\s*>([^<]*)</p>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// photoKey returns the key the page keeps the photo answer under.
func photoKey(t *testing.T, page string) string {
	m := regexp.MustCompile(`<input type="hidden" name="q.photo" value="([0-9a-f]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page does not keep the photo's answer")
	}
	return m[1]
}

func countFiles(t *testing.T, dir, suffix string) int {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), suffix) && !strings.HasSuffix(e.Name(), ".reid.age") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return len(names)
}

// TestSurveyWithoutScript: without JavaScript every submit saves, and the
// desk applies the form's rules to the page it sends back: the skip rule
// shows or hides its question, a pass through a repeat is added and
// removed by its buttons, and the defaults fill a new survey.
func TestSurveyWithoutScript(t *testing.T) {
	o := newOrg(t)
	home := o.homes["laptop 1"]
	f := householdForm("1")
	f.Survey[5].Default = "0" // the registration number
	publish(t, o, home, f)
	lap := start(t, home, desk.Config{})
	lap.unlock()
	_, loc, _ := lap.post("/survey/new", url.Values{"form": {"household"}})
	path := loc
	helper := regexp.MustCompile(`<div class="q" data-q="helper" data-field="q.helper" data-input="text"\s*(hidden)?>`)
	_, _, page := lap.get(path)
	if m := helper.FindStringSubmatch(page); m == nil || m[1] != "hidden" {
		t.Fatalf("the question behind the skip rule is not hidden at first: %q", m)
	}
	if !strings.Contains(page, `name="q.code" value="0"`) {
		t.Errorf("the default is not filled in")
	}
	form := url.Values{"day": {"2026-03-14"}, "language": {"en"}, "q.left": {"yes"}, "q.code": {"0"}}
	for _, tc := range []struct {
		action string
		passes int
		hidden bool
	}{
		{"save", 0, false},
		{"add:q.child", 1, false},
		{"add:q.child", 2, false},
		{"remove:q.child.0", 1, false},
	} {
		form.Set("action", tc.action)
		_, page := lap.submit(path, form)
		if m := helper.FindStringSubmatch(page); m == nil || (m[1] == "hidden") != tc.hidden {
			t.Errorf("%s: the skip rule's question is hidden=%v, want %v", tc.action, m != nil && m[1] == "hidden", tc.hidden)
		}
		if tc.action == "remove:q.child.0" && (strings.Contains(page, "child 0 of add:q.child") || !strings.Contains(page, "child 1 of add:q.child")) {
			t.Errorf("removing the first pass did not keep the second")
		}
		// The page lists its passes for the next submit, as a browser sends them back.
		keys := regexp.MustCompile(`<input type="hidden" name="i.q.child" value="([0-9]+)">`).FindAllStringSubmatch(page, -1)
		if len(keys) != tc.passes {
			t.Fatalf("%s: %d passes, want %d", tc.action, len(keys), tc.passes)
		}
		form.Del("i.q.child")
		for i, k := range keys {
			form.Add("i.q.child", k[1])
			form.Set("q.child."+k[1]+".child_name", fmt.Sprintf("child %d of %s", i, tc.action))
		}
	}
	// A chain: the note follows the answer to the question behind the
	// skip rule, which counts as unanswered while it is not asked (though
	// the draft keeps it).
	thanks := regexp.MustCompile(`<div class="q q-note" data-q="thanks"\s*(hidden)?>`)
	form.Set("q.helper", "a broker")
	form.Set("action", "save")
	if _, page := lap.submit(path, form); thanks.FindStringSubmatch(page)[1] == "hidden" {
		t.Error("the note after the helper's answer is hidden")
	}
	form.Set("q.left", "no")
	_, page = lap.submit(path, form)
	if helper.FindStringSubmatch(page)[1] != "hidden" {
		t.Error("answering no does not hide the skip rule's question")
	}
	if thanks.FindStringSubmatch(page)[1] != "hidden" {
		t.Error("the note after an answer that is no longer asked is still shown")
	}
	if !strings.Contains(page, `value="a broker"`) {
		t.Error("the draft lost the answer to the question no longer asked")
	}
}
